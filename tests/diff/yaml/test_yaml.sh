#!/usr/bin/env bash
# Every YAML file here loads in muster exactly as PyYAML's safe_load loads it
# (the parser Ansible uses), compared as JSON.  TAP.
set -uo pipefail
MUSTER=${1:?usage: test_yaml.sh MUSTER}
here=$(cd "$(dirname "$0")" && pwd)
n=0 failed=0
for f in "$here"/*.yml; do
  n=$((n+1))
  want=$(/usr/bin/python3 - "$f" <<'PY'
import datetime, json, sys, yaml
def conv(v):
    if isinstance(v, dict): return {str(k) if not isinstance(k, str) else k: conv(x) for k, x in v.items()}
    if isinstance(v, list): return [conv(x) for x in v]
    if isinstance(v, (datetime.date, datetime.datetime)): return str(v)
    return v
print(json.dumps(conv(yaml.safe_load(open(sys.argv[1])))))
PY
)
  got=$("$MUSTER" __yaml "$f" 2>&1)
  if [ "$got" = "$want" ]; then echo "ok $n - $(basename "$f") loads as PyYAML loads it"
  else
    echo "not ok $n - $(basename "$f") loads as PyYAML loads it"; failed=$((failed+1))
    /usr/bin/python3 -c 'import json,sys
a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2])
for k in b:
    if a.get(k)!=b.get(k): print("#  key", k, "\n#   muster:", a.get(k), "\n#   pyyaml:", b.get(k))' "$got" "$want" 2>/dev/null || echo "# $got"
  fi
done
# Errors name the file, line and column.
n=$((n+1))
printf 'a: 1\nb: [1, 2\nc: 3\n' >/tmp/muster-bad-$$.yml
out=$("$MUSTER" __yaml /tmp/muster-bad-$$.yml 2>&1); rc=$?
rm -f /tmp/muster-bad-$$.yml
if [ $rc = 1 ] && echo "$out" | grep -q "muster-bad-$$.yml:[0-9]*:[0-9]*: yaml syntax error"; then echo "ok $n - a syntax error names file:line:col"
else echo "not ok $n - a syntax error names file:line:col"; echo "# $out"; failed=$((failed+1)); fi
echo "1..$n"
[ $failed = 0 ]
