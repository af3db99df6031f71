/*
 * out/playbook.c: the default callback's text (out/playbook.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
