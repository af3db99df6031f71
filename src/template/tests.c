/*
 * tests.c: Jinja2's builtin tests (jinja2/tests.py) and Ansible's core
 * tests (ansible/plugins/test/core.py, files.py, mathstuff.py): result
 * tests, set tests, comparisons and path tests on the controller.
 */
#include <sys/stat.h>

#include <string.h>

#include "eval.h"

static struct value *
arg0(struct tmpl_call *c, const char *name, struct err *err)
{
	struct value *v = tmpl_arg(c, 0, name);

	if (v == NULL)
		err_set(err, NULL, "the '%s' test needs an argument", c->name);
	return v;
}

static int
t_defined(struct tmpl_call *c, bool *out, struct err *err)
{
	(void)err;
	*out = (c->in != NULL) == (strcmp(c->name, "defined") == 0);
	return 0;
}

static int
t_type(struct tmpl_call *c, bool *out, struct err *err)
{
	const struct value *v = c->in;
	const char *n = c->name;

	(void)err;
	if (!strcmp(n, "none"))
		*out = v->type == VAL_NULL;
	else if (!strcmp(n, "string"))
		*out = v->type == VAL_STR;
	else if (!strcmp(n, "number"))
		*out = v->type == VAL_INT || v->type == VAL_FLOAT ||
		    v->type == VAL_BOOL;
	else if (!strcmp(n, "integer"))
		*out = v->type == VAL_INT;
	else if (!strcmp(n, "float"))
		*out = v->type == VAL_FLOAT;
	else if (!strcmp(n, "boolean"))
		*out = v->type == VAL_BOOL;
	else if (!strcmp(n, "true"))
		*out = v->type == VAL_BOOL && v->u.b;
	else if (!strcmp(n, "false"))
		*out = v->type == VAL_BOOL && !v->u.b;
	else if (!strcmp(n, "mapping"))
		*out = v->type == VAL_DICT;
	else if (!strcmp(n, "sequence") || !strcmp(n, "iterable"))
		*out = v->type == VAL_STR || v->type == VAL_LIST ||
		    v->type == VAL_DICT;
	else if (!strcmp(n, "callable"))
		*out = false;
	else
		*out = false;
	return 0;
}

static int
t_compare(struct tmpl_call *c, bool *out, struct err *err)
{
	struct value *o = arg0(c, "other", err);
	const char *n = c->name;
	int r;

	if (o == NULL)
		return -1;
	if (!strcmp(n, "eq") || !strcmp(n, "==") || !strcmp(n, "equalto")) {
		*out = val_equal(c->in, o);
		return 0;
	}
	if (!strcmp(n, "ne") || !strcmp(n, "!=")) {
		*out = !val_equal(c->in, o);
		return 0;
	}
	if (!strcmp(n, "sameas")) {
		*out = c->in == o || (c->in->type == o->type &&
		    (c->in->type == VAL_NULL || (c->in->type == VAL_BOOL &&
		    c->in->u.b == o->u.b)));
		return 0;
	}
	if (val_compare(c->in, o, &r, err) < 0)
		return err_set(err, NULL, "'%s' not supported between instances "
		    "of '%s' and '%s'", n, val_type_name(c->in),
		    val_type_name(o));
	if (!strcmp(n, "lt") || !strcmp(n, "<") || !strcmp(n, "lessthan"))
		*out = r < 0;
	else if (!strcmp(n, "le") || !strcmp(n, "<="))
		*out = r <= 0;
	else if (!strcmp(n, "gt") || !strcmp(n, ">") ||
	    !strcmp(n, "greaterthan"))
		*out = r > 0;
	else
		*out = r >= 0;
	return 0;
}

static int
t_in(struct tmpl_call *c, bool *out, struct err *err)
{
	struct value *seq = arg0(c, "seq", err);

	if (seq == NULL)
		return -1;
	return tmpl_contains(c->st, c->in, seq, out, err);
}

static int
t_contains(struct tmpl_call *c, bool *out, struct err *err)
{
	struct value *v = arg0(c, "value", err);

	if (v == NULL)
		return -1;
	return tmpl_contains(c->st, v, c->in, out, err);
}

static int
t_number(struct tmpl_call *c, bool *out, struct err *err)
{
	const struct value *v = c->in;
	int64_t i;

	if (v->type != VAL_INT && v->type != VAL_BOOL &&
	    !(v->type == VAL_FLOAT && !strcmp(c->name, "divisibleby")))
		return err_set(err, NULL, "the '%s' test needs an integer, got "
		    "'%s'", c->name, val_type_name(v));
	if (!strcmp(c->name, "divisibleby")) {
		struct value *n = arg0(c, "num", err);

		if (n == NULL)
			return -1;
		if (!val_is_number(n) || val_as_double(n) == 0)
			return err_set(err, NULL, "divisibleby needs a non-zero "
			    "number");
		double d = val_as_double(v), m = val_as_double(n);
		double r = d - m * __builtin_floor(d / m);
		*out = r == 0;
		return 0;
	}
	i = v->type == VAL_BOOL ? v->u.b : v->u.i;
	*out = (i % 2 == 0) == (strcmp(c->name, "even") == 0);
	return 0;
}

static int
t_case(struct tmpl_call *c, bool *out, struct err *err)
{
	const struct value *v = c->in;
	bool upper = c->name[0] == 'u', cased = false;

	(void)err;
	if (v->type != VAL_STR) {
		*out = false;
		return 0;
	}
	*out = true;
	for (size_t i = 0; i < v->u.str.len; i++) {
		char ch = v->u.str.s[i];

		if ((upper && ch >= 'a' && ch <= 'z') ||
		    (!upper && ch >= 'A' && ch <= 'Z'))
			*out = false;
		if ((ch | 32) >= 'a' && (ch | 32) <= 'z')
			cased = true;
	}
	*out = *out && cased;
	return 0;
}

/* Ansible's result tests: failed, succeeded, changed, skipped, ... */
static int
t_result(struct tmpl_call *c, bool *out, struct err *err)
{
	const struct value *r = c->in;
	const char *n = c->name;
	struct value *v;

	if (r->type != VAL_DICT)
		return err_set(err, NULL, "The '%s' test expects a dictionary", n);
	if (!strcmp(n, "failed") || !strcmp(n, "failure") ||
	    !strcmp(n, "succeeded") || !strcmp(n, "success") ||
	    !strcmp(n, "successful")) {
		v = val_dict_get(r, "failed");
		*out = (v != NULL && val_truthy(v)) == (n[0] == 'f');
	} else if (!strcmp(n, "changed") || !strcmp(n, "change")) {
		v = val_dict_get(r, "changed");
		if (v != NULL)
			*out = val_truthy(v);
		else {
			struct value *res = val_dict_get(r, "results");

			*out = false;
			if (res != NULL && res->type == VAL_LIST &&
			    res->u.list->n > 0 &&
			    res->u.list->items[0]->type == VAL_DICT)
				for (size_t i = 0; i < res->u.list->n; i++) {
					struct value *e = res->u.list->items[i];
					struct value *ch = e->type == VAL_DICT ?
					    val_dict_get(e, "changed") : NULL;

					if (ch != NULL && val_truthy(ch))
						*out = true;
				}
		}
	} else if (!strcmp(n, "skipped") || !strcmp(n, "skip")) {
		v = val_dict_get(r, "skipped");
		*out = v != NULL && val_truthy(v);
	} else if (!strcmp(n, "unreachable") || !strcmp(n, "reachable")) {
		v = val_dict_get(r, "unreachable");
		*out = (v != NULL && val_truthy(v)) == (n[0] == 'u');
	} else {
		/* finished, started: async; a plain result is finished */
		v = val_dict_get(r, n);
		*out = v != NULL ? val_truthy(v) : n[0] == 'f';
	}
	return 0;
}

static int
t_subset(struct tmpl_call *c, bool *out, struct err *err)
{
	struct value *o = arg0(c, "b", err), *a, *b;

	if (o == NULL)
		return -1;
	a = strstr(c->name, "subset") != NULL ? c->in : o;
	b = a == c->in ? o : c->in;
	if ((a = tmpl_iterable(c->st, a, err)) == NULL ||
	    (b = tmpl_iterable(c->st, b, err)) == NULL)
		return -1;
	*out = true;
	for (size_t i = 0; i < a->u.list->n && *out; i++) {
		bool in;

		if (tmpl_contains(c->st, a->u.list->items[i], b, &in, err) < 0)
			return -1;
		*out = in;
	}
	return 0;
}

static int
t_anyall(struct tmpl_call *c, bool *out, struct err *err)
{
	struct value *l = tmpl_iterable(c->st, c->in, err);
	bool any = c->name[1] == 'n';

	if (l == NULL)
		return -1;
	*out = !any;
	for (size_t i = 0; i < l->u.list->n; i++)
		if (val_truthy(l->u.list->items[i]) == any) {
			*out = any;
			break;
		}
	return 0;
}

static int
t_path(struct tmpl_call *c, bool *out, struct err *err)
{
	struct stat sb;
	const char *n = c->name;
	const char *p;

	if (c->in->type != VAL_STR)
		return err_set(err, NULL, "the '%s' test needs a path", n);
	p = c->in->u.str.s;
	if (!strcmp(n, "abs") || !strcmp(n, "is_abs")) {
		*out = p[0] == '/';
		return 0;
	}
	if (!strcmp(n, "link") || !strcmp(n, "is_link")) {
		*out = lstat(p, &sb) == 0 && S_ISLNK(sb.st_mode);
		return 0;
	}
	if (stat(p, &sb) != 0) {
		*out = false;
		return 0;
	}
	if (!strcmp(n, "file") || !strcmp(n, "is_file"))
		*out = S_ISREG(sb.st_mode);
	else if (!strcmp(n, "directory") || !strcmp(n, "is_dir"))
		*out = S_ISDIR(sb.st_mode);
	else
		*out = true;
	return 0;
}

const struct tmpl_test tmpl_tests[] = {
	{ "!=", t_compare, 0 },
	{ "<", t_compare, 0 },
	{ "<=", t_compare, 0 },
	{ "==", t_compare, 0 },
	{ ">", t_compare, 0 },
	{ ">=", t_compare, 0 },
	{ "abs", t_path, 0 },
	{ "all", t_anyall, 0 },
	{ "any", t_anyall, 0 },
	{ "boolean", t_type, 0 },
	{ "callable", t_type, 0 },
	{ "change", t_result, 0 },
	{ "changed", t_result, 0 },
	{ "contains", t_contains, 0 },
	{ "defined", t_defined, TMPL_FN_UNDEF_OK },
	{ "directory", t_path, 0 },
	{ "divisibleby", t_number, 0 },
	{ "eq", t_compare, 0 },
	{ "equalto", t_compare, 0 },
	{ "even", t_number, 0 },
	{ "exists", t_path, 0 },
	{ "failed", t_result, 0 },
	{ "failure", t_result, 0 },
	{ "false", t_type, 0 },
	{ "file", t_path, 0 },
	{ "finished", t_result, 0 },
	{ "float", t_type, 0 },
	{ "ge", t_compare, 0 },
	{ "greaterthan", t_compare, 0 },
	{ "gt", t_compare, 0 },
	{ "in", t_in, 0 },
	{ "integer", t_type, 0 },
	{ "is_abs", t_path, 0 },
	{ "is_dir", t_path, 0 },
	{ "is_file", t_path, 0 },
	{ "is_link", t_path, 0 },
	{ "issubset", t_subset, 0 },
	{ "issuperset", t_subset, 0 },
	{ "iterable", t_type, 0 },
	{ "le", t_compare, 0 },
	{ "lessthan", t_compare, 0 },
	{ "link", t_path, 0 },
	{ "lower", t_case, 0 },
	{ "lt", t_compare, 0 },
	{ "mapping", t_type, 0 },
	{ "ne", t_compare, 0 },
	{ "none", t_type, 0 },
	{ "number", t_type, 0 },
	{ "odd", t_number, 0 },
	{ "reachable", t_result, 0 },
	{ "sameas", t_compare, 0 },
	{ "sequence", t_type, 0 },
	{ "skip", t_result, 0 },
	{ "skipped", t_result, 0 },
	{ "started", t_result, 0 },
	{ "string", t_type, 0 },
	{ "subset", t_subset, 0 },
	{ "succeeded", t_result, 0 },
	{ "success", t_result, 0 },
	{ "successful", t_result, 0 },
	{ "superset", t_subset, 0 },
	{ "true", t_type, 0 },
	{ "undefined", t_defined, TMPL_FN_UNDEF_OK },
	{ "unreachable", t_result, 0 },
	{ "upper", t_case, 0 },
	{ NULL, NULL, 0 },
};
