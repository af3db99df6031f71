/*
 * methods.c: the Python methods templates call on values: str (split,
 * startswith, strip, replace, format, ...), list (index, count, append),
 * dict (get, keys, values, items, update), and the loop's cycle().
 * Mutating methods work only on values the render made itself.
 */
#include <string.h>

#include "eval.h"
#include "pystr.h"

struct margs {
	struct value	**v;
	size_t		 n;
	const char	**kwn;
	struct value	**kw;
	size_t		 nkw;
};

static struct value *
marg(struct margs *m, size_t i, const char *name)
{
	for (size_t k = 0; k < m->nkw; k++)
		if (strcmp(m->kwn[k], name) == 0)
			return m->kw[k];
	return i < m->n ? m->v[i] : NULL;
}

static int
want_str(struct value *v, const char *meth, struct err *err)
{
	if (v == NULL || v->type != VAL_STR)
		return err_set(err, NULL, "%s() argument must be str, not %s",
		    meth, v ? val_type_name(v) : "Undefined");
	return 0;
}

static int
nargs_ok(struct margs *m, size_t lo, size_t hi, const char *meth,
    struct err *err)
{
	size_t n = m->n + m->nkw;

	if (n < lo || n > hi)
		return err_set(err, NULL, "%s() takes %s%zu argument%s (%zu "
		    "given)", meth, lo == hi ? "exactly " : n < lo ?
		    "at least " : "at most ", n < lo ? lo : hi,
		    (n < lo ? lo : hi) == 1 ? "" : "s", n);
	return 0;
}

static bool
prefix_match(struct value *s, struct value *p, bool end)
{
	if (p->type != VAL_STR || p->u.str.len > s->u.str.len)
		return false;
	return memcmp(s->u.str.s + (end ? s->u.str.len - p->u.str.len : 0),
	    p->u.str.s, p->u.str.len) == 0;
}

static int
str_method(struct tmpl_state *st, struct value *s, const char *name,
    struct margs *m, struct value **out, bool *found, struct err *err)
{
	struct arena *a = tmpl_state_arena(st);
	const char *p = s->u.str.s;
	size_t n = s->u.str.len;
	struct strbuf sb = STRBUF_INIT;
	struct value *x;

	*found = true;
	if (!strcmp(name, "lower") || !strcmp(name, "upper") ||
	    !strcmp(name, "capitalize") || !strcmp(name, "title") ||
	    !strcmp(name, "swapcase")) {
		if (nargs_ok(m, 0, 0, name, err) < 0)
			return -1;
		py_case(&sb, p, n, name[0] == 'l' ? PY_LOWER : name[0] == 'u' ?
		    PY_UPPER : name[0] == 'c' ? PY_CAPITALIZE : name[0] == 't' ?
		    PY_TITLE : PY_SWAPCASE);
		goto str;
	}
	if (!strcmp(name, "strip") || !strcmp(name, "lstrip") ||
	    !strcmp(name, "rstrip")) {
		size_t b, e;

		if (nargs_ok(m, 0, 1, name, err) < 0)
			return -1;
		x = marg(m, 0, "chars");
		if (x != NULL && x->type != VAL_NULL && want_str(x, name, err) < 0)
			return -1;
		py_strip(p, n, x && x->type == VAL_STR ? x->u.str.s : NULL,
		    x && x->type == VAL_STR ? x->u.str.len : 0,
		    name[0] == 'l' ? 1 : name[0] == 'r' ? 2 : 3, &b, &e);
		sb_add(&sb, p + b, e - b);
		goto str;
	}
	if (!strcmp(name, "split") || !strcmp(name, "rsplit")) {
		struct value *sep = marg(m, 0, "sep"), *mx = marg(m, 1, "maxsplit");

		if (nargs_ok(m, 0, 2, name, err) < 0)
			return -1;
		if (sep != NULL && sep->type != VAL_NULL) {
			if (want_str(sep, name, err) < 0)
				return -1;
			if (sep->u.str.len == 0)
				return err_set(err, NULL, "empty separator");
		}
		*out = py_split(a, p, n, sep && sep->type == VAL_STR ?
		    sep->u.str.s : NULL, sep && sep->type == VAL_STR ?
		    sep->u.str.len : 0, mx && mx->type == VAL_INT ? mx->u.i : -1,
		    name[0] == 'r');
		return 0;
	}
	if (!strcmp(name, "splitlines")) {
		x = marg(m, 0, "keepends");
		*out = py_splitlines(a, p, n, x != NULL && val_truthy(x));
		return 0;
	}
	if (!strcmp(name, "startswith") || !strcmp(name, "endswith")) {
		bool end = name[0] == 'e';

		if (nargs_ok(m, 1, 1, name, err) < 0)
			return -1;
		x = m->v[0];
		if (x != NULL && x->type == VAL_LIST && (x->flags & VAL_TUPLE)) {
			bool any = false;

			for (size_t i = 0; i < x->u.list->n; i++) {
				if (want_str(x->u.list->items[i], name, err) < 0)
					return -1;
				any = any || prefix_match(s, x->u.list->items[i], end);
			}
			*out = val_bool(any);
			return 0;
		}
		if (x == NULL || x->type != VAL_STR)
			return err_set(err, NULL, "%s first arg must be str or a "
			    "tuple of str, not %s", name, x ? val_type_name(x) :
			    "Undefined");
		*out = val_bool(prefix_match(s, x, end));
		return 0;
	}
	if (!strcmp(name, "replace")) {
		struct value *o = marg(m, 0, "old"), *nw = marg(m, 1, "new");
		struct value *c = marg(m, 2, "count");

		if (nargs_ok(m, 2, 3, name, err) < 0 ||
		    want_str(o, name, err) < 0 || want_str(nw, name, err) < 0)
			return -1;
		py_replace(&sb, p, n, o->u.str.s, o->u.str.len, nw->u.str.s,
		    nw->u.str.len, c && c->type == VAL_INT ? c->u.i : -1);
		goto str;
	}
	if (!strcmp(name, "find") || !strcmp(name, "rfind") ||
	    !strcmp(name, "index") || !strcmp(name, "rindex")) {
		if (nargs_ok(m, 1, 1, name, err) < 0 ||
		    want_str(m->v[0], name, err) < 0)
			return -1;
		long r = py_find(p, n, m->v[0]->u.str.s, m->v[0]->u.str.len,
		    name[0] == 'r');
		if (r < 0 && strstr(name, "index"))
			return err_set(err, NULL, "substring not found");
		*out = val_new_int(a, r);
		return 0;
	}
	if (!strcmp(name, "count")) {
		if (nargs_ok(m, 1, 1, name, err) < 0 ||
		    want_str(m->v[0], name, err) < 0)
			return -1;
		size_t sl = m->v[0]->u.str.len;
		int64_t c = 0;
		if (sl == 0)
			c = (int64_t)u8_len(p, n) + 1;
		else
			for (size_t i = 0; i + sl <= n;)
				if (memcmp(p + i, m->v[0]->u.str.s, sl) == 0) {
					c++;
					i += sl;
				} else
					i++;
		*out = val_new_int(a, c);
		return 0;
	}
	if (!strcmp(name, "join")) {
		struct value *it;

		if (nargs_ok(m, 1, 1, name, err) < 0)
			return -1;
		if ((it = tmpl_iterable(st, m->v[0], err)) == NULL)
			return -1;
		for (size_t i = 0; i < it->u.list->n; i++) {
			struct value *e = it->u.list->items[i];

			if (e->type != VAL_STR)
				return err_set(err, NULL, "sequence item %zu: "
				    "expected str instance, %s found", i,
				    val_type_name(e));
			if (i > 0)
				sb_add(&sb, p, n);
			sb_add(&sb, e->u.str.s, e->u.str.len);
		}
		goto str;
	}
	if (!strcmp(name, "format")) {
		if (py_format(&sb, p, n, m->v, m->n, m->kwn, m->kw, m->nkw,
		    err) < 0) {
			sb_release(&sb);
			return -1;
		}
		goto str;
	}
	if (!strcmp(name, "zfill") || !strcmp(name, "center") ||
	    !strcmp(name, "ljust") || !strcmp(name, "rjust")) {
		struct value *w = marg(m, 0, "width"), *f = marg(m, 1, "fillchar");
		size_t len = u8_len(p, n);
		const char *fc = f && f->type == VAL_STR ? f->u.str.s : " ";
		size_t fl = f && f->type == VAL_STR ? f->u.str.len : 1;

		if (w == NULL || w->type != VAL_INT)
			return err_set(err, NULL, "%s() needs an integer width",
			    name);
		if (w->u.i > 10000000)
			return err_set(err, NULL, "%s() width too large", name);
		size_t width = w->u.i > 0 ? (size_t)w->u.i : 0, left = 0,
		    right = 0;
		if (width > len) {
			size_t pad = width - len;

			if (name[0] == 'z' || name[0] == 'r')
				left = pad;
			else if (name[0] == 'l')
				right = pad;
			else {
				left = pad / 2 + (pad & width & 1);
				right = pad - left;
			}
		}
		if (name[0] == 'z') {
			size_t sign = n > 0 && (p[0] == '-' || p[0] == '+');

			sb_add(&sb, p, sign);
			for (size_t i = 0; i < left; i++)
				sb_addch(&sb, '0');
			sb_add(&sb, p + sign, n - sign);
			goto str;
		}
		for (size_t i = 0; i < left; i++)
			sb_add(&sb, fc, fl);
		sb_add(&sb, p, n);
		for (size_t i = 0; i < right; i++)
			sb_add(&sb, fc, fl);
		goto str;
	}
	if (!strncmp(name, "is", 2)) {
		bool all = n > 0;

		for (size_t i = 0; i < n && all;) {
			unsigned long cp;

			i += u8_decode(p + i, n - i, &cp);
			if (!strcmp(name, "isdigit") || !strcmp(name, "isnumeric") ||
			    !strcmp(name, "isdecimal"))
				all = cp >= '0' && cp <= '9';
			else if (!strcmp(name, "isalpha"))
				all = (cp | 32) >= 'a' && (cp | 32) <= 'z';
			else if (!strcmp(name, "isalnum"))
				all = ((cp | 32) >= 'a' && (cp | 32) <= 'z') ||
				    (cp >= '0' && cp <= '9');
			else if (!strcmp(name, "isspace"))
				all = py_isspace(cp);
			else if (!strcmp(name, "islower"))
				all = !(cp >= 'A' && cp <= 'Z');
			else if (!strcmp(name, "isupper"))
				all = !(cp >= 'a' && cp <= 'z');
			else {
				*found = false;
				return 0;
			}
		}
		if (all && (!strcmp(name, "islower") || !strcmp(name, "isupper"))) {
			bool cased = false;

			for (size_t i = 0; i < n; i++)
				cased = cased || ((p[i] | 32) >= 'a' &&
				    (p[i] | 32) <= 'z');
			all = cased;
		}
		*out = val_bool(all);
		return 0;
	}
	if (!strcmp(name, "partition") || !strcmp(name, "rpartition")) {
		if (nargs_ok(m, 1, 1, name, err) < 0 ||
		    want_str(m->v[0], name, err) < 0)
			return -1;
		struct value *sep = m->v[0], *t = val_new_list(a);
		const char *hit = NULL;
		if (name[0] == 'p')
			hit = memmem(p, n, sep->u.str.s, sep->u.str.len);
		else
			for (size_t i = n + 1; i-- > 0 && hit == NULL;)
				if (i + sep->u.str.len <= n && memcmp(p + i,
				    sep->u.str.s, sep->u.str.len) == 0)
					hit = p + i;
		t->flags |= VAL_TUPLE;
		if (hit == NULL) {
			struct value *e = val_new_str(a, "");

			val_list_push(a, t, name[0] == 'p' ? s : e);
			val_list_push(a, t, e);
			val_list_push(a, t, name[0] == 'p' ? e : s);
		} else {
			val_list_push(a, t, val_new_strn(a, p, (size_t)(hit - p)));
			val_list_push(a, t, sep);
			size_t off = (size_t)(hit - p) + sep->u.str.len;
			val_list_push(a, t, val_new_strn(a, p + off, n - off));
		}
		*out = t;
		return 0;
	}
	if (!strcmp(name, "encode") || !strcmp(name, "decode")) {
		*out = s;
		return 0;
	}
	*found = false;
	return 0;
str:
	*out = val_new_strn(a, sb.buf, sb.len);
	sb_release(&sb);
	return 0;
}

static int
list_method(struct tmpl_state *st, struct value *l, const char *name,
    struct margs *m, struct value **out, bool *found, struct err *err)
{
	struct arena *a = tmpl_state_arena(st);

	*found = true;
	if (!strcmp(name, "index") || !strcmp(name, "count")) {
		int64_t c = 0;

		if (nargs_ok(m, 1, 1, name, err) < 0)
			return -1;
		for (size_t i = 0; i < l->u.list->n; i++)
			if (val_equal(l->u.list->items[i], m->v[0])) {
				if (name[0] == 'i') {
					*out = val_new_int(a, (int64_t)i);
					return 0;
				}
				c++;
			}
		if (name[0] == 'i')
			return err_set(err, NULL, "value is not in list");
		*out = val_new_int(a, c);
		return 0;
	}
	if (!strcmp(name, "append") || !strcmp(name, "extend") ||
	    !strcmp(name, "insert") || !strcmp(name, "pop") ||
	    !strcmp(name, "remove") || !strcmp(name, "reverse") ||
	    !strcmp(name, "clear") || !strcmp(name, "sort")) {
		if ((l->flags & VAL_TUPLE) || !(l->flags & VAL_MUTABLE))
			return err_set(err, NULL, "'%s' of a variable's value is "
			    "not supported: build a new list (e.g. with "
			    "'+') instead", name);
		struct val_list *vl = l->u.list;
		*out = &val_none;
		if (!strcmp(name, "append")) {
			if (nargs_ok(m, 1, 1, name, err) < 0)
				return -1;
			val_list_push(a, l, m->v[0] ? m->v[0] : &val_none);
		} else if (!strcmp(name, "extend")) {
			struct value *it;

			if (nargs_ok(m, 1, 1, name, err) < 0 ||
			    (it = tmpl_iterable(st, m->v[0], err)) == NULL)
				return -1;
			size_t cnt = it->u.list->n;
			struct value **items = it->u.list->items;
			for (size_t i = 0; i < cnt; i++)
				val_list_push(a, l, items[i]);
		} else if (!strcmp(name, "pop")) {
			int64_t i = (int64_t)vl->n - 1;

			if (m->n > 0 && m->v[0] && m->v[0]->type == VAL_INT)
				i = m->v[0]->u.i < 0 ? m->v[0]->u.i +
				    (int64_t)vl->n : m->v[0]->u.i;
			if (vl->n == 0 || i < 0 || (size_t)i >= vl->n)
				return err_set(err, NULL, "pop index out of range");
			*out = vl->items[i];
			memmove(vl->items + i, vl->items + i + 1,
			    (vl->n - (size_t)i - 1) * sizeof(*vl->items));
			vl->n--;
		} else if (!strcmp(name, "insert")) {
			if (nargs_ok(m, 2, 2, name, err) < 0 ||
			    m->v[0] == NULL || m->v[0]->type != VAL_INT)
				return -1;
			int64_t i = m->v[0]->u.i;
			if (i < 0)
				i += (int64_t)vl->n;
			if (i < 0)
				i = 0;
			if ((size_t)i > vl->n)
				i = (int64_t)vl->n;
			val_list_push(a, l, &val_none);
			memmove(vl->items + i + 1, vl->items + i,
			    (vl->n - (size_t)i - 1) * sizeof(*vl->items));
			vl->items[i] = m->v[1] ? m->v[1] : &val_none;
		} else if (!strcmp(name, "remove")) {
			size_t i;

			for (i = 0; i < vl->n; i++)
				if (val_equal(vl->items[i], m->v[0]))
					break;
			if (i == vl->n)
				return err_set(err, NULL, "list.remove(x): x not "
				    "in list");
			memmove(vl->items + i, vl->items + i + 1,
			    (vl->n - i - 1) * sizeof(*vl->items));
			vl->n--;
		} else if (!strcmp(name, "reverse")) {
			for (size_t i = 0; i < vl->n / 2; i++) {
				struct value *t = vl->items[i];

				vl->items[i] = vl->items[vl->n - 1 - i];
				vl->items[vl->n - 1 - i] = t;
			}
		} else if (!strcmp(name, "clear"))
			vl->n = 0;
		else {
			struct value *sorted;

			if (tmpl_apply_filter(st, "sort", l, NULL, 0, m->kwn,
			    m->kw, m->nkw, &sorted, err) < 0)
				return -1;
			memcpy(vl->items, sorted->u.list->items,
			    vl->n * sizeof(*vl->items));
		}
		return 0;
	}
	if (!strcmp(name, "copy")) {
		struct value *c = val_new_list(a);

		for (size_t i = 0; i < l->u.list->n; i++)
			val_list_push(a, c, l->u.list->items[i]);
		c->flags |= VAL_MUTABLE;
		*out = c;
		return 0;
	}
	*found = false;
	return 0;
}

static int
dict_method(struct tmpl_state *st, struct value *d, const char *name,
    struct margs *m, struct value **out, bool *found, struct err *err)
{
	struct arena *a = tmpl_state_arena(st);
	struct val_dict *vd = d->u.dict;

	*found = true;
	if (!strcmp(name, "get")) {
		struct value *v;

		if (nargs_ok(m, 1, 2, name, err) < 0)
			return -1;
		if (m->v[0] == NULL)
			return err_set(err, NULL, "get() key is undefined");
		v = val_dict_getv(d, m->v[0]);
		*out = v != NULL ? v : m->n > 1 && m->v[1] ? m->v[1] : &val_none;
		return 0;
	}
	if (!strcmp(name, "keys") || !strcmp(name, "values") ||
	    !strcmp(name, "items")) {
		struct value *l = val_new_list(a);

		if (nargs_ok(m, 0, 0, name, err) < 0)
			return -1;
		for (size_t i = 0; i < vd->n; i++) {
			if (name[0] == 'k')
				val_list_push(a, l, vd->ent[i].key);
			else if (name[0] == 'v')
				val_list_push(a, l, vd->ent[i].val);
			else {
				struct value *t = val_new_list(a);

				t->flags |= VAL_TUPLE;
				val_list_push(a, t, vd->ent[i].key);
				val_list_push(a, t, vd->ent[i].val);
				val_list_push(a, l, t);
			}
		}
		*out = l;
		return 0;
	}
	if (!strcmp(name, "copy")) {
		struct value *c = val_new_dict(a);

		for (size_t i = 0; i < vd->n; i++)
			val_dict_setv(a, c, vd->ent[i].key, vd->ent[i].val);
		c->flags |= VAL_MUTABLE;
		*out = c;
		return 0;
	}
	if (!strcmp(name, "update") || !strcmp(name, "pop") ||
	    !strcmp(name, "setdefault")) {
		if (!(d->flags & VAL_MUTABLE))
			return err_set(err, NULL, "'%s' of a variable's value is "
			    "not supported: use the combine filter instead", name);
		if (!strcmp(name, "update")) {
			if (m->n > 0 && m->v[0] != NULL &&
			    m->v[0]->type == VAL_DICT)
				for (size_t i = 0; i < m->v[0]->u.dict->n; i++)
					val_dict_setv(a, d, m->v[0]->u.dict->ent[i].key,
					    m->v[0]->u.dict->ent[i].val);
			for (size_t i = 0; i < m->nkw; i++)
				val_dict_set(a, d, m->kwn[i], m->kw[i]);
			*out = &val_none;
			return 0;
		}
		if (nargs_ok(m, 1, 2, name, err) < 0 || m->v[0] == NULL)
			return -1;
		struct value *v = val_dict_getv(d, m->v[0]);
		if (name[0] == 's') {
			if (v == NULL) {
				v = m->n > 1 && m->v[1] ? m->v[1] : &val_none;
				val_dict_setv(a, d, m->v[0], v);
			}
			*out = v;
			return 0;
		}
		if (v == NULL) {
			if (m->n > 1) {
				*out = m->v[1];
				return 0;
			}
			return err_set(err, NULL, "pop(): key not found");
		}
		if (m->v[0]->type == VAL_STR)
			val_dict_del(d, m->v[0]->u.str.s);
		*out = v;
		return 0;
	}
	/* loop.cycle(a, b, ...) */
	if (!strcmp(name, "cycle") && val_dict_get(d, "index0") != NULL &&
	    val_dict_get(d, "revindex0") != NULL) {
		if (m->n == 0)
			return err_set(err, NULL, "no items for cycling given");
		int64_t i = val_dict_get(d, "index0")->u.i;
		*out = m->v[(size_t)i % m->n];
		return 0;
	}
	*found = false;
	return 0;
}

int
tmpl_call_method(struct tmpl_state *st, struct value *obj, const char *name,
    struct value **args, size_t nargs, const char **kwnames,
    struct value **kwargs, size_t nkw, struct value **out, bool *found,
    struct err *err)
{
	struct margs m = { args, nargs, kwnames, kwargs, nkw };

	*found = false;
	for (size_t i = 0; i < nargs; i++)
		if (args[i] == NULL && strcmp(name, "get") != 0)
			return err_set(err, NULL, "an argument of '%s()' is "
			    "undefined", name);
	switch (obj->type) {
	case VAL_STR:
		return str_method(st, obj, name, &m, out, found, err);
	case VAL_LIST:
		return list_method(st, obj, name, &m, out, found, err);
	case VAL_DICT:
		return dict_method(st, obj, name, &m, out, found, err);
	default:
		return 0;
	}
}
