/* shell: run a command line through /bin/sh (or `executable`) on the host. */
#include "runcmd.h"

static const struct arg_spec shell_args[] = {
	{ .name = "_raw_params", .type = ARG_STR },
	{ .name = "cmd", .type = ARG_STR },
	{ .name = "chdir", .type = ARG_PATH },
	{ .name = "creates", .type = ARG_PATH },
	{ .name = "removes", .type = ARG_PATH },
	{ .name = "executable", .type = ARG_PATH },
	{ .name = "stdin", .type = ARG_STR },
	{ .name = "stdin_add_newline", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "strip_empty_ends", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "warn", .type = ARG_BOOL },
	{ .name = NULL },
};

static int
shell_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	return runcmd(ctx, args, RUNCMD_SHELL, res, err);
}

const struct module module_shell = {
	.name = "shell",
	.summary = "run a command line through the shell on the host",
	.args = shell_args,
	.flags = MODULE_CHECK_MODE | MODULE_RAW_PARAMS,
	.run = shell_run,
};
