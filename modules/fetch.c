/*
 * fetch: a file of the host copied to the controller, as Ansible's fetch
 * action: under DEST/HOSTNAME/PATH, or DEST itself with flat; changed when
 * the local copy changed; fail_on_missing and validate_checksum.  One
 * remote command reads the file and its SHA-1; the local copy is written
 * atomically (a temporary file beside it, then rename) keeping its mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "module.h"
#include "transfer.h"
#include "util.h"

static const struct arg_spec fetch_args[] = {
	{ .name = "src", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "dest", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "flat", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "fail_on_missing", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "validate_checksum", .type = ARG_BOOL, .dflt = "true" },
	{ .name = NULL },
};

/* os.path.normpath() of an absolute or relative path. */
static const char *
normpath(struct arena *a, const char *p)
{
	const char **parts = arena_alloc(a, sizeof(*parts) * (strlen(p) + 1));
	struct strbuf sb = STRBUF_INIT;
	char *copy = arena_strdup(a, p), *tok, *save = NULL;
	size_t n = 0, i;
	bool abs = p[0] == '/';
	const char *r;

	for (tok = strtok_r(copy, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0 && n > 0 &&
		    strcmp(parts[n - 1], "..") != 0) {
			n--;
			continue;
		}
		if (strcmp(tok, "..") == 0 && abs)
			continue;
		parts[n++] = tok;
	}
	if (abs)
		sb_addch(&sb, '/');
	for (i = 0; i < n; i++)
		sb_addf(&sb, "%s%s", i > 0 ? "/" : "", parts[i]);
	if (sb.len == 0)
		sb_addch(&sb, '.');
	r = arena_strndup(a, sb.buf, sb.len);
	sb_release(&sb);
	return r;
}

/* makedirs_safe(): mkdir -p with the umask's modes. */
static int
make_dirs(struct arena *a, const char *dir)
{
	char *d = arena_strdup(a, dir), *s;
	struct stat st;

	if (stat(d, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -1;
	s = strrchr(d, '/');
	if (s != NULL && s != d) {
		*s = '\0';
		if (make_dirs(a, d) < 0)
			return -1;
		*s = '/';
	}
	return mkdir(d, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/*
 * Write data to path atomically, keeping an existing file's mode; a new
 * file gets new_mode less the umask.
 */
static int
write_local(struct arena *a, const char *path, const char *data,
    size_t len, mode_t new_mode, const char **why)
{
	char *tmp = arena_printf(a, "%s.muster-XXXXXX", path);
	struct stat st;
	mode_t mode, mask;
	size_t done = 0;
	ssize_t w;
	int fd;

	mask = umask(0);
	umask(mask);
	mode = stat(path, &st) == 0 ? st.st_mode & 07777 : new_mode & ~mask;
	fd = mkstemp(tmp);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	while (done < len) {
		w = write(fd, data + done, len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		done += (size_t)w;
	}
	if (done < len || fchmod(fd, mode) < 0 || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		*why = strerror(errno);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* checksum(): the SHA-1 of a local regular file, or NULL. */
static const char *
local_sha1(struct arena *a, const char *path, const char **md5)
{
	struct stat st;
	char *buf;
	size_t len;
	const char *s;

	*md5 = NULL;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    read_file(path, &buf, &len) < 0)
		return NULL;
	s = xfer_digest(a, "sha1", buf, len);
	*md5 = xfer_digest(a, "md5", buf, len);
	free(buf);
	return s;
}

static int
fetch_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct arena *a = ctx->a;
	const char *dest = arg_str(args, "dest"), *source, *nl, *remote_sum;
	const char *local, *lmd5, *why = NULL, *body, *line;
	bool flat = arg_bool(args, "flat");
	bool must = arg_bool(args, "fail_on_missing");
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result cr;
	size_t blen, pos;
	struct stat st;
	bool becomes = ctx->become != NULL && ctx->become->enabled;
	mode_t new_mode = 0666;
	char kind;
	int rc;

	if (ctx->check_mode) {
		res->skipped = true;
		res_set_str(ctx, res, "msg", "check mode not (yet) supported "
		    "for this module");
		return 0;
	}
	/* P path, then D, N, R, or C sha1 and F and the bytes */
	sb_adds(&cmd, "p=");
	xfer_path(&cmd, arg_str(args, "src"));
	sb_adds(&cmd, "; printf 'P %s\\n' \"$p\"; if [ -d \"$p\" ]; then "
	    "echo D; elif ! [ -e \"$p\" ]; then echo N; elif ! [ -r \"$p\" ]; "
	    "then echo R; else printf 'C %s %s\\n' \"$(sha1sum < \"$p\" | "
	    "cut -c1-40)\" \"$(stat -L -c %a -- \"$p\")\"; echo F; "
	    "exec cat -- \"$p\"; fi");
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &cr, err);
	sb_release(&cmd);
	if (rc < 0)
		goto out;
	pos = 0;
	nl = memchr(cr.out.buf, '\n', cr.out.len);
	if (strncmp(cr.out.buf, "P ", 2) != 0 || nl == NULL ||
	    (size_t)(nl - cr.out.buf) + 2 > cr.out.len) {
		sb_rtrim(&cr.err);
		res_fail(ctx, res, "Failed to get information on remote file "
		    "(%s): %s", arg_str(args, "src"), cr.err.buf);
		goto out;
	}
	source = arena_strndup(a, cr.out.buf + 2, (size_t)(nl - cr.out.buf -
	    2));
	pos = (size_t)(nl - cr.out.buf) + 1;
	kind = cr.out.buf[pos];
	if (kind == 'D' && !becomes) {
		res_set_str(ctx, res, "msg", "remote file is a directory, "
		    "fetch cannot work on directories");
		if (must)
			res->failed = true;
		else
			res_set_str(ctx, res, "msg", "remote file is a "
			    "directory, fetch cannot work on directories, not "
			    "transferring, ignored");
		goto out;
	}
	if (kind == 'D' || kind == 'N' || kind == 'R') {
		/* slurp's failure, as the action reports it */
		const char *msg = kind == 'D' ? "remote file is a directory, "
		    "fetch cannot work on directories" : kind == 'N' ?
		    "the remote file does not exist, not transferring, "
		    "ignored" :
		    arena_printf(a, "file is not readable: %s", source);

		if (!must)
			res_set_str(ctx, res, "file", source);
		res_set_str(ctx, res, "msg", msg);
		res->failed = must;
		goto out;
	}
	line = kind == 'C' ? xfer_tagged(a, cr.out.buf + pos, 'C') : NULL;
	remote_sum = line != NULL ? arena_strndup(a, line, 40) : NULL;
	/* Ansible's sftp get creates the file with the remote mode */
	if (line != NULL && strlen(line) > 41 && !becomes)
		new_mode = (mode_t)strtoul(line + 41, NULL, 8) & 0777;
	if (line != NULL)
		pos += strlen(line) + 3;
	if (line == NULL || pos + 2 > cr.out.len || cr.out.buf[pos] != 'F' ||
	    cr.rc != 0) {
		sb_rtrim(&cr.err);
		res_fail(ctx, res, "Failed to fetch the file: %s", cr.err.buf);
		goto out;
	}
	body = cr.out.buf + pos + 2;
	blen = cr.out.len - pos - 2;

	if (flat) {
		const char *d = xfer_dwim(ctx, dest);
		size_t dl = strlen(dest);

		if (stat(d, &st) == 0 && S_ISDIR(st.st_mode) &&
		    dest[dl - 1] != '/') {
			res_fail(ctx, res, "dest is an existing directory, "
			    "use a trailing slash if you want to fetch src "
			    "into that directory");
			goto out;
		}
		if (dl > 0 && dest[dl - 1] == '/') {
			const char *b = strrchr(source, '/');

			dest = arena_printf(a, "%s%s", dest, b != NULL ?
			    b + 1 : source);
		}
		dest = xfer_dwim(ctx, dest);
	} else
		dest = arena_printf(a, "%s/%s/%s", xfer_dwim(ctx, dest),
		    ctx->host, source);
	dest = normpath(a, dest);
	local = local_sha1(a, dest, &lmd5);
	if (local != NULL && remote_sum != NULL &&
	    strcmp(local, remote_sum) == 0) {
		res_set_str(ctx, res, "md5sum", lmd5);
		res_set_str(ctx, res, "file", source);
		res_set_str(ctx, res, "dest", dest);
		res_set_str(ctx, res, "checksum", local);
		goto out;
	}
	if (make_dirs(a, dirname(arena_strdup(a, dest))) < 0 ||
	    write_local(a, dest, body, blen, new_mode, &why) < 0) {
		res_fail(ctx, res, "Failed to fetch the file: %s", why != NULL ?
		    why : strerror(errno));
		goto out;
	}
	local = xfer_digest(a, "sha1", body, blen);
	res_set_str(ctx, res, "md5sum", xfer_digest(a, "md5", body, blen));
	res_set(ctx, res, "remote_md5sum", &val_none);
	res_set_str(ctx, res, "checksum", local);
	res_set(ctx, res, "remote_checksum", remote_sum != NULL ?
	    val_new_str(a, remote_sum) : &val_none);
	if (arg_bool(args, "validate_checksum") && (remote_sum == NULL ||
	    strcmp(local, remote_sum) != 0)) {
		res_set_str(ctx, res, "file", source);
		res_set_str(ctx, res, "dest", dest);
		res_fail(ctx, res, "checksum mismatch");
		goto out;
	}
	res->changed = true;
	res_set_str(ctx, res, "dest", dest);
out:
	conn_result_release(&cr);
	return rc;
}

const struct module module_fetch = {
	.name = "fetch",
	.summary = "copy a file of the host to the controller",
	.args = fetch_args,
	.flags = MODULE_CHECK_MODE,
	.run = fetch_run,
};
