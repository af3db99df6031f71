/*
 * out/playbook.c: the default callback's text (out/playbook.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../difflib.h"
#include "../json.h"
#include "playbook.h"

void
out_pb_banner(struct strbuf *sb, const char *kind, const char *name)
{
	size_t start = sb->len, len;
	int stars;

	sb_addf(sb, "\n%s [%s]", kind, name);
	len = sb->len - start - 1;
	stars = 79 - (int)len;
	if (stars <= 3)
		stars = 3;
	sb_addch(sb, ' ');
	for (int i = 0; i < stars; i++)
		sb_addch(sb, '*');
	sb_addch(sb, '\n');
}

/* The result as Ansible dumps it: internal keys gone, sorted keys. */
static void
dump(struct strbuf *sb, const struct value *v, int indent, bool is_debug,
    bool failure)
{
	struct arena a = ARENA_INIT;
	struct value *c = val_new_dict(&a);
	struct json_opts o = { indent, true, false };
	bool has_msg = val_dict_get(v, "msg") != NULL;

	for (size_t i = 0; v != NULL && v->type == VAL_DICT &&
	    i < v->u.dict->n; i++) {
		const struct value *k = v->u.dict->ent[i].key;

		/* Ansible's _dump_results() and _handle_warnings() */
		if (k->type == VAL_STR && (strncmp(k->u.str.s, "_ansible", 8) ==
		    0 || strcmp(k->u.str.s, "invocation") == 0 ||
		    strcmp(k->u.str.s, "diff") == 0 ||
		    strcmp(k->u.str.s, "exception") == 0 ||
		    strcmp(k->u.str.s, "warnings") == 0 ||
		    strcmp(k->u.str.s, "deprecations") == 0 ||
		    (failure && strcmp(k->u.str.s, "failed") == 0)))
			continue;
		if (is_debug && (has_msg ? !(val_is_str(k, "msg") ||
		    val_is_str(k, "warnings")) : (val_is_str(k, "changed") ||
		    val_is_str(k, "failed") || val_is_str(k, "skipped") ||
		    val_is_str(k, "item") || val_is_str(k, "ansible_loop_var"))))
			continue;
		val_dict_setv(&a, c, v->u.dict->ent[i].key,
		    v->u.dict->ent[i].val);
	}
	json_encode(sb, c, &o);
	arena_release(&a);
}

void
out_pb_result(struct strbuf *sb, const char *host, enum host_status st,
    const char *item, const struct value *res, bool verbose, bool is_debug)
{
	switch (st) {
	case HS_SKIPPED:
		if (item != NULL)
			sb_addf(sb, "skipping: [%s] => (item=%s) \n", host, item);
		else
			sb_addf(sb, "skipping: [%s]\n", host);
		return;
	case HS_FAILED:
	case HS_UNREACHABLE:
		if (item != NULL)
			sb_addf(sb, "failed: [%s] (item=%s) => ", host, item);
		else
			sb_addf(sb, "fatal: [%s]: %s! => ", host,
			    st == HS_FAILED ? "FAILED" : "UNREACHABLE");
		dump(sb, res, -1, false, true);
		sb_addch(sb, '\n');
		return;
	default:
		sb_addf(sb, "%s: [%s]", st == HS_CHANGED ? "changed" : "ok",
		    host);
		if (item != NULL)
			sb_addf(sb, " => (item=%s)", item);
		if (verbose) {
			sb_adds(sb, " => ");
			dump(sb, res, 4, is_debug, false);
		}
		sb_addch(sb, '\n');
	}
}

/* Split text into lines that keep their "\n" (str.splitlines(True)). */
static struct dl_line *
split_lines(const char *s, size_t len, size_t *n)
{
	size_t cap = 16;
	struct dl_line *l = malloc(cap * sizeof(*l));

	*n = 0;
	for (size_t i = 0; i < len;) {
		size_t e = i;

		while (e < len && memchr("\n\r\v\f\x1c\x1d\x1e", s[e], 7) == NULL)
			e++;
		if (e < len && s[e] == '\r' && e + 1 < len && s[e + 1] == '\n')
			e++;
		if (e < len)
			e++;
		if (*n == cap) {
			cap *= 2;
			l = realloc(l, cap * sizeof(*l));
		}
		l[(*n)++] = (struct dl_line){ s + i, e - i };
		i = e;
	}
	return l;
}

/* before/after as text: a dict is dumped as Ansible's _serialize_diff. */
static void
diff_side(struct strbuf *sb, const struct value *v)
{
	static const struct json_opts o = { 4, true, true };

	if (v == NULL || v->type == VAL_NULL)
		return;
	if (v->type == VAL_DICT) {
		json_encode(sb, v, &o);
		sb_addch(sb, '\n');
		return;
	}
	val_str(sb, v);
}

/* A last line without "\n" gets Python's marker, as Ansible adds it. */
static void
mark_no_newline(struct strbuf *sb)
{
	if (sb->len > 0 && sb->buf[sb->len - 1] != '\n')
		sb_adds(sb, "\n\\ No newline at end of file\n");
}

static void
one_diff(struct strbuf *sb, const struct value *d)
{
	static const char *const skips[][2] = {
		{ "dst_binary", "diff skipped: destination file appears to be "
		  "binary\n" },
		{ "src_binary", "diff skipped: source file appears to be "
		  "binary\n" },
	};
	const struct value *v;

	if (d == NULL || d->type != VAL_DICT)
		return;
	for (size_t i = 0; i < 2; i++)
		if (val_dict_get(d, skips[i][0]) != NULL)
			sb_adds(sb, skips[i][1]);
	if ((v = val_dict_get(d, "dst_larger")) != NULL) {
		sb_adds(sb, "diff skipped: destination file size is greater "
		    "than ");
		val_str(sb, v);
		sb_addch(sb, '\n');
	}
	if ((v = val_dict_get(d, "src_larger")) != NULL) {
		sb_adds(sb, "diff skipped: source file size is greater than ");
		val_str(sb, v);
		sb_addch(sb, '\n');
	}
	if (val_dict_get(d, "before") != NULL &&
	    val_dict_get(d, "after") != NULL) {
		struct strbuf b = STRBUF_INIT, af = STRBUF_INIT;
		struct strbuf bh = STRBUF_INIT, ah = STRBUF_INIT;
		struct dl_line *bl, *al;
		size_t nb, na;

		size_t blen, alen;

		diff_side(&b, val_dict_get(d, "before"));
		diff_side(&af, val_dict_get(d, "after"));
		blen = b.len;
		alen = af.len;
		mark_no_newline(&b);
		mark_no_newline(&af);
		if ((v = val_dict_get(d, "before_header")) != NULL) {
			sb_adds(&bh, "before: ");
			val_str(&bh, v);
		} else
			sb_adds(&bh, "before");
		if ((v = val_dict_get(d, "after_header")) != NULL) {
			sb_adds(&ah, "after: ");
			val_str(&ah, v);
		} else
			sb_adds(&ah, "after");
		/* the marker belongs to the last line, as Python adds it */
		bl = split_lines(b.buf, blen, &nb);
		al = split_lines(af.buf, alen, &na);
		if (nb > 0)
			bl[nb - 1].len += b.len - blen;
		if (na > 0)
			al[na - 1].len += af.len - alen;
		if (dl_unified(sb, bl, nb, al, na, bh.buf, ah.buf, 3))
			sb_addch(sb, '\n');
		free(bl);
		free(al);
		sb_release(&b);
		sb_release(&af);
		sb_release(&bh);
		sb_release(&ah);
	}
	if ((v = val_dict_get(d, "prepared")) != NULL)
		val_str(sb, v);
}

void
out_pb_diff(struct strbuf *sb, const struct value *diff)
{
	size_t start = sb->len;

	if (diff != NULL && diff->type == VAL_LIST)
		for (size_t i = 0; i < diff->u.list->n; i++)
			one_diff(sb, diff->u.list->items[i]);
	else
		one_diff(sb, diff);
	/* display() ends the text with a newline if it has none */
	if (sb->len > start && sb->buf[sb->len - 1] != '\n')
		sb_addch(sb, '\n');
}

void
out_pb_ignoring(struct strbuf *sb)
{
	sb_adds(sb, "...ignoring\n");
}

static int
cmp_stats(const void *a, const void *b)
{
	return strcmp(((const struct host_stats *)a)->host,
	    ((const struct host_stats *)b)->host);
}

void
out_pb_recap(struct strbuf *sb, struct host_stats *hs, size_t n)
{
	char num[32];

	sb_adds(sb, "\nPLAY RECAP ");
	for (int i = 0; i < 79 - 10; i++)
		sb_addch(sb, '*');
	sb_addch(sb, '\n');
	qsort(hs, n, sizeof(*hs), cmp_stats);
	for (size_t i = 0; i < n; i++) {
		sb_addf(sb, "%-26s : ", hs[i].host);
#define F(name, v) do {							\
		snprintf(num, sizeof(num), "%d", v);			\
		sb_addf(sb, "%s=%-4s ", name, num);			\
	} while (0)
		F("ok", hs[i].ok);
		F("changed", hs[i].changed);
		F("unreachable", hs[i].unreachable);
		F("failed", hs[i].failed);
		F("skipped", hs[i].skipped);
		F("rescued", hs[i].rescued);
		sb_addf(sb, "ignored=%-4d", hs[i].ignored);
#undef F
		sb_addch(sb, '\n');
	}
	sb_addch(sb, '\n');
}
