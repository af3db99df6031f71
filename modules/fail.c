/* fail: fail the host with a message (Ansible's fail action). */
#include "module.h"

static const struct arg_spec fail_args[] = {
	{ .name = "msg", .type = ARG_RAW },
	{ .name = NULL },
};

static int
fail_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct value *msg = val_dict_get(args, "msg");

	(void)err;
	res->failed = true;
	res_set(ctx, res, "msg", msg != NULL && msg->type != VAL_NULL ? msg :
	    val_new_str(ctx->a, "Failed as requested from task"));
	return 0;
}

const struct module module_fail = {
	.name = "fail",
	.summary = "fail the host with a message",
	.args = fail_args,
	.flags = MODULE_CHECK_MODE | MODULE_NO_HOST,
	.run = fail_run,
};
