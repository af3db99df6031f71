/*
 * out/journal.c: the journal sink (out/sink.h).  Every event of the run is
 * one JSON object on one line of the journal file ("JSON lines"), written
 * with one write(2) as it happens, so that `tail -f` is a live view and a
 * run that dies leaves whole lines.  Each object has "time" (UTC, ISO
 * 8601) and "event"; host events have "play", "task", "action", "host",
 * "status" and the module's "result" as register stores it, censored for
 * no_log tasks as the text shows it.  The file is created mode 0600:
 * results can hold secrets.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../json.h"
#include "../options.h"
#include "../play.h"
#include "../util.h"
#include "sink.h"

struct journal {
	pthread_mutex_t	 lock;		/* the file, play */
	int		 fd;
	char		*path;
	char		*play;		/* the current play's name */
	bool		 check, diff;
	bool		 write_failed;	/* warned once */
};

/* A new event object: {"time": ..., "event": name}. */
static struct value *
event(struct arena *a, const char *name)
{
	struct value *e = val_new_dict(a);
	struct strbuf t = STRBUF_INIT;

	ev_time(&t);
	val_dict_set(a, e, "time", val_new_str(a, t.buf));
	val_dict_set(a, e, "event", val_new_str(a, name));
	sb_release(&t);
	return e;
}

static void
set_str(struct arena *a, struct value *e, const char *key, const char *s)
{
	val_dict_set(a, e, key, s != NULL ? val_new_str(a, s) :
	    val_new(a, VAL_NULL));
}

/* One line, whole, with one write: a reader never sees half of it. */
static void
put(struct journal *j, const struct value *e)
{
	static const struct json_opts o = { -1, false, true };
	struct strbuf sb = STRBUF_INIT;
	size_t off = 0;

	json_encode(&sb, e, &o);
	sb_addch(&sb, '\n');
	while (off < sb.len && !j->write_failed) {
		ssize_t n = write(j->fd, sb.buf + off, sb.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "[WARNING]: cannot write the journal "
			    "'%s': %s\n", j->path, strerror(errno));
			j->write_failed = true;
			break;
		}
		off += (size_t)n;
	}
	sb_release(&sb);
}

/* "play" and the task's "task", "action" (and "path"). */
static void
task_fields(struct arena *a, struct journal *j, struct value *e,
    const struct task *t, bool with_path)
{
	struct strbuf name = STRBUF_INIT;

	set_str(a, e, "play", j->play);
	set_str(a, e, "task", ev_task_name(&name, t));
	set_str(a, e, "action", t->mod == NULL ? "include_tasks" :
	    t->action);
	if (with_path && t->pos.file != NULL)
		val_dict_set(a, e, "path", val_new_strf(a, "%s:%u",
		    t->pos.file, t->pos.line));
	sb_release(&name);
}

static void
host_fields(struct arena *a, struct journal *j, struct value *e,
    const struct ev_host *eh)
{
	task_fields(a, j, e, eh->task, false);
	set_str(a, e, "host", eh->host);
	if (eh->delegate != NULL && strcmp(eh->delegate, eh->host) != 0)
		set_str(a, e, "delegate", eh->delegate);
}

/* The result as register stores it; a no_log task's censored. */
static struct value *
result(struct arena *a, const struct task *t, const struct value *res)
{
	if (res == NULL)
		return val_new(a, VAL_NULL);
	return ev_strip_internal(a, ev_censored(a, t, res), NULL);
}

static void
jrn_playbook_start(void *ud, const char *path)
{
	struct journal *j = ud;
	struct arena a = ARENA_INIT;
	struct value *e = event(&a, "playbook_start");

	set_str(&a, e, "playbook", path);
	val_dict_set(&a, e, "check", val_bool(j->check));
	val_dict_set(&a, e, "diff", val_bool(j->diff));
	pthread_mutex_lock(&j->lock);
	put(j, e);
	pthread_mutex_unlock(&j->lock);
	arena_release(&a);
}

static void
jrn_play_start(void *ud, const struct play *p, const char *name)
{
	struct journal *j = ud;
	struct arena a = ARENA_INIT;
	struct value *e = event(&a, "play_start");

	set_str(&a, e, "play", name);
	set_str(&a, e, "strategy", p->strategy_free ? "free" : "linear");
	pthread_mutex_lock(&j->lock);
	free(j->play);
	j->play = xstrdup(name);
	put(j, e);
	pthread_mutex_unlock(&j->lock);
	arena_release(&a);
}

/* An event with only "play". */
static void
play_event(struct journal *j, const char *name)
{
	struct arena a = ARENA_INIT;
	struct value *e = event(&a, name);

	pthread_mutex_lock(&j->lock);
	set_str(&a, e, "play", j->play);
	put(j, e);
	pthread_mutex_unlock(&j->lock);
	arena_release(&a);
}

static void
jrn_no_hosts_matched(void *ud)
{
	play_event(ud, "no_hosts_matched");
}

static void
jrn_no_more_hosts(void *ud)
{
	play_event(ud, "no_more_hosts");
}

static void
jrn_task_start(void *ud, const struct task *t, const char *kind)
{
	struct journal *j = ud;
	struct arena a = ARENA_INIT;
	struct value *e = event(&a, strcmp(kind, "RUNNING HANDLER") == 0 ?
	    "handler_start" : "task_start");

	pthread_mutex_lock(&j->lock);
	task_fields(&a, j, e, t, true);
	put(j, e);
	pthread_mutex_unlock(&j->lock);
	arena_release(&a);
}

static void
jrn_retry(void *ud, const struct ev_host *eh, int retries_left,
    const struct value *res)
{
	struct journal *j = ud;
	struct arena a = ARENA_INIT;
	struct value *e = event(&a, "retry");

	pthread_mutex_lock(&j->lock);
	host_fields(&a, j, e, eh);
	val_dict_set(&a, e, "retries_left", val_new_int(&a, retries_left));
	val_dict_set(&a, e, "result", result(&a, eh->task, res));
	put(j, e);
	pthread_mutex_unlock(&j->lock);
	arena_release(&a);
}

static void
jrn_item_result(void *ud, const struct ev_host *eh, enum host_status st,
    const char *label, const struct value *res)
{
	struct journal *j = ud;
	struct arena a = ARENA_INIT;
	struct value *e = event(&a, "item_result");

	pthread_mutex_lock(&j->lock);
	host_fields(&a, j, e, eh);
	set_str(&a, e, "status", ev_status_name(st));
	/* a no_log item's label is as secret as its result */
	set_str(&a, e, "item", eh->task->no_log ? NULL : label);
	val_dict_set(&a, e, "result", result(&a, eh->task, res));
	put(j, e);
	pthread_mutex_unlock(&j->lock);
	arena_release(&a);
}

static void
jrn_host_result(void *ud, const struct ev_host *eh, enum host_status st,
    const struct value *res, bool ignored)
{
	struct journal *j = ud;
	struct arena a = ARENA_INIT;
	struct value *e = event(&a, "host_result");

	pthread_mutex_lock(&j->lock);
	host_fields(&a, j, e, eh);
	set_str(&a, e, "status", ignored ? "ignored" : ev_status_name(st));
	val_dict_set(&a, e, "result", result(&a, eh->task, res));
	put(j, e);
	pthread_mutex_unlock(&j->lock);
	arena_release(&a);
}

static void
jrn_meta(void *ud, struct strbuf *out, const struct task *t,
    const char *kind, const char *host, bool skipped)
{
	struct journal *j = ud;
	struct arena a = ARENA_INIT;
	struct value *e = event(&a, "meta");

	(void)out;
	(void)kind;
	pthread_mutex_lock(&j->lock);
	task_fields(&a, j, e, t, false);
	set_str(&a, e, "host", host);
	set_str(&a, e, "status", skipped ? "skipped" : "ok");
	put(j, e);
	pthread_mutex_unlock(&j->lock);
	arena_release(&a);
}

static void
jrn_included(void *ud, struct strbuf *out, const struct task *t,
    const char *file, const char *const *hosts, size_t nhosts,
    const char *label)
{
	struct journal *j = ud;
	struct arena a = ARENA_INIT;
	struct value *e = event(&a, "include");
	struct value *hl = val_new_list(&a);

	(void)out;
	for (size_t i = 0; i < nhosts; i++)
		val_list_push(&a, hl, val_new_str(&a, hosts[i]));
	pthread_mutex_lock(&j->lock);
	task_fields(&a, j, e, t, false);
	set_str(&a, e, "file", file);
	val_dict_set(&a, e, "hosts", hl);
	if (label != NULL)
		set_str(&a, e, "item", t->no_log ? NULL : label);
	put(j, e);
	pthread_mutex_unlock(&j->lock);
	arena_release(&a);
}

static int
cmp_stats(const void *x, const void *y)
{
	return strcmp(((const struct host_stats *)x)->host,
	    ((const struct host_stats *)y)->host);
}

static void
jrn_stats(void *ud, struct host_stats *st, size_t n)
{
	struct journal *j = ud;
	struct arena a = ARENA_INIT;
	struct value *e = event(&a, "stats");
	struct value *all = val_new_dict(&a);

	qsort(st, n, sizeof(*st), cmp_stats);
	for (size_t i = 0; i < n; i++) {
		struct value *h = val_new_dict(&a);

#define F(name) val_dict_set(&a, h, #name, val_new_int(&a, st[i].name))
		F(ok);
		F(changed);
		F(unreachable);
		F(failed);
		F(skipped);
		F(rescued);
		F(ignored);
#undef F
		val_dict_set(&a, all, st[i].host, h);
	}
	val_dict_set(&a, e, "stats", all);
	pthread_mutex_lock(&j->lock);
	put(j, e);
	pthread_mutex_unlock(&j->lock);
	arena_release(&a);
}

static void
jrn_release(void *ud)
{
	struct journal *j = ud;

	if (close(j->fd) < 0 && !j->write_failed)
		fprintf(stderr, "[WARNING]: cannot write the journal '%s': "
		    "%s\n", j->path, strerror(errno));
	pthread_mutex_destroy(&j->lock);
	free(j->path);
	free(j->play);
	free(j);
}

void *
sink_journal_new(const char *path, const struct run_opts *o,
    struct err *err)
{
	struct journal *j;
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_set(err, NULL, "cannot create the journal '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	/* an existing file keeps its mode through O_CREAT: tighten it */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0) {
		err_set(err, NULL, "cannot make the journal '%s' private: %s",
		    path, strerror(errno));
		close(fd);
		return NULL;
	}
	j = xcalloc(1, sizeof(*j));
	pthread_mutex_init(&j->lock, NULL);
	j->fd = fd;
	j->path = xstrdup(path);
	j->check = o->check;
	j->diff = o->diff;
	return j;
}

const struct sink_ops sink_journal_ops = {
	.name = "journal",
	.playbook_start = jrn_playbook_start,
	.play_start = jrn_play_start,
	.no_hosts_matched = jrn_no_hosts_matched,
	.task_start = jrn_task_start,
	.retry = jrn_retry,
	.item_result = jrn_item_result,
	.host_result = jrn_host_result,
	.meta = jrn_meta,
	.included = jrn_included,
	.no_more_hosts = jrn_no_more_hosts,
	.stats = jrn_stats,
	.release = jrn_release,
};
