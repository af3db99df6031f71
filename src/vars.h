/*
 * vars.h: the variables a task sees on a host, as layers looked up in
 * Ansible's precedence order (highest first) without copying them, plus
 * the magic variables (inventory_hostname, group_names, groups, hostvars,
 * ansible_play_hosts, ansible_check_mode, omit...).  hostvars is built once
 * per run and shared by every host and task.
 */
#ifndef MUSTER_VARS_H
#define MUSTER_VARS_H

#include "inventory.h"
#include "value.h"

#define VARS_MAX_LAYERS 16

struct varscope {
	const struct value	*layers[VARS_MAX_LAYERS];	/* dicts */
	size_t			 nlayers;
};

/* Add a layer below the ones already there (call highest first). */
void		 varscope_push(struct varscope *, const struct value *dict);
/* The template engine's resolver (tmpl_getvar_fn); ctx: a varscope. */
struct value	*varscope_get(void *ctx, const char *name, size_t len);

struct run_magic {
	struct value	*hostvars;	/* host -> its variables */
	struct value	*play_hosts;	/* list of names */
	struct value	*play_batch;	/* serial's batch (NULL: all) */
	bool		 check_mode;
	bool		 diff_mode;
	int		 verbosity;
	const char	*inventory_file;
};

/* hostvars for every inventory host (each with its own magic vars). */
struct value	*vars_hostvars(struct arena *, struct inventory *);
/* The magic variables of one host. */
struct value	*vars_magic(struct arena *, struct inventory *,
		    struct inv_host *, const struct run_magic *);

#endif
