#!/usr/bin/python3
"""Print 'N passed, N failed' from meson's testlog.json.

A TAP test counts each of its 'ok'/'not ok' lines; any other test counts
once.  A TAP test that failed without reporting a failing line (it crashed)
counts one failure more.
"""
import json
import re
import sys

passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        t = json.loads(line)
        res = t.get("result")
        out = t.get("stdout") or ""
        oks = len(re.findall(r"^ok \d+", out, re.M))
        skips = len(re.findall(r"^ok \d+.*# *SKIP", out, re.M | re.I))
        nots = len(re.findall(r"^not ok \d+", out, re.M))
        if oks or nots:
            passed += oks - skips
            skipped += skips
            failed += nots
            if res not in ("OK", "EXPECTEDFAIL", "SKIP") and nots == 0:
                failed += 1
        elif res == "SKIP":
            skipped += 1
        elif res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        else:
            failed += 1
if skipped:
    print(f"({skipped} skipped)")
# CI reads this line, alone, last.
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
