#!/usr/bin/env bash
# The lab itself: hosts answer as themselves over OpenSSH with strict host
# key checking, writes land in the host's own upper layer only, reset
# empties it, down leaves no process or mount.  TAP.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
export LAB_NET=127.30 LAB_DIR=/tmp/muster-lab-selftest
lab=$here/lab.sh
n=0 failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
trap '"$lab" down >/dev/null 2>&1' EXIT
"$lab" up 5 >/dev/null 2>&1; ok $? "up 5"
"$lab" status >/dev/null; ok $? "status: all up"
sshk=(ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$LAB_DIR/known_hosts" -i "$LAB_DIR/id_ed25519")
good=0
for i in 1 2 3 4 5; do
  [ "$("${sshk[@]}" root@127.30.1.$i hostname)" = "h$i" ] || good=1
done
ok $good "each host answers with its own name, host keys verified"
"${sshk[@]}" root@127.30.1.1 'echo lab > /etc/muster-lab-probe'
[ -f "$("$lab" upper 1)/etc/muster-lab-probe" ]; ok $? "a write on h1 lands in h1's upper layer"
[ ! -e "$("$lab" upper 2)/etc/muster-lab-probe" ] && ! "${sshk[@]}" root@127.30.1.2 test -e /etc/muster-lab-probe
ok $? "h2 does not see it"
[ ! -e /etc/muster-lab-probe ]; ok $? "the machine does not see it"
[ "$("${sshk[@]}" muster@127.30.1.3 'sudo -n id -u')" = 0 ]; ok $? "user muster has passwordless sudo"
"$lab" reset 1 >/dev/null 2>&1 && ! "${sshk[@]}" root@127.30.1.1 test -e /etc/muster-lab-probe
ok $? "reset 1 gives h1 an empty upper layer"
"$lab" kill 4 >/dev/null 2>&1
! "$lab" status >/dev/null 2>&1; ok $? "status fails when a host is down"
"$lab" up 5 >/dev/null 2>&1 && "$lab" status >/dev/null; ok $? "up brings the missing host back"
"$lab" down >/dev/null 2>&1
! grep -q muster-lab-selftest /proc/mounts; ok $? "down leaves no mount"
! pgrep -f "upperdir=$LAB_DIR" >/dev/null; ok $? "down leaves no process"
echo "1..$n"
[ $failed = 0 ]
