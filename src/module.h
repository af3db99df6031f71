/*
 * module.h: the module interface (DESIGN.md).  A module is one file in
 * modules/ exporting one const struct module built with designated
 * initializers; src/modules.c lists them.  The core validates a task's
 * arguments against the module's arg_spec (types, required, choices,
 * aliases, defaults: args.c) before the module runs, so run() never sees bad
 * input; run() talks to the host only through ctx->conn (conn.h).
 *
 * A module first reads the current state, decides, and only then changes
 * (unless ctx->check_mode): one code path gives idempotency, check mode and
 * diff.  run() returns 0 with the outcome in *res (res->failed for a task
 * that failed), or -1 with err set when the host is unreachable (the
 * connection died); it never exits and never prints.
 *
 * Memory: everything a module allocates comes from ctx->a, the host-task's
 * scratch arena, released by the executor after the result is emitted.
 */
#ifndef MUSTER_MODULE_H
#define MUSTER_MODULE_H

#include <stdbool.h>

#include "conn.h"
#include "value.h"

struct tmpl_env;

enum arg_type {
	ARG_STR,
	ARG_BOOL,
	ARG_INT,
	ARG_FLOAT,
	ARG_LIST,	/* a list, or a comma-separated string */
	ARG_DICT,	/* a dict, or "k=v k2=v2", or JSON */
	ARG_PATH,	/* a string; ~ expanded on the target */
	ARG_RAW,	/* anything, unchanged */
	ARG_MODE,	/* file mode: octal int/string or symbolic, kept as str */
};

enum arg_flags {
	ARG_REQUIRED = 1 << 0,
	ARG_NO_LOG = 1 << 1,	/* never printed, never logged */
};

struct arg_spec {
	const char		*name;
	enum arg_type		 type;
	unsigned		 flags;
	const char		*dflt;		/* default as YAML-ish text */
	const char *const	*choices;	/* NULL-terminated, or NULL */
	const char *const	*aliases;	/* NULL-terminated, or NULL */
	enum arg_type		 elem;		/* list element type */
};

enum module_flags {
	MODULE_CHECK_MODE = 1 << 0,	/* supports check mode */
	MODULE_DIFF = 1 << 1,		/* reports a diff */
	MODULE_LOCAL = 1 << 2,		/* runs on the controller only */
	MODULE_RAW_PARAMS = 1 << 3,	/* free-form text in _raw_params */
	MODULE_NO_HOST = 1 << 4,	/* needs no connection (debug...) */
	MODULE_ANY_ARGS = 1 << 5,	/* takes any keys (set_fact) */
	MODULE_BYPASS_HOST_LOOP = 1 << 6,	/* once for the play (pause) */
};

struct task_ctx {
	struct arena		*a;		/* scratch for this host-task */
	struct conn		*conn;
	const char		*host;		/* inventory_hostname */
	const char		*task_name;	/* as the banner shows it */
	const struct become	*become;
	const struct value	*env;		/* environment dict, or NULL */
	const struct value	*vars;		/* the host's variables, or NULL */
	bool			 check_mode;
	bool			 diff;
	int			 verbosity;
	const struct tmpl_env	*tmpl;		/* the host's templating, or NULL */
};

struct result {
	struct value	*v;		/* dict: what register stores */
	bool		 changed;
	bool		 failed;
	bool		 skipped;
	bool		 unreachable;
	bool		 no_changed_key;	/* action plugins (debug): no "changed" */
	const char	*msg;		/* also in v["msg"] */
};

struct module {
	const char		*name;		/* "lineinfile" */
	const char		*summary;	/* one line for `muster doc` */
	const struct arg_spec	*args;		/* {NULL} terminated */
	unsigned		 flags;		/* enum module_flags */
	int			(*run)(struct task_ctx *, const struct value *args,
				    struct result *, struct err *);
};

/* The table of modules (src/modules.c). */
const struct module	*mod_find(const char *name);	/* ansible.builtin. ok */
const struct module *const *mod_list(void);

/*
 * Validate args (a dict) against m->args and return a new dict with every
 * spec'd argument converted to its type and defaults filled in; unknown
 * arguments, wrong types, bad choices and missing required ones are errors
 * at the argument's position ("unknown argument 'pth' for module 'file'
 * (did you mean 'path'?)").
 */
struct value	*mod_check_args(struct arena *, const struct module *,
		    const struct value *args, struct err *);
/*
 * Parse Ansible's free-form "k=v k2='v 2' rest" text (-a, or a task's
 * string argument) into an args dict.  With MODULE_RAW_PARAMS only the
 * keys the module declares are taken out; the rest is _raw_params.
 */
struct value	*mod_parse_kv(struct arena *, const struct module *,
		    const char *text, const struct pos *, struct err *);

/* Result helpers: all allocate in ctx->a. */
void		 res_init(struct task_ctx *, struct result *);
void		 res_set(struct task_ctx *, struct result *, const char *key,
		    struct value *);
void		 res_set_str(struct task_ctx *, struct result *,
		    const char *key, const char *s);
/* Mark failed with a message; returns 0 so run() can `return res_fail()`. */
int		 res_fail(struct task_ctx *, struct result *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
/* Append a warning to v["warnings"] (made if missing): module.warn(). */
void		 res_warn(struct task_ctx *, struct result *, const char *msg);
/* Fill rc/stdout/stderr/stdout_lines/stderr_lines/start/end/delta. */
void		 res_set_cmd(struct task_ctx *, struct result *,
		    const struct conn_result *);
/* Python's str(datetime.datetime.now()) for epoch seconds t. */
struct value	*res_timestamp(struct arena *, double t);
/* Copy the flags into v (changed, failed, msg...) before register/output. */
void		 res_finish(struct task_ctx *, struct result *);

/* Argument accessors on a checked args dict. */
const char	*arg_str(const struct value *args, const char *name);
bool		 arg_bool(const struct value *args, const char *name);
int64_t		 arg_int(const struct value *args, const char *name);

#endif
