#!/usr/bin/env bash
# Install, from Debian's packages, everything muster's build, tests, lab and
# benchmarks need.  Quiet and quick when everything is already there.
set -euo pipefail
pkgs=(
  build-essential meson ninja-build pkg-config
  libssh-dev libyaml-dev libgit2-dev libpcre2-dev libncurses-dev libssl-dev
  openssh-server openssh-client sudo iproute2 util-linux procps
  python3 python3-jinja2 python3-yaml ansible-core pssh time clang
  apt-utils python3-apt gnupg
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts sshd on install where it can; the lab needs port 22 on
# 127.0.1.N free, so a machine-wide sshd on 0.0.0.0:22 must not run.
if pgrep -x sshd >/dev/null 2>&1 && ss -ltn 'sport = :22' | grep -q '0.0.0.0:22\|\*:22'; then
  echo "note: a system sshd listens on *:22; the lab needs 127.0.1.N:22" >&2
fi
