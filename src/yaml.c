#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util.h"
#include "yaml_load.h"

struct anchor {
	char		*name;
	struct value	*v;
	bool		 open;		/* still being built: no alias to it */
};

#define YAML_MAX_DEPTH 256

struct loader {
	struct arena	*a;
	yaml_parser_t	 p;
	const char	*file;		/* interned */
	struct anchor	*anchors;
	size_t		 nanchors, alloc;
	struct err	*err;
	int		 depth;
};

static struct pos
pos_of(struct loader *l, const yaml_mark_t *m)
{
	struct pos p = { l->file, (unsigned)m->line + 1, (unsigned)m->column + 1 };

	return p;
}

static bool
all_match(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strchr(set, s[i]) == NULL)
			return false;
	return n > 0;
}

static bool
str_in(const char *s, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && memcmp(*list, s, n) == 0)
			return true;
	return false;
}

/* Digits without the underscores YAML 1.1 allows. */
static char *
strip_us(const char *s, size_t n, char *buf, size_t size)
{
	size_t j = 0, i;

	for (i = 0; i < n && j + 1 < size; i++)
		if (s[i] != '_')
			buf[j++] = s[i];
	buf[j] = '\0';
	return buf;
}

static bool
parse_int(const char *s, size_t n, int64_t *out)
{
	char buf[96];
	const char *p;
	int neg = 0, base = 10;
	unsigned long long v;
	char *end;

	if (n == 0 || n >= sizeof(buf))
		return false;
	strip_us(s, n, buf, sizeof(buf));
	p = buf;
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (*p == '\0')
		return false;
	if (p[0] == '0' && p[1] == 'b') {
		base = 2;
		p += 2;
		if (!all_match(p, strlen(p), "01"))
			return false;
	} else if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
		if (!all_match(p, strlen(p), "0123456789abcdefABCDEF"))
			return false;
	} else if (p[0] == '0' && p[1] != '\0') {
		base = 8;
		if (!all_match(p, strlen(p), "01234567"))
			return false;
	} else if (strchr(p, ':') != NULL) {
		/* Sexagesimal: 1:30 is 90. */
		int64_t total = 0;
		const char *q = p;

		if (*q == '0' || !isdigit((unsigned char)*q))
			return false;
		while (*q != '\0') {
			long part;

			errno = 0;
			part = strtol(q, &end, 10);
			if (end == q || errno != 0 ||
			    (*end != ':' && *end != '\0'))
				return false;
			if (q != p && (part > 59 || end - q > 2))
				return false;
			/* Too big for 64 bits: keep it a string. */
			if (__builtin_mul_overflow(total, 60, &total) ||
			    __builtin_add_overflow(total, part, &total))
				return false;
			q = *end == ':' ? end + 1 : end;
		}
		*out = neg ? -total : total;
		return true;
	} else if (!all_match(p, strlen(p), "0123456789"))
		return false;
	if (*p == '\0')
		return false;
	errno = 0;
	v = strtoull(p, &end, base);
	if (errno != 0 || *end != '\0' || v > (unsigned long long)INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

static bool
parse_float(const char *s, size_t n, double *out)
{
	static const char *const inf[] = { ".inf", ".Inf", ".INF", "+.inf",
	    "+.Inf", "+.INF", NULL };
	static const char *const ninf[] = { "-.inf", "-.Inf", "-.INF", NULL };
	static const char *const nan_[] = { ".nan", ".NaN", ".NAN", NULL };
	char buf[96], *end;
	const char *p, *dot, *e;

	if (str_in(s, n, inf)) {
		*out = INFINITY;
		return true;
	}
	if (str_in(s, n, ninf)) {
		*out = -INFINITY;
		return true;
	}
	if (str_in(s, n, nan_)) {
		*out = NAN;
		return true;
	}
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	p = buf;
	if (*p == '-' || *p == '+')
		p++;
	/* PyYAML: digits, a dot, digits, and an exponent with a sign. */
	dot = strchr(p, '.');
	if (dot == NULL)
		return false;
	if (strchr(p, ':') != NULL) {
		/* Sexagesimal: 190:20:30.15 */
		int64_t whole;

		if (strchr(dot + 1, ':') != NULL || dot == p ||
		    !parse_int(p, (size_t)(dot - p), &whole) ||
		    (dot[1] != '\0' && !all_match(dot + 1, strlen(dot + 1),
		    "0123456789_")))
			return false;
		*out = (double)whole + (dot[1] ? strtod(dot, NULL) : 0);
		if (buf[0] == '-')
			*out = -*out;
		return true;
	}
	if (dot == p && !isdigit((unsigned char)dot[1]))
		return false;
	if (dot != p && !isdigit((unsigned char)*p))
		return false;
	if (p == dot && buf[0] != '.' )
		return false;
	e = strpbrk(dot + 1, "eE");
	if (!all_match(p, (size_t)(dot - p), "0123456789_") && dot != p)
		return false;
	if (e == NULL) {
		if (dot[1] != '\0' && !all_match(dot + 1, strlen(dot + 1),
		    "0123456789_"))
			return false;
	} else {
		if (e > dot + 1 && !all_match(dot + 1, (size_t)(e - dot - 1),
		    "0123456789_"))
			return false;
		if ((e[1] != '+' && e[1] != '-') || e[2] == '\0' ||
		    !all_match(e + 2, strlen(e + 2), "0123456789"))
			return false;
	}
	strip_us(buf, n, buf, sizeof(buf));
	*out = strtod(buf, &end);
	return *end == '\0';
}

struct value *
yaml_plain_scalar(struct arena *a, const char *s, size_t n)
{
	static const char *const yes[] = { "yes", "Yes", "YES", "true", "True",
	    "TRUE", "on", "On", "ON", NULL };
	static const char *const no[] = { "no", "No", "NO", "false", "False",
	    "FALSE", "off", "Off", "OFF", NULL };
	static const char *const null_[] = { "~", "null", "Null", "NULL",
	    NULL };
	int64_t i;
	double f;

	if (n == 0 || str_in(s, n, null_))
		return val_new(a, VAL_NULL);
	if (str_in(s, n, yes))
		return val_new_bool(a, true);
	if (str_in(s, n, no))
		return val_new_bool(a, false);
	if ((isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+' ||
	    s[0] == '.')) {
		if (parse_int(s, n, &i))
			return val_new_int(a, i);
		if (parse_float(s, n, &f))
			return val_new_float(a, f);
	}
	return val_new_strn(a, s, n);
}

static void
problem(struct loader *l)
{
	struct pos p = { l->file, (unsigned)l->p.problem_mark.line + 1,
	    (unsigned)l->p.problem_mark.column + 1 };

	if (l->p.context != NULL)
		err_set(l->err, &p, "yaml syntax error: %s %s", l->p.context,
		    l->p.problem ? l->p.problem : "");
	else
		err_set(l->err, &p, "yaml syntax error: %s",
		    l->p.problem ? l->p.problem : "invalid yaml");
}

static void
add_anchor(struct loader *l, const yaml_char_t *name, struct value *v)
{
	if (name == NULL)
		return;
	l->anchors = xgrow(l->anchors, l->nanchors + 1, &l->alloc,
	    sizeof(*l->anchors));
	l->anchors[l->nanchors].name = xstrdup((const char *)name);
	l->anchors[l->nanchors].v = v;
	l->anchors[l->nanchors].open = v->type == VAL_LIST ||
	    v->type == VAL_DICT;
	l->nanchors++;
}

static struct anchor *
find_anchor(struct loader *l, const yaml_char_t *name)
{
	size_t i;

	/* The latest definition of a name wins, as in YAML. */
	for (i = l->nanchors; i-- > 0;)
		if (strcmp(l->anchors[i].name, (const char *)name) == 0)
			return &l->anchors[i];
	return NULL;
}

static void
close_anchor(struct loader *l, const yaml_char_t *name)
{
	struct anchor *an;

	if (name != NULL && (an = find_anchor(l, name)) != NULL)
		an->open = false;
}

static struct value *parse_node(struct loader *, yaml_event_t *);

static int
next_event(struct loader *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->p, ev)) {
		problem(l);
		return -1;
	}
	return 0;
}

static struct value *
scalar(struct loader *l, yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	struct value *v;

	if (tag != NULL && strcmp(tag, "!unsafe") == 0) {
		v = val_new_strn(l->a, s, n);
		v->flags |= VAL_UNSAFE;
	} else if (tag != NULL && strcmp(tag, "!vault") == 0) {
		struct pos p = pos_of(l, &ev->start_mark);

		err_set(l->err, &p, "vault-encrypted values are not supported");
		return NULL;
	} else if (tag != NULL && strcmp(tag, "tag:yaml.org,2002:str") == 0) {
		v = val_new_strn(l->a, s, n);
	} else if (tag != NULL && (strcmp(tag, "tag:yaml.org,2002:int") == 0 ||
	    strcmp(tag, "tag:yaml.org,2002:float") == 0 ||
	    strcmp(tag, "tag:yaml.org,2002:bool") == 0 ||
	    strcmp(tag, "tag:yaml.org,2002:null") == 0)) {
		v = yaml_plain_scalar(l->a, s, n);
	} else if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		v = val_new_strn(l->a, s, n);
		v->flags |= VAL_QUOTED;
	} else
		v = yaml_plain_scalar(l->a, s, n);
	v->pos = pos_of(l, &ev->start_mark);
	return v;
}

static struct value *
mapping(struct loader *l, yaml_event_t *start)
{
	struct value *map = val_new_dict(l->a);
	struct value *explicit_keys = val_new_dict(l->a);
	struct value *merges = val_new_list(l->a);
	yaml_event_t ev;
	size_t i;

	map->pos = pos_of(l, &start->start_mark);
	add_anchor(l, start->data.mapping_start.anchor, map);
	for (;;) {
		struct value *k, *v;

		if (next_event(l, &ev) < 0)
			return NULL;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			close_anchor(l, start->data.mapping_start.anchor);
			break;
		}
		k = parse_node(l, &ev);
		yaml_event_delete(&ev);
		if (k == NULL)
			return NULL;
		if (next_event(l, &ev) < 0)
			return NULL;
		v = parse_node(l, &ev);
		yaml_event_delete(&ev);
		if (v == NULL)
			return NULL;
		if (val_is_str(k, "<<") && !(k->flags & VAL_QUOTED)) {
			if (v->type == VAL_DICT)
				val_list_push(l->a, merges, v);
			else if (v->type == VAL_LIST) {
				for (i = 0; i < v->u.list->n; i++)
					val_list_push(l->a, merges,
					    v->u.list->items[i]);
			}
			continue;
		}
		if (k->type == VAL_LIST || k->type == VAL_DICT) {
			err_set(l->err, &k->pos, "a mapping key must be a "
			    "scalar");
			return NULL;
		}
		if (val_dict_getv(explicit_keys, k) != NULL) {
			struct strbuf sb = STRBUF_INIT;

			val_str(&sb, k);
			warnx("%s:%u:%u: found a duplicate dict key (%s): "
			    "using the last defined value only", l->file,
			    k->pos.line, k->pos.col, sb.buf);
			sb_release(&sb);
		}
		val_dict_setv(l->a, explicit_keys, k, &val_true);
		val_dict_setv(l->a, map, k, v);
	}
	if (merges->u.list->n == 0)
		return map;
	/*
	 * PyYAML's flatten_mapping: the merged mappings, the last first, then
	 * the mapping's own keys; a key keeps its first place and its last
	 * value, so own keys win and earlier merges win over later ones.
	 */
	{
		struct value *ordered = val_new_dict(l->a);

		ordered->pos = map->pos;
		for (i = merges->u.list->n; i-- > 0;) {
			struct value *src = merges->u.list->items[i];
			size_t j;

			if (src->type != VAL_DICT) {
				err_set(l->err, &src->pos, "a merge key (<<) "
				    "must refer to a mapping");
				return NULL;
			}
			for (j = 0; j < src->u.dict->n; j++)
				val_dict_setv(l->a, ordered,
				    src->u.dict->ent[j].key,
				    src->u.dict->ent[j].val);
		}
		for (i = 0; i < map->u.dict->n; i++)
			val_dict_setv(l->a, ordered, map->u.dict->ent[i].key,
			    map->u.dict->ent[i].val);
		return ordered;
	}
	return map;
}

static struct value *
sequence(struct loader *l, yaml_event_t *start)
{
	struct value *list = val_new_list(l->a), *v;
	yaml_event_t ev;

	list->pos = pos_of(l, &start->start_mark);
	add_anchor(l, start->data.sequence_start.anchor, list);
	for (;;) {
		if (next_event(l, &ev) < 0)
			return NULL;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			close_anchor(l, start->data.sequence_start.anchor);
			return list;
		}
		v = parse_node(l, &ev);
		yaml_event_delete(&ev);
		if (v == NULL)
			return NULL;
		val_list_push(l->a, list, v);
	}
}

static struct value *
parse_node(struct loader *l, yaml_event_t *ev)
{
	struct anchor *an;
	struct value *v = NULL;
	struct pos p = pos_of(l, &ev->start_mark);

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		v = scalar(l, ev);
		if (v != NULL)
			add_anchor(l, ev->data.scalar.anchor, v);
		return v;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++l->depth > YAML_MAX_DEPTH) {
			err_set(l->err, &p, "yaml nested deeper than %d levels",
			    YAML_MAX_DEPTH);
			return NULL;
		}
		v = ev->type == YAML_SEQUENCE_START_EVENT ? sequence(l, ev) :
		    mapping(l, ev);
		l->depth--;
		return v;
	case YAML_ALIAS_EVENT:
		an = find_anchor(l, ev->data.alias.anchor);
		if (an == NULL)
			err_set(l->err, &p, "found undefined alias '%s'",
			    (const char *)ev->data.alias.anchor);
		else if (an->open)
			err_set(l->err, &p, "recursive alias '%s' refers to "
			    "the node that contains it",
			    (const char *)ev->data.alias.anchor);
		else
			v = an->v;
		return v;
	default:
		err_set(l->err, &p, "unexpected yaml event");
		return NULL;
	}
}

static void
loader_release(struct loader *l)
{
	size_t i;

	for (i = 0; i < l->nanchors; i++)
		free(l->anchors[i].name);
	free(l->anchors);
	yaml_parser_delete(&l->p);
}

static struct value *
load(struct arena *a, const char *name, const char *text, size_t len,
    bool all, struct err *err)
{
	struct loader l = { .a = a, .err = err };
	struct value *docs = val_new_list(a), *doc;
	yaml_event_t ev;
	bool done = false;

	l.file = arena_strdup(a, name);
	yaml_parser_initialize(&l.p);
	yaml_parser_set_input_string(&l.p, (const unsigned char *)text, len);
	while (!done) {
		if (next_event(&l, &ev) < 0)
			goto fail;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			yaml_event_delete(&ev);
			if (next_event(&l, &ev) < 0)
				goto fail;
			if (ev.type == YAML_DOCUMENT_END_EVENT) {
				val_list_push(a, docs, val_new(a, VAL_NULL));
				break;
			}
			doc = parse_node(&l, &ev);
			yaml_event_delete(&ev);
			if (doc == NULL)
				goto fail_nodelete;
			val_list_push(a, docs, doc);
			if (next_event(&l, &ev) < 0)
				goto fail;
			if (!all)
				done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	loader_release(&l);
	if (all)
		return docs;
	if (docs->u.list->n == 0)
		return val_new(a, VAL_NULL);
	return docs->u.list->items[0];
fail:
	if (!err->set)
		problem(&l);
fail_nodelete:
	loader_release(&l);
	return NULL;
}

struct value *
yaml_load_string(struct arena *a, const char *name, const char *text,
    size_t len, struct err *err)
{
	return load(a, name, text, len, false, err);
}

struct value *
yaml_load_all(struct arena *a, const char *name, const char *text, size_t len,
    struct err *err)
{
	return load(a, name, text, len, true, err);
}

struct value *
yaml_load_file(struct arena *a, const char *path, struct err *err)
{
	struct value *v;
	char *buf;
	size_t len;

	if (read_file(path, &buf, &len) < 0) {
		err_set(err, NULL, "cannot read '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	v = yaml_load_string(a, path, buf, len, err);
	free(buf);
	return v;
}
