#!/usr/bin/env bash
# Run every test_*.sh here (one a module family) as one TAP stream.
set -uo pipefail
MUSTER=${1:?usage: run.sh MUSTER}
here=$(cd "$(dirname "$0")" && pwd)
n=0 failed=0
for t in "$here"/test_*.sh; do
  [ -e "$t" ] || continue
  while IFS= read -r line; do
    case $line in
      "ok "*|"not ok "*)
        n=$((n+1))
        [ "${line#not ok}" != "$line" ] && failed=$((failed+1))
        echo "$line" | sed -E "s/^(not ok|ok) [0-9]+/\1 $n - $(basename "$t" .sh):/; s/: - /: /" ;;
      "1.."*) ;;
      *) echo "$line" ;;
    esac
  done < <(bash "$t" "$MUSTER" 2>&1)
done
echo "1..$n"
[ $failed = 0 ]
