#!/usr/bin/python3
"""Compare two documents of Ansible's json stdout callback: Ansible's and
muster's (ANSIBLE_STDOUT_CALLBACK=json).  Exit 0 if they are the same once
normalised, else print a unified diff and exit 1.

usage: json_compare.py ANSIBLE.json MUSTER.json [--unordered]

--unordered (strategy free): each host's task is an entry of its own and
hosts finish in any order, so the task entries of a play are sorted.

Normalised because the values are volatile or the tool's own:
- every "id" (uuids; Ansible gives the tasks of an included file new ids
  each time the file is included, muster one id a task of the playbook);
- "duration" start/end become T (whether "end" is there still counts);
- in results, the command timestamps "start", "end", "delta";
- an unreachable host's "msg" (how ssh words a refused connection);
- "The error was: ..." keeps only its "'x' is undefined" (Ansible quotes
  the playbook's lines, muster gives file:line:col);
- an include's "include" file is compared by its name (Ansible gives it
  as written, muster resolved);
- copy's temporary files: "src" of an upload, and a diff's "after_header"
  naming Ansible's local temporary file (the text test masks it too).
The rest of this file lists the keys dropped, and why.
"""
import difflib
import json
import os
import re
import sys

# Keys of a result that Ansible has and muster does not produce.
DROPPED = {
    # invocation.module_args: every option of Ansible's argument spec with
    # its default; muster validates against its own specs, which are not
    # Ansible's option for option.
    "invocation",
    # the delegate's connection variables, which muster does not report.
    "_ansible_delegated_vars",
}
# The implicit Gathering Facts: muster gathers fewer facts (test_facts.sh
# compares them) and its setup reports no deprecations/warnings lists.
GATHER_DROPPED = {"deprecations", "warnings"}


def norm_result(r, task, in_items=False):
    if isinstance(r, list):
        return [norm_result(x, task, in_items) for x in r]
    if not isinstance(r, dict):
        return r
    out = {}
    for k, v in r.items():
        if k in DROPPED:
            continue
        if k in ("start", "end", "delta") and isinstance(v, str):
            v = "X"
        elif k == "src" and isinstance(v, str) and re.search(
                r"/\.ansible/tmp/|/\.muster\.", v):
            v = "TMP"
        elif k == "after_header" and isinstance(v, str) and re.search(
                r"/ansible-local", v):
            continue
        elif k == "include" and isinstance(v, str):
            v = os.path.basename(v)
        elif k == "msg" and isinstance(v, str):
            v = re.sub(r"The error was: .*?('[^']+' is undefined).*",
                       r"The error was: \1", v, flags=re.S)
        elif k == "results" and isinstance(v, list):
            v = [norm_result(x, task, True) for x in v]
        else:
            v = norm_result(v, task, in_items)
        out[k] = v
    if out.get("unreachable") is True and "msg" in out:
        out["msg"] = "X"
    if out.get("action") == "gather_facts":
        for k in GATHER_DROPPED:
            out.pop(k, None)
        if "ansible_facts" in out:
            out["ansible_facts"] = "FACTS"
    return out


def normalise(doc, unordered):
    def entry(e):  # a play's or a task's {"duration", "id", ...}
        e = dict(e)
        e["duration"] = {k: "T" for k in e.get("duration", {})}
        if "id" in e:
            e["id"] = "ID"
        return e

    plays = []
    for p in doc.get("plays", []):
        tasks = []
        for t in p["tasks"]:
            tasks.append({"hosts": {h: norm_result(r, t["task"])
                                    for h, r in t["hosts"].items()},
                          "task": entry(t["task"])})
        if unordered:
            tasks.sort(key=lambda t: json.dumps(
                [t["task"]["path"], t["task"]["name"], t["hosts"]],
                sort_keys=True))
        plays.append({"play": entry(p["play"]), "tasks": tasks})
    out = dict(doc)
    out["plays"] = plays
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    unordered = "--unordered" in sys.argv
    docs = []
    for path in args:
        try:
            with open(path, encoding="utf-8") as f:
                docs.append(normalise(json.load(f), unordered))
        except (OSError, ValueError, KeyError, TypeError) as e:
            print("%s: not a json callback document: %r" % (path, e))
            return 1
    a, m = (json.dumps(d, indent=1, sort_keys=True).splitlines()
            for d in docs)
    diff = list(difflib.unified_diff(a, m, "ansible", "muster", lineterm=""))
    if diff:
        print("\n".join(diff[:80]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
