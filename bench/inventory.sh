#!/usr/bin/env bash
# bench/inventory.sh [HOSTS]: parse a HOSTS-host INI inventory (ranges,
# children, group vars, group_vars/ files) and evaluate a pattern with
# --limit: muster vs ansible (`--list-hosts`), median of 5 runs each, whole
# process wall time.  Target: muster < 50 ms for 1,000 hosts.
set -euo pipefail
H=${1:-1000}
top=$(cd "$(dirname "$0")/.." && pwd)
MUSTER=${MUSTER:-$top/build/muster}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/group_vars"
{
  echo "[control]"; echo "cp[1:3] node_role=control"
  echo "[workers]"
  for i in $(seq 1 "$H"); do printf 'node%04d ansible_host=10.%d.%d.%d rack=r%d\n' "$i" $((i/65536)) $((i/256%256)) $((i%256)) $((i%10)); done
  echo "[k8s:children]"; echo control; echo workers
  echo "[k8s:vars]"; echo "pod_cidr=10.244.0.0/16"; echo "kube_version=1.28.2"
  echo "[all:vars]"; echo "ansible_user=root"
} >"$tmp/hosts"
printf 'containerd_version: 1.6.20\nsysctls: {net.ipv4.ip_forward: 1}\n' >"$tmp/group_vars/k8s.yml"
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
pat='k8s:&workers:!node0007'
lim='node0*'
m=$(for i in 1 2 3 4 5; do ms "$MUSTER" inventory -i "$tmp/hosts" --pattern "$pat" --limit "$lim"; done | median)
a=$(for i in 1 2 3; do ms /usr/bin/ansible -i "$tmp/hosts" "$pat" --limit "$lim" --list-hosts; done | median)
ml=$(for i in 1 2 3 4 5; do ms "$MUSTER" inventory -i "$tmp/hosts" --list; done | median)
al=$(for i in 1 2 3; do ms /usr/bin/ansible-inventory -i "$tmp/hosts" --list; done | median)
echo "inventory of $((H + 3)) hosts, median wall ms (whole process)"
printf '| %-34s | %8s | %8s | %7s |\n' task muster ansible ratio
printf '|%s|%s|%s|%s|\n' ------------------------------------ ---------- ---------- ---------
awk -v m="$m" -v a="$a" 'BEGIN{printf "| %-34s | %8d | %8d | %6.0fx |\n", "parse + pattern + --limit", m, a, a/m}'
awk -v m="$ml" -v a="$al" 'BEGIN{printf "| %-34s | %8d | %8d | %6.0fx |\n", "--list (all host vars as JSON)", m, a, a/m}'
