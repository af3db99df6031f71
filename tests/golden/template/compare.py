#!/usr/bin/python3
"""Compare muster's answers with the oracle's and with the golden records.

usage: compare.py CASES ORACLE MUSTER GOLDEN [--update]
Prints TAP: one line per case.  A case passes when muster and the oracle
give the same value (same JSON, so 1, 1.0, True and "1" all differ) or both
fail, and the golden record still equals the oracle (else it is stale).
--update rewrites GOLDEN from the oracle's answers."""
import json
import sys


def load(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out[r["id"]] = r
    return out


def key(r):
    if r is None:
        return None
    if "error" in r:
        return ("error",)
    return ("ok", json.dumps(r["ok"], sort_keys=False, ensure_ascii=False))


def main():
    cases_path, oracle_path, muster_path, golden_path = sys.argv[1:5]
    cases = [json.loads(l) for l in open(cases_path, encoding="utf-8")]
    oracle = load(oracle_path)
    muster_lines = [json.loads(l) for l in open(muster_path, encoding="utf-8")]
    if "--update" in sys.argv:
        with open(golden_path, "w", encoding="utf-8") as f:
            for c in cases:
                r = dict(oracle[c["id"]])
                if "error" in r:
                    r["error"] = True
                r["template"] = c["template"]
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    golden = load(golden_path)
    failed = 0
    for n, c in enumerate(cases, 1):
        o = oracle.get(c["id"])
        m = muster_lines[n - 1] if n - 1 < len(muster_lines) else None
        g = golden.get(c["id"])
        problems = []
        if key(m) != key(o):
            problems.append("muster %s, %s %s" % (
                json.dumps(m, ensure_ascii=False),
                c["oracle"], json.dumps(o, ensure_ascii=False)))
        if key(g) != key(o) or (g is not None and g.get("template") != c["template"]):
            problems.append("golden record is stale (run with --update)")
        desc = "%s %s" % (c["id"], json.dumps(c["template"], ensure_ascii=False)[:70])
        if problems:
            failed += 1
            print("not ok %d - %s" % (n, desc))
            for p in problems:
                print("#   " + p)
        else:
            print("ok %d - %s" % (n, desc))
    print("1..%d" % len(cases))
    sys.exit(1 if failed else 0)


main()
