#!/usr/bin/env bash
# The journal (--journal FILE, MUSTER_JOURNAL=FILE): one JSON object a line
# for every event, in order, with every host's result as the text shows
# it; mode 0600; the text on stdout is the same with and without it; a
# killed run leaves whole lines.  Hosts use ansible_connection=local.  TAP.
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_journal.sh MUSTER}")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export ANSIBLE_RETRY_FILES_ENABLED=False
unset MUSTER_JOURNAL ANSIBLE_STDOUT_CALLBACK
cd "$here"
n=0 failed=0
ok() { # STATUS DESCRIPTION [FILE TO SHOW]
  n=$((n+1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else
    echo "not ok $n - $2"; failed=$((failed+1))
    [ -f "${3:-}" ] && sed 's/^/# /' "$3" | head -30
  fi
}
mask() { sed -E 's/"(delta|end|start|epoch)": "[^"]*"/"\1": X/g' "$1"; }

# The journal against the text of the same run: every line valid JSON, the
# events in order, each result line of the text a result event, the recap
# the stats event.
check() { # JOURNAL TEXT
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, re, sys
from collections import Counter
jpath, tpath = sys.argv[1], sys.argv[2]
raw = open(jpath, "rb").read()
bad = []
if not raw.endswith(b"\n"):
    bad.append("the journal does not end with a newline")
events = []
for i, line in enumerate(raw.decode("utf-8").splitlines(), 1):
    try:
        e = json.loads(line)
    except ValueError as x:
        sys.exit("line %d is not JSON: %s" % (i, x))
    if not isinstance(e, dict) or "event" not in e or "time" not in e:
        sys.exit("line %d: no event or time" % i)
    events.append(e)
names = [e["event"] for e in events]
if names[:1] != ["playbook_start"] or names[-1:] != ["stats"]:
    bad.append("first/last events: %s ... %s" % (names[:1], names[-1:]))
times = [e["time"] for e in events]
if times != sorted(times):
    bad.append("times go backwards")
# order: a result belongs to the task last started, in the play last started
play = task = None
started = set()
for e in events:
    ev = e["event"]
    if ev == "play_start":
        play, task = e["play"], None
    elif ev in ("task_start", "handler_start"):
        task = e["task"]
        started = set()
        if e["play"] != play:
            bad.append("task_start outside its play: %s" % e)
    elif ev in ("item_result", "host_result", "retry", "include"):
        if e["task"] != task or e["play"] != play:
            bad.append("%s for %r/%r after task %r" % (ev, e["play"],
                       e["task"], task))
        if ev == "host_result":
            if e["host"] in started:
                bad.append("two results for %s in %s" % (e["host"], task))
            started.add(e["host"])
        if ev == "item_result" and e["host"] in started:
            bad.append("item after the host's result: %s" % e)
    for k in ("status",):
        if k in e and e[k] not in ("ok", "changed", "failed", "skipped",
                                   "unreachable", "ignored"):
            bad.append("bad status %r" % e[k])
    if ev in ("item_result", "host_result") and not isinstance(
            e.get("result"), dict):
        bad.append("no result dict: %s" % e)

# the text: each task's result lines, as (task, host, item, status)
def label(e):
    d = e.get("delegate")
    return e["host"] + (" -> " + d if d else "")
text = Counter()
cur, last = None, None
for line in open(tpath, encoding="utf-8").read().split("\n"):
    m = re.match(r"^(TASK|RUNNING HANDLER) \[(.*)\] \*+$", line)
    if m:
        cur = m.group(2)
        continue
    if re.match(r"^PLAY (\[|RECAP)", line):
        cur = None
        continue
    if cur is None:
        continue
    m = (re.match(r"^(ok|changed): \[([^\]]+)\](?: => \(item=(.*?)\))?(?: =>.*)?$", line)
         or re.match(r"^(skipping): \[([^\]]+)\](?: => \(item=(.*)\) )?$", line)
         or re.match(r"^(failed): \[([^\]]+)\] \(item=(.*?)\) => ", line))
    if m:
        last = (cur, m.group(2), m.group(3), m.group(1).replace("skipping", "skipped"))
        text[last] += 1
        continue
    m = re.match(r"^fatal: \[([^\]]+)\]: (FAILED|UNREACHABLE)! => ", line)
    if m:
        last = (cur, m.group(1), None, m.group(2).lower().replace("unreachable", "unreachable"))
        text[last] += 1
        continue
    if line == "...ignoring" and last is not None:
        text[last] -= 1
        last = last[:3] + ("ignored",)
        text[last] += 1
text = +text
jrn = Counter()
for e in events:
    if e["event"] == "item_result":
        if e["action"] == "include_tasks" and e["status"] != "skipped":
            continue    # the text says "included:" for those
        st = "failed" if e["status"] == "unreachable" else e["status"]
        jrn[(e["task"], label(e), e["item"], st)] += 1
    elif e["event"] == "host_result":
        r = e["result"]
        looped = isinstance(r.get("results"), list) and e["action"] != "include_tasks"
        incl = e["action"] == "include_tasks"
        if (looped or incl) and e["status"] not in ("skipped", "failed"):
            continue    # the items had the lines
        if looped and e["status"] == "failed":
            continue
        jrn[(e["task"], label(e), None, e["status"])] += 1
    elif e["event"] == "meta" and e["status"] == "skipped":
        jrn[(e["task"], e["host"], None, "skipped")] += 1
for k in sorted(set(text) | set(jrn), key=str):
    if text[k] != jrn[k]:
        bad.append("text has %d, journal %d of %s" % (text[k], jrn[k], k))
# the recap
recap = {}
for line in open(tpath, encoding="utf-8"):
    m = re.match(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+"
                 r"failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)", line)
    if m:
        recap[m.group(1)] = dict(zip(("ok", "changed", "unreachable", "failed",
                                      "skipped", "rescued", "ignored"),
                                     map(int, m.groups()[1:])))
if events[-1].get("stats") != recap:
    bad.append("stats %s != recap %s" % (events[-1].get("stats"), recap))
if bad:
    print("\n".join(bad[:20]))
    sys.exit(1)
print("%d events, %d result lines" % (len(events), sum(text.values())))
PY
}

# each playbook with and without --journal: the same text, a journal
# that agrees with it
for c in "cases/json_cb.yml hosts4" "cases/unreachable.yml hosts4" \
         "cases/include_loop.yml hosts4" "cases/handlers_plays.yml hosts" \
         "cases/fatal.yml hosts4"; do
  set -- $c
  rm -f "$tmp/j"
  "$MUSTER" -f 1 -i "$2" "$1" </dev/null >"$tmp/t0" 2>"$tmp/e0"; rc0=$?
  "$MUSTER" -f 1 -i "$2" "$1" --journal "$tmp/j" </dev/null >"$tmp/t1" 2>"$tmp/e1"; rc1=$?
  mask "$tmp/t0" >"$tmp/t0m"; mask "$tmp/t1" >"$tmp/t1m"
  { diff -u "$tmp/t0m" "$tmp/t1m"; diff -u "$tmp/e0" "$tmp/e1"; } >"$tmp/d"
  [ $rc0 = $rc1 ] && [ ! -s "$tmp/d" ]
  ok $? "$1: the text and exit code ($rc0) are the same with --journal" "$tmp/d"
  check "$tmp/j" "$tmp/t1" >"$tmp/d" 2>&1
  ok $? "$1: journal lines are JSON, in order, one result a text line, stats = recap ($(tail -1 "$tmp/d"))" "$tmp/d"
done

# failing and unreachable hosts, ignored errors, loops, handlers, includes
"$MUSTER" -i hosts4 cases/json_cb.yml --journal "$tmp/j1" >/dev/null 2>&1
"$MUSTER" -i hosts4 cases/unreachable.yml --journal "$tmp/j2" >/dev/null 2>&1
"$MUSTER" -i hosts4 cases/include_loop.yml --journal "$tmp/j3" >/dev/null 2>&1
"$MUSTER" -i hosts4 cases/fatal.yml --journal "$tmp/j4" >/dev/null 2>&1
/usr/bin/python3 - "$tmp/j1" "$tmp/j2" "$tmp/j3" "$tmp/j4" >"$tmp/d" 2>&1 <<'PY'
import json, sys
ev = []
for p in sys.argv[1:]:
    ev += [json.loads(l) for l in open(p)]
def has(**kw):
    return any(all(e.get(k) == v for k, v in kw.items()) for e in ev)
want = [
    dict(event="host_result", task="w4 fails and stops", host="w4", status="failed"),
    dict(event="host_result", task="ignored failure", host="w2", status="ignored"),
    dict(event="host_result", task="changed", host="w1", status="changed"),
    dict(event="host_result", task="skipped on all but w1", host="w2", status="skipped"),
    dict(event="item_result", task="loop with results", host="w1", item="b", status="changed"),
    dict(event="item_result", task="loop with a label and a skipped item", host="w3", item="n=1", status="skipped"),
    dict(event="handler_start", task="handler one"),
    dict(event="play_start", play="second play"),
    dict(event="include", task="looped include", item="a"),
    dict(event="no_more_hosts"),
]
bad = [w for w in want if not has(**w)]
unreach = [e for e in ev if e.get("status") == "unreachable" and e["event"] == "host_result"]
if not unreach:
    bad.append("no unreachable host_result")
# no_log: the result is censored, the secret output nowhere
sec = [e for e in ev if e.get("task") == "secret" and e["event"] == "host_result"]
if not sec or any("censored" not in e["result"] or "stdout" in e["result"] for e in sec):
    bad.append("no_log result not censored: %s" % sec[:1])
loop = [e for e in ev if e.get("task") == "loop with results" and e["event"] == "host_result"]
if not loop or len(loop[0]["result"].get("results", [])) != 2:
    bad.append("the loop's host_result has no results list")
print("\n".join(map(str, bad)) if bad else "all there")
sys.exit(1 if bad else 0)
PY
ok $? "a failed, an ignored, an unreachable host; items, handlers, includes, no more hosts; no_log censored" "$tmp/d"

# mode 0600: a new file, and an existing 0644 one (truncated too)
"$MUSTER" -i hosts cases/basics.yml --journal "$tmp/new" >/dev/null 2>&1
printf 'old content\n' >"$tmp/old"; chmod 644 "$tmp/old"
"$MUSTER" -i hosts cases/basics.yml --journal "$tmp/old" >/dev/null 2>&1
[ "$(stat -c %a "$tmp/new")" = 600 ] && [ "$(stat -c %a "$tmp/old")" = 600 ] &&
  ! grep -q 'old content' "$tmp/old" && head -1 "$tmp/old" | grep -q playbook_start
ok $? "the journal is mode 0600, created or truncated"

# MUSTER_JOURNAL, and --journal over it
MUSTER_JOURNAL="$tmp/env" "$MUSTER" -i hosts cases/basics.yml >/dev/null 2>&1
MUSTER_JOURNAL="$tmp/env2" "$MUSTER" -i hosts cases/basics.yml --journal "$tmp/opt" >/dev/null 2>&1
[ -s "$tmp/env" ] && [ -s "$tmp/opt" ] && [ ! -e "$tmp/env2" ]
ok $? "MUSTER_JOURNAL=FILE, and --journal wins over it"

# a journal that cannot be created: exit 1 before anything runs
"$MUSTER" -i hosts cases/basics.yml --journal "$tmp/no/such/dir/j" >"$tmp/o" 2>"$tmp/e"; rc=$?
[ $rc = 1 ] && [ ! -s "$tmp/o" ] && grep -q "cannot create the journal" "$tmp/e"
ok $? "an uncreatable journal is an error (exit 1, nothing run)" "$tmp/e"

# with the json stdout callback: the document on stdout, the journal beside
ANSIBLE_STDOUT_CALLBACK=json "$MUSTER" -i hosts cases/basics.yml \
  --journal "$tmp/jj" >"$tmp/doc" 2>/dev/null
/usr/bin/python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
ev = [json.loads(l) for l in open(sys.argv[2])]
assert doc["stats"] == {h: {"changed": s["changed"], "failures": s["failed"],
    "ignored": s["ignored"], "ok": s["ok"], "rescued": s["rescued"],
    "skipped": s["skipped"], "unreachable": s["unreachable"]}
    for h, s in ev[-1]["stats"].items()}' "$tmp/doc" "$tmp/jj" 2>"$tmp/d"
ok $? "ANSIBLE_STDOUT_CALLBACK=json and --journal together" "$tmp/d"

# killed while a task runs: the lines written so far are whole, and they
# were written as the run went (tail -f)
cat >"$tmp/slow.yml" <<'YML'
- hosts: web
  gather_facts: false
  tasks:
    - debug: msg=one
    - name: slow
      command: sleep 30
YML
"$MUSTER" -i hosts "$tmp/slow.yml" --journal "$tmp/k" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q '"task": "slow"' "$tmp/k" 2>/dev/null && break
  sleep 0.1
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
/usr/bin/python3 -c '
import json, sys
raw = open(sys.argv[1], "rb").read()
assert raw.endswith(b"\n"), "a partial line"
ev = [json.loads(l) for l in raw.decode().splitlines()]
names = [e["event"] for e in ev]
assert "stats" not in names and names.count("host_result") == 2, names
assert ev[-1]["event"] == "task_start" and ev[-1]["task"] == "slow", ev[-1]' "$tmp/k" 2>"$tmp/d"
ok $? "a run killed mid-task leaves whole lines, written as it went" "$tmp/d"

echo "1..$n"
[ $failed = 0 ]
