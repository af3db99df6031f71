#!/bin/sh
# exits with the code it is given
echo "failing with $1"
exit "$1"
