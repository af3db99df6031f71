#!/usr/bin/env bash
# Golden template cases: muster's answers against python3-jinja2's and
# Ansible's Templar's, run live, and against the records in expected.jsonl.
# usage: test_template.sh MUSTER [--update]
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_template.sh MUSTER [--update]}")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ANSIBLE_LOCAL_TEMP="$tmp/ansible" HOME="${HOME:-/root}"
cd "$here"
/usr/bin/python3 cases.py cases/*.txt >"$tmp/cases.jsonl" || exit 1
/usr/bin/python3 oracle.py <"$tmp/cases.jsonl" >"$tmp/oracle.jsonl" || exit 1
"$MUSTER" __template <"$tmp/cases.jsonl" >"$tmp/muster.jsonl" || exit 1
/usr/bin/python3 compare.py "$tmp/cases.jsonl" "$tmp/oracle.jsonl" \
    "$tmp/muster.jsonl" expected.jsonl "${@:2}"
