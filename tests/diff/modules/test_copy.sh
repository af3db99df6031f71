#!/usr/bin/env bash
# copy and template: each playbook in copy/ run by ansible-playbook and by
# muster on fresh roots seeded from copy/seed (lib.sh compares them; its
# case is called as \case, case being a shell keyword).
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
# A private copy of the cases: the modes, links and empty directory they
# rely on are set here, whatever the checkout kept.
cases=$tmp/cases
cp -a "$here/copy" "$cases"
mkdir -p "$cases/files/tree/empty"
ln -sfn a.txt "$cases/files/tree/link_to_a"
ln -sfn target_a.txt "$cases/seed/link_a.txt"
ln -sfn target_b.txt "$cases/seed/link_b.txt"
chmod 0640 "$cases/seed/existing.conf"
chmod 0600 "$cases/seed/keep.txt" "$cases/seed/remote/tree/sub/y.txt"
chmod 0755 "$cases/seed/remote/src.txt"
chmod 0644 "$cases/files/hello.txt" "$cases/files/script.sh"
SEED=$cases/seed
for pb in content src tree backup_validate template remote_src errors; do
  \case "$pb" "$cases/$pb.yml"
done
finish
