/*
 * runcmd.h: what the command, shell and raw modules share: Ansible's
 * chdir/creates/removes/stdin semantics, the remote command line built with
 * sh_quote(), and the result (rc, stdout, stderr, cmd, start/end/delta).
 */
#ifndef MUSTER_RUNCMD_H
#define MUSTER_RUNCMD_H

#include "module.h"

enum runcmd_kind {
	RUNCMD_ARGV,	/* command: no shell, words from shlex.split */
	RUNCMD_SHELL,	/* shell: the text given to /bin/sh -c */
	RUNCMD_RAW,	/* raw: the text as is, minimal result */
};

int	runcmd(struct task_ctx *, const struct value *args, enum runcmd_kind,
	    struct result *, struct err *);
/* Append "export K=V; " for each variable of a task's environment. */
void	runcmd_add_env(struct strbuf *, const struct value *env);
/* Quote a path for the shell but leave glob characters active. */
void	sh_quote_glob(struct strbuf *, const char *);

#endif
