#!/usr/bin/env bash
# tests/lab/debs/k8s.sh DIR: the lab's stand-in for pkgs.k8s.io, called by
# tests/lab/aptrepo.sh.  Builds tiny kubelet, kubeadm, kubectl, cri-tools
# and kubernetes-cni packages (a doc file and kubelet's systemd units; the
# commands themselves are the lab's stand-ins in /usr/local/sbin) into
# DIR/k8s, a flat repository signed like the real one: InRelease and
# Release.gpg by a lab key whose ASCII-armored public half is
# DIR/k8s/Release.key.  kubelet, kubeadm and kubectl come in 1.30.2 and
# 1.31.0, so that pinning a minor version is seen to work.  Idempotent.
set -euo pipefail
DIR=${1:?usage: k8s.sh DIR}
R=$DIR/k8s
GNUPGHOME=$DIR.k8s-gnupg
export GNUPGHOME
mkdir -p "$R"

deb() { # name version depends [file content]...
  local name=$1 ver=$2 deps=$3 out=$R/${1}_${2}_$(dpkg --print-architecture).deb d
  shift 3
  [ -f "$out" ] && return 0
  d=$(mktemp -d /tmp/muster-k8sdeb.XXXXXX)
  mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$name"
  {
    echo "Package: $name"
    echo "Version: $ver"
    echo "Architecture: $(dpkg --print-architecture)"
    echo "Maintainer: muster lab <lab@muster.invalid>"
    echo "Section: admin"
    echo "Priority: optional"
    [ -n "$deps" ] && echo "Depends: $deps"
    echo "Description: muster lab stand-in for the Kubernetes package $name"
    echo " Installs like the real package; the command is a lab stand-in."
  } >"$d/DEBIAN/control"
  echo "$name $ver (muster lab stand-in)" >"$d/usr/share/doc/$name/README.lab"
  while [ $# -ge 2 ]; do
    mkdir -p "$d/$(dirname "$1")"
    printf '%s\n' "$2" >"$d/$1"
    shift 2
  done
  dpkg-deb --root-owner-group -Zgzip -b "$d" "$out" >/dev/null
  rm -rf "$d"
}

unit='[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target'
dropin='[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS'

deb cri-tools 1.30.1-1.1 ""
deb kubernetes-cni 1.4.0-1.1 ""
for v in 1.30.2-1.1 1.31.0-1.1; do
  deb kubelet "$v" "kubernetes-cni (>= 1.2.0)" \
    usr/lib/systemd/system/kubelet.service "$unit"
  deb kubeadm "$v" "cri-tools (>= 1.30.0), kubernetes-cni (>= 1.2.0)" \
    usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf "$dropin"
  deb kubectl "$v" ""
done

if [ ! -f "$R/Release.key" ]; then
  mkdir -p "$GNUPGHOME"
  chmod 700 "$GNUPGHOME"
  gpg -q --batch --passphrase '' --quick-gen-key \
    'muster lab k8s repository <lab@muster.invalid>' ed25519 sign never
  gpg -q --batch --armor --export >"$R/Release.key.tmp"
  mv "$R/Release.key.tmp" "$R/Release.key"
  rm -f "$R/Release"
fi
if [ ! -f "$R/Release" ] || [ -n "$(find "$R" -name '*.deb' -newer "$R/Release")" ]; then
  (
    cd "$R"
    apt-ftparchive packages . >Packages
    gzip -9nc Packages >Packages.gz
    apt-ftparchive -o APT::FTPArchive::Release::Origin=muster-lab-k8s \
      -o APT::FTPArchive::Release::Label=muster-lab-k8s release . >Release.tmp
    rm -f InRelease Release.gpg
    gpg -q --batch --yes --clearsign -o InRelease Release.tmp
    gpg -q --batch --yes -abs -o Release.gpg Release.tmp
    mv Release.tmp Release
  )
fi
