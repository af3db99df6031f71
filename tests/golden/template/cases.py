#!/usr/bin/python3
"""Read a template case file and print its cases as JSON lines.

The case file (cases/*.txt) is line based:
  # comment                    ignored
  @oracle jinja|ansible        who answers (python3-jinja2 or Ansible's Templar)
  @mode ansible|text|jinja     Templar.template(), the template module, plain Jinja2
  @trim                        trim_blocks on for the following jinja cases
  @vars {json}                 the variables of the following cases
  @begin ... @end              a multi-line template (kept verbatim)
  anything else                a one-line template
"""
import json
import sys


def cases(paths):
    for path in paths:
        oracle, mode, vars_, trim = "jinja", "jinja", {}, False
        lines = open(path, encoding="utf-8").read().split("\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            lineno = i + 1
            i += 1
            if line.startswith("#") or line.strip() == "":
                continue
            if line.startswith("@oracle "):
                oracle = line.split()[1]
                mode = {"jinja": "jinja", "ansible": "ansible"}[oracle]
                continue
            if line.startswith("@mode "):
                mode = line.split()[1]
                continue
            if line.strip() == "@trim":
                trim = True
                continue
            if line.strip() == "@notrim":
                trim = False
                continue
            if line.startswith("@vars "):
                vars_ = json.loads(line[6:])
                continue
            if line.strip() == "@begin":
                body = []
                while i < len(lines) and lines[i].strip() != "@end":
                    body.append(lines[i])
                    i += 1
                i += 1
                template = "\n".join(body) + "\n"
            else:
                template = line
            yield {"id": "%s:%d" % (path.split("/")[-1], lineno),
                   "oracle": oracle, "mode": mode, "trim_blocks": trim,
                   "template": template, "vars": vars_}


if __name__ == "__main__":
    for c in cases(sys.argv[1:]):
        print(json.dumps(c, ensure_ascii=False))
