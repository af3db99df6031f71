#!/usr/bin/env bash
# ANSIBLE_STDOUT_CALLBACK=json: playbooks run by ansible-playbook and by
# muster on hosts with ansible_connection=local, each writing Ansible's json
# callback document on stdout; the documents must be the same once ids,
# times and the keys json_compare.py lists are normalised, with the same
# exit code.  And muster's document is formatted as Python's json.dumps()
# formats it.  TAP.
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_json_callback.sh MUSTER}")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export ANSIBLE_LOCAL_TEMP="$tmp/ansible-tmp" ANSIBLE_LOCALHOST_WARNING=False \
    ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_RETRY_FILES_ENABLED=False \
    ANSIBLE_NOCOLOR=1 ANSIBLE_STDOUT_CALLBACK=json \
    ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
unset ANSIBLE_JSON_INDENT
cd "$here"
n=0 failed=0
not_ok() {
  echo "not ok $n - $1"; failed=$((failed+1))
  sed 's/^/# /' "$2" | head -40
}
while IFS='|' read -r pb args inv mode; do
  [ -n "$pb" ] || continue
  inv=${inv:-hosts}
  n=$((n+1))
  /usr/bin/ansible-playbook -i "$inv" "$pb" $args </dev/null >"$tmp/a" 2>"$tmp/ae"; arc=$?
  "$MUSTER" -i "$inv" "$pb" $args </dev/null >"$tmp/m" 2>"$tmp/me"; mrc=$?
  if [ $arc != $mrc ]; then
    echo "exit codes: ansible $arc, muster $mrc" >"$tmp/d"; cat "$tmp/me" >>"$tmp/d"
    not_ok "$pb $args: exit code" "$tmp/d"
  elif /usr/bin/python3 json_compare.py "$tmp/a" "$tmp/m" $mode >"$tmp/d" 2>&1; then
    echo "ok $n - $pb $args: same json document and exit code ($arc)"
  else
    not_ok "$pb $args: json documents differ" "$tmp/d"
  fi
done <<'CASES'
cases/json_cb.yml||hosts4
cases/basics.yml|
cases/handlers_plays.yml|
cases/blocks_loops_facts.yml|
cases/unreachable.yml||hosts4
cases/fatal.yml||hosts4
cases/serial_env.yml|
cases/include_loop.yml||hosts4
cases/delegate.yml|
cases/roles_tags.yml|
cases/diff.yml|--diff|hosts4
cases/free.yml||hosts4|--unordered
CASES
# The document's text: json.dumps(doc, indent=4, sort_keys=True), and one
# line with ANSIBLE_JSON_INDENT=0.
for indent in 4 0; do
  n=$((n+1))
  ANSIBLE_JSON_INDENT=$indent "$MUSTER" -i hosts4 cases/json_cb.yml \
    </dev/null >"$tmp/m" 2>"$tmp/me"
  if /usr/bin/python3 - "$tmp/m" "$indent" >"$tmp/d" 2>&1 <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
indent = int(sys.argv[2])
want = json.dumps(json.loads(text), indent=indent if indent > 0 else None,
                  sort_keys=True) + "\n"
if text != want:
    import difflib
    print("\n".join(list(difflib.unified_diff(want.splitlines(),
          text.splitlines(), "json.dumps", "muster", lineterm=""))[:30]))
    sys.exit(1)
PY
  then
    echo "ok $n - ANSIBLE_JSON_INDENT=$indent: formatted as Python's json.dumps()"
  else
    not_ok "ANSIBLE_JSON_INDENT=$indent: formatted as Python's json.dumps()" "$tmp/d"
  fi
done
echo "1..$n"
[ $failed = 0 ]
