#!/usr/bin/env bash
# difflib.c against Python's difflib.unified_diff (what Ansible's --diff
# prints): random line sequences, small alphabets (many equal lines), big
# files past autojunk's 200-line threshold, empty sides.  TAP.
set -uo pipefail
DRIVER=$(realpath "${1:?usage: test_difflib.sh DRIVER}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" <<'PY'
import os, random, sys
d = sys.argv[1]
rnd = random.Random(20261123)
n = 0
def write(a, b):
    global n
    n += 1
    for side, lines in (("a", a), ("b", b)):
        with open(os.path.join(d, "%03d.%s" % (n, side)), "w") as f:
            f.write("".join(l + "\n" for l in lines))
for size, alpha in [(0, 3), (1, 3), (5, 3), (12, 4), (40, 6), (80, 30),
                    (250, 5), (300, 400), (600, 12), (1500, 60)]:
    for _ in range(6):
        a = [str(rnd.randrange(alpha)) for _ in range(size)]
        b = list(a)
        for _ in range(rnd.randrange(1, 6)):
            op = rnd.randrange(3)
            i = rnd.randrange(len(b) + 1)
            if op == 0:
                b[i:i] = [str(rnd.randrange(alpha)) for _ in range(rnd.randrange(1, 6))]
            elif op == 1 and b:
                del b[i:i + rnd.randrange(1, 6)]
            elif b:
                b[i:i + 2] = ["x%d" % rnd.randrange(alpha)]
        write(a, b)
write([], ["only"])
write(["only"], [])
write(["same"] * 300, ["same"] * 300)
PY
n=0 failed=0
for a in "$tmp"/*.a; do
  b=${a%.a}.b
  n=$((n+1))
  /usr/bin/python3 -c '
import difflib, sys
a = open(sys.argv[1]).read().splitlines(True)
b = open(sys.argv[2]).read().splitlines(True)
sys.stdout.write("".join(difflib.unified_diff(a, b, "before", "after", "", "", n=3)))
' "$a" "$b" >"$tmp/want"
  "$DRIVER" "$a" "$b" >"$tmp/got"
  if cmp -s "$tmp/want" "$tmp/got"; then
    echo "ok $n - $(basename "$a" .a): same hunks as difflib"
  else
    echo "not ok $n - $(basename "$a" .a)"; diff "$tmp/want" "$tmp/got" | head -10 | sed 's/^/# /'
    failed=$((failed+1))
  fi
done
echo "1..$n"
[ $failed = 0 ]
