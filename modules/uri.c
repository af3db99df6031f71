/*
 * uri: an HTTP request made from the host, as Ansible's uri module: url,
 * method, body with body_format json/form-urlencoded/raw, headers,
 * status_code (a list), return_content, dest, creates, removes, timeout,
 * validate_certs, url_username/url_password, force_basic_auth,
 * follow_redirects, mode/owner/group.  One remote command (curl) makes
 * the request after the creates/removes tests; with dest, a second one
 * moves the body over it atomically.  The result has status, url,
 * redirected, msg "OK (N bytes)", the response headers lower-cased with
 * dashes as underscores, content (return_content) and json.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "module.h"
#include "shell.h"
#include "transfer.h"

static const char *const user_aliases[] = { "user", NULL };
static const char *const pass_aliases[] = { "password", NULL };
static const char *const format_choices[] = { "form-urlencoded", "json",
	"raw", NULL };
static const char *const follow_choices[] = { "all", "no", "none", "safe",
	"urllib2", "yes", NULL };

static const struct arg_spec uri_args[] = {
	{ .name = "url", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "dest", .type = ARG_PATH },
	{ .name = "url_username", .type = ARG_STR, .aliases = user_aliases },
	{ .name = "url_password", .type = ARG_STR, .flags = ARG_NO_LOG,
	  .aliases = pass_aliases },
	{ .name = "body", .type = ARG_RAW },
	{ .name = "body_format", .type = ARG_STR, .dflt = "raw",
	  .choices = format_choices },
	{ .name = "method", .type = ARG_STR, .dflt = "GET" },
	{ .name = "return_content", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "follow_redirects", .type = ARG_STR, .dflt = "safe",
	  .choices = follow_choices },
	{ .name = "creates", .type = ARG_PATH },
	{ .name = "removes", .type = ARG_PATH },
	{ .name = "status_code", .type = ARG_LIST, .elem = ARG_INT,
	  .dflt = "200" },
	{ .name = "timeout", .type = ARG_INT, .dflt = "30" },
	{ .name = "headers", .type = ARG_DICT },
	{ .name = "ca_path", .type = ARG_PATH },
	XFER_URL_ARGS,
	XFER_FILE_ARGS,
	{ .name = NULL },
};

/* urllib.parse.quote_plus() */
static void
quote_plus(struct strbuf *sb, const struct value *v)
{
	struct strbuf s = STRBUF_INIT;
	size_t i;

	val_str(&s, v);
	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.buf[i];

		if (isalnum(c) || strchr("_.-~", c) != NULL)
			sb_addch(sb, c);
		else if (c == ' ')
			sb_addch(sb, '+');
		else
			sb_addf(sb, "%%%02X", c);
	}
	sb_release(&s);
}

/* form_urlencoded(): a dict (or a list of pairs), values may be lists. */
static void
form_urlencode(struct strbuf *sb, const struct value *body)
{
	size_t i, j;

	for (i = 0; i < val_len(body); i++) {
		const struct value *k, *v;

		if (body->type == VAL_DICT) {
			k = body->u.dict->ent[i].key;
			v = body->u.dict->ent[i].val;
		} else {
			const struct value *pair = body->u.list->items[i];

			if (pair->type != VAL_LIST || val_len(pair) != 2)
				continue;
			k = pair->u.list->items[0];
			v = pair->u.list->items[1];
		}
		for (j = 0; j < (v->type == VAL_LIST ? val_len(v) : 1); j++) {
			const struct value *x = v->type == VAL_LIST ?
			    v->u.list->items[j] : v;

			if (x->type == VAL_NULL)
				continue;
			if (sb->len > 0)
				sb_addch(sb, '&');
			quote_plus(sb, k);
			sb_addch(sb, '=');
			quote_plus(sb, x);
		}
	}
}

static bool
has_header(const struct value *headers, const char *name)
{
	size_t i;

	for (i = 0; headers != NULL && i < val_len(headers); i++) {
		const struct value *k = headers->u.dict->ent[i].key;

		if (k->type == VAL_STR && strcasecmp(k->u.str.s, name) == 0)
			return true;
	}
	return false;
}

/* absolute_location() */
static const char *
absolute_location(struct arena *a, const char *url, const char *loc)
{
	const char *p, *slash;

	if (strstr(loc, "://") != NULL)
		return loc;
	if (loc[0] == '/') {
		p = strstr(url, "://");
		p = p != NULL ? p + 3 : url;
		return arena_printf(a, "%.*s%s", (int)(p - url + strcspn(p,
		    "/?#")), url, loc);
	}
	slash = strrchr(url, '/');
	return arena_printf(a, "%.*s/%s", slash != NULL ? (int)(slash - url) :
	    0, url, loc);
}

/* parse_content_type(): is it JSON (json, javascript, +json)? */
static bool
maybe_json(const struct value *headers)
{
	const struct value *ct = val_dict_get(headers, "content-type");
	const char *slash, *sub, *plus;
	size_t n;

	if (ct == NULL || (slash = strchr(ct->u.str.s, '/')) == NULL)
		return false;
	sub = slash + 1;
	n = strcspn(sub, ";, ");
	plus = memchr(sub, '+', n);
	if (plus != NULL) {
		n -= (size_t)(plus + 1 - sub);
		sub = plus + 1;
	}
	return (n == 4 && strncasecmp(sub, "json", 4) == 0) ||
	    (n == 10 && strncasecmp(sub, "javascript", 10) == 0);
}

/* The response filename of get_response_filename(), or index.html. */
static const char *
response_filename(struct arena *a, const struct xfer_resp *r)
{
	const struct value *cd = val_dict_get(r->headers,
	    "content-disposition");
	const char *p, *end, *s;

	if (cd != NULL && (p = strstr(cd->u.str.s, "filename=")) != NULL) {
		p += 9;
		if (*p == '"')
			p++;
		return arena_strndup(a, p, strcspn(p, "\";"));
	}
	p = r->url != NULL ? strstr(r->url, "://") : NULL;
	if (p == NULL)
		return "index.html";
	p += 3;
	p += strcspn(p, "/?#");
	end = p + strcspn(p, "?#");
	while (end > p && end[-1] == '/')
		end--;
	for (s = end; s > p && s[-1] != '/'; s--)
		;
	return s < end ? arena_strndup(a, s, (size_t)(end - s)) :
	    "index.html";
}

/* status_code as ints ("200,201" from k=v text comes as strings). */
static struct value *
status_codes(struct arena *a, const struct value *codes)
{
	struct value *l = val_new_list(a), *c;
	size_t i;

	for (i = 0; i < val_len(codes); i++) {
		c = codes->u.list->items[i];
		if (c->type == VAL_STR)
			c = val_new_int(a, strtoll(c->u.str.s, NULL, 10));
		val_list_push(a, l, c);
	}
	return l;
}

static bool
status_ok(const struct value *codes, int status)
{
	size_t i;

	for (i = 0; i < val_len(codes); i++)
		if (codes->u.list->items[i]->type == VAL_INT &&
		    codes->u.list->items[i]->u.i == status)
			return true;
	return false;
}

/* The headers as result keys: lower-cased, '-' as '_'; cookies. */
static void
header_keys(struct task_ctx *ctx, struct result *res, const char *url,
    const struct xfer_resp *r)
{
	struct arena *a = ctx->a;
	struct value *cookies = val_new_dict(a);
	struct strbuf cs = STRBUF_INIT;
	size_t i;

	for (i = 0; i < val_len(r->headers); i++) {
		const struct val_entry *e = &r->headers->u.dict->ent[i];
		char *k = arena_strdup(a, e->key->u.str.s), *p;
		const char *v = e->val->u.str.s;

		for (p = k; *p != '\0'; p++)
			if (*p == '-')
				*p = '_';
		if (strcmp(k, "location") == 0)
			v = absolute_location(a, url, v);
		res_set_str(ctx, res, k, v);
		if (strcmp(k, "set_cookie") == 0) {
			size_t n = strcspn(v, "="), m;

			m = v[n] == '=' ? strcspn(v + n + 1, ";") : 0;
			val_dict_set(a, cookies, arena_strndup(a, v, n),
			    val_new_strn(a, v + n + 1, m));
			sb_addf(&cs, "%s%.*s", cs.len > 0 ? "; " : "",
			    (int)(n + 1 + m), v);
		}
	}
	/* fetch_url() sets them for a success only */
	if (r->status >= 200 && r->status < 300) {
		res_set(ctx, res, "cookies", cookies);
		res_set(ctx, res, "cookies_string", val_new_strn(a, cs.buf,
		    cs.len));
	}
	sb_release(&cs);
}

/* The body and its Content-Type, as body_format asks. */
static const char *
make_body(struct task_ctx *ctx, const struct value *args,
    struct value **headers, size_t *len)
{
	const struct value *body = val_dict_get(args, "body");
	const char *fmt = arg_str(args, "body_format"), *ct = NULL;
	struct strbuf sb = STRBUF_INIT;
	const char *out;

	if (body == NULL)
		return NULL;
	if (strcmp(fmt, "json") == 0) {
		struct json_opts o = JSON_OPTS_PYTHON;

		if (body->type == VAL_STR)
			sb_add(&sb, body->u.str.s, body->u.str.len);
		else
			json_encode(&sb, body, &o);
		ct = "application/json";
	} else if (strcmp(fmt, "form-urlencoded") == 0) {
		if (body->type == VAL_DICT || body->type == VAL_LIST)
			form_urlencode(&sb, body);
		else
			val_str(&sb, body);
		ct = "application/x-www-form-urlencoded";
	} else
		val_str(&sb, body);
	if (ct != NULL && !has_header(*headers, "content-type")) {
		struct value *h = val_new_dict(ctx->a);
		size_t i;

		for (i = 0; *headers != NULL && i < val_len(*headers); i++)
			val_dict_setv(ctx->a, h, (*headers)->u.dict->ent[i].key,
			    (*headers)->u.dict->ent[i].val);
		val_dict_set(ctx->a, h, "Content-Type", val_new_str(ctx->a,
		    ct));
		*headers = h;
	}
	out = arena_strndup(ctx->a, sb.buf, sb.len);
	*len = sb.len;
	sb_release(&sb);
	return out;
}

static int
uri_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct arena *a = ctx->a;
	const char *url = arg_str(args, "url"), *dest = arg_str(args, "dest");
	const char *creates = arg_str(args, "creates");
	const char *removes = arg_str(args, "removes");
	const char *method = arg_str(args, "method"), *follow, *p, *msg;
	const struct value *codes = status_codes(ctx->a, val_dict_get(args,
	    "status_code"));
	struct value *headers = val_dict_get(args, "headers");
	struct strbuf cmd = STRBUF_INIT, cfg = STRBUF_INIT;
	bool content = arg_bool(args, "return_content"), ok;
	struct xfer_http rq;
	struct xfer_resp r;
	struct conn_result cr;
	size_t pos = 0;
	int rc;

	if (ctx->check_mode) {
		res->skipped = true;
		res_set_str(ctx, res, "msg", "remote module (uri) does not "
		    "support check mode");
		return 0;
	}
	for (p = method; *p != '\0'; p++)
		if (!isalpha((unsigned char)*p))
			break;
	if (*method == '\0' || *p != '\0')
		return res_fail(ctx, res, "Parameter 'method' needs to be a "
		    "single word in uppercase, like GET or POST.");
	method = arena_strdup(a, method);
	for (p = method; *p != '\0'; p++)
		*(char *)p = (char)toupper((unsigned char)*p);

	xfer_http_init(&rq, args, url, method);
	rq.body = make_body(ctx, args, &headers, &rq.body_len);
	rq.headers = headers;
	follow = arg_str(args, "follow_redirects");
	rq.follow = strcmp(follow, "all") == 0 || strcmp(follow, "yes") == 0 ||
	    strcmp(follow, "urllib2") == 0 || (strcmp(follow, "safe") == 0 &&
	    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0));

	if (creates != NULL) {
		sb_adds(&cmd, "if [ -e ");
		xfer_path(&cmd, creates);
		sb_adds(&cmd, " ]; then echo 'Y C'; exit 0; fi; ");
	}
	if (removes != NULL) {
		sb_adds(&cmd, "if ! [ -e ");
		xfer_path(&cmd, removes);
		sb_adds(&cmd, " ]; then echo 'Y R'; exit 0; fi; ");
	}
	if (dest != NULL) {
		xfer_dest_sh(&cmd, dest);
		sb_adds(&cmd, "M=; [ -f \"$D\" ] && M=$D; ");
		rq.if_modified = "M";
	}
	xfer_http_sh(&cmd, &cfg, &rq, dest != NULL ? "\"$TD\"" : NULL, true);
	if (dest != NULL)
		xfer_path_info_sh(&cmd, "D");
	else
		sb_adds(&cmd, "rm -f -- \"$t\"; ");
	sb_adds(&cmd, "exit 0");
	rc = xfer_http_run(ctx, &cmd, &cfg, &cr, err);
	if (rc < 0)
		goto out;
	p = xfer_tagged(a, cr.out.buf, 'Y');
	if (p != NULL) {
		const char *why = p[0] == 'C' ? arena_printf(a, "skipped, "
		    "since '%s' exists", creates) : arena_printf(a, "skipped, "
		    "since '%s' does not exist", removes);
		struct value *lines = val_new_list(a);

		val_list_push(a, lines, val_new_str(a, why));
		res_set_str(ctx, res, "stdout", why);
		res_set(ctx, res, "stdout_lines", lines);
		goto out;
	}
	if (xfer_http_parse(ctx, &cr.out, &pos, &r) < 0) {
		sb_rtrim(&cr.err);
		res_fail(ctx, res, "request failed: %s", cr.err.buf);
		goto out;
	}
	msg = xfer_http_msg(ctx, &r);
	ok = status_ok(codes, r.status);
	res_set(ctx, res, "redirected", val_bool(r.url != NULL &&
	    strcmp(r.url, url) != 0));
	res_set_str(ctx, res, "url", r.url != NULL ? r.url : url);
	res_set(ctx, res, "status", val_new_int(a, r.status));
	header_keys(ctx, res, url, &r);
	res_set(ctx, res, "elapsed", val_new_int(a, (int64_t)(cr.end -
	    cr.start)));
	if (dest != NULL && ok && r.status != 304) {
		const char *final = dest;

		if (xfer_tagged(a, cr.out.buf, 'K') != NULL)
			final = xfer_join(a, dest, response_filename(a, &r));
		conn_result_release(&cr);
		conn_result_init(&cr);
		xfer_commit_vars_sh(&cmd, final, r.tmp);
		xfer_commit_sh(&cmd, false, false);
		sb_adds(&cmd, "D=$F; ");
		xfer_path_info_sh(&cmd, "D");
		rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &cr,
		    err);
		sb_release(&cmd);
		if (rc < 0)
			goto out;
		/* write_file() always reports a change */
		res->changed = true;
		res_set_str(ctx, res, "path", final);
		xfer_path_info(ctx, res, cr.out.buf);
		rc = xfer_attrs(ctx, args, final, &res->changed, res, err);
		if (rc < 0 || res->failed)
			goto out;
	} else if (dest != NULL) {
		res_set_str(ctx, res, "path", dest);
		xfer_path_info(ctx, res, cr.out.buf);
		if (r.tmp != NULL) {
			struct conn_result rm;

			conn_result_init(&rm);
			sb_adds(&cmd, "rm -f -- ");
			sh_quote(&cmd, r.tmp);
			rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0,
			    &rm, err);
			sb_release(&cmd);
			conn_result_release(&rm);
			if (rc < 0)
				goto out;
		}
	}
	/* an HTTPError's body stays in info when nothing read it */
	if (r.status >= 300 && ok && !content && !maybe_json(r.headers))
		res_set(ctx, res, "body", val_new_strn(a, r.body != NULL ?
		    r.body : "", r.body_len));
	if (r.body != NULL && maybe_json(r.headers)) {
		struct err jerr;
		struct value *js = json_parse(a, "content", r.body, r.body_len,
		    &jerr);

		if (js != NULL)
			res_set(ctx, res, "json", js);
	}
	if (content)
		res_set(ctx, res, "content", val_new_strn(a, r.body != NULL ?
		    r.body : "", r.body_len));
	if (!ok) {
		struct strbuf list = STRBUF_INIT;

		val_repr(&list, codes);
		res_fail(ctx, res, "Status code was %d and not %s: %s",
		    r.status, list.buf, msg);
		sb_release(&list);
	} else
		res_set_str(ctx, res, "msg", msg);
out:
	conn_result_release(&cr);
	return rc;
}

const struct module module_uri = {
	.name = "uri",
	.summary = "make an HTTP request from the host",
	.args = uri_args,
	.flags = MODULE_CHECK_MODE,
	.run = uri_run,
};
