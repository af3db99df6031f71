#!/usr/bin/env bash
# The kernel modules on real SSH hosts against ansible-playbook: sysctl
# (ansible.posix.sysctl), modprobe (community.general.modprobe) and mount
# (ansible.posix.mount), called by their short names (Ansible 2.14 routes
# them to the collections) and by their FQCNs.  What a lab host cannot do
# for real goes through the lab's stand-ins (tests/lab/standins): sysctl
# keeps "kernel" values in /var/lib/muster-standins/sysctl, modprobe a
# simulated module table that /proc/modules shows on the host
# (lab-preload.c) and the loaded modules' parameters in
# /var/lib/muster-standins/modules; lib.sh compares those files with the
# rest of the upper layers.  Mounts are real, in each host's own mount
# namespace (tmpfs and bind mounts only), and written to the hosts by the
# playbook (findmnt) for comparison.
#
# Version note: Debian 12 ships ansible.posix 1.5.4; muster follows the
# current ansible.posix mount module, which differs from 1.5.4 where
# boot=false meets opts "defaults" (1.5.4 only warns, newer versions add
# noauto) and for "#" comments at the end of fstab lines (newer versions
# ignore them).  The cases stay off both.
source "$(dirname "$0")/lib.sh" "$1"
d=$CASE_DIR/kernel

SEED_CMD='set -e
cat >/etc/sysctl.conf <<"E"
#
# /etc/sysctl.conf - Configuration file for setting system variables
#
   # an indented comment

#kernel.domainname = example.com
; a semicolon comment
vm.swappiness = 60
  net.ipv4.ip_forward=0   
kernel.panic = 3
kernel.panic=7
not an entry
fs.file-max = 100000 # kept as part of the value
	kernel.pid_max	=	32768
E
printf "vm.dirty_ratio = 15\nvm.dirty_background_ratio=7\nvm.overcommit_ratio=60\n" >/etc/sysctl.d/50-seed.conf
printf "# crlf\r\nkernel.muster_bool = 1\r\n" >/etc/sysctl.d/85-crlf.conf
sysctl -q -w vm.dirty_ratio=15' \
\case sysctl "$d/sysctl.yml"

SEED_CMD='set -e
d=/lib/modules/$(uname -r)
for m in drivers/net/dummy net/bridge/br_netfilter net/bridge/bridge \
    net/netfilter/nf_conntrack fs/overlayfs/overlay drivers/block/loop \
    drivers/net/bonding/bonding drivers/net/vxlan/vxlan drivers/misc/old_mod; do
  echo "kernel/$m.ko:"
done >$d/modules.dep
printf "kernel/fs/ext4/ext4.ko\nkernel/fs/mbcache.ko\n" >$d/modules.builtin
modprobe overlay; modprobe old_mod; modprobe loop
printf "# /etc/modules: kernel modules to load at boot time.\n#\n# This file contains the names of kernel modules that should be loaded\n# at boot time, one per line. Lines beginning with \"#\" are ignored.\nloop\n" >/etc/modules
printf "old_mod\n" >/etc/modules-load.d/old.conf
printf "options old_mod debug=1\n" >/etc/modprobe.d/old.conf
printf "options overlay metacopy=on\n" >/etc/modprobe.d/overlay.conf
printf "bonding   # bonded links\n" >/etc/modules-load.d/bonding.conf
printf "options bonding mode=1 # active-backup\noptions bonding miimon=100;x y\n" >/etc/modprobe.d/bonding.conf' \
\case modprobe "$d/modprobe.yml"

SEED_CMD='set -e
mkdir -p /srv/data /mnt/old /mnt/gone /mnt/keep /mnt/grow /srv/four /etc/muster
echo data >/srv/data/file
printf "# /etc/fstab: static file system information.\n#\n# <file system> <mount point>   <type>  <options>       <dump>  <pass>\nUUID=abcd / ext4 errors=remount-ro 0 1\n/swapfile none swap sw 0 0\n/dev/sdb1 /data xfs defaults 0 0\n/dev/sdc1\t/srv/tabs\text4\tdefaults\t0\t0\n/dev/sde1 /srv/four ext4 defaults\n\ntmpfs /mnt/old tmpfs size=8m 0 0\ntmpfs /mnt/gone tmpfs size=8m 0 0\ntmpfs /mnt/keep tmpfs size=8m 0 0\ntmpfs /mnt/grow tmpfs size=8m 0 0\n/dev/sdg1 /mnt/full ext4 defaults 0 0" >/etc/fstab
mkdir -p /mnt/full; touch /mnt/full/file
printf "# linked\n" >/etc/muster/fstab.real; ln -s fstab.real /etc/muster/fstab.link
for p in old gone keep grow; do mount /mnt/$p; done' \
# The backup's name has the process id and the time in it.
EXCLUDE='^etc/muster/fstab\.real\.[0-9]+\.' \
NORMALIZE='s|/fs/h[0-9]*/|/fs/hN/|g' \case mount "$d/mount.yml"
finish
