/*
 * meta: executor directives (flush_handlers, noop, end_play, end_host,
 * clear_facts, clear_host_errors, refresh_inventory, reset_connection).
 * The executor (src/exec.c) acts on them; run() only answers for the ones
 * that need nothing more.
 */
#include <string.h>

#include "module.h"

static const struct arg_spec meta_args[] = {
	{ .name = "_raw_params", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = NULL },
};

static const char *const directives[] = { "flush_handlers", "noop",
	"end_play", "end_host", "end_batch", "clear_facts",
	"clear_host_errors", "refresh_inventory", "reset_connection", NULL };

bool meta_known(const char *);

bool
meta_known(const char *d)
{
	for (size_t i = 0; directives[i] != NULL; i++)
		if (strcmp(directives[i], d) == 0)
			return true;
	return false;
}

static int
meta_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	const char *d = arg_str(args, "_raw_params");

	(void)err;
	if (d == NULL || !meta_known(d))
		return res_fail(ctx, res, "invalid meta action requested: %s",
		    d ? d : "");
	res_set_str(ctx, res, "msg", d);
	return 0;
}

const struct module module_meta = {
	.name = "meta",
	.summary = "executor directives (flush_handlers, end_play, ...)",
	.args = meta_args,
	.flags = MODULE_CHECK_MODE | MODULE_NO_HOST | MODULE_RAW_PARAMS,
	.run = meta_run,
};
