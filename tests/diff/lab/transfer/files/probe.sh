#!/bin/sh
# a script for the script module: prints its arguments, cwd, env
echo "args: $*"
echo "to stderr" >&2
echo "cwd: $(pwd)"
[ -n "$GREETING" ] && echo "greeting: $GREETING"
if [ -n "$MARK" ]; then echo made > "$MARK"; fi
exit ${RC:-0}
