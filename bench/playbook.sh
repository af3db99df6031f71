#!/usr/bin/env bash
# bench/playbook.sh [N...]: the node bootstrap playbook (bench/playbook/
# bootstrap.yml: facts, fstab, copy, template, lineinfile, blockinfile,
# group, user, file, a 1 MiB copy, command with creates, a handler; 16
# tasks) on N lab hosts (default "10 50 100"), a first run on fresh hosts
# and a second run (nothing to change), muster against ansible-playbook
# (forks N, pipelining and ControlPersist on).  The tools alternate (which
# one goes first flips with each N); the hosts are reset before each first
# run, with a swap line seeded in /etc/fstab.  The table reports wall time,
# the controller's CPU (user+sys of the tool's whole process tree), the
# peak RSS (of the largest process in the tree) and ansible/muster.
# BENCH_NO_USER=1 leaves the group and user tasks out (they are also left
# out when this muster does not know those modules).  Talks only to the
# lab's loopback addresses.  BENCH_TOOLS="muster" (or "ansible") runs only
# that tool, for profiling; BENCH_KEEP=DIR keeps the outputs, the
# inventories and blob there, and leaves the lab up.
set -euo pipefail
NS=${*:-10 50 100}
top=$(cd "$(dirname "$0")/.." && pwd)
# The release build (scripts/demo.sh makes it), unless MUSTER says otherwise.
if [ -z "${MUSTER:-}" ]; then
  [ -d "$top/build-release" ] || meson setup "$top/build-release" -Dbuildtype=release >/dev/null
  ninja -C "$top/build-release" >/dev/null
  MUSTER=$top/build-release/muster
fi
export LAB_NET=${LAB_NET:-127.72} LAB_DIR=${LAB_DIR:-/tmp/muster-lab-benchpb}
lab=$top/tests/lab/lab.sh
max=0
for n in $NS; do [ "$n" -gt $max ] && max=$n; done
"$lab" up "$max" >/dev/null
tmp=$(mktemp -d)
if [ -n "${BENCH_KEEP:-}" ]; then
  trap 'mkdir -p "$BENCH_KEEP" && cp -r "$tmp"/. "$BENCH_KEEP"/; rm -rf "$tmp"' EXIT
else
  trap '"$lab" down >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
fi
pb=$top/bench/playbook/bootstrap.yml
head -c 1048576 /dev/urandom >"$tmp/blob.bin"

# The user and group modules: on unless switched off or unknown to muster.
with_user=true
printf -- '- hosts: all\n  tasks:\n    - user: {name: x}\n    - group: {name: x}\n' >"$tmp/probe.yml"
if [ "${BENCH_NO_USER:-}" = 1 ] ||
   ! "$MUSTER" -i "$LAB_DIR/inventory.ini" "$tmp/probe.yml" --syntax-check >/dev/null 2>&1; then
  with_user=false
fi

inventory() { # n -> $tmp/inv-N: hosts h1..hN in group bench
  local n=$1 i
  { echo "[bench]"
    for i in $(seq 1 "$n"); do
      echo "h$i ansible_host=$LAB_NET.$(( 1 + (i - 1) / 254 )).$(( 1 + (i - 1) % 254 ))"
    done
    echo "[all:vars]"
    echo "ansible_user=root"
    echo "ansible_ssh_private_key_file=$LAB_DIR/id_ed25519"
    echo "ansible_ssh_common_args='-o UserKnownHostsFile=$LAB_DIR/known_hosts'"
    echo "ansible_python_interpreter=/usr/bin/python3"
  } >"$tmp/inv-$n"
}

fresh() { # n: reset h1..hN (16 at a time), seed a swap line in fstab
  seq 1 "$1" | xargs -P 16 -I{} "$lab" reset {} >/dev/null
  local i u
  for i in $(seq 1 "$1"); do
    u=$("$lab" upper "$i")
    printf '%s\n' 'UUID=1234 / ext4 errors=remount-ro 0 1' \
      '/swap.img none swap sw 0 0' >"$u/etc/fstab"
  done
}

# One script a tool, so /usr/bin/time measures its whole process tree.
script() { # tool n
  local args="-i $tmp/inv-$2 $pb -f $2 -e blob=$tmp/blob.bin -e with_user=$with_user"
  if [ "$1" = muster ]; then
    echo "\"$MUSTER\" $args >$tmp/out-$1-$2 2>&1"
  else
    cat <<SH
ANSIBLE_PIPELINING=True ANSIBLE_LOCAL_TEMP=$tmp/ansible-tmp \\
ANSIBLE_SSH_CONTROL_PATH_DIR=$tmp/cp \\
ANSIBLE_SSH_ARGS='-o ControlMaster=auto -o ControlPersist=60s' \\
  /usr/bin/ansible-playbook $args >$tmp/out-$1-$2 2>&1
SH
  fi
}
measure() { # tool n run -> appends "n run tool wall cpu rss_kb rc"
  local rc=0
  script "$1" "$2" >"$tmp/$1.sh"
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" bash "$tmp/$1.sh" || rc=$?
  awk -v n="$2" -v r="$3" -v t="$1" -v rc=$rc \
    '{printf "%s %s %s %s %.2f %s %s\n", n, r, t, $1, $2+$3, $4, rc}' "$tmp/t" >>"$tmp/res"
  cp "$tmp/out-$1-$2" "$tmp/out-$1-$2-$3"
}

flip=0
for n in $NS; do
  inventory "$n"
  if [ $flip = 0 ]; then order="muster ansible"; else order="ansible muster"; fi
  [ -n "${BENCH_TOOLS:-}" ] && order=$BENCH_TOOLS
  flip=$((1 - flip))
  for t in $order; do
    fresh "$n"
    measure "$t" "$n" first
    measure "$t" "$n" second
    for r in first second; do
      echo "bench: $t on $n hosts, $r run: $(sed -n '/^PLAY RECAP/,$p' "$tmp/out-$t-$n-$r" | sed -n 2p)" >&2
    done
  done
done

echo "node bootstrap playbook ($(awk '/^  tasks:/{t=1} t && /^    - name:/{n++} END{print n}' "$pb") tasks, facts and a handler$([ $with_user = false ] && echo ', group and user tasks skipped'))" \
  "on N lab hosts, one run each; forks N; ansible with pipelining and ControlPersist"
printf '| %5s | %-6s | %-7s | %8s | %8s | %12s | %14s |\n' N run tool "wall s" "CPU s" "peak RSS MB" "ansible/muster"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------- -------- --------- ---------- ---------- -------------- ----------------
awk '{k=$1" "$2; w[k" "$3]=$4; c[k" "$3]=$5; m[k" "$3]=$6; rc[k" "$3]=$7; if (!(k in seen)) {seen[k]=1; ord[++nk]=k}}
  END {
    for (i = 1; i <= nk; i++) {
      k = ord[i]; split(k, p, " ")
      for (j = 1; j <= 2; j++) {
        t = j == 1 ? "muster" : "ansible"
        ratio = t == "ansible" && w[k" muster"] > 0 ? sprintf("%.1fx wall, %.1fx CPU", w[k" ansible"]/w[k" muster"], c[k" muster"] > 0 ? c[k" ansible"]/c[k" muster"] : 0) : ""
        printf "| %5s | %-6s | %-7s | %8.2f | %8.2f | %12.1f | %14s |%s\n", p[1], p[2], t, w[k" "t], c[k" "t], m[k" "t]/1024, ratio, rc[k" "t] != 0 ? " exit " rc[k" "t] : ""
      }
    }
  }' "$tmp/res"
