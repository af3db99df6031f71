#!/usr/bin/env bash
# muster's cluster modules (swap, kubeadm, kubectl, static_ip) on real SSH
# hosts of the lab, with the lab's recording stand-ins (tests/lab/standins):
# each module changes then changes nothing on a second run, --check changes
# nothing, --diff shows a diff, the stand-ins' records show kubeadm init once
# on the first host, join once on each other host (the join command passed
# through hostvars), kubectl apply once.  Then static_ip's rollback guard for
# real: a node sshd in a network namespace of its own, reached from a second
# namespace over a veth pair (10.231.0.0/24, inside the test's namespaces
# only, torn down at the end); a bad address comes back after the timeout,
# a good one stays.  TAP.
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_cluster_modules.sh MUSTER_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root for the lab"; exit 0; fi
export LAB_NET=${LAB_NET:-127.73} LAB_DIR=${LAB_DIR:-/tmp/muster-lab-cluster}
n=0 failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
NSA=muster-ipA-$$ NSB=muster-ipB-$$
tmp=$(mktemp -d)
cleanup() {
  [ -f "$tmp/node.pid" ] && kill -KILL "$(cat "$tmp/node.pid")" 2>/dev/null
  ip netns del "$NSA" 2>/dev/null; ip netns del "$NSB" 2>/dev/null
  for _ in $(seq 1 50); do grep -q "$tmp/m" /proc/*/mountinfo 2>/dev/null || break; sleep 0.1; done
  "$here/lab.sh" down >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
"$here/lab.sh" up 3 >"$tmp/up.log" 2>&1 || { echo "1..0 # SKIP lab did not start: $(tail -1 "$tmp/up.log")"; exit 0; }
cd "$tmp"
{
  echo "[kube_control_plane]"; echo "h1 ansible_host=$LAB_NET.1.1"
  echo "[kube_workers]"; echo "h2 ansible_host=$LAB_NET.1.2"; echo "h3 ansible_host=$LAB_NET.1.3"
  echo "[all:vars]"; echo "ansible_user=root"
  echo "ansible_ssh_private_key_file=$LAB_DIR/id_ed25519"
  echo "ansible_ssh_common_args='-o UserKnownHostsFile=$LAB_DIR/known_hosts'"
} >inv.ini
on() { local h=$1; shift; "$here/lab.sh" ssh "$h" "$@"; }
# recap line of host H in FILE: "ok changed failed"
recap() { awk -v h="$1" '$1 == h && $2 == ":" { gsub(/[a-z]+=/, ""); print $3, $4, $6 }' "$2"; }
seed() { # every host: a swap line in fstab, that swap on, a systemd swap unit
  for h in 1 2 3; do
    on $h 'printf "UUID=0a1b / ext4 errors=remount-ro 0 1\n/swap.img none swap sw 0 0\n#/old.img none swap sw 0 0\n" >/etc/fstab
      swapon -a; mkdir -p /var/lib/muster-standins/systemd /etc/netplan
      touch /var/lib/muster-standins/systemd/swap.img.swap.active'
  done
}
reset_all() { for h in 1 2 3; do "$here/lab.sh" reset $h >/dev/null 2>&1; done; }

cat >cluster.yml <<'EOF'
- name: every node
  hosts: all
  gather_facts: false
  tasks:
    - name: swap off
      swap:
    - name: static address
      static_ip:
        interface: eth9
        address: 10.231.7.1{{ inventory_hostname[1:] }}/24
        gateway: 10.231.7.254
        dns: [10.231.7.253]
- name: control plane
  hosts: kube_control_plane
  gather_facts: false
  tasks:
    - name: kubeadm init
      kubeadm:
        command: init
        pod_network_cidr: 10.244.0.0/16
        apiserver_advertise_address: "{{ ansible_host }}"
        ignore_preflight_errors: [Swap]
      register: init
    - name: a manifest on the host
      copy:
        dest: /root/web.yaml
        content: |
          apiVersion: apps/v1
          kind: Deployment
          metadata:
            name: web
            namespace: default
          spec:
            replicas: 2
    - name: kubectl apply
      kubectl:
        src: [/root/web.yaml, https://example.invalid/kube-flannel.yml]
        wait_resource: deployment/web
        wait_for: rollout
      register: applied
    - name: kubectl apply an inline definition
      kubectl:
        definition:
          apiVersion: v1
          kind: Namespace
          metadata: {name: demo}
- name: workers
  hosts: kube_workers
  gather_facts: false
  tasks:
    - name: kubeadm join
      kubeadm:
        command: join
        join_command: "{{ hostvars[groups['kube_control_plane'][0]].kubeadm_join_command }}"
      when: hostvars[groups['kube_control_plane'][0]].kubeadm_join_command is defined
EOF

# 1. first run: everything changes
seed
"$MUSTER" -i inv.ini cluster.yml -D >run1 2>&1; rc=$?
ok $rc "first run exits 0"
[ "$(recap h1 run1)" = "6 6 0" ] && [ "$(recap h2 run1)" = "3 3 0" ] && [ "$(recap h3 run1)" = "3 3 0" ]
ok $? "first run: every task changed (h1: $(recap h1 run1), h2: $(recap h2 run1))"
grep -q '^+# /swap.img none swap sw 0 0' run1 && grep -q '^-/swap.img none swap sw 0 0' run1
ok $? "--diff shows fstab's swap line commented"
grep -q '^+      addresses:' run1 && grep -q 'after: /etc/netplan/60-muster-eth9.yaml' run1
ok $? "--diff shows static_ip's new netplan file"
on 1 'cat /etc/fstab; swapon --show; readlink /etc/systemd/system/swap.img.swap' >h1.state
grep -qx '# /swap.img none swap sw 0 0' h1.state && grep -qx '#/old.img none swap sw 0 0' h1.state &&
  ! grep -q '^/swap.img' h1.state && grep -qx /dev/null h1.state
ok $? "swap: fstab line commented, swap off, unit masked"
[ "$(on 1 'grep -c ^init /var/log/muster-standins/kubeadm.log')" = 1 ] &&
  [ "$(on 1 'grep -c "^token create" /var/log/muster-standins/kubeadm.log')" = 0 ]
ok $? "kubeadm init ran once on h1"
j2=$(on 2 'cat /var/log/muster-standins/kubeadm.log') j3=$(on 3 'cat /var/log/muster-standins/kubeadm.log')
[ "$(grep -c '^join' <<<"$j2")" = 1 ] && [ "$(grep -c '^join' <<<"$j3")" = 1 ] &&
  grep -Eq "^join $LAB_NET.1.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}$" <<<"$j2"
ok $? "kubeadm join ran once on h2 and h3 with h1's join command (via hostvars)"
on 2 'test -f /etc/kubernetes/kubelet.conf && ! test -f /etc/kubernetes/admin.conf'
ok $? "join wrote kubelet.conf on a worker"
kl=$(on 1 'cat /var/log/muster-standins/kubectl.log')
[ "$(grep -c ' apply ' <<<"$kl")" = 2 ] && grep -q 'rollout status deployment/web --timeout=120s' <<<"$kl"
ok $? "kubectl apply once per task, then rollout status"
on 1 'test -f /var/lib/muster-standins/kube/default/deployment.apps/web && test -f /var/lib/muster-standins/kube/_cluster/namespace/demo'
ok $? "kubectl applied the file's and the definition's objects"
[ "$(on 1 'grep -c ^apply /var/log/muster-standins/netplan.log')" = 1 ] &&
  [ "$(on 1 'stat -c %a /etc/netplan/60-muster-eth9.yaml')" = 600 ] &&
  on 1 'grep -q "10.231.7.11/24" /etc/netplan/60-muster-eth9.yaml && ! ls /etc/netplan/*.muster-* 2>/dev/null && ! test -e /run/muster-static-ip-eth9.pid'
ok $? "static_ip: netplan file (0600) written and applied once, guard cancelled"

# 2. second run: nothing changes, nothing is run again
"$MUSTER" -i inv.ini cluster.yml >run2 2>&1; rc=$?
[ $rc = 0 ] && [ "$(recap h1 run2)" = "6 0 0" ] && [ "$(recap h2 run2)" = "3 0 0" ] && [ "$(recap h3 run2)" = "3 0 0" ]
ok $? "second run: changed=0 everywhere (h1: $(recap h1 run2))"
[ "$(on 1 'grep -c ^init /var/log/muster-standins/kubeadm.log')" = 1 ] &&
  [ "$(on 2 'grep -c ^join /var/log/muster-standins/kubeadm.log')" = 1 ] &&
  [ "$(on 1 'grep -c ^apply /var/log/muster-standins/netplan.log')" = 1 ] &&
  [ "$(on 1 'grep -c -- "-a$" /var/log/muster-standins/swapoff.log')" = 1 ]
ok $? "second run: no second init, join, netplan apply or swapoff"
grep -q 'token create' <(on 1 'cat /var/log/muster-standins/kubeadm.log')
ok $? "second run: init on an existing cluster still hands out a join command"
"$MUSTER" -i inv.ini cluster.yml -l h1 -e x=1 -v >run2v 2>&1
grep -q '"join_command": "kubeadm join ' run2v
ok $? "init's result carries join_command (shown with -v)"

# 3. --check on fresh hosts changes nothing
reset_all; seed
for h in 1 2 3; do on $h 'find / -xdev -newer /etc/fstab -not -path "/proc/*" -not -path "/run/*" -not -path "/tmp/*" -not -path "/var/log/*" 2>/dev/null | sort' >before$h; done
"$MUSTER" -i inv.ini cluster.yml --check --diff >run3 2>&1; rc=$?
ok $rc "--check exits 0"
[ "$(recap h1 run3)" = "6 6 0" ]
ok $? "--check reports the changes it would make (h1: $(recap h1 run3))"
grep -q '^+# /swap.img none swap sw 0 0' run3
ok $? "--check --diff shows the fstab diff"
on 1 'grep -qx "/swap.img none swap sw 0 0" /etc/fstab && swapon --show | grep -q swap.img && ! test -e /etc/kubernetes/admin.conf && ! test -e /etc/netplan/60-muster-eth9.yaml && ! test -e /etc/systemd/system/swap.img.swap'
ok $? "--check left h1's fstab, swap, kubeadm and netplan alone"
for h in 1 2 3; do
  on $h 'cat /var/log/muster-standins/kubeadm.log /var/log/muster-standins/swapoff.log /var/log/muster-standins/netplan.log 2>/dev/null; grep -v " diff \| get " /var/log/muster-standins/kubectl.log 2>/dev/null'
done >check.logs
[ ! -s check.logs ]
ok $? "--check ran no kubeadm, swapoff, netplan or kubectl apply (stand-in records: $(wc -l <check.logs) lines)"

# 4. swap state=present undoes absent; kubeadm reset; kubectl absent
reset_all; seed
cat >undo.yml <<'EOF'
- hosts: kube_control_plane
  gather_facts: false
  tasks:
    - swap:
    - swap: {state: present}
      register: swapon
    - kubeadm: {command: init}
    - kubectl:
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: c1, namespace: default}, data: {a: "1"}}
    - kubectl:
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: c1, namespace: default}, data: {a: "1"}}
        state: absent
      register: gone
    - kubeadm: {command: reset}
      register: reset
    - assert:
        that:
          - swapon.fstab_changed and swapon.unmasked == ['swap.img.swap']
          - gone.changed and gone.objects[0].action == 'deleted'
          - reset.changed
EOF
"$MUSTER" -i inv.ini undo.yml >run4 2>&1; rc=$?
ok $rc "swap present, kubectl absent and kubeadm reset run ($(recap h1 run4))"
on 1 'grep -qx "/swap.img none swap sw 0 0" /etc/fstab && swapon --show | grep -q swap.img && ! test -e /etc/kubernetes/admin.conf && ! test -e /etc/systemd/system/swap.img.swap'
ok $? "swap back on, fstab line back, unit unmasked, cluster reset"
cat >undo2.yml <<'EOF'
- hosts: kube_control_plane
  gather_facts: false
  tasks:
    - swap: {state: present}
    - kubeadm: {command: reset}
EOF
"$MUSTER" -i inv.ini undo2.yml >run4b 2>&1
[ "$(recap h1 run4b)" = "2 0 0" ]
ok $? "swap present and kubeadm reset again: no change ($(recap h1 run4b))"

# 5. static_ip's rollback guard for real, in the test's own namespaces
ip netns add "$NSA" && ip netns add "$NSB" &&
  ip link add vA netns "$NSA" type veth peer name vB netns "$NSB" &&
  ip -n "$NSA" addr add 10.231.0.1/24 dev vA && ip -n "$NSA" link set vA up && ip -n "$NSA" link set lo up &&
  ip -n "$NSB" addr add 10.231.0.2/24 dev vB && ip -n "$NSB" link set vB up && ip -n "$NSB" link set lo up
ok $? "namespaces: node $NSA (10.231.0.1) and controller $NSB over a veth pair"
u=$tmp/up; mkdir -p "$u/etc/ssh" "$u/root/.ssh" "$u/etc/netplan" "$u/usr/local/sbin" "$tmp/work" "$tmp/m"
ssh-keygen -q -t ed25519 -N '' -f "$u/etc/ssh/host_key"
cp "$LAB_DIR/id_ed25519.pub" "$u/root/.ssh/authorized_keys"
printf '# node\n' >"$u/root/.bashrc"; printf '# node\n' >"$u/root/.profile"
printf 'ListenAddress 0.0.0.0:22\nHostKey /etc/ssh/host_key\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nUsePAM no\nStrictModes no\nUseDNS no\nPidFile /run/sshd.pid\nLogLevel ERROR\n' >"$u/etc/ssh/node_sshd_config"
# netplan that really applies, inside the node's namespace: the file's
# address on vA, or the "DHCP" address 10.231.0.1 when there is no file
cat >"$u/usr/local/sbin/netplan" <<'EOF'
#!/bin/sh
echo "$*" >>/var/log/netplan-node.log
[ "$1" = apply ] || exit 0
a=$(sed -n 's|^ *- \([0-9.]*/[0-9]*\)$|\1|p' /etc/netplan/*.yaml 2>/dev/null | head -n 1)
ip addr flush dev vA && ip addr add "${a:-10.231.0.1/24}" dev vA
EOF
chmod +x "$u/usr/local/sbin/netplan"
kt=$(cut -d' ' -f1,2 "$u/etc/ssh/host_key.pub")
printf '10.231.0.1 %s\n10.231.0.9 %s\n10.231.99.5 %s\n' "$kt" "$kt" "$kt" >known_hosts_node
ip netns exec "$NSA" setsid unshare --mount --pid --fork --kill-child --propagation private /bin/sh -c "
  mount -t overlay overlay -o lowerdir=/,upperdir=$u,workdir=$tmp/work $tmp/m || exit 1
  mount -t proc proc $tmp/m/proc; mount --rbind /dev $tmp/m/dev
  mount -t tmpfs tmpfs $tmp/m/run; mount -t tmpfs -o mode=1777 tmpfs $tmp/m/tmp; mkdir -p $tmp/m/run/sshd
  exec chroot $tmp/m /usr/sbin/sshd -D -e -f /etc/ssh/node_sshd_config" </dev/null >node.log 2>&1 &
echo $! >node.pid
nodeup() { # address: the node answers ssh there (from the controller's namespace)
  ip netns exec "$NSB" ssh -o BatchMode=yes -o ConnectTimeout=2 -o UserKnownHostsFile="$tmp/known_hosts_node" \
    -i "$LAB_DIR/id_ed25519" "root@$1" "${2:-true}" 2>/dev/null
}
for _ in $(seq 1 50); do nodeup 10.231.0.1 && break; sleep 0.1; done
nodeup 10.231.0.1; ok $? "the node's sshd answers on 10.231.0.1 inside its namespace"
mkinv() { printf '[n]\nnode ansible_host=%s ansible_user=root ansible_ssh_private_key_file=%s ansible_ssh_common_args="-o UserKnownHostsFile=%s"\n' \
  "$1" "$LAB_DIR/id_ed25519" "$tmp/known_hosts_node" >inv-node; }
cat >ip.yml <<'EOF'
- hosts: n
  gather_facts: false
  tasks:
    - static_ip:
        interface: vA
        address: "{{ addr }}"
        gateway: "{{ gw | default(omit) }}"
        timeout: 8
EOF
# a bad address (a subnet the controller cannot reach): the task fails, the
# guard puts the old configuration back, the node answers on .1 again
mkinv 10.231.0.1
start=$(date +%s)
ip netns exec "$NSB" "$MUSTER" -i inv-node ip.yml -e addr=10.231.99.5/24 >run5 2>&1; rc=$?
ok $([ $rc = 2 ] && grep -q 'did not answer on 10.231.99.5' run5 && echo 0 || echo 1) "bad address: the task fails, naming the address (rc $rc, $(( $(date +%s) - start )) s)"
for _ in $(seq 1 40); do nodeup 10.231.0.1 && break; sleep 0.5; done
nodeup 10.231.0.1 'ip -o addr show dev vA | grep -q "10.231.0.1/24" && ! test -e /etc/netplan/60-muster-vA.yaml && ! ls /etc/netplan/*.muster-* 2>/dev/null'
ok $? "bad address: after the timeout the node is back on 10.231.0.1 with no muster file ($(( $(date +%s) - start )) s)"
# a good one: muster reaches it on a new session there, the guard is cancelled
start=$(date +%s)
ip netns exec "$NSB" "$MUSTER" -i inv-node ip.yml -e addr=10.231.0.9/24 >run6 2>&1; rc=$?
ok $rc "good address: the task succeeds ($(recap node run6), $(( $(date +%s) - start )) s)"
sleep 9
nodeup 10.231.0.9 'ip -o addr show dev vA | grep -q "10.231.0.9/24" && grep -q 10.231.0.9/24 /etc/netplan/60-muster-vA.yaml && ! ls /etc/netplan/*.muster-* 2>/dev/null && ! test -e /run/muster-static-ip-vA.pid'
ok $? "good address: still on 10.231.0.9 after the guard's time, file kept"
# same address, new gateway: applied on the session muster has, kept
mkinv 10.231.0.9
ip netns exec "$NSB" "$MUSTER" -i inv-node ip.yml -e addr=10.231.0.9/24 -e gw=10.231.0.2 >run7 2>&1; rc=$?
ok $([ $rc = 0 ] && [ "$(recap node run7)" = "1 1 0" ] && echo 0 || echo 1) "same address, new gateway: changed ($(recap node run7))"
sleep 9
nodeup 10.231.0.9 'grep -q "via: 10.231.0.2" /etc/netplan/60-muster-vA.yaml && ! test -e /run/muster-static-ip-vA.pid'
ok $? "same address: the new file stays after the guard's time"
ip netns exec "$NSB" "$MUSTER" -i inv-node ip.yml -e addr=10.231.0.9/24 -e gw=10.231.0.2 >run8 2>&1
ok $([ "$(recap node run8)" = "1 0 0" ] && echo 0 || echo 1) "same address again: no change ($(recap node run8))"

echo "1..$n"
[ $failed = 0 ]
