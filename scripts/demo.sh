#!/usr/bin/env bash
# The main job: install what is missing, build muster, start a lab of 10
# real SSH hosts on 127.0.1.1-10 (tests/lab/k8s-lab.sh, tests/lab/lab.sh)
# with the lab's local apt repository (tests/lab/aptrepo.sh; its k8s/
# directory stands in for pkgs.k8s.io), run a few ad-hoc commands across
# them, then build a Kubernetes cluster with playbooks/k8s-cluster.yml (h1
# the control plane, h2-h10 workers; what a namespace cannot run, kubeadm,
# systemd, swap, kernel modules, are the lab's recording stand-ins) and run
# it a second time, which must change nothing.  The lab stays up afterwards
# for more commands; stop it with
#   LAB_DIR=/tmp/muster-lab tests/lab/lab.sh down
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
if [ ! -d build-release ]; then
  meson setup build-release -Dbuildtype=release >/dev/null
fi
ninja -C build-release >/dev/null
export LAB_DIR=${LAB_DIR:-/tmp/muster-lab} LAB_NET=${LAB_NET:-127.0}
N=${HOSTS:-10}
tests/lab/k8s-lab.sh up "$N"
INV=$LAB_DIR/inventory.ini
K8S_INV=$LAB_DIR/k8s.yml
M=build-release/muster
set -x
$M all -i "$INV" -m ping
$M all -i "$INV" -a 'uname -sr'
$M 'lab[0:2]' -i "$INV" -a 'cat /etc/hostname' --no-fold
$M inventory -i "$K8S_INV" --graph
$M -i "$K8S_INV" playbooks/k8s-cluster.yml | tee "$LAB_DIR/k8s-run1.log"
{ set +x; } 2>/dev/null
echo "+ $M -i $K8S_INV playbooks/k8s-cluster.yml   # the second run"
rc=0
$M -i "$K8S_INV" playbooks/k8s-cluster.yml >"$LAB_DIR/k8s-run2.log" || rc=$?
echo "second run:"
sed -n '/^PLAY RECAP/,$p' "$LAB_DIR/k8s-run2.log"
if [ $rc != 0 ] || ! grep -q '^PLAY RECAP' "$LAB_DIR/k8s-run2.log" ||
    awk '$2 == ":" && $4 != "changed=0" { bad = 1 } END { exit !bad }' \
    "$LAB_DIR/k8s-run2.log"; then
  echo "FAILED: the second run failed or changed something (see $LAB_DIR/k8s-run2.log)" >&2
  exit 1
fi
echo "second run: changed=0 on all $N hosts"
set -x
$M kube_control_plane -i "$K8S_INV" -a 'kubectl get nodes'
