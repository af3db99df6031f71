#!/usr/bin/env bash
# Bad playbooks are refused before any host is touched, exit 1, with
# file:line:col and, for misspellings, the right name.  TAP.
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_bad_playbook.sh MUSTER}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
printf '[g]\nh1 ansible_connection=local\n' >hosts
n=0 failed=0
expect() { # name, playbook text, expected message (regex)
  n=$((n+1))
  printf '%b' "$2" >pb.yml
  rm -f touched
  out=$("$MUSTER" -i hosts pb.yml 2>&1); rc=$?
  if [ $rc = 1 ] && echo "$out" | grep -Eq "$3" && [ ! -e touched ]; then echo "ok $n - $1"
  else echo "not ok $n - $1"; echo "$out" | sed "s/^/# rc=$rc: /" | head -8; failed=$((failed+1)); fi
}
pre='- hosts: all\n  gather_facts: false\n  tasks:\n    - command: touch touched\n'
expect "YAML syntax error" "${pre}    - debug: msg=x\n      bad: [\n" 'pb.yml:[0-9]+:[0-9]+'
expect "unknown module, suggestion" "${pre}    - comand: ls\n" "pb.yml:5:7: couldn't resolve module/action 'comand' \(did you mean 'command'\?\)"
expect "two modules in a task" "${pre}    - command: ls\n      shell: ls\n" "pb.yml:6:7: conflicting action statements: command, shell"
expect "unknown argument, suggestion" "${pre}    - debug:\n        mgs: hi\n" "pb.yml:6:9: unknown argument 'mgs' for module 'debug' \(did you mean 'msg'\?\)"
expect "wrong argument type" "${pre}    - debug:\n        verbosity: [1]\n" "pb.yml:6:20: argument 'verbosity' of module 'debug' must be"
expect "missing required argument" "${pre}    - assert: {}\n" "pb.yml:5:7: .*'that'"
expect "unknown play keyword, suggestion" '- hosts: all\n  taks: []\n' "pb.yml:2:3: 'taks' is not a valid attribute for a Play \(did you mean 'tasks'\?\)"
expect "hosts missing" '- name: x\n  tasks: []\n' "pb.yml:1:3: the field 'hosts' is required"
expect "bad loop_control key" "${pre}    - debug: msg=x\n      loop: [1]\n      loop_control:\n        loop_vra: i\n" "pb.yml:8:9: 'loop_vra' is not a valid loop_control option \(did you mean 'loop_var'\?\)"
expect "two loop keywords" "${pre}    - debug: msg=x\n      loop: [1]\n      with_items: [2]\n" "pb.yml:7:19: a task takes one loop keyword"
expect "a task that is not a mapping" "${pre}    - just a string\n" "pb.yml:5:7: a task must be a mapping"
expect "undefined variable in hosts" '- hosts: "{{ nope }}"\n  tasks: []\n' "'nope' is undefined"
expect "undefined variable in a later play's hosts" "${pre}- hosts: '{{ nope }}'\n  tasks: []\n" "pb.yml:5:[0-9]+: 'nope' is undefined"

# two playbooks at once: refused plainly, nothing run (not taken for ad-hoc)
n=$((n+1))
printf '%b' "$pre" >a.yml; cp a.yml b.yml; rm -f touched
out=$("$MUSTER" -i hosts a.yml b.yml 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "muster runs one playbook at a time, got 2 ('a.yml', 'b.yml')" && [ ! -e touched ]; then
  echo "ok $n - two playbooks on the command line are refused by name"
else echo "not ok $n - two playbooks"; echo "$out" | sed "s/^/# rc=$rc: /"; failed=$((failed+1)); fi

echo "1..$n"
[ $failed = 0 ]
