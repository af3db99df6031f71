/*
 * account.h: what the user and group modules share (the acct_* helpers,
 * implemented in group.c).  A module's remote script starts with
 * acct_prelude(), which defines two sh functions:
 *
 *   rec TAG VALUE   emit one record: "\036TAG VALUE" (values may hold
 *                   newlines; \036 never occurs in account data)
 *   run P CMD ARGS  run a command, emit its stdout (P"o"), stderr (P"e")
 *                   and exit status (P"c") as records, return the status;
 *                   a command not found emits "f" with Ansible's message
 *
 * acct_records() splits a script's output into those records.  Everything
 * allocates in the task's arena.
 */
#ifndef MUSTER_MODULES_ACCOUNT_H
#define MUSTER_MODULES_ACCOUNT_H

#include <stddef.h>

#include "module.h"

struct acct_rec {
	const char	*tag;
	const char	*val;
};

struct acct_out {
	struct acct_rec	*rec;
	size_t		 n;
};

void		 acct_prelude(struct strbuf *);
/*
 * Append `run PREFIX ARGV...`, no newline (argv NULL-terminated, each
 * word quoted): the records are PREFIX"o", PREFIX"e", PREFIX"c".  A word
 * that is one of the acct_v_* pointers below (compared by address, so no
 * data can pose as one) stands for a variable of the script: secrets it
 * read from its stdin (never on a command line that sudo would log), the
 * key path, the key comment.
 */
extern const char	 acct_v_pw[];		/* "$pw" */
extern const char	 acct_v_pw_locked[];	/* "!$pw" */
extern const char	 acct_v_pp[];		/* "$pp" */
extern const char	 acct_v_key[];		/* "$k" */
extern const char	 acct_v_cm[];		/* "$cm" */
void		 acct_run(struct strbuf *, const char *prefix,
		    const char *const *argv);
void		 acct_records(struct arena *, const char *out,
		    struct acct_out *);
/* The value of the first (or last) record with this tag, or NULL. */
const char	*acct_get(const struct acct_out *, const char *tag);
const char	*acct_last(const struct acct_out *, const char *tag);
/*
 * Split a passwd/group/shadow line into at most max fields at ':'; returns
 * the number of fields (missing ones are "").
 */
size_t		 acct_fields(struct arena *, const char *line,
		    const char **fields, size_t max);
/* Python's int() of a decimal field; -1 when not a number. */
long long	 acct_num(const char *);
/*
 * From the "m" (main command) records: stdout/stderr in the result when
 * not empty (Ansible's "if out:"), and failed with msg from "f" or stderr
 * (and rc) when its status is not 0.
 */
void		 acct_set_output(struct task_ctx *, struct result *,
		    const struct acct_out *);
/* Whether the "m" command failed (or was not found). */
bool		 acct_failed(const struct acct_out *);
/* conn_exec() the script, stdin fed to it, and split its records. */
int		 acct_exec(struct task_ctx *, const struct strbuf *script,
		    const char *stdin_data, struct acct_out *, struct err *);

#endif
