#!/usr/bin/env bash
# tests/lab/lab.sh: a lab of real SSH hosts on one machine (DESIGN.md).
#
#   lab.sh up N       start h1..hN (idempotent: starts the missing ones)
#   lab.sh down       stop every host, unmount, remove the state (keeps keys)
#   lab.sh status     name, address, pid, port answering; non-zero if one is down
#   lab.sh reset N    restart hN with a fresh, empty upper layer
#   lab.sh kill N     kill hN outright (a host that dies), leave it down
#   lab.sh ssh N CMD  run CMD on hN with OpenSSH, the lab key and known_hosts
#   lab.sh upper N    print the path of hN's upper layer
#   lab.sh name N NAME  hN's hostname from its next start on (default hN)
#
# Host hN is an OpenSSH sshd in its own mount, UTS and PID namespace,
# chrooted into an overlayfs whose lower layer is / and whose upper layer is
# hN's own directory on the lab's tmpfs; it listens on ${LAB_NET}.X.Y:22
# (h1..h254 on .1.1-.1.254, h255 on .2.1, ...).  Hosts share the machine's
# kernel and network namespace: nothing on them may change sysctls, swap,
# kernel modules or interfaces for real; tests/lab/standins/ provides
# recording stand-ins for such commands, and a preloaded library that shows
# reads of /proc/modules the host's simulated module table (kept by the
# modprobe stand-in in /run/muster-standins).  Traffic stays on loopback.
#
# Environment: LAB_DIR (state, default /tmp/muster-lab), LAB_NET (default
# 127.0): distinct values let several labs run side by side.  LAB_APT_DIR
# (default /var/cache/muster-lab/apt): the local apt repository
# (tests/lab/aptrepo.sh); when it exists (LAB_APT=1: build it first,
# LAB_APT=0: never use it), every host sees it read-only at /srv/muster-apt
# as its only apt source, with its package lists already in place.
# Generated in LAB_DIR: id_ed25519 (client key), known_hosts, inventory.ini,
# inventory.yml, ssh_config, logs/hN.log, pids/hN.
set -euo pipefail
LAB_DIR=${LAB_DIR:-/tmp/muster-lab}
LAB_NET=${LAB_NET:-127.0}
here=$(cd "$(dirname "$0")" && pwd)
FS=$LAB_DIR/fs
LAB_UID=1500
LAB_APT_DIR=${LAB_APT_DIR:-/var/cache/muster-lab/apt}

die() { echo "lab: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (namespaces and mounts)"

addr() { # host number -> address
  local i=$(( $1 - 1 ))
  echo "$LAB_NET.$(( 1 + i / 254 )).$(( 1 + i % 254 ))"
}

ensure_state() {
  mkdir -p "$LAB_DIR/keys" "$LAB_DIR/pids" "$LAB_DIR/logs"
  if ! mountpoint -q "$FS" 2>/dev/null; then
    mkdir -p "$FS"
    mount -t tmpfs -o mode=0755,size=50% muster-lab "$FS"
  fi
  [ -f "$LAB_DIR/id_ed25519" ] ||
    ssh-keygen -q -t ed25519 -N '' -C muster-lab -f "$LAB_DIR/id_ed25519"
  preload_lib
}

# The hosts' /etc/ld.so.preload library (standins/lab-preload.c: reads of
# /proc/modules see the host's simulated module table), built once.
PRELOAD=$LAB_DIR/muster-lab-preload.so
preload_lib() {
  local src=$here/standins/lab-preload.c
  [ -f "$src" ] || return 0
  [ -f "$PRELOAD" ] && ! [ "$src" -nt "$PRELOAD" ] && return 0
  if cc -shared -fPIC -O2 -o "$PRELOAD.$$" "$src" -ldl 2>"$LAB_DIR/preload.log"; then
    mv -f "$PRELOAD.$$" "$PRELOAD"
  else rm -f "$PRELOAD.$$"; fi
}

host_key() { # n -> ensures a cached host key
  local k=$LAB_DIR/keys/h$1
  [ -f "$k" ] || ssh-keygen -q -t ed25519 -N '' -C "h$1" -f "$k"
}

host_name() { # n -> hostname inside the host: LAB_DIR/names ("N NAME") or hN
  local nm=
  [ -f "$LAB_DIR/names" ] && nm=$(awk -v n="$1" '$1 == n { print $2 }' "$LAB_DIR/names")
  echo "${nm:-h$1}"
}

is_running() {
  local p
  [ -f "$LAB_DIR/pids/h$1" ] || return 1
  p=$(cat "$LAB_DIR/pids/h$1")
  [ -n "$p" ] && alive "$p"
}

provision() { # n: write the host's identity into its upper layer
  local n=$1 u=$FS/h$1/upper ip nm
  ip=$(addr "$n") nm=$(host_name "$1")
  mkdir -p "$u" "$FS/h$n/work" "$FS/h$n/merged"
  mkdir -p "$u/etc/ssh" "$u/root/.ssh" "$u/etc/sudoers.d" "$u/home/muster/.ssh"
  cp "$LAB_DIR/keys/h$n" "$u/etc/ssh/ssh_host_ed25519_key"
  cp "$LAB_DIR/keys/h$n.pub" "$u/etc/ssh/ssh_host_ed25519_key.pub"
  chmod 600 "$u/etc/ssh/ssh_host_ed25519_key"
  cat >"$u/etc/ssh/muster_lab_sshd_config" <<CFG
ListenAddress $ip:22
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
MaxSessions 200
MaxStartups 1000
PidFile /run/sshd.pid
Subsystem sftp internal-sftp
AcceptEnv LANG LC_*
PrintMotd no
AllowTcpForwarding yes
LogLevel ERROR
CFG
  # A host's root starts clean: not the controller's shell start-up
  # files (which bash would run for every command over ssh).
  printf '# lab host: %s\n' "$nm" >"$u/root/.bashrc"
  printf '# lab host: %s\n' "$nm" >"$u/root/.profile"
  cp "$LAB_DIR/id_ed25519.pub" "$u/root/.ssh/authorized_keys"
  cp "$LAB_DIR/id_ed25519.pub" "$u/home/muster/.ssh/authorized_keys"
  chown -R $LAB_UID:$LAB_UID "$u/home/muster"
  echo "$nm" >"$u/etc/hostname"
  { cat /etc/hosts; echo "$ip $nm"; } >"$u/etc/hosts"
  # An unprivileged user with passwordless sudo, for become tests.
  { grep -v '^muster:' /etc/passwd; echo "muster:x:$LAB_UID:$LAB_UID:muster lab user:/home/muster:/bin/sh"; } >"$u/etc/passwd"
  { grep -v '^muster:' /etc/group; echo "muster:x:$LAB_UID:"; } >"$u/etc/group"
  { grep -v '^muster:' /etc/shadow; echo "muster:*:19000:0:99999:7:::"; } >"$u/etc/shadow"
  chmod 640 "$u/etc/shadow"; chgrp shadow "$u/etc/shadow" 2>/dev/null || true
  echo "muster ALL=(ALL:ALL) NOPASSWD: ALL" >"$u/etc/sudoers.d/muster"
  chmod 440 "$u/etc/sudoers.d/muster"
  # Stand-ins for what a namespace cannot host (systemctl, swapoff, ...).
  if compgen -G "$here/standins/*" >/dev/null && [ -n "$(find "$here/standins" -type f -perm -u+x)" ]; then
    mkdir -p "$u/usr/local/sbin"
    find "$here/standins" -maxdepth 1 -type f -perm -u+x -exec cp {} "$u/usr/local/sbin/" \;
  fi
  # The modprobe stand-in's kernel: a module table (/proc/modules, see
  # start_host), modules.builtin and kmod's /etc/modprobe.d, as a host with
  # modprobe has them.  (/lib is a link to usr/lib: never mkdir $u/lib.)
  local kv; kv=$(uname -r)
  [ -f "/usr/lib/modules/$kv/modules.builtin" ] ||
    { mkdir -p "$u/usr/lib/modules/$kv"; : >"$u/usr/lib/modules/$kv/modules.builtin"; }
  [ -d /etc/modprobe.d ] || mkdir -p "$u/etc/modprobe.d"
  if [ -f "$PRELOAD" ]; then
    mkdir -p "$u/usr/local/lib"
    cp "$PRELOAD" "$u/usr/local/lib/muster-lab-preload.so"
    { cat /etc/ld.so.preload 2>/dev/null || true
      echo /usr/local/lib/muster-lab-preload.so; } >"$u/etc/ld.so.preload"
  fi
}

apt_setup() { # merged root: shell lines making the local repo the only source
  local m=$1 r=/srv/muster-apt
  [ "${LAB_APT:-}" != 0 ] && [ -f "$LAB_APT_DIR/Release" ] || return 0
  # The lower layer's sources and lists (the controller's) are removed in
  # the merged tree, which whiteouts them in the host's upper layer only;
  # the repo's index goes in as apt-get update would name it.  man-db's
  # index rebuild (seconds per install) is off, as in Debian's containers.
  cat <<SH
      mkdir -p $m$r && mount --bind $LAB_APT_DIR $m$r && mount -o remount,bind,ro $m$r
      rm -f $m/etc/apt/sources.list.d/* $m/var/lib/apt/lists/*_*
      echo 'deb [trusted=yes] file:$r ./' >$m/etc/apt/sources.list
      cp $LAB_APT_DIR/Packages $m/var/lib/apt/lists/_srv_muster-apt_._Packages
      cp $LAB_APT_DIR/Release $m/var/lib/apt/lists/_srv_muster-apt_._Release
      rm -f $m/var/lib/man-db/auto-update
SH
}

start_host() { # n: the host's namespaces, overlay root and sshd
  local n=$1 m=$FS/h$1/merged
  # unshare forks the namespace's init (sh), which mounts the host's root
  # and runs sshd in the foreground; --kill-child takes the whole pid
  # namespace down with unshare.
  setsid unshare --mount --uts --pid --fork --kill-child --propagation private \
    /bin/sh -c "
      hostname $(host_name "$n")
      mount -t overlay overlay -o lowerdir=/,upperdir=$FS/h$n/upper,workdir=$FS/h$n/work $m || exit 1
      mount -t proc proc $m/proc
      mount --rbind /dev $m/dev
      mount -t tmpfs -o mode=0755 tmpfs $m/run
      mount -t tmpfs -o mode=1777 tmpfs $m/tmp
      mkdir -p $m/run/sshd $m/run/systemd/system $m/run/muster-standins
      cat /proc/modules >$m/run/muster-standins/proc-modules 2>/dev/null ||
        : >$m/run/muster-standins/proc-modules
$(apt_setup "$m")
      chroot $m /usr/sbin/sshd -D -e -r -f /etc/ssh/muster_lab_sshd_config
    " </dev/null >"$LAB_DIR/logs/h$n.log" 2>&1 &
  echo $! >"$LAB_DIR/pids/h$n"
}

write_client_files() { # total: inventory, known_hosts, ssh_config
  local total=$1 n ip
  : >"$LAB_DIR/known_hosts.tmp"
  {
    echo "# generated by tests/lab/lab.sh"
    echo "[lab]"
    for n in $(seq 1 "$total"); do echo "h$n ansible_host=$(addr "$n")"; done
    echo; echo "[odd]"
    for n in $(seq 1 2 "$total"); do echo "h$n"; done
    echo; echo "[even]"
    for n in $(seq 2 2 "$total"); do echo "h$n"; done
    echo; echo "[all:vars]"
    echo "ansible_user=root"
    echo "ansible_ssh_private_key_file=$LAB_DIR/id_ed25519"
    echo "ansible_ssh_common_args='-o UserKnownHostsFile=$LAB_DIR/known_hosts'"
    echo "ansible_python_interpreter=/usr/bin/python3"
  } >"$LAB_DIR/inventory.ini.tmp"
  {
    echo "all:"
    echo "  vars:"
    echo "    ansible_user: root"
    echo "    ansible_ssh_private_key_file: $LAB_DIR/id_ed25519"
    echo "    ansible_ssh_common_args: -o UserKnownHostsFile=$LAB_DIR/known_hosts"
    echo "    ansible_python_interpreter: /usr/bin/python3"
    echo "  children:"
    echo "    lab:"
    echo "      hosts:"
    for n in $(seq 1 "$total"); do echo "        h$n: {ansible_host: $(addr "$n")}"; done
  } >"$LAB_DIR/inventory.yml.tmp"
  : >"$LAB_DIR/ssh_config.tmp"
  for n in $(seq 1 "$total"); do
    ip=$(addr "$n")
    read -r kt kb _ <"$LAB_DIR/keys/h$n.pub"
    echo "$ip $kt $kb" >>"$LAB_DIR/known_hosts.tmp"
    echo "h$n $kt $kb" >>"$LAB_DIR/known_hosts.tmp"
    printf 'Host h%s\n  HostName %s\n  User root\n  IdentityFile %s\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n\n' \
      "$n" "$ip" "$LAB_DIR/id_ed25519" "$LAB_DIR/known_hosts" >>"$LAB_DIR/ssh_config.tmp"
  done
  for f in known_hosts inventory.ini inventory.yml ssh_config; do
    mv "$LAB_DIR/$f.tmp" "$LAB_DIR/$f"
  done
  echo "$total" >"$LAB_DIR/size"
}

listening() { # count of lab addresses listening on :22
  ss -Hltn "sport = :22" 2>/dev/null | awk -v p="$LAB_NET." 'index($4, p) == 1' | wc -l
}

wait_ports() { # expected count
  local want=$1 i
  for i in $(seq 1 300); do
    [ "$(listening)" -ge "$want" ] && return 0
    sleep 0.1
  done
  die "only $(listening) of $want hosts listen after 30 s (see $LAB_DIR/logs)"
}

alive() { # pid: running and not a zombie
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

stop_hosts() { # n...: kill the hosts' namespaces, wait until they are gone
  local n p pids=()
  for n in "$@"; do
    [ -f "$LAB_DIR/pids/h$n" ] || continue
    p=$(cat "$LAB_DIR/pids/h$n")
    kill -KILL "$p" 2>/dev/null || true
    pids+=("$p")
    rm -f "$LAB_DIR/pids/h$n"
  done
  for _ in $(seq 1 250); do
    local left=0
    for p in "${pids[@]}"; do alive "$p" && left=1 && break; done
    [ $left = 0 ] && return 0
    sleep 0.02
  done
}

stop_host() { stop_hosts "$1"; }

cmd_up() {
  local total=${1:?usage: lab.sh up N} n started=0 have=0
  [ "$total" -ge 1 ] && [ "$total" -le 5000 ] || die "N must be 1..5000"
  ensure_state
  if [ "${LAB_APT:-}" = 1 ]; then "$here/aptrepo.sh" "$LAB_APT_DIR" >&2; fi
  [ -f "$LAB_DIR/size" ] && have=$(cat "$LAB_DIR/size")
  [ "$have" -gt "$total" ] && total=$have
  for n in $(seq 1 "$total"); do host_key "$n" & 
    if (( n % 32 == 0 )); then wait; fi
  done
  wait
  for n in $(seq 1 "$total"); do
    is_running "$n" && continue
    rm -rf "$FS/h$n"
    provision "$n"
    start_host "$n"
    started=$((started + 1))
  done
  write_client_files "$total"
  wait_ports "$total"
  echo "lab: $total hosts up ($started started) on $LAB_NET.x.y:22, inventory $LAB_DIR/inventory.ini"
}

cmd_down() {
  local f ns=()
  [ -d "$LAB_DIR" ] || return 0
  for f in "$LAB_DIR"/pids/h*; do
    [ -e "$f" ] && ns+=("${f##*/h}")
  done
  [ ${#ns[@]} -gt 0 ] && stop_hosts "${ns[@]}"
  # The namespaces' mounts die with them; sshd children may linger a moment.
  for _ in $(seq 1 100); do
    pgrep -f "sshd.*-f /etc/ssh/muster_lab_sshd_config" >/dev/null || break
    grep -q "$FS/" /proc/*/mountinfo 2>/dev/null || break
    sleep 0.05
  done
  if mountpoint -q "$FS" 2>/dev/null; then
    umount "$FS" 2>/dev/null || umount -l "$FS"
  fi
  rm -rf "$FS" "$LAB_DIR/pids" "$LAB_DIR/logs" "$LAB_DIR/size" \
    "$LAB_DIR/known_hosts" "$LAB_DIR/inventory.ini" "$LAB_DIR/inventory.yml" "$LAB_DIR/ssh_config"
  echo "lab: down"
}

cmd_status() {
  local total n bad=0 up
  [ -f "$LAB_DIR/size" ] || die "no lab in $LAB_DIR"
  total=$(cat "$LAB_DIR/size")
  local open
  open=$(ss -Hltn "sport = :22" | awk '{print $4}')
  for n in $(seq 1 "$total"); do
    up=down
    if is_running "$n" && grep -qx "$(addr "$n"):22" <<<"$open"; then up=up; else bad=1; fi
    printf '%s %s %s %s\n' "h$n" "$(addr "$n")" "$(cat "$LAB_DIR/pids/h$n" 2>/dev/null || echo -)" "$up"
  done
  return $bad
}

cmd_reset() {
  local n=${1:?usage: lab.sh reset N}
  ensure_state
  stop_host "$n"
  rm -rf "$FS/h$n"
  host_key "$n"
  provision "$n"
  start_host "$n"
  for _ in $(seq 1 300); do
    ss -Hltn "sport = :22" | awk '{print $4}' | grep -qx "$(addr "$n"):22" && return 0
    sleep 0.05
  done
  die "h$n did not come back"
}

case ${1:-} in
  up) cmd_up "${2:-}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  reset) cmd_reset "${2:-}" ;;
  kill) stop_host "${2:?usage: lab.sh kill N}" ;;
  upper) echo "$FS/h${2:?usage: lab.sh upper N}/upper" ;;
  name)
    n=${2:?usage: lab.sh name N NAME} nm=${3:?usage: lab.sh name N NAME}
    mkdir -p "$LAB_DIR"
    { [ -f "$LAB_DIR/names" ] && awk -v n="$n" '$1 != n' "$LAB_DIR/names"; echo "$n $nm"; } >"$LAB_DIR/names.tmp"
    mv "$LAB_DIR/names.tmp" "$LAB_DIR/names" ;;
  ssh)
    n=${2:?usage: lab.sh ssh N CMD}; shift 2
    exec ssh -F "$LAB_DIR/ssh_config" -o BatchMode=yes "h$n" "$@" ;;
  *) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
