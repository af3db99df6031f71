/*
 * args.c: the one place module arguments are validated and converted
 * (tmux's args_parse), and Ansible's free-form "k=v" text is parsed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "util.h"

/* Ansible's boolean(): yes/no/on/off/true/false/y/n/t/f/1/0. */
static int
parse_bool(const struct value *v, bool *out)
{
	static const char *const yes[] = { "y", "yes", "on", "1", "true", "t",
	    NULL };
	static const char *const no[] = { "n", "no", "off", "0", "false", "f",
	    NULL };
	char low[8];
	size_t i;

	switch (v->type) {
	case VAL_BOOL:
		*out = v->u.b;
		return 0;
	case VAL_INT:
		if (v->u.i == 0 || v->u.i == 1) {
			*out = v->u.i == 1;
			return 0;
		}
		return -1;
	case VAL_FLOAT:
		if (v->u.f == 0.0 || v->u.f == 1.0) {
			*out = v->u.f == 1.0;
			return 0;
		}
		return -1;
	case VAL_STR:
		if (v->u.str.len >= sizeof(low))
			return -1;
		for (i = 0; i <= v->u.str.len; i++)
			low[i] = (char)tolower((unsigned char)v->u.str.s[i]);
		for (i = 0; yes[i] != NULL; i++)
			if (strcmp(low, yes[i]) == 0) {
				*out = true;
				return 0;
			}
		for (i = 0; no[i] != NULL; i++)
			if (strcmp(low, no[i]) == 0) {
				*out = false;
				return 0;
			}
		return -1;
	default:
		return -1;
	}
}

static const char *const type_names[] = {
	[ARG_STR] = "str", [ARG_BOOL] = "bool", [ARG_INT] = "int",
	[ARG_FLOAT] = "float", [ARG_LIST] = "list", [ARG_DICT] = "dict",
	[ARG_PATH] = "path", [ARG_RAW] = "raw", [ARG_MODE] = "raw",
};

static struct value *
with_pos(struct value *v, const struct value *from)
{
	v->pos = from->pos;
	return v;
}

static struct value *convert(struct arena *, const struct module *,
    const struct arg_spec *, enum arg_type, const struct value *,
    struct err *);

static struct value *
to_str(struct arena *a, const struct value *v)
{
	struct strbuf sb = STRBUF_INIT;
	struct value *s;

	if (v->type == VAL_STR)
		return (struct value *)v;
	val_str(&sb, v);
	s = with_pos(val_new_strn(a, sb.buf, sb.len), v);
	sb_release(&sb);
	return s;
}

static struct value *
convert_list(struct arena *a, const struct module *m,
    const struct arg_spec *spec, const struct value *v, struct err *err)
{
	struct value *l = with_pos(val_new_list(a), v), *item;
	const char *p, *comma;
	size_t i;

	if (v->type == VAL_LIST) {
		for (i = 0; i < v->u.list->n; i++) {
			item = v->u.list->items[i];
			if (spec->elem != ARG_RAW && spec->elem != ARG_STR)
				item = convert(a, m, spec, spec->elem, item,
				    err);
			else if (spec->elem == ARG_STR && item != NULL &&
			    item->type != VAL_LIST && item->type != VAL_DICT)
				item = to_str(a, item);
			if (item == NULL)
				return NULL;
			val_list_push(a, l, item);
		}
		return l;
	}
	if (v->type == VAL_STR) {
		if (v->u.str.len == 0)
			return l;
		for (p = v->u.str.s;; p = comma + 1) {
			comma = strchr(p, ',');
			if (comma == NULL) {
				val_list_push(a, l, with_pos(val_new_str(a, p),
				    v));
				break;
			}
			val_list_push(a, l, with_pos(val_new_strn(a, p,
			    (size_t)(comma - p)), v));
		}
		return l;
	}
	if (v->type == VAL_INT || v->type == VAL_FLOAT) {
		val_list_push(a, l, to_str(a, v));
		return l;
	}
	err_set(err, &v->pos, "argument '%s' of module '%s' must be a list, "
	    "not %s", spec->name, m->name, val_type_name(v));
	return NULL;
}

static struct value *
convert(struct arena *a, const struct module *m, const struct arg_spec *spec,
    enum arg_type type, const struct value *v, struct err *err)
{
	struct value *r;
	char *end;
	bool b;

	switch (type) {
	case ARG_RAW:
	case ARG_MODE:
		return (struct value *)v;
	case ARG_STR:
	case ARG_PATH:
		if (v->type == VAL_LIST || v->type == VAL_DICT)
			break;
		if (v->type == VAL_NULL)
			return (struct value *)v;
		return to_str(a, v);
	case ARG_BOOL:
		if (parse_bool(v, &b) < 0) {
			struct strbuf sb = STRBUF_INIT;

			val_str(&sb, v);
			err_set(err, &v->pos, "argument '%s' of module '%s': "
			    "'%s' is not a valid boolean", spec->name,
			    m->name, sb.buf);
			sb_release(&sb);
			return NULL;
		}
		return val_bool(b);
	case ARG_INT:
		if (v->type == VAL_INT)
			return (struct value *)v;
		if (v->type == VAL_FLOAT && v->u.f == (double)(int64_t)v->u.f)
			return with_pos(val_new_int(a, (int64_t)v->u.f), v);
		if (v->type == VAL_STR && v->u.str.len > 0) {
			long long n;

			errno = 0;
			n = strtoll(v->u.str.s, &end, 10);
			if (*end == '\0' && errno == 0)
				return with_pos(val_new_int(a, n), v);
		}
		break;
	case ARG_FLOAT:
		if (v->type == VAL_FLOAT)
			return (struct value *)v;
		if (v->type == VAL_INT)
			return with_pos(val_new_float(a, (double)v->u.i), v);
		if (v->type == VAL_STR && v->u.str.len > 0) {
			double f = strtod(v->u.str.s, &end);

			if (*end == '\0')
				return with_pos(val_new_float(a, f), v);
		}
		break;
	case ARG_LIST:
		return convert_list(a, m, spec, v, err);
	case ARG_DICT:
		if (v->type == VAL_DICT)
			return (struct value *)v;
		if (v->type == VAL_STR) {
			r = mod_parse_kv(a, NULL, v->u.str.s, &v->pos, err);
			return r;
		}
		break;
	}
	err_set(err, &v->pos, "argument '%s' of module '%s' must be %s, not %s",
	    spec->name, m->name, type_names[type], val_type_name(v));
	return NULL;
}

static const struct arg_spec *
find_spec(const struct module *m, const char *name)
{
	const struct arg_spec *s;
	size_t i;

	for (s = m->args; s != NULL && s->name != NULL; s++) {
		if (strcmp(s->name, name) == 0)
			return s;
		for (i = 0; s->aliases != NULL && s->aliases[i] != NULL; i++)
			if (strcmp(s->aliases[i], name) == 0)
				return s;
	}
	return NULL;
}

static const char *
suggest(const struct module *m, const char *name)
{
	const struct arg_spec *s, *best = NULL;
	unsigned d, bestd = 3;

	for (s = m->args; s != NULL && s->name != NULL; s++) {
		d = util_edit_distance(name, s->name);
		if (d < bestd) {
			bestd = d;
			best = s;
		}
	}
	return best != NULL ? best->name : NULL;
}

static struct value *
default_value(struct arena *a, const struct arg_spec *spec)
{
	struct value *v = val_new_str(a, spec->dflt);

	if (spec->type == ARG_STR || spec->type == ARG_PATH ||
	    spec->type == ARG_RAW || spec->type == ARG_MODE)
		return v;
	return convert(a, NULL, spec, spec->type, v, NULL);
}

struct value *
mod_check_args(struct arena *a, const struct module *m,
    const struct value *args, struct err *err)
{
	struct value *out = val_new_dict(a), *v;
	const struct arg_spec *spec;
	const char *hint;
	size_t i, j;

	if ((m->flags & MODULE_ANY_ARGS) && args != NULL &&
	    args->type == VAL_DICT)
		return (struct value *)args;
	if (args != NULL && args->type != VAL_DICT) {
		err_set(err, &args->pos, "arguments of module '%s' must be a "
		    "dict, not %s", m->name, val_type_name(args));
		return NULL;
	}
	for (i = 0; args != NULL && i < args->u.dict->n; i++) {
		struct val_entry *e = &args->u.dict->ent[i];
		const char *key;

		if (e->key->type != VAL_STR) {
			err_set(err, &e->key->pos, "argument names of module "
			    "'%s' must be strings", m->name);
			return NULL;
		}
		key = e->key->u.str.s;
		spec = find_spec(m, key);
		if (spec == NULL) {
			hint = suggest(m, key);
			if (hint != NULL)
				err_set(err, &e->key->pos, "unknown argument "
				    "'%s' for module '%s' (did you mean '%s'?)",
				    key, m->name, hint);
			else
				err_set(err, &e->key->pos, "unknown argument "
				    "'%s' for module '%s'", key, m->name);
			return NULL;
		}
		if (val_dict_get(out, spec->name) != NULL &&
		    strcmp(spec->name, key) != 0) {
			err_set(err, &e->key->pos, "argument '%s' of module "
			    "'%s' given twice (as '%s')", spec->name, m->name,
			    key);
			return NULL;
		}
		v = e->val;
		if (v == NULL || v->type == VAL_NULL) {
			/* null means "not given", as in Ansible. */
			continue;
		}
		v = convert(a, m, spec, spec->type, v, err);
		if (v == NULL) {
			err_locate(err, &e->val->pos);
			return NULL;
		}
		if (spec->choices != NULL) {
			struct strbuf sb = STRBUF_INIT;

			val_str(&sb, v);
			for (j = 0; spec->choices[j] != NULL; j++)
				if (strcmp(spec->choices[j], sb.buf) == 0)
					break;
			if (spec->choices[j] == NULL) {
				struct strbuf all = STRBUF_INIT;

				for (j = 0; spec->choices[j] != NULL; j++)
					sb_addf(&all, "%s%s", j ? ", " : "",
					    spec->choices[j]);
				err_set(err, &e->val->pos, "argument '%s' of "
				    "module '%s' must be one of: %s, got '%s'",
				    spec->name, m->name, all.buf, sb.buf);
				sb_release(&all);
				sb_release(&sb);
				return NULL;
			}
			sb_release(&sb);
		}
		val_dict_set(a, out, spec->name, v);
	}
	for (spec = m->args; spec != NULL && spec->name != NULL; spec++) {
		if (val_dict_get(out, spec->name) != NULL)
			continue;
		if (spec->flags & ARG_REQUIRED) {
			err_set(err, args != NULL ? &args->pos : NULL,
			    "missing required argument '%s' for module '%s'",
			    spec->name, m->name);
			return NULL;
		}
		if (spec->dflt != NULL)
			val_dict_set(a, out, spec->name,
			    default_value(a, spec));
	}
	return out;
}

static bool
is_key(const char *s, const char *end)
{
	if (s == end)
		return false;
	for (; s < end; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/*
 * parse_kv's _decode_escapes: \n, \t, \\, \', \", \a.., \xHH, \ooo,
 * \uHHHH and \UHHHHHHHH become what Python's unicode_escape makes of them;
 * anything else stays as written.
 */
static void
decode_escapes(struct strbuf *out, const char *s, size_t len)
{
	static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";

	for (size_t i = 0; i < len; i++) {
		const char *hit;
		size_t want = 0;
		uint32_t cp = 0;

		if (s[i] != '\\' || i + 1 >= len) {
			sb_addch(out, s[i]);
			continue;
		}
		hit = memchr(simple, s[i + 1], sizeof(simple) - 1);
		if (hit != NULL && (hit - simple) % 2 == 0) {
			sb_addch(out, hit[1]);
			i++;
			continue;
		}
		if (s[i + 1] == 'x')
			want = 2;
		else if (s[i + 1] == 'u')
			want = 4;
		else if (s[i + 1] == 'U')
			want = 8;
		if (want > 0 && i + 2 + want <= len) {
			size_t k;

			for (k = 0; k < want && hexval(s[i + 2 + k]) >= 0; k++)
				cp = cp * 16 + (uint32_t)hexval(s[i + 2 + k]);
			if (k == want && cp <= 0x10FFFF) {
				sb_addutf8(out, cp);
				i += 1 + want;
				continue;
			}
		} else if (s[i + 1] >= '0' && s[i + 1] <= '7') {
			size_t k = 0;

			while (k < 3 && i + 1 + k < len && s[i + 1 + k] >= '0' &&
			    s[i + 1 + k] <= '7')
				cp = cp * 8 + (uint32_t)(s[i + 1 + k++] - '0');
			sb_addutf8(out, cp);
			i += k;
			continue;
		}
		sb_addch(out, s[i]);
	}
}

/*
 * Ansible's split_args + parse_kv: split on white space outside quotes and
 * outside {{ }} / {% %}; a token "k=v" is an argument (quotes around v
 * removed), anything else goes to _raw_params.  With raw params, only keys
 * the module declares are taken out.
 */
struct value *
mod_parse_kv(struct arena *a, const struct module *m, const char *text,
    const struct pos *pos, struct err *err)
{
	struct value *out = val_new_dict(a);
	struct strbuf raw = STRBUF_INIT, tok = STRBUF_INIT;
	const char *p = text;
	bool raw_mode = m != NULL && (m->flags & MODULE_RAW_PARAMS);

	while (*p != '\0') {
		char quote = 0;
		int depth = 0;
		const char *eq;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		sb_reset(&tok);
		while (*p != '\0') {
			if (quote == 0 && depth == 0 &&
			    (*p == ' ' || *p == '\t' || *p == '\n'))
				break;
			if (quote == 0 && (p[0] == '{' && (p[1] == '{' ||
			    p[1] == '%'))) {
				depth++;
				sb_add(&tok, p, 2);
				p += 2;
				continue;
			}
			if (quote == 0 && depth > 0 && (p[0] == '}' ||
			    p[0] == '%') && p[1] == '}') {
				depth--;
				sb_add(&tok, p, 2);
				p += 2;
				continue;
			}
			if (*p == '\\' && p[1] != '\0' && quote != 0) {
				sb_add(&tok, p, 2);
				p += 2;
				continue;
			}
			if (quote == 0 && (*p == '"' || *p == '\''))
				quote = *p;
			else if (*p == quote)
				quote = 0;
			sb_addch(&tok, *p++);
		}
		if (quote != 0) {
			err_set(err, pos, "unbalanced quotes in arguments "
			    "'%s'", text);
			sb_release(&tok);
			sb_release(&raw);
			return NULL;
		}
		eq = strchr(tok.buf, '=');
		if (eq != NULL && is_key(tok.buf, eq)) {
			size_t klen = (size_t)(eq - tok.buf);
			char *key = arena_strndup(a, tok.buf, klen);
			const char *v = eq + 1;
			size_t vlen = strlen(v);

			if (!raw_mode || find_spec(m, key) != NULL) {
				struct value *val;
				struct strbuf dec = STRBUF_INIT;

				decode_escapes(&dec, v, vlen);
				v = arena_strndup(a, dec.buf, dec.len);
				vlen = dec.len;
				sb_release(&dec);
				if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') &&
				    v[vlen - 1] == v[0]) {
					v++;
					vlen -= 2;
				}
				val = val_new_strn(a, v, vlen);
				if (pos != NULL)
					val->pos = *pos;
				val_dict_set(a, out, key, val);
				continue;
			}
		}
		if (raw.len > 0)
			sb_addch(&raw, ' ');
		sb_add(&raw, tok.buf, tok.len);
	}
	if (raw.len > 0 || raw_mode) {
		struct value *rv = val_new_strn(a, raw.buf, raw.len);

		if (pos != NULL)
			rv->pos = *pos;
		val_dict_set(a, out, "_raw_params", rv);
	}
	if (pos != NULL)
		out->pos = *pos;
	sb_release(&tok);
	sb_release(&raw);
	return out;
}

const char *
arg_str(const struct value *args, const char *name)
{
	const struct value *v = val_dict_get(args, name);

	return v != NULL && v->type == VAL_STR ? v->u.str.s : NULL;
}

bool
arg_bool(const struct value *args, const char *name)
{
	return val_truthy(val_dict_get(args, name));
}

int64_t
arg_int(const struct value *args, const char *name)
{
	const struct value *v = val_dict_get(args, name);

	return v != NULL && v->type == VAL_INT ? v->u.i : 0;
}
