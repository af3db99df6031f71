#!/usr/bin/env bash
# slurp, fetch, script, wait_for, get_url and uri against ansible-playbook on
# the lab (lib.sh): the hosts' files, recaps, second run and --check, plus
# the registered results (debug output, timings and temporary names masked)
# and, for fetch, the trees each tool wrote on the controller.
source "$(dirname "$0")/lib.sh" "$1"
here=$(cd "$(dirname "$0")" && pwd)/transfer
work=$OUT/transfer
mkdir -p "$work/www/files" "$work/fetched"
cp -a "$here"/. "$work/cases"
chmod 0755 "$work/cases/files/"*.sh
printf 'alpha\n' >"$work/www/files/a.txt"
printf 'beta beta\n' >"$work/www/files/b.txt"
(cd "$work/www/files" && sha256sum a.txt b.txt >SHA256SUMS)
touch -d '2020-01-01 00:00:00' "$work/www/files/"*

# The HTTP server, on a port the kernel picks; a closed port beside it.
# Not a child of this shell: lib.sh's bare `wait`s would wait for it.
( /usr/bin/python3 "$here/server.py" "$work/www" "$work/port" \
    </dev/null >/dev/null 2>&1 9>&- & echo $! >"$work/server.pid" )
trap 'kill "$(cat "$work/server.pid")" 2>/dev/null; _lab_cleanup' EXIT
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
closed=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The debug output of both tools, comparable: addresses, timings, temporary
# names and what only an SSH terminal adds masked; Ansible's "failed":
# false and exception texts dropped; lines sorted inside each task, as the
# two hosts answer in any order.
normalize() { # output file, n1 address, n2 address
  /usr/bin/python3 - "$@" <<'PY'
import re, sys
text = open(sys.argv[1], errors='replace').read()
text = text.replace(sys.argv[2], '@N1@').replace(sys.argv[3], '@N2@')
subs = [
    (r'"elapsed": \d+', '"elapsed": N'),
    (r'"src": "[^"]*"', '"src": TMP'),
    (r'/[^" ]*/fetched/@N1@', 'FETCHED'),
    (r'Shared connection to \S+ closed\.\\r\\n', ''),
    (r'"Shared connection to \S+ closed\."', ''),
    (r'Last-Modified[^"]*', 'LM'),
]
for a, b in subs:
    text = re.sub(a, b, text)
out, block = [], []
def flush():
    out.extend(sorted(block)); block.clear()
for line in text.splitlines():
    if re.match(r'(TASK|PLAY) \[', line):
        flush(); out.append(line); continue
    if (re.search(r'"failed": false,?$', line) or '"exception":' in line
            or line.startswith('An exception occurred')
            or re.match(r'\s*"stderr(_lines)?": (""|\[\]|\[),?$', line)
            or re.match(r'\s*\],?$', line) or not line.strip()
            or line.startswith('[WARNING]')):
        continue
    line = re.sub(r', "exception": "[^"]*"', '', line)
    line = re.sub(r', "stderr": "[^"]*", "stderr_lines": \[[^]]*\]', '', line)
    block.append(line.rstrip(','))
flush()
print('\n'.join(out))
PY
}
compare_output() { # case name
  normalize "$OUT/ansible1" "$(addr 1)" "$(addr 2)" >"$OUT/na"
  normalize "$OUT/muster1" "$(addr 3)" "$(addr 4)" >"$OUT/nm"
  diff "$OUT/na" "$OUT/nm" >"$OUT/d"
  check "$1: same registered results (debug output)" $? "$OUT/d"
}
fetched_trees() {
  (cd "$work/fetched" && for side in $(addr 1) $(addr 3); do
    [ -d "$side" ] || { echo "no $side"; continue; }
    (cd "$side" && find . | LC_ALL=C sort | while IFS= read -r p; do
      if [ -d "$p" ]; then echo "$p dir $(stat -c %a "$p")"
      else echo "$p file $(stat -c %a "$p") $(sha1sum <"$p" | cut -c1-12)"; fi
    done) >"$OUT/fetched-$side"
  done)
  diff "$OUT/fetched-$(addr 1)" "$OUT/fetched-$(addr 3)" >"$OUT/d" &&
    [ -s "$OUT/fetched-$(addr 3)" ]
  check "transfer: the same trees fetched to the controller" $? "$OUT/d"
}

args=(-e "http_port=$port" -e "closed_port=$closed" -e "fetch_root=$work/fetched")
# One case for both playbooks: each case costs three runs of each tool.
cat "$work/cases/files_plays.yml" "$work/cases/http_plays.yml" \
    >"$work/cases/transfer.yml"
AFTER_FIRST=fetched_trees \case transfer "$work/cases/transfer.yml" "${args[@]}"
compare_output transfer
finish
