#!/usr/bin/env bash
# Ad-hoc arguments are templated per host as Ansible templates them:
# extra vars over magic vars over inventory vars, omit, undefined
# variables, the debug module.  Differential against `ansible` on hosts
# with ansible_connection=local (no SSH needed).  TAP.
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_adhoc_template.sh MUSTER}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export ANSIBLE_LOCAL_TEMP="$tmp/ansible-tmp" ANSIBLE_LOCALHOST_WARNING=False \
    ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_HOST_KEY_CHECKING=False
cd "$tmp"
cat >hosts <<'INV'
[web]
w1 ansible_connection=local role=web port=8080
w2 ansible_connection=local role=web port=8081 ref="{{ port }}/x"

[db]
d1.example.com ansible_connection=local role=db

[all:vars]
env=prod
nested={'k': [1, 2]}
INV
printf 'x: 5\nl: [a, b]\nd: {k: v}\n' >vars.yml
n=0 failed=0
check() { # name, then the arguments both tools get
  local name=$1; shift
  n=$((n+1))
  "$MUSTER" "$@" -i hosts -o >m.out 2>m.err; mrc=$?
  /usr/bin/ansible "$@" -i hosts -o >a.out 2>a.err; arc=$?
  # Ansible 2.14 repeats the undefined message four times: keep one.
  sed -i -E "s/(The error was: ('[^']*' is undefined))(\. '[^']*' is undefined)*/\1/" a.out
  sort -o m.out m.out; sort -o a.out a.out
  if [ $mrc = $arc ] && diff -u a.out m.out >d.out; then echo "ok $n - $name"
  else
    echo "not ok $n - $name (ansible rc=$arc, muster rc=$mrc)"
    diff -u a.out m.out | sed 's/^/# /' | head -20; sed 's/^/# stderr: /' m.err | head -5
    failed=$((failed+1))
  fi
}
check "inventory_hostname and group_names" all -m debug -a 'msg={{ inventory_hostname }}:{{ group_names }}'
check "inventory_hostname_short" all -m debug -a 'msg={{ inventory_hostname_short }}'
check "groups" 'w1' -m debug -a 'msg="{{ groups.web }} {{ groups["all"] | length }}"'
check "hostvars of another host" 'w1' -m debug -a "msg={{ hostvars['w2'].port }}"
check "lazy inventory var" w2 -m debug -a 'msg={{ ref }}'
check "hostvars values render with that host's variables" d1.example.com -m debug -a "msg={{ hostvars['w2'].ref }}"
check "inventory var types" web -m debug -a 'msg="{{ port | int + 1 }} {{ env }} {{ nested.k }}"'
check "play_hosts" web -m debug -a 'msg={{ ansible_play_hosts }}'
check "extra vars from a file" w1 -m debug -a 'msg="{{ x * 2 }} {{ l | join(",") }}"' -e @vars.yml
check "extra vars k=v are strings" w1 -m debug -a 'msg={{ x ~ "!" }}' -e x=5
check "extra vars JSON" w1 -m debug -a 'msg={{ y.a }}' -e '{"y": {"a": [1, true]}}'
check "extra vars beat inventory vars" w1 -m debug -a 'msg={{ role }}' -e role=override
check "debug var" all -m debug -a 'var=role'
check "debug var undefined" w1 -m debug -a 'var=nope'
check "debug var expression" w1 -m debug -a 'var=groups.db'
check "debug without arguments" w1 -m debug
check "debug verbosity skips" w1 -m debug -a 'msg=hi verbosity=1'
check "undefined variable fails the host" w1 -m debug -a 'msg={{ nope }}'
check "default filter" all -m debug -a "msg={{ nope | default(inventory_hostname) }}"
check "omit drops an argument" w1 -m debug -a 'msg={{ omit }}'
check "ansible_check_mode" w1 -m debug -a 'msg={{ ansible_check_mode }}' --check
printf 'hello {{ inventory_hostname }}\n' >t.j2
check "lookup env" w1 -m debug -a "msg={{ lookup('env', 'HOME') }}"
check "lookup file" w1 -m debug -a "msg={{ lookup('file', 'vars.yml') }}"
check "lookup pipe" w1 -m debug -a "msg={{ lookup('pipe', 'echo piped') }}"
check "lookup template" w1 -m debug -a "msg={{ lookup('template', 't.j2') }}"
check "lookup first_found" w1 -m debug -a "msg={{ lookup('first_found', ['nope.yml', 'vars.yml']) }}"
check "query fileglob" w1 -m debug -a "msg={{ query('fileglob', '*.yml') }}"
check "command with a templated argument" web -m command -a 'echo {{ role }}-{{ port }}'
check "shell with a filter" d1.example.com -m shell -a 'echo {{ [3,1,2] | sort | join("") }}'
# Ansible's minimal output (no -o): debug shows only what it was asked for.
for args in 'msg={{ role }}' 'var=port' 'msg={{ nope }}'; do
  n=$((n+1))
  "$MUSTER" w1 -i hosts -m debug -a "$args" --no-fold >m.out 2>&1
  /usr/bin/ansible w1 -i hosts -m debug -a "$args" >a.out 2>&1
  sed -i -E "s/(The error was: ('[^']*' is undefined))(\. '[^']*' is undefined)*/\1/" a.out
  if diff -u a.out m.out >d.out; then echo "ok $n - minimal output of debug $args"
  else echo "not ok $n - minimal output of debug $args"; sed 's/^/# /' d.out; failed=$((failed+1)); fi
done
echo "1..$n"
[ $failed = 0 ]
