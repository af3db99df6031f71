#!/usr/bin/env bash
# Run every test_*.sh here (one a module family) as one TAP stream.  The
# files run side by side (ansible-playbook is the slow part); their
# outputs are printed in order.
set -uo pipefail
MUSTER=${1:?usage: run.sh MUSTER}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
tests=("$here"/test_*.sh)
[ -e "${tests[0]}" ] || { echo "1..0 # SKIP no module tests"; exit 0; }
for t in "${tests[@]}"; do
  bash "$t" "$MUSTER" >"$out/$(basename "$t").tap" 2>&1 &
done
wait
n=0 failed=0
for t in "${tests[@]}"; do
  name=$(basename "$t" .sh)
  while IFS= read -r line; do
    case $line in
      "ok "*|"not ok "*)
        n=$((n+1))
        [ "${line#not ok}" != "$line" ] && failed=$((failed+1))
        echo "$line" | sed -E "s/^(not ok|ok) [0-9]+( -)?/\1 $n - $name:/" ;;
      "1.."*) ;;
      *) echo "$line" ;;
    esac
  done <"$out/$(basename "$t").tap"
done
echo "1..$n"
[ $failed = 0 ]
