/* hostcmd.c: helpers of the service and kernel modules (hostcmd.h). */
#include <ctype.h>
#include <stdlib.h>
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
	res_warn(ctx, res, msg);
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

void
hc_put_stdin_part(struct strbuf *sb, const char *path, size_t len, int mode,
    bool follow)
{
	sb_adds(sb, "d=");
	sh_quote(sb, path);
	sb_addch(sb, '\n');
	/* readlink -f names a missing last component too (a new file) */
	if (follow)
		sb_adds(sb, "[ -L \"$d\" ] && d=$(readlink -f -- \"$d\")\n");
	/* the part is read in any case: the next one follows it */
	sb_adds(sb, "if t=$(mktemp \"$(dirname -- \"$d\")/.muster.XXXXXX\"); "
	    "then\n");
	sb_addf(sb, "  if head -c %zu >\"$t\" && { if [ -e \"$d\" ]; then ",
	    len);
	sb_adds(sb, "chown --reference=\"$d\" -- \"$t\" && "
	    "chmod --reference=\"$d\" -- \"$t\"; ");
	sb_addf(sb, "else chmod %04o -- \"$t\"; fi; } && "
	    "mv -f -- \"$t\" \"$d\"; then :; else rc=$?; rm -f -- \"$t\"; fi\n",
	    (unsigned)mode);
	sb_addf(sb, "else rc=1; head -c %zu >/dev/null; fi\n", len);
}

const char hc_cap_fn[] =
	"hc_cap() { _c=$1; shift; _d=$(mktemp -d) || return 1; "
	"\"$@\" >\"$_d/o\" 2>\"$_d/e\"; _r=$?; "
	"printf '@%s %s %s %s\\n' \"$_c\" \"$_r\" \"$(wc -c <\"$_d/o\")\" "
	"\"$(wc -c <\"$_d/e\")\"; cat \"$_d/o\" \"$_d/e\"; "
	"hc_err=$(cat \"$_d/e\"); rm -rf \"$_d\"; return $_r; }\n"
	/* expandvars(): $name and ${name} that are set; then expanduser() */
	"hc_pyexp() { _s=$(HC_S=$1 awk 'BEGIN { s = ENVIRON[\"HC_S\"]; "
	"delete ENVIRON[\"HC_S\"]; o = \"\";"
	" while ((i = index(s, \"$\")) > 0) {"
	" o = o substr(s, 1, i - 1); r = substr(s, i + 1);"
	" if (match(r, /^[A-Za-z0-9_]+/)) { n = substr(r, 1, RLENGTH) }"
	" else if (match(r, /^[{][^}]*[}]/)) { n = substr(r, 2, RLENGTH - 2) }"
	" else { o = o \"$\"; s = r; continue }"
	" o = o ((n in ENVIRON) ? ENVIRON[n] : \"$\" substr(r, 1, RLENGTH));"
	" s = substr(r, RLENGTH + 1) } printf \"%s.\", o s }'); _s=${_s%.}\n"
	"  case $_s in \\~*) _u=${_s%%/*}; _u=${_u#?}; _t=${_s#?}; "
	"_t=${_t#\"$_u\"}\n"
	"    if [ -z \"$_u\" ]; then _h=${HOME-$(getent passwd \"$(id -u)\" | "
	"cut -d: -f6)}; else _h=$(getent passwd \"$_u\" | cut -d: -f6) || "
	"_h=; [ -n \"$_h\" ] || { printf '%s' \"$_s\"; return; }; fi\n"
	"    while case $_h in */) true ;; *) false ;; esac; do _h=${_h%/}; "
	"done; _s=$_h$_t; [ -n \"$_s\" ] || _s=/ ;; esac\n"
	"  printf '%s' \"$_s\"; }\n";

void
hc_arg(struct strbuf *sb, const char *arg)
{
	/* only what the expansions can change goes through hc_pyexp */
	if (arg[0] != '~' && strchr(arg, '$') == NULL) {
		sh_quote(sb, arg);
		return;
	}
	sb_adds(sb, "\"$(hc_pyexp ");
	sh_quote(sb, arg);
	sb_adds(sb, ")\"");
}

bool
hc_captured(struct task_ctx *ctx, const char *out, const char *tag, int *rc,
    const char **o, const char **e)
{
	const char *m = find_marker(out, tag), *p, *nl;
	unsigned long olen, elen;
	char *end;
	size_t left;

	if (m == NULL)
		return false;
	p = m + 1 + strlen(tag);
	*rc = (int)strtol(p, &end, 10);
	olen = strtoul(end, &end, 10);
	elen = strtoul(end, &end, 10);
	nl = strchr(end, '\n');
	if (nl == NULL)
		return false;
	left = strlen(nl + 1);
	if (olen > left)
		olen = left;
	if (elen > left - olen)
		elen = left - olen;
	*o = arena_strndup(ctx->a, nl + 1, olen);
	*e = arena_strndup(ctx->a, nl + 1 + olen, elen);
	return true;
}

size_t
hc_lines(struct task_ctx *ctx, const char *text, size_t len,
    struct hc_line **lines)
{
	size_t n = 0, i, cap = 16;
	struct hc_line *l = arena_alloc(ctx->a, cap * sizeof(*l));

	for (i = 0; i < len;) {
		size_t s = i;

		while (i < len && text[i] != '\n' && text[i] != '\r')
			i++;
		if (n == cap) {
			struct hc_line *more;

			more = arena_alloc(ctx->a, 2 * cap * sizeof(*l));
			memcpy(more, l, cap * sizeof(*l));
			l = more;
			cap *= 2;
		}
		l[n].s = arena_strndup(ctx->a, text + s, i - s);
		l[n].len = i - s;
		l[n].nl = i < len;
		n++;
		if (i < len && text[i] == '\r' && i + 1 < len &&
		    text[i + 1] == '\n')
			i++;
		if (i < len)
			i++;
	}
	*lines = l;
	return n;
}

const char *
hc_oserror(struct task_ctx *ctx, const char *tool_msg, const char *path,
    bool bytes)
{
	static const struct {
		int		 no;
		const char	*text;
	} errnos[] = {
		{ 1, "Operation not permitted" },
		{ 2, "No such file or directory" },
		{ 5, "Input/output error" },
		{ 13, "Permission denied" },
		{ 16, "Device or resource busy" },
		{ 17, "File exists" },
		{ 20, "Not a directory" },
		{ 21, "Is a directory" },
		{ 22, "Invalid argument" },
		{ 28, "No space left on device" },
		{ 30, "Read-only file system" },
		{ 36, "File name too long" },
		{ 39, "Directory not empty" },
		{ 40, "Too many levels of symbolic links" },
	};
	const char *t = tool_msg, *p;
	size_t n;

	/* the text after the last ": " of the message's first line */
	n = strcspn(tool_msg, "\n");
	for (p = tool_msg; (p = strstr(p, ": ")) != NULL &&
	    (size_t)(p - tool_msg) < n; p += 2)
		t = p + 2;
	n -= (size_t)(t - tool_msg);
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strlen(errnos[i].text) == n &&
		    memcmp(errnos[i].text, t, n) == 0)
			return arena_printf(ctx->a, "[Errno %d] %s: %s'%s'",
			    errnos[i].no, errnos[i].text, bytes ? "b" : "",
			    path);
	return arena_printf(ctx->a, "%.*s: %s'%s'", (int)n, t, bytes ? "b" : "",
	    path);
}
