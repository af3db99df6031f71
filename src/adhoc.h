/*
 * adhoc.h: `muster PATTERN -m MODULE -a ARGS`: one module on every matched
 * host, in parallel, output as Ansible prints it or folded.
 */
#ifndef MUSTER_ADHOC_H
#define MUSTER_ADHOC_H

#include "options.h"

/* Returns the process exit code (cli.h's enum exit_code). */
int	adhoc_main(struct run_opts *);

#endif
