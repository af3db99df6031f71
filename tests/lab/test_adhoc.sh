#!/usr/bin/env bash
# Ad-hoc commands across real SSH hosts of the lab: folding, Ansible's
# per-host format (compared with `ansible` itself), -o, -t, exit codes, a
# host that dies mid-run, bad input.  TAP.
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_adhoc.sh MUSTER_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root for the lab"; exit 0; fi
export LAB_NET=${LAB_NET:-127.50} LAB_DIR=${LAB_DIR:-/tmp/muster-lab-adhoc}
N=50
n=0 failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
cleanup() { "$here/lab.sh" down >/dev/null 2>&1 || true; rm -rf "$tmp"; }
tmp=$(mktemp -d)
# Each test its own Ansible temp dir: parallel first runs race on ~/.ansible.
export ANSIBLE_LOCAL_TEMP="$tmp/ansible-tmp"
trap cleanup EXIT
"$here/lab.sh" up $N >"$tmp/up.log" 2>&1 || { echo "1..0 # SKIP lab did not start: $(tail -1 "$tmp/up.log")"; exit 0; }
INV=$LAB_DIR/inventory.ini
cd "$tmp"

# 1. identical answers fold into one block naming the hosts
"$MUSTER" lab -i "$INV" -a 'echo hello' >out 2>err; rc=$?
ok $rc "echo on $N hosts exits 0"
printf 'h[1-%d] (%d) | CHANGED | rc=0 >>\nhello\n' $N $N >want
diff -u want out >&2; ok $? "identical output folded into h[1-$N] ($N)"

# 2. different answers stay apart, one block each
"$MUSTER" lab -i "$INV" -a 'hostname' >out 2>err
ok $([ "$(grep -c '| CHANGED | rc=0 >>' out)" = $N ] && echo 0 || echo 1) "$N distinct answers give $N blocks"
grep -qx 'h7' out; ok $? "h7 answers with its own hostname"

# 3. --no-fold prints exactly what ansible prints (order aside)
"$MUSTER" 'lab[0:4]' -i "$INV" -a 'echo x y' --no-fold >out 2>err
ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_SSH_ARGS='-o UserKnownHostsFile=/dev/null' \
  /usr/bin/ansible 'lab[0:4]' -i "$INV" -a 'echo x y' -f 5 >ans 2>ans.err
# ansible prints each block as one "host | ... >>" line and its output
python3 - out ans <<'PY' >&2
import sys
def blocks(p):
    text = open(p).read()
    out, cur = [], None
    for line in text.splitlines():
        if ' | ' in line and line.rstrip().endswith('>>'):
            cur = [line]; out.append(cur)
        elif cur is not None:
            cur.append(line)
    return sorted('\n'.join(b) for b in out)
a, b = blocks(sys.argv[1]), blocks(sys.argv[2])
print("muster:", a, "\nansible:", b)
sys.exit(0 if a == b and len(a) == 5 else 1)
PY
ok $? "--no-fold output equals ansible's for 5 hosts"

# 4. -o: one line a host, as ansible -o
"$MUSTER" 'lab[0:2]' -i "$INV" -a 'printf "a\nb"' -o >out 2>err
ok $([ "$(wc -l <out)" = 3 ] && grep -qx 'h1 | CHANGED | rc=0 | (stdout) a\\nb' out && echo 0 || echo 1) "-o prints one line a host with \\n escaped"

# 5. a failing command on some hosts: exit 2, failures named
"$MUSTER" lab -i "$INV" -m shell -a 'test $(hostname) != h3 && test $(hostname) != h9' >out 2>err; rc=$?
ok $([ $rc = 2 ] && echo 0 || echo 1) "failed hosts give exit code 2 (got $rc)"
grep -q '^h3 | FAILED | rc=1 >>' out && grep -q '^h9 | FAILED | rc=1 >>' out
ok $? "failed hosts are listed by name"

# 6. -t DIR writes one JSON result per host
"$MUSTER" 'lab[0:2]' -i "$INV" -a 'echo t' -t tree >/dev/null 2>&1
python3 -c 'import json,sys; d=json.load(open("tree/h2")); sys.exit(0 if d["stdout"]=="t" and d["rc"]==0 else 1)'
ok $? "-t writes tree/h2 with the result as JSON"

# 7. a host whose sshd dies mid-run: the others finish, exit 4, host named
pid=$("$here/lab.sh" status 2>/dev/null | awk '$1=="h5"{print $3}')
( sleep 1; kill -9 "$pid" 2>/dev/null ) &
start=$(date +%s)
"$MUSTER" lab -i "$INV" -m shell -a 'sleep 3; echo done' -T 5 >out 2>err; rc=$?
wait
ok $([ $rc = 4 ] && echo 0 || echo 1) "a dead host gives exit code 4 (got $rc)"
grep -q '^h5 | UNREACHABLE!' out; ok $? "the dead host is named UNREACHABLE"
ok $([ "$(grep -c '^done$' out)" -ge 1 ] && grep -q "(`expr $N - 1`) | CHANGED" out && echo 0 || echo 1) "the other $((N-1)) hosts finished"
ok $([ $(( $(date +%s) - start )) -lt 30 ] && echo 0 || echo 1) "the dead host did not stall the run"
"$here/lab.sh" reset 5 >/dev/null 2>&1 || "$here/lab.sh" up $N >/dev/null 2>&1

# 8. bad input: unknown module, unknown argument, unknown pattern
"$MUSTER" lab -i "$INV" -m nosuchmodule -a x >out 2>err; rc=$?
ok $([ $rc = 1 ] && grep -q "couldn't resolve module/action 'nosuchmodule'" err && echo 0 || echo 1) "unknown module: exit 1 with a message"
"$MUSTER" lab -i "$INV" -m ping -a 'dta=x' >out 2>err; rc=$?
ok $([ $rc = 1 ] && grep -q "unknown argument 'dta' for module 'ping' (did you mean 'data'?)" err && echo 0 || echo 1) "unknown argument refused before any host is touched"
"$MUSTER" nosuchgroup -i "$INV" -a true >out 2>err; rc=$?
ok $([ $rc = 0 ] && grep -q 'Could not match supplied host pattern, ignoring: nosuchgroup' err && echo 0 || echo 1) "unknown pattern: Ansible's warning, exit 0"

# 9. ping module and become
"$MUSTER" 'lab[0:1]' -i "$INV" -m ping >out 2>err
grep -q '"ping": "pong"' out; ok $? "ping answers pong"
echo "1..$n"
[ $failed = 0 ]
