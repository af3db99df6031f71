/*
 * package: the generic package manager front (Ansible's package action):
 * use the host's package manager module with the task's arguments minus
 * `use`.  The manager is `use`, else the host's ansible_facts.pkg_mgr, else
 * found with one command; muster has the apt module only, so any other
 * manager is an error naming the host.
 */
#include <string.h>

#include "apt.h"
#include "shell.h"

static const struct arg_spec package_args[] = {
	{ .name = "name", .type = ARG_RAW, .flags = ARG_REQUIRED },
	{ .name = "state", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "use", .type = ARG_STR, .dflt = "auto" },
	{ .name = NULL },
};

/* ansible_facts.pkg_mgr or ansible_pkg_mgr from the host's variables. */
static const char *
fact_pkg_mgr(const struct task_ctx *ctx)
{
	const struct value *f, *v;

	if (ctx->vars == NULL)
		return NULL;
	f = val_dict_get(ctx->vars, "ansible_facts");
	v = f != NULL && f->type == VAL_DICT ? val_dict_get(f, "pkg_mgr") :
	    NULL;
	if (v == NULL)
		v = val_dict_get(ctx->vars, "ansible_pkg_mgr");
	return v != NULL && v->type == VAL_STR ? v->u.str.s : NULL;
}

/* The pkg_mgr fact's answer (setup's PKG_MGRS order, Debian's first). */
static int
probe_pkg_mgr(struct task_ctx *ctx, const char **mgr, struct err *err)
{
	static const char script[] =
	    "for m in apt-get:apt dnf:dnf yum:yum zypper:zypper apk:apk "
	    "pacman:pacman pkg:pkgng emerge:portage; do "
	    "if command -v \"${m%%:*}\" >/dev/null 2>&1; then "
	    "echo \"${m#*:}\"; exit 0; fi; done; echo unknown";
	struct conn_result cr;
	int rc;

	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, script, NULL, NULL, 0, &cr, err);
	if (rc == 0) {
		sb_rtrim(&cr.out);
		*mgr = arena_strndup(ctx->a, cr.out.buf, cr.out.len);
	}
	conn_result_release(&cr);
	return rc;
}

static int
package_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *mgr = arg_str(args, "use");
	struct value *pass, *checked;
	struct err aerr = ERR_INIT;
	size_t i;

	/* any arguments (they are apt's): no defaults were filled in */
	if (mgr == NULL)
		mgr = "auto";
	if (strcmp(mgr, "auto") == 0) {
		mgr = fact_pkg_mgr(ctx);
		if (mgr == NULL && probe_pkg_mgr(ctx, &mgr, err) < 0)
			return -1;
	}
	if (mgr == NULL || strcmp(mgr, "auto") == 0 ||
	    strcmp(mgr, "unknown") == 0) {
		res_init(ctx, res);
		return res_fail(ctx, res, "Could not detect which package "
		    "manager to use. Try gathering facts or setting the "
		    "\"use\" option.");
	}
	if (strcmp(mgr, "apt") != 0) {
		res_init(ctx, res);
		return res_fail(ctx, res, "package manager '%s' of host '%s' "
		    "is not supported (muster has the apt module only)", mgr,
		    ctx->host);
	}
	/* the task's arguments, without use, checked as apt's */
	pass = val_new_dict(ctx->a);
	for (i = 0; i < args->u.dict->n; i++) {
		struct val_entry *e = &args->u.dict->ent[i];

		if (!val_is_str(e->key, "use"))
			val_dict_setv(ctx->a, pass, e->key, e->val);
	}
	checked = mod_check_args(ctx->a, &module_apt, pass, &aerr);
	if (checked == NULL) {
		res_init(ctx, res);
		return res_fail(ctx, res, "%s", aerr.msg);
	}
	return module_apt.run(ctx, checked, res, err);
}

const struct module module_package = {
	.name = "package",
	.summary = "install or remove packages with the host's manager",
	.args = package_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF | MODULE_ANY_ARGS,
	.run = package_run,
};
