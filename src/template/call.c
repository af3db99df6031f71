/*
 * call.c: the helpers filter, test and lookup authors share (filters.h):
 * argument access by position or keyword, the undefined error, and the
 * search of the tables by name.
 */
#include <string.h>

#include "filters.h"

int
tmpl_undefined(struct tmpl_call *c, struct err *err)
{
	if (c->undef_name != NULL)
		return err_set(err, &c->pos, "'%s' is undefined",
		    c->undef_name);
	return err_set(err, &c->pos, "the input of '%s' is undefined",
	    c->name);
}

struct value *
tmpl_arg(struct tmpl_call *c, size_t idx, const char *name)
{
	if (name != NULL)
		for (size_t i = 0; i < c->nkw; i++)
			if (strcmp(c->kwnames[i], name) == 0)
				return c->kwargs[i];
	if (idx < c->nargs)
		return c->args[idx];
	return NULL;
}

#define FIND(type, fn, t1, t2)						\
const struct type *							\
fn(const char *name)							\
{									\
	for (const struct type *f = t1; f->name != NULL; f++)		\
		if (strcmp(f->name, name) == 0)				\
			return f;					\
	for (const struct type *f = t2; f != NULL && f->name != NULL; f++) \
		if (strcmp(f->name, name) == 0)				\
			return f;					\
	return NULL;							\
}

FIND(tmpl_filter, tmpl_find_filter, tmpl_filters, tmpl_filters_ext)
FIND(tmpl_test, tmpl_find_test, tmpl_tests, tmpl_tests_ext)
FIND(tmpl_lookup, tmpl_find_lookup, tmpl_lookups, NULL)
