/*
 * out/sink.c: the event fan-out and what the sinks share (out/sink.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "../options.h"
#include "../play.h"
#include "../util.h"
#include "sink.h"

void
ev_add(struct events *ev, const struct sink_ops *ops, void *state)
{
	if (ev->n == EV_MAX_SINKS)
		BUG("too many sinks");
	ev->sink[ev->n].ops = ops;
	ev->sink[ev->n].state = state;
	ev->n++;
}

/* Ansible's names for its json callback; anything else is not ours. */
static bool
is_json_callback(const char *name)
{
	return strcmp(name, "json") == 0 ||
	    strcmp(name, "ansible.posix.json") == 0;
}

static bool
is_default_callback(const char *name)
{
	return *name == '\0' || strcmp(name, "default") == 0 ||
	    strcmp(name, "ansible.builtin.default") == 0;
}

int
ev_open(struct events *ev, const struct run_opts *o, struct err *err)
{
	const char *cb = o->stdout_callback != NULL ? o->stdout_callback : "";
	void *j = NULL;

	memset(ev, 0, sizeof(*ev));
	if (o->journal != NULL && *o->journal != '\0' &&
	    (j = sink_journal_new(o->journal, o, err)) == NULL)
		return -1;
	if (is_json_callback(cb))
		ev_add(ev, &sink_json_callback_ops, sink_json_callback_new());
	else {
		if (!is_default_callback(cb))
			fprintf(stderr, "[WARNING]: stdout callback '%s' is not "
			    "supported, using 'default'\n", cb);
		ev_add(ev, &sink_text_ops, sink_text_new(o->verbosity));
	}
	if (j != NULL)
		ev_add(ev, &sink_journal_ops, j);
	return 0;
}

void
ev_release(struct events *ev)
{
	for (size_t i = 0; i < ev->n; i++)
		if (ev->sink[i].ops->release != NULL)
			ev->sink[i].ops->release(ev->sink[i].state);
	ev->n = 0;
}

/* Call op (a member of struct sink_ops) of every sink that has it. */
#define FAN_OUT(ev, op, ...) do {					\
	for (size_t i_ = 0; i_ < (ev)->n; i_++)				\
		if ((ev)->sink[i_].ops->op != NULL)			\
			(ev)->sink[i_].ops->op((ev)->sink[i_].state,	\
			    __VA_ARGS__);				\
} while (0)

#define FAN_OUT0(ev, op) do {						\
	for (size_t i_ = 0; i_ < (ev)->n; i_++)				\
		if ((ev)->sink[i_].ops->op != NULL)			\
			(ev)->sink[i_].ops->op((ev)->sink[i_].state);	\
} while (0)

void
ev_playbook_start(struct events *ev, const char *path)
{
	FAN_OUT(ev, playbook_start, path);
}

void
ev_play_start(struct events *ev, const struct play *p, const char *name)
{
	FAN_OUT(ev, play_start, p, name);
}

void
ev_no_hosts_matched(struct events *ev)
{
	FAN_OUT0(ev, no_hosts_matched);
}

void
ev_task_start(struct events *ev, const struct task *t, const char *kind)
{
	FAN_OUT(ev, task_start, t, kind);
}

void
ev_retry(struct events *ev, const struct ev_host *eh, int retries_left,
    const struct value *result)
{
	FAN_OUT(ev, retry, eh, retries_left, result);
}

void
ev_item_result(struct events *ev, const struct ev_host *eh,
    enum host_status st, const char *label, const struct value *result)
{
	FAN_OUT(ev, item_result, eh, st, label, result);
}

void
ev_host_result(struct events *ev, const struct ev_host *eh,
    enum host_status st, const struct value *result, bool ignored)
{
	FAN_OUT(ev, host_result, eh, st, result, ignored);
}

void
ev_meta(struct events *ev, struct strbuf *out, const struct task *t,
    const char *kind, const char *host, bool skipped)
{
	FAN_OUT(ev, meta, out, t, kind, host, skipped);
}

void
ev_included(struct events *ev, struct strbuf *out, const struct task *t,
    const char *file, const char *const *hosts, size_t nhosts,
    const char *label)
{
	FAN_OUT(ev, included, out, t, file, hosts, nhosts, label);
}

void
ev_flush(struct events *ev, struct strbuf *out, const struct task *t,
    const char *kind)
{
	FAN_OUT(ev, flush, out, t, kind);
}

void
ev_no_more_hosts(struct events *ev)
{
	FAN_OUT0(ev, no_more_hosts);
}

void
ev_stats(struct events *ev, struct host_stats *st, size_t n)
{
	FAN_OUT(ev, stats, st, n);
}

const char *
ev_task_name(struct strbuf *sb, const struct task *t)
{
	sb_reset(sb);
	if (t->mod == NULL)	/* include_tasks */
		sb_adds(sb, t->name != NULL ? t->name : "include_tasks");
	else if (t->role != NULL)
		sb_addf(sb, "%s : %s", t->role->name, task_display_name(t));
	else
		sb_adds(sb, task_display_name(t));
	return sb->buf;
}

const struct value *
ev_censored(struct arena *a, const struct task *t, const struct value *res)
{
	static const char *const keep[] = { "attempts", "changed", "retries" };
	struct value *c;

	if (!t->no_log || res == NULL || res->type != VAL_DICT)
		return res;
	c = val_new_dict(a);
	val_dict_set(a, c, "censored", val_new_str(a, "the output has been "
	    "hidden due to the fact that 'no_log: true' was specified for "
	    "this result"));
	for (size_t k = 0; k < sizeof(keep) / sizeof(*keep); k++) {
		struct value *v = val_dict_get(res, keep[k]);

		if (v != NULL)
			val_dict_set(a, c, keep[k], v);
	}
	return c;
}

static bool
is_internal(const struct value *k, const char *const *keep)
{
	if (k->type != VAL_STR || strncmp(k->u.str.s, "_ansible_", 9) != 0)
		return false;
	for (; keep != NULL && *keep != NULL; keep++)
		if (strcmp(k->u.str.s, *keep) == 0)
			return false;
	return true;
}

struct value *
ev_strip_internal(struct arena *a, const struct value *v,
    const char *const *keep)
{
	struct value *c;

	if (v == NULL)
		return NULL;
	switch (v->type) {
	case VAL_LIST:
		c = val_new_list(a);
		for (size_t i = 0; i < v->u.list->n; i++)
			val_list_push(a, c, ev_strip_internal(a,
			    v->u.list->items[i], keep));
		return c;
	case VAL_DICT:
		c = val_new_dict(a);
		for (size_t i = 0; i < v->u.dict->n; i++)
			if (!is_internal(v->u.dict->ent[i].key, keep))
				val_dict_setv(a, c, val_copy(a,
				    v->u.dict->ent[i].key), ev_strip_internal(a,
				    v->u.dict->ent[i].val, keep));
		return c;
	default:
		return val_copy(a, v);
	}
}

const char *
ev_status_name(enum host_status st)
{
	static const char *const names[] = {
		[HS_OK] = "ok",
		[HS_CHANGED] = "changed",
		[HS_SKIPPED] = "skipped",
		[HS_FAILED] = "failed",
		[HS_UNREACHABLE] = "unreachable",
	};

	return names[st];
}

void
ev_time(struct strbuf *sb)
{
	struct timespec ts;
	struct tm tm;
	char buf[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	sb_addf(sb, "%s.%06ldZ", buf, ts.tv_nsec / 1000);
}
