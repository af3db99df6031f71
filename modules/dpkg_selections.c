/*
 * dpkg_selections: a package's dpkg selection (install, hold, deinstall,
 * purge), as Ansible's dpkg_selections module sets it: one command reads
 * `dpkg --get-selections NAME`, and, unless in check mode, sets the new
 * selection in the same command when it differs.
 */
#include <string.h>

#include "module.h"
#include "shell.h"

static const char *const selection_choices[] = { "install", "hold",
	"deinstall", "purge", NULL };

static const struct arg_spec dpkg_selections_args[] = {
	{ .name = "name", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "selection", .type = ARG_STR, .flags = ARG_REQUIRED,
	  .choices = selection_choices },
	{ .name = NULL },
};

static int
dpkg_selections_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *name = arg_str(args, "name");
	const char *sel = arg_str(args, "selection");
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result cr;
	char cur[32] = "not present";
	const char *p;
	size_t n;
	int rc;

	res_init(ctx, res);
	/*
	 * Read, then set only when it differs: the decision is the shell's
	 * here so that a change costs no second round trip; the output's
	 * first line is the selection before.
	 */
	sb_adds(&cmd, "n=");
	sh_quote(&cmd, name);
	sb_adds(&cmd, "; s=");
	sh_quote(&cmd, sel);
	sb_adds(&cmd, "; o=$(dpkg --get-selections \"$n\") || exit $?; "
	    "set -- $o; c=${2:-not present}; printf '%s\\n' \"$c\"; ");
	if (!ctx->check_mode)
		sb_adds(&cmd, "[ \"$c\" = \"$s\" ] || printf '%s %s' \"$n\" "
		    "\"$s\" | dpkg --set-selections");
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &cr, err);
	sb_release(&cmd);
	if (rc < 0) {
		conn_result_release(&cr);
		return -1;
	}
	if (cr.rc != 0) {
		sb_rtrim(&cr.err);
		res_set(ctx, res, "rc", val_new_int(ctx->a, cr.rc));
		res_set(ctx, res, "stdout", val_new_strn(ctx->a, cr.out.buf,
		    cr.out.len));
		res_set(ctx, res, "stderr", val_new_strn(ctx->a, cr.err.buf,
		    cr.err.len));
		res_fail(ctx, res, "%s", cr.err.buf);
		conn_result_release(&cr);
		return 0;
	}
	p = strchr(cr.out.buf, '\n');
	n = p != NULL ? (size_t)(p - cr.out.buf) : cr.out.len;
	if (n > 0 && n < sizeof(cur)) {
		memcpy(cur, cr.out.buf, n);
		cur[n] = '\0';
	}
	res->changed = strcmp(cur, sel) != 0;
	res_set_str(ctx, res, "before", cur);
	res_set_str(ctx, res, "after", sel);
	conn_result_release(&cr);
	return 0;
}

const struct module module_dpkg_selections = {
	.name = "dpkg_selections",
	.summary = "set a package's dpkg selection (install, hold...)",
	.args = dpkg_selections_args,
	.flags = MODULE_CHECK_MODE,
	.run = dpkg_selections_run,
};
