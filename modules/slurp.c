/*
 * slurp: a file of the host, base64-encoded in the result (content,
 * source, encoding), as Ansible's slurp module; read with one command and
 * encoded on the controller.
 */
#include <string.h>

#include "module.h"
#include "shell.h"
#include "transfer.h"

static const char *const src_aliases[] = { "path", NULL };

static const struct arg_spec slurp_args[] = {
	{ .name = "src", .type = ARG_PATH, .flags = ARG_REQUIRED,
	  .aliases = src_aliases },
	{ .name = NULL },
};

static int
slurp_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result cr;
	const char *src, *nl, *body;
	char kind;
	int rc;

	/* P path; then D (a directory), N (missing), R (unreadable), or F
	 * and the bytes */
	sb_adds(&cmd, "p=");
	xfer_path(&cmd, arg_str(args, "src"));
	sb_adds(&cmd, "; printf 'P %s\\n' \"$p\"; if [ -d \"$p\" ]; then "
	    "echo D; elif ! [ -e \"$p\" ]; then echo N; elif ! [ -r \"$p\" ]; "
	    "then echo R; else echo F; exec cat -- \"$p\"; fi");
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &cr, err);
	sb_release(&cmd);
	if (rc < 0)
		goto out;
	nl = memchr(cr.out.buf, '\n', cr.out.len);
	if (strncmp(cr.out.buf, "P ", 2) != 0 || nl == NULL ||
	    (size_t)(nl - cr.out.buf) + 2 > cr.out.len) {
		sb_rtrim(&cr.err);
		res_fail(ctx, res, "unable to slurp file: %s", cr.err.buf);
		goto out;
	}
	src = arena_strndup(ctx->a, cr.out.buf + 2, (size_t)(nl - cr.out.buf
	    - 2));
	kind = nl[1];
	body = nl + 3;
	if (kind == 'N')
		res_fail(ctx, res, "file not found: %s", src);
	else if (kind == 'R')
		res_fail(ctx, res, "file is not readable: %s", src);
	else if (kind == 'D')
		res_fail(ctx, res, "source is a directory and must be a file: "
		    "%s", src);
	else if (cr.rc != 0) {
		sb_rtrim(&cr.err);
		res_fail(ctx, res, "unable to slurp file: %s", cr.err.buf);
	} else {
		res_set(ctx, res, "content", xfer_base64(ctx->a, body,
		    cr.out.len - (size_t)(body - cr.out.buf)));
		res_set_str(ctx, res, "source", src);
		res_set_str(ctx, res, "encoding", "base64");
	}
out:
	conn_result_release(&cr);
	return rc;
}

const struct module module_slurp = {
	.name = "slurp",
	.summary = "read a file of the host, base64-encoded",
	.args = slurp_args,
	.flags = MODULE_CHECK_MODE,
	.run = slurp_run,
};
