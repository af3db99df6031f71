/*
 * filters.c: Jinja2's builtin filters (jinja2/filters.py) and Ansible's
 * core and math filters (ansible/plugins/filter/{core,mathstuff}.py), with
 * their argument names, defaults and quirks.  Generators come back as lists
 * (Ansible unrolls them).  The library ones (regex, YAML, hashes) are in
 * filters_ext.c.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "pystr.h"

#define A (c->a)

static struct value *
arg(struct tmpl_call *c, size_t i, const char *name)
{
	return tmpl_arg(c, i, name);
}

static bool
arg_true(struct tmpl_call *c, size_t i, const char *name)
{
	struct value *v = arg(c, i, name);

	return v != NULL && val_truthy(v);
}

static struct value *
str_of(struct tmpl_call *c, const struct value *v)
{
	struct strbuf sb = STRBUF_INIT;
	struct value *r;

	if (v != NULL && v->type == VAL_STR)
		return (struct value *)v;
	val_str(&sb, v);
	r = val_new_strn(A, sb.buf, sb.len);
	sb_release(&sb);
	return r;
}

static struct value *
strbuf_value(struct tmpl_call *c, struct strbuf *sb)
{
	struct value *v = val_new_strn(A, sb->buf, sb->len);

	sb_release(sb);
	return v;
}

static struct value *
new_list(struct tmpl_call *c)
{
	struct value *l = val_new_list(A);

	l->flags |= VAL_MUTABLE;
	return l;
}

static struct value *
tuple2(struct tmpl_call *c, struct value *x, struct value *y)
{
	struct value *t = val_new_list(A);

	t->flags |= VAL_TUPLE;
	val_list_push(A, t, x);
	val_list_push(A, t, y);
	return t;
}

/* The items of an iterable input, or an error. */
static struct value *
items_of(struct tmpl_call *c, struct value *v, struct err *err)
{
	struct value *l;

	if (v == NULL) {
		tmpl_undefined(c, err);
		return NULL;
	}
	if ((l = tmpl_iterable(c->st, v, err)) == NULL && !err->set)
		err_set(err, NULL, "'%s' object is not iterable",
		    val_type_name(v));
	return l;
}

/*
 * Jinja2's make_attrgetter: "a.b.0" walks items; "a,b" (for sort) gives
 * several keys.  Missing: NULL.
 */
static struct value *
attr_get(struct tmpl_call *c, struct value *item, const char *path)
{
	const char *p = path;
	struct value *v = item;

	while (v != NULL && *p != '\0') {
		size_t n = strcspn(p, ".");
		struct value *key;
		char *end;
		long long idx = strtoll(p, &end, 10);

		if (n > 0 && end == p + n)
			key = val_new_int(A, idx);
		else
			key = val_new_strn(A, p, n);
		v = tmpl_getattr(c->st, v, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return v;
}

/* Case folding for case-insensitive comparisons (Jinja's ignore_case). */
static struct value *
fold(struct tmpl_call *c, struct value *v, bool case_sensitive)
{
	struct strbuf sb = STRBUF_INIT;

	if (case_sensitive || v == NULL || v->type != VAL_STR)
		return v;
	py_case(&sb, v->u.str.s, v->u.str.len, PY_LOWER);
	return strbuf_value(c, &sb);
}

/* ---- a stable merge sort of values with a key ---- */

struct sortctx {
	struct err	*err;
	bool		 failed;
};

static int
cmp_vals(struct sortctx *sc, struct value *x, struct value *y)
{
	int r;

	if (sc->failed)
		return 0;
	if (x == NULL || y == NULL) {
		sc->failed = true;
		err_set(sc->err, NULL, "cannot sort: an item is undefined");
		return 0;
	}
	if (val_compare(x, y, &r, sc->err) < 0) {
		sc->failed = true;
		return 0;
	}
	return r;
}

static void
msort(struct sortctx *sc, struct value **keys, size_t *idx, size_t *tmp,
    size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	msort(sc, keys, idx, tmp, h);
	msort(sc, keys, idx + h, tmp, n - h);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		if (cmp_vals(sc, keys[idx[j]], keys[idx[i]]) < 0)
			tmp[k++] = idx[j++];
		else
			tmp[k++] = idx[i++];
	while (i < h)
		tmp[k++] = idx[i++];
	while (j < n)
		tmp[k++] = idx[j++];
	memcpy(idx, tmp, n * sizeof(*idx));
}

/* Sort items by keys; returns the order, or NULL with err set. */
static size_t *
sort_order(struct tmpl_call *c, struct value **keys, size_t n, bool reverse,
    struct err *err)
{
	struct sortctx sc = { err, false };
	size_t *idx = arena_alloc(A, (n + 1) * sizeof(*idx));
	size_t *tmp = arena_alloc(A, (n + 1) * sizeof(*tmp));

	for (size_t i = 0; i < n; i++)
		idx[i] = reverse ? n - 1 - i : i;
	/* Python's reverse=True keeps equal items in their order. */
	msort(&sc, keys, idx, tmp, n);
	if (reverse) {
		for (size_t i = 0; i < n / 2; i++) {
			size_t t = idx[i];

			idx[i] = idx[n - 1 - i];
			idx[n - 1 - i] = t;
		}
	}
	if (sc.failed) {
		if (!err->set)
			err_set(err, NULL, "cannot sort these values");
		return NULL;
	}
	return idx;
}

/* ---- the filters ---- */

static int
f_default(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *dv = arg(c, 0, "default_value");
	bool boolean = arg_true(c, 1, "boolean");

	if (c->in == NULL || (boolean && !val_truthy(c->in)))
		*out = dv != NULL ? dv : val_new_str(A, "");
	else
		*out = c->in;
	(void)err;
	return 0;
}

static int
f_mandatory(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *msg = arg(c, 0, "msg");

	if (c->in != NULL) {
		*out = c->in;
		return 0;
	}
	if (msg != NULL && msg->type != VAL_NULL) {
		struct value *s = str_of(c, msg);

		return err_set(err, NULL, "%s", s->u.str.s);
	}
	if (c->undef_name != NULL)
		return err_set(err, NULL, "Mandatory variable '%s'  not defined.",
		    c->undef_name);
	return err_set(err, NULL, "Mandatory variable  not defined.");
}

static int
f_bool(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *v = c->in;

	(void)err;
	if (v->type == VAL_NULL || v->type == VAL_BOOL) {
		*out = v;
		return 0;
	}
	if (v->type == VAL_STR) {
		struct strbuf sb = STRBUF_INIT;

		py_case(&sb, v->u.str.s, v->u.str.len, PY_LOWER);
		*out = val_bool(!strcmp(sb.buf, "yes") || !strcmp(sb.buf, "on") ||
		    !strcmp(sb.buf, "1") || !strcmp(sb.buf, "true"));
		sb_release(&sb);
		return 0;
	}
	*out = val_bool(val_is_number(v) && val_as_double(v) == 1.0);
	return 0;
}

/* Python's int(str, base) and float(str); false if it refuses. */
static bool
parse_int(const char *s, size_t n, int base, int64_t *out)
{
	char buf[128];
	size_t b = 0, e = n, k = 0;
	bool neg = false;

	while (b < e && isspace((unsigned char)s[b]))
		b++;
	while (e > b && isspace((unsigned char)s[e - 1]))
		e--;
	if (b < e && (s[b] == '+' || s[b] == '-'))
		neg = s[b++] == '-';
	if (e - b >= 2 && s[b] == '0' && ((base == 16 && (s[b + 1] | 32) == 'x')
	    || (base == 8 && (s[b + 1] | 32) == 'o') ||
	    (base == 2 && (s[b + 1] | 32) == 'b')))
		b += 2;
	if (b >= e || e - b >= sizeof(buf))
		return false;
	for (size_t i = b; i < e; i++) {
		if (s[i] == '_' && i > b && i + 1 < e && s[i - 1] != '_')
			continue;
		buf[k++] = s[i];
	}
	buf[k] = '\0';
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, base);
	if (*end != '\0' || errno == ERANGE || buf[0] == '-' || buf[0] == '+' ||
	    isspace((unsigned char)buf[0]))
		return false;
	*out = neg ? -v : v;
	return true;
}

static bool
parse_float(const char *s, size_t n, double *out)
{
	char buf[256];
	size_t b = 0, e = n, k = 0;

	while (b < e && isspace((unsigned char)s[b]))
		b++;
	while (e > b && isspace((unsigned char)s[e - 1]))
		e--;
	if (b >= e || e - b >= sizeof(buf))
		return false;
	for (size_t i = b; i < e; i++)
		if (s[i] != '_')
			buf[k++] = s[i];
	buf[k] = '\0';
	if (strpbrk(buf, "xXpP") != NULL)
		return false;
	char *end;
	double d = strtod(buf, &end);
	if (*end != '\0')
		return false;
	*out = d;
	return true;
}

static int
f_int(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *v = c->in, *dv = arg(c, 0, "default");
	struct value *bv = arg(c, 1, "base");
	int base = bv != NULL && bv->type == VAL_INT ? (int)bv->u.i : 10;
	int64_t i;
	double d;

	(void)err;
	switch (v->type) {
	case VAL_INT:
		*out = v;
		return 0;
	case VAL_BOOL:
		*out = val_new_int(A, v->u.b);
		return 0;
	case VAL_FLOAT:
		if (isfinite(v->u.f)) {
			*out = val_new_int(A, (int64_t)v->u.f);
			return 0;
		}
		break;
	case VAL_STR:
		if (parse_int(v->u.str.s, v->u.str.len, base, &i)) {
			*out = val_new_int(A, i);
			return 0;
		}
		if (parse_float(v->u.str.s, v->u.str.len, &d) && isfinite(d)) {
			*out = val_new_int(A, (int64_t)d);
			return 0;
		}
		break;
	default:
		break;
	}
	*out = dv != NULL ? dv : val_new_int(A, 0);
	return 0;
}

static int
f_float(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *v = c->in, *dv = arg(c, 0, "default");
	double d;

	(void)err;
	if (val_is_number(v)) {
		*out = val_new_float(A, val_as_double(v));
		return 0;
	}
	if (v->type == VAL_STR && parse_float(v->u.str.s, v->u.str.len, &d)) {
		*out = val_new_float(A, d);
		return 0;
	}
	*out = dv != NULL ? dv : val_new_float(A, 0.0);
	return 0;
}

static int
f_string(struct tmpl_call *c, struct value **out, struct err *err)
{
	(void)err;
	*out = str_of(c, c->in);
	return 0;
}

static int
f_length(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *v = c->in;

	switch (v->type) {
	case VAL_STR:
		*out = val_new_int(A, (int64_t)u8_len(v->u.str.s, v->u.str.len));
		return 0;
	case VAL_LIST:
	case VAL_DICT:
		*out = val_new_int(A, (int64_t)val_len(v));
		return 0;
	default:
		return err_set(err, NULL, "object of type '%s' has no len()",
		    val_type_name(v));
	}
}

static int
f_case(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *s = str_of(c, c->in);
	struct strbuf sb = STRBUF_INIT;

	(void)err;
	if (!strcmp(c->name, "title")) {
		/* Jinja2: words begin after blanks and -({[< */
		const char *p = s->u.str.s;
		size_t n = s->u.str.len;
		bool start = true;

		for (size_t i = 0; i < n;) {
			unsigned long cp;
			size_t l = u8_decode(p + i, n - i, &cp);
			bool sep = py_isspace(cp) || (cp < 0x80 &&
			    strchr("-({[<", (int)cp) != NULL && cp != 0);

			if (sep) {
				sb_add(&sb, p + i, l);
				start = true;
			} else {
				py_case(&sb, p + i, l, start ? PY_UPPER : PY_LOWER);
				start = false;
			}
			i += l;
		}
	} else
		py_case(&sb, s->u.str.s, s->u.str.len, c->name[0] == 'l' ?
		    PY_LOWER : c->name[0] == 'u' ? PY_UPPER : PY_CAPITALIZE);
	*out = strbuf_value(c, &sb);
	return 0;
}

static int
f_trim(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *s = str_of(c, c->in), *ch = arg(c, 0, "chars");
	size_t b, e;

	(void)err;
	if (ch != NULL && ch->type == VAL_STR)
		py_strip(s->u.str.s, s->u.str.len, ch->u.str.s, ch->u.str.len, 3,
		    &b, &e);
	else
		py_strip(s->u.str.s, s->u.str.len, NULL, 0, 3, &b, &e);
	*out = val_new_strn(A, s->u.str.s + b, e - b);
	return 0;
}

static int
f_replace(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *s = str_of(c, c->in);
	struct value *o = arg(c, 0, "old"), *n = arg(c, 1, "new");
	struct value *cnt = arg(c, 2, "count");
	struct strbuf sb = STRBUF_INIT;

	if (o == NULL || n == NULL)
		return err_set(err, NULL, "replace() needs old and new");
	o = str_of(c, o);
	n = str_of(c, n);
	py_replace(&sb, s->u.str.s, s->u.str.len, o->u.str.s, o->u.str.len,
	    n->u.str.s, n->u.str.len, cnt != NULL && cnt->type == VAL_INT ?
	    cnt->u.i : -1);
	*out = strbuf_value(c, &sb);
	return 0;
}

static int
f_join(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *sep = arg(c, 0, "d"), *at = arg(c, 1, "attribute");
	struct value *l = items_of(c, c->in, err);
	struct strbuf sb = STRBUF_INIT;

	if (l == NULL)
		return -1;
	sep = sep != NULL ? str_of(c, sep) : NULL;
	for (size_t i = 0; i < l->u.list->n; i++) {
		struct value *v = l->u.list->items[i];

		if (at != NULL && at->type != VAL_NULL) {
			v = attr_get(c, v, str_of(c, at)->u.str.s);
			if (v == NULL) {
				sb_release(&sb);
				return err_set(err, NULL, "an item has no "
				    "attribute '%s'", str_of(c, at)->u.str.s);
			}
		}
		if (i > 0 && sep != NULL)
			sb_add(&sb, sep->u.str.s, sep->u.str.len);
		val_str(&sb, v);
	}
	*out = strbuf_value(c, &sb);
	return 0;
}

static int
f_split(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *s = c->in, *sep = arg(c, 0, "sep"), *mx = arg(c, 1,
	    "maxsplit");

	if (s->type != VAL_STR)
		return err_set(err, NULL, "descriptor 'split' for 'str' objects "
		    "doesn't apply to a '%s' object", val_type_name(s));
	if (sep != NULL && sep->type == VAL_STR && sep->u.str.len == 0)
		return err_set(err, NULL, "empty separator");
	*out = py_split(A, s->u.str.s, s->u.str.len, sep != NULL &&
	    sep->type == VAL_STR ? sep->u.str.s : NULL, sep != NULL &&
	    sep->type == VAL_STR ? sep->u.str.len : 0, mx != NULL &&
	    mx->type == VAL_INT ? mx->u.i : -1, false);
	return 0;
}

static int
f_first_last(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err);

	if (l == NULL)
		return -1;
	if (l->u.list->n == 0) {
		/* Jinja2 returns an Undefined: using it fails. */
		return err_set(err, NULL, "No %s item, sequence was empty.",
		    c->name);
	}
	*out = l->u.list->items[c->name[0] == 'f' ? 0 : l->u.list->n - 1];
	return 0;
}

static int
f_minmax(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err);
	bool cs = arg_true(c, 0, "case_sensitive");
	struct value *at = arg(c, 1, "attribute");
	bool max = c->name[1] == 'a';
	struct value *best = NULL, *bestkey = NULL;

	if (l == NULL)
		return -1;
	if (l->u.list->n == 0)
		return err_set(err, NULL, "No aggregated item, sequence was "
		    "empty.");
	for (size_t i = 0; i < l->u.list->n; i++) {
		struct value *v = l->u.list->items[i], *k = v;
		int r;

		if (at != NULL && at->type == VAL_STR)
			k = attr_get(c, v, at->u.str.s);
		if (k == NULL)
			return err_set(err, NULL, "an item has no attribute '%s'",
			    at->u.str.s);
		k = fold(c, k, cs);
		if (best != NULL) {
			if (val_compare(k, bestkey, &r, err) < 0)
				return -1;
			if (max ? r <= 0 : r >= 0)
				continue;
		}
		best = v;
		bestkey = k;
	}
	*out = best;
	return 0;
}

static int
f_sum(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err);
	struct value *at = arg(c, 0, "attribute"), *start = arg(c, 1, "start");
	struct value *acc = start != NULL ? start : val_new_int(A, 0);

	if (l == NULL)
		return -1;
	for (size_t i = 0; i < l->u.list->n; i++) {
		struct value *v = l->u.list->items[i];

		if (at != NULL && at->type == VAL_STR)
			v = attr_get(c, v, at->u.str.s);
		if (v == NULL)
			return err_set(err, NULL, "an item has no attribute");
		if (val_is_number(acc) && val_is_number(v)) {
			if (acc->type != VAL_FLOAT && v->type != VAL_FLOAT)
				acc = val_new_int(A, (acc->type == VAL_BOOL ?
				    acc->u.b : acc->u.i) + (v->type == VAL_BOOL ?
				    v->u.b : v->u.i));
			else
				acc = val_new_float(A, val_as_double(acc) +
				    val_as_double(v));
		} else if (acc->type == VAL_LIST && v->type == VAL_LIST) {
			struct value *n = new_list(c);

			for (size_t k = 0; k < acc->u.list->n; k++)
				val_list_push(A, n, acc->u.list->items[k]);
			for (size_t k = 0; k < v->u.list->n; k++)
				val_list_push(A, n, v->u.list->items[k]);
			acc = n;
		} else
			return err_set(err, NULL, "unsupported operand type(s) "
			    "for +: '%s' and '%s'", val_type_name(acc),
			    val_type_name(v));
	}
	*out = acc;
	return 0;
}

/* Sort keys: the item, or its attribute(s), folded unless case_sensitive. */
static struct value *
sort_key(struct tmpl_call *c, struct value *v, struct value *at, bool cs,
    struct err *err)
{
	if (at == NULL || at->type == VAL_NULL)
		return fold(c, v, cs);
	struct value *as = str_of(c, at);
	if (strchr(as->u.str.s, ',') == NULL) {
		struct value *k = attr_get(c, v, as->u.str.s);

		if (k == NULL)
			err_set(err, NULL, "an item has no attribute '%s'",
			    as->u.str.s);
		return fold(c, k, cs);
	}
	struct value *t = val_new_list(A), *parts;
	t->flags |= VAL_TUPLE;
	parts = py_split(A, as->u.str.s, as->u.str.len, ",", 1, -1, false);
	for (size_t i = 0; i < parts->u.list->n; i++) {
		struct value *k = attr_get(c, v, parts->u.list->items[i]->u.str.s);

		if (k == NULL) {
			err_set(err, NULL, "an item has no attribute '%s'",
			    parts->u.list->items[i]->u.str.s);
			return NULL;
		}
		val_list_push(A, t, fold(c, k, cs));
	}
	return t;
}

static int
f_sort(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err);
	bool rev = arg_true(c, 0, "reverse"), cs = arg_true(c, 1,
	    "case_sensitive");
	struct value *at = arg(c, 2, "attribute");
	size_t n, *idx;

	if (l == NULL)
		return -1;
	n = l->u.list->n;
	struct value **keys = arena_alloc(A, (n + 1) * sizeof(*keys));
	for (size_t i = 0; i < n; i++)
		if ((keys[i] = sort_key(c, l->u.list->items[i], at, cs, err)) ==
		    NULL)
			return -1;
	if ((idx = sort_order(c, keys, n, rev, err)) == NULL)
		return -1;
	struct value *r = new_list(c);
	for (size_t i = 0; i < n; i++)
		val_list_push(A, r, l->u.list->items[idx[i]]);
	*out = r;
	return 0;
}

static bool
list_has(struct value *l, struct value *v)
{
	for (size_t i = 0; i < l->u.list->n; i++)
		if (val_equal(l->u.list->items[i], v))
			return true;
	return false;
}

/* unique keeping first occurrences; keys folded unless case_sensitive. */
static struct value *
uniq(struct tmpl_call *c, struct value *l, bool cs, struct value *at)
{
	struct value *r = new_list(c), *seen = val_new_list(A);

	for (size_t i = 0; i < l->u.list->n; i++) {
		struct value *v = l->u.list->items[i], *k = v;

		if (at != NULL && at->type == VAL_STR)
			k = attr_get(c, v, at->u.str.s);
		k = fold(c, k, cs);
		if (k != NULL && list_has(seen, k))
			continue;
		val_list_push(A, seen, k ? k : &val_none);
		val_list_push(A, r, v);
	}
	return r;
}

static int
f_unique(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err);

	if (l == NULL)
		return -1;
	*out = uniq(c, l, arg_true(c, 0, "case_sensitive"),
	    arg(c, 1, "attribute"));
	return 0;
}

static int
f_reverse(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *v = c->in;

	if (v->type == VAL_STR) {
		struct strbuf sb = STRBUF_INIT;
		size_t n = v->u.str.len;
		const char *s = v->u.str.s;

		for (size_t e = n; e > 0;) {
			size_t b = e - 1;

			while (b > 0 && ((unsigned char)s[b] & 0xc0) == 0x80)
				b--;
			sb_add(&sb, s + b, e - b);
			e = b;
		}
		*out = strbuf_value(c, &sb);
		return 0;
	}
	struct value *l = items_of(c, v, err), *r = new_list(c);
	if (l == NULL)
		return -1;
	for (size_t i = l->u.list->n; i > 0; i--)
		val_list_push(A, r, l->u.list->items[i - 1]);
	*out = r;
	return 0;
}

static int
f_list(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err), *r;

	if (l == NULL)
		return -1;
	r = new_list(c);
	for (size_t i = 0; i < l->u.list->n; i++)
		val_list_push(A, r, l->u.list->items[i]);
	*out = r;
	return 0;
}

static int
f_map(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err), *r;
	struct value *at = tmpl_arg(c, SIZE_MAX, "attribute");

	if (l == NULL)
		return -1;
	r = new_list(c);
	if (at != NULL) {
		struct value *dv = tmpl_arg(c, SIZE_MAX, "default");

		for (size_t i = 0; i < l->u.list->n; i++) {
			struct value *v = attr_get(c, l->u.list->items[i],
			    str_of(c, at)->u.str.s);

			if (v == NULL && dv == NULL)
				return err_set(err, NULL, "%s has no attribute "
				    "'%s'", val_type_name(l->u.list->items[i]),
				    str_of(c, at)->u.str.s);
			val_list_push(A, r, v != NULL ? v : dv);
		}
		*out = r;
		return 0;
	}
	if (c->nargs == 0 || c->args[0] == NULL || c->args[0]->type != VAL_STR)
		return err_set(err, NULL, "map requires a filter argument");
	for (size_t i = 0; i < l->u.list->n; i++) {
		struct value *v;

		if (tmpl_apply_filter(c->st, c->args[0]->u.str.s,
		    l->u.list->items[i], c->args + 1, c->nargs - 1, c->kwnames,
		    c->kwargs, c->nkw, &v, err) < 0)
			return -1;
		val_list_push(A, r, v);
	}
	*out = r;
	return 0;
}

/* select/reject/selectattr/rejectattr */
static int
f_select(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err), *r;
	bool attr = strstr(c->name, "attr") != NULL;
	bool want = c->name[0] == 's';
	size_t ai = 0;
	const char *an = NULL;

	if (l == NULL)
		return -1;
	if (attr) {
		if (c->nargs == 0 || c->args[0] == NULL ||
		    c->args[0]->type != VAL_STR)
			return err_set(err, NULL, "%s needs an attribute name",
			    c->name);
		an = c->args[0]->u.str.s;
		ai = 1;
	}
	r = new_list(c);
	for (size_t i = 0; i < l->u.list->n; i++) {
		struct value *item = l->u.list->items[i], *v = item;
		bool b;

		if (attr)
			v = attr_get(c, item, an);
		if (c->nargs > ai) {
			if (c->args[ai] == NULL || c->args[ai]->type != VAL_STR)
				return err_set(err, NULL, "%s: the test name must "
				    "be a string", c->name);
			if (tmpl_apply_test(c->st, c->args[ai]->u.str.s, v,
			    c->args + ai + 1, c->nargs - ai - 1, &b, err) < 0)
				return -1;
		} else {
			if (v == NULL)
				return err_set(err, NULL, "%s has no attribute "
				    "'%s'", val_type_name(item), an);
			b = val_truthy(v);
		}
		if (b == want)
			val_list_push(A, r, item);
	}
	*out = r;
	return 0;
}

static int
f_dict2items(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *d = c->in, *r;
	struct value *kn = arg(c, 0, "key_name"), *vn = arg(c, 1, "value_name");
	const char *k = kn != NULL ? str_of(c, kn)->u.str.s : "key";
	const char *v = vn != NULL ? str_of(c, vn)->u.str.s : "value";

	if (d->type != VAL_DICT)
		return err_set(err, NULL, "dict2items requires a dictionary, got "
		    "<class '%s'> instead.", val_type_name(d));
	r = new_list(c);
	for (size_t i = 0; i < d->u.dict->n; i++) {
		struct value *e = val_new_dict(A);

		val_dict_set(A, e, k, d->u.dict->ent[i].key);
		val_dict_set(A, e, v, d->u.dict->ent[i].val);
		val_list_push(A, r, e);
	}
	*out = r;
	return 0;
}

static int
f_items2dict(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = c->in, *r;
	struct value *kn = arg(c, 0, "key_name"), *vn = arg(c, 1, "value_name");
	const char *k = kn != NULL ? str_of(c, kn)->u.str.s : "key";
	const char *v = vn != NULL ? str_of(c, vn)->u.str.s : "value";

	if (l->type != VAL_LIST)
		return err_set(err, NULL, "items2dict requires a list, got "
		    "<class '%s'> instead.", val_type_name(l));
	r = val_new_dict(A);
	r->flags |= VAL_MUTABLE;
	for (size_t i = 0; i < l->u.list->n; i++) {
		struct value *e = l->u.list->items[i], *kv, *vv;

		if (e->type != VAL_DICT)
			return err_set(err, NULL, "items2dict requires a list of "
			    "dictionaries");
		kv = val_dict_get(e, k);
		vv = val_dict_get(e, v);
		if (kv == NULL || vv == NULL)
			return err_set(err, NULL, "items2dict requires each "
			    "dictionary in the list to contain the keys '%s' and "
			    "'%s'", k, v);
		val_dict_setv(A, r, kv, vv);
	}
	*out = r;
	return 0;
}

/* Ansible's merge_hash(x, y): y wins. */
static struct value *
merge_hash(struct tmpl_call *c, struct value *x, struct value *y,
    bool recursive, const char *lm)
{
	struct value *r = val_new_dict(A);

	r->flags |= VAL_MUTABLE;
	for (size_t i = 0; i < x->u.dict->n; i++)
		val_dict_setv(A, r, x->u.dict->ent[i].key, x->u.dict->ent[i].val);
	for (size_t i = 0; i < y->u.dict->n; i++) {
		struct value *k = y->u.dict->ent[i].key, *yv = y->u.dict->ent[i].val;
		struct value *xv = val_dict_getv(r, k);

		if (xv == NULL) {
			val_dict_setv(A, r, k, yv);
			continue;
		}
		if (recursive && xv->type == VAL_DICT && yv->type == VAL_DICT) {
			val_dict_setv(A, r, k, merge_hash(c, xv, yv, true, lm));
			continue;
		}
		if (xv->type == VAL_LIST && yv->type == VAL_LIST &&
		    strcmp(lm, "replace") != 0) {
			struct value *nl = new_list(c);
			bool rp = strstr(lm, "_rp") != NULL;

			if (!strcmp(lm, "keep")) {
				val_dict_setv(A, r, k, xv);
				continue;
			}
			struct value *first = !strncmp(lm, "append", 6) ? xv : yv;
			struct value *second = first == xv ? yv : xv;
			for (size_t j = 0; j < first->u.list->n; j++)
				if (!rp || !list_has(second, first->u.list->items[j]))
					val_list_push(A, nl, first->u.list->items[j]);
			for (size_t j = 0; j < second->u.list->n; j++)
				val_list_push(A, nl, second->u.list->items[j]);
			val_dict_setv(A, r, k, nl);
			continue;
		}
		val_dict_setv(A, r, k, yv);
	}
	return r;
}

static int
f_combine(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *rec = tmpl_arg(c, SIZE_MAX, "recursive");
	struct value *lmv = tmpl_arg(c, SIZE_MAX, "list_merge");
	const char *lm = lmv != NULL && lmv->type == VAL_STR ? lmv->u.str.s :
	    "replace";
	struct value *dicts = val_new_list(A);

	for (size_t i = 0; i < c->nkw; i++)
		if (strcmp(c->kwnames[i], "recursive") &&
		    strcmp(c->kwnames[i], "list_merge"))
			return err_set(err, NULL, "'recursive' and 'list_merge' "
			    "are the only valid keyword arguments");
	if (strcmp(lm, "replace") && strcmp(lm, "keep") && strcmp(lm, "append")
	    && strcmp(lm, "prepend") && strcmp(lm, "append_rp") &&
	    strcmp(lm, "prepend_rp"))
		return err_set(err, NULL, "merge_hash: 'list_merge' argument can "
		    "only be equal to 'replace', 'keep', 'append', 'prepend', "
		    "'append_rp' or 'prepend_rp'");
	/* flatten(terms, levels=1) */
	for (size_t i = 0; i <= c->nargs; i++) {
		struct value *t = i == 0 ? c->in : c->args[i - 1];

		if (t == NULL)
			return tmpl_undefined(c, err);
		if (t->type == VAL_LIST)
			for (size_t k = 0; k < t->u.list->n; k++)
				val_list_push(A, dicts, t->u.list->items[k]);
		else
			val_list_push(A, dicts, t);
	}
	if (dicts->u.list->n == 0) {
		*out = val_new_dict(A);
		return 0;
	}
	for (size_t i = 0; i < dicts->u.list->n; i++)
		if (dicts->u.list->items[i]->type != VAL_DICT)
			return err_set(err, NULL, "failed to combine variables, "
			    "expected dicts but got a '%s' and a 'dict'",
			    val_type_name(dicts->u.list->items[i]));
	struct value *r = dicts->u.list->items[0];
	for (size_t i = 1; i < dicts->u.list->n; i++)
		r = merge_hash(c, r, dicts->u.list->items[i],
		    rec != NULL && val_truthy(rec), lm);
	*out = r;
	return 0;
}

static int
f_ternary(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *t = arg(c, 0, "true_val"), *f = arg(c, 1, "false_val");
	struct value *nv = arg(c, 2, "none_val");

	if (t == NULL || f == NULL)
		return err_set(err, NULL, "ternary() needs true_val and "
		    "false_val");
	if (c->in->type == VAL_NULL && nv != NULL && nv->type != VAL_NULL)
		*out = nv;
	else
		*out = val_truthy(c->in) ? t : f;
	return 0;
}

static bool
null_like(struct value *v)
{
	return v->type == VAL_NULL || val_is_str(v, "None") ||
	    val_is_str(v, "null");
}

static void
flatten_into(struct tmpl_call *c, struct value *r, struct value *l,
    long levels, bool skip_nulls, int depth)
{
	for (size_t i = 0; i < l->u.list->n; i++) {
		struct value *e = l->u.list->items[i];

		if (skip_nulls && null_like(e))
			continue;
		if (e->type == VAL_LIST && depth < 100 &&
		    (levels < 0 || levels >= 1))
			flatten_into(c, r, e, levels < 0 ? -1 : levels - 1,
			    skip_nulls, depth + 1);
		else
			val_list_push(A, r, e);
	}
}

static int
f_flatten(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *lv = arg(c, 0, "levels"), *sn = arg(c, 1, "skip_nulls");
	struct value *r;

	if (c->in->type != VAL_LIST)
		return err_set(err, NULL, "flatten expects a list, got '%s'",
		    val_type_name(c->in));
	r = new_list(c);
	flatten_into(c, r, c->in, lv != NULL && lv->type == VAL_INT ? lv->u.i :
	    -1, sn == NULL || val_truthy(sn), 0);
	*out = r;
	return 0;
}

/* difference, intersect, union, symmetric_difference (lists: ordered). */
static int
f_setop(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *a = items_of(c, c->in, err), *b;
	struct value *r = new_list(c);

	if (a == NULL)
		return -1;
	if (c->nargs < 1 || (b = items_of(c, c->args[0], err)) == NULL)
		return err->set ? -1 : err_set(err, NULL, "%s needs a list",
		    c->name);
	if (!strcmp(c->name, "union")) {
		for (size_t i = 0; i < a->u.list->n; i++)
			val_list_push(A, r, a->u.list->items[i]);
		for (size_t i = 0; i < b->u.list->n; i++)
			val_list_push(A, r, b->u.list->items[i]);
	} else if (!strcmp(c->name, "symmetric_difference")) {
		for (size_t i = 0; i < a->u.list->n; i++)
			if (!list_has(b, a->u.list->items[i]))
				val_list_push(A, r, a->u.list->items[i]);
		for (size_t i = 0; i < b->u.list->n; i++)
			if (!list_has(a, b->u.list->items[i]))
				val_list_push(A, r, b->u.list->items[i]);
	} else {
		bool in = c->name[0] == 'i';

		for (size_t i = 0; i < a->u.list->n; i++)
			if (list_has(b, a->u.list->items[i]) == in)
				val_list_push(A, r, a->u.list->items[i]);
	}
	*out = uniq(c, r, true, NULL);
	return 0;
}

static int
f_zip(struct tmpl_call *c, struct value **out, struct err *err)
{
	size_t n = c->nargs + 1, len = SIZE_MAX, maxlen = 0;
	struct value **ls = arena_alloc(A, n * sizeof(*ls));
	bool longest = strcmp(c->name, "zip_longest") == 0;
	struct value *fill = tmpl_arg(c, SIZE_MAX, "fillvalue");

	for (size_t i = 0; i < n; i++) {
		if ((ls[i] = items_of(c, i == 0 ? c->in : c->args[i - 1],
		    err)) == NULL)
			return -1;
		if (ls[i]->u.list->n < len)
			len = ls[i]->u.list->n;
		if (ls[i]->u.list->n > maxlen)
			maxlen = ls[i]->u.list->n;
	}
	if (longest)
		len = maxlen;
	struct value *r = new_list(c);
	for (size_t k = 0; k < len; k++) {
		struct value *t = val_new_list(A);

		t->flags |= VAL_TUPLE;
		for (size_t i = 0; i < n; i++)
			val_list_push(A, t, k < ls[i]->u.list->n ?
			    ls[i]->u.list->items[k] : fill ? fill : &val_none);
		val_list_push(A, r, t);
	}
	*out = r;
	return 0;
}

static int
f_dictsort(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *d = c->in;
	bool cs = arg_true(c, 0, "case_sensitive");
	struct value *by = arg(c, 1, "by");
	bool rev = arg_true(c, 2, "reverse");
	bool byval = by != NULL && val_is_str(by, "value");
	size_t n, *idx;

	if (d->type != VAL_DICT)
		return err_set(err, NULL, "dictsort expects a dict, got '%s'",
		    val_type_name(d));
	if (by != NULL && !val_is_str(by, "key") && !byval)
		return err_set(err, NULL, "You can only sort by either \"key\" "
		    "or \"value\"");
	n = d->u.dict->n;
	struct value **keys = arena_alloc(A, (n + 1) * sizeof(*keys));
	for (size_t i = 0; i < n; i++)
		keys[i] = fold(c, byval ? d->u.dict->ent[i].val :
		    d->u.dict->ent[i].key, cs);
	if ((idx = sort_order(c, keys, n, rev, err)) == NULL)
		return -1;
	struct value *r = new_list(c);
	for (size_t i = 0; i < n; i++)
		val_list_push(A, r, tuple2(c, d->u.dict->ent[idx[i]].key,
		    d->u.dict->ent[idx[i]].val));
	*out = r;
	return 0;
}

static int
f_groupby(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err);
	struct value *at = arg(c, 0, "attribute"), *dv = arg(c, 1, "default");
	bool cs = arg_true(c, 2, "case_sensitive");
	size_t n, *idx;

	if (l == NULL)
		return -1;
	if (at == NULL)
		return err_set(err, NULL, "groupby needs an attribute");
	n = l->u.list->n;
	struct value **keys = arena_alloc(A, (n + 1) * sizeof(*keys));
	struct value **raw = arena_alloc(A, (n + 1) * sizeof(*raw));
	for (size_t i = 0; i < n; i++) {
		struct value *k = attr_get(c, l->u.list->items[i],
		    str_of(c, at)->u.str.s);

		if (k == NULL && dv == NULL)
			return err_set(err, NULL, "an item has no attribute '%s'",
			    str_of(c, at)->u.str.s);
		raw[i] = k != NULL ? k : dv;
		keys[i] = fold(c, raw[i], cs);
	}
	if ((idx = sort_order(c, keys, n, false, err)) == NULL)
		return -1;
	struct value *r = new_list(c), *group = NULL, *gkey = NULL;
	for (size_t i = 0; i < n; i++) {
		struct value *k = keys[idx[i]];

		if (group == NULL || !val_equal(k, gkey)) {
			group = new_list(c);
			gkey = k;
			val_list_push(A, r, tuple2(c, cs ? raw[idx[i]] : k,
			    group));
		}
		val_list_push(A, group, l->u.list->items[idx[i]]);
	}
	*out = r;
	return 0;
}

static int
f_batch(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err), *r, *cur = NULL;
	struct value *nv = arg(c, 0, "linecount"), *fill = arg(c, 1,
	    "fill_with");

	if (l == NULL)
		return -1;
	if (nv == NULL || nv->type != VAL_INT || nv->u.i <= 0)
		return err_set(err, NULL, "batch needs a positive linecount");
	r = new_list(c);
	for (size_t i = 0; i < l->u.list->n; i++) {
		if (cur == NULL || cur->u.list->n == (size_t)nv->u.i) {
			cur = new_list(c);
			val_list_push(A, r, cur);
		}
		val_list_push(A, cur, l->u.list->items[i]);
	}
	if (cur != NULL && fill != NULL && fill->type != VAL_NULL)
		while (cur->u.list->n < (size_t)nv->u.i)
			val_list_push(A, cur, fill);
	*out = r;
	return 0;
}

static int
f_slice(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err), *r;
	struct value *sv = arg(c, 0, "slices"), *fill = arg(c, 1, "fill_with");

	if (l == NULL)
		return -1;
	if (sv == NULL || sv->type != VAL_INT || sv->u.i <= 0)
		return err_set(err, NULL, "slice needs a positive count");
	size_t seq = l->u.list->n, slices = (size_t)sv->u.i;
	size_t per = seq / slices, extra = seq % slices, off = 0;
	r = new_list(c);
	for (size_t i = 0; i < slices; i++) {
		size_t start = off + i * per;
		struct value *s = new_list(c);

		if (i < extra)
			off++;
		size_t end = off + (i + 1) * per;
		for (size_t k = start; k < end && k < seq; k++)
			val_list_push(A, s, l->u.list->items[k]);
		if (fill != NULL && fill->type != VAL_NULL && i >= extra)
			val_list_push(A, s, fill);
		val_list_push(A, r, s);
	}
	*out = r;
	return 0;
}

static int
f_indent(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *s = str_of(c, c->in), *w = arg(c, 0, "width");
	bool first = arg_true(c, 1, "first"), blank = arg_true(c, 2, "blank");
	struct strbuf ind = STRBUF_INIT, sb = STRBUF_INIT, text = STRBUF_INIT;
	struct value *lines;

	if (w != NULL && w->type == VAL_INT && (w->u.i > 1000000 || w->u.i < 0))
		return err_set(err, NULL, "indent width %lld out of range",
		    (long long)w->u.i);
	if (w != NULL && w->type == VAL_STR)
		sb_add(&ind, w->u.str.s, w->u.str.len);
	else
		for (int64_t i = 0; i < (w != NULL && w->type == VAL_INT ?
		    w->u.i : 4); i++)
			sb_addch(&ind, ' ');
	sb_add(&text, s->u.str.s, s->u.str.len);
	sb_addch(&text, '\n');
	lines = py_splitlines(A, text.buf, text.len, false);
	for (size_t i = 0; i < lines->u.list->n; i++) {
		struct value *ln = lines->u.list->items[i];

		if (i > 0)
			sb_addch(&sb, '\n');
		if (i > 0 && (blank || ln->u.str.len > 0))
			sb_add(&sb, ind.buf, ind.len);
		sb_add(&sb, ln->u.str.s, ln->u.str.len);
	}
	if (first) {
		struct strbuf t2 = STRBUF_INIT;

		sb_add(&t2, ind.buf, ind.len);
		sb_add(&t2, sb.buf, sb.len);
		sb_release(&sb);
		sb = t2;
	}
	sb_release(&ind);
	sb_release(&text);
	*out = strbuf_value(c, &sb);
	return 0;
}

static int
f_abs(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *v = c->in;

	if (v->type == VAL_FLOAT)
		*out = val_new_float(A, fabs(v->u.f));
	else if (v->type == VAL_INT || v->type == VAL_BOOL) {
		int64_t i = v->type == VAL_BOOL ? v->u.b : v->u.i;

		*out = val_new_int(A, i < 0 ? -i : i);
	} else
		return err_set(err, NULL, "bad operand type for abs(): '%s'",
		    val_type_name(v));
	return 0;
}

/* Python's round(x, n): round half to even on the exact binary value. */
static double
py_round(double x, int64_t nd)
{
	char buf[64];

	if (!isfinite(x) || nd > 300)
		return x;
	if (nd < -300)
		return 0.0 * x;
	if (nd >= 0) {
		snprintf(buf, sizeof(buf), "%.*f", (int)nd, x);
		return strtod(buf, NULL);
	}
	double p = pow(10.0, (double)-nd), y = x / p, r = nearbyint(y);
	return r * p;
}

static int
f_round(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *v = c->in, *pv = arg(c, 0, "precision");
	struct value *mv = arg(c, 1, "method");
	int64_t prec = pv != NULL && pv->type == VAL_INT ? pv->u.i : 0;
	const char *m = mv != NULL && mv->type == VAL_STR ? mv->u.str.s :
	    "common";

	if (!val_is_number(v))
		return err_set(err, NULL, "type %s doesn't define __round__ "
		    "method", val_type_name(v));
	if (strcmp(m, "common") && strcmp(m, "ceil") && strcmp(m, "floor"))
		return err_set(err, NULL, "method must be common, ceil or floor");
	if (!strcmp(m, "common")) {
		if (v->type != VAL_FLOAT) {
			*out = val_new_int(A, v->type == VAL_BOOL ? v->u.b :
			    v->u.i);
			return 0;
		}
		*out = val_new_float(A, py_round(v->u.f, prec));
		return 0;
	}
	double p = pow(10.0, (double)prec), x = val_as_double(v) * p;
	*out = val_new_float(A, (m[0] == 'c' ? ceil(x) : floor(x)) / p);
	return 0;
}

static int
f_format(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *fmt = str_of(c, c->in), *args;
	struct strbuf sb = STRBUF_INIT;

	if (c->nargs > 0 && c->nkw > 0)
		return err_set(err, NULL, "can't handle positional and keyword "
		    "arguments at the same time");
	if (c->nkw > 0) {
		args = val_new_dict(A);
		for (size_t i = 0; i < c->nkw; i++)
			val_dict_set(A, args, c->kwnames[i], c->kwargs[i]);
	} else {
		args = val_new_list(A);
		args->flags |= VAL_TUPLE;
		for (size_t i = 0; i < c->nargs; i++) {
			if (c->args[i] == NULL)
				return tmpl_undefined(c, err);
			val_list_push(A, args, c->args[i]);
		}
	}
	if (py_percent(&sb, fmt->u.str.s, fmt->u.str.len, args, err) < 0) {
		sb_release(&sb);
		return -1;
	}
	*out = strbuf_value(c, &sb);
	return 0;
}

static int
f_center(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *s = str_of(c, c->in), *w = arg(c, 0, "width");
	struct value *wv = w != NULL ? w : val_new_int(A, 80);
	bool found;

	return tmpl_call_method(c->st, s, "center", &wv, 1, NULL, NULL, 0, out,
	    &found, err);
}

static int
f_wordcount(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *s = str_of(c, c->in);
	int64_t n = 0;
	bool in = false;

	(void)err;
	for (size_t i = 0; i < s->u.str.len; i++) {
		unsigned char ch = (unsigned char)s->u.str.s[i];
		bool w = isalnum(ch) || ch == '_' || ch >= 0x80;

		if (w && !in)
			n++;
		in = w;
	}
	*out = val_new_int(A, n);
	return 0;
}

static int
f_truncate(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *s = str_of(c, c->in);
	struct value *lv = arg(c, 0, "length"), *kw = arg(c, 1, "killwords");
	struct value *ev = arg(c, 2, "end"), *lw = arg(c, 3, "leeway");
	int64_t length = lv != NULL && lv->type == VAL_INT ? lv->u.i : 255;
	int64_t leeway = lw != NULL && lw->type == VAL_INT ? lw->u.i : 5;
	const char *end = ev != NULL && ev->type == VAL_STR ? ev->u.str.s :
	    "...";
	size_t endlen = u8_len(end, strlen(end));
	size_t len = u8_len(s->u.str.s, s->u.str.len);
	struct strbuf sb = STRBUF_INIT;

	if ((int64_t)endlen > length)
		return err_set(err, NULL, "expected length >= %zu, got %lld",
		    endlen, (long long)length);
	if ((int64_t)len <= length + leeway) {
		*out = s;
		return 0;
	}
	size_t cut = u8_off(s->u.str.s, s->u.str.len, (size_t)length - endlen);
	if (kw != NULL && val_truthy(kw)) {
		sb_add(&sb, s->u.str.s, cut);
	} else {
		size_t sp = cut;

		while (sp > 0 && s->u.str.s[sp - 1] != ' ')
			sp--;
		sb_add(&sb, s->u.str.s, sp > 0 ? sp - 1 : 0);
	}
	sb_adds(&sb, end);
	*out = strbuf_value(c, &sb);
	return 0;
}

static int
f_items(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *d = c->in, *r;

	if (d->type != VAL_DICT)
		return err_set(err, NULL, "Can only get item pairs from a "
		    "mapping.");
	r = new_list(c);
	for (size_t i = 0; i < d->u.dict->n; i++)
		val_list_push(A, r, tuple2(c, d->u.dict->ent[i].key,
		    d->u.dict->ent[i].val));
	*out = r;
	return 0;
}

static int
f_attr(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *n = arg(c, 0, "name");

	(void)err;
	*out = n != NULL && c->in->type != VAL_DICT ? NULL : n != NULL ?
	    val_dict_getv(c->in, n) : NULL;
	if (*out == NULL)
		return err_set(err, NULL, "%s object has no attribute",
		    val_type_name(c->in));
	return 0;
}

static int
f_escape(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *s = str_of(c, c->in);
	struct strbuf sb = STRBUF_INIT;

	(void)err;
	for (size_t i = 0; i < s->u.str.len; i++)
		switch (s->u.str.s[i]) {
		case '&': sb_adds(&sb, "&amp;"); break;
		case '<': sb_adds(&sb, "&lt;"); break;
		case '>': sb_adds(&sb, "&gt;"); break;
		case '"': sb_adds(&sb, "&#34;"); break;
		case '\'': sb_adds(&sb, "&#39;"); break;
		default: sb_addch(&sb, s->u.str.s[i]);
		}
	*out = strbuf_value(c, &sb);
	return 0;
}

static int
f_extract(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *cont = arg(c, 0, "container"), *more = arg(c, 1,
	    "morekeys");
	struct value *v;

	if (cont == NULL)
		return tmpl_undefined(c, err);
	v = tmpl_getattr(c->st, cont, c->in);
	if (more != NULL && more->type != VAL_NULL) {
		if (more->type == VAL_LIST)
			for (size_t i = 0; v != NULL && i < more->u.list->n; i++)
				v = tmpl_getattr(c->st, v, more->u.list->items[i]);
		else if (v != NULL)
			v = tmpl_getattr(c->st, v, more);
	}
	if (v == NULL) {
		struct strbuf sb = STRBUF_INIT;

		val_repr(&sb, c->in);
		err_set(err, NULL, "'%s object' has no attribute %s",
		    val_type_name(cont), sb.buf);
		sb_release(&sb);
		return -1;
	}
	*out = v;
	return 0;
}

static int
f_subelements(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *obj = c->in, *sub = arg(c, 0, "subelements");
	bool skip = arg_true(c, 1, "skip_missing");
	struct value *elems, *path, *r;

	if (obj->type == VAL_DICT) {
		elems = val_new_list(A);
		for (size_t i = 0; i < obj->u.dict->n; i++)
			val_list_push(A, elems, obj->u.dict->ent[i].val);
	} else if (obj->type == VAL_LIST)
		elems = obj;
	else
		return err_set(err, NULL, "obj must be a list of dicts or a "
		    "nested dict");
	if (sub != NULL && sub->type == VAL_LIST)
		path = sub;
	else if (sub != NULL && sub->type == VAL_STR)
		path = py_split(A, sub->u.str.s, sub->u.str.len, ".", 1, -1,
		    false);
	else
		return err_set(err, NULL, "subelements must be a list or a "
		    "string");
	r = new_list(c);
	for (size_t i = 0; i < elems->u.list->n; i++) {
		struct value *e = elems->u.list->items[i], *v = e;

		for (size_t k = 0; k < path->u.list->n; k++) {
			struct value *key = path->u.list->items[k];
			struct value *nv;

			if (v->type != VAL_DICT)
				return err_set(err, NULL, "the key %s should point "
				    "to a dictionary", key->u.str.s);
			nv = val_dict_getv(v, key);
			if (nv == NULL) {
				if (skip) {
					v = val_new_list(A);
					break;
				}
				struct strbuf sb = STRBUF_INIT;
				val_repr(&sb, key);
				err_set(err, NULL, "could not find %s key in "
				    "iterated item", sb.buf);
				sb_release(&sb);
				return -1;
			}
			v = nv;
		}
		if (v->type != VAL_LIST)
			return err_set(err, NULL, "the key should point to a "
			    "list, got a %s", val_type_name(v));
		for (size_t k = 0; k < v->u.list->n; k++)
			val_list_push(A, r, tuple2(c, e, v->u.list->items[k]));
	}
	*out = r;
	return 0;
}

static void
product_rec(struct tmpl_call *c, struct value *r, struct value **ls,
    size_t n, size_t i, struct value **cur)
{
	if (i == n) {
		struct value *t = val_new_list(A);

		t->flags |= VAL_TUPLE;
		for (size_t k = 0; k < n; k++)
			val_list_push(A, t, cur[k]);
		val_list_push(A, r, t);
		return;
	}
	for (size_t k = 0; k < ls[i]->u.list->n && r->u.list->n < 1000000; k++) {
		cur[i] = ls[i]->u.list->items[k];
		product_rec(c, r, ls, n, i + 1, cur);
	}
}

static int
f_product(struct tmpl_call *c, struct value **out, struct err *err)
{
	size_t n = c->nargs + 1;
	struct value **ls = arena_alloc(A, n * sizeof(*ls));
	struct value **cur = arena_alloc(A, n * sizeof(*cur));
	struct value *r = new_list(c);

	for (size_t i = 0; i < n; i++)
		if ((ls[i] = items_of(c, i == 0 ? c->in : c->args[i - 1],
		    err)) == NULL)
			return -1;
	product_rec(c, r, ls, n, 0, cur);
	*out = r;
	return 0;
}

static int
f_combinations(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *l = items_of(c, c->in, err), *rv = arg(c, 0, "r");
	struct value *r;
	size_t idx[64];

	if (l == NULL)
		return -1;
	if (rv == NULL || rv->type != VAL_INT || rv->u.i < 0 || rv->u.i > 64)
		return err_set(err, NULL, "combinations needs r");
	size_t n = l->u.list->n, k = (size_t)rv->u.i;
	r = new_list(c);
	*out = r;
	if (k > n)
		return 0;
	for (size_t i = 0; i < k; i++)
		idx[i] = i;
	for (;;) {
		struct value *t = val_new_list(A);

		t->flags |= VAL_TUPLE;
		for (size_t i = 0; i < k; i++)
			val_list_push(A, t, l->u.list->items[idx[i]]);
		val_list_push(A, r, t);
		if (r->u.list->n >= 1000000)
			return 0;
		size_t i = k;
		while (i > 0 && idx[i - 1] == i - 1 + n - k)
			i--;
		if (i == 0)
			return 0;
		idx[i - 1]++;
		for (size_t j = i; j < k; j++)
			idx[j] = idx[j - 1] + 1;
	}
}

static int
f_type_debug(struct tmpl_call *c, struct value **out, struct err *err)
{
	(void)err;
	*out = val_new_str(A, c->in->type == VAL_LIST && (c->in->flags &
	    VAL_TUPLE) ? "tuple" : val_type_name(c->in));
	return 0;
}

static int
f_math(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *bv = arg(c, 0, c->name[0] == 'p' ? "y" : "base");
	double x, y;

	if (!val_is_number(c->in))
		return err_set(err, NULL, "%s() can only be used on numbers",
		    c->name);
	x = val_as_double(c->in);
	if (!strcmp(c->name, "pow")) {
		if (bv == NULL || !val_is_number(bv))
			return err_set(err, NULL, "pow() needs a number");
		*out = val_new_float(A, pow(x, val_as_double(bv)));
	} else if (!strcmp(c->name, "log")) {
		y = bv != NULL && val_is_number(bv) ? val_as_double(bv) : M_E;
		if (x <= 0)
			return err_set(err, NULL, "math domain error");
		*out = val_new_float(A, y == 10 ? log10(x) : log(x) / log(y));
	} else {
		y = bv != NULL && val_is_number(bv) ? val_as_double(bv) : 2;
		*out = val_new_float(A, y == 2 ? sqrt(x) : pow(x, 1.0 / y));
	}
	return 0;
}

static int
f_path_join(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct value *l = c->in;

	if (l->type == VAL_STR) {
		*out = l;
		return 0;
	}
	if (l->type != VAL_LIST)
		return err_set(err, NULL, "|path_join expects string or sequence, "
		    "got %s instead.", val_type_name(l));
	for (size_t i = 0; i < l->u.list->n; i++) {
		struct value *p = str_of(c, l->u.list->items[i]);

		if (p->u.str.len > 0 && p->u.str.s[0] == '/')
			sb_reset(&sb);
		else if (sb.len > 0 && sb.buf[sb.len - 1] != '/')
			sb_addch(&sb, '/');
		sb_add(&sb, p->u.str.s, p->u.str.len);
	}
	*out = strbuf_value(c, &sb);
	return 0;
}

static int
f_splitext(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *s = str_of(c, c->in);
	const char *p = s->u.str.s;
	size_t n = s->u.str.len, slash = 0, dot = n;

	(void)err;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '/')
			slash = i + 1;
	for (size_t i = n; i > slash; i--)
		if (p[i - 1] == '.') {
			/* Leading dots of the name do not count. */
			size_t k = slash;

			while (k < i - 1 && p[k] == '.')
				k++;
			if (k < i - 1)
				dot = i - 1;
			break;
		}
	*out = tuple2(c, val_new_strn(A, p, dot), val_new_strn(A, p + dot,
	    n - dot));
	return 0;
}

static int
f_human_readable(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *units[] = { "B", "KB", "MB", "GB", "TB", "PB",
		"EB", "ZB", "YB" };
	bool isbits = arg_true(c, 0, "isbits");
	double v;
	int i = 0;

	if (!val_is_number(c->in))
		return err_set(err, NULL, "human_readable() can't interpret "
		    "following string: %s", "value");
	v = val_as_double(c->in);
	while (fabs(v) >= 1024 && i < 8) {
		v /= 1024;
		i++;
	}
	char buf[64];

	if (i == 0)
		snprintf(buf, sizeof(buf), "%.2f %s", v, isbits ? "Bits" :
		    "Bytes");
	else
		snprintf(buf, sizeof(buf), "%.2f %c%s", v, units[i][0],
		    isbits ? "b" : "B");
	*out = val_new_str(A, buf);
	return 0;
}

const struct tmpl_filter tmpl_filters[] = {
	{ "abs", f_abs, 0 },
	{ "attr", f_attr, 0 },
	{ "batch", f_batch, 0 },
	{ "bool", f_bool, 0 },
	{ "capitalize", f_case, 0 },
	{ "center", f_center, 0 },
	{ "combinations", f_combinations, 0 },
	{ "combine", f_combine, 0 },
	{ "count", f_length, 0 },
	{ "d", f_default, TMPL_FN_UNDEF_OK },
	{ "default", f_default, TMPL_FN_UNDEF_OK },
	{ "dict2items", f_dict2items, 0 },
	{ "dictsort", f_dictsort, 0 },
	{ "difference", f_setop, 0 },
	{ "e", f_escape, 0 },
	{ "escape", f_escape, 0 },
	{ "extract", f_extract, 0 },
	{ "first", f_first_last, 0 },
	{ "flatten", f_flatten, 0 },
	{ "float", f_float, 0 },
	{ "format", f_format, 0 },
	{ "groupby", f_groupby, 0 },
	{ "human_readable", f_human_readable, 0 },
	{ "indent", f_indent, 0 },
	{ "int", f_int, 0 },
	{ "intersect", f_setop, 0 },
	{ "items", f_items, 0 },
	{ "items2dict", f_items2dict, 0 },
	{ "join", f_join, 0 },
	{ "last", f_first_last, 0 },
	{ "length", f_length, 0 },
	{ "list", f_list, 0 },
	{ "log", f_math, 0 },
	{ "lower", f_case, 0 },
	{ "mandatory", f_mandatory, TMPL_FN_UNDEF_OK },
	{ "map", f_map, 0 },
	{ "max", f_minmax, 0 },
	{ "min", f_minmax, 0 },
	{ "path_join", f_path_join, 0 },
	{ "pow", f_math, 0 },
	{ "product", f_product, 0 },
	{ "reject", f_select, 0 },
	{ "rejectattr", f_select, 0 },
	{ "replace", f_replace, 0 },
	{ "reverse", f_reverse, 0 },
	{ "root", f_math, 0 },
	{ "round", f_round, 0 },
	{ "select", f_select, 0 },
	{ "selectattr", f_select, 0 },
	{ "slice", f_slice, 0 },
	{ "sort", f_sort, 0 },
	{ "split", f_split, 0 },
	{ "splitext", f_splitext, 0 },
	{ "string", f_string, 0 },
	{ "subelements", f_subelements, 0 },
	{ "sum", f_sum, 0 },
	{ "symmetric_difference", f_setop, 0 },
	{ "ternary", f_ternary, 0 },
	{ "title", f_case, 0 },
	{ "trim", f_trim, 0 },
	{ "truncate", f_truncate, 0 },
	{ "type_debug", f_type_debug, 0 },
	{ "union", f_setop, 0 },
	{ "unique", f_unique, 0 },
	{ "upper", f_case, 0 },
	{ "wordcount", f_wordcount, 0 },
	{ "zip", f_zip, 0 },
	{ "zip_longest", f_zip, 0 },
	{ NULL, NULL, 0 },
};
