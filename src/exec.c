/*
 * exec.c: the playbook executor, Ansible's linear strategy: each task runs
 * on every host of the play in parallel (a pool of forks threads), and the
 * next task starts when all hosts are done.  Per host and task: variables
 * (exec.h lists the layers), when, loop, templated and checked arguments,
 * the module, changed_when/failed_when, until/retries, register, notify.
 * Results go to the sinks as events (out/sink.h) as they come; state
 * (register, set_fact, facts) is applied by the main thread between tasks,
 * so workers only ever read shared data.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "exec.h"
#include "json.h"
#include "out/sink.h"
#include "pattern.h"
#include "play.h"
#include "pool.h"
#include "runsetup.h"
#include "target.h"
#include "template/template.h"
#include "util.h"
#include "vars.h"
#include "yaml_load.h"

struct hstate {
	struct inv_host		*ih;
	struct target		 target;
	bool			 target_ready;
	struct value		*facts;		/* ansible_* names, ansible_facts */
	struct value		*setfacts;	/* set_fact and register */
	struct value		*hv;		/* its hostvars entry */
	struct value		*notified;	/* handler names/topics */
	struct host_stats	 st;
	bool			 dead;		/* failed or unreachable */
	bool			 in_play;
	bool			 block_failed;	/* failed inside a block */
	bool			 ended;		/* meta: end_host / end_play */
	bool			 excluded;	/* not in the current include */
	bool			 failed_batch;	/* failed in this serial batch */
	bool			 facts_cached;	/* fresh facts from the cache */
	struct value		*incvars;	/* include_tasks loop item */
	bool			 failed_mark;	/* failed by any_errors_fatal... */
	struct value		*failed_task;	/* for rescue */
	struct value		*failed_result;
};

/* What enclosing blocks give their tasks. */
struct inherit {
	struct value		*when[16];	/* lists of conditions */
	size_t			 nwhen;
	struct value		*vars[16];
	size_t			 nvars;
	bool			 ignore_errors;
	bool			 in_rescue;
	bool			 has_rescue;	/* failures are caught */
	bool			 in_block;	/* block_failed hosts stop */
};

struct run {
	struct run_opts		*o;
	struct run_setup	 rs;
	struct playbook		 pb;
	struct arena		 a;
	struct hstate		*hs;		/* by inventory host index */
	size_t			 nhs;
	struct value		*hostvars;
	struct run_magic	 magic;
	/* the play */
	struct play		*play;
	struct value		*play_vars_files;
	struct hstate		**active;	/* hosts of the play */
	size_t			 nactive;
	bool			 quiet;		/* meta tasks print nothing */
	bool			 started;	/* --start-at-task reached */
	bool			 free;		/* a host's own walk (strategy free) */
	bool			 break_play;	/* any_errors_fatal, max_fail_% */
	bool			 stop_playbook;	/* no later play runs */
	size_t			 batch_size;
	struct events		*ev;		/* where output goes */
};

/* One host's run of one task. */
struct job {
	struct run		*run;
	struct hstate		*h;
	const struct task	*t;
	const struct inherit	*inh;
	struct arena		 scratch;
	struct strbuf		 out;
	enum host_status	 status;
	bool			 ignored;
	bool			 unreach_ignored;	/* ignore_unreachable */
	bool			 diff;		/* the module's diff mode */
	bool			 show_diff;	/* --diff, or diff: true */
	const char		*kind;		/* "TASK", "RUNNING HANDLER" */
	bool			 notify;
	bool			 is_setup;
	struct value		*reg;		/* the registered result */
	struct value		*new_facts;	/* set_fact / setup */
	bool			 facts_are_setup;
	const char		*delegate;	/* delegate_to's host, or NULL */
	struct target		 dtarget;	/* its connection */
	bool			 has_dtarget;
	struct ev_host		 evh;		/* what its events say */
};

static void
add_layers(struct job *j, struct varscope *s, struct value *top)
{
	struct run *r = j->run;
	struct hstate *h = j->h;

	const struct role *role = j->t->role;

	varscope_push(s, top);
	varscope_push(s, vars_magic(&j->scratch, &r->rs.inv, h->ih,
	    &r->magic));
	varscope_push(s, r->rs.extra_vars);
	if (h->incvars != NULL)
		varscope_push(s, h->incvars);
	if (role != NULL)
		varscope_push(s, role->params);
	varscope_push(s, h->setfacts);
	if (j->t->vars != NULL && j->t->vars->type == VAL_DICT)
		varscope_push(s, j->t->vars);
	for (size_t i = j->inh->nvars; i > 0; i--)
		varscope_push(s, j->inh->vars[i - 1]);
	if (role != NULL)
		varscope_push(s, role->vars);
	varscope_push(s, r->play_vars_files);
	if (r->play->vars != NULL && r->play->vars->type == VAL_DICT)
		varscope_push(s, r->play->vars);
	varscope_push(s, h->facts);
	varscope_push(s, inv_host_vars(&r->rs.inv, h->ih));
	if (role != NULL)
		varscope_push(s, role->defaults);
}

static int
conditions(struct job *j, const struct tmpl_env *env, struct value *list,
    bool *out, struct err *err)
{
	*out = true;
	for (size_t i = 0; list != NULL && i < list->u.list->n && *out; i++)
		if (tmpl_condition(&j->scratch, env, list->u.list->items[i], out,
		    err) < 0)
			return -1;
	return 0;
}

static const char *
fail_text(struct job *j, const struct err *e)
{
	char buf[ERR_MSG_MAX + 256];

	return arena_strdup(&j->scratch, err_format(e, buf, sizeof(buf)));
}

/* The loop's items, or NULL with *bad set to a message. */
static struct value *
loop_items(struct job *j, const struct tmpl_env *env, const char **bad)
{
	const struct task *t = j->t;
	struct arena *a = &j->scratch;
	struct err err = ERR_INIT;
	struct value *v, *l;

	if (tmpl_value(a, env, t->loop, &v, &err) < 0) {
		*bad = fail_text(j, &err);
		return NULL;
	}
	switch (t->loop_kind) {
	case LOOP_LIST:
		if (v->type != VAL_LIST) {
			struct strbuf sb = STRBUF_INIT;

			val_str(&sb, v);
			*bad = arena_printf(a, "Invalid data passed to 'loop', it "
			    "requires a list, got this instead: %s. Hint: If you "
			    "passed a list/dict of just one element, try adding "
			    "wantlist=True to your lookup invocation or use "
			    "q/query instead of lookup.", sb.buf);
			sb_release(&sb);
			return NULL;
		}
		return v;
	case LOOP_ITEMS:
		l = val_new_list(a);
		if (v->type != VAL_LIST) {
			val_list_push(a, l, v);
			return l;
		}
		for (size_t i = 0; i < v->u.list->n; i++) {
			struct value *e = v->u.list->items[i];

			if (e->type == VAL_LIST)
				for (size_t k = 0; k < e->u.list->n; k++)
					val_list_push(a, l, e->u.list->items[k]);
			else
				val_list_push(a, l, e);
		}
		return l;
	case LOOP_DICT:
		if (v->type != VAL_DICT) {
			*bad = "with_dict expects a dict";
			return NULL;
		}
		l = val_new_list(a);
		for (size_t i = 0; i < v->u.dict->n; i++) {
			struct value *e = val_new_dict(a);

			val_dict_set(a, e, "key", v->u.dict->ent[i].key);
			val_dict_set(a, e, "value", v->u.dict->ent[i].val);
			val_list_push(a, l, e);
		}
		return l;
	case LOOP_INDEXED:
		if (v->type != VAL_LIST) {
			*bad = "with_indexed_items expects a list";
			return NULL;
		}
		l = val_new_list(a);
		for (size_t i = 0; i < v->u.list->n; i++) {
			struct value *e = val_new_list(a);

			val_list_push(a, e, val_new_int(a, (int64_t)i));
			val_list_push(a, e, v->u.list->items[i]);
			val_list_push(a, l, e);
		}
		return l;
	case LOOP_SEQUENCE: {
		struct value *q = val_new_str(a,
		    "{{ query('sequence', __muster_loop_arg) }}");
		struct value *ctx = val_new_dict(a);
		struct varscope s2 = *(struct varscope *)env->ctx;
		struct tmpl_env e2 = *env;

		val_dict_set(a, ctx, "__muster_loop_arg", v);
		memmove(s2.layers + 1, s2.layers, (VARS_MAX_LAYERS - 1) *
		    sizeof(*s2.layers));
		s2.layers[0] = ctx;
		if (s2.nlayers < VARS_MAX_LAYERS)
			s2.nlayers++;
		e2.ctx = &s2;
		if (tmpl_value(a, &e2, q, &l, &err) < 0) {
			*bad = fail_text(j, &err);
			return NULL;
		}
		return l;
	}
	case LOOP_NESTED: {
		if (v->type != VAL_LIST) {
			*bad = "with_nested expects a list of lists";
			return NULL;
		}
		l = val_new_list(a);
		val_list_push(a, l, val_new_list(a));
		for (size_t i = 0; i < v->u.list->n; i++) {
			struct value *e = v->u.list->items[i], *nl = val_new_list(a);

			if (e->type != VAL_LIST) {
				*bad = "with_nested expects a list of lists";
				return NULL;
			}
			for (size_t p = 0; p < l->u.list->n; p++)
				for (size_t k = 0; k < e->u.list->n; k++) {
					struct value *c = val_new_list(a);
					struct value *pre = l->u.list->items[p];

					for (size_t m = 0; m < pre->u.list->n; m++)
						val_list_push(a, c,
						    pre->u.list->items[m]);
					val_list_push(a, c, e->u.list->items[k]);
					val_list_push(a, nl, c);
				}
			l = nl;
		}
		return l;
	}
	default:
		return NULL;
	}
}

static const struct ev_host *job_host(struct job *);

/*
 * Run the module once (one item).  Returns the host status; the result
 * dict in *resv.
 */
static enum host_status
run_once(struct job *j, struct varscope *scope, const struct tmpl_env *env,
    struct value **resv, bool *check_mode_out)
{
	struct arena *a = &j->scratch;
	const struct task *t = j->t;
	struct hstate *h = j->h;
	struct err err = ERR_INIT;
	struct value *args, *checked;
	struct task_ctx ctx = {
		.a = a,
		.conn = h->target.conn,
		.host = h->ih->name,
		.task_name = task_display_name(t),
		.become = &h->target.become,
		.vars = NULL,
		.check_mode = j->run->o->check,
		.diff = j->run->o->diff,
		.verbosity = j->run->o->verbosity,
		.tmpl = env,
	};
	struct result res;
	int retries = 0, attempt = 0, delay = 5;
	struct become bec = h->target.become;
	struct value *bv;

	/* become keywords: the task's, else the play's, unless host vars */
	if (val_dict_get(inv_host_vars(&j->run->rs.inv, h->ih),
	    "ansible_become") == NULL &&
	    ((bv = t->become) != NULL || (bv = j->run->play->become) != NULL))
		bec.enabled = val_truthy(bv);
	if ((bv = t->become_user) != NULL ||
	    (bv = j->run->play->become_user) != NULL) {
		struct value *u;

		if (tmpl_value(a, env, bv, &u, &err) == 0 && u->type == VAL_STR)
			bec.user = u->u.str.s;
	}
	if (((bv = t->become_method) != NULL ||
	    (bv = j->run->play->become_method) != NULL) && bv->type == VAL_STR)
		bec.method = bv->u.str.s;
	ctx.become = &bec;
	/* environment: the play's, the task's over it */
	if (t->environment != NULL || j->run->play->environment != NULL) {
		struct value *merged = val_new_dict(a), *ev;
		struct value *srcs[2] = { j->run->play->environment,
		    t->environment };

		for (int k = 0; k < 2; k++)
			if (srcs[k] != NULL && tmpl_value(a, env, srcs[k], &ev,
			    &err) == 0 && ev->type == VAL_DICT)
				for (size_t q = 0; q < ev->u.dict->n; q++)
					val_dict_setv(a, merged,
					    ev->u.dict->ent[q].key,
					    ev->u.dict->ent[q].val);
		ctx.env = merged;
	}

	/* delegate_to: the module runs on that host, with our variables */
	struct target dt;
	if (t->delegate_to != NULL && j->has_dtarget) {
		ctx.conn = j->dtarget.conn;
		bec = j->dtarget.become;
	} else if (t->delegate_to != NULL) {
		struct value *dn;
		struct inv_host *dh;

		if (tmpl_value(a, env, t->delegate_to, &dn, &err) < 0 ||
		    dn->type != VAL_STR) {
			res_init(&ctx, &res);
			res_fail(&ctx, &res, "delegate_to: %s", err.set ?
			    fail_text(j, &err) : "not a host name");
			res_finish(&ctx, &res);
			*resv = res.v;
			return HS_FAILED;
		}
		dh = inv_find_host(&j->run->rs.inv, dn->u.str.s);
		if (dh == NULL && (strcmp(dn->u.str.s, "localhost") == 0 ||
		    strcmp(dn->u.str.s, "127.0.0.1") == 0))
			dh = inv_localhost(&j->run->rs.inv);
		if (dh == NULL) {
			/* a host outside the inventory: its name is the address */
			struct value *vars = val_new_dict(a);

			target_init(&dt, arena_strdup(a, dn->u.str.s), vars,
			    j->run->o);
		} else
			target_init(&dt, dh->name, inv_host_vars(&j->run->rs.inv,
			    dh), j->run->o);
		j->delegate = arena_strdup(a, dn->u.str.s);
		j->dtarget = dt;
		j->has_dtarget = true;
		ctx.conn = j->dtarget.conn;
		bec = dt.become;
	}
	if (t->check_mode != NULL) {
		bool cm;

		if (tmpl_condition(a, env, t->check_mode, &cm, &err) == 0)
			ctx.check_mode = cm;
	}
	ctx.diff = j->diff;
	*check_mode_out = ctx.check_mode;
	if (t->until != NULL) {
		retries = t->retries != NULL && t->retries->type == VAL_INT ?
		    (int)t->retries->u.i : 3;
		delay = t->delay != NULL && t->delay->type == VAL_INT ?
		    (int)t->delay->u.i : 5;
	}
again:
	res_init(&ctx, &res);
	if (tmpl_value(a, env, t->args, &args, &err) < 0) {
		res.no_changed_key = true;
		res_fail(&ctx, &res, "The task includes an option with an "
		    "undefined variable. The error was: %s", fail_text(j, &err));
		res_finish(&ctx, &res);
		*resv = res.v;
		return HS_FAILED;
	}
	for (size_t k = args->u.dict->n; k > 0; k--) {
		struct val_entry *e = &args->u.dict->ent[k - 1];

		if (val_is_str(e->val, TMPL_OMIT) && e->key->type == VAL_STR)
			val_dict_del(args, e->key->u.str.s);
	}
	if ((checked = mod_check_args(a, t->mod, args, &err)) == NULL) {
		res_fail(&ctx, &res, "%s", fail_text(j, &err));
		res_finish(&ctx, &res);
		*resv = res.v;
		return HS_FAILED;
	}
	if (ctx.check_mode && !(t->mod->flags & MODULE_CHECK_MODE)) {
		res.skipped = true;
		res_set_str(&ctx, &res, "msg", "skipped, running in check mode");
		res_finish(&ctx, &res);
		*resv = res.v;
		return HS_SKIPPED;
	}
	if (t->mod->run(&ctx, checked, &res, &err) < 0) {
		res.unreachable = true;
		res.changed = false;
		res_set_str(&ctx, &res, "msg", fail_text(j, &err));
		res_finish(&ctx, &res);
		*resv = res.v;
		return HS_UNREACHABLE;
	}
	res_finish(&ctx, &res);
	/* _execute(): a result that did not fail says so ("failed": false) */
	if (!res.failed && val_dict_get(res.v, "failed") == NULL)
		res_set(&ctx, &res, "failed", &val_false);
	/* changed_when / failed_when see the result under its register name */
	if (((t->changed_when != NULL || t->failed_when != NULL) &&
	    !res.skipped) || t->until != NULL) {
		struct value *top = val_new_dict(a);
		struct varscope s2 = *scope;
		struct tmpl_env e2 = *env;
		bool b;

		if (t->reg != NULL)
			val_dict_set(a, top, t->reg, res.v);
		memmove(s2.layers + 1, s2.layers, (VARS_MAX_LAYERS - 1) *
		    sizeof(*s2.layers));
		s2.layers[0] = top;
		if (s2.nlayers < VARS_MAX_LAYERS)
			s2.nlayers++;
		e2.ctx = &s2;
		if (t->changed_when != NULL && !res.skipped) {
			if (conditions(j, &e2, t->changed_when, &b, &err) < 0) {
				res_fail(&ctx, &res, "%s", fail_text(j, &err));
				res_finish(&ctx, &res);
			} else {
				res.changed = b;
				res_set(&ctx, &res, "changed", val_bool(b));
			}
		}
		if (t->failed_when != NULL && !res.unreachable && !res.skipped) {
			if (conditions(j, &e2, t->failed_when, &b, &err) < 0) {
				res_fail(&ctx, &res, "%s", fail_text(j, &err));
				res_finish(&ctx, &res);
			} else {
				res.failed = b;
				res_set(&ctx, &res, "failed_when_result",
				    val_bool(b));
				res_set(&ctx, &res, "failed", val_bool(b));
			}
		}
		if (t->until != NULL) {
			attempt++;
			res_set(&ctx, &res, "attempts", val_new_int(a, attempt));
			if (conditions(j, &e2, t->until, &b, &err) == 0 && !b &&
			    attempt <= retries) {
				ev_retry(j->run->ev, job_host(j),
				    retries - attempt + 1, res.v);
				if (delay > 0)
					sleep((unsigned)delay);
				goto again;
			}
			if (!b) {
				res.failed = true;
				res.skipped = false;
				val_dict_del(res.v, "skipped");
				res_set(&ctx, &res, "failed", &val_true);
				res_set(&ctx, &res, "attempts",
				    val_new_int(a, retries));
			}
		}
	}
	*resv = res.v;
	if (res.failed)
		return HS_FAILED;
	if (res.skipped)
		return HS_SKIPPED;
	return res.changed ? HS_CHANGED : HS_OK;
}

/* The job as its events describe it (delegate_to may have been decided). */
static const struct ev_host *
job_host(struct job *j)
{
	j->evh = (struct ev_host){ j->t, j->kind, j->h->ih->name, j->delegate,
	    j->show_diff, &j->out };
	return &j->evh;
}

static struct value *
skip_result(struct arena *a)
{
	struct value *v = val_new_dict(a);

	val_dict_set(a, v, "changed", &val_false);
	val_dict_set(a, v, "skip_reason", val_new_str(a, "Conditional result "
	    "was False"));
	val_dict_set(a, v, "skipped", &val_true);
	return v;
}

static void
job_work(void *ud, size_t i)
{
	struct job *j = &((struct job *)ud)[i];
	const struct task *t = j->t;
	struct arena *a = &j->scratch;
	struct varscope scope = { 0 };
	struct tmpl_env env = { varscope_get, &scope, TMPL_ANSIBLE,
	    t->basedir != NULL ? t->basedir : j->run->pb.dir };
	struct err err = ERR_INIT;
	struct value *res = NULL;
	bool ok, check_mode;
	const char *host = j->h->ih->name;

	add_layers(j, &scope, NULL);
	/*
	 * The module runs in the task's diff mode; the callback shows a
	 * result's diff when --diff is on or the task says diff: true.
	 */
	j->diff = j->run->o->diff;
	if (t->diff != NULL && tmpl_condition(a, &env, t->diff, &ok,
	    &err) == 0)
		j->diff = ok;
	j->show_diff = j->run->o->diff || j->diff;
	err_init(&err);
	/* Conditions of enclosing blocks, then the task's (no loop). */
	for (size_t k = 0; k < j->inh->nwhen; k++) {
		if (conditions(j, &env, j->inh->when[k], &ok, &err) < 0)
			goto cond_error;
		if (!ok)
			goto skipped;
	}
	if (conditions(j, &env, t->iwhen, &ok, &err) < 0)
		goto cond_error;
	if (!ok)
		goto skipped;
	if (t->loop_kind == LOOP_NONE) {
		if (conditions(j, &env, t->when, &ok, &err) < 0)
			goto cond_error;
		if (!ok)
			goto skipped;
		j->status = run_once(j, &scope, &env, &res, &check_mode);
		j->reg = res;
		goto done;
	}
	const char *bad = NULL;
	struct value *items = loop_items(j, &env, &bad);
	if (items == NULL) {
		res = val_new_dict(a);
		val_dict_set(a, res, "msg", val_new_str(a, bad ? bad :
		    "bad loop"));
		j->status = HS_FAILED;
		j->reg = res;
		goto done;
	}
	struct value *results = val_new_list(a);
	bool any_changed = false, any_failed = false, all_skipped = true;
	double pause = 0;

	if (t->loop_pause != NULL) {
		struct value *pv;

		if (tmpl_value(a, &env, t->loop_pause, &pv, &err) == 0 &&
		    (val_is_number(pv) || pv->type == VAL_STR))
			pause = pv->type == VAL_STR ? strtod(pv->u.str.s, NULL) :
			    val_as_double(pv);
	}
	for (size_t k = 0; k < items->u.list->n; k++) {
		struct value *top = val_new_dict(a), *item = items->u.list->items[k];
		struct varscope s2 = { 0 };
		struct tmpl_env e2 = env;
		enum host_status st;
		struct strbuf label = STRBUF_INIT;

		if (k > 0 && pause > 0) {
			struct timespec ts = { (time_t)pause,
			    (long)((pause - (double)(time_t)pause) * 1e9) };

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		val_dict_set(a, top, t->loop_var, item);
		val_dict_set(a, top, "ansible_loop_var", val_new_str(a,
		    t->loop_var));
		if (t->index_var != NULL)
			val_dict_set(a, top, t->index_var, val_new_int(a,
			    (int64_t)k));
		add_layers(j, &s2, top);
		e2.ctx = &s2;
		if (t->label != NULL) {
			struct value *lv;

			if (tmpl_value(a, &e2, t->label, &lv, &err) == 0)
				val_str(&label, lv);
			else
				val_str(&label, item);
		} else
			val_str(&label, item);
		if (conditions(j, &e2, t->when, &ok, &err) < 0) {
			res = val_new_dict(a);
			val_dict_set(a, res, "msg", val_new_str(a,
			    fail_text(j, &err)));
			st = HS_FAILED;
		} else if (!ok) {
			res = skip_result(a);
			st = HS_SKIPPED;
		} else
			st = run_once(j, &s2, &e2, &res, &check_mode);
		val_dict_set(a, res, t->loop_var, item);
		val_dict_set(a, res, "ansible_loop_var", val_new_str(a,
		    t->loop_var));
		if (t->index_var != NULL) {
			val_dict_set(a, res, t->index_var, val_new_int(a,
			    (int64_t)k));
			val_dict_set(a, res, "ansible_index_var",
			    val_new_str(a, t->index_var));
		}
		if (st != HS_SKIPPED)
			all_skipped = false;
		if (st == HS_CHANGED)
			any_changed = true;
		if (st == HS_FAILED || st == HS_UNREACHABLE)
			any_failed = true;
		if (val_truthy(val_dict_get(res, "changed")))
			any_changed = true;
		ev_item_result(j->run->ev, job_host(j), st, label.buf, res);
		sb_release(&label);
		val_list_push(a, results, res);
		if (st == HS_UNREACHABLE)
			break;
	}
	res = val_new_dict(a);
	val_dict_set(a, res, "results", results);
	val_dict_set(a, res, "changed", val_bool(any_changed));
	if (!all_skipped)
		val_dict_set(a, res, "skipped", &val_false);
	if (all_skipped && items->u.list->n > 0) {
		val_dict_set(a, res, "skipped", &val_true);
		val_dict_set(a, res, "msg", val_new_str(a, "All items skipped"));
		j->status = HS_SKIPPED;
	} else {
		if (items->u.list->n > 0)
			val_dict_set(a, res, "msg", val_new_str(a, any_failed ?
			    "One or more items failed" :
			    "All items completed"));
		if (any_failed)
			val_dict_set(a, res, "failed", &val_true);
		j->status = any_failed ? HS_FAILED : any_changed ? HS_CHANGED :
		    HS_OK;
		if (items->u.list->n == 0) {
			val_dict_set(a, res, "skipped", &val_true);
			val_dict_set(a, res, "skipped_reason", val_new_str(a,
			    "No items in the list"));
			j->status = HS_SKIPPED;
		}
	}
	j->reg = res;
	goto done;
cond_error:
	res = val_new_dict(a);
	val_dict_set(a, res, "msg", val_new_strf(a, "The conditional check "
	    "failed. The error was: %s", fail_text(j, &err)));
	j->status = HS_FAILED;
	j->reg = res;
	goto done;
skipped:
	j->status = HS_SKIPPED;
	j->reg = skip_result(a);
done:
	if (j->status == HS_UNREACHABLE) {
		struct value *iu = t->ignore_unreachable != NULL ?
		    t->ignore_unreachable : j->run->play->ignore_unreachable;
		bool ign = false;

		if (iu != NULL && tmpl_condition(a, &env, iu, &ign, &err) == 0 &&
		    ign)
			j->unreach_ignored = true;
	}
	if (j->status == HS_FAILED) {
		bool ign = j->inh->ignore_errors;

		if (t->ignore_errors != NULL && tmpl_condition(a, &env,
		    t->ignore_errors, &ign, &err) < 0)
			ign = false;
		if (ign)
			j->ignored = true;
	}
	if (j->status == HS_CHANGED || (j->ignored &&
	    val_truthy(val_dict_get(j->reg, "changed"))))
		j->notify = t->notify != NULL;
	if ((j->status == HS_OK || j->status == HS_CHANGED) && j->reg != NULL) {
		struct value *f = val_dict_get(j->reg, "ansible_facts");

		if (f != NULL && f->type == VAL_DICT) {
			j->new_facts = f;
			j->facts_are_setup = strcmp(t->mod->name, "setup") == 0;
		}
	}
	(void)check_mode;
	(void)host;
	if (j->has_dtarget)
		target_release(&j->dtarget);
}

static void
job_done(void *ud, size_t i)
{
	struct job *j = &((struct job *)ud)[i];

	if (j->run->quiet)
		return;
	ev_host_result(j->run->ev, job_host(j), j->status, j->reg,
	    j->ignored || j->unreach_ignored);
	ev_flush(j->run->ev, &j->out, j->t, j->kind);
}

static void
set_host_var(struct run *r, struct hstate *h, struct value *dst,
    struct value *key, struct value *v)
{
	struct value *c = val_copy(&r->a, v);

	/* Keys too: the job's scratch arena goes away after this. */
	key = val_copy(&r->a, key);
	val_dict_setv(&r->a, dst, key, c);
	if (!r->free)
		val_dict_setv(&r->a, h->hv, key, c);
}

static struct hstate *host_state(struct run *, struct inv_host *);

/* Whether v holds an "_ansible_" key at any depth. */
static bool
has_internal(const struct value *v)
{
	if (v == NULL)
		return false;
	if (v->type == VAL_LIST) {
		for (size_t i = 0; i < v->u.list->n; i++)
			if (has_internal(v->u.list->items[i]))
				return true;
	} else if (v->type == VAL_DICT) {
		for (size_t i = 0; i < v->u.dict->n; i++) {
			const struct value *k = v->u.dict->ent[i].key;

			if ((k->type == VAL_STR &&
			    strncmp(k->u.str.s, "_ansible_", 9) == 0) ||
			    has_internal(v->u.dict->ent[i].val))
				return true;
		}
	}
	return false;
}

/* A copy of v without its "_ansible_" keys (strip_internal_keys()). */
static struct value *
strip_internal(struct arena *a, const struct value *v)
{
	struct value *c;

	if (!has_internal(v))
		return (struct value *)v;
	if (v->type == VAL_LIST) {
		c = val_new_list(a);
		for (size_t i = 0; i < v->u.list->n; i++)
			val_list_push(a, c, strip_internal(a,
			    v->u.list->items[i]));
		return c;
	}
	c = val_new_dict(a);
	for (size_t i = 0; i < v->u.dict->n; i++) {
		const struct value *k = v->u.dict->ent[i].key;

		if (k->type == VAL_STR &&
		    strncmp(k->u.str.s, "_ansible_", 9) == 0)
			continue;
		val_dict_setv(a, c, (struct value *)k, strip_internal(a,
		    v->u.dict->ent[i].val));
	}
	return c;
}

/*
 * register: what the strategy stores, a copy without the internal keys
 * and without the top-level "invocation" (_process_pending_results()).
 */
static void
register_result(struct run *r, struct hstate *h, const char *name,
    const struct value *res)
{
	struct arena tmp = ARENA_INIT;
	struct value *v = strip_internal(&tmp, res);

	if (v->type == VAL_DICT && val_dict_get(v, "invocation") != NULL) {
		if (v == res)
			v = val_copy(&tmp, res);
		val_dict_del(v, "invocation");
	}
	set_host_var(r, h, h->setfacts, val_new_str(&r->a, name), v);
	arena_release(&tmp);
}

/*
 * The facts cache, Ansible's jsonfile plugin and settings:
 * ANSIBLE_CACHE_PLUGIN=jsonfile, ANSIBLE_CACHE_PLUGIN_CONNECTION=DIR,
 * ANSIBLE_CACHE_PLUGIN_TIMEOUT (seconds, default 86400, 0 never expires),
 * ANSIBLE_CACHE_PLUGIN_PREFIX; ANSIBLE_GATHERING=smart skips hosts whose
 * cached facts are fresh.  One JSON file a host ({"ansible_x": ...}),
 * written atomically after each gather, read when the host first shows up.
 */
static const char *
cache_dir(void)
{
	const char *p = getenv("ANSIBLE_CACHE_PLUGIN");
	const char *d = getenv("ANSIBLE_CACHE_PLUGIN_CONNECTION");

	if (p == NULL || (strcmp(p, "jsonfile") != 0 &&
	    strcmp(p, "ansible.builtin.jsonfile") != 0) || d == NULL ||
	    *d == '\0')
		return NULL;
	return d;
}

static bool
cache_smart(void)
{
	const char *g = getenv("ANSIBLE_GATHERING");

	return cache_dir() != NULL && g != NULL && strcmp(g, "smart") == 0;
}

static bool
filter_no_cached_facts(struct hstate *h)
{
	return !h->facts_cached;
}

static char *
cache_path(struct arena *a, const char *host)
{
	const char *pre = getenv("ANSIBLE_CACHE_PLUGIN_PREFIX");

	return arena_printf(a, "%s/%s%s", cache_dir(), pre != NULL ? pre : "",
	    host);
}

/* Facts (unprefixed keys) into h: ansible_facts.x and ansible_x. */
static void
set_facts(struct run *r, struct hstate *h, const struct value *f)
{
	struct value *af = val_dict_get(h->facts, "ansible_facts");

	if (af == NULL) {
		af = val_new_dict(&r->a);
		val_dict_set(&r->a, h->facts, "ansible_facts", af);
		if (!r->free)
			val_dict_set(&r->a, h->hv, "ansible_facts", af);
	}
	for (size_t k = 0; k < f->u.dict->n; k++) {
		struct value *key = val_copy(&r->a, f->u.dict->ent[k].key);
		struct value *c = val_copy(&r->a, f->u.dict->ent[k].val);

		val_dict_setv(&r->a, af, key, c);
		if (key->type == VAL_STR) {
			struct value *pk = val_new_strf(&r->a, "ansible_%s",
			    key->u.str.s);

			val_dict_setv(&r->a, h->facts, pk, c);
			if (!r->free)
				val_dict_setv(&r->a, h->hv, pk, c);
		}
	}
}

static void
cache_load(struct run *r, struct hstate *h)
{
	const char *t = getenv("ANSIBLE_CACHE_PLUGIN_TIMEOUT");
	long ttl = t != NULL ? strtol(t, NULL, 10) : 86400;
	struct arena a = ARENA_INIT;
	char *buf = NULL;
	size_t len = 0;
	struct err err = ERR_INIT;
	struct value *v, *f;
	struct stat st;
	const char *path;

	if (cache_dir() == NULL)
		return;
	path = cache_path(&a, h->ih->name);
	if (stat(path, &st) < 0 || (ttl > 0 && st.st_mtime + ttl < time(NULL)) ||
	    read_file(path, &buf, &len) < 0 ||
	    (v = json_parse(&a, path, buf, len, &err)) == NULL ||
	    v->type != VAL_DICT) {
		free(buf);
		arena_release(&a);
		return;
	}
	f = val_new_dict(&a);
	for (size_t k = 0; k < v->u.dict->n; k++) {
		struct value *key = v->u.dict->ent[k].key;

		if (val_is_str(key, "_ansible_facts_gathered"))
			h->facts_cached = val_truthy(v->u.dict->ent[k].val);
		else if (key->type == VAL_STR &&
		    strncmp(key->u.str.s, "ansible_", 8) == 0)
			val_dict_set(&a, f, key->u.str.s + 8,
			    v->u.dict->ent[k].val);
		else
			val_dict_setv(&a, f, key, v->u.dict->ent[k].val);
	}
	set_facts(r, h, f);
	free(buf);
	arena_release(&a);
}

static void
cache_save(struct run *r, struct hstate *h, const struct value *f)
{
	static const struct json_opts o = { 4, true, false };
	struct arena a = ARENA_INIT;
	struct value *out;
	struct strbuf sb = STRBUF_INIT, tmp = STRBUF_INIT;
	const char *path;
	FILE *fp;

	(void)r;
	if (cache_dir() == NULL)
		return;
	out = val_new_dict(&a);
	int fd;

	/* Ansible's layout: ansible_x, a few bare keys, the gathered mark */
	val_dict_set(&a, out, "_ansible_facts_gathered", &val_true);
	for (size_t k = 0; k < f->u.dict->n; k++) {
		struct value *key = f->u.dict->ent[k].key;

		if (val_is_str(key, "gather_subset") ||
		    val_is_str(key, "module_setup"))
			val_dict_setv(&a, out, key, f->u.dict->ent[k].val);
		else if (key->type == VAL_STR)
			val_dict_set(&a, out, arena_printf(&a, "ansible_%s",
			    key->u.str.s), f->u.dict->ent[k].val);
	}
	json_encode(&sb, out, &o);
	path = cache_path(&a, h->ih->name);
	mkdir(cache_dir(), 0700);
	sb_addf(&tmp, "%s.tmp%ld", path, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fp == NULL || fwrite(sb.buf, 1, sb.len, fp) != sb.len ||
	    fclose(fp) != 0 || rename(tmp.buf, path) < 0) {
		fprintf(stderr, "[WARNING]: error in 'jsonfile' cache plugin "
		    "while trying to write to '%s'\n", path);
		unlink(tmp.buf);
	}
	sb_release(&sb);
	sb_release(&tmp);
	arena_release(&a);
}

/* Apply one host's job to the run's state (main thread, between tasks). */
static void
apply(struct run *r, struct job *j)
{
	struct hstate *h = j->h;
	const struct task *t = j->t;

	switch (j->status) {
	case HS_OK:
	case HS_CHANGED:
		h->st.ok++;
		if (j->status == HS_CHANGED)
			h->st.changed++;
		break;
	case HS_SKIPPED:
		h->st.skipped++;
		break;
	case HS_UNREACHABLE:
		if (j->unreach_ignored) {
			h->st.ok++;
			h->st.ignored++;
			break;
		}
		h->st.unreachable++;
		h->dead = true;
		break;
	case HS_FAILED:
		if (j->ignored) {
			h->st.ok++;
			h->st.ignored++;
			if (val_truthy(val_dict_get(j->reg, "changed")))
				h->st.changed++;
		} else if (j->inh->has_rescue && !j->inh->in_rescue) {
			h->block_failed = true;
			h->failed_result = val_copy(&r->a, j->reg);
			h->failed_task = val_new_dict(&r->a);
			val_dict_set(&r->a, h->failed_task, "name", val_new_str(
			    &r->a, t->name != NULL ? t->name : ""));
			val_dict_set(&r->a, h->failed_task, "action",
			    val_new_str(&r->a, t->action ? t->action : ""));
		} else {
			h->st.failed++;
			h->dead = true;
			h->failed_batch = true;
		}
		break;
	}
	if (t->reg != NULL && j->reg != NULL)
		register_result(r, h, t->reg, j->reg);
	struct hstate *fh = h;

	if (j->new_facts != NULL && t->delegate_facts && j->delegate != NULL) {
		struct inv_host *dh = inv_find_host(&r->rs.inv, j->delegate);

		if (dh == NULL && (strcmp(j->delegate, "localhost") == 0 ||
		    strcmp(j->delegate, "127.0.0.1") == 0))
			dh = inv_localhost(&r->rs.inv);
		if (dh != NULL && dh->index < r->nhs)
			fh = host_state(r, dh);
	}
	if (j->new_facts != NULL && !j->facts_are_setup) {
		struct value *f = j->new_facts;

		for (size_t k = 0; k < f->u.dict->n; k++)
			set_host_var(r, fh, fh->setfacts, f->u.dict->ent[k].key,
			    f->u.dict->ent[k].val);
	} else if (j->new_facts != NULL) {
		set_facts(r, fh, j->new_facts);
		cache_save(r, fh, j->new_facts);
	}
	if (j->notify && !h->dead)
		for (size_t k = 0; k < t->notify->u.list->n; k++)
			val_list_push(&r->a, h->notified,
			    val_copy(&r->a, t->notify->u.list->items[k]));
}

static struct hstate *
host_state(struct run *r, struct inv_host *ih)
{
	struct hstate *h = &r->hs[ih->index];

	if (!h->target_ready) {
		h->ih = ih;
		target_init(&h->target, ih->name, inv_host_vars(&r->rs.inv, ih),
		    r->o);
		h->target_ready = true;
		h->facts = val_new_dict(&r->a);
		h->setfacts = val_new_dict(&r->a);
		h->notified = val_new_list(&r->a);
		h->st.host = ih->name;
		h->hv = val_dict_get(r->hostvars, ih->name);
		if (h->hv == NULL)	/* the implicit localhost */
			h->hv = val_new_dict(&r->a);
		cache_load(r, h);
	}
	return h;
}

/*
 * A play or task keyword that must be a number (throttle,
 * max_fail_percentage): templated with the play's variables.
 */
static int64_t
play_int(struct run *r, struct value *v, int64_t dflt)
{
	struct varscope s = { 0 };
	struct tmpl_env env = { varscope_get, &s, TMPL_ANSIBLE, r->pb.dir };
	struct err err = ERR_INIT;
	struct arena a = ARENA_INIT;
	struct value *out;
	int64_t n = dflt;

	if (v == NULL)
		return dflt;
	varscope_push(&s, r->rs.extra_vars);
	varscope_push(&s, r->play_vars_files);
	varscope_push(&s, r->play->vars);
	if (tmpl_value(&a, &env, v, &out, &err) == 0) {
		if (val_is_number(out))
			n = (int64_t)val_as_double(out);
		else if (out->type == VAL_STR)
			n = strtoll(out->u.str.s, NULL, 10);
	}
	arena_release(&a);
	return n;
}

static bool
play_bool(struct run *r, struct value *v)
{
	return play_int(r, v == NULL ? NULL : val_is_number(v) ||
	    v->type == VAL_STR ? v : val_new_int(&r->a, val_truthy(v)), 0) != 0;
}

/* Every host of the play stops: NO MORE HOSTS LEFT, the play ends. */
static void
break_play(struct run *r)
{
	for (size_t i = 0; i < r->nactive; i++)
		if (!r->active[i]->dead && !r->active[i]->ended) {
			r->active[i]->ended = true;
			/* failed for the retry file, not in the recap */
			r->active[i]->failed_mark = true;
		}
	r->break_play = true;
	r->stop_playbook = true;
	ev_no_more_hosts(r->ev);
}

/*
 * After a task: any_errors_fatal (a failure or unreachable host stops
 * everyone; a failing run_once task too) and max_fail_percentage (of the
 * batch), as Ansible's linear strategy checks them.
 */
static void
fail_fast(struct run *r, const struct task *t, struct job *jobs, size_t n)
{
	size_t bad = 0, failed = 0;
	struct value *aef = t->any_errors_fatal != NULL ? t->any_errors_fatal :
	    r->play->any_errors_fatal;
	bool ign = t->ignore_errors != NULL &&
	    t->ignore_errors->type == VAL_BOOL && t->ignore_errors->u.b;

	for (size_t i = 0; i < n; i++)
		if ((jobs[i].status == HS_FAILED && !jobs[i].ignored &&
		    jobs[i].h->dead) || (jobs[i].status == HS_UNREACHABLE &&
		    !jobs[i].unreach_ignored))
			bad++;
	if (bad > 0 && !ign && (t->run_once || (t->mod != NULL &&
	    (t->mod->flags & MODULE_BYPASS_HOST_LOOP)) || (aef != NULL &&
	    play_bool(r, aef)))) {
		break_play(r);
		return;
	}
	if (r->play->max_fail_percentage == NULL || r->batch_size == 0)
		return;
	for (size_t i = 0; i < r->nactive; i++)
		failed += r->active[i]->failed_batch;
	if ((double)failed / (double)r->batch_size > (double)play_int(r,
	    r->play->max_fail_percentage, 100) / 100.0 && failed > 0) {
		/* the max-fail check and the all-failed check both say so */
		break_play(r);
		ev_no_more_hosts(r->ev);
	}
}

/* Run one task on the play's live hosts (those in `only`, if given). */
static void
run_task(struct run *r, const struct task *t, const struct inherit *inh,
    const char *kind, bool *printed, bool (*filter)(struct hstate *))
{
	size_t n = 0;
	struct job *jobs = xcalloc(r->nactive + 1, sizeof(*jobs));

	for (size_t i = 0; i < r->nactive; i++) {
		struct hstate *h = r->active[i];

		if (h->dead || h->ended || h->excluded ||
		    (filter != NULL && !filter(h)) ||
		    (inh->in_block && h->block_failed))
			continue;
		jobs[n].run = r;
		jobs[n].h = h;
		jobs[n].t = t;
		jobs[n].inh = inh;
		jobs[n].kind = kind;
		arena_init(&jobs[n].scratch);
		sb_init(&jobs[n].out);
		n++;
		if (t->run_once || (t->mod->flags & MODULE_BYPASS_HOST_LOOP))
			break;
	}
	if (n == 0) {
		free(jobs);
		return;
	}
	if (!r->quiet && (printed == NULL || !*printed)) {
		ev_task_start(r->ev, t, kind);
		if (printed != NULL)
			*printed = true;
	}
	size_t forks = run_setup_forks(r->o, n);
	int64_t thr = play_int(r, t->throttle != NULL ? t->throttle :
	    r->play->throttle, 0);
	if (thr > 0 && (size_t)thr < forks)
		forks = (size_t)thr;
	if (pool_run(n, forks, job_work, job_done, jobs) < 0) {
		fprintf(stderr, "ERROR! cannot start worker threads: %s\n",
		    strerror(errno));
		exit(EXIT_INPUT);
	}
	for (size_t i = 0; i < n; i++) {
		apply(r, &jobs[i]);
		if (t->run_once) {
			/* run_once: the result is every host's */
			for (size_t k = 0; k < r->nactive; k++)
				if (r->active[k] != jobs[i].h && t->reg != NULL &&
				    !r->active[k]->dead)
					register_result(r, r->active[k],
					    t->reg, jobs[i].reg);
		}
	}
	fail_fast(r, t, jobs, n);
	for (size_t i = 0; i < n; i++) {
		sb_release(&jobs[i].out);
		arena_release(&jobs[i].scratch);
	}
	free(jobs);
}

static bool filter_block_failed(struct hstate *h) { return h->block_failed; }
static void flush_handlers(struct run *);
static void run_include(struct run *, const struct task *,
    const struct inherit *, const char *);

static void run_tasks(struct run *, struct task **, size_t,
    const struct inherit *, const char *kind);

static void
run_block(struct run *r, const struct task *b, const struct inherit *parent,
    const char *kind)
{
	struct inherit inh = *parent;
	bool ign = false;

	if (b->when != NULL && inh.nwhen < 16)
		inh.when[inh.nwhen++] = b->when;
	if (b->vars != NULL && b->vars->type == VAL_DICT && inh.nvars < 16)
		inh.vars[inh.nvars++] = b->vars;
	if (b->ignore_errors != NULL && b->ignore_errors->type == VAL_BOOL)
		ign = b->ignore_errors->u.b;
	inh.ignore_errors = inh.ignore_errors || ign;
	struct inherit binh = inh;
	binh.has_rescue = b->nrescue > 0 || parent->has_rescue;
	binh.in_rescue = false;
	binh.in_block = true;
	run_tasks(r, b->block, b->nblock, &binh, kind);
	if (b->nrescue > 0) {
		struct inherit rinh = inh;
		bool any = false;

		for (size_t i = 0; i < r->nactive; i++)
			if (r->active[i]->block_failed) {
				struct hstate *h = r->active[i];

				any = true;
				h->st.rescued++;
				val_dict_set(&r->a, h->setfacts,
				    "ansible_failed_task", h->failed_task);
				val_dict_set(&r->a, h->setfacts,
				    "ansible_failed_result", h->failed_result);
			}
		if (any) {
			rinh.in_rescue = true;
			rinh.in_block = false;
			rinh.has_rescue = parent->has_rescue;
			/* rescue runs on the hosts that failed in the block */
			for (size_t k = 0; k < b->nrescue; k++) {
				const struct task *t = b->rescue[k];

				if (t->mod == NULL) {
					run_block(r, t, &rinh, kind);
					continue;
				}
				run_task(r, t, &rinh, kind, NULL,
				    filter_block_failed);
			}
			for (size_t i = 0; i < r->nactive; i++)
				r->active[i]->block_failed = false;
		}
	}
	inh.in_block = false;
	run_tasks(r, b->always, b->nalways, &inh, kind);
	/* A failure no rescue caught fails the host now. */
	if (!parent->has_rescue)
		for (size_t i = 0; i < r->nactive; i++)
			if (r->active[i]->block_failed) {
				r->active[i]->block_failed = false;
				r->active[i]->st.failed++;
				r->active[i]->dead = true;
			}
}

/* Do the task's conditions (inherited and own) hold on this host? */
static bool
host_when(struct run *r, struct hstate *h, const struct task *t,
    const struct inherit *inh)
{
	struct job j = { 0 };
	struct varscope scope = { 0 };
	struct tmpl_env env = { varscope_get, &scope, TMPL_ANSIBLE,
	    t->basedir };
	struct err err = ERR_INIT;
	bool ok = true;

	j.run = r;
	j.h = h;
	j.t = t;
	j.inh = inh;
	arena_init(&j.scratch);
	add_layers(&j, &scope, NULL);
	for (size_t k = 0; k < inh->nwhen && ok; k++)
		if (conditions(&j, &env, inh->when[k], &ok, &err) < 0)
			ok = false;
	if (ok && conditions(&j, &env, t->iwhen, &ok, &err) < 0)
		ok = false;
	if (ok && conditions(&j, &env, t->when, &ok, &err) < 0)
		ok = false;
	arena_release(&j.scratch);
	return ok;
}

static bool
host_live(const struct hstate *h, const struct inherit *inh)
{
	return !(h->dead || h->ended || h->excluded || (inh->in_block &&
	    h->block_failed));
}

/*
 * meta: Ansible's linear strategy shows a banner for each host that
 * reaches it; no stats.
 */
static void
run_meta(struct run *r, const struct task *t, const struct inherit *inh,
    const char *kind, const char *d)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = r->nactive;
	struct hstate **hs = xcalloc(n + 1, sizeof(*hs));

	memcpy(hs, r->active, n * sizeof(*hs));
	for (size_t i = 0; i < n; i++) {
		struct hstate *h = hs[i];
		bool ok;

		if (!host_live(h, inh))
			continue;
		ok = host_when(r, h, t, inh);
		ev_meta(r->ev, &sb, t, kind, h->ih->name, !ok);
		if (!ok)
			continue;
		if (strcmp(d, "end_host") == 0)
			h->ended = true;
		else if (strcmp(d, "end_play") == 0)
			for (size_t k = 0; k < r->nactive; k++)
				r->active[k]->ended = true;
		else if (strcmp(d, "clear_facts") == 0) {
			h->facts = val_new_dict(&r->a);
			if (!r->free)
				val_dict_del(h->hv, "ansible_facts");
		}
	}
	ev_flush(r->ev, &sb, t, kind);
	sb_release(&sb);
	free(hs);
	if (strcmp(d, "flush_handlers") == 0)
		flush_handlers(r);
}

/*
 * include_tasks: decide per host (its when), show it as Ansible does, and
 * run the included tasks on the hosts that took it.
 */
/* A template in a host's scope (loop_control.label), as text. */
static char *
host_text(struct run *r, struct hstate *h, const struct task *t,
    const struct inherit *inh, struct value *v)
{
	struct job j = { 0 };
	struct varscope scope = { 0 };
	struct tmpl_env env = { varscope_get, &scope, TMPL_ANSIBLE,
	    t->basedir };
	struct err err = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct value *out;
	char *s;

	j.run = r;
	j.h = h;
	j.t = t;
	j.inh = inh;
	arena_init(&j.scratch);
	add_layers(&j, &scope, NULL);
	if (tmpl_value(&j.scratch, &env, v, &out, &err) == 0)
		val_str(&sb, out);
	s = arena_strndup(&r->a, sb.buf, sb.len);
	sb_release(&sb);
	arena_release(&j.scratch);
	return s;
}

/* A host's items for a looped include_tasks, in the run's arena. */
static struct value *
include_items(struct run *r, struct hstate *h, const struct task *inc,
    const struct inherit *inh, const char **bad)
{
	struct job j = { 0 };
	struct varscope scope = { 0 };
	struct tmpl_env env = { varscope_get, &scope, TMPL_ANSIBLE,
	    inc->basedir };
	struct value *items, *out = NULL;

	j.run = r;
	j.h = h;
	j.t = inc;
	j.inh = inh;
	arena_init(&j.scratch);
	add_layers(&j, &scope, NULL);
	items = loop_items(&j, &env, bad);
	if (items != NULL)
		out = val_copy(&r->a, items);
	else
		*bad = arena_strdup(&r->a, *bad != NULL ? *bad : "bad loop");
	arena_release(&j.scratch);
	return out;
}

/* What include_tasks gives a host's item (or the host), as Ansible's. */
static struct value *
include_result(struct arena *a, const struct task *inc, bool taken)
{
	struct value *v;

	if (!taken)
		return skip_result(a);
	v = val_new_dict(a);
	val_dict_set(a, v, "include", val_new_str(a, inc->include));
	val_dict_set(a, v, "include_args", val_new_dict(a));
	return v;
}

/*
 * include_tasks with a loop: each host's items; hosts that share an item
 * share its "included:" line (as Ansible groups IncludedFiles), and the
 * file runs once per item for those hosts, the item in their variables.
 */
static void
run_include_loop(struct run *r, const struct task *inc,
    const struct inherit *inh, const struct inherit *sub, const char *kind)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = r->nactive, ng = 0, considered = 0;
	size_t maxg = 256;
	struct value **gitem = xcalloc(maxg + 1, sizeof(*gitem));
	char **glabel = xcalloc(maxg + 1, sizeof(*glabel));
	size_t *gindex = xcalloc(maxg + 1, sizeof(*gindex));
	bool *member = xcalloc((maxg + 1) * (n + 1), sizeof(*member));
	bool *save = xcalloc(n + 1, sizeof(*save));
	struct value **savevars = xcalloc(n + 1, sizeof(*savevars));
	const char **ghosts = xcalloc(n + 1, sizeof(*ghosts));
	struct ev_host eh = { inc, kind, NULL, NULL, false, &sb };
	struct arena ea = ARENA_INIT;	/* the results the sinks see */

	for (size_t i = 0; i < n; i++)
		considered += host_live(r->active[i], inh);
	if (considered > 0)
		ev_task_start(r->ev, inc, kind);
	for (size_t i = 0; i < n; i++) {
		struct hstate *h = r->active[i];
		const char *bad = NULL;
		struct value *items, *res, *results;

		save[i] = h->excluded;
		savevars[i] = h->incvars;
		if (!host_live(h, inh))
			continue;
		eh.host = h->ih->name;
		if ((items = include_items(r, h, inc, inh, &bad)) == NULL) {
			res = val_new_dict(&ea);
			val_dict_set(&ea, res, "msg", val_new_str(&ea, bad));
			ev_host_result(r->ev, &eh, HS_FAILED, res, false);
			h->st.failed++;
			h->dead = true;
			continue;
		}
		size_t taken = 0;
		results = val_new_list(&ea);
		for (size_t k = 0; k < items->u.list->n; k++) {
			struct value *it = items->u.list->items[k];
			struct value *iv = val_new_dict(&r->a);
			size_t g;
			bool ok;

			/* when is evaluated per item, the item in scope */
			if (savevars[i] != NULL)
				for (size_t q = 0; q < savevars[i]->u.dict->n; q++)
					val_dict_setv(&r->a, iv,
					    savevars[i]->u.dict->ent[q].key,
					    savevars[i]->u.dict->ent[q].val);
			val_dict_set(&r->a, iv, inc->loop_var, it);
			if (inc->index_var != NULL)
				val_dict_set(&r->a, iv, inc->index_var,
				    val_new_int(&r->a, (int64_t)k));
			h->incvars = iv;
			ok = host_when(r, h, inc, inh);
			const char *lbl = NULL;
			if (inc->label != NULL)
				lbl = host_text(r, h, inc, inh, inc->label);
			h->incvars = savevars[i];
			if (lbl == NULL) {
				struct strbuf label = STRBUF_INIT;

				val_str(&label, it);
				lbl = arena_strndup(&r->a, label.buf, label.len);
				sb_release(&label);
			}
			res = include_result(&ea, inc, ok);
			val_dict_set(&ea, res, inc->loop_var, it);
			val_dict_set(&ea, res, "ansible_loop_var",
			    val_new_str(&ea, inc->loop_var));
			if (inc->index_var != NULL) {
				val_dict_set(&ea, res, inc->index_var,
				    val_new_int(&ea, (int64_t)k));
				val_dict_set(&ea, res, "ansible_index_var",
				    val_new_str(&ea, inc->index_var));
			}
			val_list_push(&ea, results, res);
			ev_item_result(r->ev, &eh, ok ? HS_OK : HS_SKIPPED, lbl,
			    res);
			if (!ok)
				continue;
			taken++;
			for (g = 0; g < ng; g++)
				if (val_equal(gitem[g], it) && (inc->index_var ==
				    NULL || gindex[g] == k))
					break;
			if (g == ng) {
				if (ng == maxg)
					continue;
				gitem[ng] = it;
				glabel[ng] = (char *)lbl;
				gindex[ng] = k;
				ng++;
			}
			member[g * (n + 1) + i] = true;
		}
		/* an included file is a result per item */
		h->st.ok += (int)taken;
		if (taken == 0)
			h->st.skipped++;
		res = val_new_dict(&ea);
		val_dict_set(&ea, res, "changed", &val_false);
		if (items->u.list->n == 0)
			val_dict_set(&ea, res, "skipped_reason", val_new_str(&ea,
			    "No items in the list"));
		else
			val_dict_set(&ea, res, "msg", val_new_str(&ea, taken > 0 ?
			    "All items completed" : "All items skipped"));
		if (taken == 0)
			val_dict_set(&ea, res, "skipped", &val_true);
		val_dict_set(&ea, res, "results", results);
		ev_host_result(r->ev, &eh, taken > 0 ? HS_OK : HS_SKIPPED, res,
		    false);
	}
	for (size_t g = 0; g < ng; g++) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (member[g * (n + 1) + i])
				ghosts[k++] = r->active[i]->ih->name;
		ev_included(r->ev, &sb, inc, inc->include, ghosts, k, glabel[g]);
	}
	if (considered > 0)
		ev_flush(r->ev, &sb, inc, kind);
	sb_release(&sb);
	arena_release(&ea);
	for (size_t g = 0; g < ng && !r->break_play; g++) {
		for (size_t i = 0; i < n; i++) {
			struct hstate *h = r->active[i];
			struct value *iv;

			h->excluded = save[i] || !member[g * (n + 1) + i];
			if (h->excluded)
				continue;
			iv = val_new_dict(&r->a);
			if (savevars[i] != NULL)
				for (size_t q = 0; q < savevars[i]->u.dict->n; q++)
					val_dict_setv(&r->a, iv,
					    savevars[i]->u.dict->ent[q].key,
					    savevars[i]->u.dict->ent[q].val);
			val_dict_set(&r->a, iv, inc->loop_var, gitem[g]);
			val_dict_set(&r->a, iv, "ansible_loop_var",
			    val_new_str(&r->a, inc->loop_var));
			if (inc->index_var != NULL)
				val_dict_set(&r->a, iv, inc->index_var,
				    val_new_int(&r->a, (int64_t)gindex[g]));
			h->incvars = iv;
		}
		run_tasks(r, inc->block, inc->nblock, sub, kind);
	}
	for (size_t i = 0; i < n; i++) {
		r->active[i]->excluded = save[i];
		r->active[i]->incvars = savevars[i];
	}
	free(gitem);
	free(glabel);
	free(gindex);
	free(member);
	free(save);
	free(savevars);
	free(ghosts);
}

static void
run_include(struct run *r, const struct task *inc, const struct inherit *inh,
    const char *kind)
{
	struct strbuf sb = STRBUF_INIT;
	struct inherit subi = *inh;

	/* include vars reach the included tasks as a block's would */
	if (inc->vars != NULL && inc->vars->type == VAL_DICT && subi.nvars < 16)
		subi.vars[subi.nvars++] = inc->vars;
	if (inc->loop_kind != LOOP_NONE) {
		run_include_loop(r, inc, inh, &subi, kind);
		return;
	}
	bool *save = xcalloc(r->nactive + 1, sizeof(*save));
	const char **hosts = xcalloc(r->nactive + 1, sizeof(*hosts));
	size_t taken = 0, considered = 0;
	struct ev_host eh = { inc, kind, NULL, NULL, false, &sb };
	struct arena ea = ARENA_INIT;	/* the results the sinks see */

	for (size_t i = 0; i < r->nactive; i++)
		considered += host_live(r->active[i], inh);
	if (considered > 0)
		ev_task_start(r->ev, inc, kind);
	for (size_t i = 0; i < r->nactive; i++) {
		struct hstate *h = r->active[i];
		struct value *res;
		bool ok;

		save[i] = h->excluded;
		if (!host_live(h, inh))
			continue;
		ok = host_when(r, h, inc, inh);
		eh.host = h->ih->name;
		res = include_result(&ea, inc, ok);
		val_dict_set(&ea, res, "changed", &val_false);
		ev_host_result(r->ev, &eh, ok ? HS_OK : HS_SKIPPED, res, false);
		if (!ok) {
			h->st.skipped++;
			h->excluded = true;
			continue;
		}
		hosts[taken++] = h->ih->name;
		h->st.ok++;
	}
	if (taken > 0)
		ev_included(r->ev, &sb, inc, inc->include, hosts, taken, NULL);
	if (considered > 0)
		ev_flush(r->ev, &sb, inc, kind);
	sb_release(&sb);
	arena_release(&ea);
	free(hosts);
	if (taken > 0)
		run_tasks(r, inc->block, inc->nblock, &subi, kind);
	for (size_t i = 0; i < r->nactive; i++)
		r->active[i]->excluded = save[i];
	free(save);
}

static bool
has_tag(const struct value *tags, const char *tag)
{
	for (size_t i = 0; tags != NULL && i < tags->u.list->n; i++)
		if (val_is_str(tags->u.list->items[i], tag))
			return true;
	return false;
}

static bool
any_tag(const struct value *tags, const struct str_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		/* each option may hold "a,b" */
		const char *p = l->v[i];

		while (*p != '\0') {
			size_t n = strcspn(p, ",");
			char buf[256];

			snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
			if (has_tag(tags, buf))
				return true;
			p += n;
			if (*p == ',')
				p++;
		}
	}
	return false;
}

static bool
opt_has(const struct str_list *l, const char *tag)
{
	struct value v, *items[1];
	struct val_list vl = { 1, 1, items };
	struct value s;

	memset(&s, 0, sizeof(s));
	s.type = VAL_STR;
	s.u.str.s = (char *)tag;
	s.u.str.len = strlen(tag);
	items[0] = &s;
	memset(&v, 0, sizeof(v));
	v.type = VAL_LIST;
	v.u.list = &vl;
	return any_tag(&v, l);
}

/* Ansible's Taggable.evaluate_tags(). */
static bool
tags_allow(const struct run *r, const struct value *tags)
{
	const struct str_list *only = &r->o->tags, *skip = &r->o->skip_tags;
	bool untagged = tags == NULL || tags->u.list->n == 0;
	bool run = true;

	if (only->n > 0) {
		run = false;
		if (has_tag(tags, "always"))
			run = true;
		else if (opt_has(only, "all") && !has_tag(tags, "never"))
			run = true;
		else if (untagged ? opt_has(only, "untagged") : any_tag(tags,
		    only))
			run = true;
		else if (opt_has(only, "tagged") && !untagged &&
		    !has_tag(tags, "never"))
			run = true;
	} else if (has_tag(tags, "never") && !has_tag(tags, "always"))
		run = false;
	if (run && skip->n > 0) {
		if (opt_has(skip, "all")) {
			if (!has_tag(tags, "always") || opt_has(skip, "always"))
				run = false;
		} else if (untagged ? opt_has(skip, "untagged") :
		    any_tag(tags, skip))
			run = false;
		else if (opt_has(skip, "tagged") && !untagged)
			run = false;
	}
	return run;
}

static void
run_tasks(struct run *r, struct task **tasks, size_t n,
    const struct inherit *inh, const char *kind)
{
	for (size_t i = 0; i < n; i++) {
		const struct task *t = tasks[i];

		if (r->nactive == 0 || r->break_play)
			return;
		if (t->include != NULL) {
			if (tags_allow(r, t->tags))
				run_include(r, t, inh, kind);
			continue;
		}
		if (t->mod == NULL) {
			run_block(r, t, inh, kind);
			continue;
		}
		if (!r->started) {
			if (t->name == NULL || strcmp(t->name,
			    r->o->start_at_task) != 0)
				continue;
			r->started = true;
		}
		if (!tags_allow(r, t->tags))
			continue;
		if (strcmp(t->mod->name, "meta") == 0) {
			run_meta(r, t, inh, kind, val_dict_get(t->args,
			    "_raw_params")->u.str.s);
			continue;
		}
		run_task(r, t, inh, kind, NULL, NULL);
	}
}

static bool
handler_matches(const struct task *hd, struct value *notified)
{
	for (size_t i = 0; i < notified->u.list->n; i++) {
		struct value *n = notified->u.list->items[i];

		if (hd->name != NULL && val_is_str(n, hd->name))
			return true;
		for (size_t k = 0; hd->listen != NULL &&
		    k < hd->listen->u.list->n; k++)
			if (val_equal(n, hd->listen->u.list->items[k]))
				return true;
	}
	return false;
}

static _Thread_local const struct task *cur_handler;

static bool
filter_notified(struct hstate *h)
{
	return handler_matches(cur_handler, h->notified);
}

static void
flush_handlers(struct run *r)
{
	struct inherit inh = { 0 };

	for (size_t k = 0; k < r->play->nhandlers; k++) {
		cur_handler = r->play->handlers[k];
		run_task(r, cur_handler, &inh, "RUNNING HANDLER", NULL,
		    filter_notified);
	}
	for (size_t i = 0; i < r->nactive; i++)
		r->active[i]->notified->u.list->n = 0;
}

static int
load_vars_files(struct run *r, struct play *p, struct err *err)
{
	r->play_vars_files = val_new_dict(&r->a);
	for (size_t i = 0; p->vars_files != NULL &&
	    i < p->vars_files->u.list->n; i++) {
		struct value *f = p->vars_files->u.list->items[i], *path, *v;
		struct varscope s = { 0 };
		struct tmpl_env env = { varscope_get, &s, TMPL_ANSIBLE,
		    r->pb.dir };

		varscope_push(&s, r->rs.extra_vars);
		varscope_push(&s, p->vars);
		if (tmpl_value(&r->a, &env, f, &path, err) < 0)
			return -1;
		if (path->type != VAL_STR)
			return err_set(err, &f->pos, "vars_files entries must be "
			    "paths");
		const char *fp = path->u.str.s[0] == '/' ? path->u.str.s :
		    arena_printf(&r->a, "%s/%s", r->pb.dir, path->u.str.s);
		if ((v = yaml_load_file(&r->a, fp, err)) == NULL)
			return -1;
		if (v->type == VAL_NULL)
			continue;
		if (v->type != VAL_DICT)
			return err_set(err, &v->pos, "vars file '%s' must be a "
			    "mapping", fp);
		for (size_t k = 0; k < v->u.dict->n; k++)
			val_dict_setv(&r->a, r->play_vars_files,
			    v->u.dict->ent[k].key, v->u.dict->ent[k].val);
	}
	return 0;
}

/* Ansible's serial: a number, "N%" of the play's hosts, or a list. */
static size_t
batch_size(const struct value *serial, size_t total, size_t idx)
{
	const struct value *v = serial;
	double n;

	if (v == NULL || v->type == VAL_NULL)
		return total;
	if (v->type == VAL_LIST) {
		if (v->u.list->n == 0)
			return total;
		v = v->u.list->items[idx < v->u.list->n ? idx :
		    v->u.list->n - 1];
	}
	if (v->type == VAL_STR && v->u.str.len > 0 &&
	    v->u.str.s[v->u.str.len - 1] == '%') {
		n = (double)total * strtod(v->u.str.s, NULL) / 100.0;
		return n < 1 ? 1 : (size_t)n;
	}
	if (v->type == VAL_STR)
		n = strtod(v->u.str.s, NULL);
	else if (val_is_number(v))
		n = val_as_double(v);
	else
		return total;
	if (n <= 0)
		return total;
	return (size_t)n;
}

/*
 * remote_user on the play: the login user unless the host's variables
 * name one (ansible_user wins, as in Ansible); a host whose session was
 * opened for another user gets a new one.
 */
static void
play_user(struct run *r, struct hstate *h, const struct play *p)
{
	const struct value *hv = inv_host_vars(&r->rs.inv, h->ih);
	const char *want = r->o->remote_user;
	struct run_opts po;

	if (val_dict_get(hv, "ansible_user") != NULL ||
	    val_dict_get(hv, "ansible_ssh_user") != NULL)
		return;
	if (p->remote_user != NULL)
		want = p->remote_user->u.str.s;
	if ((want == NULL && h->target.user == NULL) || (want != NULL &&
	    h->target.user != NULL && strcmp(want, h->target.user) == 0))
		return;
	po = *r->o;
	po.remote_user = want;
	target_release(&h->target);
	target_init(&h->target, h->ih->name, hv, &po);
}

/* A batch of hosts through the play: facts, the three sections. */
static void
run_batch(struct run *r, struct play *p)
{
	struct inherit inh = { 0 };

	if (p->gather_facts) {
		struct task *gt = arena_alloc(&r->a, sizeof(*gt));

		gt->name = "Gathering Facts";
		gt->action = "setup";
		gt->mod = mod_find("setup");
		gt->args = val_new_dict(&r->a);
		if (p->gather_subset != NULL)
			val_dict_set(&r->a, gt->args, "gather_subset",
			    p->gather_subset);
		gt->loop_var = "item";
		gt->tags = val_new_list(&r->a);
		val_list_push(&r->a, gt->tags, val_new_str(&r->a, "always"));
		run_task(r, gt, &inh, "TASK", NULL, cache_smart() ?
		    filter_no_cached_facts : NULL);
	}
	run_tasks(r, p->tasks, p->npre, &inh, "TASK");
	flush_handlers(r);
	run_tasks(r, p->tasks + p->npre, p->ntasks - p->npre - p->npost, &inh,
	    "TASK");
	flush_handlers(r);
	run_tasks(r, p->tasks + p->ntasks - p->npost, p->npost, &inh, "TASK");
	flush_handlers(r);
}

/* One host's walk through the play (strategy free). */
struct walker {
	struct run	 run;		/* a copy: this host only, own arena */
	struct hstate	*h;
};

static void
walker_work(void *ud, size_t i)
{
	struct walker *w = &((struct walker *)ud)[i];

	w->run.active = &w->h;
	w->run.nactive = 1;
	run_batch(&w->run, w->run.play);
}

static void
walker_done(void *ud, size_t i)
{
	(void)ud;
	(void)i;
}

/*
 * strategy: free.  Every host walks the play on its own thread, never
 * waiting for the others.  Its register/set_fact/facts stay its own (no
 * other thread reads them); hostvars, which other hosts' templates read,
 * take them when the play ends, so no thread ever sees a dict changing.
 */
static void
run_free(struct run *r, struct play *p)
{
	struct walker *ws = xcalloc(r->nactive + 1, sizeof(*ws));
	size_t n = r->nactive;

	(void)p;
	for (size_t i = 0; i < n; i++) {
		ws[i].run = *r;
		ws[i].run.free = true;
		arena_init(&ws[i].run.a);
		ws[i].h = r->active[i];
	}
	if (pool_run(n, run_setup_forks(r->o, n), walker_work, walker_done,
	    ws) < 0) {
		fprintf(stderr, "ERROR! cannot start worker threads: %s\n",
		    strerror(errno));
		exit(EXIT_INPUT);
	}
	for (size_t i = 0; i < n; i++) {
		struct hstate *h = ws[i].h;
		struct value *srcs[2] = { h->facts, h->setfacts };

		for (int k = 0; k < 2; k++)
			for (size_t q = 0; q < srcs[k]->u.dict->n; q++)
				val_dict_setv(&r->a, h->hv,
				    srcs[k]->u.dict->ent[q].key,
				    srcs[k]->u.dict->ent[q].val);
		if (ws[i].run.stop_playbook)
			r->stop_playbook = true;
		/* the walk's values live on: its arena joins the run's */
		arena_adopt(&r->a, &ws[i].run.a);
	}
	free(ws);
}

static int
run_play(struct run *r, struct play *p)
{
	struct err err = ERR_INIT;
	struct value *pat;
	struct inv_host **sel = NULL;
	size_t nsel = 0;
	struct varscope s = { 0 };
	struct tmpl_env env = { varscope_get, &s, TMPL_ANSIBLE, r->pb.dir };

	r->play = p;
	varscope_push(&s, r->rs.extra_vars);
	varscope_push(&s, p->vars);
	if (tmpl_value(&r->a, &env, p->hosts, &pat, &err) < 0 ||
	    pat->type != VAL_STR) {
		if (!err.set)
			err_set(&err, &p->hosts->pos, "hosts must be a pattern");
		err_print(&err);
		return -1;
	}
	if (pat_select(&r->rs.inv, pat->u.str.s, r->o->limits.v,
	    r->o->limits.n, &sel, &nsel, &err) < 0) {
		err_print(&err);
		return -1;
	}
	if (load_vars_files(r, p, &err) < 0) {
		err_print(&err);
		free(sel);
		return -1;
	}
	const char *title = p->name != NULL ? p->name : pat->u.str.s;
	r->active = xcalloc(nsel + 1, sizeof(*r->active));
	r->nactive = 0;
	r->magic.play_hosts = val_new_list(&r->a);
	for (size_t i = 0; i < nsel; i++) {
		struct hstate *h = host_state(r, sel[i]);

		play_user(r, h, p);
		h->in_play = true;
		h->ended = false;
		if (h->dead)
			continue;
		r->active[r->nactive++] = h;
		val_list_push(&r->a, r->magic.play_hosts,
		    val_new_str(&r->a, h->ih->name));
	}
	free(sel);
	if (r->nactive == 0) {
		ev_play_start(r->ev, p, title);
		ev_no_hosts_matched(r->ev);
		free(r->active);
		return 0;
	}
	/* serial: batches of hosts that each run the whole play */
	struct hstate **all = r->active;
	size_t nall = r->nactive, done = 0, bi = 0;
	while (done < nall) {
		size_t size = batch_size(p->serial, nall, bi++);

		if (size > nall - done)
			size = nall - done;
		r->active = all + done;
		r->nactive = size;
		r->batch_size = size;
		done += size;
		for (size_t i = 0; i < size; i++)
			r->active[i]->failed_batch = false;
		ev_play_start(r->ev, p, title);
		r->magic.play_batch = val_new_list(&r->a);
		for (size_t i = 0; i < size; i++)
			val_list_push(&r->a, r->magic.play_batch,
			    val_new_str(&r->a, r->active[i]->ih->name));
		if (p->strategy_free)
			run_free(r, p);
		else
			run_batch(r, p);
		if (r->break_play)
			break;
		/* a batch that failed whole ends the playbook */
		size_t alive = 0;
		for (size_t i = 0; i < r->nactive; i++)
			alive += !r->active[i]->dead;
		if (alive == 0) {
			r->stop_playbook = true;
			break;
		}
	}
	r->active = all;
	free(r->active);
	r->active = NULL;
	r->nactive = 0;
	return 0;
}

static void
print_tags(struct strbuf *sb, const struct value *tags)
{
	sb_adds(sb, "TAGS: [");
	for (size_t i = 0; tags != NULL && i < tags->u.list->n; i++) {
		if (i > 0)
			sb_adds(sb, ", ");
		val_str(sb, tags->u.list->items[i]);
	}
	sb_addch(sb, ']');
}

static void
list_tasks(struct run *r, struct strbuf *sb, struct task **ts, size_t n,
    struct value *all_tags)
{
	for (size_t i = 0; i < n; i++) {
		const struct task *t = ts[i];

		if (t->mod == NULL && t->include == NULL) {
			list_tasks(r, sb, t->block, t->nblock, all_tags);
			list_tasks(r, sb, t->rescue, t->nrescue, all_tags);
			list_tasks(r, sb, t->always, t->nalways, all_tags);
			continue;
		}
		if (!tags_allow(r, t->tags))
			continue;
		for (size_t k = 0; t->tags != NULL && k < t->tags->u.list->n; k++)
			if (!has_tag(all_tags, t->tags->u.list->items[k]->u.str.s))
				val_list_push(&r->a, all_tags,
				    t->tags->u.list->items[k]);
		if (r->o->list_tasks) {
			const char *nm = t->include != NULL && t->name == NULL ?
			    "include_tasks" : task_display_name(t);

			sb_addf(sb, "      %s\t", t->role != NULL && t->name ?
			    arena_printf(&r->a, "%s : %s", t->role->name,
			    t->name) : nm);
			print_tags(sb, t->tags);
			sb_addch(sb, '\n');
		}
	}
}

static int
cmp_str_values(const void *a, const void *b)
{
	const struct value *x = *(struct value *const *)a;
	const struct value *y = *(struct value *const *)b;

	return strcmp(x->u.str.s, y->u.str.s);
}

/* --syntax-check, --list-tasks, --list-hosts, --list-tags */
static int
list_playbook(struct run *r, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	struct err err = ERR_INIT;
	int rc = EXIT_OK;

	sb_addf(&sb, "\nplaybook: %s\n", path);
	if (r->o->syntax_check && !r->o->list_tasks && !r->o->list_hosts &&
	    !r->o->list_tags)
		goto out;
	for (size_t i = 0; i < r->pb.nplays; i++) {
		struct play *p = r->pb.plays[i];
		struct varscope s = { 0 };
		struct tmpl_env env = { varscope_get, &s, TMPL_ANSIBLE,
		    r->pb.dir };
		struct value *pat, *all_tags = val_new_list(&r->a);
		struct inv_host **sel = NULL;
		size_t nsel = 0;

		varscope_push(&s, r->rs.extra_vars);
		varscope_push(&s, p->vars);
		if (tmpl_value(&r->a, &env, p->hosts, &pat, &err) < 0 ||
		    pat_select(&r->rs.inv, pat->u.str.s, r->o->limits.v,
		    r->o->limits.n, &sel, &nsel, &err) < 0) {
			err_print(&err);
			rc = EXIT_INPUT;
			goto out;
		}
		sb_addf(&sb, "\n  play #%zu (%s): %s\t", i + 1, pat->u.str.s,
		    p->name != NULL ? p->name : "");
		print_tags(&sb, p->tags);
		sb_addch(&sb, '\n');
		if (r->o->list_hosts) {
			sb_addf(&sb, "    pattern: ['%s']\n    hosts (%zu):\n",
			    pat->u.str.s, nsel);
			for (size_t k = 0; k < nsel; k++)
				sb_addf(&sb, "      %s\n", sel[k]->name);
		}
		free(sel);
		if (r->o->list_tasks)
			sb_adds(&sb, "    tasks:\n");
		list_tasks(r, &sb, p->tasks, p->ntasks, all_tags);
		if (r->o->list_tags) {
			qsort(all_tags->u.list->items, all_tags->u.list->n,
			    sizeof(struct value *), cmp_str_values);
			sb_adds(&sb, "      TASK ");
			print_tags(&sb, all_tags);
			sb_addch(&sb, '\n');
		}
	}
out:
	fputs(sb.buf, stdout);
	sb_release(&sb);
	return rc;
}

static bool
env_true(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && (strcasecmp(v, "1") == 0 || strcasecmp(v, "yes") ==
	    0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "on") == 0 ||
	    strcasecmp(v, "y") == 0 || strcasecmp(v, "t") == 0);
}

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The retry file (ANSIBLE_RETRY_FILES_ENABLED, off by default as in
 * Ansible): the failed and unreachable hosts, one a line, in
 * PLAYBOOK.retry beside the playbook or in ANSIBLE_RETRY_FILES_SAVE_PATH;
 * `--limit @FILE` runs them again.  Written atomically.
 */
static void
write_retry(struct run *r, const char *path)
{
	const char **names = xcalloc(r->nhs + 1, sizeof(*names));
	const char *dir = getenv("ANSIBLE_RETRY_FILES_SAVE_PATH");
	const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 :
	    path;
	const char *dot = strrchr(base, '.');
	size_t n = 0;
	struct strbuf file = STRBUF_INIT, tmp = STRBUF_INIT;
	char cwd[4096];
	FILE *f;

	for (size_t i = 0; i < r->nhs; i++)
		if (r->hs[i].target_ready && (r->hs[i].st.failed > 0 ||
		    r->hs[i].st.unreachable > 0 || r->hs[i].failed_mark))
			names[n++] = r->hs[i].ih->name;
	if (n == 0 || !env_true("ANSIBLE_RETRY_FILES_ENABLED")) {
		free(names);
		return;
	}
	qsort(names, n, sizeof(*names), cmp_cstr);
	if (dir != NULL && *dir != '\0')
		sb_adds(&file, dir);
	else if (r->pb.dir[0] == '/')
		sb_adds(&file, r->pb.dir);
	else if (getcwd(cwd, sizeof(cwd)) != NULL) {
		sb_adds(&file, cwd);
		if (strcmp(r->pb.dir, ".") != 0)
			sb_addf(&file, "/%s", r->pb.dir);
	}
	sb_addf(&file, "/%.*s.retry", (int)(dot != NULL && dot != base ?
	    (size_t)(dot - base) : strlen(base)), base);
	sb_addf(&tmp, "%s.tmp%ld", file.buf, (long)getpid());
	f = fopen(tmp.buf, "w");
	if (f != NULL) {
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%s\n", names[i]);
		if (fclose(f) == 0 && rename(tmp.buf, file.buf) == 0)
			printf("\tto retry, use: --limit @%s\n", file.buf);
		else
			unlink(tmp.buf);
	}
	if (f == NULL || access(file.buf, F_OK) != 0)
		fprintf(stderr, "[WARNING]: Could not create retry file '%s'.\n",
		    file.buf);
	sb_release(&file);
	sb_release(&tmp);
	free(names);
}

/* Ansible's recap lists the hosts that have a count. */
static bool
stats_any(const struct host_stats *st)
{
	return st->ok || st->changed || st->unreachable || st->failed ||
	    st->skipped || st->rescued || st->ignored;
}

int
playbook_main(struct run_opts *o, const char *path, struct events *ev)
{
	struct run r;
	struct err err = ERR_INIT;
	int rc = EXIT_OK;
	size_t nfailed = 0, nunreach = 0;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.ev = ev;
	r.started = o->start_at_task == NULL;
	arena_init(&r.a);
	if (playbook_load(&r.a, path, &r.pb, &err) < 0 ||
	    run_setup_init(&r.rs, o, "all", &err) < 0) {
		err_print(&err);
		arena_release(&r.a);
		return EXIT_INPUT;
	}
	/* group_vars/ and host_vars/ beside the playbook */
	if (inv_add_vars_dir(&r.rs.inv, r.pb.dir, &err) < 0) {
		err_print(&err);
		run_setup_release(&r.rs);
		arena_release(&r.a);
		return EXIT_INPUT;
	}
	if (o->syntax_check || o->list_tasks || o->list_hosts || o->list_tags) {
		int lrc = list_playbook(&r, path);

		run_setup_release(&r.rs);
		arena_release(&r.a);
		return lrc;
	}
	/* Every play's hosts: must template before any host is touched. */
	for (size_t i = 0; i < r.pb.nplays; i++) {
		struct play *p = r.pb.plays[i];
		struct varscope s = { 0 };
		struct tmpl_env env = { varscope_get, &s, TMPL_ANSIBLE,
		    r.pb.dir };
		struct value *pat;

		varscope_push(&s, r.rs.extra_vars);
		varscope_push(&s, p->vars);
		if (tmpl_value(&r.a, &env, p->hosts, &pat, &err) < 0) {
			err_print(&err);
			run_setup_release(&r.rs);
			arena_release(&r.a);
			return EXIT_INPUT;
		}
	}
	r.nhs = r.rs.inv.nhosts + 1;
	r.hs = xcalloc(r.nhs + 1, sizeof(*r.hs));
	r.hostvars = vars_hostvars(&r.a, &r.rs.inv);
	r.magic.hostvars = r.hostvars;
	r.magic.check_mode = o->check;
	r.magic.diff_mode = o->diff;
	r.magic.verbosity = o->verbosity;
	ev_playbook_start(ev, path);
	for (size_t i = 0; i < r.pb.nplays && !r.stop_playbook; i++) {
		r.break_play = false;
		if (run_play(&r, r.pb.plays[i]) < 0) {
			rc = EXIT_INPUT;
			break;
		}
	}
	if (rc == EXIT_OK) {
		struct host_stats *st = xcalloc(r.nhs + 1, sizeof(*st));
		size_t n = 0;

		for (size_t i = 0; i < r.nhs; i++)
			if (r.hs[i].target_ready && stats_any(&r.hs[i].st)) {
				st[n++] = r.hs[i].st;
				nfailed += r.hs[i].st.failed > 0;
				nunreach += r.hs[i].st.unreachable > 0;
			}
		write_retry(&r, path);
		ev_stats(ev, st, n);
		free(st);
		/*
		 * StrategyBase.run(): a play broken by any_errors_fatal or
		 * max_fail_percentage is RUN_FAILED_HOSTS; else an unreachable
		 * host anywhere wins over a failed one.
		 */
		rc = r.break_play ? EXIT_FAILED : nunreach > 0 ?
		    EXIT_UNREACHABLE : nfailed > 0 ? EXIT_FAILED : EXIT_OK;
	}
	for (size_t i = 0; i < r.nhs; i++)
		if (r.hs[i].target_ready)
			target_release(&r.hs[i].target);
	free(r.hs);
	run_setup_release(&r.rs);
	arena_release(&r.a);
	return rc;
}
