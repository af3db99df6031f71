/*
 * eval.c: the template evaluator: walks the tree parse.c builds, with
 * Jinja2's scoping (a frame per loop iteration, set inside if leaks, set
 * inside for does not) and Ansible's Templar semantics on top (template.h):
 * lazy templating of variables with cycle detection, the single-variable
 * fast path, literal_eval of a single result, None printed as "", and
 * trailing newlines kept.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "eval.h"
#include "filters.h"
#include "pylit.h"
#include "pystr.h"
#include "template.h"

#define MAX_EVAL_DEPTH 400
#define MAX_VAR_DEPTH 40
#define MAX_STEPS 20000000UL		/* a render's evaluation steps */
#define MAX_OUTPUT (256UL << 20)	/* a render's output bytes */

struct frame {
	struct frame	*up;
	size_t		 n, alloc;
	const char	**names;
	struct value	**vals;
};

struct macro {
	const char	*name;
	struct tnode	*node;
	struct macro	*next;
};

/* Where output goes: the first node is kept as a value (Ansible). */
struct sink {
	struct strbuf	 buf;
	size_t		 nnodes;
	struct value	*node0;
};

/* Shared by a render and the variable renders it starts. */
struct shared {
	struct value	*cache;		/* name -> templated value */
	const char	*stack[MAX_VAR_DEPTH];
	int		 nstack;
	bool		 undef_err;	/* the last error was an undefined */
	unsigned long	 steps;		/* against MAX_STEPS */
	int		 nest;		/* hostvars renders inside renders */
};

struct tmpl_state {
	struct arena		*a;
	const struct tmpl_env	*env;
	struct tmpl_parse_opts	 popts;
	struct frame		 root;
	struct frame		*top;
	struct macro		*macros;
	struct sink		*sink;
	struct shared		*sh;
	const char		*undef;		/* message of the last undefined */
	const char		*undef_name;
	struct err		*err;
	bool			 ansible;	/* Ansible's environment */
	int			 depth;
};

static int eval(struct tmpl_state *, struct tnode *, struct value **);
static int exec_body(struct tmpl_state *, struct tnode *);
static int template_value(struct shared *, struct arena *,
    const struct tmpl_env *, const struct value *, unsigned flags,
    struct value **, struct err *);

static struct pos
npos(struct tmpl_state *st, const struct tnode *n)
{
	return tmpl_pos(&st->popts, n ? n->line : 1, n ? n->col : 1);
}

static int
fail(struct tmpl_state *st, const struct tnode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct tmpl_state *st, const struct tnode *n, const char *fmt, ...)
{
	struct pos p = npos(st, n);
	va_list ap;

	st->sh->undef_err = false;
	va_start(ap, fmt);
	err_vset(st->err, &p, fmt, ap);
	va_end(ap);
	return -1;
}

/* Locate an error a filter or helper set without a position. */
static int
located(struct tmpl_state *st, const struct tnode *n)
{
	struct pos p = npos(st, n);

	err_locate(st->err, &p);
	return -1;
}

static int
undef_error(struct tmpl_state *st, const struct tnode *n)
{
	fail(st, n, "%s", st->undef ? st->undef : "undefined value");
	st->sh->undef_err = true;
	return -1;
}

static struct value *
set_undef(struct tmpl_state *st, const char *msg)
{
	st->undef = msg;
	return NULL;
}

static const char *
obj_repr(struct tmpl_state *st, const struct value *v)
{
	if (v == NULL || v->type == VAL_NULL)
		return "None";
	return arena_printf(st->a, "'%s object'", val_type_name(v));
}

/* ---- frames ---- */

static void
frame_set(struct tmpl_state *st, struct frame *f, const char *name,
    struct value *v)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->names[i], name) == 0) {
			f->vals[i] = v;
			return;
		}
	if (f->n == f->alloc) {
		size_t na = f->alloc ? f->alloc * 2 : 8;

		f->names = arena_realloc(st->a, f->names,
		    f->alloc * sizeof(*f->names), na * sizeof(*f->names));
		f->vals = arena_realloc(st->a, f->vals,
		    f->alloc * sizeof(*f->vals), na * sizeof(*f->vals));
		f->alloc = na;
	}
	f->names[f->n] = name;
	f->vals[f->n++] = v;
}

/* ---- variables ---- */

static bool
needs_templating(const struct value *v, int depth)
{
	if (v == NULL || (v->flags & VAL_UNSAFE) || depth > 64)
		return false;
	switch (v->type) {
	case VAL_STR:
		return tmpl_is_template(v->u.str.s, v->u.str.len);
	case VAL_LIST:
		for (size_t i = 0; i < v->u.list->n; i++)
			if (needs_templating(v->u.list->items[i], depth + 1))
				return true;
		return false;
	case VAL_DICT:
		for (size_t i = 0; i < v->u.dict->n; i++)
			if (needs_templating(v->u.dict->ent[i].val, depth + 1))
				return true;
		return false;
	default:
		return false;
	}
}

bool
tmpl_value_needs(const struct value *v)
{
	return needs_templating(v, 0);
}

struct value *
tmpl_lookup_var(struct tmpl_state *st, const char *name, struct err *err)
{
	struct value *raw, *v;

	for (struct frame *f = st->top; f != NULL; f = f->up)
		for (size_t i = f->n; i > 0; i--)
			if (strcmp(f->names[i - 1], name) == 0)
				return f->vals[i - 1];
	if (st->sh->cache != NULL &&
	    (v = val_dict_get(st->sh->cache, name)) != NULL)
		return v;
	raw = st->env->getvar(st->env->ctx, name, strlen(name));
	if (raw == NULL) {
		st->undef_name = name;
		return set_undef(st, arena_printf(st->a, "'%s' is undefined",
		    name));
	}
	if (!st->ansible || strcmp(name, "vars") == 0 ||
	    strcmp(name, "hostvars") == 0)
		return raw;
	if (!needs_templating(raw, 0)) {
		/* Remember it: large lists are scanned once a render. */
		if (raw->type == VAL_LIST || raw->type == VAL_DICT) {
			if (st->sh->cache == NULL)
				st->sh->cache = val_new_dict(st->a);
			val_dict_set(st->a, st->sh->cache, name, raw);
		}
		return raw;
	}
	for (int i = 0; i < st->sh->nstack; i++)
		if (strcmp(st->sh->stack[i], name) == 0) {
			struct strbuf sb = STRBUF_INIT;

			for (int k = i; k < st->sh->nstack; k++)
				sb_addf(&sb, "%s -> ", st->sh->stack[k]);
			sb_adds(&sb, name);
			err_set(err, &raw->pos, "recursive loop detected in "
			    "template: variable '%s' refers to itself (%s)",
			    name, sb.buf);
			sb_release(&sb);
			st->sh->undef_err = false;
			return NULL;
		}
	if (st->sh->nstack >= MAX_VAR_DEPTH) {
		err_set(err, &raw->pos, "variables nested too deeply at '%s'",
		    name);
		st->sh->undef_err = false;
		return NULL;
	}
	st->sh->stack[st->sh->nstack++] = name;
	struct err e2 = ERR_INIT;
	st->sh->undef_err = false;
	int rc = template_value(st->sh, st->a, st->env, raw,
	    st->env->flags, &v, &e2);
	st->sh->nstack--;
	if (rc < 0) {
		if (st->sh->undef_err) {
			/* Undefined inside: the variable is undefined. */
			st->sh->undef_err = false;
			st->undef_name = name;
			return set_undef(st, arena_printf(st->a,
			    "'%s' is undefined: %s", name, e2.msg));
		}
		*err = e2;
		err_prefix(err, "while templating '%s'", name);
		return NULL;
	}
	if (st->sh->cache == NULL)
		st->sh->cache = val_new_dict(st->a);
	val_dict_set(st->a, st->sh->cache, name, v);
	return v;
}

/* ---- attribute and item access ---- */

static bool
as_index(const struct value *k, int64_t *i)
{
	if (k->type == VAL_INT) {
		*i = k->u.i;
		return true;
	}
	if (k->type == VAL_BOOL) {
		*i = k->u.b;
		return true;
	}
	return false;
}

static struct value *
str_char(struct arena *a, const struct value *s, int64_t i, bool *ok)
{
	size_t n = u8_len(s->u.str.s, s->u.str.len);

	if (i < 0)
		i += (int64_t)n;
	if (i < 0 || (size_t)i >= n) {
		*ok = false;
		return NULL;
	}
	size_t b = u8_off(s->u.str.s, s->u.str.len, (size_t)i);
	size_t e = u8_off(s->u.str.s, s->u.str.len, (size_t)i + 1);
	*ok = true;
	return val_new_strn(a, s->u.str.s + b, e - b);
}

static struct value *
dict_getvar(void *ctx, const char *name, size_t len)
{
	return val_dict_getn(ctx, name, len);
}

/*
 * hostvars[h].x: rendered with h's variables, as Ansible's HostVarsVars
 * does.  An error there makes the value undefined, with the reason.
 */
static struct value *
scope_value(struct tmpl_state *st, struct value *scope, struct value *key,
    struct value *v)
{
	struct shared *sh = arena_alloc(st->a, sizeof(*sh));
	struct tmpl_env *env = arena_alloc(st->a, sizeof(*env));
	struct err e2 = ERR_INIT;
	struct value *out;

	if (st->sh->nest >= 20) {
		st->undef_name = NULL;
		return set_undef(st, "recursive loop detected in hostvars");
	}
	*env = *st->env;
	env->getvar = dict_getvar;
	env->ctx = scope;
	sh->nest = st->sh->nest + 1;
	sh->steps = st->sh->steps;
	if (template_value(sh, st->a, env, v, env->flags & ~TMPL_TEXT, &out,
	    &e2) < 0) {
		st->undef_name = NULL;
		return set_undef(st, arena_printf(st->a, "%s: %s",
		    key->type == VAL_STR ? key->u.str.s : "value", e2.msg));
	}
	st->sh->steps = sh->steps;
	return out;
}

/* obj[key] (item first) or obj.key (attribute first): Jinja2's rules. */
static struct value *
getitem(struct tmpl_state *st, struct value *obj, struct value *key)
{
	int64_t i;
	bool ok;

	if (obj == NULL)
		return NULL;	/* Ansible: an undefined's attribute is it */
	switch (obj->type) {
	case VAL_DICT: {
		struct value *v = val_dict_getv(obj, key);

		if (v != NULL && (obj->flags & VAL_VARSCOPE) && st->ansible &&
		    needs_templating(v, 0))
			return scope_value(st, obj, key, v);
		if (v != NULL)
			return v;
		break;
	}
	case VAL_LIST:
		if (as_index(key, &i)) {
			if (i < 0)
				i += (int64_t)obj->u.list->n;
			if (i >= 0 && (size_t)i < obj->u.list->n)
				return obj->u.list->items[i];
		}
		break;
	case VAL_STR:
		if (as_index(key, &i)) {
			struct value *c = str_char(st->a, obj, i, &ok);

			if (ok)
				return c;
		}
		break;
	default:
		break;
	}
	struct strbuf sb = STRBUF_INIT;
	val_repr(&sb, key);
	set_undef(st, arena_printf(st->a, "%s has no %s %s",
	    obj_repr(st, obj), key->type == VAL_STR ? "attribute" : "element",
	    sb.buf));
	sb_release(&sb);
	st->undef_name = NULL;
	return NULL;
}

struct value *
tmpl_getattr(struct tmpl_state *st, struct value *obj, struct value *key)
{
	return getitem(st, obj, key);
}

static void
slice_bounds(int64_t len, struct value *vb, struct value *ve,
    int64_t step, int64_t *b, int64_t *e)
{
	int64_t lo = step < 0 ? -1 : 0, hi = step < 0 ? len - 1 : len;

	if (vb == NULL || vb->type == VAL_NULL)
		*b = step < 0 ? hi : lo;
	else {
		*b = vb->type == VAL_BOOL ? vb->u.b : vb->u.i;
		if (*b < 0)
			*b = *b + len < lo ? lo : *b + len;
		else if (*b > hi)
			*b = hi;
	}
	if (ve == NULL || ve->type == VAL_NULL)
		*e = step < 0 ? lo : hi;
	else {
		*e = ve->type == VAL_BOOL ? ve->u.b : ve->u.i;
		if (*e < 0)
			*e = *e + len < lo ? lo : *e + len;
		else if (*e > hi)
			*e = hi;
	}
}

static int
do_slice(struct tmpl_state *st, struct tnode *n, struct value *obj,
    struct value *vb, struct value *ve, struct value *vs,
    struct value **out)
{
	int64_t step = 1, b, e, len;
	struct value *parts[3] = { vb, ve, vs };

	for (int k = 0; k < 3; k++)
		if (parts[k] != NULL && parts[k]->type != VAL_NULL &&
		    parts[k]->type != VAL_INT && parts[k]->type != VAL_BOOL)
			return fail(st, n, "slice indices must be integers or "
			    "None");
	if (vs != NULL && vs->type != VAL_NULL)
		step = vs->type == VAL_BOOL ? vs->u.b : vs->u.i;
	if (step == 0)
		return fail(st, n, "slice step cannot be zero");
	if (obj->type == VAL_LIST) {
		struct value *l = val_new_list(st->a);

		len = (int64_t)obj->u.list->n;
		slice_bounds(len, vb, ve, step, &b, &e);
		for (int64_t i = b; step > 0 ? i < e : i > e; i += step)
			val_list_push(st->a, l, obj->u.list->items[i]);
		l->flags |= (obj->flags & VAL_TUPLE) | VAL_MUTABLE;
		*out = l;
		return 0;
	}
	if (obj->type == VAL_STR) {
		const char *s = obj->u.str.s;
		size_t sl = obj->u.str.len;
		struct strbuf sb = STRBUF_INIT;

		len = (int64_t)u8_len(s, sl);
		slice_bounds(len, vb, ve, step, &b, &e);
		if (step == 1) {
			if (e > b) {
				size_t ob = u8_off(s, sl, (size_t)b);

				sb_add(&sb, s + ob, u8_off(s, sl, (size_t)e) - ob);
			}
		} else
			for (int64_t i = b; step > 0 ? i < e : i > e; i += step) {
				size_t ob = u8_off(s, sl, (size_t)i);

				sb_add(&sb, s + ob, u8_off(s, sl, (size_t)i + 1) - ob);
			}
		*out = val_new_strn(st->a, sb.buf, sb.len);
		sb_release(&sb);
		return 0;
	}
	return fail(st, n, "'%s' object is not subscriptable",
	    val_type_name(obj));
}

/* ---- operators ---- */

static bool
num_pair(const struct value *l, const struct value *r)
{
	return val_is_number(l) && val_is_number(r);
}

static bool
is_intlike(const struct value *v)
{
	return v->type == VAL_INT || v->type == VAL_BOOL;
}

static int64_t
ival(const struct value *v)
{
	return v->type == VAL_BOOL ? v->u.b : v->u.i;
}

static struct value *
repeat(struct tmpl_state *st, struct value *seq, int64_t times)
{
	if (seq->type == VAL_STR) {
		struct strbuf sb = STRBUF_INIT;

		for (int64_t i = 0; i < times && sb.len < (64u << 20); i++)
			sb_add(&sb, seq->u.str.s, seq->u.str.len);
		struct value *v = val_new_strn(st->a, sb.buf, sb.len);
		sb_release(&sb);
		return v;
	}
	struct value *l = val_new_list(st->a);
	for (int64_t i = 0; i < times && l->u.list->n < (1u << 22); i++)
		for (size_t k = 0; k < seq->u.list->n; k++)
			val_list_push(st->a, l, seq->u.list->items[k]);
	l->flags |= (seq->flags & VAL_TUPLE) | VAL_MUTABLE;
	return l;
}

static const char *opnames[] = { "+", "-", "*", "/", "//", "%", "**" };

static int
binop(struct tmpl_state *st, struct tnode *n, int op, struct value *l,
    struct value *r, struct value **out)
{
	struct arena *a = st->a;

	if (num_pair(l, r)) {
		if (is_intlike(l) && is_intlike(r) && op != OP_DIV) {
			int64_t x = ival(l), y = ival(r), z;

			switch (op) {
			case OP_ADD:
				if (__builtin_add_overflow(x, y, &z))
					goto overflow;
				break;
			case OP_SUB:
				if (__builtin_sub_overflow(x, y, &z))
					goto overflow;
				break;
			case OP_MUL:
				if (__builtin_mul_overflow(x, y, &z))
					goto overflow;
				break;
			case OP_FLOORDIV:
			case OP_MOD:
				if (y == 0)
					return fail(st, n, "integer division or "
					    "modulo by zero");
				if (x == INT64_MIN && y == -1)
					goto overflow;
				z = op == OP_FLOORDIV ? x / y : x % y;
				if (op == OP_FLOORDIV && (x % y != 0) &&
				    ((x < 0) != (y < 0)))
					z--;
				if (op == OP_MOD && z != 0 && ((z < 0) != (y < 0)))
					z += y;
				break;
			default: /* OP_POW */
				if (y < 0) {
					if (x == 0)
						return fail(st, n, "0.0 cannot be "
						    "raised to a negative power");
					*out = val_new_float(a, pow((double)x,
					    (double)y));
					return 0;
				}
				z = 1;
				for (int64_t k = 0; k < y; k++)
					if (__builtin_mul_overflow(z, x, &z))
						goto overflow;
					else if (z == 0 || z == 1)
						break;
				if (z == 1 && x == -1 && (y & 1))
					z = -1;
				break;
			}
			*out = val_new_int(a, z);
			return 0;
		}
		double x = val_as_double(l), y = val_as_double(r), z;
		switch (op) {
		case OP_ADD: z = x + y; break;
		case OP_SUB: z = x - y; break;
		case OP_MUL: z = x * y; break;
		case OP_DIV:
			if (y == 0)
				return fail(st, n, "division by zero");
			z = x / y;
			break;
		case OP_FLOORDIV:
			if (y == 0)
				return fail(st, n, "float floor division by zero");
			z = floor(x / y);
			break;
		case OP_MOD:
			if (y == 0)
				return fail(st, n, "float modulo");
			z = fmod(x, y);
			if (z != 0 && ((z < 0) != (y < 0)))
				z += y;
			break;
		default:
			if (x == 0 && y < 0)
				return fail(st, n, "0.0 cannot be raised to a "
				    "negative power");
			z = pow(x, y);
			break;
		}
		*out = val_new_float(a, z);
		return 0;
	}
	if (op == OP_ADD && l->type == VAL_STR && r->type == VAL_STR) {
		struct value *v = val_new(a, VAL_STR);
		char *s = arena_alloc(a, l->u.str.len + r->u.str.len + 1);

		memcpy(s, l->u.str.s, l->u.str.len);
		memcpy(s + l->u.str.len, r->u.str.s, r->u.str.len);
		v->u.str.s = s;
		v->u.str.len = l->u.str.len + r->u.str.len;
		*out = v;
		return 0;
	}
	if (op == OP_ADD && l->type == VAL_LIST && r->type == VAL_LIST &&
	    (l->flags & VAL_TUPLE) == (r->flags & VAL_TUPLE)) {
		struct value *v = val_new_list(a);

		for (size_t i = 0; i < l->u.list->n; i++)
			val_list_push(a, v, l->u.list->items[i]);
		for (size_t i = 0; i < r->u.list->n; i++)
			val_list_push(a, v, r->u.list->items[i]);
		v->flags |= (l->flags & VAL_TUPLE) | VAL_MUTABLE;
		*out = v;
		return 0;
	}
	if (op == OP_MUL && (l->type == VAL_STR || l->type == VAL_LIST) &&
	    is_intlike(r)) {
		*out = repeat(st, l, ival(r));
		return 0;
	}
	if (op == OP_MUL && (r->type == VAL_STR || r->type == VAL_LIST) &&
	    is_intlike(l)) {
		*out = repeat(st, r, ival(l));
		return 0;
	}
	if (op == OP_MOD && l->type == VAL_STR) {
		struct strbuf sb = STRBUF_INIT;

		if (py_percent(&sb, l->u.str.s, l->u.str.len, r, st->err) < 0) {
			sb_release(&sb);
			return located(st, n);
		}
		*out = val_new_strn(a, sb.buf, sb.len);
		sb_release(&sb);
		return 0;
	}
	if (op == OP_ADD && (l->type == VAL_STR || l->type == VAL_LIST))
		return fail(st, n, "can only concatenate %s (not \"%s\") to %s",
		    val_type_name(l), val_type_name(r), val_type_name(l));
	return fail(st, n, "unsupported operand type(s) for %s: '%s' and '%s'",
	    opnames[op], val_type_name(l), val_type_name(r));
overflow:
	return fail(st, n, "integer overflow in '%s'", opnames[op]);
}

static int
contains(struct tmpl_state *st, struct tnode *n, struct value *item,
    struct value *seq, bool *out)
{
	switch (seq->type) {
	case VAL_STR:
		if (item->type != VAL_STR)
			return fail(st, n, "'in <string>' requires string as "
			    "left operand, not %s", val_type_name(item));
		*out = item->u.str.len == 0 || memmem(seq->u.str.s,
		    seq->u.str.len, item->u.str.s, item->u.str.len) != NULL;
		return 0;
	case VAL_LIST:
		*out = false;
		for (size_t i = 0; i < seq->u.list->n; i++)
			if (val_equal(item, seq->u.list->items[i])) {
				*out = true;
				break;
			}
		return 0;
	case VAL_DICT:
		if (item->type == VAL_LIST || item->type == VAL_DICT) {
			if (item->type == VAL_LIST && (item->flags & VAL_TUPLE)) {
				*out = false;
				return 0;
			}
			return fail(st, n, "unhashable type: '%s'",
			    val_type_name(item));
		}
		*out = val_dict_getv(seq, item) != NULL;
		return 0;
	default:
		return fail(st, n, "argument of type '%s' is not iterable",
		    val_type_name(seq));
	}
}

int
tmpl_contains(struct tmpl_state *st, struct value *item, struct value *seq,
    bool *out, struct err *err)
{
	(void)err;
	return contains(st, NULL, item, seq, out);
}

static int
compare(struct tmpl_state *st, struct tnode *n, int op, struct value *l,
    struct value *r, bool *out)
{
	int c;

	switch (op) {
	case CMP_EQ:
		*out = val_equal(l, r);
		return 0;
	case CMP_NE:
		*out = !val_equal(l, r);
		return 0;
	case CMP_IN:
	case CMP_NOTIN:
		if (contains(st, n, l, r, out) < 0)
			return -1;
		if (op == CMP_NOTIN)
			*out = !*out;
		return 0;
	}
	if (val_compare(l, r, &c, st->err) < 0) {
		static const char *names[] = { "==", "!=", "<", "<=", ">", ">=" };

		return fail(st, n, "'%s' not supported between instances of "
		    "'%s' and '%s'", names[op], val_type_name(l),
		    val_type_name(r));
	}
	switch (op) {
	case CMP_LT: *out = c < 0; break;
	case CMP_LE: *out = c <= 0; break;
	case CMP_GT: *out = c > 0; break;
	default: *out = c >= 0; break;
	}
	return 0;
}

/* ---- calls: filters, tests, globals, methods, macros ---- */

struct args {
	struct value	**v;
	size_t		 n;
	const char	**kwn;
	struct value	**kw;
	size_t		 nkw;
};

static int
eval_args(struct tmpl_state *st, struct tnode *n, struct args *ar)
{
	ar->n = n->nkids;
	ar->nkw = n->nkw;
	ar->kwn = n->kwnames;
	ar->v = n->nkids ? arena_alloc(st->a, n->nkids * sizeof(*ar->v)) : NULL;
	ar->kw = n->nkw ? arena_alloc(st->a, n->nkw * sizeof(*ar->kw)) : NULL;
	for (size_t i = 0; i < n->nkids; i++)
		if (eval(st, n->kids[i], &ar->v[i]) < 0)
			return -1;
	for (size_t i = 0; i < n->nkw; i++)
		if (eval(st, n->kwargs[i], &ar->kw[i]) < 0)
			return -1;
	return 0;
}

static void
make_call(struct tmpl_state *st, struct tnode *n, const char *name,
    struct value *in, struct args *ar, struct tmpl_call *c)
{
	memset(c, 0, sizeof(*c));
	c->a = st->a;
	c->st = st;
	c->name = name;
	c->in = in;
	c->undef_name = in == NULL ? st->undef_name : NULL;
	c->args = ar->v;
	c->nargs = ar->n;
	c->kwnames = ar->kwn;
	c->kwargs = ar->kw;
	c->nkw = ar->nkw;
	c->pos = npos(st, n);
}

static const char *const string_type_filters[] = { "string", "to_json",
	"to_nice_json", "to_yaml", "to_nice_yaml", "ppretty", "json", NULL };

static int
call_filter(struct tmpl_state *st, struct tnode *n,
    const struct tmpl_filter *f, struct value *in, struct args *ar,
    struct value **out)
{
	struct tmpl_call c;

	if (in == NULL && !(f->flags & TMPL_FN_UNDEF_OK))
		return undef_error(st, n);
	make_call(st, n, f->name, in, ar, &c);
	if (in == NULL && st->undef != NULL)
		c.undef_name = st->undef_name;
	if (f->fn(&c, out, st->err) < 0)
		return located(st, n);
	if (*out != NULL && (*out)->type == VAL_STR && st->ansible)
		for (const char *const *s = string_type_filters; *s; s++)
			if (strcmp(*s, f->name) == 0) {
				struct value *v = val_new_strn(st->a,
				    (*out)->u.str.s, (*out)->u.str.len);

				v->flags |= VAL_NTEXT;
				*out = v;
			}
	return 0;
}

int
tmpl_apply_filter(struct tmpl_state *st, const char *name, struct value *in,
    struct value **args, size_t nargs, const char **kwnames,
    struct value **kwargs, size_t nkw, struct value **out, struct err *err)
{
	const struct tmpl_filter *f = tmpl_find_filter(name);
	struct args ar = { args, nargs, kwnames, kwargs, nkw };

	if (f == NULL)
		return err_set(err, NULL, "no filter named '%s'", name);
	return call_filter(st, NULL, f, in, &ar, out);
}

static int
call_test(struct tmpl_state *st, struct tnode *n, const struct tmpl_test *t,
    struct value *in, struct args *ar, bool *out)
{
	struct tmpl_call c;

	if (in == NULL && !(t->flags & TMPL_FN_UNDEF_OK))
		return undef_error(st, n);
	make_call(st, n, t->name, in, ar, &c);
	if (t->fn(&c, out, st->err) < 0)
		return located(st, n);
	return 0;
}

int
tmpl_apply_test(struct tmpl_state *st, const char *name, struct value *in,
    struct value **args, size_t nargs, bool *out, struct err *err)
{
	const struct tmpl_test *t = tmpl_find_test(name);
	struct args ar = { args, nargs, NULL, NULL, 0 };

	if (t == NULL)
		return err_set(err, NULL, "no test named '%s'", name);
	return call_test(st, NULL, t, in, &ar, out);
}

static struct value *
kwarg(struct args *ar, const char *name)
{
	for (size_t i = 0; i < ar->nkw; i++)
		if (strcmp(ar->kwn[i], name) == 0)
			return ar->kw[i];
	return NULL;
}

static int
call_lookup(struct tmpl_state *st, struct tnode *n, bool query,
    struct args *ar, struct value **out)
{
	const struct tmpl_lookup *lk;
	struct tmpl_call c;
	struct args sub = *ar;
	struct value *res, *wl;

	if (st->env->flags & TMPL_NO_LOOKUPS)
		return fail(st, n, "lookups are disabled here");
	if (ar->n == 0 || ar->v[0] == NULL || ar->v[0]->type != VAL_STR)
		return fail(st, n, "%s() needs a plugin name", query ?
		    "query" : "lookup");
	lk = tmpl_find_lookup(ar->v[0]->u.str.s);
	if (lk == NULL)
		return fail(st, n, "lookup plugin '%s' not found",
		    ar->v[0]->u.str.s);
	sub.v++;
	sub.n--;
	for (size_t i = 0; i < sub.n; i++)
		if (sub.v[i] == NULL)
			return undef_error(st, n);
	make_call(st, n, lk->name, NULL, &sub, &c);
	if (lk->fn(&c, &res, st->err) < 0)
		return located(st, n);
	wl = kwarg(ar, "wantlist");
	if (query || (wl != NULL && val_truthy(wl))) {
		res->flags |= VAL_MUTABLE;
		*out = res;
		return 0;
	}
	/* lookup(): one result as is, several joined with commas. */
	if (res->type == VAL_LIST && res->u.list->n == 1) {
		*out = res->u.list->items[0];
		return 0;
	}
	bool allstr = res->type == VAL_LIST;
	for (size_t i = 0; allstr && i < res->u.list->n; i++)
		allstr = res->u.list->items[i]->type == VAL_STR;
	if (allstr && res->u.list->n > 0) {
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < res->u.list->n; i++) {
			if (i > 0)
				sb_addch(&sb, ',');
			val_str(&sb, res->u.list->items[i]);
		}
		*out = val_new_strn(st->a, sb.buf, sb.len);
		sb_release(&sb);
		return 0;
	}
	*out = res;
	return 0;
}

static int
call_range(struct tmpl_state *st, struct tnode *n, struct args *ar,
    struct value **out)
{
	int64_t a = 0, b, step = 1;

	for (size_t i = 0; i < ar->n; i++)
		if (ar->v[i] == NULL || !is_intlike(ar->v[i]))
			return fail(st, n, "'%s' object cannot be interpreted "
			    "as an integer", ar->v[i] ?
			    val_type_name(ar->v[i]) : "Undefined");
	if (ar->n == 1)
		b = ival(ar->v[0]);
	else if (ar->n == 2 || ar->n == 3) {
		a = ival(ar->v[0]);
		b = ival(ar->v[1]);
		if (ar->n == 3)
			step = ival(ar->v[2]);
	} else
		return fail(st, n, "range expected 1 to 3 arguments, got %zu",
		    ar->n);
	if (step == 0)
		return fail(st, n, "range() arg 3 must not be zero");
	struct value *l = val_new_list(st->a);
	for (int64_t i = a; step > 0 ? i < b : i > b; i += step) {
		if (l->u.list->n >= 1000000)
			return fail(st, n, "range() too big");
		val_list_push(st->a, l, val_new_int(st->a, i));
	}
	l->flags |= VAL_MUTABLE;
	*out = l;
	return 0;
}

static int
call_macro(struct tmpl_state *st, struct tnode *n, struct tnode *m,
    struct args *ar, struct value **out)
{
	struct frame f = { 0 };
	struct frame *save_top = st->top;
	struct sink sink = { STRBUF_INIT, 0, NULL }, *save_sink = st->sink;
	int rc;

	if (ar->n > m->nkids)
		return fail(st, n, "macro '%s' takes not more than %zu "
		    "argument(s)", m->name, m->nkids);
	f.up = &st->root;
	for (size_t i = 0; i < m->nkids; i++) {
		struct tnode *p = m->kids[i];
		struct value *v = i < ar->n ? ar->v[i] : kwarg(ar, p->name);

		if (v == NULL && i >= ar->n && kwarg(ar, p->name) == NULL) {
			if (p->a != NULL) {
				if (eval(st, p->a, &v) < 0)
					return -1;
			} else
				v = set_undef(st, arena_printf(st->a,
				    "parameter '%s' was not provided", p->name));
		}
		frame_set(st, &f, p->name, v);
	}
	st->top = &f;
	st->sink = &sink;
	rc = exec_body(st, m->b);
	st->top = save_top;
	st->sink = save_sink;
	if (rc == 0) {
		if (sink.nnodes == 1 && sink.node0 != NULL) {
			struct strbuf tmp = STRBUF_INIT;

			if (sink.node0->type == VAL_NULL && st->ansible)
				;
			else
				val_str(&tmp, sink.node0);
			*out = val_new_strn(st->a, tmp.buf, tmp.len);
			sb_release(&tmp);
		} else
			*out = val_new_strn(st->a, sink.buf.buf, sink.buf.len);
	}
	sb_release(&sink.buf);
	return rc;
}

static int
call_global(struct tmpl_state *st, struct tnode *n, const char *name,
    struct args *ar, struct value **out, bool *found)
{
	*found = true;
	if (strcmp(name, "range") == 0)
		return call_range(st, n, ar, out);
	if (strcmp(name, "lookup") == 0)
		return call_lookup(st, n, false, ar, out);
	if (strcmp(name, "query") == 0 || strcmp(name, "q") == 0)
		return call_lookup(st, n, true, ar, out);
	if (strcmp(name, "dict") == 0 || strcmp(name, "namespace") == 0) {
		struct value *d = val_new_dict(st->a);

		if (ar->n == 1 && ar->v[0] != NULL &&
		    ar->v[0]->type == VAL_DICT)
			for (size_t i = 0; i < ar->v[0]->u.dict->n; i++)
				val_dict_setv(st->a, d, ar->v[0]->u.dict->ent[i].key,
				    ar->v[0]->u.dict->ent[i].val);
		else if (ar->n > 0)
			return fail(st, n, "%s() takes keyword arguments", name);
		for (size_t i = 0; i < ar->nkw; i++)
			val_dict_set(st->a, d, ar->kwn[i], ar->kw[i] ?
			    ar->kw[i] : &val_none);
		d->flags |= VAL_MUTABLE;
		if (name[0] == 'n')
			d->flags |= VAL_NAMESPACE;
		*out = d;
		return 0;
	}
	*found = false;
	return 0;
}

static int
eval_call(struct tmpl_state *st, struct tnode *n, struct value **out)
{
	struct tnode *callee = n->a;
	struct args ar;

	if (callee->kind == E_ATTR) {
		struct value *obj;
		bool found;

		if (eval(st, callee->a, &obj) < 0)
			return -1;
		if (obj == NULL)
			return undef_error(st, callee->a);
		if (eval_args(st, n, &ar) < 0)
			return -1;
		if (tmpl_call_method(st, obj, callee->name, ar.v, ar.n, ar.kwn,
		    ar.kw, ar.nkw, out, &found, st->err) < 0)
			return located(st, n);
		if (found)
			return 0;
		struct value *attr = val_new_str(st->a, callee->name);
		struct value *v = getitem(st, obj, attr);
		if (v == NULL)
			return undef_error(st, callee);
		return fail(st, n, "'%s' object is not callable",
		    val_type_name(v));
	}
	if (callee->kind == E_NAME) {
		bool found;

		for (struct macro *m = st->macros; m != NULL; m = m->next)
			if (strcmp(m->name, callee->name) == 0) {
				if (eval_args(st, n, &ar) < 0)
					return -1;
				return call_macro(st, n, m->node, &ar, out);
			}
		if (eval_args(st, n, &ar) < 0)
			return -1;
		if (call_global(st, n, callee->name, &ar, out, &found) < 0)
			return -1;
		if (found)
			return 0;
		struct value *v = tmpl_lookup_var(st, callee->name, st->err);
		if (v == NULL)
			return st->err->set ? located(st, callee) :
			    undef_error(st, callee);
		return fail(st, n, "'%s' object is not callable",
		    val_type_name(v));
	}
	struct value *v;
	if (eval(st, callee, &v) < 0)
		return -1;
	if (v == NULL)
		return undef_error(st, callee);
	return fail(st, n, "'%s' object is not callable", val_type_name(v));
}

/* ---- expressions ---- */

static struct value *
seq_from(struct tmpl_state *st, struct tnode *n, bool tuple)
{
	struct value *l = val_new_list(st->a);

	l->flags |= VAL_MUTABLE | (tuple ? VAL_TUPLE : 0);
	for (size_t i = 0; i < n->nkids; i++) {
		struct value *v;

		if (eval(st, n->kids[i], &v) < 0)
			return NULL;
		if (v == NULL) {
			undef_error(st, n->kids[i]);
			return NULL;
		}
		val_list_push(st->a, l, v);
	}
	return l;
}

static int
truth(struct tmpl_state *st, struct tnode *n, struct value *v, bool *out)
{
	if (v == NULL)
		return undef_error(st, n);
	*out = val_truthy(v);
	return 0;
}

static int
eval(struct tmpl_state *st, struct tnode *n, struct value **out)
{
	struct value *l, *r;
	bool b;
	int rc = 0;

	if (++st->depth > MAX_EVAL_DEPTH) {
		st->depth--;
		return fail(st, n, "expression too deeply nested");
	}
	if (++st->sh->steps > MAX_STEPS) {
		st->depth--;
		return fail(st, n, "template too expensive to render (more "
		    "than %lu steps)", MAX_STEPS);
	}
	*out = NULL;
	switch (n->kind) {
	case E_CONST:
		*out = n->val;
		break;
	case E_NAME:
		*out = tmpl_lookup_var(st, n->name, st->err);
		if (*out == NULL && st->err->set)
			rc = located(st, n);
		break;
	case E_LIST:
	case E_TUPLE:
		if ((*out = seq_from(st, n, n->kind == E_TUPLE)) == NULL)
			rc = -1;
		break;
	case E_DICT: {
		struct value *d = val_new_dict(st->a);

		d->flags |= VAL_MUTABLE;
		for (size_t i = 0; i + 1 < n->nkids; i += 2) {
			if (eval(st, n->kids[i], &l) < 0 ||
			    eval(st, n->kids[i + 1], &r) < 0) {
				rc = -1;
				break;
			}
			if (l == NULL || r == NULL) {
				rc = undef_error(st, n->kids[l == NULL ? i : i + 1]);
				break;
			}
			if (l->type == VAL_LIST && !(l->flags & VAL_TUPLE)) {
				rc = fail(st, n->kids[i], "unhashable type: "
				    "'list'");
				break;
			}
			if (l->type == VAL_DICT) {
				rc = fail(st, n->kids[i], "unhashable type: "
				    "'dict'");
				break;
			}
			val_dict_setv(st->a, d, l, r);
		}
		*out = d;
		break;
	}
	case E_ATTR:
		if ((rc = eval(st, n->a, &l)) < 0)
			break;
		if (l == NULL) {
			if (!st->ansible)
				rc = undef_error(st, n->a);
			break;	/* Ansible: still the same undefined */
		}
		*out = getitem(st, l, val_new_str(st->a, n->name));
		break;
	case E_ITEM:
		if ((rc = eval(st, n->a, &l)) < 0 || (rc = eval(st, n->b, &r)) < 0)
			break;
		if (l == NULL) {
			if (!st->ansible)
				rc = undef_error(st, n->a);
			break;
		}
		if (r == NULL) {
			rc = undef_error(st, n->b);
			break;
		}
		*out = getitem(st, l, r);
		break;
	case E_SLICE: {
		struct value *vb = NULL, *ve = NULL, *vs = NULL;

		if ((rc = eval(st, n->a, &l)) < 0)
			break;
		if (l == NULL) {
			rc = undef_error(st, n->a);
			break;
		}
		if ((n->b && (rc = eval(st, n->b, &vb)) < 0) ||
		    (n->c && (rc = eval(st, n->c, &ve)) < 0) ||
		    (n->d && (rc = eval(st, n->d, &vs)) < 0))
			break;
		rc = do_slice(st, n, l, vb, ve, vs, out);
		break;
	}
	case E_CALL:
		rc = eval_call(st, n, out);
		break;
	case E_FILTER: {
		struct args ar;

		if ((rc = eval(st, n->a, &l)) < 0)
			break;
		if ((rc = eval_args(st, n, &ar)) < 0)
			break;
		rc = call_filter(st, n, n->impl, l, &ar, out);
		break;
	}
	case E_TEST: {
		struct args ar;

		if ((rc = eval(st, n->a, &l)) < 0)
			break;
		if ((rc = eval_args(st, n, &ar)) < 0)
			break;
		if ((rc = call_test(st, n, n->impl, l, &ar, &b)) < 0)
			break;
		*out = val_bool(n->op ? !b : b);
		break;
	}
	case E_NEG:
	case E_POS:
		if ((rc = eval(st, n->a, &l)) < 0)
			break;
		if (l == NULL) {
			rc = undef_error(st, n->a);
			break;
		}
		if (!val_is_number(l)) {
			rc = fail(st, n, "bad operand type for unary %c: '%s'",
			    n->kind == E_NEG ? '-' : '+', val_type_name(l));
			break;
		}
		if (n->kind == E_POS && l->type != VAL_BOOL)
			*out = l;
		else if (l->type == VAL_FLOAT)
			*out = val_new_float(st->a, n->kind == E_NEG ? -l->u.f :
			    l->u.f);
		else if (ival(l) == INT64_MIN)
			rc = fail(st, n, "integer overflow");
		else
			*out = val_new_int(st->a, n->kind == E_NEG ? -ival(l) :
			    ival(l));
		break;
	case E_NOT:
		if ((rc = eval(st, n->a, &l)) < 0 ||
		    (rc = truth(st, n->a, l, &b)) < 0)
			break;
		*out = val_bool(!b);
		break;
	case E_AND:
	case E_OR:
		if ((rc = eval(st, n->a, &l)) < 0 ||
		    (rc = truth(st, n->a, l, &b)) < 0)
			break;
		if ((n->kind == E_AND) != b)
			*out = l;
		else
			rc = eval(st, n->b, out);
		break;
	case E_COND:
		if ((rc = eval(st, n->a, &l)) < 0 ||
		    (rc = truth(st, n->a, l, &b)) < 0)
			break;
		if (b)
			rc = eval(st, n->b, out);
		else if (n->c != NULL)
			rc = eval(st, n->c, out);
		else	/* Jinja2's plain Undefined: prints as "" */
			*out = val_new_str(st->a, "");
		break;
	case E_BIN:
		if ((rc = eval(st, n->a, &l)) < 0 || (rc = eval(st, n->b, &r)) < 0)
			break;
		if (l == NULL || r == NULL) {
			rc = undef_error(st, l == NULL ? n->a : n->b);
			break;
		}
		rc = binop(st, n, n->op, l, r, out);
		break;
	case E_CMP:
		if ((rc = eval(st, n->kids[0], &l)) < 0)
			break;
		*out = &val_true;
		for (size_t i = 0; i + 1 < n->nkids; i++) {
			if ((rc = eval(st, n->kids[i + 1], &r)) < 0)
				break;
			if (l == NULL || r == NULL) {
				rc = undef_error(st, n->kids[l == NULL ? i : i + 1]);
				break;
			}
			if ((rc = compare(st, n, n->ops[i], l, r, &b)) < 0)
				break;
			if (!b) {
				*out = &val_false;
				break;
			}
			l = r;
		}
		break;
	case E_CONCAT: {
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < n->nkids && rc == 0; i++) {
			if ((rc = eval(st, n->kids[i], &l)) < 0)
				break;
			if (l == NULL)
				rc = undef_error(st, n->kids[i]);
			else
				val_str(&sb, l);
		}
		if (rc == 0)
			*out = val_new_strn(st->a, sb.buf, sb.len);
		sb_release(&sb);
		break;
	}
	default:
		rc = fail(st, n, "internal error: not an expression");
	}
	st->depth--;
	return rc;
}

/* ---- statements ---- */

static void
sink_text(struct tmpl_state *st, struct value *v)
{
	if (v->type == VAL_NULL && st->ansible)
		return;	/* Ansible's finalize: None prints as "" */
	val_str(&st->sink->buf, v);
}

static void
emit(struct tmpl_state *st, struct value *v)
{
	struct sink *s = st->sink;

	if (s->nnodes == 0)
		s->node0 = v;
	else {
		if (s->nnodes == 1)
			sink_text(st, s->node0);
		sink_text(st, v);
	}
	s->nnodes++;
}

/* The sink's whole text. */
static void
sink_flush(struct tmpl_state *st, struct sink *s)
{
	if (s->nnodes == 1) {
		struct sink *save = st->sink;

		st->sink = s;
		sink_text(st, s->node0);
		st->sink = save;
		s->nnodes = 2;	/* flushed */
	}
}

static int
bind(struct tmpl_state *st, struct tnode *n, struct frame *f,
    struct value *v)
{
	if (n->nkids == 1) {
		struct tnode *t = n->kids[0];

		if (t->kind == E_ATTR) {
			struct value *ns = tmpl_lookup_var(st, t->a->name,
			    st->err);

			if (ns == NULL || !(ns->flags & VAL_NAMESPACE))
				return fail(st, t, "can only assign attributes "
				    "of a namespace");
			val_dict_set(st->a, ns, t->name, v);
			return 0;
		}
		frame_set(st, f, t->name, v);
		return 0;
	}
	if (v == NULL)
		return undef_error(st, n);
	if (v->type != VAL_LIST && v->type != VAL_STR && v->type != VAL_DICT)
		return fail(st, n, "cannot unpack non-iterable %s object",
		    val_type_name(v));
	size_t len = v->type == VAL_LIST ? v->u.list->n : v->type == VAL_DICT ?
	    v->u.dict->n : u8_len(v->u.str.s, v->u.str.len);
	if (len != n->nkids)
		return fail(st, n, len > n->nkids ? "too many values to unpack "
		    "(expected %zu)" : "not enough values to unpack (expected "
		    "%zu)", n->nkids);
	for (size_t i = 0; i < n->nkids; i++) {
		struct value *item;
		bool ok;

		if (v->type == VAL_LIST)
			item = v->u.list->items[i];
		else if (v->type == VAL_DICT)
			item = v->u.dict->ent[i].key;
		else
			item = str_char(st->a, v, (int64_t)i, &ok);
		if (n->kids[i]->kind != E_NAME)
			return fail(st, n->kids[i], "can't assign here");
		frame_set(st, f, n->kids[i]->name, item);
	}
	return 0;
}

/* The items a for loop walks: list items, dict keys, characters. */
static struct value *
iter_items(struct tmpl_state *st, struct tnode *n, struct value *v)
{
	if (v == NULL) {
		undef_error(st, n);
		return NULL;
	}
	switch (v->type) {
	case VAL_LIST:
		return v;
	case VAL_DICT: {
		struct value *l = val_new_list(st->a);

		for (size_t i = 0; i < v->u.dict->n; i++)
			val_list_push(st->a, l, v->u.dict->ent[i].key);
		return l;
	}
	case VAL_STR: {
		struct value *l = val_new_list(st->a);

		for (size_t i = 0; i < v->u.str.len;) {
			unsigned long cp;
			size_t k = u8_decode(v->u.str.s + i, v->u.str.len - i, &cp);

			val_list_push(st->a, l, val_new_strn(st->a,
			    v->u.str.s + i, k));
			i += k;
		}
		return l;
	}
	default:
		fail(st, n, "'%s' object is not iterable", val_type_name(v));
		return NULL;
	}
}

struct value *
tmpl_iterable(struct tmpl_state *st, struct value *v, struct err *err)
{
	struct value *l = iter_items(st, NULL, v);

	(void)err;
	return l;
}

/* Does the tree mention the name (outside nested for loops' own)? */
static bool
mentions(const struct tnode *n, const char *name, int depth)
{
	if (n == NULL || depth > 200)
		return false;
	if (n->kind == E_NAME && strcmp(n->name, name) == 0)
		return true;
	if (mentions(n->a, name, depth + 1) || mentions(n->b, name, depth + 1) ||
	    mentions(n->c, name, depth + 1) || mentions(n->d, name, depth + 1))
		return true;
	for (size_t i = 0; i < n->nkids; i++)
		if (mentions(n->kids[i], name, depth + 1))
			return true;
	for (size_t i = 0; i < n->nkw; i++)
		if (mentions(n->kwargs[i], name, depth + 1))
			return true;
	return false;
}

static int
exec_for(struct tmpl_state *st, struct tnode *n)
{
	struct value *it, *items;
	struct frame *save = st->top;

	if (eval(st, n->a, &it) < 0)
		return -1;
	if ((items = iter_items(st, n->a, it)) == NULL)
		return -1;
	size_t count = items->u.list->n;
	struct value **keep = items->u.list->items;
	if (n->d != NULL) {
		/* The loop filter sees the loop variables. */
		struct value *fl = val_new_list(st->a);
		struct frame f = { 0 };

		f.up = save;
		st->top = &f;
		for (size_t i = 0; i < count; i++) {
			struct value *c;
			bool b;

			f.n = 0;
			if (bind(st, n, &f, keep[i]) < 0 || eval(st, n->d, &c) < 0 ||
			    truth(st, n->d, c, &b) < 0) {
				st->top = save;
				return -1;
			}
			if (b)
				val_list_push(st->a, fl, keep[i]);
		}
		st->top = save;
		count = fl->u.list->n;
		keep = fl->u.list->items;
	}
	if (count == 0)
		return n->c != NULL ? exec_body(st, n->c) : 0;
	struct value *loop = NULL;
	/* op: 0 not yet known, 1 the body never says `loop`, 2 it does */
	if (n->op == 0)
		n->op = mentions(n->b, "loop", 0) || mentions(n->c, "loop", 0) ?
		    2 : 1;
	for (size_t i = 0; i < count; i++) {
		struct frame f = { 0 };
		int rc;

		f.up = save;
		if (n->op == 1)
			goto bound;
		loop = val_new_dict(st->a);
		val_dict_set(st->a, loop, "index", val_new_int(st->a,
		    (int64_t)i + 1));
		val_dict_set(st->a, loop, "index0", val_new_int(st->a,
		    (int64_t)i));
		val_dict_set(st->a, loop, "revindex", val_new_int(st->a,
		    (int64_t)(count - i)));
		val_dict_set(st->a, loop, "revindex0", val_new_int(st->a,
		    (int64_t)(count - i - 1)));
		val_dict_set(st->a, loop, "first", val_bool(i == 0));
		val_dict_set(st->a, loop, "last", val_bool(i + 1 == count));
		val_dict_set(st->a, loop, "length", val_new_int(st->a,
		    (int64_t)count));
		val_dict_set(st->a, loop, "depth", val_new_int(st->a, 1));
		val_dict_set(st->a, loop, "depth0", val_new_int(st->a, 0));
		if (i > 0)
			val_dict_set(st->a, loop, "previtem", keep[i - 1]);
		if (i + 1 < count)
			val_dict_set(st->a, loop, "nextitem", keep[i + 1]);
		frame_set(st, &f, "loop", loop);
	bound:
		if (bind(st, n, &f, keep[i]) < 0)
			return -1;
		st->top = &f;
		rc = exec_body(st, n->b);
		st->top = save;
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
exec_stmt(struct tmpl_state *st, struct tnode *n)
{
	struct value *v;
	bool b;

	switch (n->kind) {
	case T_TEXT:
		emit(st, n->val);
		return 0;
	case T_OUTPUT:
		if (eval(st, n->a, &v) < 0)
			return -1;
		if (v == NULL)
			return undef_error(st, n->a);
		emit(st, v);
		return 0;
	case T_IF:
		for (; n != NULL; n = n->c) {
			if (n->kind != T_IF)
				return exec_body(st, n);
			if (eval(st, n->a, &v) < 0 || truth(st, n->a, v, &b) < 0)
				return -1;
			if (b)
				return exec_body(st, n->b);
		}
		return 0;
	case T_FOR:
		return exec_for(st, n);
	case T_SET:
		if (eval(st, n->a, &v) < 0)
			return -1;
		if (v == NULL && n->nkids == 1 && n->kids[0]->kind == E_NAME) {
			frame_set(st, st->top, n->kids[0]->name, NULL);
			return 0;
		}
		return bind(st, n, st->top, v);
	case T_SETBLOCK: {
		struct sink sink = { STRBUF_INIT, 0, NULL }, *save = st->sink;
		int rc;

		st->sink = &sink;
		rc = exec_body(st, n->b);
		st->sink = save;
		if (rc == 0) {
			sink_flush(st, &sink);
			v = val_new_strn(st->a, sink.buf.buf, sink.buf.len);
			if (n->a != NULL) {
				/* Filters apply to the block's text. */
				n->c->val = v;
				rc = eval(st, n->a, &v);
			}
			if (rc == 0)
				rc = bind(st, n, st->top, v);
		}
		sb_release(&sink.buf);
		return rc;
	}
	case T_WITH: {
		struct frame f = { 0 }, *save = st->top;
		int rc;

		f.up = save;
		for (size_t i = 0; i < n->nkids; i++) {
			if (eval(st, n->kwargs[i], &v) < 0)
				return -1;
			frame_set(st, &f, n->kids[i]->name, v);
		}
		st->top = &f;
		rc = exec_body(st, n->b);
		st->top = save;
		return rc;
	}
	case T_MACRO: {
		struct macro *m = arena_alloc(st->a, sizeof(*m));

		m->name = n->name;
		m->node = n;
		m->next = st->macros;
		st->macros = m;
		return 0;
	}
	case T_BODY:
		return exec_body(st, n);
	default:
		return fail(st, n, "internal error: not a statement");
	}
}

static int
exec_body(struct tmpl_state *st, struct tnode *body)
{
	if (++st->depth > MAX_EVAL_DEPTH) {
		st->depth--;
		return fail(st, body, "template nested too deeply");
	}
	for (size_t i = 0; i < body->nkids; i++) {
		if (exec_stmt(st, body->kids[i]) < 0)
			return -1;
		if (st->sink->buf.len > MAX_OUTPUT || ++st->sh->steps > MAX_STEPS)
			return fail(st, body->kids[i], "template too expensive to "
			    "render (output or steps over the limit)");
	}
	st->depth--;
	return 0;
}

/* ---- entry points ---- */

bool
tmpl_is_template(const char *s, size_t len)
{
	for (const char *p = s; (p = memchr(p, '{', len - (size_t)(p - s) -
	    (len > 0 ? 0 : 0))) != NULL; p++) {
		if ((size_t)(p - s) + 1 >= len)
			return false;
		if (p[1] == '{' || p[1] == '%' || p[1] == '#')
			return true;
	}
	return false;
}

static size_t
trailing_newlines(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && s[n - 1 - k] == '\n')
		k++;
	return k;
}

/* A list/dict whose repr() literal_eval gives back (no inf or nan). */
static bool
roundtrips(const struct value *v, int depth)
{
	if (depth > 100)
		return false;
	switch (v->type) {
	case VAL_FLOAT:
		return isfinite(v->u.f);
	case VAL_LIST:
		for (size_t i = 0; i < v->u.list->n; i++)
			if (!roundtrips(v->u.list->items[i], depth + 1))
				return false;
		return true;
	case VAL_DICT:
		for (size_t i = 0; i < v->u.dict->n; i++)
			if (!roundtrips(v->u.dict->ent[i].key, depth + 1) ||
			    !roundtrips(v->u.dict->ent[i].val, depth + 1))
				return false;
		return true;
	default:
		return true;
	}
}

/* Ansible's ansible_eval_concat() over the rendered nodes. */
static struct value *
ansible_concat(struct tmpl_state *st, struct sink *s, bool convert)
{
	struct arena *a = st->a;
	const char *text;
	size_t len;

	if (s->nnodes == 0)
		return val_new_str(a, "");
	if (s->nnodes == 1) {
		struct value *v = s->node0;

		if (v->type == VAL_STR && (v->flags & VAL_NTEXT))
			return v;
		if (convert && (v->type == VAL_BOOL))
			return v;
		if (convert && v->type == VAL_LIST && !(v->flags & VAL_TUPLE) &&
		    roundtrips(v, 0))
			return v;
		if (convert && v->type == VAL_DICT && roundtrips(v, 0))
			return v;
		if (v->type == VAL_STR && !convert)
			return v;
		sink_flush(st, s);
	}
	text = s->buf.buf;
	len = s->buf.len;
	if (convert && len > 0 && (text[0] == '{' || text[0] == '[' ||
	    (len == 4 && memcmp(text, "True", 4) == 0) ||
	    (len == 5 && memcmp(text, "False", 5) == 0))) {
		struct value *v = pylit_eval(a, text, len);

		if (v != NULL)
			return v;
	}
	if (s->nnodes == 2 && s->node0 != NULL && s->node0->type == VAL_STR &&
	    s->node0->u.str.len == len && s->node0->u.str.s == text)
		return s->node0;
	return val_new_strn(a, text, len);
}

static struct value *
getvar_none(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	(void)name;
	(void)len;
	return NULL;
}

/*
 * Render one template string.  mode: 0 Ansible's template() (convert),
 * 1 text (the template module), 2 plain Jinja2.
 */
static int
render(struct shared *sh, struct arena *a, const struct tmpl_env *env,
    const char *name, struct pos base, const char *text, size_t len,
    int mode, struct value **out, struct err *err)
{
	struct tmpl_state st;
	struct sink sink = { STRBUF_INIT, 0, NULL };
	struct tnode *body;
	bool ansible = mode != 2;

	memset(&st, 0, sizeof(st));
	st.a = a;
	st.env = env;
	st.sh = sh;
	st.err = err;
	st.ansible = ansible;
	st.top = &st.root;
	st.sink = &sink;
	st.popts.name = name;
	st.popts.base = base;
	st.popts.trim_blocks = ansible || (env->flags & TMPL_TRIM_BLOCKS);
	st.popts.escape_backslashes = mode == 0 && memmem(text, len, "{{", 2);
	body = tmpl_parse(a, &st.popts, text, len, err);
	if (body == NULL) {
		sh->undef_err = false;
		return -1;
	}
	if (exec_body(&st, body) < 0) {
		sb_release(&sink.buf);
		return -1;
	}
	if (mode == 2) {
		sink_flush(&st, &sink);
		*out = val_new_strn(a, sink.buf.buf, sink.buf.len);
	} else
		*out = ansible_concat(&st, &sink, mode == 0);
	sb_release(&sink.buf);
	if (ansible && (*out)->type == VAL_STR) {
		size_t want = trailing_newlines(text, len);
		size_t have = trailing_newlines((*out)->u.str.s,
		    (*out)->u.str.len);

		if (want > have) {
			struct strbuf sb = STRBUF_INIT;

			sb_add(&sb, (*out)->u.str.s, (*out)->u.str.len);
			for (size_t i = have; i < want; i++)
				sb_addch(&sb, '\n');
			*out = val_new_strn(a, sb.buf, sb.len);
			sb_release(&sb);
		}
	}
	return 0;
}

/*
 * Ansible's SINGLE_VAR, ^{{\s*(\w*)\s*}}$ (where $ also matches before a
 * final newline): the name's start and length.
 */
static bool
single_var(const char *s, size_t n, size_t *b, size_t *l)
{
	size_t i = 2, e;

	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n < 4 || s[0] != '{' || s[1] != '{' || s[n - 2] != '}' ||
	    s[n - 1] != '}')
		return false;
	e = n - 2;
	while (i < e && py_isspace((unsigned char)s[i]))
		i++;
	*b = i;
	while (i < e && (isalnum((unsigned char)s[i]) || s[i] == '_'))
		i++;
	*l = i - *b;
	while (i < e && py_isspace((unsigned char)s[i]))
		i++;
	return i == e;
}

static int
template_value(struct shared *sh, struct arena *a, const struct tmpl_env *env,
    const struct value *in, unsigned flags, struct value **out,
    struct err *err)
{
	struct tmpl_env e2;
	size_t vb, vl;

	if (in == NULL) {
		*out = &val_none;
		return 0;
	}
	if (!needs_templating(in, 0)) {
		*out = (struct value *)in;
		return 0;
	}
	switch (in->type) {
	case VAL_STR: {
		const char *s = in->u.str.s;
		size_t n = in->u.str.len;
		int mode = (flags & TMPL_JINJA) ? 2 : (flags & TMPL_TEXT) ? 1 : 0;

		if (env->getvar == NULL) {
			e2 = *env;
			e2.getvar = getvar_none;
			env = &e2;
		}
		if (mode == 0 && single_var(s, n, &vb, &vl) && vl > 0) {
			struct value *raw = env->getvar(env->ctx, s + vb, vl);

			if (raw != NULL && (raw->type == VAL_BOOL ||
			    raw->type == VAL_INT || raw->type == VAL_FLOAT ||
			    raw->type == VAL_NULL)) {
				*out = raw;
				return 0;
			}
		}
		return render(sh, a, env, in->pos.file ? in->pos.file :
		    "template", in->pos, s, n, mode, out, err);
	}
	case VAL_LIST: {
		struct value *l = val_new_list(a);

		for (size_t i = 0; i < in->u.list->n; i++) {
			struct value *v;

			if (template_value(sh, a, env, in->u.list->items[i],
			    flags & ~TMPL_TEXT, &v, err) < 0)
				return -1;
			val_list_push(a, l, v);
		}
		l->pos = in->pos;
		*out = l;
		return 0;
	}
	case VAL_DICT: {
		struct value *d = val_new_dict(a);

		for (size_t i = 0; i < in->u.dict->n; i++) {
			struct value *v;

			if (template_value(sh, a, env, in->u.dict->ent[i].val,
			    flags & ~TMPL_TEXT, &v, err) < 0)
				return -1;
			val_dict_setv(a, d, in->u.dict->ent[i].key, v);
		}
		d->pos = in->pos;
		*out = d;
		return 0;
	}
	default:
		*out = (struct value *)in;
		return 0;
	}
}

int
tmpl_value(struct arena *a, const struct tmpl_env *env,
    const struct value *in, struct value **out, struct err *err)
{
	struct shared sh;

	memset(&sh, 0, sizeof(sh));
	return template_value(&sh, a, env, in, env->flags, out, err);
}

int
tmpl_render_text(struct arena *a, const struct tmpl_env *env,
    const char *name, const char *text, size_t len, struct value **out,
    struct err *err)
{
	struct shared sh;
	struct pos base = { name, 1, 1 };
	struct tmpl_env e2 = *env;

	memset(&sh, 0, sizeof(sh));
	if (e2.getvar == NULL)
		e2.getvar = getvar_none;
	return render(&sh, a, &e2, name, base, text, len,
	    (env->flags & TMPL_JINJA) ? 2 : 1, out, err);
}

int
tmpl_state_render(struct tmpl_state *st, const char *name, const char *text,
    size_t len, struct value **out, struct err *err)
{
	struct pos base = { name, 1, 1 };

	return render(st->sh, st->a, st->env, name, base, text, len, 1, out,
	    err);
}

const char *
tmpl_state_basedir(struct tmpl_state *st)
{
	return st->env->basedir != NULL ? st->env->basedir : ".";
}

struct arena *
tmpl_state_arena(struct tmpl_state *st)
{
	return st->a;
}

bool
tmpl_state_ansible(struct tmpl_state *st)
{
	return st->ansible;
}

int
tmpl_condition(struct arena *a, const struct tmpl_env *env,
    const struct value *expr, bool *out, struct err *err)
{
	struct shared sh;
	struct strbuf sb = STRBUF_INIT;
	struct value *v, *cond = (struct value *)expr;
	int rc;

	memset(&sh, 0, sizeof(sh));
	if (expr == NULL || expr->type == VAL_NULL) {
		*out = false;
		return 0;
	}
	if (expr->type == VAL_BOOL) {
		*out = expr->u.b;
		return 0;
	}
	if (expr->type == VAL_STR && tmpl_is_template(expr->u.str.s,
	    expr->u.str.len)) {
		if (template_value(&sh, a, env, expr, env->flags, &cond, err) < 0)
			return -1;
		if (cond->type == VAL_BOOL) {
			*out = cond->u.b;
			return 0;
		}
		if (cond->type == VAL_STR && cond->u.str.len == 0) {
			*out = false;
			return 0;
		}
	}
	sb_adds(&sb, "{% if ");
	val_str(&sb, cond);
	sb_adds(&sb, " %} True {% else %} False {% endif %}");
	struct value tv;
	memset(&tv, 0, sizeof(tv));
	tv.type = VAL_STR;
	tv.u.str.s = sb.buf;
	tv.u.str.len = sb.len;
	tv.pos = expr->pos;
	rc = template_value(&sh, a, env, &tv, env->flags & ~TMPL_TEXT, &v, err);
	if (rc == 0) {
		struct strbuf t = STRBUF_INIT;

		val_str(&t, v);
		*out = strstr(t.buf, "True") != NULL;
		sb_release(&t);
	}
	sb_release(&sb);
	return rc;
}
