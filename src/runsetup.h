/*
 * runsetup.h: what every run starts with: the inventory, the extra vars
 * (-e k=v, -e @file, -e JSON/YAML), and the hosts a pattern and --limit
 * select, each with its variables (inventory vars + extra vars).  The
 * struct owns it all (its arena) until run_setup_release().
 */
#ifndef MUSTER_RUNSETUP_H
#define MUSTER_RUNSETUP_H

#include "inventory.h"
#include "options.h"

struct run_setup {
	struct arena		 a;
	struct inventory	 inv;
	struct value		*extra_vars;	/* dict */
	struct inv_host		**hosts;	/* selected, in order */
	const char		**names;
	const struct value	**vars;
	size_t			 nhosts;
};

int		run_setup_init(struct run_setup *, const struct run_opts *,
		    const char *pattern, struct err *);
void		run_setup_release(struct run_setup *);
/* Parse every -e into one dict (later ones win). */
struct value	*parse_extra_vars(struct arena *, const struct str_list *,
		    struct err *);
/* forks: -f, else every host up to 256. */
unsigned	run_setup_forks(const struct run_opts *, size_t nhosts);

#endif
