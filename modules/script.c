/*
 * script: a script of the controller copied to the host and run there, as
 * Ansible's script action: "script: path args" (or cmd), creates, removes,
 * chdir (absolute), executable.  One remote command: the creates/removes
 * tests, the script fed on stdin into a temporary directory, run, and the
 * directory removed.  Ansible runs it on a terminal: stdout holds stderr
 * too and lines end in \r\n; so does this module's.
 */
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "shell.h"
#include "transfer.h"
#include "util.h"

static const struct arg_spec script_args[] = {
	{ .name = "_raw_params", .type = ARG_STR },
	{ .name = "cmd", .type = ARG_STR },
	{ .name = "creates", .type = ARG_STR },
	{ .name = "removes", .type = ARG_STR },
	{ .name = "chdir", .type = ARG_STR },
	{ .name = "executable", .type = ARG_STR },
	{ .name = "decrypt", .type = ARG_BOOL, .dflt = "true" },
	{ .name = NULL },
};

static const char run_mark[] = "MUSTER-SCRIPT-RUN\n";

/* The creates/removes tests (_remote_file_exists: test -e, quoted). */
static void
add_tests(struct strbuf *cmd, const char *creates, const char *removes)
{
	if (creates != NULL && *creates != '\0') {
		sb_adds(cmd, "if test -e ");
		sh_quote(cmd, creates);
		sb_adds(cmd, "; then echo C; exit 0; fi; ");
	}
	if (removes != NULL && *removes != '\0') {
		sb_adds(cmd, "if ! test -e ");
		sh_quote(cmd, removes);
		sb_adds(cmd, "; then echo R; exit 0; fi; ");
	}
}

static void
add_env(struct strbuf *cmd, const struct value *env)
{
	size_t i;

	for (i = 0; env != NULL && env->type == VAL_DICT &&
	    i < env->u.dict->n; i++) {
		struct strbuf v = STRBUF_INIT;

		val_str(&v, env->u.dict->ent[i].val);
		sb_adds(cmd, "export ");
		val_str(cmd, env->u.dict->ent[i].key);
		sb_addch(cmd, '=');
		sh_quoten(cmd, v.buf, v.len);
		sb_adds(cmd, "; ");
		sb_release(&v);
	}
}

/* raw.replace(first, tmp): every occurrence, as Ansible does. */
static void
replace_all(struct strbuf *out, const char *raw, const char *first,
    const char *with)
{
	size_t n = strlen(first);
	const char *p;

	while (n > 0 && (p = strstr(raw, first)) != NULL) {
		sb_add(out, raw, (size_t)(p - raw));
		sb_adds(out, with);
		raw = p + n;
	}
	sb_adds(out, raw);
}

/* A terminal's output: \n becomes \r\n. */
static struct value *
tty_text(struct arena *a, const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	struct value *v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			sb_addch(&sb, '\r');
		sb_addch(&sb, s[i]);
	}
	v = val_new_strn(a, sb.buf, sb.len);
	sb_release(&sb);
	return v;
}

static int
script_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	struct arena *a = ctx->a;
	const char *raw = arg_str(args, "_raw_params");
	const char *creates = arg_str(args, "creates");
	const char *removes = arg_str(args, "removes");
	const char *chdir = arg_str(args, "chdir");
	const char *exe = arg_str(args, "executable");
	const char *why = NULL, *src, *base, *mark;
	struct strbuf cmd = STRBUF_INIT, searched = STRBUF_INIT;
	struct strbuf tmp = STRBUF_INIT, trimmed = STRBUF_INIT;
	struct conn_result cr;
	bool tests = (creates != NULL && *creates != '\0') ||
	    (removes != NULL && *removes != '\0');
	char **words = NULL, *data = NULL;
	size_t len = 0, off;
	int rc = 0;

	if (raw == NULL || *raw == '\0')
		raw = arg_str(args, "cmd");
	if (chdir != NULL && *chdir != '\0' && chdir[0] != '/')
		return res_fail(ctx, res, "chdir %s must be an absolute path "
		    "for a Unix-aware remote node", chdir);
	if (raw != NULL) {
		sb_adds(&trimmed, raw);
		sb_rtrim(&trimmed);
		raw = trimmed.buf + strspn(trimmed.buf, " \t\n");
		words = sh_split(raw, &why);
	}
	if (words == NULL || words[0] == NULL) {
		res_fail(ctx, res, "%s", why != NULL ? why :
		    "no script given");
		goto out;
	}
	src = xfer_find_file(ctx, words[0], &searched);
	if (src == NULL) {
		xfer_not_found(ctx, res, words[0], &searched);
		goto out;
	}
	if (read_file(src, &data, &len) < 0) {
		res_fail(ctx, res, "could not read '%s'", src);
		goto out;
	}
	conn_result_init(&cr);
	if (ctx->check_mode && !tests) {
		/* the script may set changed itself: skip, do not guess */
		res->skipped = true;
		res_set_str(ctx, res, "msg", "Check mode is not supported for "
		    "this task.");
		goto done;
	}
	if (ctx->check_mode) {
		add_tests(&cmd, creates, removes);
		sb_adds(&cmd, "echo Y; exit 0; ");
		len = 0;
	}
	base = strrchr(src, '/') != NULL ? strrchr(src, '/') + 1 : src;
	sb_adds(&tmp, "\"$d\"/");
	sh_quote(&tmp, base);
	/* the script comes on stdin: read it whatever happens next */
	sb_adds(&cmd, "d=$(mktemp -d \"${TMPDIR:-/tmp}/muster-script."
	    "XXXXXXXX\") || { cat > /dev/null; exit 1; }; f=\"$d\"/");
	sh_quote(&cmd, base);
	sb_adds(&cmd, "; cat > \"$f\" && chmod 0700 \"$f\" || { rm -rf "
	    "\"$d\"; exit 1; }; trap 'rm -rf \"$d\"' EXIT; ");
	add_tests(&cmd, creates, removes);
	sb_adds(&cmd, "printf '%s' ");
	sh_quote(&cmd, run_mark);
	sb_adds(&cmd, "; (");
	if (chdir != NULL && *chdir != '\0') {
		sb_adds(&cmd, "cd ");
		sh_quote(&cmd, chdir);
		sb_adds(&cmd, " && ");
	}
	add_env(&cmd, ctx->env);
	if (exe != NULL && *exe != '\0') {
		sb_adds(&cmd, exe);
		sb_addch(&cmd, ' ');
	}
	replace_all(&cmd, raw, words[0], tmp.buf);
	sb_adds(&cmd, "\n) < /dev/null 2>&1");
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, len > 0 ? data : NULL,
	    len, &cr, err);
	if (rc < 0)
		goto done;
	if (strncmp(cr.out.buf, "C\n", 2) == 0 ||
	    strncmp(cr.out.buf, "R\n", 2) == 0) {
		res->skipped = true;
		res_set_str(ctx, res, "msg", cr.out.buf[0] == 'C' ?
		    arena_printf(a, "%s exists, matching creates option",
		    creates) : arena_printf(a, "%s does not exist, matching "
		    "removes option", removes));
		goto done;
	}
	if (ctx->check_mode) {
		res->changed = true;
		goto done;
	}
	mark = strstr(cr.out.buf, run_mark);
	if (mark == NULL) {
		sb_rtrim(&cr.err);
		res_fail(ctx, res, "failed to transfer the script: %s",
		    cr.err.buf);
		goto done;
	}
	off = (size_t)(mark - cr.out.buf) + strlen(run_mark);
	res->changed = true;
	res_set(ctx, res, "rc", val_new_int(a, cr.rc));
	{
		struct conn_result lines = cr;

		/* stdout_lines and stderr_lines as Ansible splits them */
		lines.start = 0;
		lines.out.buf = cr.out.buf + off;
		lines.out.len = cr.out.len - off;
		lines.err.len = 0;
		res_set_cmd(ctx, res, &lines);
	}
	res_set(ctx, res, "stdout", tty_text(a, cr.out.buf + off,
	    cr.out.len - off));
	res_set_str(ctx, res, "stderr", "");
	if (cr.rc != 0)
		res_fail(ctx, res, "non-zero return code");
done:
	conn_result_release(&cr);
out:
	free(data);
	sh_argv_free(words);
	sb_release(&cmd);
	sb_release(&tmp);
	sb_release(&searched);
	sb_release(&trimmed);
	return rc;
}

const struct module module_script = {
	.name = "script",
	.summary = "copy a script of the controller to the host and run it",
	.args = script_args,
	.flags = MODULE_CHECK_MODE | MODULE_RAW_PARAMS,
	.run = script_run,
};
