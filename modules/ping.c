/* ping: prove the host is reachable and runs a shell; answers "pong". */
#include <string.h>

#include "module.h"

static const struct arg_spec ping_args[] = {
	{ .name = "data", .type = ARG_STR, .dflt = "pong" },
	{ .name = NULL },
};

static int
ping_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	const char *data = arg_str(args, "data");
	struct conn_result cr;
	int rc;

	if (strcmp(data, "crash") == 0)
		return res_fail(ctx, res, "boom");
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, "true", ctx->become, NULL, 0, &cr, err);
	if (rc == 0 && cr.rc != 0)
		res_fail(ctx, res, "the shell on the host failed: %s",
		    cr.err.buf);
	else if (rc == 0)
		res_set_str(ctx, res, "ping", data);
	conn_result_release(&cr);
	return rc;
}

const struct module module_ping = {
	.name = "ping",
	.summary = "check that the host answers and runs a shell",
	.args = ping_args,
	.flags = MODULE_CHECK_MODE,
	.run = ping_run,
};
