/* hostcmd.c: helpers of the service and kernel modules (hostcmd.h). */
#include <ctype.h>
#include <string.h>

#include "arena.h"
#include "hostcmd.h"

int
hc_exec(struct task_ctx *ctx, const char *script, const char *in,
    size_t inlen, struct conn_result *cr, struct err *err)
{
	return conn_exec(ctx->conn, script, ctx->become, in, inlen, cr, err);
}

/* The start of the line "@tag" or "@tag ..." in out, or NULL. */
static const char *
find_marker(const char *out, const char *tag)
{
	size_t n = strlen(tag);
	const char *p = out;

	while (p != NULL && *p != '\0') {
		if (p[0] == '@' && strncmp(p + 1, tag, n) == 0 &&
		    (p[n + 1] == ' ' || p[n + 1] == '\n' || p[n + 1] == '\0'))
			return p;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

const char *
hc_tail(const char *out, const char *tag)
{
	const char *m = find_marker(out, tag), *eol;

	if (m == NULL)
		return NULL;
	eol = strchr(m, '\n');
	return eol != NULL ? eol + 1 : m + strlen(m);
}

bool
hc_has(const char *out, const char *tag)
{
	return find_marker(out, tag) != NULL;
}

const char *
hc_section(struct task_ctx *ctx, const char *out, const char *tag,
    const char **rest)
{
	const char *m = find_marker(out, tag), *eol, *body, *end;

	if (m == NULL)
		return NULL;
	eol = strchr(m, '\n');
	if (eol == NULL)
		eol = m + strlen(m);
	if (rest != NULL) {
		const char *r = m + 1 + strlen(tag);

		if (*r == ' ')
			r++;
		*rest = arena_strndup(ctx->a, r, (size_t)(eol - r));
	}
	body = *eol == '\n' ? eol + 1 : eol;
	for (end = body; *end != '\0';) {
		if (*end == '@' && (end == body || end[-1] == '\n'))
			break;
		eol = strchr(end, '\n');
		end = eol != NULL ? eol + 1 : end + strlen(end);
	}
	return arena_strndup(ctx->a, body, (size_t)(end - body));
}

void
hc_fail_only(struct task_ctx *ctx, struct result *res)
{
	struct value *w = val_dict_get(res->v, "warnings");

	res->v = val_new_dict(ctx->a);
	res->changed = false;
	res_set_str(ctx, res, "msg", res->msg);
	if (w != NULL)
		res_set(ctx, res, "warnings", w);
}

void
hc_warn(struct task_ctx *ctx, struct result *res, const char *msg)
{
	struct value *w = val_dict_get(res->v, "warnings");

	if (w == NULL) {
		w = val_new_list(ctx->a);
		res_set(ctx, res, "warnings", w);
	}
	val_list_push(ctx->a, w, val_new_str(ctx->a, msg));
}

void
hc_put_stdin(struct strbuf *sb, const char *path, int mode)
{
	sb_adds(sb, "d=");
	sh_quote(sb, path);
	sb_adds(sb, "\nt=$(mktemp \"$(dirname -- \"$d\")/.muster.XXXXXX\") "
	    "&& { cat >\"$t\" && if [ -e \"$d\" ]; then "
	    "chown --reference=\"$d\" -- \"$t\" && "
	    "chmod --reference=\"$d\" -- \"$t\"; ");
	sb_addf(sb, "else chmod %04o -- \"$t\"; fi && mv -f -- \"$t\" \"$d\"; "
	    "} || { rc=$?; rm -f -- \"$t\"; }\n", (unsigned)mode);
}

char *
hc_strip(struct task_ctx *ctx, const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return arena_strndup(ctx->a, s, n);
}
