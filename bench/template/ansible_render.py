#!/usr/bin/python3
"""Render the template N times with Ansible's Templar as the template module
does; print seconds per render and the peak RSS growth per render."""
import json
import resource
import sys
import time
import warnings

warnings.filterwarnings("ignore")
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.template import Templar  # noqa: E402

tmpl = open(sys.argv[1]).read()
variables = json.load(open(sys.argv[2]))
n = int(sys.argv[3])
t = Templar(loader=DataLoader(), variables=variables)
out = t.do_template(tmpl, preserve_trailing_newlines=True, escape_backslashes=False)
open(sys.argv[4], "w").write(out)
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
for _ in range(n):
    t.do_template(tmpl, preserve_trailing_newlines=True, escape_backslashes=False)
dt = (time.perf_counter() - t0) / n
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("%.9f %d" % (dt, max(rss1 - rss0, 0)))
