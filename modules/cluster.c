/* cluster.c: helpers of the cluster modules (cluster.h). */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "shell.h"

const char *
clu_section(struct task_ctx *ctx, const struct strbuf *out, const char *name,
    const char **value)
{
	const char *p = out->buf, *end = out->buf + out->len, *nl, *body;
	size_t n = strlen(name);

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl - p < (long)n + 2 || p[0] != '@' || p[1] != '@' ||
		    memcmp(p + 2, name, n) != 0 ||
		    (p + 2 + n < nl && p[2 + n] != ' '))
			continue;
		if (value != NULL)
			*value = p + 2 + n < nl ? arena_strndup(ctx->a,
			    p + 3 + n, (size_t)(nl - p - 3 - (long)n)) : "";
		body = nl < end ? nl + 1 : end;
		for (p = body; p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				nl = end;
			if (nl - p >= 2 && p[0] == '@' && p[1] == '@')
				break;
		}
		if (p > end)
			p = end;
		return arena_strndup(ctx->a, body, (size_t)(p - body));
	}
	return NULL;
}

int
clu_section_rc(struct task_ctx *ctx, const struct strbuf *out,
    const char *name)
{
	const char *v;

	if (clu_section(ctx, out, name, &v) == NULL || *v == '\0')
		return -1;
	return atoi(v);
}

void
clu_diff(struct task_ctx *ctx, struct result *res, const char *path,
    const char *before, size_t blen, const char *after, size_t alen)
{
	struct value *d = val_new_dict(ctx->a);

	val_dict_set(ctx->a, d, "before", val_new_strn(ctx->a, before, blen));
	val_dict_set(ctx->a, d, "after", val_new_strn(ctx->a, after, alen));
	val_dict_set(ctx->a, d, "before_header", val_new_str(ctx->a, path));
	val_dict_set(ctx->a, d, "after_header", val_new_str(ctx->a, path));
	res_set(ctx, res, "diff", d);
}

int
clu_fail_output(struct task_ctx *ctx, struct result *res, const char *what,
    const char *out, const char *errtext)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	sb_adds(&sb, errtext != NULL && *errtext != '\0' ? errtext :
	    out != NULL && *out != '\0' ? out : "no output");
	sb_rtrim(&sb);
	rc = res_fail(ctx, res, "%s: %s", what, sb.buf);
	sb_release(&sb);
	return rc;
}

struct value *
clu_lines(struct task_ctx *ctx, const char *text)
{
	struct value *l = val_new_list(ctx->a);
	const char *nl;

	while (text != NULL && *text != '\0') {
		nl = strchr(text, '\n');
		if (nl == NULL)
			nl = text + strlen(text);
		val_list_push(ctx->a, l, val_new_strn(ctx->a, text,
		    (size_t)(nl - text)));
		text = *nl != '\0' ? nl + 1 : nl;
	}
	return l;
}
