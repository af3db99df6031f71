/* raw: run a command line over the connection, nothing else. */
#include "runcmd.h"

static const struct arg_spec raw_args[] = {
	{ .name = "_raw_params", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "executable", .type = ARG_PATH },
	{ .name = NULL },
};

static int
raw_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	return runcmd(ctx, args, RUNCMD_RAW, res, err);
}

const struct module module_raw = {
	.name = "raw",
	.summary = "run a command line over the connection, nothing else",
	.args = raw_args,
	.flags = MODULE_RAW_PARAMS,
	.run = raw_run,
};
