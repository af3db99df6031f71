#!/usr/bin/python3
"""Answer template cases (JSON lines on stdin) with the real thing:
python3-jinja2 for plain Jinja2, Ansible's Templar for Ansible's semantics.
Prints {"id", "ok": result} or {"id", "error": message} per case."""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("ANSIBLE_LOCAL_TEMP", "/tmp/muster-oracle-ansible")

import jinja2  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.template import Templar  # noqa: E402

loader = DataLoader()


def plain(v):
    """Ansible's wrapped types (AnsibleUnsafeText, NativeJinjaText) to plain."""
    if isinstance(v, dict):
        return {plain(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, str):
        return str(v)
    if isinstance(v, (bool, int, float)) or v is None:
        return v
    raise TypeError("unexpected result type %s" % type(v).__name__)


def answer(c):
    if c["oracle"] == "jinja":
        env = jinja2.Environment(undefined=jinja2.StrictUndefined,
                                 trim_blocks=c["trim_blocks"])
        return env.from_string(c["template"]).render(**c["vars"])
    t = Templar(loader=loader, variables=c["vars"])
    if c["mode"] == "text":
        return t.do_template(c["template"], preserve_trailing_newlines=True,
                             escape_backslashes=False)
    return t.template(c["template"])


for line in sys.stdin:
    c = json.loads(line)
    try:
        out = {"id": c["id"], "ok": plain(answer(c))}
    except Exception as e:  # noqa: BLE001 - any failure is an expected error
        out = {"id": c["id"], "error": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(out, ensure_ascii=False), flush=True)
