#!/usr/bin/env bash
# The service and kernel modules on real SSH hosts against ansible-playbook:
# service/systemd/systemd_service through the lab's systemctl stand-in
# (unit links, masks, the stand-in's job records), hostname (hostnamectl
# stand-in: the lab hosts look systemd-managed), and the registered results
# written to the hosts.  sysctl, mount and modprobe are not in ansible-core
# (their collections are not installed): tests/lab/test_kernel_modules.sh.
source "$(dirname "$0")/lib.sh" "$1"
d=$CASE_DIR/services

\case services "$d/services.yml"

# No systemd: no /run/systemd/system, no /sbin/init link to it; an init.d
# script that keeps its state in /var/lib.  (Check mode takes the same
# decisions as above: not run again here, to save time.)
NO_CHECK=1 SEED_CMD='rmdir /run/systemd/system; rm -f /usr/sbin/init
cat >/etc/init.d/muster-demo <<"EOS"
#!/bin/sh
### BEGIN INIT INFO
# Provides:          muster-demo
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: muster demo
### END INIT INFO
case $1 in
start) touch /var/lib/demo.run; echo start >>/var/lib/demo.jobs ;;
stop) rm -f /var/lib/demo.run; echo stop >>/var/lib/demo.jobs ;;
status) [ -e /var/lib/demo.run ] && { echo running; exit 0; }
  echo stopped; exit 3 ;;
*) echo "$1" >>/var/lib/demo.jobs ;;
esac
EOS
chmod 755 /etc/init.d/muster-demo' \case sysvinit "$d/sysvinit.yml"
finish
