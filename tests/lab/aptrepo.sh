#!/usr/bin/env bash
# tests/lab/aptrepo.sh: the lab's local apt repository (DESIGN.md: lab hosts
# never run `apt-get update` against the internet).
#
#   aptrepo.sh [DIR]   build (or reuse) the repository in DIR
#                      (default $LAB_APT_DIR or /var/cache/muster-lab/apt)
#
# Run once on the controller, which may reach Debian's mirrors: it fetches
# real Debian 12 .debs with `apt-get download` (the packages below and what
# apt would install with them on the controller, the hosts' lower layer)
# into DIR/pool, builds tiny local packages (muster-hello 1.0 and 1.1,
# muster-dep 1.0 depending on muster-hello) for version, "latest" and hold
# tests, and writes a flat repository (DIR/Packages, Packages.gz, Release)
# with apt-ftparchive.  Subdirectories of DIR other than pool/ are other
# repositories (e.g. a signed k8s/ one) and stay out of the index.  A second run reuses
# the downloaded .debs and only rebuilds the index when something changed.
# lab.sh bind-mounts DIR read-only at /srv/muster-apt in every host and makes
# it the host's only apt source.
set -euo pipefail
DIR=${1:-${LAB_APT_DIR:-/var/cache/muster-lab/apt}}
PKGS=(containerd runc sl cowsay tree jq hello apt-transport-https gnupg
  ca-certificates curl socat conntrack ebtables ethtool ipset)

die() { echo "aptrepo: $*" >&2; exit 1; }
command -v apt-ftparchive >/dev/null || die "apt-ftparchive missing (apt-utils; scripts/deps.sh)"
command -v dpkg-deb >/dev/null || die "dpkg-deb missing"
mkdir -p "$DIR/pool"
stamp=$DIR/.complete
list="${PKGS[*]}"

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$list" ]; then
  # The controller's own package lists: fetch them if it has none.
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || apt-get update -qq
  # What the hosts would need besides the controller's own packages (the
  # hosts' lower layer is the controller's root): apt's own answer.
  want=("${PKGS[@]}")
  mapfile -t -O ${#want[@]} want < <(apt-get install -s -q \
    --no-install-recommends "${PKGS[@]}" | awk '$1 == "Inst" { print $2 }')
  mapfile -t want < <(printf '%s\n' "${want[@]}" | sort -u)
  # apt-get download runs as _apt when it can: give it a directory it
  # may write, then move the files in place.
  tmp=$(mktemp -d /tmp/muster-aptrepo.XXXXXX)
  chmod 0777 "$tmp"
  todo=()
  for p in "${want[@]}"; do
    compgen -G "$DIR/pool/${p}_*.deb" >/dev/null || todo+=("$p")
  done
  if [ ${#todo[@]} -gt 0 ]; then
    echo "aptrepo: downloading ${#todo[@]} packages into $DIR"
    (cd "$tmp" && apt-get download -q=2 "${todo[@]}") ||
      { rm -rf "$tmp"; die "apt-get download failed"; }
    mv "$tmp"/*.deb "$DIR/pool/"
  fi
  rm -rf "$tmp"
  echo "$list" >"$stamp"
fi

# Tiny local packages: two versions of one (installs, upgrades, holds) and
# one with a dependency on it.
local_deb() { # name version arch depends
  local name=$1 ver=$2 deps=$3 out=$DIR/pool/${1}_${2}_all.deb d
  [ -f "$out" ] && return 0
  d=$(mktemp -d /tmp/muster-deb.XXXXXX)
  mkdir -p "$d/DEBIAN" "$d/usr/share/$name"
  {
    echo "Package: $name"
    echo "Version: $ver"
    echo "Architecture: all"
    echo "Maintainer: muster lab <lab@muster.invalid>"
    echo "Section: misc"
    echo "Priority: optional"
    [ -n "$deps" ] && echo "Depends: $deps"
    echo "Description: muster lab test package"
    echo " A package of the lab's local repository, for version tests."
  } >"$d/DEBIAN/control"
  echo "$name $ver" >"$d/usr/share/$name/version"
  dpkg-deb --root-owner-group -Zgzip -b "$d" "$out" >/dev/null
  rm -rf "$d"
}
local_deb muster-hello 1.0 ""
local_deb muster-hello 1.1 ""
local_deb muster-dep 1.0 "muster-hello (>= 1.0)"

# Extra packages and repositories: each tests/lab/debs/*.sh DIR adds its
# own (k8s.sh: the stand-in for pkgs.k8s.io in DIR/k8s).
for hook in "$(dirname "$0")"/debs/*.sh; do
  [ -f "$hook" ] && bash "$hook" "$DIR"
done

# The index, rebuilt when a .deb is newer than it.  The Release file is
# written here so that it lists this index only.
if [ ! -f "$DIR/Release" ] || [ -n "$(find "$DIR/pool" -name '*.deb' -newer "$DIR/Release")" ]; then
  (
    cd "$DIR"
    apt-ftparchive packages pool >Packages.tmp
    mv Packages.tmp Packages
    gzip -9nc Packages >Packages.gz
    {
      echo "Origin: muster-lab"
      echo "Label: muster-lab"
      echo "Suite: lab"
      echo "Codename: lab"
      echo "Date: $(LC_ALL=C date -u -R)"
      for h in MD5Sum:md5sum SHA256:sha256sum; do
        echo "${h%%:*}:"
        for f in Packages Packages.gz; do
          printf ' %s %s %s\n' "$(${h#*:} <"$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$f"
        done
      done
    } >Release.tmp
    mv Release.tmp Release
  )
fi
echo "aptrepo: $(ls "$DIR"/pool/*.deb | wc -l) packages in $DIR"
