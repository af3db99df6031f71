/*
 * filters.h: the contract between the template evaluator and its filter,
 * test and lookup tables (jq's function_list[]).  Each table entry is a name
 * and a function; the evaluator finds entries by name, evaluates arguments,
 * and calls the function with a struct tmpl_call.
 *
 * Values: a NULL struct value * means Jinja2's Undefined (call->undef_name
 * says which variable, for the error).  A filter that cannot take an
 * undefined input returns tmpl_undefined(call, err).  Results are allocated
 * in call->a (the render's scratch arena) and never modify their inputs.
 *
 * Functions return 0 with *out set, or -1 with err set (the evaluator adds
 * the position).  Messages follow Jinja2's/Ansible's wording where users
 * would recognise it.
 */
#ifndef MUSTER_TEMPLATE_FILTERS_H
#define MUSTER_TEMPLATE_FILTERS_H

#include <stdbool.h>

#include "../value.h"

struct tmpl_state;	/* the evaluator's per-render state (opaque here) */

struct tmpl_call {
	struct arena		*a;
	struct tmpl_state	*st;
	const char		*name;		/* filter/test/lookup name */
	struct value		*in;		/* the piped value; NULL: undefined */
	const char		*undef_name;	/* the undefined's name, or NULL */
	struct value		**args;		/* positional; an entry may be NULL */
	size_t			 nargs;
	const char		**kwnames;	/* keyword arguments */
	struct value		**kwargs;
	size_t			 nkw;
	struct pos		 pos;
};

typedef int	(*tmpl_filter_fn)(struct tmpl_call *, struct value **out,
		    struct err *);
/* A test stores its answer in *out (true/false). */
typedef int	(*tmpl_test_fn)(struct tmpl_call *, bool *out, struct err *);

enum tmpl_fn_flags {
	TMPL_FN_UNDEF_OK = 1 << 0,	/* takes an undefined input */
};

struct tmpl_filter {
	const char	*name;
	tmpl_filter_fn	 fn;
	unsigned	 flags;
};

struct tmpl_test {
	const char	*name;
	tmpl_test_fn	 fn;
	unsigned	 flags;
};

/* Lookups: lookup('name', terms..., kw=...) and query(); in is NULL. */
struct tmpl_lookup {
	const char	*name;
	tmpl_filter_fn	 fn;		/* *out: a list of results */
	unsigned	 flags;
};

/*
 * The tables (NULL-name terminated), one file each.  The _ext tables
 * (filters_ext.c, tests_ext.c) hold the self-contained library filters and
 * tests (YAML, regex, hashes, base64, random, version) that need no
 * evaluator service; tmpl_find_*() search both.
 */
extern const struct tmpl_filter	tmpl_filters[];
extern const struct tmpl_filter	tmpl_filters_ext[];
extern const struct tmpl_test	tmpl_tests[];
extern const struct tmpl_test	tmpl_tests_ext[];
extern const struct tmpl_lookup	tmpl_lookups[];

const struct tmpl_filter *tmpl_find_filter(const char *);
const struct tmpl_test	 *tmpl_find_test(const char *);
const struct tmpl_lookup *tmpl_find_lookup(const char *);

/*
 * Services of the evaluator for filters that need them (map, select,
 * selectattr, sort(attribute=), lookup('vars'), lookup('template')):
 * implemented by the evaluator.
 */
int	tmpl_apply_filter(struct tmpl_state *, const char *name,
	    struct value *in, struct value **args, size_t nargs,
	    const char **kwnames, struct value **kwargs, size_t nkw,
	    struct value **out, struct err *);
int	tmpl_apply_test(struct tmpl_state *, const char *name,
	    struct value *in, struct value **args, size_t nargs, bool *out,
	    struct err *);
/* Variable lookup by name: NULL if undefined (no error). */
struct value *tmpl_lookup_var(struct tmpl_state *, const char *name,
	    struct err *);
/* Attribute or item access as Jinja2 does it (a.b, a['b'], a[0]). */
struct value *tmpl_getattr(struct tmpl_state *, struct value *obj,
	    struct value *key);
/* Render a template text (lookup('template')) with the current variables. */
int	tmpl_state_render(struct tmpl_state *, const char *name,
	    const char *text, size_t len, struct value **out, struct err *);
/* The directory relative paths of lookup('file') resolve against. */
const char *tmpl_state_basedir(struct tmpl_state *);

/* Helpers for filter authors. */
int	tmpl_undefined(struct tmpl_call *, struct err *);	/* -1 */
/* The keyword argument name, or positional argument idx, or NULL. */
struct value *tmpl_arg(struct tmpl_call *, size_t idx, const char *name);

#endif
