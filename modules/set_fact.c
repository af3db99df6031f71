/*
 * set_fact: set host variables for the rest of the run, above play and
 * inventory variables (Ansible's set_fact precedence).  Any key is a
 * variable; `cacheable` is accepted and means nothing more here.  The
 * executor moves the result's ansible_facts into the host's variables.
 */
#include <string.h>

#include "module.h"

static const struct arg_spec set_fact_args[] = {
	{ .name = NULL },
};

static int
set_fact_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	struct value *facts = val_new_dict(ctx->a);

	(void)err;
	if (args == NULL || args->type != VAL_DICT || args->u.dict->n == 0)
		return res_fail(ctx, res, "No key/value pairs provided, at "
		    "least one is required for this action to succeed");
	for (size_t i = 0; i < args->u.dict->n; i++) {
		struct value *k = args->u.dict->ent[i].key;

		if (k->type == VAL_STR && strcmp(k->u.str.s, "cacheable") == 0)
			continue;
		if (k->type != VAL_STR || k->u.str.len == 0 ||
		    strspn(k->u.str.s, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != k->u.str.len ||
		    (k->u.str.s[0] >= '0' && k->u.str.s[0] <= '9'))
			return res_fail(ctx, res, "The variable name '%s' is not "
			    "valid. Variables must start with a letter or "
			    "underscore character, and contain only letters, "
			    "numbers and underscores.", k->type == VAL_STR ?
			    k->u.str.s : "?");
		val_dict_setv(ctx->a, facts, k, args->u.dict->ent[i].val);
	}
	res_set(ctx, res, "ansible_facts", facts);
	return 0;
}

const struct module module_set_fact = {
	.name = "set_fact",
	.summary = "set host variables for the rest of the run",
	.args = set_fact_args,
	.flags = MODULE_CHECK_MODE | MODULE_NO_HOST | MODULE_ANY_ARGS,
	.run = set_fact_run,
};
