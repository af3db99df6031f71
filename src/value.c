#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "value.h"

struct value val_none = { .type = VAL_NULL };
struct value val_true = { .type = VAL_BOOL, .u.b = true };
struct value val_false = { .type = VAL_BOOL, .u.b = false };

struct value *
val_new(struct arena *a, enum val_type t)
{
	struct value *v = arena_alloc(a, sizeof(*v));

	v->type = (unsigned char)t;
	if (t == VAL_LIST)
		v->u.list = arena_alloc(a, sizeof(*v->u.list));
	else if (t == VAL_DICT)
		v->u.dict = arena_alloc(a, sizeof(*v->u.dict));
	else if (t == VAL_STR) {
		v->u.str.s = arena_alloc(a, 1);
		v->u.str.len = 0;
	}
	return v;
}

struct value *
val_new_bool(struct arena *a, bool b)
{
	struct value *v = val_new(a, VAL_BOOL);

	v->u.b = b;
	return v;
}

struct value *
val_new_int(struct arena *a, int64_t i)
{
	struct value *v = val_new(a, VAL_INT);

	v->u.i = i;
	return v;
}

struct value *
val_new_float(struct arena *a, double f)
{
	struct value *v = val_new(a, VAL_FLOAT);

	v->u.f = f;
	return v;
}

struct value *
val_new_strn(struct arena *a, const char *s, size_t n)
{
	struct value *v = arena_alloc(a, sizeof(*v));

	v->type = VAL_STR;
	v->u.str.s = arena_strndup(a, s, n);
	v->u.str.len = n;
	return v;
}

struct value *
val_new_str(struct arena *a, const char *s)
{
	return val_new_strn(a, s, strlen(s));
}

struct value *
val_new_strf(struct arena *a, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct value *v;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	v = val_new_strn(a, sb.buf, sb.len);
	sb_release(&sb);
	return v;
}

struct value *
val_new_list(struct arena *a)
{
	return val_new(a, VAL_LIST);
}

struct value *
val_new_dict(struct arena *a)
{
	return val_new(a, VAL_DICT);
}

bool
val_is_str(const struct value *v, const char *s)
{
	return v != NULL && v->type == VAL_STR && strlen(s) == v->u.str.len &&
	    memcmp(v->u.str.s, s, v->u.str.len) == 0;
}

size_t
val_len(const struct value *v)
{
	if (v == NULL)
		return 0;
	switch (v->type) {
	case VAL_STR:
		return v->u.str.len;
	case VAL_LIST:
		return v->u.list->n;
	case VAL_DICT:
		return v->u.dict->n;
	default:
		return 0;
	}
}

void
val_list_push(struct arena *a, struct value *list, struct value *item)
{
	struct val_list *l = list->u.list;

	if (list->type != VAL_LIST)
		BUG("val_list_push on a %s", val_type_name(list));
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 4;

		l->items = arena_realloc(a, l->items,
		    l->alloc * sizeof(*l->items), na * sizeof(*l->items));
		l->alloc = na;
	}
	l->items[l->n++] = item;
}

struct value *
val_list_get(const struct value *list, size_t i)
{
	if (list == NULL || list->type != VAL_LIST || i >= list->u.list->n)
		return NULL;
	return list->u.list->items[i];
}

/* FNV-1a. */
static uint32_t
hash_bytes(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static uint32_t
hash_int(int64_t i)
{
	uint64_t x = (uint64_t)i;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

uint32_t
val_hash(const struct value *v)
{
	switch (v->type) {
	case VAL_STR:
		return hash_bytes(v->u.str.s, v->u.str.len);
	case VAL_INT:
		return hash_int(v->u.i);
	case VAL_BOOL:
		return hash_int(v->u.b);
	case VAL_FLOAT:
		if (v->u.f == floor(v->u.f) && fabs(v->u.f) < 9e18)
			return hash_int((int64_t)v->u.f);
		return hash_bytes((const char *)&v->u.f, sizeof(v->u.f));
	default:
		return (uint32_t)v->type;
	}
}

static bool
key_matches(const struct val_entry *e, uint32_t h, const char *key,
    size_t len)
{
	return e->hash == h && e->key->type == VAL_STR &&
	    e->key->u.str.len == len && memcmp(e->key->u.str.s, key, len) == 0;
}

static void
dict_reindex(struct arena *a, struct val_dict *d)
{
	size_t cap = 16, i, slot;

	while (cap < d->n * 2 + 2)
		cap *= 2;
	d->index = arena_alloc(a, cap * sizeof(*d->index));
	d->index_cap = cap;
	for (i = 0; i < d->n; i++) {
		slot = d->ent[i].hash & (cap - 1);
		while (d->index[slot] != 0)
			slot = (slot + 1) & (cap - 1);
		d->index[slot] = (uint32_t)i + 1;
	}
}

#define DICT_LINEAR_MAX 8

static long
dict_find(const struct val_dict *d, const struct value *kv, const char *key,
    size_t len, uint32_t h)
{
	size_t i, slot;

	if (d->index_cap == 0) {
		for (i = 0; i < d->n; i++) {
			if (kv == NULL ? key_matches(&d->ent[i], h, key, len) :
			    (d->ent[i].hash == h &&
			    val_equal(d->ent[i].key, kv)))
				return (long)i;
		}
		return -1;
	}
	slot = h & (d->index_cap - 1);
	while (d->index[slot] != 0) {
		i = d->index[slot] - 1;
		if (kv == NULL ? key_matches(&d->ent[i], h, key, len) :
		    (d->ent[i].hash == h && val_equal(d->ent[i].key, kv)))
			return (long)i;
		slot = (slot + 1) & (d->index_cap - 1);
	}
	return -1;
}

static void
dict_insert(struct arena *a, struct val_dict *d, struct value *key,
    struct value *val, uint32_t h)
{
	size_t slot;

	if (d->n == d->alloc) {
		size_t na = d->alloc ? d->alloc * 2 : 4;

		d->ent = arena_realloc(a, d->ent, d->alloc * sizeof(*d->ent),
		    na * sizeof(*d->ent));
		d->alloc = na;
	}
	d->ent[d->n].key = key;
	d->ent[d->n].val = val;
	d->ent[d->n].hash = h;
	d->n++;
	if (d->index_cap == 0) {
		if (d->n > DICT_LINEAR_MAX)
			dict_reindex(a, d);
		return;
	}
	if (d->n * 2 + 2 > d->index_cap) {
		dict_reindex(a, d);
		return;
	}
	slot = h & (d->index_cap - 1);
	while (d->index[slot] != 0)
		slot = (slot + 1) & (d->index_cap - 1);
	d->index[slot] = (uint32_t)d->n;
}

void
val_dict_setn(struct arena *a, struct value *dict, const char *key,
    size_t len, struct value *val)
{
	struct val_dict *d = dict->u.dict;
	uint32_t h = hash_bytes(key, len);
	long i;

	if (dict->type != VAL_DICT)
		BUG("val_dict_set on a %s", val_type_name(dict));
	i = dict_find(d, NULL, key, len, h);
	if (i >= 0) {
		d->ent[i].val = val;
		return;
	}
	dict_insert(a, d, val_new_strn(a, key, len), val, h);
}

void
val_dict_set(struct arena *a, struct value *dict, const char *key,
    struct value *val)
{
	val_dict_setn(a, dict, key, strlen(key), val);
}

void
val_dict_setv(struct arena *a, struct value *dict, struct value *key,
    struct value *val)
{
	struct val_dict *d = dict->u.dict;
	uint32_t h = val_hash(key);
	long i;

	if (dict->type != VAL_DICT)
		BUG("val_dict_setv on a %s", val_type_name(dict));
	i = dict_find(d, key, NULL, 0, h);
	if (i >= 0) {
		d->ent[i].val = val;
		return;
	}
	dict_insert(a, d, key, val, h);
}

struct value *
val_dict_getn(const struct value *dict, const char *key, size_t len)
{
	long i;

	if (dict == NULL || dict->type != VAL_DICT)
		return NULL;
	i = dict_find(dict->u.dict, NULL, key, len, hash_bytes(key, len));
	return i < 0 ? NULL : dict->u.dict->ent[i].val;
}

struct value *
val_dict_get(const struct value *dict, const char *key)
{
	return val_dict_getn(dict, key, strlen(key));
}

struct value *
val_dict_getv(const struct value *dict, const struct value *key)
{
	long i;

	if (dict == NULL || dict->type != VAL_DICT)
		return NULL;
	i = dict_find(dict->u.dict, key, NULL, 0, val_hash(key));
	return i < 0 ? NULL : dict->u.dict->ent[i].val;
}

int
val_dict_del(struct value *dict, const char *key)
{
	struct val_dict *d = dict->u.dict;
	size_t len = strlen(key), i, slot;
	long at;

	if (dict->type != VAL_DICT)
		return -1;
	at = dict_find(d, NULL, key, len, hash_bytes(key, len));
	if (at < 0)
		return -1;
	memmove(&d->ent[at], &d->ent[at + 1],
	    (d->n - (size_t)at - 1) * sizeof(*d->ent));
	d->n--;
	if (d->index_cap != 0) {
		/* Rebuild in place: the table is already big enough. */
		memset(d->index, 0, d->index_cap * sizeof(*d->index));
		for (i = 0; i < d->n; i++) {
			slot = d->ent[i].hash & (d->index_cap - 1);
			while (d->index[slot] != 0)
				slot = (slot + 1) & (d->index_cap - 1);
			d->index[slot] = (uint32_t)i + 1;
		}
	}
	return 0;
}

bool
val_truthy(const struct value *v)
{
	if (v == NULL)
		return false;
	switch (v->type) {
	case VAL_NULL:
		return false;
	case VAL_BOOL:
		return v->u.b;
	case VAL_INT:
		return v->u.i != 0;
	case VAL_FLOAT:
		return v->u.f != 0.0;
	case VAL_STR:
		return v->u.str.len != 0;
	case VAL_LIST:
		return v->u.list->n != 0;
	case VAL_DICT:
		return v->u.dict->n != 0;
	}
	return false;
}

bool
val_is_number(const struct value *v)
{
	return v != NULL && (v->type == VAL_INT || v->type == VAL_FLOAT ||
	    v->type == VAL_BOOL);
}

double
val_as_double(const struct value *v)
{
	switch (v->type) {
	case VAL_INT:
		return (double)v->u.i;
	case VAL_FLOAT:
		return v->u.f;
	case VAL_BOOL:
		return v->u.b;
	default:
		return 0;
	}
}

static int64_t
as_int(const struct value *v)
{
	return v->type == VAL_BOOL ? v->u.b : v->u.i;
}

bool
val_equal(const struct value *a, const struct value *b)
{
	size_t i;

	if (a == b)
		return true;
	if (a == NULL || b == NULL)
		return false;
	if (val_is_number(a) && val_is_number(b)) {
		if (a->type != VAL_FLOAT && b->type != VAL_FLOAT)
			return as_int(a) == as_int(b);
		return val_as_double(a) == val_as_double(b);
	}
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case VAL_NULL:
		return true;
	case VAL_STR:
		return a->u.str.len == b->u.str.len &&
		    memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case VAL_LIST:
		if (a->u.list->n != b->u.list->n)
			return false;
		for (i = 0; i < a->u.list->n; i++)
			if (!val_equal(a->u.list->items[i],
			    b->u.list->items[i]))
				return false;
		return true;
	case VAL_DICT:
		if (a->u.dict->n != b->u.dict->n)
			return false;
		for (i = 0; i < a->u.dict->n; i++) {
			struct val_entry *e = &a->u.dict->ent[i];

			if (!val_equal(e->val, val_dict_getv(b, e->key)))
				return false;
		}
		return true;
	}
	return false;
}

static const char *
cmp_type_name(const struct value *v)
{
	return v == NULL ? "Undefined" : val_type_name(v);
}

int
val_compare(const struct value *a, const struct value *b, int *cmp,
    struct err *err)
{
	size_t i, n;
	int r;

	if (val_is_number(a) && val_is_number(b)) {
		if (a->type != VAL_FLOAT && b->type != VAL_FLOAT) {
			int64_t x = as_int(a), y = as_int(b);

			*cmp = x < y ? -1 : x > y;
		} else {
			double x = val_as_double(a), y = val_as_double(b);

			*cmp = x < y ? -1 : x > y;
		}
		return 0;
	}
	if (a != NULL && b != NULL && a->type == b->type) {
		switch (a->type) {
		case VAL_STR:
			n = a->u.str.len < b->u.str.len ? a->u.str.len :
			    b->u.str.len;
			r = memcmp(a->u.str.s, b->u.str.s, n);
			if (r == 0)
				r = a->u.str.len < b->u.str.len ? -1 :
				    a->u.str.len > b->u.str.len;
			*cmp = r < 0 ? -1 : r > 0;
			return 0;
		case VAL_LIST:
			n = a->u.list->n < b->u.list->n ? a->u.list->n :
			    b->u.list->n;
			for (i = 0; i < n; i++) {
				struct value *x = a->u.list->items[i];
				struct value *y = b->u.list->items[i];

				if (val_equal(x, y))
					continue;
				return val_compare(x, y, cmp, err);
			}
			*cmp = a->u.list->n < b->u.list->n ? -1 :
			    a->u.list->n > b->u.list->n;
			return 0;
		default:
			break;
		}
	}
	return err_set(err, NULL,
	    "'<' not supported between instances of '%s' and '%s'",
	    cmp_type_name(a), cmp_type_name(b));
}

struct value *
val_copy(struct arena *a, const struct value *v)
{
	struct value *c;
	size_t i;

	if (v == NULL)
		return NULL;
	switch (v->type) {
	case VAL_LIST:
		c = val_new_list(a);
		for (i = 0; i < v->u.list->n; i++)
			val_list_push(a, c, val_copy(a, v->u.list->items[i]));
		break;
	case VAL_DICT:
		c = val_new_dict(a);
		for (i = 0; i < v->u.dict->n; i++)
			val_dict_setv(a, c, val_copy(a, v->u.dict->ent[i].key),
			    val_copy(a, v->u.dict->ent[i].val));
		break;
	case VAL_STR:
		c = val_new_strn(a, v->u.str.s, v->u.str.len);
		break;
	default:
		c = arena_alloc(a, sizeof(*c));
		*c = *v;
		return c;
	}
	c->flags = v->flags;
	c->pos = v->pos;
	return c;
}

const char *
val_type_name(const struct value *v)
{
	static const char *const names[] = {
		[VAL_NULL] = "NoneType", [VAL_BOOL] = "bool",
		[VAL_INT] = "int", [VAL_FLOAT] = "float", [VAL_STR] = "str",
		[VAL_LIST] = "list", [VAL_DICT] = "dict",
	};

	if (v->type == VAL_LIST && (v->flags & VAL_TUPLE))
		return "tuple";
	return names[v->type];
}

void
val_float_repr(struct strbuf *sb, double f)
{
	char buf[64], digits[32], *p, *e;
	int prec, exp10, nd, i;

	if (isnan(f)) {
		sb_adds(sb, "nan");
		return;
	}
	if (isinf(f)) {
		sb_adds(sb, f < 0 ? "-inf" : "inf");
		return;
	}
	/* Shortest %.Ne that reads back as the same double. */
	for (prec = 0; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	if (prec == 17)
		snprintf(buf, sizeof(buf), "%.16e", f);
	p = buf;
	if (*p == '-') {
		sb_addch(sb, '-');
		p++;
	}
	e = strchr(p, 'e');
	exp10 = atoi(e + 1);
	nd = 0;
	for (; p < e; p++)
		if (*p != '.')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (exp10 >= -4 && exp10 < 16) {
		if (exp10 < 0) {
			sb_adds(sb, "0.");
			for (i = -1; i > exp10; i--)
				sb_addch(sb, '0');
			sb_adds(sb, digits);
		} else {
			for (i = 0; i <= exp10; i++)
				sb_addch(sb, i < nd ? digits[i] : '0');
			sb_addch(sb, '.');
			if (nd > exp10 + 1)
				sb_adds(sb, digits + exp10 + 1);
			else
				sb_addch(sb, '0');
		}
		return;
	}
	sb_addch(sb, digits[0]);
	if (nd > 1) {
		sb_addch(sb, '.');
		sb_adds(sb, digits + 1);
	}
	sb_addf(sb, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
}

void
val_str_repr(struct strbuf *sb, const char *s, size_t n)
{
	char q = '\'';
	size_t i;

	if (memchr(s, '\'', n) != NULL && memchr(s, '"', n) == NULL)
		q = '"';
	sb_addch(sb, q);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == (unsigned char)q || c == '\\') {
			sb_addch(sb, '\\');
			sb_addch(sb, c);
		} else if (c == '\n')
			sb_adds(sb, "\\n");
		else if (c == '\r')
			sb_adds(sb, "\\r");
		else if (c == '\t')
			sb_adds(sb, "\\t");
		else if (c < 0x20 || c == 0x7f)
			sb_addf(sb, "\\x%02x", c);
		else
			sb_addch(sb, c);
	}
	sb_addch(sb, q);
}

void
val_repr(struct strbuf *sb, const struct value *v)
{
	size_t i;

	if (v == NULL) {
		sb_adds(sb, "None");
		return;
	}
	switch (v->type) {
	case VAL_NULL:
		sb_adds(sb, "None");
		break;
	case VAL_BOOL:
		sb_adds(sb, v->u.b ? "True" : "False");
		break;
	case VAL_INT:
		sb_addf(sb, "%lld", (long long)v->u.i);
		break;
	case VAL_FLOAT:
		val_float_repr(sb, v->u.f);
		break;
	case VAL_STR:
		val_str_repr(sb, v->u.str.s, v->u.str.len);
		break;
	case VAL_LIST:
		sb_addch(sb, (v->flags & VAL_TUPLE) ? '(' : '[');
		for (i = 0; i < v->u.list->n; i++) {
			if (i > 0)
				sb_adds(sb, ", ");
			val_repr(sb, v->u.list->items[i]);
		}
		if ((v->flags & VAL_TUPLE) && v->u.list->n == 1)
			sb_addch(sb, ',');
		sb_addch(sb, (v->flags & VAL_TUPLE) ? ')' : ']');
		break;
	case VAL_DICT:
		sb_addch(sb, '{');
		for (i = 0; i < v->u.dict->n; i++) {
			if (i > 0)
				sb_adds(sb, ", ");
			val_repr(sb, v->u.dict->ent[i].key);
			sb_adds(sb, ": ");
			val_repr(sb, v->u.dict->ent[i].val);
		}
		sb_addch(sb, '}');
		break;
	}
}

void
val_str(struct strbuf *sb, const struct value *v)
{
	if (v != NULL && v->type == VAL_STR)
		sb_add(sb, v->u.str.s, v->u.str.len);
	else
		val_repr(sb, v);
}
