/*
 * debug: print a message or a variable's value, as Ansible's debug action
 * does: msg (any value, default "Hello world!"), var (a variable name or
 * an expression; "VARIABLE IS NOT DEFINED!" when it is not), verbosity
 * (skipped below that -v level).  Runs on the controller, never on a host.
 */
#include <string.h>

#include "module.h"
#include "template/template.h"

static const struct arg_spec debug_args[] = {
	{ .name = "msg", .type = ARG_RAW },
	{ .name = "var", .type = ARG_RAW },
	{ .name = "verbosity", .type = ARG_INT, .dflt = "0" },
	{ .name = NULL },
};

static bool
undefined_error(const struct err *e)
{
	return strstr(e->msg, "is undefined") != NULL ||
	    strstr(e->msg, "has no attribute") != NULL ||
	    strstr(e->msg, "has no element") != NULL;
}

static int
debug_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct value *msg = val_dict_get(args, "msg");
	struct value *var = val_dict_get(args, "var");

	(void)err;
	res_set(ctx, res, "_ansible_verbose_always", &val_true);
	if (msg != NULL && msg->type != VAL_NULL && var != NULL &&
	    var->type != VAL_NULL)
		return res_fail(ctx, res, "'msg' and 'var' are incompatible "
		    "options");
	if (arg_int(args, "verbosity") > ctx->verbosity) {
		res->skipped = true;
		res_set_str(ctx, res, "skipped_reason", "Verbosity threshold "
		    "not met.");
		return 0;
	}
	if (var != NULL && var->type != VAL_NULL) {
		struct strbuf name = STRBUF_INIT, expr = STRBUF_INIT;
		struct err e2 = ERR_INIT;
		struct value *in, *out = NULL;

		val_str(&name, var);
		if (var->type != VAL_STR)
			sb_addf(&name, "%s", "");
		if (var->type == VAL_STR && !tmpl_is_template(var->u.str.s,
		    var->u.str.len))
			sb_addf(&expr, "{{ %s }}", name.buf);
		else
			sb_add(&expr, name.buf, name.len);
		in = val_new_strn(ctx->a, expr.buf, expr.len);
		in->pos = var->pos;
		if (ctx->tmpl == NULL || tmpl_value(ctx->a, ctx->tmpl, in, &out,
		    &e2) < 0) {
			if (ctx->tmpl != NULL && !undefined_error(&e2)) {
				char buf[ERR_MSG_MAX + 256];

				res_fail(ctx, res, "%s", err_format(&e2, buf,
				    sizeof(buf)));
			} else
				out = val_new_str(ctx->a,
				    "VARIABLE IS NOT DEFINED!");
		}
		if (out != NULL)
			res_set(ctx, res, var->type == VAL_LIST ?
			    "<class 'list'>" : var->type == VAL_DICT ?
			    "<class 'dict'>" : name.buf, out);
		sb_release(&name);
		sb_release(&expr);
		return 0;
	}
	res_set(ctx, res, "msg", msg != NULL && msg->type != VAL_NULL ? msg :
	    val_new_str(ctx->a, "Hello world!"));
	return 0;
}

const struct module module_debug = {
	.name = "debug",
	.summary = "print a message or a variable's value",
	.args = debug_args,
	.flags = MODULE_CHECK_MODE | MODULE_NO_HOST,
	.run = debug_run,
};
