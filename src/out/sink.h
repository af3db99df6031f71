/*
 * out/sink.h: the events of a playbook run and the sinks that listen to
 * them.  The executor (exec.c) says what happens by calling the ev_*
 * functions and nothing else; struct events fans each event out to every
 * sink, in the order the sinks were added.  A sink is a table of
 * functions (struct sink_ops, shaped like the v2_* methods of Ansible's
 * callback plugins) and its state; an op left NULL is an event the sink
 * does not hear.  The sinks: ansible-playbook's default text (out/
 * playbook.c), Ansible's json stdout callback (out/json_callback.c) and
 * the JSON-lines journal (out/journal.c); ev_open() picks them from the
 * options.
 *
 * Threads: events come from the main thread, from worker threads (a
 * host's loop items and retries, while the task runs) and, with strategy
 * free, from every host's walker thread.  A sink locks what it shares.
 * A host's events for one task carry a struct ev_host whose `out` is that
 * host's output for the task: a sink that prints appends there from any
 * thread and prints it whole in flush(), which the printing thread calls
 * once the host is done (pool.h), so lines of hosts never interleave.
 * host_result() comes from the printing thread, right before flush().
 *
 * Ownership: an event lends its values for the duration of the call; a
 * sink that keeps one copies it.  ev_release() closes the sinks.
 */
#ifndef MUSTER_OUT_SINK_H
#define MUSTER_OUT_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "../err.h"
#include "../strbuf.h"
#include "../value.h"

struct play;
struct run_opts;
struct task;

enum host_status {
	HS_OK,
	HS_CHANGED,
	HS_SKIPPED,
	HS_FAILED,
	HS_UNREACHABLE,
};

struct host_stats {
	const char	*host;
	int		 ok, changed, unreachable, failed, skipped, rescued,
			 ignored;
};

/* One host's run of one task, as its events describe it. */
struct ev_host {
	const struct task	*task;
	const char		*kind;		/* "TASK", "RUNNING HANDLER" */
	const char		*host;		/* inventory name */
	const char		*delegate;	/* delegate_to's host, or NULL */
	bool			 show_diff;	/* --diff, or the task's diff */
	struct strbuf		*out;		/* its output, printed whole */
};

struct sink_ops {
	const char	*name;
	void	(*playbook_start)(void *, const char *path);
	/* Once a serial batch; name: the play's name or its hosts. */
	void	(*play_start)(void *, const struct play *, const char *name);
	void	(*no_hosts_matched)(void *);
	/* kind: "TASK" or "RUNNING HANDLER"; also include_tasks. */
	void	(*task_start)(void *, const struct task *, const char *kind);
	/* until: the result did not pass, the task runs again. */
	void	(*retry)(void *, const struct ev_host *, int retries_left,
		    const struct value *result);
	/* A loop item's result (label: loop_control.label or the item). */
	void	(*item_result)(void *, const struct ev_host *, enum host_status,
		    const char *label, const struct value *result);
	/*
	 * The host's result for the task (for a loop, "results" holds the
	 * items'); ignored: ignore_errors or ignore_unreachable held.
	 */
	void	(*host_result)(void *, const struct ev_host *, enum host_status,
		    const struct value *result, bool ignored);
	/* A meta task reached the host (skipped: its when was false). */
	void	(*meta)(void *, struct strbuf *out, const struct task *,
		    const char *kind, const char *host, bool skipped);
	/* include_tasks: the file runs for these hosts (label: the item). */
	void	(*included)(void *, struct strbuf *out, const struct task *,
		    const char *file, const char *const *hosts, size_t nhosts,
		    const char *label);
	/* A step's output is complete: print it (t: whose banner). */
	void	(*flush)(void *, struct strbuf *out, const struct task *,
		    const char *kind);
	/* any_errors_fatal or max_fail_percentage ended the play. */
	void	(*no_more_hosts)(void *);
	/* The recap (sinks may sort stats by host). */
	void	(*stats)(void *, struct host_stats *, size_t n);
	void	(*release)(void *);
};

#define EV_MAX_SINKS 4

struct events {
	struct {
		const struct sink_ops	*ops;
		void			*state;
	} sink[EV_MAX_SINKS];
	size_t	 n;
};

#define EVENTS_INIT { { { NULL, NULL } }, 0 }

/*
 * The sinks the options ask for: the text, or Ansible's json callback
 * (ANSIBLE_STDOUT_CALLBACK=json), and the journal (--journal FILE, or
 * MUSTER_JOURNAL), whose file is created here, mode 0600.  0, or -1 with
 * err set.
 */
int	ev_open(struct events *, const struct run_opts *, struct err *);
void	ev_add(struct events *, const struct sink_ops *, void *state);
void	ev_release(struct events *);

void	ev_playbook_start(struct events *, const char *path);
void	ev_play_start(struct events *, const struct play *, const char *name);
void	ev_no_hosts_matched(struct events *);
void	ev_task_start(struct events *, const struct task *, const char *kind);
void	ev_retry(struct events *, const struct ev_host *, int retries_left,
	    const struct value *result);
void	ev_item_result(struct events *, const struct ev_host *,
	    enum host_status, const char *label, const struct value *result);
void	ev_host_result(struct events *, const struct ev_host *,
	    enum host_status, const struct value *result, bool ignored);
void	ev_meta(struct events *, struct strbuf *out, const struct task *,
	    const char *kind, const char *host, bool skipped);
void	ev_included(struct events *, struct strbuf *out, const struct task *,
	    const char *file, const char *const *hosts, size_t nhosts,
	    const char *label);
void	ev_flush(struct events *, struct strbuf *out, const struct task *,
	    const char *kind);
void	ev_no_more_hosts(struct events *);
void	ev_stats(struct events *, struct host_stats *, size_t n);

/* Helpers the sinks share. */

/* The task's name as Ansible's banners and callbacks give it. */
const char	*ev_task_name(struct strbuf *, const struct task *);
/* What a callback sees of a no_log task's result (TaskResult.clean_copy). */
const struct value *ev_censored(struct arena *, const struct task *,
		    const struct value *result);
/*
 * A deep copy without Ansible's internal keys ("_ansible_*", at any
 * depth) except those in keep (NULL-terminated, or NULL): what register
 * stores (strip_internal_keys).
 */
struct value	*ev_strip_internal(struct arena *, const struct value *,
		    const char *const *keep);
/* "ok", "changed", "failed", "skipped", "unreachable". */
const char	*ev_status_name(enum host_status);
/* Now as ISO 8601 UTC with microseconds ("2024-05-01T12:00:00.123456Z"). */
void		 ev_time(struct strbuf *);

/* The sinks (out/playbook.c, out/json_callback.c, out/journal.c). */
extern const struct sink_ops sink_text_ops;
extern const struct sink_ops sink_json_callback_ops;
extern const struct sink_ops sink_journal_ops;
void	*sink_text_new(int verbosity);
void	*sink_json_callback_new(void);
/* The journal's file: created or truncated, mode 0600.  NULL, err set. */
void	*sink_journal_new(const char *path, const struct run_opts *,
	    struct err *);

#endif
