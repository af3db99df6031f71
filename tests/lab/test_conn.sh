#!/usr/bin/env bash
# Connections on real sshd hosts: a changed host key is refused naming the
# host and the known_hosts file and line; accept-new adds each key exactly
# once under 100 parallel first connections; strict checking refuses an
# unknown key; ProxyJump goes through another lab host; become via sudo
# from an unprivileged user; the local connection.  TAP.
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_conn.sh MUSTER CONN_DRIVER}")
DRIVER=$(realpath "${2:?usage: test_conn.sh MUSTER CONN_DRIVER}")
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root for the lab"; exit 0; fi
export LAB_NET=127.40 LAB_DIR=/tmp/muster-lab-conn
N=100
n=0 failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
tmp=$(mktemp -d)
trap '"$here/lab.sh" down >/dev/null 2>&1; rm -rf "$tmp"' EXIT
"$here/lab.sh" up $N >"$tmp/up.log" 2>&1 || { echo "1..0 # SKIP lab did not start"; exit 0; }
cd "$tmp"
# An inventory without the lab's known_hosts: muster's own file decides.
sed '/ansible_ssh_common_args/d' "$LAB_DIR/inventory.ini" >inv.ini
echo "ansible_ssh_common_args='-o UserKnownHostsFile=$tmp/kh'" >>inv.ini

# strict (the default): unknown keys are refused, nothing is written
"$MUSTER" 'lab[0:4]' -i inv.ini -a true >out 2>&1; rc=$?
ok $([ $rc = 4 ] && grep -q "host key for 'h1' (127.40.1.1) is not known: add it to $tmp/kh or use --host-key-checking accept-new" out && [ ! -s kh ] && echo 0 || echo 1) "strict checking refuses unknown keys and writes nothing"

# accept-new: 100 parallel first connections add each key exactly once
"$MUSTER" lab -i inv.ini -a true --host-key-checking accept-new >out 2>&1; rc=$?
ok $rc "accept-new: 100 hosts reachable on first contact"
lines=$(grep -c . kh); uniq=$(sort -u kh | grep -c .)
ok $([ "$lines" = $N ] && [ "$uniq" = $N ] && echo 0 || echo 1) "known_hosts holds exactly $N distinct lines (has $lines, $uniq distinct)"
"$MUSTER" lab -i inv.ini -a true --host-key-checking accept-new >/dev/null 2>&1
ok $([ "$(grep -c . kh)" = $N ] && echo 0 || echo 1) "a second run adds nothing"
"$MUSTER" lab -i inv.ini -a true >/dev/null 2>&1; ok $? "strict checking now accepts them"

# a changed host key is always refused, naming host, file and line
line=$(grep -n '^127.40.1.7 ' kh | cut -d: -f1)
"$here/lab.sh" reset 7 >/dev/null 2>&1
cp "$LAB_DIR/keys/h7" "$LAB_DIR/keys/h7.keep"; cp "$LAB_DIR/keys/h7.pub" "$LAB_DIR/keys/h7.pub.keep"
rm -f "$LAB_DIR/keys/h7" "$LAB_DIR/keys/h7.pub"
"$here/lab.sh" reset 7 >/dev/null 2>&1
for mode in yes accept-new; do
  "$MUSTER" h7 -i inv.ini -a true --host-key-checking $mode >out 2>&1; rc=$?
  ok $([ $rc = 4 ] && grep -q "host key for 'h7' (127.40.1.7) has CHANGED: the key on record is at $tmp/kh:$line" out && echo 0 || echo 1) "changed key refused with --host-key-checking $mode, naming $tmp/kh:$line"
done
"$MUSTER" h7 -i inv.ini -a true --host-key-checking off >/dev/null 2>&1; ok $? "--host-key-checking off connects anyway"

# ProxyJump through h1 to h2: only h1 knows the name "behind-h1"; the
# controller cannot resolve it, so a working connection went through h1.
"$here/lab.sh" ssh 1 'echo "127.40.1.2 behind-h1" >> /etc/hosts'
cat >pj.ini <<EOF2
h2 ansible_host=behind-h1 ansible_ssh_common_args='-o ProxyJump=root@127.40.1.1 -o UserKnownHostsFile=$LAB_DIR/known_hosts -o StrictHostKeyChecking=no'
[all:vars]
ansible_user=root
ansible_ssh_private_key_file=$LAB_DIR/id_ed25519
EOF2
! getent hosts behind-h1 >/dev/null; ok $? "the controller cannot resolve behind-h1"
[ "$("$MUSTER" h2 -i pj.ini -a hostname -o 2>&1)" = "h2 | CHANGED | rc=0 | (stdout) h2" ]
ok $? "ProxyJump: h2 answers through h1"

# become: the lab's user muster has passwordless sudo
cat >user.ini <<EOF2
h3 ansible_host=127.40.1.3 ansible_user=muster ansible_ssh_private_key_file=$LAB_DIR/id_ed25519 ansible_ssh_common_args='-o UserKnownHostsFile=$LAB_DIR/known_hosts'
EOF2
[ "$("$MUSTER" h3 -i user.ini -a 'id -un' -o 2>&1)" = "h3 | CHANGED | rc=0 | (stdout) muster" ]; ok $? "without -b commands run as the login user"
[ "$("$MUSTER" h3 -i user.ini -a 'id -un' -o -b 2>&1)" = "h3 | CHANGED | rc=0 | (stdout) root" ]; ok $? "-b runs them as root through sudo"
[ "$("$MUSTER" h3 -i user.ini -a 'id -un' -o -b --become-user nobody 2>&1)" = "h3 | CHANGED | rc=0 | (stdout) nobody" ]; ok $? "--become-user nobody"
"$here/lab.sh" ssh 3 'rm /etc/sudoers.d/muster' >/dev/null 2>&1
out=$("$MUSTER" h3 -i user.ini -a 'id -un' -b 2>&1); rc=$?
ok $([ $rc = 2 ] && echo "$out" | grep -q 'sudo' && echo 0 || echo 1) "become without sudo rights fails the task (not the host) with sudo's message"

# files: put is atomic (temporary file, then rename) and keeps the mode
out=$("$DRIVER" h4 127.40.1.4 "$LAB_DIR/id_ed25519" "$LAB_DIR/known_hosts" root no /etc/muster-put 2>&1)
ok $([ "$(echo "$out" | head -1)" = "first: mode 0640 size 3 uid 0" ] && echo 0 || echo 1) "put creates the file with the mode asked ($(echo "$out" | head -1))"
echo "$out" | grep -qx 'second: mode 0640 content v2'; ok $? "a second put replaces the content and keeps the mode"
echo "$out" | grep -qx 'missing: exists 0'; ok $? "stat of a missing path says so"
echo "$out" | grep -q "cap: '/etc/muster-put' on 'h4' is larger than 2 bytes"; ok $? "get refuses more than its cap"
up=$("$here/lab.sh" upper 4)
[ -z "$(ls -A "$up/etc" | grep '^\.muster\.')" ]; ok $? "no temporary file is left beside it"
out=$("$DRIVER" h3 127.40.1.3 "$LAB_DIR/id_ed25519" "$LAB_DIR/known_hosts" muster no /etc/muster-put 2>&1); rc=$?
ok $([ $rc = 1 ] && echo "$out" | grep -q "cannot write '/etc/muster-put' on 'h3'" && echo 0 || echo 1) "put without rights fails with a clear message"
"$here/lab.sh" ssh 5 'install -d /home/muster/own && touch /home/muster/own/f && chown -R muster: /home/muster/own' >/dev/null
"$DRIVER" h5 127.40.1.5 "$LAB_DIR/id_ed25519" "$LAB_DIR/known_hosts" root no /home/muster/own/f >/dev/null 2>&1
[ "$("$here/lab.sh" ssh 5 'stat -c %U /home/muster/own/f')" = muster ]; ok $? "put keeps the owner of an existing file"

# -F: an ssh_config gives the address, user, key and known_hosts
printf '[lab]\nh6\nh8\n' >bare.ini
[ "$("$MUSTER" lab -i bare.ini -F "$LAB_DIR/ssh_config" -a hostname -o 2>&1 | sort | tr '\n' ' ')" = "h6 | CHANGED | rc=0 | (stdout) h6 h8 | CHANGED | rc=0 | (stdout) h8 " ]
ok $? "-F ssh_config: Host, HostName, User, IdentityFile, UserKnownHostsFile"

# raw runs the text as it is
[ "$("$MUSTER" h9 -i "$LAB_DIR/inventory.ini" -m raw -a 'echo raw; exit 3' -o 2>&1)" = "h9 | FAILED | rc=3 | (stdout) raw\n" ]
ok $? "raw: output kept as is, rc reported"

# The resident shell: commands without stdin share one /bin/sh per host
# (one channel for the session, not one a command), each still in its own
# "sh -c": nothing leaks from one to the next; output without a final
# newline, megabytes on both streams, and a shell killed under a command.
cat >resident.yml <<'EOF2'
- hosts: h10
  gather_facts: false
  vars:
    payload: "a'b\"c\n$HOME `x` MUSTER_x\n\n"
    payload_lines: ["a'b\"c", "$HOME `x` MUSTER_x"]
  tasks:
    - {shell: 'cat /proc/$PPID/comm; echo $PPID', register: p1}
    - {shell: 'cat /proc/$PPID/comm; echo $PPID', register: p2}
    - {shell: 'cd /tmp; X=leak; export Y=leak; umask 077; printf "no newline"', register: nl}
    - {shell: 'pwd; echo "[$X][$Y]"; umask', register: env}
    - shell: head -c 3000000 /dev/zero | tr '\0' e >&2; head -c 2000000 /dev/zero | tr '\0' o; echo; echo done
      register: big
    # (with a channel a command, $PPID is sshd's session: not for that run)
    - {shell: 'echo before; kill -9 $PPID; sleep 1', register: killed, ignore_errors: true, when: kill | bool}
    - {command: echo after, register: after}
    - {shell: 'exit 7', register: seven, failed_when: false}
    # stdin through the shell: base64 in a here-document
    - command: cat
      args: {stdin: "{{ payload }}"}
      register: si
    - {copy: {src: "{{ bin }}", dest: /tmp/muster-bin}}
    - {stat: {path: /tmp/muster-bin}, register: bst}
    - debug:
        msg: >-
          parent={{ p1.stdout_lines[0] }} same={{ p1.stdout == p2.stdout }}
          nl=[{{ nl.stdout }}]
          env={{ env.stdout_lines | join(',') }}
          big={{ big.stdout | length }},{{ big.stderr | length }},{{ big.stdout_lines[-1] }}
          killed={{ killed.rc | default(1) != 0 }}
          after={{ after.stdout }}
          seven={{ seven.rc }}
          stdin={{ si.stdout_lines == payload_lines }}
          bin={{ bst.stat.checksum == binsum }}
EOF2
{ head -c 300000 /dev/urandom; printf "$(printf '\\%03o' $(seq 0 255))"; } >bin
binsum=$(sha1sum bin | cut -d' ' -f1)
"$MUSTER" -i "$LAB_DIR/inventory.ini" resident.yml -e kill=true -e bin="$PWD/bin" -e binsum=$binsum >out 2>&1; rc=$?
msg=$(grep -o '"msg": "parent=.*"' out)
ok $([ $rc = 0 ] && echo "$msg" | grep -q 'parent=sh same=True ' && echo 0 || echo 1) "two commands run under the same resident shell ($msg)"
echo "$msg" | grep -q 'nl=\[no newline\] env=/root,\[\]\[\],0022 '; ok $? "each command starts afresh: cwd, variables, umask; output without a newline kept exactly"
echo "$msg" | grep -q 'big=2000005,3000000,done '; ok $? "2 MB of stdout and 3 MB of stderr come back whole"
echo "$msg" | grep -q 'killed=True after=after seven=7'; ok $? "a command that kills the shell fails alone; the next gets a new shell; exit codes pass through"
echo "$msg" | grep -q 'stdin=True bin=True'; ok $? "stdin and a binary upload (every byte value) arrive whole through the shell"
MUSTER_SSH_SHELL=0 "$MUSTER" -i "$LAB_DIR/inventory.ini" resident.yml -e kill=false -e bin="$PWD/bin" -e binsum=$binsum >out 2>&1; rc=$?
msg=$(grep -o '"msg": "parent=.*"' out)
ok $([ $rc = 0 ] && echo "$msg" | grep -q 'parent=sshd same=True nl=\[no newline\] env=/root,\[\]\[\],0022 big=2000005,3000000,done killed=True after=after seven=7 stdin=True bin=True' && echo 0 || echo 1) "MUSTER_SSH_SHELL=0: a channel a command, same results ($msg)"

# the local connection needs no sshd at all
[ "$("$MUSTER" localhost -a 'echo local' -o 2>&1)" = "localhost | CHANGED | rc=0 | (stdout) local" ]; ok $? "implicit localhost runs locally"
echo "1..$n"
[ $failed = 0 ]
