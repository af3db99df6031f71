/*
 * play.c: the play compiler (play.h).  Keywords follow Ansible 2.14's
 * Play, Block and Task attributes; what muster does not do yet is refused
 * by name, never ignored.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "play.h"
#include "template/template.h"
#include "util.h"
#include "yaml_load.h"

static const char *const play_keys[] = { "name", "hosts", "vars",
	"vars_files", "gather_facts", "tasks", "pre_tasks", "post_tasks",
	"handlers", "become", "become_user", "become_method", "remote_user",
	"tags", "connection", "any_errors_fatal", "ignore_errors",
	"ignore_unreachable", "environment", "roles", "serial", "strategy",
	"max_fail_percentage", "gather_subset", "order", "collections",
	"module_defaults", "check_mode", "diff", "no_log", "port",
	"vars_prompt", "force_handlers", "run_once", "throttle", "timeout",
	"fact_path", "gather_timeout", "debugger", "import_playbook", NULL };

/* Play keywords accepted and not yet acted on would change results. */
static const char *const play_unsupported[] = { "roles", "serial",
	"strategy", "max_fail_percentage", "vars_prompt", "environment",
	"ignore_unreachable", "any_errors_fatal", "order", "module_defaults",
	"throttle", "force_handlers", "run_once", "debugger", "connection",
	NULL };

static const char *const task_keys[] = { "name", "action", "local_action",
	"args", "when", "loop", "loop_control", "register", "changed_when",
	"failed_when", "ignore_errors", "ignore_unreachable", "notify",
	"listen", "vars", "become", "become_user", "become_method",
	"delegate_to", "delegate_facts", "run_once", "check_mode", "diff",
	"no_log", "environment", "tags", "throttle", "until", "retries",
	"delay", "block", "rescue", "always", "any_errors_fatal", "timeout",
	"collections", "module_defaults", "connection", "remote_user",
	"debugger", "async", "poll", "port", "with_items", "with_list",
	"with_dict", "with_indexed_items", "with_sequence", "with_nested",
	"with_together", "with_fileglob", "with_first_found", "with_lines",
	"with_subelements", "with_random_choice", "with_flattened", NULL };

static const char *const task_unsupported[] = { "local_action",
	"ignore_unreachable", "become", "become_user", "become_method",
	"delegate_to", "delegate_facts", "diff", "environment", "throttle",
	"any_errors_fatal", "timeout", "module_defaults", "connection",
	"remote_user", "debugger", "async", "poll", "port", "with_together",
	"with_fileglob", "with_first_found", "with_lines", "with_subelements",
	"with_random_choice", "with_flattened", NULL };

/* Task keywords that are not module names. */
static bool
is_key(const char *k, const char *const *keys)
{
	for (size_t i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], k) == 0)
			return true;
	return false;
}

static struct value *
as_list(struct arena *a, struct value *v)
{
	struct value *l;

	if (v == NULL || v->type == VAL_LIST)
		return v;
	l = val_new_list(a);
	l->pos = v->pos;
	val_list_push(a, l, v);
	return l;
}

static const char *
str_of(struct arena *a, struct value *v, const char *what, struct err *err)
{
	if (v == NULL || v->type == VAL_NULL)
		return NULL;
	if (v->type != VAL_STR && v->type != VAL_INT && v->type != VAL_FLOAT) {
		err_set(err, &v->pos, "'%s' must be a string, not %s", what,
		    val_type_name(v));
		return NULL;
	}
	if (v->type != VAL_STR) {
		struct strbuf sb = STRBUF_INIT;
		const char *s;

		val_str(&sb, v);
		s = arena_strdup(a, sb.buf);
		sb_release(&sb);
		return s;
	}
	return v->u.str.s;
}

static int compile_tasks(struct arena *, struct value *list, const char *what,
    bool handlers, struct task ***out, size_t *n, struct err *);

static int
compile_block(struct arena *a, struct value *d, struct task *t, bool handlers,
    struct err *err)
{
	struct value *b = val_dict_get(d, "block");
	struct value *r = val_dict_get(d, "rescue");
	struct value *al = val_dict_get(d, "always");

	if (compile_tasks(a, b, "block", handlers, &t->block, &t->nblock,
	    err) < 0)
		return -1;
	if (r != NULL && compile_tasks(a, r, "rescue", handlers, &t->rescue,
	    &t->nrescue, err) < 0)
		return -1;
	if (al != NULL && compile_tasks(a, al, "always", handlers, &t->always,
	    &t->nalways, err) < 0)
		return -1;
	for (size_t i = 0; i < d->u.dict->n; i++) {
		struct value *k = d->u.dict->ent[i].key;
		static const char *const block_keys[] = { "block", "rescue",
			"always", "name", "when", "vars", "tags", "ignore_errors",
			"check_mode", "no_log", NULL };

		if (!is_key(k->u.str.s, block_keys))
			return err_set(err, &k->pos, "'%s' is not valid on a "
			    "block in muster yet", k->u.str.s);
	}
	return 0;
}

static const struct {
	const char	*key;
	enum loop_kind	 kind;
} loop_keys[] = {
	{ "loop", LOOP_LIST }, { "with_list", LOOP_LIST },
	{ "with_items", LOOP_ITEMS }, { "with_dict", LOOP_DICT },
	{ "with_indexed_items", LOOP_INDEXED },
	{ "with_sequence", LOOP_SEQUENCE }, { "with_nested", LOOP_NESTED },
};

static enum loop_kind
loop_kind_of(const char *key)
{
	for (size_t i = 0; i < sizeof(loop_keys) / sizeof(*loop_keys); i++)
		if (strcmp(loop_keys[i].key, key) == 0)
			return loop_keys[i].kind;
	return LOOP_NONE;
}

static int
set_loop(struct task *t, enum loop_kind kind, struct value *v,
    struct err *err)
{
	if (t->loop_kind != LOOP_NONE)
		return err_set(err, &v->pos, "a task takes one loop keyword");
	t->loop_kind = kind;
	t->loop = v;
	return 0;
}

static int
compile_task(struct arena *a, struct value *d, bool handler,
    struct task **out, struct err *err)
{
	struct task *t = arena_alloc(a, sizeof(*t));
	struct value *modargs = NULL, *extra = NULL;
	const char *modkey = NULL;
	struct pos modpos = { 0 };

	t->pos = d->pos;
	t->loop_var = "item";
	if (d->type != VAL_DICT)
		return err_set(err, &d->pos, "a task must be a mapping, not %s",
		    val_type_name(d));
	if (val_dict_get(d, "block") != NULL) {
		struct value *n = val_dict_get(d, "name");

		t->name = n != NULL ? str_of(a, n, "name", err) : NULL;
		t->when = as_list(a, val_dict_get(d, "when"));
		t->vars = val_dict_get(d, "vars");
		t->ignore_errors = val_dict_get(d, "ignore_errors");
		*out = t;
		return compile_block(a, d, t, handler, err);
	}
	for (size_t i = 0; i < d->u.dict->n; i++) {
		struct value *k = d->u.dict->ent[i].key;
		struct value *v = d->u.dict->ent[i].val;
		const char *key = k->type == VAL_STR ? k->u.str.s : "";

		if (k->type != VAL_STR)
			return err_set(err, &k->pos, "task keys must be strings");
		if (is_key(key, task_unsupported))
			return err_set(err, &k->pos, "the task keyword '%s' is "
			    "not supported by muster yet", key);
		if (!strcmp(key, "name"))
			t->name = str_of(a, v, "name", err);
		else if (!strcmp(key, "when"))
			t->when = as_list(a, v);
		else if (loop_kind_of(key) != LOOP_NONE) {
			if (set_loop(t, loop_kind_of(key), v, err) < 0)
				return -1;
		} else if (!strcmp(key, "loop_control")) {
			static const char *const lc_keys[] = { "loop_var",
				"index_var", "label", "pause", "extended",
				"extended_allitems", NULL };

			if (v->type != VAL_DICT)
				return err_set(err, &v->pos, "loop_control must "
				    "be a mapping");
			for (size_t k2 = 0; k2 < v->u.dict->n; k2++) {
				struct value *lk = v->u.dict->ent[k2].key;
				struct value *lv = v->u.dict->ent[k2].val;

				if (!is_key(lk->u.str.s, lc_keys)) {
					const char *s = util_closest(lk->u.str.s,
					    lc_keys);

					return err_set(err, &lk->pos, "'%s' is not "
					    "a valid loop_control option%s%s%s",
					    lk->u.str.s, s ? " (did you mean '" :
					    "", s ? s : "", s ? "'?)" : "");
				}
				if (!strcmp(lk->u.str.s, "loop_var"))
					t->loop_var = str_of(a, lv, "loop_var", err);
				else if (!strcmp(lk->u.str.s, "index_var"))
					t->index_var = str_of(a, lv, "index_var",
					    err);
				else if (!strcmp(lk->u.str.s, "label"))
					t->label = lv;
				else if (!strcmp(lk->u.str.s, "pause"))
					return err_set(err, &lk->pos, "loop_control "
					    "pause is not supported by muster "
					    "yet");
			}
		} else if (!strcmp(key, "register"))
			t->reg = str_of(a, v, "register", err);
		else if (!strcmp(key, "changed_when"))
			t->changed_when = as_list(a, v);
		else if (!strcmp(key, "failed_when"))
			t->failed_when = as_list(a, v);
		else if (!strcmp(key, "ignore_errors"))
			t->ignore_errors = v;
		else if (!strcmp(key, "notify"))
			t->notify = as_list(a, v);
		else if (!strcmp(key, "listen"))
			t->listen = as_list(a, v);
		else if (!strcmp(key, "vars"))
			t->vars = v;
		else if (!strcmp(key, "until"))
			t->until = as_list(a, v);
		else if (!strcmp(key, "retries"))
			t->retries = v;
		else if (!strcmp(key, "delay"))
			t->delay = v;
		else if (!strcmp(key, "check_mode"))
			t->check_mode = v;
		else if (!strcmp(key, "run_once"))
			t->run_once = val_truthy(v);
		else if (!strcmp(key, "no_log"))
			t->no_log = val_truthy(v);
		else if (!strcmp(key, "args"))
			extra = v;
		else if (!strcmp(key, "tags") || !strcmp(key, "collections"))
			;
		else if (!strcmp(key, "action")) {
			/* action: module k=v */
			const char *s = str_of(a, v, "action", err);
			const char *sp;

			if (s == NULL)
				return -1;
			if (modkey != NULL)
				return err_set(err, &k->pos, "conflicting action "
				    "statements: %s, action", modkey);
			sp = strpbrk(s, " \t");
			modkey = sp ? arena_strndup(a, s, (size_t)(sp - s)) : s;
			modargs = sp ? val_new_str(a, sp + 1) : NULL;
			if (modargs != NULL)
				modargs->pos = v->pos;
			modpos = v->pos;
		} else if (is_key(key, task_keys)) {
			return err_set(err, &k->pos, "'%s' is not supported here",
			    key);
		} else {
			if (modkey != NULL)
				return err_set(err, &k->pos, "conflicting action "
				    "statements: %s, %s", modkey, key);
			modkey = key;
			modargs = v;
			modpos = k->pos;
		}
		if (err->set)
			return -1;
	}
	if (modkey == NULL)
		return err_set(err, &d->pos, "no module/action detected in task");
	t->action = modkey;
	t->mod = mod_find(modkey);
	if (t->mod == NULL) {
		const struct module *const *ml = mod_list();
		const char *names[128];
		size_t n = 0;

		for (; ml[n] != NULL && n < 127; n++)
			names[n] = ml[n]->name;
		names[n] = NULL;
		const char *s = util_closest(modkey, names);
		if (s == NULL) {
			/* A misspelled task keyword? */
			s = util_closest(modkey, task_keys);
		}
		return err_set(err, &modpos, "couldn't resolve module/action "
		    "'%s'%s%s%s", modkey, s ? " (did you mean '" : "",
		    s ? s : "", s ? "'?)" : "");
	}
	/* The arguments: free-form text, a dict, or nothing; plus args:. */
	struct value *args = val_new_dict(a);
	args->pos = modpos;
	if (extra != NULL) {
		if (extra->type != VAL_DICT)
			return err_set(err, &extra->pos, "args must be a "
			    "mapping");
		for (size_t i = 0; i < extra->u.dict->n; i++)
			val_dict_setv(a, args, extra->u.dict->ent[i].key,
			    extra->u.dict->ent[i].val);
	}
	if (modargs != NULL && modargs->type == VAL_DICT) {
		for (size_t i = 0; i < modargs->u.dict->n; i++)
			val_dict_setv(a, args, modargs->u.dict->ent[i].key,
			    modargs->u.dict->ent[i].val);
	} else if (modargs != NULL && modargs->type == VAL_STR) {
		struct value *kv = mod_parse_kv(a, t->mod, modargs->u.str.s,
		    &modargs->pos, err);

		if (kv == NULL)
			return -1;
		for (size_t i = 0; i < kv->u.dict->n; i++)
			val_dict_setv(a, args, kv->u.dict->ent[i].key,
			    kv->u.dict->ent[i].val);
	} else if (modargs != NULL && modargs->type != VAL_NULL)
		return err_set(err, &modargs->pos, "the arguments of '%s' must "
		    "be a mapping or a string, not %s", modkey,
		    val_type_name(modargs));
	t->args = args;
	/* Arguments without templates are checked now, before any host. */
	if (!tmpl_value_needs(args) && mod_check_args(a, t->mod, args,
	    err) == NULL)
		return -1;
	if (handler && t->name == NULL && t->listen == NULL)
		return err_set(err, &d->pos, "a handler needs a name or listen");
	*out = t;
	return 0;
}

static int
compile_tasks(struct arena *a, struct value *list, const char *what,
    bool handlers, struct task ***out, size_t *n, struct err *err)
{
	if (list == NULL || list->type == VAL_NULL) {
		*out = NULL;
		*n = 0;
		return 0;
	}
	if (list->type != VAL_LIST)
		return err_set(err, &list->pos, "'%s' must be a list of tasks",
		    what);
	*n = list->u.list->n;
	*out = arena_alloc(a, (*n + 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++)
		if (compile_task(a, list->u.list->items[i], handlers,
		    &(*out)[i], err) < 0)
			return -1;
	return 0;
}

static int load_into(struct arena *, const char *path, struct playbook *,
    int depth, struct err *);

static int
push_play(struct arena *a, struct playbook *pb, struct play *p)
{
	pb->plays = arena_realloc(a, pb->plays, pb->nplays * sizeof(*pb->plays),
	    (pb->nplays + 1) * sizeof(*pb->plays));
	pb->plays[pb->nplays++] = p;
	return 0;
}

static int
compile_play(struct arena *a, struct value *d, struct playbook *pb,
    const char *dir, int depth, struct err *err)
{
	struct play *p = arena_alloc(a, sizeof(*p));
	struct task **pre, **main, **post;
	size_t npre, nmain, npost;
	struct value *v;

	if (d->type != VAL_DICT)
		return err_set(err, &d->pos, "a play must be a mapping, not %s",
		    val_type_name(d));
	if ((v = val_dict_get(d, "import_playbook")) != NULL) {
		const char *f = str_of(a, v, "import_playbook", err);

		if (f == NULL)
			return -1;
		return load_into(a, f[0] == '/' ? f : arena_printf(a, "%s/%s",
		    dir, f), pb, depth + 1, err);
	}
	for (size_t i = 0; i < d->u.dict->n; i++) {
		struct value *k = d->u.dict->ent[i].key;

		if (k->type != VAL_STR || !is_key(k->u.str.s, play_keys)) {
			const char *s = k->type == VAL_STR ?
			    util_closest(k->u.str.s, play_keys) : NULL;

			return err_set(err, &k->pos, "'%s' is not a valid "
			    "attribute for a Play%s%s%s", k->type == VAL_STR ?
			    k->u.str.s : "?", s ? " (did you mean '" : "",
			    s ? s : "", s ? "'?)" : "");
		}
		if (is_key(k->u.str.s, play_unsupported))
			return err_set(err, &k->pos, "the play keyword '%s' is "
			    "not supported by muster yet", k->u.str.s);
	}
	p->pos = d->pos;
	v = val_dict_get(d, "name");
	p->name = v != NULL ? str_of(a, v, "name", err) : NULL;
	p->hosts = val_dict_get(d, "hosts");
	if (p->hosts == NULL || p->hosts->type == VAL_NULL)
		return err_set(err, &d->pos, "the field 'hosts' is required but "
		    "was not set");
	if (p->hosts->type == VAL_LIST) {
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < p->hosts->u.list->n; i++) {
			if (i > 0)
				sb_addch(&sb, ',');
			val_str(&sb, p->hosts->u.list->items[i]);
		}
		struct value *s = val_new_strn(a, sb.buf, sb.len);
		s->pos = p->hosts->pos;
		p->hosts = s;
		sb_release(&sb);
	}
	p->vars = val_dict_get(d, "vars");
	if (p->vars != NULL && p->vars->type != VAL_DICT &&
	    p->vars->type != VAL_NULL)
		return err_set(err, &p->vars->pos, "vars must be a mapping");
	p->vars_files = as_list(a, val_dict_get(d, "vars_files"));
	v = val_dict_get(d, "gather_facts");
	p->gather_facts = v == NULL || val_truthy(v);
	if (compile_tasks(a, val_dict_get(d, "pre_tasks"), "pre_tasks", false,
	    &pre, &npre, err) < 0 ||
	    compile_tasks(a, val_dict_get(d, "tasks"), "tasks", false, &main,
	    &nmain, err) < 0 ||
	    compile_tasks(a, val_dict_get(d, "post_tasks"), "post_tasks",
	    false, &post, &npost, err) < 0 ||
	    compile_tasks(a, val_dict_get(d, "handlers"), "handlers", true,
	    &p->handlers, &p->nhandlers, err) < 0)
		return -1;
	p->ntasks = npre + nmain + npost;
	p->tasks = arena_alloc(a, (p->ntasks + 1) * sizeof(*p->tasks));
	if (npre > 0)
		memcpy(p->tasks, pre, npre * sizeof(*pre));
	if (nmain > 0)
		memcpy(p->tasks + npre, main, nmain * sizeof(*main));
	if (npost > 0)
		memcpy(p->tasks + npre + nmain, post, npost * sizeof(*post));
	p->npre = npre;
	p->npost = npost;
	return push_play(a, pb, p);
}

static int
load_into(struct arena *a, const char *path, struct playbook *pb, int depth,
    struct err *err)
{
	struct value *doc;
	char *copy, *dir;

	if (depth > 20)
		return err_set(err, NULL, "import_playbook nested too deeply at "
		    "'%s'", path);
	doc = yaml_load_file(a, path, err);
	if (doc == NULL)
		return -1;
	copy = arena_strdup(a, path);
	dir = arena_strdup(a, dirname(copy));
	if (doc->type != VAL_LIST)
		return err_set(err, &doc->pos, "a playbook must be a list of "
		    "plays, not %s", val_type_name(doc));
	for (size_t i = 0; i < doc->u.list->n; i++)
		if (compile_play(a, doc->u.list->items[i], pb, dir, depth,
		    err) < 0)
			return -1;
	return 0;
}

int
playbook_load(struct arena *a, const char *path, struct playbook *pb,
    struct err *err)
{
	char *copy;

	memset(pb, 0, sizeof(*pb));
	pb->path = arena_strdup(a, path);
	copy = arena_strdup(a, path);
	pb->dir = arena_strdup(a, dirname(copy));
	return load_into(a, path, pb, 0, err);
}

const char *
task_display_name(const struct task *t)
{
	if (t->name != NULL)
		return t->name;
	if (t->mod != NULL)
		return t->action;
	return "block";
}
