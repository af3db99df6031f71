# tests/diff/modules/lib.sh: the differential harness for file-changing
# modules, sourced by test_*.sh.  A case is a playbook that works under
# "{{ root }}"; ansible-playbook and muster each run it on their own fresh
# root (local connection, as root), and the harness compares:
#   1. the exit code and the PLAY RECAP of the first run,
#   2. the trees they left (paths, types, modes, owners, contents, links),
#   3. the second run: same recap, changed=0 for both,
#   4. a --check run on a fresh root: same recap, the tree untouched,
#   5. with DIFF=1, the --diff output's presence.
# Seed files go in "$SEED" (a directory copied into each root first).
# TAP output; call case NAME PLAYBOOK_FILE, then finish.
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_x.sh MUSTER}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export ANSIBLE_LOCAL_TEMP="$tmp/ansible-tmp" ANSIBLE_LOCALHOST_WARNING=False \
    ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_RETRY_FILES_ENABLED=False \
    ANSIBLE_NOCOLOR=1
printf '[t]\nlocalhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' >"$tmp/hosts"
n=0 failed=0
SEED=${SEED:-}

tree() { # a root's state, one line a path
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do
    if [ -L "$p" ]; then printf '%s link %s %s -> %s\n' "$p" "$(stat -c '%U:%G' "$p")" "" "$(readlink "$p")"
    elif [ -d "$p" ]; then printf '%s dir %s\n' "$p" "$(stat -c '%a %U:%G' "$p")"
    else printf '%s file %s %s\n' "$p" "$(stat -c '%a %U:%G %h' "$p")" "$(sha1sum <"$p" | cut -c1-12)"; fi
  done)
}
recap() { sed -n '/^PLAY RECAP/,$p' "$1"; }
fresh() { rm -rf "$1"; mkdir -p "$1"; if [ -n "$SEED" ]; then cp -a "$SEED"/. "$1"/; fi; }
check() { # name, condition result (0 ok), detail file
  n=$((n+1))
  if [ "$2" = 0 ]; then echo "ok $n - $1"; else
    echo "not ok $n - $1"; [ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3" | head -30
    failed=$((failed+1)); fi
}
run() { # tool, root, playbook, out, extra args...
  local tool=$1 root=$2 pb=$3 out=$4; shift 4
  if [ "$tool" = ansible ]; then
    /usr/bin/ansible-playbook -i "$tmp/hosts" "$pb" -e "root=$root" "$@" >"$out" 2>&1
  else
    "$MUSTER" -i "$tmp/hosts" "$pb" -e "root=$root" "$@" >"$out" 2>&1
  fi
}
function case { # name, playbook (called as \case: case is a keyword)
  local name=$1 pb=$2 a=$tmp/a m=$tmp/m arc mrc
  fresh "$a"; fresh "$m"
  # ansible-playbook is the slow one: run it beside muster, not after it.
  run ansible "$a" "$pb" "$tmp/a1" & apid=$!
  run muster "$m" "$pb" "$tmp/m1"; mrc=$?
  wait $apid; arc=$?
  { echo "ansible rc=$arc muster rc=$mrc"; diff <(recap "$tmp/a1") <(recap "$tmp/m1"); tail -20 "$tmp/m1"; } >"$tmp/d"
  [ $arc = $mrc ] && diff -q <(recap "$tmp/a1") <(recap "$tmp/m1") >/dev/null
  check "$name: first run, same exit code and recap" $? "$tmp/d"
  diff <(tree "$a") <(tree "$m") >"$tmp/d"
  check "$name: first run, same files" $? "$tmp/d"
  run ansible "$a" "$pb" "$tmp/a2" & apid=$!
  run muster "$m" "$pb" "$tmp/m2"; wait $apid
  { diff <(recap "$tmp/a2") <(recap "$tmp/m2"); tail -20 "$tmp/m2"; } >"$tmp/d"
  diff -q <(recap "$tmp/a2") <(recap "$tmp/m2") >/dev/null && recap "$tmp/m2" | grep -q 'changed=0 '
  check "$name: second run, same recap, changed=0" $? "$tmp/d"
  diff <(tree "$a") <(tree "$m") >"$tmp/d"
  check "$name: second run, same files" $? "$tmp/d"
  fresh "$a"; fresh "$m"; tree "$m" >"$tmp/before"
  run ansible "$a" "$pb" "$tmp/a3" --check & apid=$!
  run muster "$m" "$pb" "$tmp/m3" --check; wait $apid
  { diff <(recap "$tmp/a3") <(recap "$tmp/m3"); diff "$tmp/before" <(tree "$m"); tail -20 "$tmp/m3"; } >"$tmp/d"
  diff -q <(recap "$tmp/a3") <(recap "$tmp/m3") >/dev/null && diff -q "$tmp/before" <(tree "$m") >/dev/null
  check "$name: --check, same recap, nothing changed" $? "$tmp/d"
}
finish() { echo "1..$n"; [ $failed = 0 ]; }
