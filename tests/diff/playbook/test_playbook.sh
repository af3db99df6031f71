#!/usr/bin/env bash
# Playbooks run by ansible-playbook and by muster on hosts with
# ansible_connection=local (side-effect free): the same exit code, the same
# PLAY RECAP, and the same output once timestamps are masked and each
# task's host lines are sorted (hosts finish in any order).  TAP.
set -uo pipefail
MUSTER=$(realpath "${1:?usage: test_playbook.sh MUSTER}")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export ANSIBLE_LOCAL_TEMP="$tmp/ansible-tmp" ANSIBLE_LOCALHOST_WARNING=False \
    ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_RETRY_FILES_ENABLED=False \
    ANSIBLE_NOCOLOR=1
cd "$here"
n=0 failed=0
norm() { # mask volatile values; sort the lines of each task section
  /usr/bin/python3 - "$1" "${2:-}" <<'PY'
import re, sys
out, sec = [], []
if sys.argv[2] == "lines":
    # strategy free: hosts interleave, so compare the set of result lines
    res = []
    for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
        if not line or re.match(r"^(TASK|RUNNING HANDLER) \[", line):
            continue
        m = re.match(r"^(included: .* for )(.*?)( => \(item=.*\))?$", line)
        if m:
            res.extend(m.group(1) + h + (m.group(3) or "")
                       for h in m.group(2).split(", "))
        else:
            res.append(line)
    print("\n".join(sorted(res)))
    sys.exit(0)
def flush():
    out.extend(sorted(sec)); sec.clear()
text = open(sys.argv[1], encoding="utf-8").read()
# -v: Ansible names its config file; its interpreter discovery is Python's
text = re.sub(r'"ansible_facts": \{"discovered_interpreter_python": "[^"]*"\}, ', '', text)
text = re.sub(r' *"ansible_facts": \{\n *"discovered_interpreter_python": "[^"]*"\n *\},\n', '', text)
if sys.argv[2] == "vvv":
    # -vvv: Ansible's connection chatter and module arguments are its own
    text = re.sub(r' *"invocation": \{\n *"module_args": \{\n(.*\n)*? *\}\n *\},?\n', '', text)
    text = text[text.find("PLAY ["):] if "PLAY [" in text else text
    keep = re.compile(r'^(PLAY|TASK|RUNNING HANDLER|ok:|changed:|skipping:|fatal:|failed:|\.\.\.ignoring|[ {}\[\]"]|localhost|w[0-9]|$)')
    text = "\n".join(l for l in text.split("\n") if keep.match(l) and not l.startswith("<"))
for line in text.split("\n"):
    if re.match(r"^(No config file found; using defaults|Using .* as config file)$", line):
        continue
    line = re.sub(r'"(delta|end|start|epoch)": "[^"]*"', r'"\1": X', line)
    # how ssh words a refused connection is the tool's own
    line = re.sub(r'(UNREACHABLE! => ).*', r'\1X', line)
    # copy's content goes through a temporary file on Ansible's side
    line = re.sub(r'^(\+\+\+ after): /tmp/\S*ansible-local\S*$', r'\1', line)
    # Ansible quotes the playbook's lines; muster gives file:line:col.
    line = re.sub(r"The error was: .*?('[^']+' is undefined).*\"\}$",
                  r"The error was: \1\"}", line)
    # hosts that share an included file are listed as their results came
    m = re.match(r"^(included: .* for )(.*?)( => \(item=.*\))?$", line)
    if m:
        line = m.group(1) + ", ".join(sorted(m.group(2).split(", "))) + (m.group(3) or "")
    if re.match(r"^(PLAY|TASK|RUNNING HANDLER) \[|^PLAY RECAP", line):
        flush(); out.append(line)
    else:
        sec.append(line)
flush()
print("\n".join(out))
PY
}
while IFS='|' read -r pb args inv mode; do
  [ -n "$pb" ] || continue
  inv=${inv:-hosts}
  n=$((n+1))
  /usr/bin/ansible-playbook -i "$inv" "$pb" $args </dev/null >"$tmp/a" 2>"$tmp/ae"; arc=$?
  "$MUSTER" -i "$inv" "$pb" $args </dev/null >"$tmp/m" 2>"$tmp/me"; mrc=$?
  norm "$tmp/a" "${mode:-}" >"$tmp/an"; norm "$tmp/m" "${mode:-}" >"$tmp/mn"
  if [ $arc = $mrc ] && diff -u "$tmp/an" "$tmp/mn" >"$tmp/d"; then
    echo "ok $n - $pb $args: same output, recap and exit code ($arc)"
  else
    echo "not ok $n - $pb $args (ansible rc=$arc, muster rc=$mrc)"
    sed 's/^/# /' "$tmp/d" | head -40; sed 's/^/# stderr: /' "$tmp/me" | head -5
    failed=$((failed+1))
  fi
done <<'CASES'
cases/basics.yml|
cases/blocks_loops_facts.yml|
cases/handlers_plays.yml|
cases/roles_tags.yml|
cases/roles_tags.yml|--tags webtag
cases/roles_tags.yml|--tags debugonly,vars
cases/roles_tags.yml|--skip-tags always,vars
cases/roles_tags.yml|--tags tagged
cases/roles_tags.yml|--tags untagged
cases/roles_tags.yml|--skip-tags all
cases/roles_tags.yml|--list-tasks
cases/roles_tags.yml|--list-tags
cases/roles_tags.yml|--list-tasks --tags imported
cases/handlers_plays.yml|--syntax-check
cases/basics.yml|--start-at-task change
cases/blocks_loops_facts.yml|--check
cases/basics.yml|-e pkgs=[x] --limit w1
cases/serial_env.yml|
cases/delegate.yml|
cases/pbvars.yml|
cases/fatal.yml||hosts4
cases/fatal_block.yml||hosts4
cases/maxfail.yml||hosts4
cases/maxfail_ok.yml||hosts4
cases/unreachable.yml||hosts4
cases/misc_kw.yml||hosts4
cases/diff.yml|--diff|hosts4
cases/diff.yml|--diff --check|hosts4
cases/free.yml||hosts4|lines
cases/pause.yml||hosts4
cases/include_loop.yml||hosts4
cases/free.yml|-f 1|hosts4|lines
cases/basics.yml|-v|
cases/blocks_loops_facts.yml|-v|
cases/verbose.yml||hosts4
cases/verbose.yml|-v|hosts4
cases/verbose.yml|-vvv|hosts4|vvv
CASES
# the retry file, with Ansible's setting: same output, same file
n=$((n+1))
mkdir -p "$tmp/ra" "$tmp/rm"
ANSIBLE_RETRY_FILES_ENABLED=1 ANSIBLE_RETRY_FILES_SAVE_PATH="$tmp/ra" \
  /usr/bin/ansible-playbook -i hosts4 cases/maxfail_ok.yml >"$tmp/a" 2>&1
ANSIBLE_RETRY_FILES_ENABLED=1 ANSIBLE_RETRY_FILES_SAVE_PATH="$tmp/rm" \
  "$MUSTER" -i hosts4 cases/maxfail_ok.yml >"$tmp/m" 2>&1
norm "$tmp/a" | sed "s|$tmp/ra|DIR|" >"$tmp/an"; norm "$tmp/m" | sed "s|$tmp/rm|DIR|" >"$tmp/mn"
if diff -u "$tmp/an" "$tmp/mn" >"$tmp/d" && cmp -s "$tmp/ra/maxfail_ok.retry" "$tmp/rm/maxfail_ok.retry" &&
   "$MUSTER" -i hosts4 cases/basics.yml --limit @"$tmp/rm/maxfail_ok.retry" --list-hosts >"$tmp/l" &&
   grep -q 'hosts (4)' "$tmp/l"; then
  echo "ok $n - retry file: same message and hosts as Ansible's; --limit @file reads it"
else
  echo "not ok $n - retry file"; sed 's/^/# /' "$tmp/d" | head -20; failed=$((failed+1))
fi
# free: w2 finishes the play while w1 still sleeps (linear would wait)
n=$((n+1))
"$MUSTER" -i hosts4 cases/free_order.yml >"$tmp/m" 2>&1
if grep -n '"msg": "done w2"\|^ok: \[w1\]$' "$tmp/m" | head -1 | grep -q 'done w2'; then
  echo "ok $n - strategy free: a fast host runs ahead of a slow one"
else
  echo "not ok $n - strategy free: a fast host runs ahead of a slow one"
  sed 's/^/# /' "$tmp/m" | head -30; failed=$((failed+1))
fi
echo "1..$n"
[ $failed = 0 ]
