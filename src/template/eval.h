/*
 * eval.h: what the evaluator (eval.c) offers the other parts of the engine
 * beyond filters.h: Python's methods on values (methods.c) and the
 * helpers the filter tables share.
 */
#ifndef MUSTER_TEMPLATE_EVAL_H
#define MUSTER_TEMPLATE_EVAL_H

#include "filters.h"

/*
 * obj.name(args...) for Python's str, list and dict methods (and the
 * loop's cycle()).  *found is false when obj has no such method.
 */
int	tmpl_call_method(struct tmpl_state *, struct value *obj,
	    const char *name, struct value **args, size_t nargs,
	    const char **kwnames, struct value **kwargs, size_t nkw,
	    struct value **out, bool *found, struct err *);
/* Python's "item in seq". */
int	tmpl_contains(struct tmpl_state *, struct value *item,
	    struct value *seq, bool *out, struct err *);
/* What iterating v gives (list items, dict keys, characters), or NULL. */
struct value *tmpl_iterable(struct tmpl_state *, struct value *v,
	    struct err *);
struct arena *tmpl_state_arena(struct tmpl_state *);
/* Ansible's environment (not plain Jinja2)? */
bool	tmpl_state_ansible(struct tmpl_state *);

#endif
