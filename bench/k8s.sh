#!/usr/bin/env bash
# bench/k8s.sh [N]: playbooks/k8s-cluster.yml on N lab hosts (default 100;
# tests/lab/k8s-lab.sh: h1 the control plane, the rest workers), and what
# can be compared with Ansible.  ansible-playbook cannot run k8s-cluster.yml
# itself (swap, static_ip, kubeadm and kubectl are muster's own modules;
# deb822_repository, sysctl and modprobe are not in Ansible 2.14's
# builtins), so the table has:
#   - muster, k8s-cluster.yml: first run (fresh hosts) and second run;
#   - both tools, bench/k8s-builtin.yml: the node preparation, container
#     runtime and Kubernetes packages written with builtins only (the same
#     playbook for both), first run on fresh hosts and second run.
# Wall time, controller CPU (user+sys of the process tree) and peak RSS,
# one round each (a first run needs fresh hosts).  Ansible runs with forks
# N, pipelining and ControlPersist.  BENCH_SECOND_ONLY=1 skips Ansible's
# first run (the longest part at 100 hosts): ansible-playbook's second run
# goes to the hosts muster's builtin run converged (its changed column must
# read 0), then muster runs once more on the same hosts.  Talks only to the
# lab's loopback addresses.
set -euo pipefail
N=${1:-100}
top=$(cd "$(dirname "$0")/.." && pwd)
MUSTER=${MUSTER:-$top/build-release/muster}
export LAB_NET=${LAB_NET:-127.71} LAB_DIR=${LAB_DIR:-/tmp/muster-lab-k8sbench}
lab=$top/tests/lab/lab.sh
k8slab=$top/tests/lab/k8s-lab.sh
"$k8slab" up "$N" >/dev/null
INV=$LAB_DIR/k8s.yml
tmp=$(mktemp -d)
trap '"$lab" down >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
export ANSIBLE_LOCAL_TEMP=$tmp/ansible-tmp
fresh_hosts() {
  local h
  for h in $(seq 1 "$N"); do "$lab" reset "$h" >/dev/null; done
  "$k8slab" fresh $(seq 1 "$N")
}
run() { # label command...: one measured run, its recap kept
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "${@:2}" >"$tmp/$1.out" 2>&1 ||
    { echo "bench: $1 failed:" >&2; tail -20 "$tmp/$1.out" >&2; exit 1; }
  changed=$(awk '$2 == ":" { split($4, kv, "="); s += kv[2] } END { print s + 0 }' "$tmp/$1.out")
  awk -v l="$1" -v c="$changed" '{ printf "| %-38s | %8.2f | %8.2f | %11.1f | %7d |\n", l, $1, $2 + $3, $4 / 1024, c }' "$tmp/t" >>"$tmp/table"
}
ansible_pb=(env ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PIPELINING=True
  "ANSIBLE_SSH_ARGS=-o ControlMaster=auto -o ControlPersist=120s"
  /usr/bin/ansible-playbook -i "$INV" -f "$N")
: >"$tmp/table"
PB=${K8S_PLAYBOOK:-$top/playbooks/k8s-cluster.yml}
run "muster k8s-cluster.yml, 1st" "$MUSTER" -i "$INV" "$PB"
run "muster k8s-cluster.yml, 2nd" "$MUSTER" -i "$INV" "$PB"
fresh_hosts
run "muster k8s-builtin.yml, 1st" "$MUSTER" -i "$INV" "$top/bench/k8s-builtin.yml"
run "muster k8s-builtin.yml, 2nd" "$MUSTER" -i "$INV" "$top/bench/k8s-builtin.yml"
if [ "${BENCH_SECOND_ONLY:-}" = 1 ]; then
  # the hosts muster converged: ansible's own second run (changed must be 0)
  run "ansible-playbook k8s-builtin.yml, 2nd" "${ansible_pb[@]}" "$top/bench/k8s-builtin.yml"
  run "muster k8s-builtin.yml, 3rd" "$MUSTER" -i "$INV" "$top/bench/k8s-builtin.yml"
else
  fresh_hosts
  run "ansible-playbook k8s-builtin.yml, 1st" "${ansible_pb[@]}" "$top/bench/k8s-builtin.yml"
  run "ansible-playbook k8s-builtin.yml, 2nd" "${ansible_pb[@]}" "$top/bench/k8s-builtin.yml"
fi
echo "k8s-cluster.yml and its builtin-only part on $N lab hosts (one run each)"
printf '| %-38s | %8s | %8s | %11s | %7s |\n' run "wall s" "CPU s" "peak RSS MB" changed
printf '|%s|%s|%s|%s|%s|\n' ---------------------------------------- ---------- ---------- ------------- ---------
cat "$tmp/table"
