#!/usr/bin/env bash
# Facts: gather_subset and filter pick the same facts Ansible's setup picks
# (muster's facts are fewer, so: every fact muster reports under a subset
# Ansible reports under it too, and the subset's sentinel facts are there
# or gone), and the jsonfile facts cache with ANSIBLE_GATHERING=smart.  TAP.
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_facts.sh MUSTER}")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export ANSIBLE_LOCAL_TEMP="$tmp/ansible-tmp" ANSIBLE_LOCALHOST_WARNING=False \
    ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_NOCOLOR=1
cd "$here"
n=0 failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); [ -f "${3:-}" ] && sed 's/^/# /' "$3" | head -20; fi; }
keys() { /usr/bin/python3 -c '
import re, sys
m = re.search(r"\"msg\": \"KEYS (.*)\"", open(sys.argv[1]).read())
print("\n".join(sorted(m.group(1).split(","))) if m else "")' "$1"; }
# subset | filter | facts that must be there | facts that must not
while IFS='|' read -r subset filter want absent; do
  cat >"$tmp/pb.yml" <<YML
- hosts: w1
  gather_facts: false
  tasks:
    - setup:
        gather_subset: "$subset"
        filter: "$filter"
    - debug: msg="KEYS {{ ansible_facts.keys() | list | sort | join(',') }}"
YML
  /usr/bin/ansible-playbook -i hosts "$tmp/pb.yml" >"$tmp/a" 2>&1
  "$MUSTER" -i hosts "$tmp/pb.yml" >"$tmp/m" 2>&1
  keys "$tmp/a" >"$tmp/ak"; keys "$tmp/m" >"$tmp/mk"
  comm -13 "$tmp/ak" "$tmp/mk" >"$tmp/extra"
  bad=0
  [ -s "$tmp/mk" ] || bad=1
  [ -s "$tmp/extra" ] && bad=1
  for k in $want; do grep -qx "$k" "$tmp/mk" || { echo "missing $k" >>"$tmp/extra"; bad=1; }; done
  for k in $absent; do grep -qx "$k" "$tmp/mk" && { echo "unexpected $k" >>"$tmp/extra"; bad=1; }; done
  ok $bad "gather_subset [$subset] filter [$filter]: muster's facts are Ansible's" "$tmp/extra"
done <<'CASES'
all||distribution default_ipv4 memtotal_mb|
!all||distribution os_family pkg_mgr|default_ipv4 memtotal_mb interfaces
network||distribution default_ipv4 interfaces|memtotal_mb
hardware||distribution memtotal_mb processor_vcpus|default_ipv4
!hardware||distribution os_family|memtotal_mb default_ipv4
!all,!min||gather_subset module_setup|distribution default_ipv4
all|ansible_distribution*,ansible_mem*|distribution distribution_version memtotal_mb|default_ipv4 os_family
CASES
# the facts cache: a second smart run gathers nothing and still has facts
export ANSIBLE_CACHE_PLUGIN=jsonfile ANSIBLE_CACHE_PLUGIN_CONNECTION="$tmp/cache" ANSIBLE_GATHERING=smart
cat >"$tmp/pb.yml" <<'YML'
- hosts: web
  tasks:
    - debug: msg="{{ ansible_distribution }} {{ ansible_facts.os_family }}"
YML
"$MUSTER" -i hosts "$tmp/pb.yml" >"$tmp/m1" 2>&1
"$MUSTER" -i hosts "$tmp/pb.yml" >"$tmp/m2" 2>&1
grep -q 'Gathering Facts' "$tmp/m1" && ! grep -q 'Gathering Facts' "$tmp/m2" &&
  grep -q "\"msg\": \"$(. /etc/os-release; echo "$NAME" | cut -d' ' -f1)" "$tmp/m2" && [ -f "$tmp/cache/w1" ]
ok $? "facts cache: the second smart run gathers nothing, facts come from the cache" "$tmp/m2"
# Ansible reads muster's cache file: its keys are Ansible's
/usr/bin/ansible-playbook -i hosts "$tmp/pb.yml" >"$tmp/a2" 2>&1
! grep -q 'Gathering Facts' "$tmp/a2" && grep -q '"msg": "Debian Debian"' "$tmp/a2"
ok $? "facts cache: ansible-playbook takes muster's cache file as its own" "$tmp/a2"
ANSIBLE_CACHE_PLUGIN_TIMEOUT=1 ; sleep 2
ANSIBLE_CACHE_PLUGIN_TIMEOUT=1 "$MUSTER" -i hosts "$tmp/pb.yml" >"$tmp/m3" 2>&1
grep -q 'Gathering Facts' "$tmp/m3"
ok $? "facts cache: entries older than the timeout are gathered again" "$tmp/m3"
echo "1..$n"
[ $failed = 0 ]
