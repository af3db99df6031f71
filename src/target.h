/*
 * target.h: a host the run works on: its inventory name, its variables
 * (read-only, owned by the inventory) and its connection, set up from
 * those variables and the command line the way Ansible does
 * (ansible_host, ansible_port, ansible_user, ansible_connection, ...).
 * The executor owns the targets and frees them with target_release().
 */
#ifndef MUSTER_TARGET_H
#define MUSTER_TARGET_H

#include "arena.h"
#include "conn.h"
#include "options.h"
#include "value.h"

struct target {
	const char		*name;
	const struct value	*vars;		/* merged inventory vars */
	struct conn		*conn;
	const char		*user;		/* the login user, or NULL */
	struct become		 become;
	bool			 unreachable;	/* stays so for the run */
	struct arena		 arena;		/* strings of this target */
};

/* Connection and become settings from vars and options. */
void	target_init(struct target *, const char *name,
	    const struct value *vars, const struct run_opts *);
void	target_release(struct target *);
/* A variable as a string (ints as text), or NULL. */
const char *target_var(const struct target *, const char *name);

#endif
