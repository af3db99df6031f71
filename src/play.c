/*
 * play.c: the play compiler (play.h).  Keywords follow Ansible 2.14's
 * Play, Block and Task attributes; what muster does not do yet is refused
 * by name, never ignored.
 */
#include <sys/stat.h>

#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
static const char *const play_unsupported[] = {
	"vars_prompt", "order", "module_defaults", "force_handlers",
	"run_once", "debugger", "connection", "port", "timeout", "fact_path",
	"gather_timeout", NULL };

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
	"with_subelements", "with_random_choice", "with_flattened",
	"import_tasks", "include_tasks", "import_role", "include_role", NULL };

static const char *const task_unsupported[] = { "local_action",
	"timeout", "module_defaults", "connection",
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

/* What a task list inherits where it is compiled. */
struct cctx {
	struct arena		*a;
	const char		*basedir;	/* the playbook's or role's dir */
	const struct role	*role;
	struct value		*tags;		/* inherited tags (list) */
	struct value		*when;		/* inherited conditions (list) */
	struct playbook		*pb;
	struct play		*play;		/* roles add handlers here */
	int			 depth;
};

struct taskvec {
	struct task		**v;
	size_t			 n, alloc;
};

static void
tv_push(struct arena *a, struct taskvec *tv, struct task *t)
{
	if (tv->n == tv->alloc) {
		size_t na = tv->alloc ? tv->alloc * 2 : 8;

		tv->v = arena_realloc(a, tv->v, tv->alloc * sizeof(*tv->v),
		    (na + 1) * sizeof(*tv->v));
		tv->alloc = na;
	}
	tv->v[tv->n++] = t;
	tv->v[tv->n] = NULL;
}

static int compile_tasks(const struct cctx *, struct value *list,
    const char *what, bool handlers, struct task ***out, size_t *n,
    struct err *);

/* A task's environment over its block's (Ansible merges the two). */
static struct value *
merge_env(struct arena *a, struct value *outer, struct value *inner)
{
	struct value *m;

	if (inner == NULL)
		return outer;
	if (outer == NULL || outer->type != VAL_DICT ||
	    inner->type != VAL_DICT)
		return inner;
	m = val_new_dict(a);
	for (size_t i = 0; i < outer->u.dict->n; i++)
		val_dict_setv(a, m, outer->u.dict->ent[i].key,
		    outer->u.dict->ent[i].val);
	for (size_t i = 0; i < inner->u.dict->n; i++)
		val_dict_setv(a, m, inner->u.dict->ent[i].key,
		    inner->u.dict->ent[i].val);
	m->pos = inner->pos;
	return m;
}

/*
 * Block keywords reach the tasks inside (Ansible's attribute
 * inheritance): what a task leaves unset, its block gives.  Inner blocks
 * have already passed theirs down, so only gaps are filled.
 */
static void
inherit_block(struct arena *a, const struct task *b, struct task **ts,
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct task *t = ts[i];

#define INHERIT(f) if (t->f == NULL) t->f = b->f
		INHERIT(become);
		INHERIT(become_user);
		INHERIT(become_method);
		INHERIT(check_mode);
		INHERIT(any_errors_fatal);
		INHERIT(ignore_unreachable);
		INHERIT(throttle);
		INHERIT(diff);
		INHERIT(delegate_to);
#undef INHERIT
		t->no_log = t->no_log || b->no_log;
		t->run_once = t->run_once || b->run_once;
		t->environment = merge_env(a, b->environment, t->environment);
		if (t->mod == NULL && t->include == NULL) {
			inherit_block(a, t, t->block, t->nblock);
			inherit_block(a, t, t->rescue, t->nrescue);
			inherit_block(a, t, t->always, t->nalways);
		} else if (t->include != NULL)
			inherit_block(a, t, t->block, t->nblock);
	}
}

static int
compile_block(const struct cctx *cx, struct value *d, struct task *t,
    bool handlers, struct err *err)
{
	struct value *b = val_dict_get(d, "block");
	struct value *r = val_dict_get(d, "rescue");
	struct value *al = val_dict_get(d, "always");

	struct cctx sub = *cx;

	/* The block's tags reach its tasks. */
	sub.tags = t->tags;
	if (compile_tasks(&sub, b, "block", handlers, &t->block, &t->nblock,
	    err) < 0)
		return -1;
	if (r != NULL && compile_tasks(&sub, r, "rescue", handlers, &t->rescue,
	    &t->nrescue, err) < 0)
		return -1;
	if (al != NULL && compile_tasks(&sub, al, "always", handlers,
	    &t->always, &t->nalways, err) < 0)
		return -1;
	for (size_t i = 0; i < d->u.dict->n; i++) {
		struct value *k = d->u.dict->ent[i].key;
		static const char *const block_keys[] = { "block", "rescue",
			"always", "name", "when", "vars", "tags", "ignore_errors",
			"check_mode", "no_log", "become", "become_user",
			"become_method", "any_errors_fatal", "ignore_unreachable",
			"throttle", "diff", "environment", "delegate_to",
			"run_once", NULL };

		if (!is_key(k->u.str.s, block_keys))
			return err_set(err, &k->pos, "'%s' is not valid on a "
			    "block in muster yet", k->u.str.s);
	}
	t->check_mode = val_dict_get(d, "check_mode");
	t->no_log = val_truthy(val_dict_get(d, "no_log"));
	t->any_errors_fatal = val_dict_get(d, "any_errors_fatal");
	t->ignore_unreachable = val_dict_get(d, "ignore_unreachable");
	t->throttle = val_dict_get(d, "throttle");
	t->diff = val_dict_get(d, "diff");
	t->environment = val_dict_get(d, "environment");
	t->delegate_to = val_dict_get(d, "delegate_to");
	t->run_once = val_truthy(val_dict_get(d, "run_once"));
	inherit_block(cx->a, t, t->block, t->nblock);
	inherit_block(cx->a, t, t->rescue, t->nrescue);
	inherit_block(cx->a, t, t->always, t->nalways);
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

/* Tags: a list, or a comma-separated string; plus the inherited ones. */
static struct value *
merge_tags(struct arena *a, struct value *inherited, struct value *own)
{
	struct value *l = val_new_list(a);

	for (size_t i = 0; inherited != NULL && i < inherited->u.list->n; i++)
		val_list_push(a, l, inherited->u.list->items[i]);
	if (own == NULL || own->type == VAL_NULL)
		return l;
	if (own->type == VAL_LIST) {
		for (size_t i = 0; i < own->u.list->n; i++)
			val_list_push(a, l, own->u.list->items[i]);
		return l;
	}
	struct strbuf sb = STRBUF_INIT;
	val_str(&sb, own);
	for (char *p = sb.buf; *p != '\0';) {
		size_t n = strcspn(p, ","), b = 0, e = n;

		while (b < e && (p[b] == ' ' || p[b] == '\t'))
			b++;
		while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t'))
			e--;
		if (e > b)
			val_list_push(a, l, val_new_strn(a, p + b, e - b));
		p += n;
		if (*p == ',')
			p++;
	}
	sb_release(&sb);
	return l;
}

static int compile_include(const struct cctx *, struct value *d,
    struct value *file, bool handler, struct taskvec *out, struct err *);
static int role_task(const struct cctx *, struct value *d,
    struct value *spec, struct taskvec *, struct err *);
static int compile_role(const struct cctx *, struct value *spec,
    struct taskvec *out, struct err *);

static int
compile_task(const struct cctx *cx, struct value *d, bool handler,
    struct task **out, struct err *err)
{
	struct arena *a = cx->a;
	struct task *t = arena_alloc(a, sizeof(*t));
	struct value *modargs = NULL, *extra = NULL;
	const char *modkey = NULL;
	struct pos modpos = { 0 };

	t->pos = d->pos;
	t->loop_var = "item";
	t->basedir = cx->basedir;
	t->role = cx->role;
	t->iwhen = cx->when;
	if (d->type != VAL_DICT)
		return err_set(err, &d->pos, "a task must be a mapping, not %s",
		    val_type_name(d));
	t->tags = merge_tags(a, cx->tags, val_dict_get(d, "tags"));
	t->become = val_dict_get(d, "become");
	t->become_user = val_dict_get(d, "become_user");
	t->become_method = val_dict_get(d, "become_method");
	if (val_dict_get(d, "block") != NULL) {
		struct value *n = val_dict_get(d, "name");

		t->name = n != NULL ? str_of(a, n, "name", err) : NULL;
		t->when = as_list(a, val_dict_get(d, "when"));
		t->vars = val_dict_get(d, "vars");
		t->ignore_errors = val_dict_get(d, "ignore_errors");
		*out = t;
		return compile_block(cx, d, t, handler, err);
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
					t->loop_pause = lv;
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
		else if (!strcmp(key, "environment"))
			t->environment = v;
		else if (!strcmp(key, "delegate_to"))
			t->delegate_to = v;
		else if (!strcmp(key, "delegate_facts"))
			t->delegate_facts = val_truthy(v);
		else if (!strcmp(key, "any_errors_fatal"))
			t->any_errors_fatal = v;
		else if (!strcmp(key, "ignore_unreachable"))
			t->ignore_unreachable = v;
		else if (!strcmp(key, "throttle"))
			t->throttle = v;
		else if (!strcmp(key, "diff"))
			t->diff = v;
		else if (!strcmp(key, "tags") || !strcmp(key, "collections") ||
		    !strcmp(key, "become") || !strcmp(key, "become_user") ||
		    !strcmp(key, "become_method"))
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
compile_tasks(const struct cctx *cx, struct value *list, const char *what,
    bool handlers, struct task ***out, size_t *n, struct err *err)
{
	struct taskvec tv = { 0 };

	*out = NULL;
	*n = 0;
	if (list == NULL || list->type == VAL_NULL)
		return 0;
	if (list->type != VAL_LIST)
		return err_set(err, &list->pos, "'%s' must be a list of tasks",
		    what);
	for (size_t i = 0; i < list->u.list->n; i++) {
		struct value *d = list->u.list->items[i], *f;
		struct task *t;

		if (d->type == VAL_DICT &&
		    ((f = val_dict_get(d, "import_tasks")) != NULL ||
		    (f = val_dict_get(d, "include_tasks")) != NULL ||
		    (f = val_dict_get(d, "ansible.builtin.import_tasks")) != NULL ||
		    (f = val_dict_get(d, "ansible.builtin.include_tasks")) != NULL)) {
			if (compile_include(cx, d, f, handlers, &tv, err) < 0)
				return -1;
			continue;
		}
		if (d->type == VAL_DICT &&
		    ((f = val_dict_get(d, "import_role")) != NULL ||
		    (f = val_dict_get(d, "include_role")) != NULL ||
		    (f = val_dict_get(d, "ansible.builtin.import_role")) != NULL ||
		    (f = val_dict_get(d, "ansible.builtin.include_role")) != NULL)) {
			struct cctx sub = *cx;
			struct value *w = val_dict_get(d, "when");

			if (w != NULL) {
				sub.when = val_new_list(cx->a);
				for (size_t k = 0; cx->when != NULL &&
				    k < cx->when->u.list->n; k++)
					val_list_push(cx->a, sub.when,
					    cx->when->u.list->items[k]);
				w = as_list(cx->a, w);
				for (size_t k = 0; k < w->u.list->n; k++)
					val_list_push(cx->a, sub.when,
					    w->u.list->items[k]);
			}
			sub.tags = merge_tags(cx->a, cx->tags,
			    val_dict_get(d, "tags"));
			if (role_task(&sub, d, f, &tv, err) < 0)
				return -1;
			continue;
		}
		if (compile_task(cx, d, handlers, &t, err) < 0)
			return -1;
		tv_push(cx->a, &tv, t);
	}
	*out = tv.v;
	*n = tv.n;
	return 0;
}

/*
 * import_role/include_role as a task: the role's tasks here; the task's
 * vars become role params (Ansible gives them to the role's tasks), its
 * other keywords reach every task of the role as a block's would.
 */
static int
role_task(const struct cctx *cx, struct value *d, struct value *spec,
    struct taskvec *tv, struct err *err)
{
	static const char *const keys[] = { "import_role", "include_role",
		"ansible.builtin.import_role", "ansible.builtin.include_role",
		"name", "when", "tags", "vars", "become", "become_user",
		"become_method", "check_mode", "diff", "no_log", "environment",
		"any_errors_fatal", "ignore_unreachable", "delegate_to",
		"run_once", NULL };
	struct arena *a = cx->a;
	struct value *vars = val_dict_get(d, "vars");
	size_t first = tv->n;
	struct task pt = { 0 };

	for (size_t i = 0; i < d->u.dict->n; i++) {
		struct value *k = d->u.dict->ent[i].key;

		if (!is_key(k->u.str.s, keys))
			return err_set(err, &k->pos, "'%s' on import_role/"
			    "include_role is not supported by muster yet",
			    k->u.str.s);
	}
	if (vars != NULL && vars->type == VAL_DICT) {
		struct value *ns = val_new_dict(a), *pv;

		ns->pos = spec->pos;
		if (spec->type == VAL_DICT)
			for (size_t i = 0; i < spec->u.dict->n; i++)
				val_dict_setv(a, ns, spec->u.dict->ent[i].key,
				    spec->u.dict->ent[i].val);
		else
			val_dict_set(a, ns, "name", spec);
		pv = val_new_dict(a);
		if ((spec->type == VAL_DICT && val_dict_get(spec, "vars") !=
		    NULL && val_dict_get(spec, "vars")->type == VAL_DICT)) {
			struct value *sv = val_dict_get(spec, "vars");

			for (size_t i = 0; i < sv->u.dict->n; i++)
				val_dict_setv(a, pv, sv->u.dict->ent[i].key,
				    sv->u.dict->ent[i].val);
		}
		for (size_t i = 0; i < vars->u.dict->n; i++)
			val_dict_setv(a, pv, vars->u.dict->ent[i].key,
			    vars->u.dict->ent[i].val);
		val_dict_set(a, ns, "vars", pv);
		spec = ns;
	}
	if (compile_role(cx, spec, tv, err) < 0)
		return -1;
	pt.become = val_dict_get(d, "become");
	pt.become_user = val_dict_get(d, "become_user");
	pt.become_method = val_dict_get(d, "become_method");
	pt.check_mode = val_dict_get(d, "check_mode");
	pt.diff = val_dict_get(d, "diff");
	pt.no_log = val_truthy(val_dict_get(d, "no_log"));
	pt.environment = val_dict_get(d, "environment");
	pt.any_errors_fatal = val_dict_get(d, "any_errors_fatal");
	pt.ignore_unreachable = val_dict_get(d, "ignore_unreachable");
	pt.delegate_to = val_dict_get(d, "delegate_to");
	pt.run_once = val_truthy(val_dict_get(d, "run_once"));
	inherit_block(a, &pt, tv->v + first, tv->n - first);
	return 0;
}

/* import_tasks/include_tasks FILE: its tasks, here, inheriting when/tags. */
static int
compile_include(const struct cctx *cx, struct value *d, struct value *file,
    bool handler, struct taskvec *out, struct err *err)
{
	struct arena *a = cx->a;
	struct cctx sub = *cx;
	struct value *doc, *w;
	const char *f = str_of(a, file, "import_tasks", err);
	struct task **ts;
	size_t n;

	if (f == NULL)
		return err->set ? -1 : err_set(err, &file->pos, "import_tasks "
		    "needs a file name");
	bool dynamic = val_dict_get(d, "include_tasks") != NULL ||
	    val_dict_get(d, "ansible.builtin.include_tasks") != NULL;
	struct value *vars = val_dict_get(d, "vars");
	enum loop_kind lk = LOOP_NONE;
	struct value *loop = NULL, *lc = val_dict_get(d, "loop_control");

	for (size_t i = 0; i < d->u.dict->n; i++) {
		const char *k = d->u.dict->ent[i].key->u.str.s;
		struct pos *kp = &d->u.dict->ent[i].key->pos;

		if (loop_kind_of(k) != LOOP_NONE) {
			if (!dynamic)
				return err_set(err, kp, "you cannot use loops on "
				    "'import_tasks' statements, you should use "
				    "'include_tasks' instead");
			lk = loop_kind_of(k);
			loop = d->u.dict->ent[i].val;
			continue;
		}
		if (strcmp(k, "when") && strcmp(k, "tags") && strcmp(k, "name") &&
		    strcmp(k, "vars") && strcmp(k, "loop_control") &&
		    strstr(k, "_tasks") == NULL)
			return err_set(err, kp, "'%s' on "
			    "import_tasks/include_tasks is not supported by "
			    "muster yet", k);
	}
	if (vars != NULL && vars->type != VAL_DICT && vars->type != VAL_NULL)
		return err_set(err, &vars->pos, "vars must be a mapping");
	if (lc != NULL && lc->type != VAL_DICT)
		return err_set(err, &lc->pos, "loop_control must be a mapping");
	if (tmpl_is_template(f, strlen(f)))
		return err_set(err, &file->pos, "a templated include file name "
		    "is not supported by muster yet");
	if (cx->depth > 30)
		return err_set(err, &file->pos, "includes nested too deeply");
	const char *path = f[0] == '/' ? f : cx->role != NULL ?
	    arena_printf(a, "%s/tasks/%s", cx->role->dir, f) :
	    arena_printf(a, "%s/%s", cx->basedir, f);
	if ((doc = yaml_load_file(a, path, err)) == NULL)
		return -1;
	sub.depth++;
	sub.tags = merge_tags(a, cx->tags, val_dict_get(d, "tags"));
	if (dynamic) {
		/* include_tasks: decided per host when reached, shown so */
		struct task *inc = arena_alloc(a, sizeof(*inc));
		struct value *nm = val_dict_get(d, "name");

		inc->pos = d->pos;
		inc->name = nm != NULL ? str_of(a, nm, "name", err) : NULL;
		char *real = realpath(path, NULL);

		inc->include = real != NULL ? arena_strdup(a, real) : path;
		free(real);
		inc->when = as_list(a, val_dict_get(d, "when"));
		inc->iwhen = cx->when;
		inc->tags = sub.tags;
		inc->basedir = cx->basedir;
		inc->role = cx->role;
		inc->loop_var = "item";
		inc->vars = vars;
		inc->loop_kind = lk;
		inc->loop = loop;
		for (size_t k = 0; lc != NULL && k < lc->u.dict->n; k++) {
			struct value *key = lc->u.dict->ent[k].key;
			struct value *v = lc->u.dict->ent[k].val;

			if (val_is_str(key, "loop_var"))
				inc->loop_var = str_of(a, v, "loop_var", err);
			else if (val_is_str(key, "index_var"))
				inc->index_var = str_of(a, v, "index_var", err);
			else if (val_is_str(key, "label"))
				inc->label = v;
			else
				return err_set(err, &key->pos, "'%s' is not "
				    "supported in loop_control of include_tasks "
				    "by muster yet", key->u.str.s);
			if (err->set)
				return -1;
		}
		if ((doc = yaml_load_file(a, path, err)) == NULL)
			return -1;
		sub.when = NULL;
		if (doc->type != VAL_NULL && compile_tasks(&sub, doc, path,
		    handler, &inc->block, &inc->nblock, err) < 0)
			return -1;
		tv_push(a, out, inc);
		return 0;
	}
	if ((w = val_dict_get(d, "when")) != NULL) {
		sub.when = val_new_list(a);
		for (size_t k = 0; cx->when != NULL && k < cx->when->u.list->n; k++)
			val_list_push(a, sub.when, cx->when->u.list->items[k]);
		w = as_list(a, w);
		for (size_t k = 0; k < w->u.list->n; k++)
			val_list_push(a, sub.when, w->u.list->items[k]);
	}
	if (doc->type == VAL_NULL)
		return 0;
	if (compile_tasks(&sub, doc, path, handler, &ts, &n, err) < 0)
		return -1;
	if (vars != NULL && vars->type == VAL_DICT) {
		/* import_tasks with vars: an unseen block that carries them */
		struct task *b = arena_alloc(a, sizeof(*b));

		b->pos = d->pos;
		b->loop_var = "item";
		b->vars = vars;
		b->tags = sub.tags;
		b->block = ts;
		b->nblock = n;
		tv_push(a, out, b);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		tv_push(a, out, ts[i]);
	return 0;
}

static struct value *
load_dict_file(struct arena *a, const char *path, struct err *err)
{
	struct value *v;

	if (access(path, R_OK) != 0)
		return val_new_dict(a);
	if ((v = yaml_load_file(a, path, err)) == NULL)
		return NULL;
	if (v->type == VAL_NULL)
		return val_new_dict(a);
	if (v->type != VAL_DICT) {
		err_set(err, &v->pos, "'%s' must be a mapping", path);
		return NULL;
	}
	return v;
}

/* A role's main file: main.yml, main.yaml or main. */
static const char *
role_file(struct arena *a, const char *dir, const char *sub)
{
	static const char *const names[] = { "main.yml", "main.yaml", "main",
	    NULL };

	for (size_t i = 0; names[i] != NULL; i++) {
		const char *p = arena_printf(a, "%s/%s/%s", dir, sub, names[i]);

		if (access(p, R_OK) == 0)
			return p;
	}
	return NULL;
}

static const char *
find_role(const struct cctx *cx, const char *name)
{
	struct arena *a = cx->a;
	const char *env = getenv("ANSIBLE_ROLES_PATH");
	const char *cands[4] = {
		arena_printf(a, "%s/roles/%s", cx->pb->dir, name),
		cx->role != NULL ? arena_printf(a, "%s/../%s", cx->role->dir,
		    name) : NULL,
		arena_printf(a, "%s/%s", cx->pb->dir, name),
		NULL,
	};
	struct stat sb;

	if (name[0] == '/' && stat(name, &sb) == 0 && S_ISDIR(sb.st_mode))
		return name;
	for (size_t i = 0; i < 3; i++)
		if (cands[i] != NULL && stat(cands[i], &sb) == 0 &&
		    S_ISDIR(sb.st_mode))
			return cands[i];
	if (env != NULL) {
		char *copy = arena_strdup(a, env), *save = NULL;

		for (char *p = strtok_r(copy, ":", &save); p != NULL;
		    p = strtok_r(NULL, ":", &save)) {
			const char *c = arena_printf(a, "%s/%s", p, name);

			if (stat(c, &sb) == 0 && S_ISDIR(sb.st_mode))
				return c;
		}
	}
	return NULL;
}

/*
 * A role (a name, or {role: name, params...}): its dependencies' tasks,
 * then its own; its handlers join the play's.
 */
static int
compile_role(const struct cctx *cx, struct value *spec, struct taskvec *out,
    struct err *err)
{
	struct arena *a = cx->a;
	struct role *r = arena_alloc(a, sizeof(*r));
	struct cctx sub = *cx;
	const char *name, *dir, *f;
	struct value *params = val_new_dict(a), *meta;
	struct task **ts;
	size_t n;

	if (spec->type == VAL_DICT) {
		struct value *nv = val_dict_get(spec, "role");

		if (nv == NULL)
			nv = val_dict_get(spec, "name");
		if (nv == NULL)
			return err_set(err, &spec->pos, "a role entry needs "
			    "'role' or 'name'");
		name = str_of(a, nv, "role", err);
		for (size_t i = 0; i < spec->u.dict->n; i++) {
			struct value *k = spec->u.dict->ent[i].key;
			struct value *v = spec->u.dict->ent[i].val;

			if (val_is_str(k, "role") || val_is_str(k, "name"))
				continue;
			if (val_is_str(k, "tags")) {
				sub.tags = merge_tags(a, cx->tags, v);
				continue;
			}
			if (val_is_str(k, "when")) {
				struct value *w = as_list(a, v);

				sub.when = val_new_list(a);
				for (size_t q = 0; cx->when != NULL &&
				    q < cx->when->u.list->n; q++)
					val_list_push(a, sub.when,
					    cx->when->u.list->items[q]);
				for (size_t q = 0; q < w->u.list->n; q++)
					val_list_push(a, sub.when,
					    w->u.list->items[q]);
				continue;
			}
			if (val_is_str(k, "vars") && v->type == VAL_DICT) {
				for (size_t q = 0; q < v->u.dict->n; q++)
					val_dict_setv(a, params,
					    v->u.dict->ent[q].key,
					    v->u.dict->ent[q].val);
				continue;
			}
			if (val_is_str(k, "tasks_from") || val_is_str(k,
			    "defaults_from") || val_is_str(k, "vars_from") ||
			    val_is_str(k, "handlers_from") || val_is_str(k,
			    "apply") || val_is_str(k, "public") ||
			    val_is_str(k, "allow_duplicates") ||
			    val_is_str(k, "become") || val_is_str(k, "delegate_to"))
				return err_set(err, &k->pos, "'%s' on a role is "
				    "not supported by muster yet", k->u.str.s);
			val_dict_setv(a, params, k, v);
		}
	} else
		name = str_of(a, spec, "role", err);
	if (name == NULL)
		return -1;
	if (cx->depth > 20)
		return err_set(err, &spec->pos, "role dependencies nested too "
		    "deeply at '%s'", name);
	if ((dir = find_role(cx, name)) == NULL)
		return err_set(err, &spec->pos, "the role '%s' was not found in "
		    "%s/roles, %s or ANSIBLE_ROLES_PATH", name, cx->pb->dir,
		    cx->pb->dir);
	r->name = name;
	r->dir = dir;
	r->params = params;
	f = role_file(a, dir, "defaults");
	if ((r->defaults = f ? load_dict_file(a, f, err) : val_new_dict(a)) ==
	    NULL)
		return -1;
	f = role_file(a, dir, "vars");
	if ((r->vars = f ? load_dict_file(a, f, err) : val_new_dict(a)) == NULL)
		return -1;
	sub.depth++;
	/* meta/main.yml dependencies come first */
	f = role_file(a, dir, "meta");
	if (f != NULL) {
		if ((meta = load_dict_file(a, f, err)) == NULL)
			return -1;
		struct value *deps = val_dict_get(meta, "dependencies");
		for (size_t i = 0; deps != NULL && deps->type == VAL_LIST &&
		    i < deps->u.list->n; i++)
			if (compile_role(&sub, deps->u.list->items[i], out,
			    err) < 0)
				return -1;
	}
	sub.role = r;
	sub.basedir = dir;
	f = role_file(a, dir, "tasks");
	if (f != NULL) {
		struct value *doc = yaml_load_file(a, f, err);

		if (doc == NULL)
			return -1;
		if (compile_tasks(&sub, doc, f, false, &ts, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			tv_push(a, out, ts[i]);
	}
	f = role_file(a, dir, "handlers");
	if (f != NULL && cx->play != NULL) {
		struct value *doc = yaml_load_file(a, f, err);
		struct cctx hs = sub;

		if (doc == NULL)
			return -1;
		hs.when = NULL;
		if (compile_tasks(&hs, doc, f, true, &ts, &n, err) < 0)
			return -1;
		struct play *p = cx->play;
		p->handlers = arena_realloc(a, p->handlers, (p->nhandlers + 1) *
		    sizeof(*p->handlers), (p->nhandlers + n + 1) *
		    sizeof(*p->handlers));
		for (size_t i = 0; i < n; i++)
			p->handlers[p->nhandlers++] = ts[i];
	}
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
	struct cctx cx = { a, dir, NULL, NULL, NULL, pb, p, 0 };
	struct task **roles = NULL, **tasks = NULL;
	size_t nroles = 0, ntasks = 0;

	p->tags = merge_tags(a, NULL, val_dict_get(d, "tags"));
	p->become = val_dict_get(d, "become");
	p->become_user = val_dict_get(d, "become_user");
	p->become_method = val_dict_get(d, "become_method");
	p->environment = val_dict_get(d, "environment");
	p->serial = val_dict_get(d, "serial");
	p->any_errors_fatal = val_dict_get(d, "any_errors_fatal");
	p->max_fail_percentage = val_dict_get(d, "max_fail_percentage");
	p->ignore_unreachable = val_dict_get(d, "ignore_unreachable");
	p->throttle = val_dict_get(d, "throttle");
	p->gather_subset = val_dict_get(d, "gather_subset");
	if ((v = val_dict_get(d, "strategy")) != NULL) {
		const char *st = str_of(a, v, "strategy", err);

		if (st == NULL)
			return -1;
		if (strcmp(st, "free") == 0)
			p->strategy_free = true;
		else if (strcmp(st, "linear") != 0)
			return err_set(err, &v->pos, "invalid play strategy "
			    "specified: %s (muster has linear and free)", st);
	}
	if (p->max_fail_percentage != NULL &&
	    !val_is_number(p->max_fail_percentage) &&
	    !(p->max_fail_percentage->type == VAL_STR &&
	    tmpl_is_template(p->max_fail_percentage->u.str.s,
	    p->max_fail_percentage->u.str.len)))
		return err_set(err, &p->max_fail_percentage->pos,
		    "max_fail_percentage must be a number");
	cx.tags = p->tags;
	if (compile_tasks(&cx, val_dict_get(d, "handlers"), "handlers", true,
	    &p->handlers, &p->nhandlers, err) < 0 ||
	    compile_tasks(&cx, val_dict_get(d, "pre_tasks"), "pre_tasks", false,
	    &pre, &npre, err) < 0)
		return -1;
	if ((v = val_dict_get(d, "roles")) != NULL && v->type != VAL_NULL) {
		struct taskvec tv = { 0 };

		if (v->type != VAL_LIST)
			return err_set(err, &v->pos, "roles must be a list");
		for (size_t i = 0; i < v->u.list->n; i++)
			if (compile_role(&cx, v->u.list->items[i], &tv, err) < 0)
				return -1;
		roles = tv.v;
		nroles = tv.n;
	}
	if (compile_tasks(&cx, val_dict_get(d, "tasks"), "tasks", false,
	    &tasks, &ntasks, err) < 0 ||
	    compile_tasks(&cx, val_dict_get(d, "post_tasks"), "post_tasks",
	    false, &post, &npost, err) < 0)
		return -1;
	/* roles run first in the tasks section */
	nmain = nroles + ntasks;
	main = arena_alloc(a, (nmain + 1) * sizeof(*main));
	if (nroles > 0)
		memcpy(main, roles, nroles * sizeof(*main));
	if (ntasks > 0)
		memcpy(main + nroles, tasks, ntasks * sizeof(*main));
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
	/* Play keywords every task inherits unless it sets its own. */
	struct task pt = { 0 };
	pt.check_mode = val_dict_get(d, "check_mode");
	pt.diff = val_dict_get(d, "diff");
	pt.no_log = val_truthy(val_dict_get(d, "no_log"));
	inherit_block(a, &pt, p->tasks, p->ntasks);
	inherit_block(a, &pt, p->handlers, p->nhandlers);
	p->remote_user = val_dict_get(d, "remote_user");
	if (p->remote_user != NULL && p->remote_user->type != VAL_STR)
		return err_set(err, &p->remote_user->pos, "remote_user must "
		    "be a string");
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
