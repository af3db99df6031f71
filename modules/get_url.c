/*
 * get_url: download a URL to a file on the host, as Ansible's get_url
 * module: url, dest (a file or a directory), force, checksum
 * ("sha256:HEX" or "sha256:URL of a checksum file"), headers, timeout,
 * url_username/url_password, force_basic_auth, validate_certs, http_agent,
 * backup, tmp_dest, mode/owner/group.  The host downloads with curl: one
 * command decides (an existing dest whose checksum matches is left alone;
 * an existing one is asked for If-Modified-Since unless force) and
 * downloads beside dest, a second moves the download over dest atomically
 * when its contents differ, keeping owner and mode.  Check mode sends HEAD,
 * as Ansible does.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "shell.h"
#include "transfer.h"

static const char *const user_aliases[] = { "username", NULL };
static const char *const pass_aliases[] = { "password", NULL };

static const struct arg_spec get_url_args[] = {
	{ .name = "url", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "dest", .type = ARG_PATH, .flags = ARG_REQUIRED },
	{ .name = "backup", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "checksum", .type = ARG_STR, .dflt = "" },
	{ .name = "timeout", .type = ARG_INT, .dflt = "10" },
	{ .name = "headers", .type = ARG_DICT },
	{ .name = "tmp_dest", .type = ARG_PATH },
	{ .name = "url_username", .type = ARG_STR, .aliases = user_aliases },
	{ .name = "url_password", .type = ARG_STR, .flags = ARG_NO_LOG,
	  .aliases = pass_aliases },
	XFER_URL_ARGS,
	XFER_FILE_ARGS,
	{ .name = NULL },
};

/* hashlib names the host has a coreutils tool for. */
static const char *const algorithms[] = { "md5", "sha1", "sha224", "sha256",
	"sha384", "sha512", NULL };

/* fetch_url()'s failure: no response, or not the 200 asked for. */
static void
request_failed(struct task_ctx *ctx, struct result *res,
    const struct xfer_resp *r)
{
	if (r->status < 0) {
		res_fail(ctx, res, "%s", xfer_http_msg(ctx, r));
		return;
	}
	res_fail(ctx, res, "Request failed");
	res_set(ctx, res, "status_code", val_new_int(ctx->a, r->status));
	res_set_str(ctx, res, "response", xfer_http_msg(ctx, r));
}

/* url_filename(): the URL path's last part, or index.html. */
static const char *
url_filename(struct arena *a, const char *url)
{
	const char *p = strstr(url, "://"), *end, *slash;

	p = p != NULL ? p + 3 : url;
	p += strcspn(p, "/?#");
	end = p + strcspn(p, "?#");
	for (slash = end; slash > p && slash[-1] != '/'; slash--)
		;
	if (slash == end)
		return "index.html";
	return arena_strndup(a, slash, (size_t)(end - slash));
}

/* The checksum for url's file in a checksum file's text, or NULL. */
static const char *
checksum_from_file(struct arena *a, const char *text, const char *url)
{
	const char *file = url_filename(a, url), *p, *nl, *sp;
	size_t lines = 0, n;

	for (p = text; *p != '\0'; p = *nl ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		lines++;
	}
	n = strcspn(text, "\n");
	if (lines == 1 && strcspn(text, " \t") >= n)
		return arena_strndup(a, text, n);
	for (p = text; *p != '\0'; p = *nl ? nl + 1 : nl) {
		const char *name;
		size_t len;

		nl = p + strcspn(p, "\n");
		sp = memchr(p, ' ', (size_t)(nl - p));
		if (sp == NULL)
			continue;
		name = sp + 1;
		if (*name == ' ' || *name == '*')
			name++;
		while (*name == '.' || *name == '/')
			name++;
		len = (size_t)(nl - name);
		if (strlen(file) == len && strncmp(name, file, len) == 0)
			return arena_strndup(a, p, (size_t)(sp - p));
	}
	return NULL;
}

/* Download the checksum URL (a command of its own). */
static int
fetch_checksum(struct task_ctx *ctx, const struct value *args,
    const char *sum_url, const char *url, const char **sum,
    struct result *res, struct err *err)
{
	struct strbuf cmd = STRBUF_INIT, cfg = STRBUF_INIT;
	struct xfer_http rq;
	struct xfer_resp r;
	struct conn_result cr;
	size_t pos = 0;
	int rc;

	xfer_http_init(&rq, args, sum_url, "GET");
	rq.follow = true;
	xfer_http_sh(&cmd, &cfg, &rq, NULL, true);
	sb_adds(&cmd, "rm -f \"$t\"");
	rc = xfer_http_run(ctx, &cmd, &cfg, &cr, err);
	*sum = NULL;
	if (rc == 0 && xfer_http_parse(ctx, &cr.out, &pos, &r) < 0)
		res_fail(ctx, res, "failed to download %s", sum_url);
	else if (rc == 0 && r.status != 200)
		request_failed(ctx, res, &r);
	else if (rc == 0) {
		*sum = checksum_from_file(ctx->a, r.body != NULL ? r.body : "",
		    url);
		if (*sum == NULL)
			res_fail(ctx, res, "Unable to find a checksum for file "
			    "'%s' in '%s'", url_filename(ctx->a, url), sum_url);
	}
	conn_result_release(&cr);
	return rc;
}

/* extract_filename_from_headers(): attachment; filename="x". */
static const char *
disposition_name(struct arena *a, const struct value *headers)
{
	const struct value *cd = val_dict_get(headers, "content-disposition");
	const char *p, *slash;
	size_t n;

	if (cd == NULL || strncmp(cd->u.str.s, "attachment;", 11) != 0)
		return NULL;
	p = cd->u.str.s + 11;
	if (*p == ' ')
		p++;
	if (strncmp(p, "filename=", 9) != 0)
		return NULL;
	p += 9;
	if (*p == '"')
		p++;
	n = strcspn(p, "\"");
	if (n == 0)
		return NULL;
	p = arena_strndup(a, p, n);
	slash = strrchr(p, '/');
	return slash != NULL ? slash + 1 : p;
}

static void
base_result(struct task_ctx *ctx, struct result *res, const char *url,
    const char *dest)
{
	res_set(ctx, res, "checksum_dest", &val_none);
	res_set(ctx, res, "checksum_src", &val_none);
	res_set_str(ctx, res, "dest", dest);
	res_set(ctx, res, "elapsed", val_new_int(ctx->a, 0));
	res_set_str(ctx, res, "url", url);
}

static int
get_url_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	struct arena *a = ctx->a;
	const char *url = arg_str(args, "url"), *dest = arg_str(args, "dest");
	const char *checksum = arg_str(args, "checksum"), *algo = NULL;
	const char *tmp_dest = arg_str(args, "tmp_dest"), *line, *final;
	bool force = arg_bool(args, "force"), changed = false;
	struct strbuf cmd = STRBUF_INIT, cfg = STRBUF_INIT;
	struct xfer_http rq;
	struct xfer_resp r;
	struct conn_result cr;
	size_t pos = 0, i;
	long long elapsed;
	int rc;

	base_result(ctx, res, url, dest);
	if (*checksum != '\0') {
		const char *colon = strchr(checksum, ':');
		struct strbuf hex = STRBUF_INIT;
		const char *p;

		if (colon == NULL)
			return res_fail(ctx, res, "The checksum parameter has "
			    "to be in format <algorithm>:<checksum>");
		algo = arena_strndup(a, checksum, (size_t)(colon - checksum));
		checksum = colon + 1;
		for (i = 0; algorithms[i] != NULL; i++)
			if (strcmp(algorithms[i], algo) == 0)
				break;
		if (algorithms[i] == NULL)
			return res_fail(ctx, res, "Could not hash file '%s' "
			    "with algorithm '%s'. Available algorithms: md5, "
			    "sha1, sha224, sha256, sha384, sha512", dest,
			    algo);
		if (strncmp(checksum, "http://", 7) == 0 ||
		    strncmp(checksum, "https://", 8) == 0 ||
		    strncmp(checksum, "ftp://", 6) == 0 ||
		    strncmp(checksum, "file://", 7) == 0) {
			rc = fetch_checksum(ctx, args, checksum, url,
			    &checksum, res, err);
			if (rc < 0 || res->failed)
				return rc;
		}
		/* re.sub(r'\W+', '', checksum).lower(), then int(x, 16) */
		for (p = checksum; *p != '\0'; p++)
			if (isalnum((unsigned char)*p) || *p == '_')
				sb_addch(&hex, tolower((unsigned char)*p));
		checksum = arena_strndup(a, hex.buf, hex.len);
		sb_release(&hex);
		if (*checksum == '\0' || strspn(checksum, "0123456789abcdef") !=
		    strlen(checksum))
			return res_fail(ctx, res, "The checksum format is "
			    "invalid");
	}

	/* the first command: decide, then download beside dest */
	xfer_dest_sh(&cmd, dest);
	if (tmp_dest != NULL) {
		sb_adds(&cmd, "TD=");
		xfer_path(&cmd, tmp_dest);
		sb_adds(&cmd, "; if ! [ -d \"$TD\" ]; then if [ -e \"$TD\" ]; "
		    "then echo 'Q file'; else echo 'Q none'; fi; exit 0; "
		    "fi; ");
	}
	if (algo != NULL) {
		sb_addf(&cmd, "if [ -f \"$D\" ] && [ \"$(%ssum < \"$D\" | "
		    "cut -d' ' -f1)\" = '%s' ]; then ", algo, checksum);
		if (!force) {
			sb_adds(&cmd, "echo SKIP; ");
			xfer_path_info_sh(&cmd, "D");
			sb_adds(&cmd, "exit 0; ");
		} else
			sb_adds(&cmd, ":; ");
		/* a mismatch forces the download */
		sb_adds(&cmd, "else Z=1; fi; ");
	}
	xfer_http_init(&rq, args, url, ctx->check_mode ? "HEAD" : "GET");
	rq.follow = true;
	rq.no_cache = force;
	if (!force) {
		/* If-Modified-Since, unless the checksum forced it */
		sb_adds(&cmd, "M=; [ -z \"$Z\" ] && ! [ -d \"$D\" ] && M=$D; ");
		rq.if_modified = "M";
	}
	xfer_http_sh(&cmd, &cfg, &rq, "\"$TD\"", false);
	/* only a 200 is kept for the second command */
	sb_adds(&cmd, "case \"$w\" in 200\\ *) ;; *) rm -f -- \"$t\";; "
	    "esac; ");
	if (algo != NULL)
		sb_addf(&cmd, "printf 'Z %%s\\n' \"$(%ssum < \"$t\" | "
		    "cut -d' ' -f1)\"; ", algo);
	xfer_path_info_sh(&cmd, "D");
	sb_adds(&cmd, "exit 0");
	rc = xfer_http_run(ctx, &cmd, &cfg, &cr, err);
	if (rc < 0)
		goto out;
	if (strncmp(cr.out.buf, "SKIP\n", 5) == 0 ||
	    strstr(cr.out.buf, "\nSKIP\n") != NULL) {
		xfer_path_info(ctx, res, cr.out.buf);
		rc = xfer_attrs(ctx, args, dest, &changed, res, err);
		res->changed = changed;
		if (!res->failed)
			res_set_str(ctx, res, "msg", changed ? "file already "
			    "exists but file attributes changed" : "file "
			    "already exists");
		goto out;
	}
	line = xfer_tagged(a, cr.out.buf, 'Q');
	if (line != NULL) {
		/* fail_json(msg, elapsed) alone */
		res_init(ctx, res);
		res_set(ctx, res, "elapsed", val_new_int(a, 0));
		res_fail(ctx, res, strcmp(line, "file") == 0 ? "%s is a file "
		    "but should be a directory." : "%s directory does not "
		    "exist.", tmp_dest);
		goto out;
	}
	pos = 0;
	if (xfer_http_parse(ctx, &cr.out, &pos, &r) < 0) {
		sb_rtrim(&cr.err);
		res_fail(ctx, res, "failed to download: %s", cr.err.buf);
		goto out;
	}
	elapsed = (long long)(cr.end - cr.start);
	res_set(ctx, res, "elapsed", val_new_int(a, elapsed));
	if (r.status == 304) {
		/* exit_json(url, dest, changed, msg, status_code, elapsed) */
		res_init(ctx, res);
		res_set_str(ctx, res, "url", url);
		res_set_str(ctx, res, "dest", dest);
		res_set_str(ctx, res, "msg", xfer_http_msg(ctx, &r));
		res_set(ctx, res, "status_code", val_new_int(a, 304));
		res_set(ctx, res, "elapsed", val_new_int(a, elapsed));
		xfer_path_info(ctx, res, cr.out.buf);
		goto out;
	}
	if (r.status != 200) {
		res_init(ctx, res);
		request_failed(ctx, res, &r);
		res_set_str(ctx, res, "url", url);
		res_set_str(ctx, res, "dest", dest);
		res_set(ctx, res, "elapsed", val_new_int(a, elapsed));
		goto out;
	}
	final = dest;
	if (xfer_tagged(a, cr.out.buf, 'K') != NULL) {
		const char *name = disposition_name(a, r.headers);

		if (name == NULL)
			name = url_filename(a, r.url != NULL ? r.url : url);
		final = xfer_join(a, dest, name);
		res_set_str(ctx, res, "dest", final);
	}
	res_set_str(ctx, res, "src", r.tmp);
	res_set(ctx, res, "checksum_src", r.sha1 != NULL ?
	    val_new_str(a, r.sha1) : &val_none);

	/* the second command: move it over dest when it differs */
	conn_result_release(&cr);
	conn_result_init(&cr);
	xfer_commit_vars_sh(&cmd, final, r.tmp);
	sb_adds(&cmd, "if ! [ -e \"$F\" ] && ! [ -d \"$(dirname -- "
	    "\"$F\")\" ]; then rm -f -- \"$t\"; echo 'Q nodir'; exit 0; fi; ");
	xfer_commit_sh(&cmd, arg_bool(args, "backup"), ctx->check_mode);
	if (algo != NULL && !ctx->check_mode) {
		sb_addf(&cmd, "if [ \"$(%ssum < \"$F\" | cut -d' ' -f1)\" != "
		    "'%s' ]; then printf 'V %%s\\n' \"$(%ssum < \"$F\" | "
		    "cut -d' ' -f1)\"; rm -f -- \"$F\"; fi; ", algo, checksum,
		    algo);
	}
	sb_adds(&cmd, "[ -e \"$F\" ] && printf '5 %s\\n' \"$(md5sum < \"$F\" | "
	    "cut -c1-32)\"; D=$F; ");
	xfer_path_info_sh(&cmd, "D");
	sb_adds(&cmd, "exit 0");
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &cr, err);
	sb_release(&cmd);
	if (rc < 0)
		goto out;
	if (xfer_tagged(a, cr.out.buf, 'Q') != NULL) {
		res_fail(ctx, res, "Destination %s does not exist",
		    strrchr(final, '/') != NULL ? arena_strndup(a, final,
		    (size_t)(strrchr(final, '/') - final)) : ".");
		goto out;
	}
	line = xfer_tagged(a, cr.out.buf, 'C');
	if (line != NULL)
		res_set_str(ctx, res, "checksum_dest", line);
	changed = xfer_tagged(a, cr.out.buf, 'M') != NULL;
	if (ctx->check_mode) {
		res->changed = changed;
		res_set_str(ctx, res, "msg", xfer_http_msg(ctx, &r));
		xfer_path_info(ctx, res, cr.out.buf);
		goto out;
	}
	line = xfer_tagged(a, cr.out.buf, 'V');
	if (line != NULL) {
		res->changed = changed;
		res_fail(ctx, res, "The checksum for %s did not match %s; it "
		    "was %s.", final, checksum, line);
		goto out;
	}

	line = xfer_tagged(a, cr.out.buf, '5');
	res_set(ctx, res, "md5sum", line != NULL ? val_new_str(a, line) :
	    &val_none);
	line = xfer_tagged(a, cr.out.buf, 'K');
	if (line != NULL)
		res_set_str(ctx, res, "backup_file", line);
	res_set_str(ctx, res, "msg", xfer_http_msg(ctx, &r));
	res_set(ctx, res, "status_code", val_new_int(a, r.status));
	xfer_path_info(ctx, res, cr.out.buf);
	rc = xfer_attrs(ctx, args, final, &changed, res, err);
	res->changed = changed;
out:
	conn_result_release(&cr);
	return rc;
}

const struct module module_get_url = {
	.name = "get_url",
	.summary = "download a URL to a file on the host",
	.args = get_url_args,
	.flags = MODULE_CHECK_MODE,
	.run = get_url_run,
};
