/*
 * play.h: the play compiler.  A playbook's YAML becomes plays of tasks,
 * checked before any host is touched: unknown keywords (with a
 * suggestion), unknown modules, a task with two modules, arguments that
 * the module refuses (when they hold no template), bad loop keywords, all
 * with file:line:col.  Everything lives in the caller's arena and is
 * read-only afterwards.
 */
#ifndef MUSTER_PLAY_H
#define MUSTER_PLAY_H

#include "module.h"
#include "value.h"

enum loop_kind {
	LOOP_NONE,
	LOOP_LIST,		/* loop:, with_list: */
	LOOP_ITEMS,		/* with_items: flattened one level */
	LOOP_DICT,		/* with_dict: key/value items */
	LOOP_INDEXED,		/* with_indexed_items: [index, item] */
	LOOP_SEQUENCE,		/* with_sequence: */
	LOOP_NESTED,		/* with_nested: the product */
};

struct role {
	const char		*name;
	const char		*dir;
	struct value		*defaults;	/* defaults/main.yml (dict) */
	struct value		*vars;		/* vars/main.yml (dict) */
	struct value		*params;	/* role params (dict) */
};

struct task {
	const char		*name;		/* NULL: the action's name */
	const char		*action;	/* the module's name as written */
	const struct module	*mod;
	struct value		*args;		/* dict, may hold templates */
	struct value		*when;		/* list of conditions, or NULL */
	enum loop_kind		 loop_kind;
	struct value		*loop;		/* the loop's value, or NULL */
	const char		*loop_var;	/* "item" */
	const char		*index_var;	/* or NULL */
	struct value		*label;		/* loop_control.label, or NULL */
	const char		*reg;		/* register */
	struct value		*changed_when;	/* list, or NULL */
	struct value		*failed_when;	/* list, or NULL */
	struct value		*ignore_errors;	/* bool/template, or NULL */
	struct value		*notify;	/* list of handler names */
	struct value		*listen;	/* handlers: list of topics */
	struct value		*vars;		/* task vars, or NULL */
	struct value		*until;		/* list, or NULL */
	struct value		*retries;
	struct value		*delay;
	struct value		*check_mode;	/* NULL: the run's */
	bool			 run_once;
	bool			 no_log;
	struct pos		 pos;
	const char		*basedir;	/* files/templates: role or book */
	const struct role	*role;		/* or NULL */
	struct value		*tags;		/* list, inherited included */
	struct value		*become;	/* keywords, or NULL */
	struct value		*become_user;
	struct value		*become_method;
	struct value		*iwhen;		/* inherited when (role, include) */
	struct value		*environment;	/* dict or template, or NULL */
	struct value		*delegate_to;	/* host name (template), or NULL */
	bool			 delegate_facts;	/* facts go to the delegate */
	struct value		*any_errors_fatal;	/* NULL: inherited */
	struct value		*ignore_unreachable;	/* NULL: inherited */
	struct value		*throttle;	/* max hosts at once, or NULL */
	struct value		*diff;		/* NULL: the run's --diff */
	struct value		*loop_pause;	/* loop_control.pause seconds */
	const char		*include;	/* include_tasks: the file; the
						   tasks are in block */
	/* block/rescue/always: mod is NULL and these are set */
	struct task		**block, **rescue, **always;
	size_t			 nblock, nrescue, nalways;
};

struct play {
	const char		*name;
	struct value		*hosts;		/* pattern, may be a template */
	struct value		*vars;		/* dict */
	struct value		*vars_files;	/* list of paths */
	bool			 gather_facts;
	struct task		**tasks;	/* pre_tasks, tasks, post_tasks */
	size_t			 ntasks;
	size_t			 npre, npost;	/* how many of them */
	struct task		**handlers;
	size_t			 nhandlers;
	struct pos		 pos;
	struct value		*tags;		/* the play's tags */
	struct value		*become;
	struct value		*become_user;
	struct value		*become_method;
	struct value		*environment;
	struct value		*serial;	/* number, "30%", or a list */
	bool			 strategy_free;	/* strategy: free */
	struct value		*remote_user;	/* or NULL */
	struct value		*any_errors_fatal;
	struct value		*max_fail_percentage;	/* or NULL */
	struct value		*ignore_unreachable;
	struct value		*throttle;
	struct value		*gather_subset;	/* list, or NULL */
};

struct playbook {
	const char		*path;
	const char		*dir;		/* paths resolve against it */
	struct play		**plays;
	size_t			 nplays;
};

/* Load and compile a playbook (import_playbook followed). */
int	playbook_load(struct arena *, const char *path, struct playbook *,
	    struct err *);
/* The name a task shows ("TASK [name]"). */
const char *task_display_name(const struct task *);

#endif
