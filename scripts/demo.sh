#!/usr/bin/env bash
# The main job: install what is missing, build muster, start a lab of 20
# real SSH hosts on 127.0.1.1-20 (tests/lab/lab.sh), run ad-hoc commands
# across them and a first playbook (facts and a cluster summary).  The lab stays up afterwards for more commands; stop it with
#   LAB_DIR=/tmp/muster-lab tests/lab/lab.sh down
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
if [ ! -d build-release ]; then
  meson setup build-release -Dbuildtype=release >/dev/null
fi
ninja -C build-release >/dev/null
export LAB_DIR=${LAB_DIR:-/tmp/muster-lab} LAB_NET=${LAB_NET:-127.0}
N=${HOSTS:-20}
tests/lab/lab.sh up "$N"
INV=$LAB_DIR/inventory.ini
M=build-release/muster
set -x
$M inventory -i "$INV" --graph
$M all -i "$INV" -m ping
$M all -i "$INV" -a 'uname -sr'
$M 'lab:!h3' -i "$INV" -m shell -a 'df -h / | tail -1 | cut -c1-20' --become
$M 'lab[0:2]' -i "$INV" -a 'cat /etc/hostname' --no-fold
$M -i "$INV" playbooks/lab-facts.yml
