/*
 * inventory.h: hosts, groups and their variables, read as Ansible 2.14
 * reads INI and YAML inventories (and "h1,h2," host lists), with
 * group_vars/ and host_vars/ beside each source.  inv_load() reads every
 * source; the inventory then owns everything in its arena and is read-only:
 * any thread may read it during a run.
 *
 * A host's variables are merged once (inv_host_vars), in Ansible's order:
 * groups' inventory vars by (depth, priority, name), group_vars/ files, the
 * host's inventory vars, host_vars/ files; the merge replaces, it does not
 * recurse (hash_behaviour=replace).
 */
#ifndef MUSTER_INVENTORY_H
#define MUSTER_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "value.h"

struct inv_host;

struct inv_group {
	const char		*name;
	struct value		*vars;		/* the inventory's own vars */
	struct value		*file_vars;	/* group_vars/ (NULL: none) */
	struct inv_group	**children;
	size_t			 nchildren, achildren;
	struct inv_group	**parents;
	size_t			 nparents, aparents;
	struct inv_host		**hosts;	/* direct members, in order */
	size_t			 nhosts, ahosts;
	int			 depth;
	int64_t			 priority;
};

struct inv_host {
	const char		*name;
	size_t			 index;		/* inventory order */
	struct value		*vars;		/* the inventory's own vars */
	struct value		*file_vars;	/* host_vars/ (NULL: none) */
	struct inv_group	**groups;	/* direct groups */
	size_t			 ngroups, agroups;
	struct value		*merged;	/* all of it, once computed */
	struct value		*group_names;	/* sorted, no all/ungrouped */
	bool			 implicit;	/* the implicit localhost */
};

struct inventory {
	struct arena		*a;
	struct inv_host		**hosts;
	size_t			 nhosts, ahosts;
	struct inv_group	**groups;	/* creation order */
	size_t			 ngroups, agroups;
	struct value		*host_index;	/* name -> index */
	struct value		*group_index;	/* name -> index */
	struct value		*groups_var;	/* the `groups` magic var */
	const char		**dirs;		/* of the sources, for vars */
	size_t			 ndirs, adirs;
	struct inv_host		*localhost;	/* implicit, when created */
};

/* Read the sources (files, directories, "h1,h2," lists); NULL-safe. */
int		 inv_load(struct inventory *, struct arena *,
		    const char *const *sources, size_t nsources, struct err *);
void		 inv_release(struct inventory *);	/* arrays only */

struct inv_host	*inv_find_host(const struct inventory *, const char *);
struct inv_group *inv_find_group(const struct inventory *, const char *);
/* The implicit localhost (created on first use, as Ansible does). */
struct inv_host	*inv_localhost(struct inventory *);
/* A host's merged variables (without magic vars); shared, read-only. */
struct value	*inv_host_vars(struct inventory *, struct inv_host *);
/* Hosts of a group and its descendants, in Ansible's order. */
size_t		 inv_group_hosts(const struct inventory *,
		    const struct inv_group *, struct inv_host ***out);
/*
 * Also read group_vars/ and host_vars/ in dir (a playbook's directory):
 * they merge over the inventory's own files, as Ansible's playbook
 * group_vars do.  Call before the first inv_host_vars().
 */
int		 inv_add_vars_dir(struct inventory *, const char *dir,
		    struct err *);
/* The group's variables as --export shows them. */
struct value	*inv_group_vars(const struct inventory *,
		    const struct inv_group *);

#endif
