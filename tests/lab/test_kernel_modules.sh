#!/usr/bin/env bash
# sysctl, modprobe and mount on real lab hosts.  Their Ansible modules live
# in collections (ansible.posix, community.general) that are not installed
# here, so muster's results are checked on the hosts directly: file
# contents, the stand-ins' records (tests/lab/standins), a real tmpfs and
# bind mount in the host's mount namespace; a second run changes nothing;
# --check on fresh hosts reports the same changes and leaves them as they
# were.  TAP.
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_kernel_modules.sh MUSTER_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root for the lab"; exit 0; fi
export LAB_NET=${LAB_NET:-127.52} LAB_DIR=${LAB_DIR:-/tmp/muster-lab-kmod}
n=0 failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
# another lab on this net would answer in ours' place
if ss -Hltn "sport = :22" | awk '{print $4}' | grep -q "^$LAB_NET\.1\.1:22$" &&
    ! [ -f "$LAB_DIR/size" ]; then
  echo "1..0 # SKIP $LAB_NET is taken by another lab"; exit 0
fi
tmp=$(mktemp -d)
cleanup() { "$here/lab.sh" down >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap "cp -r $tmp /tmp/svc/kmod-out; cleanup" EXIT
lab() { "$here/lab.sh" "$@"; }
lab up 2 >"$tmp/up.log" 2>&1 || { echo "1..0 # SKIP lab did not start: $(tail -1 "$tmp/up.log")"; exit 0; }
INV=$LAB_DIR/inventory.ini PB=$here/kernel/kernel.yml
SEED='set -e
printf "# seeded\nkernel.panic = 5\nvm.overcommit_memory=1\n; old\nkernel.panic=7\n" >/etc/sysctl.d/50-seed.conf
printf "UUID=abcd / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n/dev/sdb1 /data xfs defaults 0 0\n" >/etc/fstab
mkdir -p /srv/data /etc/modules-load.d /etc/modprobe.d
echo data >/srv/data/file
modprobe old_mod
printf "old_mod\n" >/etc/modules-load.d/old.conf
printf "options old_mod debug=1\n" >/etc/modprobe.d/old.conf'
fresh() { # reset both hosts and seed them
  local i
  for i in 1 2; do lab reset $i >>"$tmp/reset.log" 2>&1 & done; wait
  for i in 1 2; do lab ssh $i "$SEED" >>"$tmp/seed.log" 2>&1 & done; wait
}
tree() { # a host's upper layer, one line a path (what a run changed)
  (cd "$(lab upper $1)" && find . -mindepth 1 | grep -Ev '^\./(var/log|tmp|run|root/\.ansible)(/|$)' |
    LC_ALL=C sort | while IFS= read -r p; do
      if [ -L "$p" ]; then echo "$p -> $(readlink "$p")"
      elif [ -f "$p" ]; then echo "$p $(stat -c %a "$p") $(sha1sum <"$p" | cut -c1-12)"
      else echo "$p $(stat -c %F "$p")"; fi
    done)
}
recap() { sed -n '/^PLAY RECAP/,$p' "$1"; }
file_is() { # host path expected-content name
  lab ssh "$1" "cat '$2'" >"$tmp/got" 2>&1
  printf '%b' "$3" >"$tmp/want"
  diff -u "$tmp/want" "$tmp/got" >&2; ok $? "$4"
}

fresh
"$MUSTER" -i "$INV" "$PB" >"$tmp/run1" 2>&1; rc=$?
ok $([ $rc = 0 ] && echo 0 || echo 1) "first run exits 0"
[ $rc = 0 ] || tail -30 "$tmp/run1" >&2
grep -q 'h1 .*changed=15 .*failed=0 .*ignored=1' "$tmp/run1"; ok $? "first run: 15 changes, the bad key ignored"
[ $? = 0 ] || recap "$tmp/run1" >&2

# sysctl: Ansible's normal form (key=value, first line of a repeated key)
{ sed 's/^[[:space:]]*//; s/[[:space:]]*$//' /etc/sysctl.conf; echo vm.swappiness=10; } >"$tmp/want"
lab ssh 1 cat /etc/sysctl.conf | diff -u "$tmp/want" - >&2
ok $? "sysctl: /etc/sysctl.conf keeps its comments, gets vm.swappiness=10"
file_is 1 /etc/sysctl.d/99-kubernetes.conf 'net.ipv4.ip_forward=1\nnet.bridge.bridge-nf-call-iptables=1\n' \
  "sysctl: a new file, yes becomes 1, mode 644"
[ "$(lab ssh 1 stat -c %a /etc/sysctl.d/99-kubernetes.conf)" = 644 ]; ok $? "sysctl: a new file is 0644"
file_is 2 /etc/sysctl.d/50-seed.conf '# seeded\nvm.overcommit_memory=1\n; old\n' \
  "sysctl: state=absent drops every line of the key"
lab ssh 1 'sysctl -n vm.swappiness net.ipv4.ip_forward' >"$tmp/got" 2>&1
printf '10\n1\n' | diff -u - "$tmp/got" >&2; ok $? "sysctl: the stand-in's kernel shows the set values"
lab ssh 1 'cat /var/log/muster-standins/sysctl.log' >"$tmp/got"
grep -qx 'sysctl -p /etc/sysctl.conf' "$tmp/got" && grep -qx 'sysctl -w net.ipv4.ip_forward=1' "$tmp/got" &&
  grep -qx 'sysctl -e -p /etc/sysctl.d/99-kubernetes.conf' "$tmp/got" &&
  grep -qx 'sysctl -p /etc/sysctl.d/50-seed.conf' "$tmp/got" &&
  ! grep -q 'sysctl -p /etc/sysctl.d/99-kubernetes.conf' "$tmp/got"
ok $? "sysctl: reload with -p FILE (-e when ignoreerrors), -w for sysctl_set"
lab ssh 1 cat /root/bad.txt | grep -qx 'Failed to reload sysctl: sysctl: cannot stat /proc/sys/muster/nosuch: No such file or directory'
ok $? "sysctl: an unknown key fails the reload with sysctl's message"

lab ssh 1 'stat -c "%U %a" /etc/sysctl.d/70-become.conf; cat /etc/sysctl.d/70-become.conf; cat /var/lib/muster-standins/systemd/ssh.service.active && echo active' >"$tmp/got" 2>&1
printf 'root 644\nvm.dirty_ratio=15\nactive\n' | diff -u - "$tmp/got" >&2; ok $? "become: a root-owned file and a started unit as user muster"

# modprobe: community.general's files, the stand-in's loaded modules
file_is 1 /etc/modules-load.d/dummy.conf 'dummy\n' "modprobe: modules-load.d/dummy.conf"
file_is 1 /etc/modprobe.d/dummy.conf 'options dummy numdummies=2\n' "modprobe: modprobe.d/dummy.conf with the options"
file_is 2 /etc/modules-load.d/old.conf '#old_mod\n' "modprobe: persistent=absent comments the module out"
file_is 2 /etc/modprobe.d/old.conf '#options old_mod debug=1\n' "modprobe: and its options"
lab ssh 2 lsmod | awk 'NR > 1 { print $1 }' | sort >"$tmp/got"
printf 'br_netfilter\ndummy\n' | diff -u - "$tmp/got" >&2; ok $? "modprobe: lsmod shows dummy and br_netfilter, not old_mod"
lab ssh 2 'cat /var/lib/muster-standins/modules' | grep -qx 'dummy numdummies=2'; ok $? "modprobe: loaded with its parameters"

# mount: fstab lines as ansible.posix writes them, real mounts
file_is 1 /etc/fstab 'UUID=abcd / ext4 defaults 0 1\n/dev/sdb1 /data xfs noatime 0 2\ntmpfs /mnt/muster\\040tmp tmpfs size=16m 0 0\n/srv/data /mnt/bind none bind 0 0\nUUID=1234 /mnt/later ext4 defaults,noauto 0 0\n' \
  "mount: fstab (swap line gone, changed line rewritten, \\\\040 for a space, noauto)"
lab ssh 1 "findmnt -n -o FSTYPE,OPTIONS '/mnt/muster tmp'" | grep -q '^tmpfs .*size=16384k'; ok $? "mount: a real tmpfs is mounted"
[ "$(lab ssh 1 cat /mnt/bind/file)" = data ]; ok $? "mount: the bind mount shows /srv/data"
! lab ssh 1 test -e /mnt/nothing -o -e /mnt/gone; ok $? "mount: unmounted/absent create nothing"

"$MUSTER" -i "$INV" "$PB" >"$tmp/run2" 2>&1
recap "$tmp/run2" | grep -q 'changed=[1-9]\|failed=[1-9]'; [ $? = 1 ]; ok $? "second run: changed=0"
[ $? = 0 ] || grep -B2 'changed:' "$tmp/run2" >&2

fresh
tree 1 >"$tmp/before1"; tree 2 >"$tmp/before2"
"$MUSTER" -i "$INV" "$PB" --check >"$tmp/run3" 2>&1
tree 1 >"$tmp/after1"; tree 2 >"$tmp/after2"
diff -u "$tmp/before1" "$tmp/after1" >&2 && diff -u "$tmp/before2" "$tmp/after2" >&2; ok $? "--check leaves the hosts untouched"
lab ssh 1 "findmnt '/mnt/muster tmp'" >/dev/null 2>&1; [ $? != 0 ]; ok $? "--check mounts nothing"
grep -q 'h1 .*changed=16 .*failed=0' "$tmp/run3"; ok $? "--check reports the changes (the failing reload too)"
[ $? = 0 ] || recap "$tmp/run3" >&2

echo "1..$n"
[ $failed = 0 ]
