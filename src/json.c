#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

static void
encode_string(struct strbuf *sb, const char *s, size_t n, bool ascii)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	sb_addch(sb, '"');
	while (i < n) {
		unsigned c = p[i];

		switch (c) {
		case '"': sb_adds(sb, "\\\""); i++; continue;
		case '\\': sb_adds(sb, "\\\\"); i++; continue;
		case '\n': sb_adds(sb, "\\n"); i++; continue;
		case '\r': sb_adds(sb, "\\r"); i++; continue;
		case '\t': sb_adds(sb, "\\t"); i++; continue;
		case '\b': sb_adds(sb, "\\b"); i++; continue;
		case '\f': sb_adds(sb, "\\f"); i++; continue;
		}
		if (c < 0x20 || (ascii && c == 0x7f)) {
			sb_addf(sb, "\\u%04x", c);
			i++;
			continue;
		}
		if (c < 0x80 || !ascii) {
			sb_addch(sb, (int)c);
			i++;
			continue;
		}
		/* Decode one UTF-8 sequence; invalid bytes pass as U+FFFD. */
		{
			unsigned cp, need, k;

			if ((c & 0xe0) == 0xc0) {
				cp = c & 0x1f;
				need = 1;
			} else if ((c & 0xf0) == 0xe0) {
				cp = c & 0x0f;
				need = 2;
			} else if ((c & 0xf8) == 0xf0) {
				cp = c & 0x07;
				need = 3;
			} else {
				cp = 0xfffd;
				need = 0;
			}
			for (k = 1; k <= need; k++) {
				if (i + k >= n || (p[i + k] & 0xc0) != 0x80) {
					cp = 0xfffd;
					need = k - 1;
					break;
				}
				cp = (cp << 6) | (p[i + k] & 0x3f);
			}
			i += need + 1;
			if (cp >= 0x10000) {
				cp -= 0x10000;
				sb_addf(sb, "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
				    0xdc00 + (cp & 0x3ff));
			} else
				sb_addf(sb, "\\u%04x", cp);
		}
	}
	sb_addch(sb, '"');
}

static void
newline(struct strbuf *sb, int indent, int depth)
{
	int i;

	sb_addch(sb, '\n');
	for (i = 0; i < indent * depth; i++)
		sb_addch(sb, ' ');
}

static void
encode_key(struct strbuf *sb, const struct value *k, bool ascii)
{
	struct strbuf tmp = STRBUF_INIT;

	switch (k->type) {
	case VAL_STR:
		encode_string(sb, k->u.str.s, k->u.str.len, ascii);
		return;
	case VAL_BOOL:
		sb_adds(&tmp, k->u.b ? "true" : "false");
		break;
	case VAL_NULL:
		sb_adds(&tmp, "null");
		break;
	default:
		val_repr(&tmp, k);
		break;
	}
	encode_string(sb, tmp.buf, tmp.len, ascii);
	sb_release(&tmp);
}

static int
key_cmp(const void *a, const void *b)
{
	const struct val_entry *x = *(const struct val_entry *const *)a;
	const struct val_entry *y = *(const struct val_entry *const *)b;
	int c = 0;

	if (val_compare(x->key, y->key, &c, NULL) < 0)
		return x->key->type - y->key->type;
	return c;
}

static void
encode(struct strbuf *sb, const struct value *v, const struct json_opts *o,
    int depth)
{
	size_t i, n;

	if (v == NULL) {
		sb_adds(sb, "null");
		return;
	}
	switch (v->type) {
	case VAL_NULL:
		sb_adds(sb, "null");
		break;
	case VAL_BOOL:
		sb_adds(sb, v->u.b ? "true" : "false");
		break;
	case VAL_INT:
		sb_addf(sb, "%lld", (long long)v->u.i);
		break;
	case VAL_FLOAT:
		if (isnan(v->u.f))
			sb_adds(sb, "NaN");
		else if (isinf(v->u.f))
			sb_adds(sb, v->u.f < 0 ? "-Infinity" : "Infinity");
		else
			val_float_repr(sb, v->u.f);
		break;
	case VAL_STR:
		encode_string(sb, v->u.str.s, v->u.str.len, o->ensure_ascii);
		break;
	case VAL_LIST:
		n = v->u.list->n;
		if (n == 0) {
			sb_adds(sb, "[]");
			break;
		}
		sb_addch(sb, '[');
		for (i = 0; i < n; i++) {
			if (i > 0)
				sb_adds(sb, o->indent >= 0 ? "," : ", ");
			if (o->indent >= 0)
				newline(sb, o->indent, depth + 1);
			encode(sb, v->u.list->items[i], o, depth + 1);
		}
		if (o->indent >= 0)
			newline(sb, o->indent, depth);
		sb_addch(sb, ']');
		break;
	case VAL_DICT: {
		const struct val_entry **ents;

		n = v->u.dict->n;
		if (n == 0) {
			sb_adds(sb, "{}");
			break;
		}
		ents = xmalloc(n * sizeof(*ents));
		for (i = 0; i < n; i++)
			ents[i] = &v->u.dict->ent[i];
		if (o->sort_keys)
			qsort(ents, n, sizeof(*ents), key_cmp);
		sb_addch(sb, '{');
		for (i = 0; i < n; i++) {
			if (i > 0)
				sb_adds(sb, o->indent >= 0 ? "," : ", ");
			if (o->indent >= 0)
				newline(sb, o->indent, depth + 1);
			encode_key(sb, ents[i]->key, o->ensure_ascii);
			sb_adds(sb, ": ");
			encode(sb, ents[i]->val, o, depth + 1);
		}
		free(ents);
		if (o->indent >= 0)
			newline(sb, o->indent, depth);
		sb_addch(sb, '}');
		break;
	}
	}
}

void
json_encode(struct strbuf *sb, const struct value *v,
    const struct json_opts *opts)
{
	static const struct json_opts dflt = JSON_OPTS_PYTHON;

	encode(sb, v, opts != NULL ? opts : &dflt, 0);
}

/* ---- parsing (Python's json.loads) ---- */

struct jp {
	struct arena	*a;
	const char	*name;
	const char	*s;
	size_t		 n, i;
	int		 depth;
	struct err	*err;
};

static int
jp_fail(struct jp *p, const char *what)
{
	struct pos pos = { p->name, 1, 1 };

	for (size_t k = 0; k < p->i && k < p->n; k++)
		if (p->s[k] == '\n') {
			pos.line++;
			pos.col = 1;
		} else
			pos.col++;
	return err_set(p->err, &pos, "%s", what);
}

static void
jp_ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
	    p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int
jp_hex4(struct jp *p, unsigned long *cp)
{
	*cp = 0;
	if (p->i + 4 > p->n)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = p->s[p->i++];

		*cp <<= 4;
		if (c >= '0' && c <= '9')
			*cp |= (unsigned long)(c - '0');
		else if ((c | 32) >= 'a' && (c | 32) <= 'f')
			*cp |= (unsigned long)((c | 32) - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

static struct value *
jp_string(struct jp *p)
{
	struct strbuf sb = STRBUF_INIT;
	struct value *v;

	p->i++;
	for (;;) {
		if (p->i >= p->n) {
			jp_fail(p, "Unterminated string starting at");
			goto bad;
		}
		char c = p->s[p->i++];
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20) {
			p->i--;
			jp_fail(p, "Invalid control character at");
			goto bad;
		}
		if (c != '\\') {
			sb_addch(&sb, c);
			continue;
		}
		if (p->i >= p->n) {
			jp_fail(p, "Unterminated string");
			goto bad;
		}
		c = p->s[p->i++];
		unsigned long cp, lo;
		switch (c) {
		case '"': sb_addch(&sb, '"'); break;
		case '\\': sb_addch(&sb, '\\'); break;
		case '/': sb_addch(&sb, '/'); break;
		case 'b': sb_addch(&sb, '\b'); break;
		case 'f': sb_addch(&sb, '\f'); break;
		case 'n': sb_addch(&sb, '\n'); break;
		case 'r': sb_addch(&sb, '\r'); break;
		case 't': sb_addch(&sb, '\t'); break;
		case 'u':
			if (jp_hex4(p, &cp) < 0) {
				jp_fail(p, "Invalid \\uXXXX escape");
				goto bad;
			}
			if (cp >= 0xd800 && cp < 0xdc00 && p->i + 6 <= p->n &&
			    p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
				size_t save = p->i;

				p->i += 2;
				if (jp_hex4(p, &lo) == 0 && lo >= 0xdc00 &&
				    lo < 0xe000)
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
				else
					p->i = save;
			}
			sb_addutf8(&sb, cp);
			break;
		default:
			p->i--;
			jp_fail(p, "Invalid \\escape");
			goto bad;
		}
	}
	v = val_new_strn(p->a, sb.buf, sb.len);
	sb_release(&sb);
	return v;
bad:
	sb_release(&sb);
	return NULL;
}

static struct value *jp_value(struct jp *);

static struct value *
jp_number(struct jp *p)
{
	size_t b = p->i;
	bool isfloat = false;
	char buf[128];

	if (p->s[p->i] == '-')
		p->i++;
	if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') {
		jp_fail(p, "Expecting value");
		return NULL;
	}
	if (p->s[p->i] == '0')
		p->i++;
	else
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	if (p->i + 1 < p->n && p->s[p->i] == '.' && p->s[p->i + 1] >= '0' &&
	    p->s[p->i + 1] <= '9') {
		isfloat = true;
		p->i++;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		size_t save = p->i++;

		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
			isfloat = true;
			while (p->i < p->n && p->s[p->i] >= '0' &&
			    p->s[p->i] <= '9')
				p->i++;
		} else
			p->i = save;
	}
	if (p->i - b >= sizeof(buf)) {
		jp_fail(p, "number too long");
		return NULL;
	}
	memcpy(buf, p->s + b, p->i - b);
	buf[p->i - b] = '\0';
	if (!isfloat) {
		errno = 0;
		long long v = strtoll(buf, NULL, 10);

		if (errno != ERANGE)
			return val_new_int(p->a, v);
	}
	return val_new_float(p->a, strtod(buf, NULL));
}

static struct value *
jp_value(struct jp *p)
{
	struct value *v;

	jp_ws(p);
	if (p->i >= p->n) {
		jp_fail(p, "Expecting value");
		return NULL;
	}
	if (++p->depth > 500) {
		jp_fail(p, "nested too deeply");
		return NULL;
	}
	char c = p->s[p->i];
	const char *rest = p->s + p->i;
	size_t left = p->n - p->i;
	if (c == '{') {
		v = val_new_dict(p->a);
		p->i++;
		jp_ws(p);
		if (p->i < p->n && p->s[p->i] == '}')
			p->i++;
		else
			for (;;) {
				struct value *k, *x;

				jp_ws(p);
				if (p->i >= p->n || p->s[p->i] != '"') {
					jp_fail(p, "Expecting property name "
					    "enclosed in double quotes");
					return NULL;
				}
				if ((k = jp_string(p)) == NULL)
					return NULL;
				jp_ws(p);
				if (p->i >= p->n || p->s[p->i] != ':') {
					jp_fail(p, "Expecting ':' delimiter");
					return NULL;
				}
				p->i++;
				if ((x = jp_value(p)) == NULL)
					return NULL;
				val_dict_setv(p->a, v, k, x);
				jp_ws(p);
				if (p->i < p->n && p->s[p->i] == ',') {
					p->i++;
					continue;
				}
				if (p->i < p->n && p->s[p->i] == '}') {
					p->i++;
					break;
				}
				jp_fail(p, "Expecting ',' delimiter");
				return NULL;
			}
	} else if (c == '[') {
		v = val_new_list(p->a);
		p->i++;
		jp_ws(p);
		if (p->i < p->n && p->s[p->i] == ']')
			p->i++;
		else
			for (;;) {
				struct value *x = jp_value(p);

				if (x == NULL)
					return NULL;
				val_list_push(p->a, v, x);
				jp_ws(p);
				if (p->i < p->n && p->s[p->i] == ',') {
					p->i++;
					continue;
				}
				if (p->i < p->n && p->s[p->i] == ']') {
					p->i++;
					break;
				}
				jp_fail(p, "Expecting ',' delimiter");
				return NULL;
			}
	} else if (c == '"') {
		v = jp_string(p);
	} else if (left >= 4 && memcmp(rest, "true", 4) == 0) {
		v = &val_true;
		p->i += 4;
	} else if (left >= 5 && memcmp(rest, "false", 5) == 0) {
		v = &val_false;
		p->i += 5;
	} else if (left >= 4 && memcmp(rest, "null", 4) == 0) {
		v = &val_none;
		p->i += 4;
	} else if (left >= 3 && memcmp(rest, "NaN", 3) == 0) {
		v = val_new_float(p->a, NAN);
		p->i += 3;
	} else if (left >= 8 && memcmp(rest, "Infinity", 8) == 0) {
		v = val_new_float(p->a, INFINITY);
		p->i += 8;
	} else if (left >= 9 && memcmp(rest, "-Infinity", 9) == 0) {
		v = val_new_float(p->a, -INFINITY);
		p->i += 9;
	} else
		v = jp_number(p);
	p->depth--;
	return v;
}

struct value *
json_parse(struct arena *a, const char *name, const char *text, size_t len,
    struct err *err)
{
	struct jp p = { a, name, text, len, 0, 0, err };
	struct value *v = jp_value(&p);

	if (v == NULL)
		return NULL;
	jp_ws(&p);
	if (p.i < p.n) {
		jp_fail(&p, "Extra data");
		return NULL;
	}
	return v;
}
