#!/usr/bin/env bash
# lineinfile, blockinfile and replace against Ansible: each playbook in
# lineinfile/ edits copies of real configuration files (fstab, sysctl.conf,
# hosts, sshd_config, sudoers...) under "{{ root }}"; lib.sh compares recaps,
# trees, the second run and --check.
# lib.sh spells its function "case() {", which bash cannot parse (case is a
# keyword); "function case {" is the spelling bash takes and "\case" calls
# it.  The sed is a no-op once lib.sh spells it so.
source <(sed 's/^case() {/function case {/' "$(dirname "$0")/lib.sh")
here=$(cd "$(dirname "$0")" && pwd)

# The seed: the files as a host has them, with known modes and a symlink.
SEED=$tmp/seed
mkdir -p "$SEED"
cp "$here"/lineinfile/seed/* "$SEED"/
chmod 0644 "$SEED"/*
ln -s real.conf "$SEED"/link.conf

for pb in "$here"/lineinfile/*.yml; do
  \case "$(basename "$pb" .yml)" "$pb"
done
finish
