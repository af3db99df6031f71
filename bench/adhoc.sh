#!/usr/bin/env bash
# bench/adhoc.sh N [ROUNDS]: `uptime` on N lab hosts with muster, Ansible
# (`ansible -m command`, forks N, pipelining + ControlPersist), parallel-ssh,
# and the floor: OpenSSH `ssh hN uptime` to every host at once with the key
# exchange libssh negotiates (curve25519-sha256).  The tools alternate within
# each round; the table reports the median wall time, the controller CPU
# (user+sys of the whole process tree) and peak RSS, and each tool's ratio
# to the floor.  Talks only to the lab's loopback addresses.
set -euo pipefail
N=${1:-100}
ROUNDS=${2:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
MUSTER=${MUSTER:-$top/build/muster}
export LAB_NET=${LAB_NET:-127.70} LAB_DIR=${LAB_DIR:-/tmp/muster-lab-bench}
lab=$top/tests/lab/lab.sh
"$lab" up "$N" >/dev/null
trap '"$lab" down >/dev/null 2>&1 || true' EXIT
INV=$LAB_DIR/inventory.ini
tmp=$(mktemp -d)
# Hosts as parallel-ssh wants them: user@address.
awk '/^h[0-9]+ /{for(i=2;i<=NF;i++) if($i ~ /^ansible_host=/){split($i,a,"="); print "root@" a[2]}}' "$INV" | head -n "$N" >"$tmp/pssh_hosts"
SSHOPTS=(-o KexAlgorithms=curve25519-sha256 -o UserKnownHostsFile="$LAB_DIR/known_hosts"
  -o StrictHostKeyChecking=yes -o BatchMode=yes -i "$LAB_DIR/id_ed25519" -o ControlMaster=no)
pssh_bin=$(command -v parallel-ssh || command -v pssh || true)

# One script a tool, so /usr/bin/time measures its whole process tree.
cat >"$tmp/floor.sh" <<SH
for ip in \$(sed 's/root@//' $tmp/pssh_hosts); do
  ssh ${SSHOPTS[*]} root@\$ip uptime >/dev/null &
done
wait
SH
cat >"$tmp/muster.sh" <<SH
"$MUSTER" 'lab[0:$((N-1))]' -i "$INV" -a uptime -f $N >/dev/null
SH
cat >"$tmp/ansible.sh" <<SH
ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PIPELINING=True \\
ANSIBLE_SSH_ARGS='-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null' \\
  /usr/bin/ansible 'lab[0:$((N-1))]' -i "$INV" -m command -a uptime -f $N >/dev/null
SH
cat >"$tmp/pssh.sh" <<SH
"$pssh_bin" -h $tmp/pssh_hosts -p $N -x "-o UserKnownHostsFile=$LAB_DIR/known_hosts -i $LAB_DIR/id_ed25519" uptime >/dev/null
SH
tools=(floor muster ansible)
[ -n "$pssh_bin" ] && tools+=(pssh)
for r in $(seq "$ROUNDS"); do
  for t in "${tools[@]}"; do
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" bash "$tmp/$t.sh" || true
    awk '{printf "%s %.2f %s\n", $1, $2+$3, $4}' "$tmp/t" >>"$tmp/$t.res"
  done
done
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
fw=$(cut -d' ' -f1 "$tmp/floor.res" | median)
echo "ad-hoc uptime on $N hosts, median of $ROUNDS rounds (floor = OpenSSH curve25519, all hosts at once)"
printf '| %-22s | %8s | %10s | %12s | %9s |\n' tool "wall s" "CPU s" "peak RSS MB" "vs floor"
printf '|%s|%s|%s|%s|%s|\n' ------------------------ ---------- ------------ -------------- -----------
for t in "${tools[@]}"; do
  w=$(cut -d' ' -f1 "$tmp/$t.res" | median)
  c=$(cut -d' ' -f2 "$tmp/$t.res" | median)
  m=$(cut -d' ' -f3 "$tmp/$t.res" | median)
  awk -v t="$t" -v w="$w" -v c="$c" -v m="$m" -v f="$fw" \
    'BEGIN{printf "| %-22s | %8.2f | %10.2f | %12.1f | %8.2fx |\n", t, w, c, m/1024, w/f}' 
done
rm -rf "$tmp"
