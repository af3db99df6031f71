#!/usr/bin/env bash
# The file and stat modules against ansible-playbook (lib.sh compares recaps,
# trees, the second run and --check).  Usage: test_file.sh MUSTER
here=$(cd "$(dirname "$0")" && pwd)
if bash -n "$here/lib.sh" 2>/dev/null; then
  source "$here/lib.sh"
else
  # "case() {" is a syntax error in bash (case is a reserved word);
  # "function case {" is not, and \case calls it.
  source <(sed 's/^case() {/function case {/' "$here/lib.sh")
fi
pb=$here/file

# Seeds (copied into each fresh root) are built here, not kept in the tree.
seeds=$tmp/seeds
mkdir -p "$seeds/absent/d/a/b" "$seeds/old"
touch "$seeds/absent/f1" "$seeds/absent/d/f" "$seeds/absent/d/a/g" \
    "$seeds/absent/d/a/b/h"
ln -s f1 "$seeds/absent/lnk"
ln -s d "$seeds/absent/dlnk"
mkdir "$seeds/old/dir"
echo old >"$seeds/old/old"
chmod 0644 "$seeds/old/old"
touch -d '2020-01-01 00:00:00' "$seeds/old/old"

SEED=
\case dirs "$pb/dirs.yml"
\case modes "$pb/modes.yml"
\case owners "$pb/owners.yml"
\case recurse "$pb/recurse.yml"
\case links "$pb/links.yml"
\case stat "$pb/stat.yml"
SEED=$seeds/absent
\case absent "$pb/absent.yml"
SEED=$seeds/old
\case touch "$pb/touch.yml"
\case missing "$pb/missing.yml"
finish
