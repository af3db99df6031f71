#!/usr/bin/env bash
# bench/template.sh [N]: render a 60-line containerd/kubeadm-style config
# template (30 variables, a loop over 100 hosts' hostvars) N times with
# muster's engine and with Ansible's Templar as the template module does,
# in the same run; check both outputs are identical; print the time and
# memory one render takes, and the ratio.
set -euo pipefail
N=${1:-2000}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
MUSTER=${MUSTER:-$top/build/muster}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export ANSIBLE_LOCAL_TEMP="$tmp/ansible"
/usr/bin/python3 "$here/template/make_vars.py" >"$tmp/vars.json"
t="$here/template/containerd.toml.j2"
lines=$(wc -l <"$t")
an=$(( N / 20 > 20 ? N / 20 : 20 ))
read -r m_s m_b < <("$MUSTER" __template --bench "$t" "$tmp/vars.json" "$N" "$tmp/m.out")
read -r a_s a_kb < <(/usr/bin/python3 "$here/template/ansible_render.py" "$t" "$tmp/vars.json" "$an" "$tmp/a.out")
if ! cmp -s "$tmp/a.out" "$tmp/m.out"; then
  echo "outputs differ:"; diff -u "$tmp/a.out" "$tmp/m.out" | head -20; exit 1
fi
echo "template: $lines lines, output $(wc -l <"$tmp/m.out") lines, identical"
printf '| tool | renders | time a render | memory a render |\n|---|---|---|---|\n'
awk -v s="$m_s" -v b="$m_b" -v n="$N" 'BEGIN { printf "| muster | %d | %.3f ms | %.0f KB (arena) |\n", n, s*1000, b/1024 }'
awk -v s="$a_s" -v k="$a_kb" -v n="$an" 'BEGIN { printf "| Ansible Templar | %d | %.3f ms | %d KB (peak RSS growth, whole run) |\n", n, s*1000, k }'
awk -v m="$m_s" -v a="$a_s" 'BEGIN { printf "muster is %.0fx faster a render\n", a/m }'
