/*
 * exec.h: run a playbook (ansible-playbook's linear strategy).  Variables
 * a task sees, highest first: loop variables, magic variables, extra vars,
 * set_fact and register, task vars, block vars (inner first), vars_files,
 * play vars, facts (ansible_facts and ansible_*), inventory variables
 * (host_vars over group_vars, as inventory.h merges them).
 */
#ifndef MUSTER_EXEC_H
#define MUSTER_EXEC_H

#include "options.h"
#include "out/sink.h"

/* Returns the exit code (cli.h); what happens goes to ev's sinks. */
int	playbook_main(struct run_opts *, const char *path, struct events *ev);

#endif
