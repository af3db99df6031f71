#!/usr/bin/env bash
# The apt family on real SSH hosts against ansible-playbook, with the lab's
# local repository (tests/lab/aptrepo.sh, bind-mounted at /srv/muster-apt as
# the hosts' only source): apt (lists, pinned versions, latest, globs,
# update_cache, cache_valid_time, absent/purge, deb, failures), package,
# dpkg_selections and apt_repository; dpkg's database and the files the
# packages install are compared in the hosts' upper layers.
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" = 0 ] && ! "$here/../../lab/aptrepo.sh" >/tmp/muster-aptrepo.log 2>&1; then
  echo "1..0 # SKIP no local apt repository: $(tail -1 /tmp/muster-aptrepo.log)"; exit 0
fi
source "$(dirname "$0")/lib.sh" "$1"
d=$CASE_DIR/apt
# apt's list files and stamps carry times; dpkg's -old copies too; gpg's
# state under /root/.gnupg (Ansible's apt_key leaves it, muster's uses a
# throw-away home) carries times.
EXCLUDE='var/lib/apt/lists|var/lib/apt/periodic|var/lib/dpkg/[a-z]+-old$|root/\.gnupg'
# ONLY=NAME (environment) runs one case.
run() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ] || return 0; \case "$@"; }

run apt "$d/apt.yml"

SEED_CMD='printf "%s\n" "#deb http://127.0.0.1:9/old bookworm main" "deb   http://127.0.0.1:9/gone  bookworm main # gone" "#  a comment" "" >/etc/apt/sources.list.d/old.list
echo "deb http://127.0.0.1:9/only bookworm main" >/etc/apt/sources.list.d/only.list' \
run repo "$d/repo.yml"

# Keys: made here, served on loopback for url=, one pre-installed to remove.
g=$OUT/gnupg www=$OUT/www; mkdir -p "$g" "$www"; chmod 700 "$g"
for k in 1 2 3; do
  gpg --homedir "$g" --batch --passphrase '' --quick-gen-key "muster lab $k <lab$k@muster.invalid>" ed25519 sign never 2>/dev/null
  gpg --homedir "$g" --armor --export "lab$k@muster.invalid" >"$www/lab$k.asc"
done
gpg --homedir "$g" --export lab3@muster.invalid >"$www/lab3.gpg"
key3=$(gpg --homedir "$g" --with-colons --list-keys lab3@muster.invalid 2>/dev/null | awk -F: '$1 == "pub" { print $5; exit }')
port=$(( 20000 + RANDOM % 20000 ))
# Not a job of this shell: the harness waits for its own jobs.
(cd "$www" && { /usr/bin/python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1 & echo $! >"$OUT/http.pid"; })
sleep 0.5; http_pid=$(cat "$OUT/http.pid")
SEED_CMD="echo $(base64 -w0 "$www/lab3.gpg") | base64 -d >/etc/apt/trusted.gpg.d/muster-lab3.gpg" \
run key "$d/key.yml" -e "key_url=http://127.0.0.1:$port" -e "key_dir=$www" -e "key3_id=$key3"
kill "$http_pid" 2>/dev/null
finish
