# tests/diff/lab/lib.sh: the differential harness on real SSH hosts.
# Sourced by tests/diff/lab/test_NAME.sh:
#
#   source "$(dirname "$0")/lib.sh" "$1"      # $1 = the muster binary
#   \case NAME PLAYBOOK [extra args for both tools...]
#   finish
#
# ("\case": case is a shell keyword, the backslash calls the function.)
# The lib starts its own lab of 4 hosts (tests/lab/lab.sh up 4) on a net
# picked from the test script's name (127.100-127.199, the next free one if
# another run holds it) and takes it down on exit.  Hosts h1,h2 are
# Ansible's n1,n2 and h3,h4 muster's n1,n2; inside, their hostnames read
# n1/n2 on both sides.  Inventories have groups first=[n1], second=[n2],
# nodes=[n1,n2].  Each case:
#   1. resets h1..h4 to fresh upper layers, runs SEED_CMD on each (sh, root),
#      runs ansible-playbook and muster at once;
#   2. compares exit codes and PLAY RECAP, and the overlay upper layers of
#      h1 vs h3 and h2 vs h4 (paths, types incl. whiteouts, modes, owners,
#      link targets, content hashes);
#   3. runs both again: same recap, changed=0, same upper layers;
#   4. unless NO_CHECK=1, runs both with --check on fresh hosts: same
#      recap, muster's hosts left as fresh as before.
# Settings (variables, read by each case):
#   SEED_CMD         shell run as root on every host after its reset
#   INVENTORY_EXTRA  text appended to both inventories
#   EXCLUDE          extended regex of upper-layer paths to skip ("etc/foo$")
#   NORMALIZE        sed script applied to file contents before hashing
#   NO_CHECK=1       skip the --check run
#   NO_SECOND=1      skip the second run
#   LAB_KEEP=1       (environment) leave the lab and $OUT for a look
#   LAB_CASES=REGEX  (environment) run only the cases whose name matches
#   TODO=REASON      a known muster bug: failing checks print as TAP TODO
#   AFTER_FIRST      a function called after the first run (before the second
#                    run), with A1 A2 M1 M2 = the hosts' upper layer paths
# Contents are normalised first: each side's n1 and n2 addresses read @N1@
# and @N2@.  Outputs for extra checks: $OUT/ansible1 $OUT/muster1 (first
# run), ...2 (second), ...3 (--check); `check NAME RC [DETAIL_FILE]` adds a
# TAP line.  Runs as root; without root or a lab, skips.  Default excluded
# paths: root/.ansible, home/*/.ansible, var/log, var/cache, var/tmp, tmp,
# run, the sshd host keys, __pycache__ (Python's caches on Ansible's side).
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_x.sh MUSTER}")
LAB_SH=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../lab" && pwd)/lab.sh
CASE_DIR=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root for the lab"; exit 0; fi
OUT=$(mktemp -d /tmp/muster-difflab-out.XXXXXX)
n=0 failed=0
SEED_CMD=${SEED_CMD:-} INVENTORY_EXTRA=${INVENTORY_EXTRA:-} EXCLUDE=${EXCLUDE:-}
NORMALIZE=${NORMALIZE:-} NO_CHECK=${NO_CHECK:-} NO_SECOND=${NO_SECOND:-}
AFTER_FIRST=${AFTER_FIRST:-}

# The net: a hash of the script's name into 127.100-127.199; if another run
# holds it (a lock on it), the next one.  One lock fd for the whole run.
_lab_pick_net() {
  local base i x
  base=$(( $(basename "$0" | cksum | cut -d' ' -f1) % 100 ))
  for i in $(seq 0 99); do
    x=$(( 100 + (base + i) % 100 ))
    exec 9>"/tmp/muster-difflab-127.$x.lock"
    if flock -n 9; then echo "127.$x" >"$OUT/net"; return 0; fi
    exec 9>&-
  done
  return 1
}
_lab_pick_net || { echo "1..0 # SKIP no free lab net"; exit 0; }
export LAB_NET; LAB_NET=$(cat "$OUT/net")
export LAB_DIR=/tmp/muster-difflab-$LAB_NET
lab() { "$LAB_SH" "$@" 9>&-; }
_lab_cleanup() {
  if [ -n "${LAB_KEEP:-}" ]; then echo "# kept: $OUT, lab $LAB_DIR"; return; fi
  lab down >/dev/null 2>&1
  rm -rf "$OUT" "$LAB_DIR"
}
trap _lab_cleanup EXIT
lab down >/dev/null 2>&1    # a previous run's leftovers under this net
for _i in 1 3; do lab name $_i n1; done
for _i in 2 4; do lab name $_i n2; done
if ! lab up 4 >"$OUT/up.log" 2>&1; then
  echo "1..0 # SKIP lab did not start: $(tail -1 "$OUT/up.log")"; exit 0
fi
addr() { echo "$LAB_NET.1.$1"; }
UP1=$(lab upper 1) UP2=$(lab upper 2) UP3=$(lab upper 3) UP4=$(lab upper 4)

# Ansible: its own temp and control dirs; pipelining and ControlPersist as
# a user would set them (the end state on the hosts is the same).
export ANSIBLE_LOCAL_TEMP="$OUT/ansible-tmp" ANSIBLE_RETRY_FILES_ENABLED=False \
  ANSIBLE_NOCOLOR=1 ANSIBLE_INVENTORY_UNPARSED_WARNING=False \
  ANSIBLE_PIPELINING=True ANSIBLE_SSH_CONTROL_PATH_DIR="$OUT/cp" \
  ANSIBLE_SSH_ARGS='-o ControlMaster=auto -o ControlPersist=60s' \
  ANSIBLE_DEPRECATION_WARNINGS=False ANSIBLE_HOST_KEY_CHECKING=True

_lab_inventory() { # first host number, file
  local a=$1 b=$(( $1 + 1 ))
  {
    echo "n1 ansible_host=$(addr $a)"
    echo "n2 ansible_host=$(addr $b)"
    printf '\n[first]\nn1\n\n[second]\nn2\n\n[nodes]\nn1\nn2\n\n[all:vars]\n'
    echo "ansible_user=root"
    echo "ansible_ssh_private_key_file=$LAB_DIR/id_ed25519"
    echo "ansible_ssh_common_args='-o UserKnownHostsFile=$LAB_DIR/known_hosts'"
    echo "ansible_python_interpreter=/usr/bin/python3"
    [ -n "$INVENTORY_EXTRA" ] && printf '\n%s\n' "$INVENTORY_EXTRA"
  } >"$2"
}

check() { # name, rc (0 ok), detail file
  n=$((n+1))
  if [ "$2" = 0 ]; then echo "ok $n - $1"
  elif [ -n "${TODO:-}" ]; then
    echo "not ok $n - $1 # TODO $TODO"
    [ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3" | head -40
  else
    echo "not ok $n - $1"
    [ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3" | head -40
    failed=$((failed+1)); fi
}

# Fresh hosts: reset the 4 at once (retrying a host that does not come
# back), then seed them.
_lab_fresh() {
  local i try pids=() bad=0
  for i in 1 2 3 4; do
    ( for try in 1 2 3; do
        lab reset $i >>"$OUT/reset.log" 2>&1 && exit 0
        sleep 0.5
      done; exit 1 ) & pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || bad=1; done
  [ $bad = 0 ] || { echo "# lab: a host did not come back"; tail -3 "$OUT/reset.log" | sed 's/^/# /'; return 1; }
  if [ -n "$SEED_CMD" ]; then
    pids=()
    for i in 1 2 3 4; do
      lab ssh $i "$SEED_CMD" >>"$OUT/seed.log" 2>&1 & pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || bad=1; done
    [ $bad = 0 ] || { echo "# lab: SEED_CMD failed"; tail -3 "$OUT/seed.log" | sed 's/^/# /'; return 1; }
  fi
  return 0
}

# An upper layer, one line a path: path type mode owner [target|hash].
# Contents are hashed after the address and NORMALIZE substitutions.
_lab_tree() { # upper dir, n1 address, n2 address
  /usr/bin/python3 - "$@" "$EXCLUDE" "$NORMALIZE" <<'PY'
import grp, hashlib, os, pwd, re, stat, subprocess, sys
up, a1, a2, exclude, normalize = sys.argv[1:6]
ex = re.compile(r'^(root/\.ansible|home/[^/]+/\.ansible|var/log|var/cache|var/tmp|tmp|run'
                r'|etc/ssh/ssh_host_[^/]*)(/|$)|(^|/)__pycache__(/|$)')
user_ex = re.compile(exclude) if exclude else None
addrs = [(re.compile((r'\b%s\b' % re.escape(a)).encode()), t)
         for a, t in ((a1, b'@N1@'), (a2, b'@N2@'))]
def norm(b):
    for r, t in addrs:
        b = r.sub(t, b)
    if normalize:
        b = subprocess.run(['sed', normalize], input=b, capture_output=True).stdout
    return b
def name(f, i):
    try:
        return f(i)[0]
    except KeyError:
        return str(i)
paths = []
for d, dirs, files in os.walk(up):
    for x in dirs + files:
        paths.append(os.path.relpath(os.path.join(d, x), up))
for p in sorted(paths):
    if ex.search(p) or (user_ex and user_ex.search(p)):
        continue
    full = os.path.join(up, p)
    st = os.lstat(full)
    own = '%s:%s' % (name(pwd.getpwuid, st.st_uid), name(grp.getgrgid, st.st_gid))
    mode = '%o' % stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        line = '%s link %s -> %s' % (p, own, norm(os.readlink(full).encode()).decode())
    elif stat.S_ISDIR(st.st_mode):
        line = '%s dir %s %s' % (p, mode, own)
        try:
            if os.getxattr(full, 'trusted.overlay.opaque', follow_symlinks=False) == b'y':
                line += ' opaque'
        except OSError:
            pass
    elif stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
        line = '%s whiteout' % p
    elif stat.S_ISREG(st.st_mode):
        with open(full, 'rb') as f:
            h = hashlib.sha1(norm(f.read())).hexdigest()[:12]
        line = '%s file %s %s %s' % (p, mode, own, h)
    else:
        line = '%s type=%o %s %s' % (p, stat.S_IFMT(st.st_mode), mode, own)
    print(line)
PY
}
# Both sides' trees after a run, named a-n1 a-n2 m-n1 m-n2 in dir $1.
_lab_trees() {
  mkdir -p "$1"
  _lab_tree "$UP1" "$(addr 1)" "$(addr 2)" >"$1/a-n1" ||
    echo "error: no tree for a-n1" >>"$1/a-n1" &
  _lab_tree "$UP2" "$(addr 1)" "$(addr 2)" >"$1/a-n2" ||
    echo "error: no tree for a-n2" >>"$1/a-n2" &
  _lab_tree "$UP3" "$(addr 3)" "$(addr 4)" >"$1/m-n1" ||
    echo "error: no tree for m-n1" >>"$1/m-n1" &
  _lab_tree "$UP4" "$(addr 3)" "$(addr 4)" >"$1/m-n2" ||
    echo "error: no tree for m-n2" >>"$1/m-n2" &
  wait
}
_lab_tree_diff() { # trees dir -> differences (h1 vs h3, h2 vs h4)
  local h rc=0
  for h in n1 n2; do
    diff -U0 "$1/a-$h" "$1/m-$h" | grep -v '^\(@@\|---\|+++\)' |
      sed "1s/^/[$h: - ansible, + muster]\n/" || true
    cmp -s "$1/a-$h" "$1/m-$h" || rc=1
  done
  return $rc
}

recap() { sed -n '/^PLAY RECAP/,$p' "$1" | sed 's/[[:space:]]*$//'; }

_lab_run() { # tag (1|2|3), playbook, extra args...
  local tag=$1 pb=$2 apid; shift 2
  # fd 9 (the net's lock) stays with this shell, not with ssh masters.
  { ( cd "$(dirname "$pb")" &&
      timeout 600 /usr/bin/ansible-playbook -i "$OUT/inv-a" "$pb" "$@" \
        >"$OUT/ansible$tag" 2>&1 9>&- ); echo $? >"$OUT/arc$tag"; } &
  apid=$!
  ( cd "$(dirname "$pb")" &&
    timeout 600 "$MUSTER" -i "$OUT/inv-m" "$pb" "$@" >"$OUT/muster$tag" 2>&1 9>&- )
  echo $? >"$OUT/mrc$tag"
  wait $apid
}
_lab_recap_cmp() { # tag -> detail in $OUT/d; 0 when rc and recap agree
  local t=$1 arc mrc
  arc=$(cat "$OUT/arc$t") mrc=$(cat "$OUT/mrc$t")
  { echo "ansible rc=$arc muster rc=$mrc"
    diff <(recap "$OUT/ansible$t") <(recap "$OUT/muster$t")
    echo "--- muster's output (tail):"; tail -15 "$OUT/muster$t"
    echo "--- ansible's output (tail):"; tail -8 "$OUT/ansible$t"
  } >"$OUT/d"
  [ "$arc" = "$mrc" ] && [ -n "$(recap "$OUT/muster$t")" ] &&
    cmp -s <(recap "$OUT/ansible$t") <(recap "$OUT/muster$t")
}

function case { # name, playbook, extra args for both tools...
  local name=$1 pb; pb=$(realpath "$2"); shift 2
  [ -n "${LAB_CASES:-}" ] && ! [[ $name =~ $LAB_CASES ]] && return
  local t0=$SECONDS
  _lab_inventory 1 "$OUT/inv-a"; _lab_inventory 3 "$OUT/inv-m"
  rm -f "$OUT"/ansible[123] "$OUT"/muster[123]
  if ! _lab_fresh; then check "$name: fresh hosts" 1; return; fi
  _lab_run 1 "$pb" "$@"
  _lab_recap_cmp 1; check "$name: first run, same exit code and recap" $? "$OUT/d"
  _lab_trees "$OUT/t1"
  _lab_tree_diff "$OUT/t1" >"$OUT/d"
  check "$name: first run, same files on the hosts" $? "$OUT/d"
  if [ -n "$AFTER_FIRST" ]; then
    A1=$UP1 A2=$UP2 M1=$UP3 M2=$UP4 "$AFTER_FIRST"
  fi
  if [ -z "$NO_SECOND" ]; then
    _lab_run 2 "$pb" "$@"
    _lab_recap_cmp 2
    local rc=$?
    if [ $rc = 0 ] && grep -Eq 'changed=[1-9]' <(recap "$OUT/muster2"; recap "$OUT/ansible2"); then
      rc=1; echo "a second run changed something" >>"$OUT/d"
    fi
    check "$name: second run, same recap, changed=0" $rc "$OUT/d"
    _lab_trees "$OUT/t2"
    _lab_tree_diff "$OUT/t2" >"$OUT/d"
    check "$name: second run, same files on the hosts" $? "$OUT/d"
  fi
  if [ -z "$NO_CHECK" ]; then
    if ! _lab_fresh; then check "$name: --check fresh hosts" 1; return; fi
    _lab_trees "$OUT/t0"
    _lab_run 3 "$pb" --check "$@"
    _lab_recap_cmp 3
    local rc=$?
    _lab_trees "$OUT/t3"
    for h in n1 n2; do
      diff -U0 "$OUT/t0/m-$h" "$OUT/t3/m-$h" | grep -v '^\(@@\|---\|+++\)' >>"$OUT/d"
      cmp -s "$OUT/t0/m-$h" "$OUT/t3/m-$h" || rc=1
    done
    check "$name: --check, same recap, muster's hosts untouched" $rc "$OUT/d"
  fi
  echo "# $name: $((SECONDS - t0)) s"
}

finish() { echo "1..$n"; [ $failed = 0 ]; }
