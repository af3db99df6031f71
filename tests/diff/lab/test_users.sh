#!/usr/bin/env bash
# The user and group modules on real SSH hosts against ansible-playbook:
# accounts seeded with useradd/groupadd are changed, new ones created with
# many argument combinations, some removed; /etc/passwd, shadow, group,
# gshadow, subuid/subgid, homes and skeleton copies compared by lib.sh, the
# registered results written to the hosts and compared with them.  Generated
# ssh keys are random: their paths are left out of lib.sh's comparison and
# compared here by mode, owner, type, comment and encryption.
source "$(dirname "$0")/lib.sh" "$1"
d=$CASE_DIR/users

# The date of the last password change (shadow's third field) is the day
# of the run: the same on both sides unless midnight falls between them.
NORMALIZE='s/^\([a-z_][a-z0-9_-]*:[^:]*:\)[0-9]\{4,6\}:/\1DAY:/'

key=$(cat "$d/seed_key") pub=$(cat "$d/seed_key.pub")
SEED_CMD="set -e
groupadd -g 4300 g_seed; groupadd g_seed2; groupadd g_del
useradd -m -u 4400 -c old -s /bin/sh -G g_seed u_mod
useradd -m -G g_seed u_app; useradd -m -G g_seed,g_del u_repl
useradd -M -G g_seed u_empty
useradd -M -p '\$6\$x\$old' u_unlock; usermod -L u_unlock
useradd -M -p '\$6\$x\$old' u_pw; useradd -M -p '\$6\$x\$old' u_pw2
useradd -M -e 2030-01-01 u_exp; useradd -M u_nohome2
useradd -m u_del; useradd -M u_del2
useradd -m k_seed; mkdir -m 700 /home/k_seed/.ssh
printf '%s\n' '$key' >/home/k_seed/.ssh/id_ed25519
printf '%s\n' '$pub' >/home/k_seed/.ssh/id_ed25519.pub
chmod 600 /home/k_seed/.ssh/id_ed25519
chown -R k_seed: /home/k_seed/.ssh"
\case users "$d/users.yml"
# Both tools failing early would agree too: the play must reach its end.
ran_through() { # name, output file, expected "ok=N changed=N ... ignored=N"
  local r; r=$(recap "$2" | grep -c "$3")
  check "$1: the play ran through ($3)" "$([ "$r" = 2 ]; echo $?)" "$2"
}
ran_through users "$OUT/muster1" 'failed=0 .* ignored=4'

# The generated keys, one line a file: path mode owner, and for a public
# key its type and comment, for a private one whether it is encrypted.
keyfacts() { # upper layer
  local f
  # shellcheck disable=SC2086
  ( cd "$1" && find $KEYDIRS -type f 2>/dev/null | sort ) |
  while read -r f; do
    printf '%s %s' "$f" "$(stat -c '%a %u:%g' "$1/$f")"
    case $f in
      *.pub) printf ' %s' "$(awk '{ $2 = ""; print }' "$1/$f")" ;;
      *) ssh-keygen -y -P '' -f "$1/$f" >/dev/null 2>&1 &&
           printf ' clear' || printf ' encrypted' ;;
    esac
    echo
  done
}
compare_keys() {
  local h a m
  for h in 1 2; do
    [ $h = 1 ] && a=$A1 m=$M1 || a=$A2 m=$M2
    diff <(keyfacts "$a") <(keyfacts "$m") >"$OUT/kd" ||
      { echo "[n$h: < ansible, > muster]"; cat "$OUT/kd"; }
  done >"$OUT/keys"
  check "$KEYCASE: same key files (mode, owner, type, comment)" \
    "$([ ! -s "$OUT/keys" ] && [ -n "$(keyfacts "$A1")" ]; echo $?)" "$OUT/keys"
}
KEYCASE=keys KEYDIRS='home/k_default/.ssh home/k_ed/.ssh home/k_pp/.ssh srv/keys/k_abs
  home/u_become/.ssh'
EXCLUDE='^(home/(k_default|k_ed|k_pp|u_become)/\.ssh|srv/keys/k_abs)/[^/]+$' \
  AFTER_FIRST=compare_keys \case keys "$d/keys.yml"
ran_through keys "$OUT/muster1" 'failed=0 .* ignored=[01]'

# force: the seeded key replaced (compared by keyfacts), and the passphrase
# quirk (k_seed2 keeps its private key, loses its public one).
KEYCASE=regen KEYDIRS='home/k_seed/.ssh home/k_seed2/.ssh'
SEED_CMD="$SEED_CMD
useradd -m k_seed2; cp -a /home/k_seed/.ssh /home/k_seed2/
chown -R k_seed2: /home/k_seed2/.ssh" EXCLUDE='^home/k_seed/\.ssh/[^/]+$' \
  NO_SECOND=1 AFTER_FIRST=compare_keys \case regen "$d/regen.yml"

# group's force (ansible-core 2.15; 2.14 refuses the argument): groupdel -f
# removes a user's primary group, which groupdel alone refuses.
SEED_CMD='groupadd g_prim; useradd -M -g g_prim u_prim' _lab_fresh
cat >"$OUT/force.yml" <<'YML'
- hosts: first
  gather_facts: false
  tasks:
    - group: {name: g_prim, state: absent}
      ignore_errors: true
    - group: {name: g_prim, state: absent, force: true}
YML
"$MUSTER" -i "$OUT/inv-m" "$OUT/force.yml" >"$OUT/force" 2>&1
check "group force: groupdel -f removes a primary group" "$(
  grep -q 'n1 .*ok=2 .*changed=1 .*failed=0 .*ignored=1' "$OUT/force" &&
  ! lab ssh 3 getent group g_prim >/dev/null; echo $?)" "$OUT/force"
finish
