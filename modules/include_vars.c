/*
 * include_vars: load variables from a YAML/JSON file on the controller
 * (relative to the role's vars/ or the playbook's directory) for the rest
 * of the run on this host; `name` puts them under one variable.
 */
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "module.h"
#include "template/template.h"
#include "yaml_load.h"

static const char *const file_alias[] = { "_raw_params", NULL };

static const struct arg_spec include_vars_args[] = {
	{ .name = "file", .type = ARG_STR, .aliases = file_alias },
	{ .name = "name", .type = ARG_STR },
	{ .name = NULL },
};

static int
include_vars_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *file = arg_str(args, "file"), *name = arg_str(args, "name");
	const char *base = ctx->tmpl != NULL && ctx->tmpl->basedir != NULL ?
	    ctx->tmpl->basedir : ".";
	const char *cands[3], *path = NULL;
	struct err e2 = ERR_INIT;
	struct value *v, *facts, *files;
	char buf[ERR_MSG_MAX + 256];

	(void)err;
	if (file == NULL)
		return res_fail(ctx, res, "No file was specified");
	cands[0] = file[0] == '/' ? file : arena_printf(ctx->a, "%s/vars/%s",
	    base, file);
	cands[1] = file[0] == '/' ? NULL : arena_printf(ctx->a, "%s/%s", base,
	    file);
	cands[2] = NULL;
	for (size_t i = 0; cands[i] != NULL && path == NULL; i++)
		if (access(cands[i], R_OK) == 0)
			path = cands[i];
	if (path == NULL)
		return res_fail(ctx, res, "Could not find or access '%s'", file);
	if ((v = yaml_load_file(ctx->a, path, &e2)) == NULL)
		return res_fail(ctx, res, "%s", err_format(&e2, buf, sizeof(buf)));
	if (v->type == VAL_NULL)
		v = val_new_dict(ctx->a);
	if (v->type != VAL_DICT)
		return res_fail(ctx, res, "%s must be stored as a dictionary/hash",
		    path);
	if (name != NULL) {
		facts = val_new_dict(ctx->a);
		val_dict_set(ctx->a, facts, name, v);
	} else
		facts = v;
	files = val_new_list(ctx->a);
	{
		/* Ansible reports the file's absolute path */
		char *abs = realpath(path, NULL);

		val_list_push(ctx->a, files, val_new_str(ctx->a,
		    abs != NULL ? abs : path));
		free(abs);
	}
	res_set(ctx, res, "ansible_facts", facts);
	res_set(ctx, res, "ansible_included_var_files", files);
	return 0;
}

const struct module module_include_vars = {
	.name = "include_vars",
	.summary = "load variables from a file on the controller",
	.args = include_vars_args,
	.flags = MODULE_CHECK_MODE | MODULE_NO_HOST | MODULE_RAW_PARAMS,
	.run = include_vars_run,
};
