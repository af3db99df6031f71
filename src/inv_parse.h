/*
 * inv_parse.h: what the inventory parsers (inv_ini.c, inv_yaml.c) share
 * with inventory.c: building hosts and groups, and Ansible's host patterns
 * with ranges ("node[01:10]:2222").  Internal to the inventory.
 */
#ifndef MUSTER_INV_PARSE_H
#define MUSTER_INV_PARSE_H

#include "inventory.h"

struct inv_group *inv_add_group(struct inventory *, const char *);
struct inv_host	 *inv_add_host(struct inventory *, const char *);
int		  inv_add_child(struct inventory *, struct inv_group *parent,
		    struct inv_group *child, struct err *);
void		  inv_group_add_host(struct inv_group *, struct inv_host *);
void		  inv_group_del_host(struct inv_group *, struct inv_host *);
void		  inv_set_group_var(struct inventory *, struct inv_group *,
		    struct value *key, struct value *val);

/*
 * Expand "name[01:03]x:port" into host names (a list value of strings) and
 * a port (0: none), as Ansible's parse_address + expand_hostname_range.
 */
int	inv_expand_host_pattern(struct arena *, const char *pattern,
	    struct value **names, int *port, struct err *);
/* Add each host of a pattern to a group with vars (dict or NULL). */
int	inv_populate_hosts(struct inventory *, const char *pattern,
	    struct inv_group *, const struct value *vars,
	    const struct pos *, struct err *);

int	inv_parse_ini(struct inventory *, const char *path, const char *text,
	    size_t len, struct err *);
/* strict: a .yml file must be a YAML inventory; else just try. */
int	inv_parse_yaml(struct inventory *, const char *path, const char *text,
	    size_t len, bool strict, struct err *);
int	inv_parse_host_list(struct inventory *, const char *list,
	    struct err *);

#endif
