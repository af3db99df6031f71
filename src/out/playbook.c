/*
 * out/playbook.c: the default callback's text (out/playbook.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../difflib.h"
#include "../json.h"
#include "../play.h"
#include "../util.h"
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
		    /* TaskResult.clean_copy() */
		    strcmp(k->u.str.s, "failed") == 0 ||
		    strcmp(k->u.str.s, "skipped") == 0))
			continue;
		if (is_debug && (has_msg ? !(val_is_str(k, "msg") ||
		    val_is_str(k, "warnings")) : (val_is_str(k, "changed") ||
		    val_is_str(k, "failed") || val_is_str(k, "skipped") ||
		    val_is_str(k, "skip_reason") ||
		    val_is_str(k, "invocation"))))
			continue;
		val_dict_setv(&a, c, v->u.dict->ent[i].key,
		    v->u.dict->ent[i].val);
	}
	json_encode(sb, c, &o);
	arena_release(&a);
}

void
out_pb_result(struct strbuf *sb, const char *host, enum host_status st,
    const char *item, const struct value *res, int verbose, bool is_debug)
{
	switch (st) {
	case HS_SKIPPED:
		if (item != NULL)
			sb_addf(sb, "skipping: [%s] => (item=%s) ", host, item);
		else
			sb_addf(sb, "skipping: [%s]", host);
		if (verbose) {
			/* a loop's: the items had their lines */
			if (item == NULL && val_dict_get(res, "results") != NULL) {
				struct arena a = ARENA_INIT;
				struct value *c = val_copy(&a, res);

				val_dict_del(c, "results");
				sb_adds(sb, " => ");
				dump(sb, c, verbose > 1 ? 4 : -1, is_debug,
				    false);
				arena_release(&a);
			} else {
				sb_adds(sb, " => ");
				dump(sb, res, verbose > 1 ? 4 : -1, is_debug,
				    false);
			}
		}
		sb_addch(sb, '\n');
		return;
	case HS_FAILED:
	case HS_UNREACHABLE:
		if (item != NULL)
			sb_addf(sb, "failed: [%s] (item=%s) => ", host, item);
		else
			sb_addf(sb, "fatal: [%s]: %s! => ", host,
			    st == HS_FAILED ? "FAILED" : "UNREACHABLE");
		dump(sb, res, verbose > 1 ? 4 : -1, false, true);
		sb_addch(sb, '\n');
		return;
	default:
		sb_addf(sb, "%s: [%s]", st == HS_CHANGED ? "changed" : "ok",
		    host);
		if (item != NULL)
			sb_addf(sb, " => (item=%s)", item);
		if (verbose) {
			sb_adds(sb, " => ");
			dump(sb, res, verbose > 1 ? 4 : -1, is_debug, false);
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

/*
 * The text sink.  Lines of a host's task go to its ev_host buffer and out
 * whole in flush().  Linear: the task's banner came first, so print.
 * Free: hosts walk on their own threads, so a host's lines go out after
 * the task's banner unless that was the last banner printed (Ansible's
 * free strategy shows a banner again when another task's lines came
 * between).
 */
struct text_sink {
	pthread_mutex_t		 lock;		/* stdout, last_banner */
	const struct task	*last_banner;
	bool			 free;		/* the play's strategy is free */
	int			 verbosity;
};

static void
print_locked(struct text_sink *s, const char *text)
{
	pthread_mutex_lock(&s->lock);
	fputs(text, stdout);
	pthread_mutex_unlock(&s->lock);
}

static void
print_banner(struct text_sink *s, const char *kind, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	out_pb_banner(&sb, kind, name);
	print_locked(s, sb.buf);
	sb_release(&sb);
}

static bool
is_action(const struct task *t, const char *name)
{
	return t->mod != NULL && strcmp(t->mod->name, name) == 0;
}

/* "w1", or "w1 -> localhost" for a delegated task. */
static const char *
host_label(struct strbuf *sb, const struct ev_host *eh)
{
	sb_reset(sb);
	if (eh->delegate == NULL || strcmp(eh->delegate, eh->host) == 0)
		sb_adds(sb, eh->host);
	else
		sb_addf(sb, "%s -> %s", eh->host, eh->delegate);
	return sb->buf;
}

/* One result line (a task's or a loop item's). */
static void
show_result(struct text_sink *s, const struct ev_host *eh,
    enum host_status st, const char *label, const struct value *res,
    bool is_item)
{
	const struct task *t = eh->task;
	struct arena a = ARENA_INIT;
	struct strbuf host = STRBUF_INIT;
	const struct value *shown = ev_censored(&a, t, res);
	/* _dump_results(): indented at -vvv or for debug, else one line */
	bool always = val_truthy(val_dict_get(shown,
	    "_ansible_verbose_always"));
	int verb = always || s->verbosity > 2 ? 2 : s->verbosity > 0 ? 1 : 0;

	/* _run_is_verbose(): facts gathering asks not to be dumped */
	if (st != HS_FAILED && st != HS_UNREACHABLE &&
	    val_dict_get(shown, "_ansible_verbose_override") != NULL)
		verb = 0;

	/* the censored copy has no item: Python shows None */
	if (t->no_log && label != NULL)
		label = "None";
	/* --diff: before the "changed:" line, as v2_on_file_diff comes first */
	if (!is_item && eh->show_diff && !t->no_log &&
	    (st == HS_OK || st == HS_CHANGED) &&
	    val_truthy(val_dict_get(res, "changed")) &&
	    val_truthy(val_dict_get(res, "diff")))
		out_pb_diff(eh->out, val_dict_get(res, "diff"));
	out_pb_result(eh->out, host_label(&host, eh), st, label, shown, verb,
	    is_action(t, "debug"));
	sb_release(&host);
	arena_release(&a);
}

/* A result's warnings (and its loop items'), on stderr as Ansible does. */
static void
print_warnings(const struct value *res)
{
	const struct value *w = val_dict_get(res, "warnings");
	const struct value *items = val_dict_get(res, "results");

	for (size_t i = 0; w != NULL && w->type == VAL_LIST &&
	    i < w->u.list->n; i++) {
		struct strbuf sb = STRBUF_INIT;

		val_str(&sb, w->u.list->items[i]);
		fprintf(stderr, "[WARNING]: %s\n", sb.buf);
		sb_release(&sb);
	}
	for (size_t i = 0; items != NULL && items->type == VAL_LIST &&
	    i < items->u.list->n; i++)
		if (items->u.list->items[i]->type == VAL_DICT)
			print_warnings(items->u.list->items[i]);
}

static void
text_play_start(void *ud, const struct play *p, const char *name)
{
	struct text_sink *s = ud;

	pthread_mutex_lock(&s->lock);
	s->free = p->strategy_free;
	s->last_banner = NULL;
	pthread_mutex_unlock(&s->lock);
	print_banner(s, "PLAY", name);
}

static void
text_no_hosts_matched(void *ud)
{
	print_locked(ud, "skipping: no hosts matched\n");
}

static void
text_task_start(void *ud, const struct task *t, const char *kind)
{
	struct text_sink *s = ud;
	struct strbuf name = STRBUF_INIT;

	if (!s->free)
		print_banner(s, kind, ev_task_name(&name, t));
	sb_release(&name);
}

static void
text_retry(void *ud, const struct ev_host *eh, int retries_left,
    const struct value *res)
{
	(void)ud;
	(void)res;
	sb_addf(eh->out, "FAILED - RETRYING: [%s]: %s (%d retries left).\n",
	    eh->host, task_display_name(eh->task), retries_left);
}

static void
text_item_result(void *ud, const struct ev_host *eh, enum host_status st,
    const char *label, const struct value *res)
{
	/* include_tasks: "included:" lines say the rest */
	if (eh->task->include != NULL) {
		if (st == HS_SKIPPED)
			out_pb_result(eh->out, eh->host, st, label, res, false,
			    false);
		return;
	}
	show_result(ud, eh, st, label, res, true);
}

static void
text_host_result(void *ud, const struct ev_host *eh, enum host_status st,
    const struct value *res, bool ignored)
{
	const struct task *t = eh->task;
	const struct value *items = val_dict_get(res, "results");
	struct strbuf host = STRBUF_INIT;

	if (t->include != NULL) {
		if (st == HS_SKIPPED)
			show_result(ud, eh, st, NULL, res, false);
		else if (st == HS_FAILED)
			out_pb_result(eh->out, eh->host, st, NULL, res, false,
			    false);
		return;
	}
	print_warnings(res);
	if (t->loop_kind == LOOP_NONE || items == NULL ||
	    items->type != VAL_LIST) {
		/* meta prints nothing of its own */
		if (!is_action(t, "meta") || st == HS_FAILED ||
		    st == HS_SKIPPED)
			show_result(ud, eh, st, NULL, res, false);
	} else if (st == HS_SKIPPED)
		show_result(ud, eh, st, NULL, res, false);
	else {
		/* the items had their lines; their diffs come at the end */
		if (eh->show_diff && !t->no_log && st != HS_FAILED)
			for (size_t k = 0; k < items->u.list->n; k++) {
				const struct value *ir = items->u.list->items[k];

				if (val_truthy(val_dict_get(ir, "changed")) &&
				    val_truthy(val_dict_get(ir, "diff")))
					out_pb_diff(eh->out, val_dict_get(ir,
					    "diff"));
			}
		/* without "results", the callback shows the task's line */
		if (t->no_log)
			show_result(ud, eh, st, NULL, res, false);
	}
	if (ignored)
		out_pb_ignoring(eh->out);
	sb_release(&host);
}

static void
text_meta(void *ud, struct strbuf *out, const struct task *t,
    const char *kind, const char *host, bool skipped)
{
	struct text_sink *s = ud;

	if (!s->free)
		out_pb_banner(out, kind, task_display_name(t));
	if (skipped)
		sb_addf(out, "skipping: [%s]\n", host);
}

static void
text_included(void *ud, struct strbuf *out, const struct task *t,
    const char *file, const char *const *hosts, size_t nhosts,
    const char *label)
{
	(void)ud;
	(void)t;
	sb_addf(out, "included: %s for ", file);
	for (size_t i = 0; i < nhosts; i++)
		sb_addf(out, "%s%s", i > 0 ? ", " : "", hosts[i]);
	if (label != NULL)
		sb_addf(out, " => (item=%s)", label);
	sb_addch(out, '\n');
}

static void
text_flush(void *ud, struct strbuf *out, const struct task *t,
    const char *kind)
{
	struct text_sink *s = ud;

	pthread_mutex_lock(&s->lock);
	if (s->free && t != NULL && s->last_banner != t) {
		struct strbuf sb = STRBUF_INIT, name = STRBUF_INIT;

		out_pb_banner(&sb, kind, ev_task_name(&name, t));
		fputs(sb.buf, stdout);
		sb_release(&sb);
		sb_release(&name);
		s->last_banner = t;
	}
	fputs(out->buf, stdout);
	fflush(stdout);
	pthread_mutex_unlock(&s->lock);
}

static void
text_no_more_hosts(void *ud)
{
	print_locked(ud, "\nNO MORE HOSTS LEFT *************************"
	    "************************************\n");
}

static void
text_stats(void *ud, struct host_stats *st, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	out_pb_recap(&sb, st, n);
	print_locked(ud, sb.buf);
	sb_release(&sb);
}

static void
text_release(void *ud)
{
	struct text_sink *s = ud;

	pthread_mutex_destroy(&s->lock);
	free(s);
}

void *
sink_text_new(int verbosity)
{
	struct text_sink *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	s->verbosity = verbosity;
	return s;
}

const struct sink_ops sink_text_ops = {
	.name = "default",
	.play_start = text_play_start,
	.no_hosts_matched = text_no_hosts_matched,
	.task_start = text_task_start,
	.retry = text_retry,
	.item_result = text_item_result,
	.host_result = text_host_result,
	.meta = text_meta,
	.included = text_included,
	.flush = text_flush,
	.no_more_hosts = text_no_more_hosts,
	.stats = text_stats,
	.release = text_release,
};
