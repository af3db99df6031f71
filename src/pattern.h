/*
 * pattern.h: Ansible host patterns over an inventory: all, *, globs,
 * a:b, a,b, a:&b, a:!b, ~regex, g[0], g[1:3], g[-1], and --limit on top
 * (also @file, one host a line).  The result keeps Ansible's order and has
 * no duplicates; a term that matches nothing warns as Ansible does.
 */
#ifndef MUSTER_PATTERN_H
#define MUSTER_PATTERN_H

#include "inventory.h"

/*
 * Select hosts; *out is malloc'd (free it), holding pointers into inv.
 * limits may be NULL.  Returns 0 or -1 (bad regex, unreadable @file).
 */
int	pat_select(struct inventory *, const char *pattern,
	    const char *const *limits, size_t nlimits,
	    struct inv_host ***out, size_t *n, struct err *);

#endif
