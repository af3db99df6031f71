/*
 * out/json_callback.c: Ansible's json stdout callback (ansible.posix.json,
 * chosen with ANSIBLE_STDOUT_CALLBACK=json) as a sink (out/sink.h).
 * Nothing is printed until the recap; then one document:
 *
 *   {"custom_stats": {}, "global_custom_stats": {},
 *    "plays": [{"play": {"duration": {"start", "end"}, "id", "name", "path"},
 *               "tasks": [{"hosts": {HOST: RESULT},
 *                          "task": {"duration", "id", "name", "path"}}]}],
 *    "stats": {HOST: {"changed", "failures", "ignored", "ok", "rescued",
 *                     "skipped", "unreachable"}}}
 *
 * with sorted keys, indented by ANSIBLE_JSON_INDENT (default 4; 0 or less:
 * one line).  A RESULT is what the callback gets (TaskResult.clean_copy():
 * censored for no_log, no "failed"/"skipped", internal keys stripped but
 * for _ansible_no_log, _ansible_item_label, _ansible_verbose_always and
 * _ansible_verbose_override) with "action" and, as the callback method
 * says, "failed": true or "skipped": true.  The _ansible_no_log and
 * _ansible_item_label keys Ansible's executor puts in a module's (or
 * item's) result are added here.  Linear: a task entry per task start (a
 * meta task starts once a host); free: one per host and task, as the
 * callback's non-lockstep mode records them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../json.h"
#include "../play.h"
#include "../util.h"
#include "sink.h"

/* Item labels of a task with loop_control.label, until its host result. */
struct pending_labels {
	const struct strbuf	*out;		/* the job's (ev_host) */
	const char		*host;
	struct value		*labels;	/* list of str */
};

struct id_entry {
	const void	*key;		/* a struct play or struct task */
	const char	*id;
};

struct json_cb {
	pthread_mutex_t		 lock;
	struct arena		 a;		/* the document */
	struct value		*plays;		/* "plays" */
	struct value		*play;		/* the last play's "play" */
	struct value		*tasks;		/* its "tasks" */
	struct value		*task;		/* the last task entry */
	const struct play	*cur_play;
	bool			 free;		/* not lockstep */
	int			 indent;
	char			 id_prefix[32];
	unsigned long		 nextid;
	struct id_entry		*ids;
	size_t			 nids, aids;
	struct pending_labels	*pend;
	size_t			 npend, apend;
	char			*last_file, *last_real;	/* realpath cache */
};

/* The start of a free-strategy host's task: its walker's thread. */
static _Thread_local char free_start[40];

static void
now(char *buf, size_t size)
{
	struct strbuf sb = STRBUF_INIT;

	ev_time(&sb);
	snprintf(buf, size, "%s", sb.buf);
	sb_release(&sb);
}

/* A uuid-like id per play and task, as Ansible's _uuid. */
static const char *
id_of(struct json_cb *s, const void *key)
{
	for (size_t i = s->nids; i > 0; i--)
		if (s->ids[i - 1].key == key)
			return s->ids[i - 1].id;
	s->ids = xgrow(s->ids, s->nids + 1, &s->aids, sizeof(*s->ids));
	s->ids[s->nids].key = key;
	s->ids[s->nids].id = arena_printf(&s->a, "%s%012lx", s->id_prefix,
	    ++s->nextid);
	return s->ids[s->nids++].id;
}

/* "/abs/file.yml:LINE" (Ansible's get_path()). */
static struct value *
path_of(struct json_cb *s, const struct pos *pos)
{
	if (pos->file == NULL)
		return val_new_str(&s->a, "");
	if (s->last_file == NULL || strcmp(s->last_file, pos->file) != 0) {
		char *real = realpath(pos->file, NULL);

		free(s->last_file);
		free(s->last_real);
		s->last_file = xstrdup(pos->file);
		s->last_real = real != NULL ? real : xstrdup(pos->file);
	}
	return val_new_strf(&s->a, "%s:%u", s->last_real, pos->line);
}

static void
jcb_play_start(void *ud, const struct play *p, const char *name)
{
	struct json_cb *s = ud;
	struct arena *a = &s->a;
	struct value *entry = val_new_dict(a), *dur = val_new_dict(a);
	char t[40];

	now(t, sizeof(t));
	pthread_mutex_lock(&s->lock);
	s->cur_play = p;
	s->free = p->strategy_free;
	s->play = val_new_dict(a);
	s->tasks = val_new_list(a);
	s->task = NULL;
	val_dict_set(a, dur, "start", val_new_str(a, t));
	val_dict_set(a, s->play, "duration", dur);
	val_dict_set(a, s->play, "id", val_new_str(a, id_of(s, p)));
	val_dict_set(a, s->play, "name", val_new_str(a, name));
	val_dict_set(a, s->play, "path", path_of(s, &p->pos));
	val_dict_set(a, entry, "play", s->play);
	val_dict_set(a, entry, "tasks", s->tasks);
	val_list_push(a, s->plays, entry);
	pthread_mutex_unlock(&s->lock);
}

/* A task entry (lock held): {"hosts": {}, "task": {...}}. */
static struct value *
new_task(struct json_cb *s, const struct task *t, const char *start)
{
	struct arena *a = &s->a;
	struct value *entry = val_new_dict(a), *task = val_new_dict(a);
	struct value *dur = val_new_dict(a);
	struct strbuf name = STRBUF_INIT;

	val_dict_set(a, dur, "start", val_new_str(a, start));
	val_dict_set(a, task, "duration", dur);
	val_dict_set(a, task, "id", val_new_str(a, id_of(s, t)));
	val_dict_set(a, task, "name", val_new_str(a, ev_task_name(&name, t)));
	/* the implicit Gathering Facts is the play's */
	val_dict_set(a, task, "path", path_of(s, t->pos.file != NULL ?
	    &t->pos : &s->cur_play->pos));
	val_dict_set(a, entry, "hosts", val_new_dict(a));
	val_dict_set(a, entry, "task", task);
	val_list_push(a, s->tasks, entry);
	sb_release(&name);
	return entry;
}

static void
jcb_task_start(void *ud, const struct task *t, const char *kind)
{
	struct json_cb *s = ud;
	char start[40];

	(void)kind;
	now(start, sizeof(start));
	if (s->free) {
		memcpy(free_start, start, sizeof(free_start));
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (s->tasks != NULL)
		s->task = new_task(s, t, start);
	pthread_mutex_unlock(&s->lock);
}

static void
jcb_item_result(void *ud, const struct ev_host *eh, enum host_status st,
    const char *label, const struct value *res)
{
	struct json_cb *s = ud;
	struct pending_labels *p = NULL;

	(void)st;
	(void)res;
	if (eh->task->label == NULL || label == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->npend && p == NULL; i++)
		if (s->pend[i].out == eh->out &&
		    strcmp(s->pend[i].host, eh->host) == 0)
			p = &s->pend[i];
	if (p == NULL) {
		s->pend = xgrow(s->pend, s->npend + 1, &s->apend,
		    sizeof(*s->pend));
		p = &s->pend[s->npend++];
		p->out = eh->out;
		p->host = arena_strdup(&s->a, eh->host);
		p->labels = val_new_list(&s->a);
	}
	val_list_push(&s->a, p->labels, val_new_str(&s->a, label));
	pthread_mutex_unlock(&s->lock);
}

/* The labels item_result() kept for this host's job (lock held). */
static struct value *
take_labels(struct json_cb *s, const struct ev_host *eh)
{
	for (size_t i = 0; i < s->npend; i++)
		if (s->pend[i].out == eh->out &&
		    strcmp(s->pend[i].host, eh->host) == 0) {
			struct value *l = s->pend[i].labels;

			s->pend[i] = s->pend[--s->npend];
			return l;
		}
	return NULL;
}

/* The task's action as Ansible names it. */
static const char *
action_of(const struct task *t)
{
	if (t->mod == NULL)
		return "include_tasks";
	/* the play's implicit fact gathering runs the gather_facts action */
	if (t->pos.file == NULL && strcmp(t->mod->name, "setup") == 0)
		return "gather_facts";
	return t->action;
}

/* Keys Ansible's executor adds to a result the module gave (or a skip). */
static void
add_executor_keys(struct arena *a, struct value *r, const struct task *t)
{
	if (r->type != VAL_DICT || val_truthy(val_dict_get(r, "unreachable")))
		return;
	/* an include's own result has none */
	if (t->include != NULL && val_dict_get(r, "include") != NULL)
		return;
	if (val_dict_get(r, "_ansible_no_log") == NULL)
		val_dict_set(a, r, "_ansible_no_log", val_bool(t->no_log));
}

/* TaskResult.clean_copy(), then what the callback adds. */
static struct value *
record(struct json_cb *s, const struct ev_host *eh, enum host_status st,
    const struct value *res, struct value *labels)
{
	static const char *const keep[] = { "_ansible_verbose_always",
	    "_ansible_item_label", "_ansible_no_log",
	    "_ansible_verbose_override", NULL };
	const struct task *t = eh->task;
	struct arena *a = &s->a;
	struct value *r, *items;
	bool looped;

	if (res == NULL || res->type != VAL_DICT)
		r = val_new_dict(a);
	else if (t->no_log)
		r = val_copy(a, ev_censored(a, t, res));
	else {
		r = ev_strip_internal(a, res, keep);
		val_dict_del(r, "failed");
		val_dict_del(r, "skipped");
		if (t->mod != NULL && strcmp(t->mod->name, "debug") == 0)
			val_dict_del(r, "invocation");
		items = val_dict_get(r, "results");
		looped = t->loop_kind != LOOP_NONE && items != NULL &&
		    items->type == VAL_LIST;
		if (!looped && st != HS_UNREACHABLE)
			add_executor_keys(a, r, t);
		for (size_t i = 0; looped && i < items->u.list->n; i++) {
			struct value *it = items->u.list->items[i];
			struct value *lbl = labels != NULL ?
			    val_list_get(labels, i) : NULL;

			if (it->type != VAL_DICT)
				continue;
			if (lbl == NULL)
				lbl = val_dict_get(it, t->loop_var);
			if (lbl != NULL)
				val_dict_set(a, it, "_ansible_item_label", lbl);
			add_executor_keys(a, it, t);
		}
	}
	if (st == HS_FAILED)
		val_dict_set(a, r, "failed", &val_true);
	if (st == HS_SKIPPED)
		val_dict_set(a, r, "skipped", &val_true);
	val_dict_set(a, r, "action", val_new_str(a, action_of(t)));
	return r;
}

/* Put r as host's result in the task's entry; the durations end now. */
static void
store(struct json_cb *s, const struct task *t, const char *host,
    struct value *r)
{
	struct arena *a = &s->a;
	struct value *entry = s->task;
	char end[40];

	now(end, sizeof(end));
	if (s->free || entry == NULL)
		entry = new_task(s, t, s->free && free_start[0] != '\0' ?
		    free_start : end);
	val_dict_set(a, val_dict_get(entry, "hosts"), host, r);
	val_dict_set(a, val_dict_get(val_dict_get(entry, "task"), "duration"),
	    "end", val_new_str(a, end));
	val_dict_set(a, val_dict_get(s->play, "duration"), "end",
	    val_new_str(a, end));
}

static void
jcb_host_result(void *ud, const struct ev_host *eh, enum host_status st,
    const struct value *res, bool ignored)
{
	struct json_cb *s = ud;

	(void)ignored;
	pthread_mutex_lock(&s->lock);
	if (s->play != NULL)
		store(s, eh->task, eh->host, record(s, eh, st, res,
		    take_labels(s, eh)));
	pthread_mutex_unlock(&s->lock);
}

/* A meta task whose when was false, as Ansible's _execute_meta() says. */
static struct value *
meta_skipped(struct arena *a, const struct task *t, const char *host)
{
	/* what skip_reason adds (and the host, where a host is named) */
	static const struct {
		const char	*directive, *more;
		bool		 host;
	} why[] = {
		{ "flush_handlers", ", not running handlers for ", true },
		{ "clear_facts", ", not clearing facts and fact cache for ",
		    true },
		{ "clear_host_errors", ", not clearing host error state for ",
		    true },
		{ "end_batch", ", continuing current batch", false },
		{ "end_play", ", continuing play", false },
		{ "end_host", ", continuing execution for ", true },
	};
	const struct value *d = val_dict_get(t->args, "_raw_params");
	const char *dir = d != NULL && d->type == VAL_STR ? d->u.str.s : "";
	struct value *r = val_new_dict(a);
	struct strbuf sb = STRBUF_INIT;

	val_dict_set(a, r, "msg", val_new_str(a, dir));
	sb_addf(&sb, "%s conditional evaluated to False", dir);
	for (size_t i = 0; i < sizeof(why) / sizeof(*why); i++)
		if (strcmp(dir, why[i].directive) == 0) {
			sb_adds(&sb, why[i].more);
			if (why[i].host)
				sb_adds(&sb, host);
		}
	if (strcmp(dir, "end_host") == 0)
		val_dict_set(a, r, "msg", val_new_strf(a, "end_host conditional "
		    "evaluated to false, continuing execution for %s", host));
	val_dict_set(a, r, "skip_reason", val_new_str(a, sb.buf));
	val_dict_set(a, r, "skipped", &val_true);
	val_dict_set(a, r, "action", val_new_str(a, t->action));
	sb_release(&sb);
	return r;
}

static void
jcb_meta(void *ud, struct strbuf *out, const struct task *t,
    const char *kind, const char *host, bool skipped)
{
	struct json_cb *s = ud;
	struct arena *a = &s->a;
	char start[40];

	(void)out;
	(void)kind;
	now(start, sizeof(start));
	pthread_mutex_lock(&s->lock);
	if (s->play == NULL) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	/* Ansible's linear strategy starts a meta task once a host */
	if (!s->free)
		s->task = new_task(s, t, start);
	else
		memcpy(free_start, start, sizeof(free_start));
	if (skipped)
		store(s, t, host, meta_skipped(a, t, host));
	pthread_mutex_unlock(&s->lock);
}

static void
jcb_stats(void *ud, struct host_stats *st, size_t n)
{
	struct json_cb *s = ud;
	struct arena *a = &s->a;
	struct json_opts o = { s->indent, true, true };
	struct value *doc = val_new_dict(a), *stats = val_new_dict(a);
	struct strbuf sb = STRBUF_INIT;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		struct value *h = val_new_dict(a);

		val_dict_set(a, h, "changed", val_new_int(a, st[i].changed));
		val_dict_set(a, h, "failures", val_new_int(a, st[i].failed));
		val_dict_set(a, h, "ignored", val_new_int(a, st[i].ignored));
		val_dict_set(a, h, "ok", val_new_int(a, st[i].ok));
		val_dict_set(a, h, "rescued", val_new_int(a, st[i].rescued));
		val_dict_set(a, h, "skipped", val_new_int(a, st[i].skipped));
		val_dict_set(a, h, "unreachable", val_new_int(a,
		    st[i].unreachable));
		val_dict_set(a, stats, st[i].host, h);
	}
	val_dict_set(a, doc, "custom_stats", val_new_dict(a));
	val_dict_set(a, doc, "global_custom_stats", val_new_dict(a));
	val_dict_set(a, doc, "plays", s->plays);
	val_dict_set(a, doc, "stats", stats);
	json_encode(&sb, doc, &o);
	pthread_mutex_unlock(&s->lock);
	sb_addch(&sb, '\n');
	fputs(sb.buf, stdout);
	fflush(stdout);
	sb_release(&sb);
}

static void
jcb_release(void *ud)
{
	struct json_cb *s = ud;

	pthread_mutex_destroy(&s->lock);
	arena_release(&s->a);
	free(s->ids);
	free(s->pend);
	free(s->last_file);
	free(s->last_real);
	free(s);
}

void *
sink_json_callback_new(void)
{
	struct json_cb *s = xcalloc(1, sizeof(*s));
	const char *ind = getenv("ANSIBLE_JSON_INDENT");
	struct timespec ts;
	unsigned r;

	pthread_mutex_init(&s->lock, NULL);
	arena_init(&s->a);
	s->plays = val_new_list(&s->a);
	s->indent = ind != NULL && *ind != '\0' ? atoi(ind) : 4;
	if (s->indent <= 0)
		s->indent = -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	r = (unsigned)ts.tv_nsec ^ (unsigned)getpid() * 2654435761u;
	snprintf(s->id_prefix, sizeof(s->id_prefix), "%08x-%04x-%04x-%04x-",
	    r, (unsigned)getpid() & 0xffff, (unsigned)ts.tv_sec & 0xffff,
	    (r >> 7) & 0xffff);
	return s;
}

const struct sink_ops sink_json_callback_ops = {
	.name = "json",
	.play_start = jcb_play_start,
	.task_start = jcb_task_start,
	.item_result = jcb_item_result,
	.host_result = jcb_host_result,
	.meta = jcb_meta,
	.stats = jcb_stats,
	.release = jcb_release,
};
