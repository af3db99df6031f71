/*
 * assert: fail unless every condition in `that` holds, as Ansible's assert
 * action: fail_msg (or msg), success_msg, quiet.
 */
#include "module.h"
#include "template/template.h"

static const char *const msg_alias[] = { "msg", NULL };

static const struct arg_spec assert_args[] = {
	{ .name = "that", .type = ARG_RAW, .flags = ARG_REQUIRED },
	{ .name = "fail_msg", .type = ARG_RAW, .aliases = msg_alias },
	{ .name = "success_msg", .type = ARG_RAW },
	{ .name = "quiet", .type = ARG_BOOL, .dflt = "false" },
	{ .name = NULL },
};

static int
assert_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct value *that = val_dict_get(args, "that");
	struct value *fm = val_dict_get(args, "fail_msg");
	struct value *sm = val_dict_get(args, "success_msg");
	struct value *one = NULL;
	size_t n = 1;

	(void)err;
	if (!arg_bool(args, "quiet"))
		res_set(ctx, res, "_ansible_verbose_always", &val_true);
	if (that->type == VAL_LIST)
		n = that->u.list->n;
	else
		one = that;
	for (size_t i = 0; i < n; i++) {
		struct value *c = one != NULL ? one : that->u.list->items[i];
		struct err e2 = ERR_INIT;
		bool ok;
		char buf[ERR_MSG_MAX + 256];

		if (tmpl_condition(ctx->a, ctx->tmpl, c, &ok, &e2) < 0)
			return res_fail(ctx, res, "The conditional check '%s' "
			    "failed. The error was: %s", c->type == VAL_STR ?
			    c->u.str.s : "?", err_format(&e2, buf, sizeof(buf)));
		if (!ok) {
			res_set(ctx, res, "assertion", c);
			res_set(ctx, res, "evaluated_to", &val_false);
			res->failed = true;
			res_set(ctx, res, "msg", fm != NULL && fm->type != VAL_NULL ?
			    fm : val_new_str(ctx->a, "Assertion failed"));
			return 0;
		}
	}
	res_set(ctx, res, "msg", sm != NULL && sm->type != VAL_NULL ? sm :
	    val_new_str(ctx->a, "All assertions passed"));
	return 0;
}

const struct module module_assert = {
	.name = "assert",
	.summary = "fail unless conditions hold",
	.args = assert_args,
	.flags = MODULE_CHECK_MODE | MODULE_NO_HOST,
	.run = assert_run,
};
