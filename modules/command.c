/* command: run a program with arguments on the host, without a shell. */
#include "runcmd.h"

static const char *const cmd_alias[] = { NULL };

static const struct arg_spec command_args[] = {
	{ .name = "_raw_params", .type = ARG_STR },
	{ .name = "cmd", .type = ARG_STR, .aliases = cmd_alias },
	{ .name = "argv", .type = ARG_LIST, .elem = ARG_STR },
	{ .name = "chdir", .type = ARG_PATH },
	{ .name = "creates", .type = ARG_PATH },
	{ .name = "removes", .type = ARG_PATH },
	{ .name = "stdin", .type = ARG_STR },
	{ .name = "stdin_add_newline", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "strip_empty_ends", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "warn", .type = ARG_BOOL },
	{ .name = "expand_argument_vars", .type = ARG_BOOL, .dflt = "true" },
	{ .name = NULL },
};

static int
command_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	return runcmd(ctx, args, RUNCMD_ARGV, res, err);
}

const struct module module_command = {
	.name = "command",
	.summary = "run a program with arguments on the host, no shell",
	.args = command_args,
	.flags = MODULE_CHECK_MODE | MODULE_RAW_PARAMS,
	.run = command_run,
};
