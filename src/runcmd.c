#include <string.h>

#include "runcmd.h"
#include "shell.h"
#include "util.h"

void
sh_quote_glob(struct strbuf *sb, const char *s)
{
	const char *run = s;

	if (*s == '\0') {
		sb_adds(sb, "''");
		return;
	}
	for (; *s != '\0'; s++) {
		if (strchr("*?[]", *s) == NULL)
			continue;
		if (s > run)
			sh_quoten(sb, run, (size_t)(s - run));
		sb_addch(sb, *s);
		run = s + 1;
	}
	if (s > run)
		sh_quoten(sb, run, (size_t)(s - run));
}

static const char *
rel_to(struct task_ctx *ctx, const char *path, const char *chdir)
{
	if (path == NULL || chdir == NULL || path[0] == '/' || path[0] == '~')
		return path;
	return arena_printf(ctx->a, "%s/%s", chdir, path);
}

/* Does any path matching the glob exist on the host?  -1: unreachable. */
static int
glob_exists(struct task_ctx *ctx, const char *path, bool *exists,
    struct err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result cr;
	int rc;

	sb_adds(&cmd, "for f in ");
	sh_quote_glob(&cmd, path);
	sb_adds(&cmd, "; do [ -e \"$f\" ] || [ -L \"$f\" ] && exit 0; done; "
	    "exit 1");
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &cr, err);
	*exists = rc == 0 && cr.rc == 0;
	conn_result_release(&cr);
	sb_release(&cmd);
	return rc;
}

void
runcmd_add_env(struct strbuf *cmd, const struct value *env)
{
	size_t i;

	if (env == NULL || env->type != VAL_DICT)
		return;
	for (i = 0; i < env->u.dict->n; i++) {
		struct val_entry *e = &env->u.dict->ent[i];
		struct strbuf v = STRBUF_INIT;

		if (e->key->type != VAL_STR)
			continue;
		val_str(&v, e->val);
		sb_adds(cmd, "export ");
		sb_add(cmd, e->key->u.str.s, e->key->u.str.len);
		sb_addch(cmd, '=');
		sh_quoten(cmd, v.buf, v.len);
		sb_adds(cmd, "; ");
		sb_release(&v);
	}
}

int
runcmd(struct task_ctx *ctx, const struct value *args, enum runcmd_kind kind,
    struct result *res, struct err *err)
{
	const char *raw = arg_str(args, "_raw_params");
	const char *cmdarg = arg_str(args, "cmd");
	const char *chdir = arg_str(args, "chdir");
	const char *creates = arg_str(args, "creates");
	const char *removes = arg_str(args, "removes");
	const char *executable = arg_str(args, "executable");
	const char *stdin_s = arg_str(args, "stdin");
	const struct value *argvv = val_dict_get(args, "argv");
	struct strbuf cmd = STRBUF_INIT, in = STRBUF_INIT;
	struct value *cmdv = NULL;
	struct conn_result cr;
	char **words = NULL;
	bool exists;
	size_t i;
	int rc = 0;

	if (raw != NULL && *raw == '\0')
		raw = NULL;
	if (raw == NULL)
		raw = cmdarg;
	if (raw != NULL && argvv != NULL && val_len(argvv) > 0)
		return res_fail(ctx, res, "only command or argv can be given, "
		    "not both");
	if (raw == NULL && (argvv == NULL || val_len(argvv) == 0))
		return res_fail(ctx, res, "no command given");

	creates = rel_to(ctx, creates, chdir);
	removes = rel_to(ctx, removes, chdir);
	if (creates != NULL) {
		if (glob_exists(ctx, creates, &exists, err) < 0)
			return -1;
		if (exists) {
			res_set_str(ctx, res, "stdout", arena_printf(ctx->a,
			    "skipped, since %s exists", creates));
			res_set(ctx, res, "rc", val_new_int(ctx->a, 0));
			res->msg = arena_printf(ctx->a, "%s not run command "
			    "since '%s' exists", ctx->check_mode ? "Would" :
			    "Did", creates);
			return 0;
		}
	}
	if (removes != NULL) {
		if (glob_exists(ctx, removes, &exists, err) < 0)
			return -1;
		if (!exists) {
			res_set_str(ctx, res, "stdout", arena_printf(ctx->a,
			    "skipped, since %s does not exist", removes));
			res_set(ctx, res, "rc", val_new_int(ctx->a, 0));
			res->msg = arena_printf(ctx->a, "%s not run command "
			    "since '%s' does not exist", ctx->check_mode ?
			    "Would" : "Did", removes);
			return 0;
		}
	}
	/* check mode: decided below, once the command is known */

	runcmd_add_env(&cmd, ctx->env);
	if (chdir != NULL) {
		sb_adds(&cmd, "cd ");
		sh_quote(&cmd, chdir);
		sb_adds(&cmd, " || exit 1; ");
	}
	if (kind == RUNCMD_ARGV) {
		const char *why = NULL;

		cmdv = val_new_list(ctx->a);
		if (raw != NULL) {
			words = sh_split(raw, &why);
			if (words == NULL) {
				sb_release(&cmd);
				return res_fail(ctx, res, "%s", why);
			}
			for (i = 0; words[i] != NULL; i++)
				val_list_push(ctx->a, cmdv,
				    val_new_str(ctx->a, words[i]));
		} else {
			for (i = 0; i < val_len(argvv); i++) {
				struct strbuf w = STRBUF_INIT;

				val_str(&w, argvv->u.list->items[i]);
				val_list_push(ctx->a, cmdv,
				    val_new_strn(ctx->a, w.buf, w.len));
				sb_release(&w);
			}
		}
		if (val_len(cmdv) == 0) {
			sh_argv_free(words);
			sb_release(&cmd);
			return res_fail(ctx, res, "no command given");
		}
		sb_adds(&cmd, "exec");
		for (i = 0; i < val_len(cmdv); i++) {
			sb_addch(&cmd, ' ');
			sh_quote(&cmd, cmdv->u.list->items[i]->u.str.s);
		}
		sh_argv_free(words);
	} else if (kind == RUNCMD_SHELL) {
		cmdv = val_new_str(ctx->a, raw);
		if (executable != NULL) {
			sb_adds(&cmd, "exec ");
			sh_quote(&cmd, executable);
			sb_adds(&cmd, " -c ");
			sh_quote(&cmd, raw);
		} else
			sb_adds(&cmd, raw);
	} else {
		sb_adds(&cmd, raw);
	}

	if (ctx->check_mode && kind != RUNCMD_RAW) {
		/* Ansible's partial check mode: the result, not the run */
		sb_release(&cmd);
		res_set(ctx, res, "cmd", cmdv);
		res_set(ctx, res, "rc", val_new_int(ctx->a, 0));
		res_set_str(ctx, res, "stdout", "");
		res_set_str(ctx, res, "stderr", "");
		res_set(ctx, res, "stdout_lines", val_new_list(ctx->a));
		res_set(ctx, res, "stderr_lines", val_new_list(ctx->a));
		res_set(ctx, res, "start", &val_none);
		res_set(ctx, res, "end", &val_none);
		res_set(ctx, res, "delta", &val_none);
		res->msg = "Command would have run if not in check mode";
		/* with creates/removes Ansible can tell: it would change */
		if (creates == NULL && removes == NULL)
			res->skipped = true;
		else
			res->changed = true;
		return 0;
	}
	if (stdin_s != NULL) {
		sb_adds(&in, stdin_s);
		if (val_dict_get(args, "stdin_add_newline") == NULL ||
		    arg_bool(args, "stdin_add_newline"))
			sb_addch(&in, '\n');
	}
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become,
	    stdin_s != NULL ? in.buf : NULL, in.len, &cr, err);
	sb_release(&cmd);
	sb_release(&in);
	if (rc < 0) {
		conn_result_release(&cr);
		return -1;
	}
	res->changed = true;
	if (kind == RUNCMD_RAW) {
		struct conn_result untimed = cr;

		/* raw has no start/end/delta and keeps trailing newlines. */
		untimed.start = 0;
		res_set_cmd(ctx, res, &untimed);
		res_set(ctx, res, "stdout", val_new_strn(ctx->a, cr.out.buf,
		    cr.out.len));
		res_set(ctx, res, "stderr", val_new_strn(ctx->a, cr.err.buf,
		    cr.err.len));
		if (cr.rc != 0)
			res_fail(ctx, res, "non-zero return code");
		conn_result_release(&cr);
		return 0;
	}
	/* `exec` of a missing program: Ansible reports it without running. */
	if (kind == RUNCMD_ARGV && cr.rc == 127 &&
	    strstr(cr.err.buf, "not found") != NULL &&
	    strstr(cr.err.buf, "exec") != NULL) {
		res->changed = false;
		res_set(ctx, res, "cmd", val_new_str(ctx->a,
		    cmdv->u.list->items[0]->u.str.s));
		res_set(ctx, res, "rc", val_new_int(ctx->a, 2));
		conn_result_release(&cr);
		return res_fail(ctx, res, "[Errno 2] No such file or directory: "
		    "b'%s'", cmdv->u.list->items[0]->u.str.s);
	}
	res_set(ctx, res, "cmd", cmdv);
	res_set_cmd(ctx, res, &cr);
	if (cr.rc != 0)
		res_fail(ctx, res, "non-zero return code");
	else
		res_set_str(ctx, res, "msg", "");
	conn_result_release(&cr);
	return 0;
}
