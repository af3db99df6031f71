/*
 * transfer.c: the helpers of transfer.h, shared by slurp, fetch, script,
 * wait_for, get_url, uri, copy and template.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "shell.h"
#include "template/template.h"
#include "transfer.h"

const char *const xfer_attr_aliases[] = { "attr", NULL };

/* The file module does set_fs_attributes_if_different()'s work. */
extern const struct module module_file;

void
xfer_path(struct strbuf *sb, const char *path)
{
	size_t n = strcspn(path, "/"), i;

	if (path[0] == '~') {
		for (i = 1; i < n; i++)
			if (!isalnum((unsigned char)path[i]) &&
			    strchr("._-", path[i]) == NULL)
				break;
		if (i == n) {
			/* a safe name: the shell's tilde expansion does it */
			sb_add(sb, path, n);
			if (path[n] == '/') {
				sb_addch(sb, '/');
				if (path[n + 1] != '\0')
					sh_quote(sb, path + n + 1);
			}
			return;
		}
	}
	sh_quote(sb, path);
}

const char *
xfer_digest(struct arena *a, const char *algo, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	const EVP_MD *type = EVP_get_digestbyname(algo);
	unsigned n = 0, i;
	char *out;

	if (type == NULL || EVP_Digest(data, len, md, &n, type, NULL) != 1)
		return NULL;
	out = arena_alloc(a, 2 * n + 1);
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

struct value *
xfer_base64(struct arena *a, const void *data, size_t len)
{
	char *out = arena_alloc(a, 4 * ((len + 2) / 3) + 1);
	const unsigned char *p = data;
	size_t done = 0, chunk;
	int n = 0;

	/* EVP_EncodeBlock takes an int: feed it whole 3-byte groups. */
	while (done < len) {
		chunk = len - done > 3 * (1u << 28) ? 3 * (1u << 28) :
		    len - done;
		n = EVP_EncodeBlock((unsigned char *)out + 4 * (done / 3),
		    p + done, (int)chunk);
		done += chunk;
	}
	(void)n;
	return val_new_strn(a, out, 4 * ((len + 2) / 3));
}

void
xfer_path_info_sh(struct strbuf *sb, const char *var)
{
	sb_addf(sb, "if [ -e \"$%s\" ]; then stat -c 'I %%u %%g %%U %%G "
	    "%%a %%s %%h %%F' -- \"$%s\"; fi; ", var, var);
}

void
xfer_path_info(struct task_ctx *ctx, struct result *res, const char *out)
{
	struct arena *a = ctx->a;
	const char *line = xfer_tagged(a, out, 'I');
	unsigned long uid, gid, mode, nlink;
	long long size;
	char user[64], group[64];
	int used = 0;
	const char *type, *state;

	if (line == NULL || sscanf(line, "%lu %lu %63s %63s %lo %lld %lu %n",
	    &uid, &gid, user, group, &mode, &size, &nlink, &used) < 7)
		return;
	type = line + used;
	if (strcmp(type, "symbolic link") == 0)
		state = "link";
	else if (strcmp(type, "directory") == 0)
		state = "directory";
	else if (nlink > 1)
		state = "hard";
	else
		state = "file";
	res_set(ctx, res, "uid", val_new_int(a, (int64_t)uid));
	res_set(ctx, res, "gid", val_new_int(a, (int64_t)gid));
	res_set(ctx, res, "owner", strcmp(user, "UNKNOWN") == 0 ?
	    val_new_strf(a, "%lu", uid) : val_new_str(a, user));
	res_set(ctx, res, "group", strcmp(group, "UNKNOWN") == 0 ?
	    val_new_strf(a, "%lu", gid) : val_new_str(a, group));
	res_set(ctx, res, "mode", val_new_strf(a, "0%03lo", mode));
	res_set_str(ctx, res, "state", state);
	res_set(ctx, res, "size", val_new_int(a, size));
}

const char *
xfer_dwim(struct task_ctx *ctx, const char *p)
{
	const char *home = getenv("HOME"), *base;
	char cwd[4096];

	if (p[0] == '~' && home != NULL && (p[1] == '/' || p[1] == '\0'))
		return arena_printf(ctx->a, "%s%s", home, p + 1);
	if (p[0] == '/')
		return p;
	base = ctx->tmpl != NULL && ctx->tmpl->basedir != NULL ?
	    ctx->tmpl->basedir : ".";
	if (base[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
		base = strcmp(base, ".") == 0 ? arena_strdup(ctx->a, cwd) :
		    arena_printf(ctx->a, "%s/%s", cwd, base);
	return arena_printf(ctx->a, "%s/%s", base, p);
}

const char *
xfer_find_file(struct task_ctx *ctx, const char *name,
    struct strbuf *searched)
{
	const char *cand[2];
	struct stat st;
	size_t i, n = 0;

	if (name[0] != '/' && name[0] != '~')
		cand[n++] = xfer_dwim(ctx, arena_printf(ctx->a, "files/%s",
		    name));
	cand[n++] = xfer_dwim(ctx, name);
	/* Ansible searches the task's and the play's dirs: the same here */
	for (i = 0; n == 2 && i < 2; i++)
		sb_addf(searched, "\n\t%s", cand[i]);
	for (i = 0; i < n; i++) {
		sb_addf(searched, "\n\t%s", cand[i]);
		if (stat(cand[i], &st) == 0)
			return cand[i];
	}
	return NULL;
}

const char *
xfer_find_needle(struct task_ctx *ctx, const char *dirname, const char *name,
    struct strbuf *searched)
{
	const char *cand[4], *home = getenv("HOME");
	size_t i, n = 0, dlen = strlen(dirname);
	struct stat st;

	if (name[0] == '/' || name[0] == '~') {
		if (name[0] == '~' && home != NULL && (name[1] == '/' ||
		    name[1] == '\0'))
			name = arena_printf(ctx->a, "%s%s", home, name + 1);
		return stat(name, &st) == 0 ? name : NULL;
	}
	/* Ansible searches the task's and the play's dirs: the same here */
	for (i = 0; i < 2; i++) {
		if (strncmp(name, dirname, dlen) != 0 || (name[dlen] != '/' &&
		    name[dlen] != '\0'))
			cand[n++] = xfer_dwim(ctx, arena_printf(ctx->a,
			    "%s/%s", dirname, name));
		cand[n++] = xfer_dwim(ctx, name);
	}
	for (i = 0; i < n; i++) {
		sb_addf(searched, "\n\t%s", cand[i]);
		if (stat(cand[i], &st) == 0)
			return cand[i];
	}
	return NULL;
}

int
xfer_not_found(struct task_ctx *ctx, struct result *res, const char *name,
    const struct strbuf *searched)
{
	return res_fail(ctx, res, "Could not find or access '%s'\nSearched "
	    "in:%s on the Ansible Controller.\nIf you are using a module and "
	    "expect the file to exist on the remote, see the remote_src "
	    "option", name, searched->buf);
}

const char *
xfer_tagged(struct arena *a, const char *out, char tag)
{
	const char *p, *nl;

	for (p = out; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (p[0] == tag && p[1] == ' ')
			return arena_strndup(a, p + 2, (size_t)(nl - p - 2));
		if (*nl == '\0')
			break;
	}
	return NULL;
}

/* ---- HTTP with curl ---- */

/* A string in a curl config file: "..." with C-like escapes. */
static void
cfg_str(struct strbuf *cfg, const char *key, const char *s, size_t n)
{
	size_t i;

	sb_addf(cfg, "%s = \"", key);
	for (i = 0; i < n; i++)
		switch (s[i]) {
		case '"': sb_adds(cfg, "\\\""); break;
		case '\\': sb_adds(cfg, "\\\\"); break;
		case '\n': sb_adds(cfg, "\\n"); break;
		case '\r': sb_adds(cfg, "\\r"); break;
		case '\t': sb_adds(cfg, "\\t"); break;
		case '\v': sb_adds(cfg, "\\v"); break;
		default: sb_addch(cfg, s[i]); break;
		}
	sb_adds(cfg, "\"\n");
}

void
xfer_http_sh(struct strbuf *cmd, struct strbuf *cfg,
    const struct xfer_http *rq, const char *tmpdir_sh, bool print_body)
{
	bool head = strcmp(rq->method, "HEAD") == 0;
	size_t i;

	cfg_str(cfg, "url", rq->url, strlen(rq->url));
	cfg_str(cfg, "user-agent", rq->agent, strlen(rq->agent));
	for (i = 0; rq->headers != NULL && i < val_len(rq->headers); i++) {
		const struct val_entry *e = &rq->headers->u.dict->ent[i];
		struct strbuf h = STRBUF_INIT;

		val_str(&h, e->key);
		sb_adds(&h, ": ");
		val_str(&h, e->val);
		cfg_str(cfg, "header", h.buf, h.len);
		sb_release(&h);
	}
	if (rq->no_cache)
		cfg_str(cfg, "header", "cache-control: no-cache", 23);
	if (rq->user != NULL) {
		struct strbuf u = STRBUF_INIT;

		sb_addf(&u, "%s:%s", rq->user, rq->password != NULL ?
		    rq->password : "");
		cfg_str(cfg, "user", u.buf, u.len);
		sb_release(&u);
	}
	if (rq->body != NULL)
		cfg_str(cfg, "data-raw", rq->body, rq->body_len);
	if (!head && strcmp(rq->method, "GET") != 0 && !(rq->body != NULL &&
	    strcmp(rq->method, "POST") == 0))
		cfg_str(cfg, "request", rq->method, strlen(rq->method));
	else if (rq->body != NULL && strcmp(rq->method, "GET") == 0)
		cfg_str(cfg, "request", "GET", 3);

	sb_adds(cmd, "h=$(mktemp) && e=$(mktemp) && t=$(mktemp ");
	if (tmpdir_sh != NULL) {
		sb_adds(cmd, tmpdir_sh);
		sb_adds(cmd, "/.muster-XXXXXXXX");
	}
	sb_adds(cmd, ") || exit 97; sec() { printf '%s %s\\n' \"$1\" "
	    "\"$(wc -c < \"$2\")\"; cat \"$2\"; }; ");
	/* fetch_url's If-Modified-Since: the file's mtime, if it exists */
	sb_adds(cmd, "set --; ");
	if (rq->if_modified != NULL)
		sb_addf(cmd, "[ -f \"$%s\" ] && set -- -z \"$%s\"; ",
		    rq->if_modified, rq->if_modified);
	sb_addf(cmd, "w=$(curl -q -sS -K - -D \"$h\" -o \"$t\" -w "
	    "'%%{http_code} %%{url_effective}' --max-time %d", rq->timeout);
	if (rq->follow)
		sb_adds(cmd, " -L --max-redirs 10");
	if (!rq->validate_certs)
		sb_adds(cmd, " -k");
	if (rq->user != NULL)
		sb_adds(cmd, rq->force_basic_auth ? " --basic" : " --anyauth");
	if (head)
		sb_adds(cmd, " -I");
	sb_adds(cmd, " \"$@\" 2>\"$e\"); printf 'X %s\\nW %s\\nT %s\\n' "
	    "\"$?\" \"$w\" \"$t\"; ");
	if (head)
		sb_adds(cmd, ": > \"$t\"; ");
	sb_adds(cmd, "sec E \"$e\"; sec H \"$h\"; printf 'S %s\\n' "
	    "\"$(sha1sum < \"$t\" | cut -c1-40)\"; ");
	if (print_body)
		sb_adds(cmd, "sec B \"$t\"; ");
	sb_adds(cmd, "rm -f \"$h\" \"$e\"; ");
}

void
xfer_http_init(struct xfer_http *rq, const struct value *args,
    const char *url, const char *method)
{
	memset(rq, 0, sizeof(*rq));
	rq->url = url;
	rq->method = method;
	rq->headers = val_dict_get(args, "headers");
	rq->user = arg_str(args, "url_username");
	rq->password = arg_str(args, "url_password");
	rq->force_basic_auth = arg_bool(args, "force_basic_auth");
	rq->validate_certs = arg_bool(args, "validate_certs");
	rq->timeout = (int)arg_int(args, "timeout");
	rq->agent = arg_str(args, "http_agent");
}

int
xfer_http_run(struct task_ctx *ctx, struct strbuf *cmd, struct strbuf *cfg,
    struct conn_result *cr, struct err *err)
{
	int rc;

	conn_result_init(cr);
	rc = conn_exec(ctx->conn, cmd->buf, ctx->become, cfg->buf, cfg->len,
	    cr, err);
	sb_release(cmd);
	sb_release(cfg);
	return rc;
}

/* One line of out from *pos (without its newline), or NULL at the end. */
static const char *
next_line(struct arena *a, const struct strbuf *out, size_t *pos)
{
	const char *p = out->buf + *pos, *nl;

	if (*pos >= out->len)
		return NULL;
	nl = memchr(p, '\n', out->len - *pos);
	if (nl == NULL)
		nl = out->buf + out->len;
	*pos = (size_t)(nl - out->buf) + (nl < out->buf + out->len);
	return arena_strndup(a, p, (size_t)(nl - p));
}

/* A "TAG LEN\n" + LEN bytes section. */
static const char *
section(struct arena *a, const struct strbuf *out, size_t *pos, char tag,
    size_t *len)
{
	const char *line = next_line(a, out, pos), *s;
	char *end;
	size_t n;

	if (line == NULL || line[0] != tag || line[1] != ' ')
		return NULL;
	n = strtoul(line + 2, &end, 10);
	if (*end != '\0' || n > out->len - *pos)
		return NULL;
	s = arena_strndup(a, out->buf + *pos, n);
	*pos += n;
	*len = n;
	return s;
}

/* The last header block of a -D dump into r->headers. */
static void
parse_headers(struct task_ctx *ctx, const char *h, struct xfer_resp *r)
{
	struct arena *a = ctx->a;
	const char *p, *last = NULL, *eol, *colon, *v;

	for (p = h; *p != '\0'; p = eol + (*eol != '\0')) {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		if (strncmp(p, "HTTP/", 5) == 0)
			last = p;
	}
	r->headers = val_new_dict(a);
	if (last == NULL)
		return;
	eol = strchr(last, '\n');
	p = strchr(last, ' ');
	if (p != NULL && (eol == NULL || p < eol)) {
		const char *ph = strchr(p + 1, ' ');
		size_t n;

		r->status = atoi(p + 1);
		if (ph != NULL && (eol == NULL || ph < eol)) {
			n = (size_t)((eol != NULL ? eol : ph + strlen(ph)) -
			    ph - 1);
			while (n > 0 && (ph[n] == '\r' || ph[n] == ' '))
				n--;
			r->reason = arena_strndup(a, ph + 1, n);
		}
	}
	for (p = eol != NULL ? eol + 1 : ""; *p != '\0' && *p != '\r' &&
	    *p != '\n'; p = eol + (*eol != '\0')) {
		struct strbuf key = STRBUF_INIT;
		struct value *old;
		size_t n;

		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL)
			continue;
		for (v = p; v < colon; v++)
			sb_addch(&key, tolower((unsigned char)*v));
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		n = (size_t)(eol - v);
		while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == ' '))
			n--;
		/* fetch_url joins repeated headers with ", " */
		old = val_dict_get(r->headers, key.buf);
		if (old != NULL)
			val_dict_set(a, r->headers, key.buf, val_new_strf(a,
			    "%s, %.*s", old->u.str.s, (int)n, v));
		else
			val_dict_set(a, r->headers, key.buf,
			    val_new_strn(a, v, n));
		sb_release(&key);
	}
}

int
xfer_http_parse(struct task_ctx *ctx, const struct strbuf *out, size_t *pos,
    struct xfer_resp *r)
{
	struct arena *a = ctx->a;
	const char *line, *e, *h;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	while (*pos < out->len && out->buf[*pos] != 'X') {
		const char *nl = memchr(out->buf + *pos, '\n',
		    out->len - *pos);

		*pos = nl != NULL ? (size_t)(nl - out->buf) + 1 : out->len;
	}
	line = next_line(a, out, pos);
	if (line == NULL || line[0] != 'X')
		return -1;
	r->curl_rc = atoi(line + 2);
	line = next_line(a, out, pos);
	if (line == NULL || line[0] != 'W')
		return -1;
	if (strchr(line + 2, ' ') != NULL)
		r->url = strchr(line + 2, ' ') + 1;
	line = next_line(a, out, pos);
	if (line == NULL || line[0] != 'T')
		return -1;
	r->tmp = line + 2;
	e = section(a, out, pos, 'E', &n);
	h = e != NULL ? section(a, out, pos, 'H', &n) : NULL;
	if (h == NULL)
		return -1;
	if (*e != '\0') {
		/* "curl: (7) Failed to connect ..." */
		if (strncmp(e, "curl: (", 7) == 0 && strstr(e, ") ") != NULL)
			e = strstr(e, ") ") + 2;
		n = strlen(e);
		while (n > 0 && e[n - 1] == '\n')
			n--;
		r->error = arena_strndup(a, e, n);
	}
	parse_headers(ctx, h, r);
	if (r->status <= 0)
		r->status = -1;
	line = next_line(a, out, pos);
	if (line != NULL && line[0] == 'S' && strlen(line) >= 42)
		r->sha1 = line + 2;
	if (*pos < out->len && out->buf[*pos] == 'B')
		r->body = section(a, out, pos, 'B', &r->body_len);
	return 0;
}

const char *
xfer_http_msg(struct task_ctx *ctx, const struct xfer_resp *r)
{
	struct arena *a = ctx->a;
	const struct value *cl;

	if (r->status < 0) {
		const char *why;

		switch (r->curl_rc) {
		case 6:
			why = "[Errno -2] Name or service not known";
			break;
		case 7:
			why = "[Errno 111] Connection refused";
			break;
		case 28:
			why = "timed out";
			break;
		default:
			why = r->error != NULL ? r->error : "unknown error";
		}
		return arena_printf(a, "Request failed: <urlopen error %s>",
		    why);
	}
	if (r->status >= 200 && r->status < 300) {
		cl = val_dict_get(r->headers, "content-length");
		return arena_printf(a, "OK (%s bytes)", cl != NULL ?
		    cl->u.str.s : "unknown");
	}
	return arena_printf(a, "HTTP Error %d: %s", r->status,
	    r->reason != NULL ? r->reason : "");
}

void
xfer_dest_sh(struct strbuf *cmd, const char *dest)
{
	sb_adds(cmd, "D=");
	xfer_path(cmd, dest);
	sb_adds(cmd, "; if [ -d \"$D\" ]; then echo 'K dir'; TD=$D; else "
	    "TD=$(dirname -- \"$D\"); fi; [ -d \"$TD\" ] || TD=/tmp; ");
}

const char *
xfer_join(struct arena *a, const char *dir, const char *name)
{
	size_t n = strlen(dir);

	return arena_printf(a, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ?
	    "" : "/", name);
}

void
xfer_commit_vars_sh(struct strbuf *cmd, const char *path, const char *tmp)
{
	sb_adds(cmd, "F=");
	xfer_path(cmd, path);
	sb_adds(cmd, "; t=");
	sh_quote(cmd, tmp);
	sb_adds(cmd, "; ");
}

void
xfer_commit_sh(struct strbuf *cmd, bool backup, bool check)
{
	sb_adds(cmd, "if [ -e \"$F\" ]; then printf 'C %s\\n' \"$(sha1sum < "
	    "\"$F\" | cut -c1-40)\"; fi; if [ -e \"$F\" ] && cmp -s -- "
	    "\"$t\" \"$F\"; then rm -f -- \"$t\"; ");
	if (check) {
		sb_adds(cmd, "else rm -f -- \"$t\"; echo 'M would'; fi; ");
		return;
	}
	sb_adds(cmd, "else case \"$t\" in \"$(dirname -- \"$F\")\"/*) ;; *) "
	    "n=$(mktemp \"$(dirname -- \"$F\")/.muster-XXXXXXXX\") && "
	    "cat -- \"$t\" > \"$n\" && rm -f -- \"$t\" && t=$n;; esac; ");
	if (backup)
		sb_adds(cmd, "if [ -e \"$F\" ]; then b=\"$F.$$.$(date "
		    "+%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$F\" \"$b\" && "
		    "printf 'K %s\\n' \"$b\"; fi; ");
	sb_adds(cmd, "if [ -e \"$F\" ]; then chmod --reference=\"$F\" -- "
	    "\"$t\"; chown --reference=\"$F\" -- \"$t\" 2>/dev/null; "
	    "else chmod \"$(printf %o $((0666 & ~0$(umask))))\" -- \"$t\"; "
	    "fi; if mv -f -- \"$t\" \"$F\"; then echo 'M moved'; else rm -f -- "
	    "\"$t\"; echo 'Q move failed'; fi; fi; ");
}

int
xfer_attrs(struct task_ctx *ctx, const struct value *args, const char *path,
    bool *changed, struct result *res, struct err *err)
{
	static const char *const keys[] = { "mode", "owner", "group", NULL };
	struct value *fa = val_new_dict(ctx->a), *checked;
	struct result fr;
	size_t i;
	bool any = false;

	for (i = 0; keys[i] != NULL; i++)
		if (val_dict_get(args, keys[i]) != NULL) {
			val_dict_set(ctx->a, fa, keys[i],
			    val_dict_get(args, keys[i]));
			any = true;
		}
	if (!any)
		return 0;
	val_dict_set(ctx->a, fa, "path", val_new_str(ctx->a, path));
	checked = mod_check_args(ctx->a, &module_file, fa, err);
	if (checked == NULL) {
		res_fail(ctx, res, "%s", err->msg);
		return 0;
	}
	res_init(ctx, &fr);
	if (module_file.run(ctx, checked, &fr, err) < 0)
		return -1;
	if (fr.failed) {
		res_fail(ctx, res, "%s", fr.msg != NULL ? fr.msg : "failed to "
		    "set the file's attributes");
		return 0;
	}
	*changed = *changed || fr.changed;
	/* add_path_info() runs last: the file's state after the change */
	for (i = 0; i < 5; i++) {
		static const char *const info[] = { "mode", "owner", "group",
		    "uid", "gid" };
		struct value *v = val_dict_get(fr.v, info[i]);

		if (v != NULL)
			res_set(ctx, res, info[i], v);
	}
	return 0;
}
