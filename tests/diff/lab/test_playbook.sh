#!/usr/bin/env bash
# Playbooks of issue #4 on real SSH hosts: roles, includes, blocks,
# handlers, loops, become, delegate_to, run_once, serial, the file modules
# and a node-prep playbook editing a seeded /etc/fstab and /etc/hosts.
# ansible-playbook runs on two lab hosts and muster on two others; lib.sh
# compares recaps, the files left on the hosts, a second run and --check.
source "$(dirname "$0")/lib.sh" "$1"
pb=$CASE_DIR/playbook

\case roles "$pb/roles.yml"
\case flow "$pb/flow.yml"
\case modules "$pb/modules.yml"
# include_tasks with loop and vars, import_role with vars.
\case gaps "$pb/gaps.yml"
# --tags: the tagged-only task joins, untagged tasks stay out.
NO_SECOND=1 NO_CHECK=1 \case flow-tags "$pb/flow.yml" --tags setup,extra
SEED_CMD='printf "%s\n" "UUID=1234 / ext4 errors=remount-ro 0 1" "/swap.img none swap sw 0 0" "#/dev/sdb1 /old ext4 defaults 0 0" >/etc/fstab' \
  \case nodeprep "$pb/nodeprep.yml"
finish
