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
