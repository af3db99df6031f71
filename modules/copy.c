/*
 * copy: put a controller file, a controller directory tree or literal
 * content on the host, as Ansible 2.14's copy action plugin and copy module
 * do together: src (looked up in the playbook's files/ then beside it; a
 * trailing slash copies a directory's contents, none copies the directory),
 * content, dest (a file, or a directory the file goes into), mode, owner,
 * group, backup, force, validate, follow, remote_src, directory_mode and
 * checksum.
 *
 * Each file is compared by SHA-1 with the host's copy, then written
 * atomically: a temporary file beside dest, validated, renamed over it; an
 * existing file keeps its owner and mode unless they are given.  Check mode
 * decides and stops there; diff mode adds Ansible's before/after.  template
 * (template.c) renders its source and hands the text over as content with
 * _original_basename, as Ansible's template action hands it to copy's.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "filecache.h"
#include "json.h"
#include "module.h"
#include "shell.h"
#include "template/template.h"
#include "transfer.h"
#include "util.h"

/* Ansible's MAX_FILE_SIZE_FOR_DIFF. */
#define DIFF_MAX 104448

static const struct arg_spec copy_args[] = {
	{ .name = "src", .type = ARG_PATH },
	{ .name = "content", .type = ARG_RAW, .flags = ARG_NO_LOG },
	{ .name = "dest", .type = ARG_PATH, .flags = ARG_REQUIRED },
	{ .name = "backup", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "force", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "follow", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "local_follow", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "remote_src", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "validate", .type = ARG_STR },
	{ .name = "checksum", .type = ARG_STR },
	{ .name = "decrypt", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "directory_mode", .type = ARG_MODE },
	XFER_FILE_ARGS,
	/* Set by template: the name a file gets inside a directory dest. */
	{ .name = "_original_basename", .type = ARG_STR },
	{ .name = NULL },
};

/* One task's settings, shared by every file it copies. */
struct copy_op {
	struct task_ctx		*ctx;
	const struct value	*mode;		/* or NULL */
	const struct value	*dirmode;	/* directory_mode, or NULL */
	const char		*owner, *group;
	const char		*validate, *checksum;
	bool			 force, backup;
	bool			 preserve;	/* mode: preserve */
	bool			 content;	/* content, no file name */
	const char		*header;	/* diff's after_header */
	struct value		*extra;		/* more keys for a failure */
	const struct cfile	*src;		/* the last controller file */
};

/* A remote path as probe() found it. */
struct rstat {
	bool		 exists, isdir, isreg, islnk;
	bool		 parent, writable;	/* its directory: exists, w */
	unsigned	 mode, umask;
	unsigned long	 uid, gid, nlink;
	long long	 size;
	const char	*owner, *group;		/* names, or numbers */
	const char	*sum, *md5;		/* hex digests, or NULL */
	const char	*link;			/* target (-f if followed) */
	long		 want_uid, want_gid;	/* -1: none, -2: unknown */
};

enum probe_flags {
	PROBE_FOLLOW = 1 << 0,	/* stat what a link points to */
	PROBE_SUM = 1 << 1,	/* sha1 of a regular file */
	PROBE_MD5 = 1 << 2,	/* md5 too */
};

/* What to write and how (put_file). */
struct put {
	const char	*dest;
	const char	*from;		/* a file on the host, or NULL: data */
	const char	*data;
	size_t		 len;
	bool		 keep;		/* take dest's owner and mode */
	unsigned	 dflt;		/* mode of a new file */
	long		 uid, gid;	/* -1: leave */
	long		 mode;		/* -1: leave */
	const char	*tmp;		/* out: the temporary file */
	const char	*backup_file;	/* out: or NULL */
};

/* A list of (from, to) pairs: files, directories and links to copy. */
struct pairs {
	const char	**from, **to;
	size_t		 n, alloc;
};

struct tree {
	struct pairs	 files, dirs, links;
};

/* The directories a walk is in, to see a link loop back. */
struct devino {
	dev_t			 dev;
	ino_t			 ino;
	const struct devino	*up;
};

static const char stat_fmt[] = "'S %f %u %g %s %h %U %G'";

/* ---- paths, as Python's os.path does them ---- */

static bool
ends_slash(const char *p)
{
	size_t n = strlen(p);

	return n > 0 && p[n - 1] == '/';
}

static const char *
path_join(struct arena *a, const char *dir, const char *name)
{
	if (name[0] == '/' || dir[0] == '\0')
		return arena_strdup(a, name);
	if (ends_slash(dir))
		return arena_printf(a, "%s%s", dir, name);
	return arena_printf(a, "%s/%s", dir, name);
}

static const char *
path_dirname(struct arena *a, const char *p)
{
	const char *slash = strrchr(p, '/');
	size_t n;

	if (slash == NULL)
		return "";
	n = (size_t)(slash - p) + 1;
	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n == 1 && p[0] == '/')
		return "/";
	return arena_strndup(a, p, n - (p[n - 1] == '/'));
}

static const char *
path_basename(const char *p)
{
	const char *slash = strrchr(p, '/');

	return slash != NULL ? slash + 1 : p;
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void
digest(const EVP_MD *md, const void *data, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned n = 0, i;

	if (EVP_Digest(data, len, buf, &n, md, NULL) != 1)
		n = 0;
	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[buf[i] >> 4];
		hex[2 * i + 1] = digits[buf[i] & 15];
	}
	hex[2 * n] = '\0';
}

/* digest() of data, from the file cache when data is the file read. */
static void
data_digest(const struct copy_op *op, const EVP_MD *md, const char *data,
    size_t len, char *hex)
{
	if (op->src != NULL && data == op->src->data && len == op->src->len) {
		strcpy(hex, md == EVP_md5() ? op->src->md5 : op->src->sha1);
		return;
	}
	digest(md, data, len, hex);
}

static int
fail_msg(struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail_msg(struct err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

static void
extra_set(struct copy_op *op, const char *key, struct value *v)
{
	if (op->extra == NULL)
		op->extra = val_new_dict(op->ctx->a);
	val_dict_set(op->ctx->a, op->extra, key, v);
}

/* ---- the host ---- */

/* Run cmd on the host; 0 with r filled even when the command failed. */
static int
rexec(struct copy_op *op, const char *cmd, const void *in, size_t inlen,
    struct conn_result *r, struct err *err)
{
	return conn_exec(op->ctx->conn, cmd, op->ctx->become, in, inlen, r,
	    err);
}

/* A command that failed: its stderr as the message. */
static int
cmd_failed(struct conn_result *r, const char *what, const char *path,
    struct err *err)
{
	sb_rtrim(&r->err);
	return fail_msg(err, "%s %s: %s", what, path, r->err.len > 0 ?
	    r->err.buf : "failed");
}

/* Ansible's _remote_expand_user: ~ and ~user at the head of a path. */
static int
expand_user(struct copy_op *op, const char **path, struct err *err)
{
	const char *p = *path, *slash, *s;
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	int rc;

	if (p[0] != '~')
		return 0;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	for (s = p + 1; s < slash; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	/* The name is safe: an unquoted ~name is expanded by the shell. */
	sb_adds(&cmd, "printf '%s\\n' ");
	sb_add(&cmd, p, (size_t)(slash - p));
	conn_result_init(&r);
	rc = rexec(op, cmd.buf, NULL, 0, &r, err);
	sb_release(&cmd);
	if (rc == 0 && r.rc == 0) {
		sb_rtrim(&r.out);
		if (r.out.len > 0 && r.out.buf[0] != '~')
			*path = arena_printf(op->ctx->a, "%s%s", r.out.buf,
			    slash);
	}
	conn_result_release(&r);
	return rc;
}

static void
add_lookups(struct copy_op *op, struct strbuf *cmd)
{
	if (op->owner != NULL && !all_digits(op->owner)) {
		sb_adds(cmd, "u=$(id -u -- ");
		sh_quote(cmd, op->owner);
		sb_adds(cmd, " 2>/dev/null) && echo \"U $u\"; ");
	}
	if (op->group != NULL && !all_digits(op->group)) {
		sb_adds(cmd, "g=$(getent group -- ");
		sh_quote(cmd, op->group);
		sb_adds(cmd, " 2>/dev/null | cut -d: -f3); [ -n \"$g\" ] && "
		    "echo \"G $g\"; ");
	}
	sb_adds(cmd, "echo \"K $(umask)\"; exit 0");
}

static void
parse_stat_line(struct arena *a, const char *line, struct rstat *st)
{
	unsigned long raw = 0;
	char user[64] = "", group[64] = "";

	if (sscanf(line, "%lx %lu %lu %lld %lu %63s %63s", &raw, &st->uid,
	    &st->gid, &st->size, &st->nlink, user, group) < 5)
		return;
	st->exists = true;
	st->mode = (unsigned)(raw & 07777);
	st->isdir = (raw & 0170000) == 0040000;
	st->isreg = (raw & 0170000) == 0100000;
	if ((raw & 0170000) == 0120000)
		st->islnk = true;
	st->owner = strcmp(user, "UNKNOWN") == 0 || user[0] == '\0' ?
	    arena_printf(a, "%lu", st->uid) : arena_strdup(a, user);
	st->group = strcmp(group, "UNKNOWN") == 0 || group[0] == '\0' ?
	    arena_printf(a, "%lu", st->gid) : arena_strdup(a, group);
}

/* Parse probe()'s and the writers' tagged lines into st. */
static void
parse_probe(struct copy_op *op, char *out, struct rstat *st)
{
	struct arena *a = op->ctx->a;
	char *line, *nl;

	for (line = out; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line);
		if (*nl != '\0')
			*nl = '\0';
		else
			nl--;
		if (line[0] == '\0' || (line[1] != ' ' && line[1] != '\0'))
			continue;
		switch (line[0]) {
		case 'S':
			parse_stat_line(a, line + 2, st);
			break;
		case 'R':
			st->islnk = true;
			st->link = arena_strdup(a, line + 2);
			break;
		case 'L':
			st->islnk = true;
			break;
		case 'C':
			if (strlen(line + 2) >= 40)
				st->sum = arena_strndup(a, line + 2, 40);
			break;
		case 'D':
			if (strlen(line + 2) >= 32)
				st->md5 = arena_strndup(a, line + 2, 32);
			break;
		case 'P':
			st->parent = true;
			break;
		case 'W':
			st->writable = true;
			break;
		case 'U':
			st->want_uid = strtol(line + 2, NULL, 10);
			break;
		case 'G':
			st->want_gid = strtol(line + 2, NULL, 10);
			break;
		case 'K':
			st->umask = (unsigned)strtoul(line + 2, NULL, 8) & 0777;
			break;
		}
	}
}

/*
 * Stat a path on the host with one command: type, mode, ids and names,
 * size, links, the digests asked for, whether its directory exists and is
 * writable, the owner and group arguments as ids, and the umask.
 */
static int
probe(struct copy_op *op, const char *path, unsigned flags,
    struct rstat *st, struct err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	int rc;

	memset(st, 0, sizeof(*st));
	st->want_uid = op->owner == NULL ? -1 : all_digits(op->owner) ?
	    strtol(op->owner, NULL, 10) : -2;
	st->want_gid = op->group == NULL ? -1 : all_digits(op->group) ?
	    strtol(op->group, NULL, 10) : -2;
	st->umask = 022;
	sb_adds(&cmd, "p=");
	sh_quote(&cmd, path);
	if (flags & PROBE_FOLLOW)
		sb_addf(&cmd, "; if [ -e \"$p\" ]; then stat -L -c %s -- "
		    "\"$p\" || exit 1; [ -L \"$p\" ] && printf 'R %%s\\n' "
		    "\"$(readlink -f -- \"$p\")\"; ", stat_fmt);
	else
		sb_addf(&cmd, "; if [ -e \"$p\" ] || [ -L \"$p\" ]; then "
		    "stat -c %s -- \"$p\" || exit 1; [ -L \"$p\" ] && "
		    "printf 'R %%s\\n' \"$(readlink -- \"$p\")\"; ", stat_fmt);
	if (flags & (PROBE_SUM | PROBE_MD5)) {
		sb_adds(&cmd, "if [ -f \"$p\" ] && [ -r \"$p\" ]");
		if (!(flags & PROBE_FOLLOW))
			sb_adds(&cmd, " && [ ! -L \"$p\" ]");
		sb_adds(&cmd, "; then ");
		if (flags & PROBE_SUM)
			sb_adds(&cmd, "echo \"C $(sha1sum < \"$p\")\"; ");
		if (flags & PROBE_MD5)
			sb_adds(&cmd, "echo \"D $(md5sum < \"$p\")\"; ");
		sb_adds(&cmd, "fi; ");
	}
	sb_adds(&cmd, "else echo M; [ -L \"$p\" ] && echo L; fi; "
	    "d=$(dirname -- \"$p\"); [ -e \"$d\" ] && echo P; "
	    "[ -w \"$d\" ] && echo W; ");
	add_lookups(op, &cmd);
	conn_result_init(&r);
	rc = rexec(op, cmd.buf, NULL, 0, &r, err);
	if (rc == 0 && r.rc != 0)
		rc = cmd_failed(&r, "cannot stat", path, err);
	if (rc == 0)
		parse_probe(op, r.out.buf, st);
	conn_result_release(&r);
	sb_release(&cmd);
	return rc;
}

/* ---- modes, owners, groups (Ansible's set_fs_attributes_if_different) */

static bool
parse_octal(const char *s, unsigned long *out)
{
	unsigned long v = 0;

	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		s += 2;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s == '_')
			continue;
		if (*s < '0' || *s > '7' || v > 0xffffff)
			return false;
		v = v * 8 + (unsigned long)(*s - '0');
	}
	*out = v;
	return true;
}

/* _get_octal_mode_from_symbolic_perms for one user class. */
static unsigned
symbolic_perm(char who, char perm, unsigned prev, bool isdir, unsigned umask,
    bool use_umask)
{
	unsigned rev = use_umask ? (umask ^ 07777) : 07777;
	int shift = who == 'u' ? 6 : who == 'g' ? 3 : 0;
	bool xok = isdir || (prev & 0111) != 0;

	switch (perm) {
	case 'r':
		return rev & (04u << shift);
	case 'w':
		return rev & (02u << shift);
	case 'x':
		return rev & (01u << shift);
	case 'X':
		return xok ? 01u << shift : 0;
	case 's':
		return who == 'u' ? 04000 : who == 'g' ? 02000 : 0;
	case 't':
		return who == 'o' ? 01000 : 0;
	case 'u':
		return ((prev >> 6) & 7) << shift;
	case 'g':
		return ((prev >> 3) & 7) << shift;
	case 'o':
		return (prev & 7) << shift;
	}
	return 0;
}

/*
 * Ansible's _symbolic_mode_to_octal: "u=rw,g+r,o-wx".  -1 if malformed,
 * with Python's words for it in details (a ValueError for a bad first
 * letter, a KeyError's repr for a later one).
 */
static int
symbolic_mode(const char *spec, unsigned prev, bool isdir, unsigned umask,
    unsigned *out, char *details, size_t size)
{
	unsigned mode = prev;
	const char *p = spec, *end, *q, *users;
	size_t n, nu, nusers, k, j;
	bool use_umask;

	for (;;) {
		end = strchr(p, ',');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		nu = strcspn(p, "+-=,");
		if (nu > n)
			nu = n;
		/* No class: all, but the umask's bits are left alone. */
		use_umask = nu == 0;
		users = p;
		nusers = nu;
		if (nu == 0 || (nu == 1 && p[0] == 'a')) {
			users = "ugo";
			nusers = 3;
		}
		if (strchr("ugo", users[0]) == NULL)
			goto bad_piece;
		for (q = p + nu; q < p + n;) {
			char oper = *q++;
			size_t np = strcspn(q, "+-=,");

			if (q + np > p + n)
				np = (size_t)(p + n - q);
			if (np > 0 && strchr("rwxXstugo", q[0]) == NULL)
				goto bad_piece;
			for (j = 0; j < nusers; j++) {
				char who = users[j];
				unsigned apply = 0, mask;

				for (k = 0; k < np; k++) {
					if (strchr("ugo", who) == NULL) {
						snprintf(details, size, "'%c'",
						    who);
						return -1;
					}
					if (strchr("rwxXstugo", q[k]) == NULL) {
						snprintf(details, size, "'%c'",
						    q[k]);
						return -1;
					}
					apply |= symbolic_perm(who, q[k], prev,
					    isdir, umask, use_umask);
				}
				mask = who == 'u' ? 04700 : who == 'g' ?
				    02070 : 01007;
				if (oper == '=')
					mode = (mode & (mask ^ 07777)) | apply;
				else if (oper == '+')
					mode |= apply;
				else
					mode &= ~apply;
			}
			q += np;
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	*out = mode;
	return 0;
bad_piece:
	snprintf(details, size, "bad symbolic permission for mode: %.*s",
	    (int)n, p);
	return -1;
}

/* The mode argument m against a path's current mode. */
static int
mode_value(struct copy_op *op, const struct value *m, const char *path,
    unsigned prev, bool isdir, unsigned umask, long *out, struct err *err)
{
	unsigned long v;
	unsigned sym;
	char details[256] = "";

	if (m->type == VAL_INT && m->u.i >= 0) {
		*out = (long)m->u.i;
		return 0;
	}
	if (m->type == VAL_STR && parse_octal(m->u.str.s, &v)) {
		*out = (long)v;
		return 0;
	}
	if (m->type == VAL_STR && symbolic_mode(m->u.str.s, prev, isdir,
	    umask, &sym, details, sizeof(details)) == 0) {
		*out = sym;
		return 0;
	}
	extra_set(op, "path", val_new_str(op->ctx->a, path));
	if (details[0] != '\0')
		extra_set(op, "details", val_new_str(op->ctx->a, details));
	return fail_msg(err, "mode must be in octal or symbolic form");
}

struct attrs {
	long	 uid, gid, mode;	/* -1: leave as it is */
};

/*
 * The owner, group and mode a path must get, in Ansible's order: a lookup
 * or mode error stops there (the later ones stay -1) and returns -1.
 */
static int
plan_attrs(struct copy_op *op, const struct value *mode, const char *path,
    const struct rstat *st, unsigned prev, bool isdir, struct attrs *at,
    struct err *err)
{
	at->uid = at->gid = at->mode = -1;
	if (op->owner != NULL) {
		if (st->want_uid == -2) {
			extra_set(op, "path", val_new_str(op->ctx->a, path));
			return fail_msg(err, "chown failed: failed to look up "
			    "user %s", op->owner);
		}
		at->uid = st->want_uid;
	}
	if (op->group != NULL) {
		if (st->want_gid == -2) {
			extra_set(op, "path", val_new_str(op->ctx->a, path));
			return fail_msg(err, "chgrp failed: failed to look up "
			    "group %s", op->group);
		}
		at->gid = st->want_gid;
	}
	if (mode != NULL)
		return mode_value(op, mode, path, prev, isdir, st->umask,
		    &at->mode, err);
	return 0;
}

static void
add_chown(struct strbuf *cmd, const struct attrs *at, const char *var)
{
	if (at->uid >= 0 || at->gid >= 0) {
		sb_adds(cmd, "chown -h ");
		if (at->uid >= 0)
			sb_addf(cmd, "%ld", at->uid);
		if (at->gid >= 0)
			sb_addf(cmd, ":%ld", at->gid);
		sb_addf(cmd, " -- %s", var);
	}
}

static void
diff_attr(struct copy_op *op, struct value *diff, const char *key,
    struct value *before, struct value *after)
{
	struct arena *a = op->ctx->a;

	if (diff == NULL)
		return;
	val_dict_set(a, val_dict_get(diff, "before"), key, before);
	val_dict_set(a, val_dict_get(diff, "after"), key, after);
}

/*
 * Give path (st: its state) the owner, group and mode asked for; *changed
 * is set when something differs (check mode only says so).  A symbolic
 * link keeps its mode (Linux has no lchmod) but a mode other than 0777 is
 * still reported as a change, as Ansible does.
 */
static int
apply_attrs(struct copy_op *op, const char *path, struct rstat *st,
    const struct value *mode, struct value *diff, bool *changed,
    struct err *err)
{
	struct task_ctx *ctx = op->ctx;
	struct arena *a = ctx->a;
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	struct attrs at, todo = { -1, -1, -1 };
	bool link = st->islnk && st->link != NULL && !st->isreg &&
	    !st->isdir;
	int rc, perr;

	if (!st->exists) {
		if (ctx->check_mode && (op->owner || op->group || mode))
			*changed = true;
		return 0;
	}
	perr = plan_attrs(op, mode, path, st, link ? 0777 : st->mode,
	    st->isdir, &at, err);
	if (at.uid >= 0 && (unsigned long)at.uid != st->uid) {
		todo.uid = at.uid;
		diff_attr(op, diff, "owner", val_new_int(a, (int64_t)st->uid),
		    val_new_int(a, at.uid));
	}
	if (at.gid >= 0 && (unsigned long)at.gid != st->gid) {
		todo.gid = at.gid;
		diff_attr(op, diff, "group", val_new_int(a, (int64_t)st->gid),
		    val_new_int(a, at.gid));
	}
	if (at.mode >= 0 && at.mode != (link ? 0777 : (long)st->mode)) {
		*changed = true;
		diff_attr(op, diff, "mode", val_new_strf(a, "0%03o",
		    link ? 0777 : st->mode), val_new_strf(a, "0%03lo",
		    (unsigned long)at.mode));
		if (!link)
			todo.mode = at.mode;
	}
	if (todo.uid < 0 && todo.gid < 0 && todo.mode < 0)
		return perr;
	*changed = true;
	if (ctx->check_mode)
		return perr;
	sb_adds(&cmd, "p=");
	sh_quote(&cmd, path);
	sb_adds(&cmd, "; ");
	add_chown(&cmd, &todo, "\"$p\"");
	if (todo.uid >= 0 || todo.gid >= 0)
		sb_adds(&cmd, " || exit 1; ");
	if (todo.mode >= 0)
		sb_addf(&cmd, "chmod %04lo -- \"$p\" || exit 1; ",
		    (unsigned long)todo.mode & 07777);
	sb_addf(&cmd, "stat -c %s -- \"$p\"", stat_fmt);
	conn_result_init(&r);
	rc = rexec(op, cmd.buf, NULL, 0, &r, err);
	if (rc == 0 && r.rc != 0) {
		extra_set(op, "path", val_new_str(a, path));
		rc = cmd_failed(&r, "cannot set attributes of", path, err);
	}
	if (rc == 0)
		parse_probe(op, r.out.buf, st);
	conn_result_release(&r);
	sb_release(&cmd);
	return rc < 0 ? rc : perr;
}

/* add_path_info: what Ansible reports about a file it handled. */
static void
path_info(struct copy_op *op, struct value *r, const struct rstat *st)
{
	struct arena *a = op->ctx->a;

	if (!st->exists)
		return;
	val_dict_set(a, r, "uid", val_new_int(a, (int64_t)st->uid));
	val_dict_set(a, r, "gid", val_new_int(a, (int64_t)st->gid));
	val_dict_set(a, r, "owner", val_new_str(a, st->owner));
	val_dict_set(a, r, "group", val_new_str(a, st->group));
	val_dict_set(a, r, "mode", val_new_strf(a, "0%03o", st->mode));
	val_dict_set(a, r, "state", val_new_str(a, st->islnk && !st->isreg &&
	    !st->isdir ? "link" : st->isdir ? "directory" : st->nlink > 1 ?
	    "hard" : "file"));
	val_dict_set(a, r, "size", val_new_int(a, st->size));
}

/*
 * Create dir and its missing parents (Python's os.makedirs), giving each
 * new one the owner, group and directory_mode asked for.  st: a probe()
 * result for the ids and the umask.
 */
static int
make_dirs(struct copy_op *op, const char *dir, const struct rstat *st,
    struct err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	struct attrs at;
	int rc;

	if (plan_attrs(op, op->dirmode, dir, st, 0777 & ~st->umask, true, &at,
	    err) < 0)
		return -1;
	sb_adds(&cmd, "n=");
	sh_quote(&cmd, dir);
	sb_adds(&cmd, "; l=; while [ ! -e \"$n\" ] && [ ! -L \"$n\" ]; do "
	    "l=\"$n\n$l\"; n=$(dirname -- \"$n\"); done; mkdir -p -- ");
	sh_quote(&cmd, dir);
	sb_adds(&cmd, " || exit 1; printf '%s' \"$l\" | while IFS= read -r x; "
	    "do [ -n \"$x\" ] || continue; ");
	add_chown(&cmd, &at, "\"$x\"");
	if (at.uid >= 0 || at.gid >= 0)
		sb_adds(&cmd, " || exit 1; ");
	if (at.mode >= 0)
		sb_addf(&cmd, "chmod %04lo -- \"$x\" || exit 1; ",
		    (unsigned long)at.mode & 07777);
	sb_adds(&cmd, "done");
	conn_result_init(&r);
	rc = rexec(op, cmd.buf, NULL, 0, &r, err);
	if (rc == 0 && r.rc != 0)
		rc = cmd_failed(&r, "cannot create directory", dir, err);
	conn_result_release(&r);
	sb_release(&cmd);
	return rc;
}

/* Python's str.splitlines() of a command's output. */
static struct value *
text_lines(struct arena *a, const struct strbuf *sb)
{
	struct value *l = val_new_list(a);
	const char *p = sb->buf, *end = sb->buf + sb->len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		val_list_push(a, l, val_new_strn(a, p, (size_t)(nl - p) -
		    (nl > p && nl[-1] == '\r')));
		p = nl + 1;
	}
	return l;
}

/*
 * Run validate ("visudo -cf %s") on the temporary file, as Ansible's
 * run_command does: %s replaced, split like shlex, no shell.
 */
static int
run_validate(struct copy_op *op, const char *tmp, struct err *err)
{
	struct arena *a = op->ctx->a;
	struct strbuf line = STRBUF_INIT, cmd = STRBUF_INIT;
	struct conn_result r;
	const char *p, *emsg = NULL;
	char **argv;
	int rc;

	for (p = op->validate; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 's') {
			sb_adds(&line, tmp);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			sb_addch(&line, '%');
			p++;
		} else
			sb_addch(&line, *p);
	}
	argv = sh_split(line.buf, &emsg);
	sb_release(&line);
	if (argv == NULL)
		return fail_msg(err, "cannot parse validate '%s': %s",
		    op->validate, emsg);
	sh_join(&cmd, (const char *const *)argv);
	sh_argv_free(argv);
	conn_result_init(&r);
	rc = rexec(op, cmd.buf, NULL, 0, &r, err);
	sb_release(&cmd);
	if (rc == 0 && r.rc != 0) {
		extra_set(op, "exit_status", val_new_int(a, r.rc));
		extra_set(op, "stdout", val_new_strn(a, r.out.buf, r.out.len));
		extra_set(op, "stderr", val_new_strn(a, r.err.buf, r.err.len));
		extra_set(op, "stdout_lines", text_lines(a, &r.out));
		extra_set(op, "stderr_lines", text_lines(a, &r.err));
		rc = fail_msg(err, "failed to validate");
	}
	conn_result_release(&r);
	return rc;
}

/* Remove a temporary file after a failure (errors ignored). */
static void
drop_tmp(struct copy_op *op, const char *tmp)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	struct err e2 = ERR_INIT;

	sb_adds(&cmd, "rm -f -- ");
	sh_quote(&cmd, tmp);
	conn_result_init(&r);
	(void)rexec(op, cmd.buf, NULL, 0, &r, &e2);
	conn_result_release(&r);
	sb_release(&cmd);
}

/*
 * Write a file atomically: backup, a temporary file beside dest with the
 * data (or a copy of a host file), owner and mode, validate, rename.  fin
 * gets the new file's stat.
 */
static int
put_file(struct copy_op *op, struct put *pp, struct rstat *fin,
    struct err *err)
{
	struct arena *a = op->ctx->a;
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	char *line, *nl;
	int rc;

	sb_adds(&cmd, "umask 077; d=");
	sh_quote(&cmd, pp->dest);
	sb_adds(&cmd, "; ");
	if (op->backup)
		sb_adds(&cmd, "if [ -e \"$d\" ]; then b=\"$d.$$.$(date "
		    "+%Y-%m-%d@%H:%M:%S~)\"; cp -p -- \"$d\" \"$b\" || exit 1; "
		    "printf 'B %s\\n' \"$b\"; fi; ");
	sb_adds(&cmd, "t=$(mktemp \"$(dirname -- \"$d\")/.muster.XXXXXXXX\") "
	    "|| exit 1; printf 'T %s\\n' \"$t\"; ");
	if (pp->from != NULL) {
		sb_adds(&cmd, "cp -- ");
		sh_quote(&cmd, pp->from);
		sb_adds(&cmd, " \"$t\"");
	} else
		sb_adds(&cmd, "cat > \"$t\"");
	sb_adds(&cmd, " || { rm -f -- \"$t\"; exit 1; }; ");
	if (pp->keep)
		sb_adds(&cmd, "chown --reference=\"$d\" -- \"$t\" 2>/dev/null; "
		    "chmod --reference=\"$d\" -- \"$t\"; ");
	else
		sb_addf(&cmd, "chmod %04o -- \"$t\"; ", pp->dflt);
	if (pp->uid >= 0 || pp->gid >= 0) {
		struct attrs at = { pp->uid, pp->gid, -1 };

		add_chown(&cmd, &at, "\"$t\"");
		sb_adds(&cmd, " || { rm -f -- \"$t\"; exit 1; }; ");
	}
	if (pp->mode >= 0)
		sb_addf(&cmd, "chmod %04lo -- \"$t\"; ",
		    (unsigned long)pp->mode & 07777);
	if (op->validate == NULL)
		sb_addf(&cmd, "mv -f -- \"$t\" \"$d\" || { rm -f -- \"$t\"; "
		    "exit 1; }; stat -c %s -- \"$d\"", stat_fmt);
	conn_result_init(&r);
	rc = rexec(op, cmd.buf, pp->data, pp->len, &r, err);
	for (line = r.out.buf; rc == 0 && *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		if (line[0] == 'T' && line[1] == ' ')
			pp->tmp = arena_strndup(a, line + 2,
			    (size_t)(nl - line - 2));
		else if (line[0] == 'B' && line[1] == ' ')
			pp->backup_file = arena_strndup(a, line + 2,
			    (size_t)(nl - line - 2));
	}
	if (rc == 0 && r.rc != 0)
		rc = cmd_failed(&r, "failed to copy to", pp->dest, err);
	if (rc == 0 && op->validate == NULL)
		parse_probe(op, r.out.buf, fin);
	conn_result_release(&r);
	sb_reset(&cmd);
	if (rc == 0 && op->validate != NULL) {
		if (pp->tmp == NULL)
			rc = fail_msg(err, "failed to copy to %s", pp->dest);
		else if (run_validate(op, pp->tmp, err) < 0) {
			drop_tmp(op, pp->tmp);
			rc = -1;
		} else {
			sb_adds(&cmd, "t=");
			sh_quote(&cmd, pp->tmp);
			sb_adds(&cmd, "; d=");
			sh_quote(&cmd, pp->dest);
			sb_addf(&cmd, "; mv -f -- \"$t\" \"$d\" || { rm -f -- "
			    "\"$t\"; exit 1; }; stat -c %s -- \"$d\"",
			    stat_fmt);
			conn_result_init(&r);
			rc = rexec(op, cmd.buf, NULL, 0, &r, err);
			if (rc == 0 && r.rc != 0)
				rc = cmd_failed(&r, "failed to copy to",
				    pp->dest, err);
			if (rc == 0)
				parse_probe(op, r.out.buf, fin);
			conn_result_release(&r);
		}
	}
	sb_release(&cmd);
	return rc;
}

/* ---- one file ---- */

/* _get_diff_data: before (the host's file) and after (ours). */
static struct value *
diff_data(struct copy_op *op, const char *dest, const struct rstat *st,
    const char *data, size_t len, const char *header)
{
	struct task_ctx *ctx = op->ctx;
	struct arena *a = ctx->a;
	struct value *d = val_new_dict(a);
	struct strbuf old = STRBUF_INIT;
	struct err e2 = ERR_INIT;

	if (!st->exists)
		val_dict_set(a, d, "before", val_new_str(a, ""));
	else if (st->size > DIFF_MAX)
		val_dict_set(a, d, "dst_larger", val_new_int(a, DIFF_MAX));
	else if (conn_get(ctx->conn, dest, &old, 0, ctx->become, &e2) == 0) {
		if (memchr(old.buf, '\0', old.len < 8192 ? old.len : 8192))
			val_dict_set(a, d, "dst_binary", val_new_int(a, 1));
		else {
			val_dict_set(a, d, "before_header", val_new_str(a,
			    dest));
			val_dict_set(a, d, "before", val_new_strn(a, old.buf,
			    old.len));
		}
	}
	sb_release(&old);
	if (len > DIFF_MAX)
		val_dict_set(a, d, "src_larger", val_new_int(a, DIFF_MAX));
	else if (memchr(data, '\0', len) != NULL)
		val_dict_set(a, d, "src_binary", val_new_int(a, 1));
	else {
		if (header != NULL)
			val_dict_set(a, d, "after_header", val_new_str(a,
			    header));
		val_dict_set(a, d, "after", val_new_strn(a, data, len));
	}
	return d;
}

static struct value *
file_diff(struct copy_op *op, const char *path)
{
	struct arena *a = op->ctx->a;
	struct value *d = val_new_dict(a), *b = val_new_dict(a),
	    *af = val_new_dict(a);

	val_dict_set(a, b, "path", val_new_str(a, path));
	val_dict_set(a, af, "path", val_new_str(a, path));
	val_dict_set(a, d, "before", b);
	val_dict_set(a, d, "after", af);
	return d;
}

/*
 * The module's half: dest_file differs from the data (st: its state), so
 * write it and set its attributes.
 */
static int
write_one(struct copy_op *op, const char *from, const char *data,
    size_t len, const char *dest, const char *dest_file, bool follow,
    struct rstat *st, const struct value *mode, const char *sum,
    struct value *r, struct err *err)
{
	struct task_ctx *ctx = op->ctx;
	struct arena *a = ctx->a;
	const char *mdest = dest_file;
	struct put pp = { 0 };
	struct rstat fin = { 0 };
	struct attrs at;
	bool replace_link;
	char md5[33];
	int perr;

	if (op->checksum != NULL && strcmp(op->checksum, sum) != 0) {
		extra_set(op, "checksum", val_new_str(a, sum));
		extra_set(op, "expected_checksum", val_new_str(a,
		    op->checksum));
		return fail_msg(err, "Copied file does not match the expected "
		    "checksum. Transfer failed.");
	}
	if (op->validate != NULL && strstr(op->validate, "%s") == NULL)
		return fail_msg(err, "validate must contain %%s: %s",
		    op->validate);
	if (strchr(mdest, '/') == NULL)
		mdest = arena_printf(a, "./%s", mdest);
	if (ends_slash(dest) && !st->exists && !st->islnk && !st->parent) {
		if (make_dirs(op, path_dirname(a, mdest), st, err) < 0)
			return -1;
		st->parent = st->writable = true;
	}
	if (st->exists) {
		if (st->islnk && follow && st->link != NULL)
			mdest = st->link;
	} else if (!st->parent)
		return fail_msg(err, "Destination directory %s does not exist",
		    path_dirname(a, mdest));
	if (!st->writable)
		return fail_msg(err, "Destination %s not writable",
		    path_dirname(a, mdest));
	replace_link = st->islnk && !(follow && st->exists);
	pp.dest = mdest;
	pp.from = from;
	pp.data = data;
	pp.len = len;
	pp.keep = st->exists && !replace_link;
	pp.dflt = 0666 & ~st->umask;
	perr = plan_attrs(op, mode, mdest, st, pp.keep ? st->mode : pp.dflt,
	    false, &at, err);
	pp.uid = at.uid;
	pp.gid = at.gid;
	pp.mode = at.mode;
	if (put_file(op, &pp, &fin, err) < 0)
		return -1;
	if (perr < 0) {
		path_info(op, op->extra, &fin);
		return -1;
	}
	val_dict_set(a, r, "dest", val_new_str(a, mdest));
	if (pp.tmp != NULL)
		val_dict_set(a, r, "src", val_new_str(a, pp.tmp));
	if (data != NULL) {
		data_digest(op, EVP_md5(), data, len, md5);
		val_dict_set(a, r, "md5sum", val_new_str(a, md5));
	} else if (st->md5 != NULL)
		val_dict_set(a, r, "md5sum", val_new_str(a, st->md5));
	val_dict_set(a, r, "checksum", val_new_str(a, sum));
	val_dict_set(a, r, "changed", &val_true);
	if (pp.backup_file != NULL)
		val_dict_set(a, r, "backup_file", val_new_str(a,
		    pp.backup_file));
	path_info(op, r, &fin);
	return 0;
}

/* A file's contents: the data given, or the controller file read. */
static int
load_source(struct copy_op *op, const char *full, const char **data,
    size_t *len, struct err *err)
{
	const struct cfile *cf;

	if (*data != NULL)
		return 0;
	/* read and hashed once for all hosts */
	cf = fcache_get(full);
	if (cf == NULL)
		return fail_msg(err, "could not find src=%s, Could not find or "
		    "access '%s' on the Ansible Controller. (%s)", full, full,
		    strerror(errno));
	op->src = cf;
	*data = cf->data;
	*len = cf->len;
	return 0;
}

/*
 * One file (the action's _copy_file, then the copy or the file module):
 * 1 when force=no left an existing file alone, else 0 with *ret the
 * module's result (or -1 with err).
 */
static int
copy_one(struct copy_op *op, const char *full, const char *data, size_t len,
    const char *rel, const char *dest, bool follow, struct value **ret,
    struct err *err)
{
	struct task_ctx *ctx = op->ctx;
	struct arena *a = ctx->a;
	struct value *r = val_new_dict(a), *mode = (struct value *)op->mode;
	struct rstat st;
	const char *dest_file, *path;
	unsigned flags = (follow ? PROBE_FOLLOW : 0) |
	    (op->force ? PROBE_SUM : 0);
	char sum[41];
	bool changed = false;

	*ret = r;
	if (load_source(op, full, &data, &len, err) < 0)
		return -1;
	if (op->preserve) {
		struct stat ls;

		mode = val_new_strf(a, "0%03o", full != NULL &&
		    stat(full, &ls) == 0 ? (unsigned)ls.st_mode & 07777 :
		    0600);
	}
	dest_file = ends_slash(dest) ? path_join(a, dest, rel) : dest;
	if (probe(op, dest_file, flags, &st, err) < 0)
		return -1;
	if (st.exists && st.isdir) {
		if (op->content)
			return fail_msg(err, "can not use content with a dir "
			    "as dest");
		dest_file = path_join(a, dest, rel);
		if (probe(op, dest_file, flags, &st, err) < 0)
			return -1;
	}
	if (st.exists && !op->force)
		return 1;
	data_digest(op, EVP_sha1(), data, len, sum);
	/* The action adds the checksum to whatever the module returns. */
	extra_set(op, "checksum", val_new_str(a, sum));
	if (st.sum == NULL || strcmp(st.sum, sum) != 0) {
		struct value *l = val_new_list(a);

		if (ctx->diff)
			val_list_push(a, l, diff_data(op, dest_file, &st, data,
			    len, full != NULL ? full : op->header));
		val_dict_set(a, r, "diff", l);
		if (ctx->check_mode) {
			val_dict_set(a, r, "changed", &val_true);
			return 0;
		}
		return write_one(op, NULL, data, len, dest, dest_file, follow,
		    &st, mode, sum, r, err);
	}
	/* Same contents: the file module only sets the attributes. */
	path = follow && st.islnk && st.link != NULL ? st.link : dest_file;
	val_dict_set(a, r, "path", val_new_str(a, path));
	val_dict_set(a, r, "diff", file_diff(op, path));
	if (apply_attrs(op, path, &st, mode, val_dict_get(r, "diff"),
	    &changed, err) < 0) {
		if (op->extra != NULL && val_dict_get(op->extra, "path"))
			path_info(op, op->extra, &st);
		return -1;
	}
	val_dict_set(a, r, "changed", val_bool(changed));
	path_info(op, r, &st);
	val_dict_set(a, r, "checksum", val_new_str(a, sum));
	return 0;
}

/* The file module with state=directory (a directory of a tree copy). */
static int
ensure_dir(struct copy_op *op, const char *path, struct value **ret,
    struct err *err)
{
	struct task_ctx *ctx = op->ctx;
	struct arena *a = ctx->a;
	struct value *r = val_new_dict(a), *diff = file_diff(op, path);
	struct rstat st;
	bool changed = false;

	*ret = r;
	if (probe(op, path, PROBE_FOLLOW, &st, err) < 0)
		return -1;
	val_dict_set(a, r, "diff", diff);
	if (!st.exists) {
		val_dict_set(a, val_dict_get(diff, "before"), "state",
		    val_new_str(a, "absent"));
		val_dict_set(a, val_dict_get(diff, "after"), "state",
		    val_new_str(a, "directory"));
		changed = true;
		if (ctx->check_mode) {
			val_dict_set(a, r, "changed", &val_true);
			return 0;
		}
		if (make_dirs(op, path, &st, err) < 0 ||
		    probe(op, path, PROBE_FOLLOW, &st, err) < 0)
			return -1;
	} else if (!st.isdir) {
		extra_set(op, "path", val_new_str(a, path));
		return fail_msg(err, "%s already exists as a %s", path,
		    st.nlink > 1 ? "hard" : "file");
	}
	val_dict_set(a, r, "path", val_new_str(a, path));
	/* A link to a directory: the directory gets the attributes. */
	if (apply_attrs(op, st.islnk && st.link != NULL ? st.link : path, &st,
	    op->dirmode, diff, &changed, err) < 0)
		return -1;
	val_dict_set(a, r, "changed", val_bool(changed));
	path_info(op, r, &st);
	return 0;
}

/* The file module with state=link, force=yes (a link of a tree copy). */
static int
ensure_link(struct copy_op *op, const char *path, const char *target,
    struct value **ret, struct err *err)
{
	struct task_ctx *ctx = op->ctx;
	struct arena *a = ctx->a;
	struct value *r = val_new_dict(a), *diff = file_diff(op, path);
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result cr;
	struct rstat st;
	bool changed = false;
	int rc;

	*ret = r;
	if (probe(op, path, 0, &st, err) < 0)
		return -1;
	val_dict_set(a, r, "diff", diff);
	if (!st.islnk || st.link == NULL || strcmp(st.link, target) != 0) {
		changed = true;
		if (ctx->check_mode) {
			val_dict_set(a, r, "changed", &val_true);
			return 0;
		}
		sb_adds(&cmd, "p=");
		sh_quote(&cmd, path);
		sb_adds(&cmd, "; if [ -d \"$p\" ] && [ ! -L \"$p\" ]; then "
		    "rmdir -- \"$p\" 2>/dev/null || { echo \"the directory "
		    "$p is not empty, refusing to convert it\" >&2; exit 1; }; "
		    "fi; ln -sfn -- ");
		sh_quote(&cmd, target);
		sb_adds(&cmd, " \"$p\"");
		conn_result_init(&cr);
		rc = rexec(op, cmd.buf, NULL, 0, &cr, err);
		if (rc == 0 && cr.rc != 0)
			rc = cmd_failed(&cr, "Error while linking", path, err);
		conn_result_release(&cr);
		sb_release(&cmd);
		if (rc < 0 || probe(op, path, 0, &st, err) < 0)
			return -1;
	}
	val_dict_set(a, r, "dest", val_new_str(a, path));
	val_dict_set(a, r, "src", val_new_str(a, target));
	if (apply_attrs(op, path, &st, op->preserve ? NULL : op->mode, diff,
	    &changed, err) < 0)
		return -1;
	val_dict_set(a, r, "changed", val_bool(changed));
	path_info(op, r, &st);
	return 0;
}

/* ---- the controller side ---- */

static void
pairs_add(struct arena *a, struct pairs *p, const char *from, const char *to)
{
	if (p->n == p->alloc) {
		size_t na = p->alloc > 0 ? p->alloc * 2 : 16;

		p->from = arena_realloc(a, p->from, p->alloc * sizeof(char *),
		    na * sizeof(char *));
		p->to = arena_realloc(a, p->to, p->alloc * sizeof(char *),
		    na * sizeof(char *));
		p->alloc = na;
	}
	p->from[p->n] = from;
	p->to[p->n] = to;
	p->n++;
}

static const char *
read_link(struct arena *a, const char *path)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	return arena_strndup(a, buf, n > 0 ? (size_t)n : 0);
}

static const char *
real_path(struct arena *a, const char *path)
{
	char *p = realpath(path, NULL);
	const char *r = arena_strdup(a, p != NULL ? p : path);

	free(p);
	return r;
}

static bool
in_chain(const struct devino *c, const struct stat *st)
{
	for (; c != NULL; c = c->up)
		if (c->dev == st->st_dev && c->ino == st->st_ino)
			return true;
	return false;
}

/*
 * The action's _walk_dirs: files, directories and links under dir, named
 * relative to the copy (rel).  With follow (local_follow), links to files
 * and directories are followed unless they loop back.
 */
static void
walk(struct arena *a, struct tree *t, const char *dir, const char *rel,
    bool follow, const struct devino *chain)
{
	struct dirent **names;
	int n, i;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name, *full, *r;
		struct stat ls, ts;
		bool tok;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		full = path_join(a, dir, name);
		r = rel != NULL ? path_join(a, rel, name) : arena_strdup(a,
		    name);
		if (lstat(full, &ls) < 0)
			continue;
		tok = stat(full, &ts) == 0;
		if (S_ISLNK(ls.st_mode) && tok && S_ISDIR(ts.st_mode)) {
			if (follow && !in_chain(chain, &ts)) {
				struct devino d = { ts.st_dev, ts.st_ino,
				    chain };
				const char *real = real_path(a, full);

				pairs_add(a, &t->dirs, real, r);
				walk(a, t, real, r, follow, &d);
			} else
				pairs_add(a, &t->links, read_link(a, full), r);
		} else if (S_ISLNK(ls.st_mode)) {
			if (follow && tok && S_ISREG(ts.st_mode))
				pairs_add(a, &t->files, real_path(a, full), r);
			else
				pairs_add(a, &t->links, read_link(a, full), r);
		} else if (S_ISDIR(ls.st_mode)) {
			struct devino d = { ls.st_dev, ls.st_ino, chain };

			pairs_add(a, &t->dirs, full, r);
			walk(a, t, full, r, follow, &d);
		} else
			pairs_add(a, &t->files, full, r);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void
content_text(struct strbuf *sb, const struct value *v)
{
	struct json_opts o = JSON_OPTS_PYTHON;

	if (v->type == VAL_DICT || v->type == VAL_LIST)
		json_encode(sb, v, &o);
	else if (v->type == VAL_STR)
		sb_add(sb, v->u.str.s, v->u.str.len);
	else
		val_str(sb, v);
}

/* Copy r's keys into the task's result. */
static void
merge(struct task_ctx *ctx, struct result *res, const struct value *r)
{
	size_t i;

	for (i = 0; i < r->u.dict->n; i++) {
		const struct val_entry *e = &r->u.dict->ent[i];

		if (val_is_str(e->key, "changed"))
			res->changed = val_truthy(e->val);
		else
			val_dict_setv(ctx->a, res->v, e->key, e->val);
	}
}

/* ---- remote_src ---- */

/*
 * A directory on the host copied into another (the module's
 * copy_diff_files, copy_left_only, copy_common_dirs and chown_recursive):
 * new and different files are copied with their modes, new directories
 * made with theirs, links copied as links.  mk: create to first (with
 * src's mode when ref).
 */
static int
sync_tree(struct copy_op *op, const char *src, const char *to, bool mk,
    bool ref, const struct rstat *ids, bool *changed, struct err *err)
{
	struct task_ctx *ctx = op->ctx;
	const char *dry = ctx->check_mode ? ":" : "";
	struct strbuf cmd = STRBUF_INIT, s = STRBUF_INIT;
	struct conn_result r;
	const char *p;
	int rc;

	sb_adds(&s, src);
	while (s.len > 1 && s.buf[s.len - 1] == '/')
		sb_setlen(&s, s.len - 1);
	sb_adds(&cmd, "S=");
	sh_quote(&cmd, s.buf);
	sb_adds(&cmd, "; D=");
	sh_quote(&cmd, to);
	sb_addf(&cmd, "; N=%s; ", dry);
	if (mk) {
		sb_adds(&cmd, "if [ ! -d \"$D\" ]; then $N mkdir -p "
		    "-- \"$D\" || exit 1; ");
		if (ref)
			sb_adds(&cmd, "$N chmod --reference=\"$S\" -- "
			    "\"$D\"; ");
		sb_adds(&cmd, "fi; ");
	}
	sb_adds(&cmd, "find \"$S\" -mindepth 1 | while IFS= read -r x; do "
	    "p=${x#\"$S\"/}; s=$S/$p; t=$D/$p; "
	    "if [ ! -e \"$t\" ] && [ ! -L \"$t\" ]; then echo C; "
	    "if [ -L \"$s\" ]; then $N cp -P -- \"$s\" \"$t\"; "
	    "elif [ -d \"$s\" ]; then $N mkdir -- \"$t\" && "
	    "$N chmod --reference=\"$s\" -- \"$t\"; "
	    "else $N cp -- \"$s\" \"$t\" && "
	    "$N chmod --reference=\"$s\" -- \"$t\"; fi; "
	    "elif [ -f \"$s\" ] && [ ! -L \"$s\" ] && [ -f \"$t\" ] && "
	    "! cmp -s -- \"$s\" \"$t\"; then echo C; $N cp -- \"$s\" \"$t\" "
	    "&& $N chmod --reference=\"$s\" -- \"$t\"; fi; done; ");
	if (ids->want_uid >= 0)
		sb_addf(&cmd, "[ -n \"$(find \"$D\" ! -user %ld -print 2>"
		    "/dev/null | head -n 1)\" ] && { echo C; $N chown -R -h "
		    "%ld -- \"$D\"; }; ", ids->want_uid, ids->want_uid);
	if (ids->want_gid >= 0)
		sb_addf(&cmd, "[ -n \"$(find \"$D\" ! -group %ld -print 2>"
		    "/dev/null | head -n 1)\" ] && { echo C; $N chgrp -R -h "
		    "%ld -- \"$D\"; }; ", ids->want_gid, ids->want_gid);
	sb_adds(&cmd, "exit 0");
	conn_result_init(&r);
	rc = rexec(op, cmd.buf, NULL, 0, &r, err);
	if (rc == 0 && r.rc != 0)
		rc = cmd_failed(&r, "failed to copy", s.buf, err);
	for (p = r.out.buf; rc == 0 && *p != '\0'; p++)
		if (p[0] == 'C' && (p == r.out.buf || p[-1] == '\n'))
			*changed = true;
	conn_result_release(&r);
	sb_release(&cmd);
	sb_release(&s);
	return rc;
}

/* The copy module itself, on a source that is on the host. */
static int
remote_copy(struct copy_op *op, const char *src, const char *dest0,
    bool follow, struct result *res, struct err *err)
{
	struct task_ctx *ctx = op->ctx;
	struct arena *a = ctx->a;
	struct value *r = val_new_dict(a);
	const struct value *mode = op->mode;
	const char *dest, *csum, *dsum = NULL;
	struct rstat ss, ds, fin;
	bool changed = false;

	if (expand_user(op, &src, err) < 0 || expand_user(op, &dest0, err) < 0)
		return -1;
	if (probe(op, src, PROBE_FOLLOW | PROBE_SUM | PROBE_MD5, &ss, err) < 0)
		return -1;
	if (!ss.exists)
		return fail_msg(err, "Source %s not found", src);
	if (op->preserve)
		mode = val_new_strf(a, "0%03o", ss.mode);
	if (!ss.isreg && !ss.isdir)
		return fail_msg(err, "Cannot copy invalid source '%s': not a "
		    "file", src);
	csum = ss.isreg ? ss.sum : NULL;
	if (op->checksum != NULL && (csum == NULL ||
	    strcmp(op->checksum, csum) != 0)) {
		extra_set(op, "checksum", csum ? val_new_str(a, csum) :
		    &val_none);
		extra_set(op, "expected_checksum", val_new_str(a,
		    op->checksum));
		return fail_msg(err, "Copied file does not match the expected "
		    "checksum. Transfer failed.");
	}
	dest = strchr(dest0, '/') == NULL ? arena_printf(a, "./%s", dest0) :
	    dest0;
	if (ends_slash(dest)) {
		const char *dir = path_dirname(a, dest);

		if (probe(op, dir, PROBE_FOLLOW, &ds, err) < 0)
			return -1;
		if (!ds.exists) {
			if (ctx->check_mode) {
				res->changed = true;
				res_set_str(ctx, res, "msg", arena_printf(a,
				    "dest directory %s would be created", dir));
				res_set_str(ctx, res, "src", src);
				return 0;
			}
			if (make_dirs(op, dir, &ds, err) < 0)
				return -1;
		}
	}
	if (probe(op, dest, PROBE_FOLLOW | PROBE_SUM, &ds, err) < 0)
		return -1;
	if (ds.exists && ds.isdir) {
		dest = path_join(a, dest, path_basename(src));
		if (probe(op, dest, PROBE_FOLLOW | PROBE_SUM, &ds, err) < 0)
			return -1;
	}
	if (ds.exists) {
		if (ds.islnk && follow && ds.link != NULL)
			dest = ds.link;
		if (!op->force) {
			res_set_str(ctx, res, "msg", "file already exists");
			res_set_str(ctx, res, "src", src);
			res_set_str(ctx, res, "dest", dest);
			return 0;
		}
		dsum = ds.isreg ? ds.sum : NULL;
	} else if (!ds.parent)
		return fail_msg(err, "Destination directory %s does not exist",
		    path_dirname(a, dest));
	if (!ds.writable)
		return fail_msg(err, "Destination %s not writable",
		    path_dirname(a, dest));
	if ((csum == NULL) != (dsum == NULL) || (csum != NULL &&
	    strcmp(csum, dsum) != 0) || (ds.islnk && !follow)) {
		if (!ss.isreg)
			return fail_msg(err, "failed to copy: %s to %s", src,
			    dest);
		if (!ctx->check_mode) {
			if (write_one(op, src, NULL, 0, dest, dest, follow, &ds,
			    mode, csum, r, err) < 0)
				return -1;
			merge(ctx, res, r);
		}
		changed = true;
	}
	if (csum == NULL && dsum == NULL && ss.isdir) {
		bool slash = ends_slash(src);
		const char *to;
		struct rstat ts;

		if (probe(op, dest0, PROBE_FOLLOW, &ds, err) < 0)
			return -1;
		to = slash ? dest0 : path_join(a, dest0, path_basename(src));
		if (probe(op, to, PROBE_FOLLOW, &ts, err) < 0)
			return -1;
		if (slash && ds.isdir) {
			if (sync_tree(op, src, to, false, false, &ds, &changed,
			    err) < 0)
				return -1;
		} else if (slash && !ds.exists) {
			changed = true;
			if (sync_tree(op, src, to, true, true, &ds, &changed,
			    err) < 0)
				return -1;
		} else if (!slash && ds.isdir) {
			if (!ts.exists)
				changed = true;
			if (sync_tree(op, src, to, !ts.exists, true, &ds,
			    &changed, err) < 0)
				return -1;
		} else if (!slash && !ds.exists) {
			if (ctx->check_mode)
				changed = true;
			else if (sync_tree(op, src, to, true, false, &ds,
			    &changed, err) < 0)
				return -1;
		}
	}
	res_set_str(ctx, res, "dest", dest);
	res_set_str(ctx, res, "src", src);
	res_set(ctx, res, "md5sum", ss.md5 != NULL ? val_new_str(a, ss.md5) :
	    &val_none);
	res_set(ctx, res, "checksum", csum != NULL ? val_new_str(a, csum) :
	    &val_none);
	if (probe(op, dest, PROBE_FOLLOW, &fin, err) < 0 ||
	    apply_attrs(op, fin.islnk && fin.link != NULL ? fin.link : dest,
	    &fin, mode, NULL, &changed, err) < 0)
		return -1;
	res->changed = res->changed || changed;
	r = val_new_dict(a);
	path_info(op, r, &fin);
	merge(ctx, res, r);
	return 0;
}

/* ---- the task ---- */

static int
copy_task(struct copy_op *op, const struct value *args, struct result *res,
    struct err *err)
{
	struct task_ctx *ctx = op->ctx;
	struct arena *a = ctx->a;
	const struct value *content = val_dict_get(args, "content");
	const char *src = arg_str(args, "src"), *dest = arg_str(args, "dest");
	const char *base = arg_str(args, "_original_basename");
	const char *full = NULL, *data = NULL;
	struct tree t = { { 0 }, { 0 }, { 0 } };
	struct value *r = NULL, *last = NULL;
	bool follow = arg_bool(args, "follow"), executed = false;
	bool changed = false;
	size_t i, len = 0;
	int rc;

	if ((src == NULL || *src == '\0') && content == NULL)
		return res_fail(ctx, res, "src (or content) is required");
	if (dest == NULL || *dest == '\0')
		return res_fail(ctx, res, "dest is required");
	if (src != NULL && *src != '\0' && content != NULL)
		return res_fail(ctx, res, "src and content are mutually "
		    "exclusive");
	if (content != NULL && ends_slash(dest) && base == NULL)
		return res_fail(ctx, res, "can not use content with a dir as "
		    "dest");
	if (content != NULL) {
		struct strbuf sb = STRBUF_INIT;

		content_text(&sb, content);
		data = arena_strndup(a, sb.buf, sb.len);
		len = sb.len;
		sb_release(&sb);
		op->content = base == NULL;
		op->header = NULL;	/* template: Ansible shows no header */
		pairs_add(a, &t.files, NULL, base != NULL ? base :
		    "content");
	} else if (arg_bool(args, "remote_src"))
		return remote_copy(op, src, dest, follow, res, err);
	else {
		struct strbuf searched = STRBUF_INIT;
		bool slash = ends_slash(src);
		struct stat st;

		full = xfer_find_needle(ctx, "files", src, &searched);
		if (full == NULL) {
			xfer_not_found(ctx, res, src, &searched);
			sb_release(&searched);
			return 0;
		}
		sb_release(&searched);
		if (slash && !ends_slash(full))
			full = arena_printf(a, "%s/", full);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			const char *top = full, *rel = NULL;
			struct stat ts;

			if (!slash)
				rel = path_basename(full);
			if (stat(top, &ts) == 0) {
				struct devino d = { ts.st_dev, ts.st_ino,
				    NULL };

				walk(a, &t, top, rel, arg_bool(args,
				    "local_follow"), &d);
			}
			if (!ends_slash(dest))
				dest = arena_printf(a, "%s/", dest);
		} else
			pairs_add(a, &t.files, full, path_basename(full));
	}
	if (expand_user(op, &dest, err) < 0)
		return -1;
	if (t.dirs.n > 0)
		follow = false;
	for (i = 0; i < t.files.n; i++) {
		rc = copy_one(op, t.files.from[i], data, len, t.files.to[i],
		    dest, follow, &r, err);
		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		executed = true;
		changed = changed || val_truthy(val_dict_get(r, "changed"));
		last = r;
	}
	for (i = 0; i < t.dirs.n; i++) {
		if (ensure_dir(op, path_join(a, dest, t.dirs.to[i]), &r,
		    err) < 0)
			return -1;
		executed = true;
		changed = changed || val_truthy(val_dict_get(r, "changed"));
		last = r;
	}
	for (i = 0; i < t.links.n; i++) {
		if (ensure_link(op, path_join(a, dest, t.links.to[i]),
		    t.links.from[i], &r, err) < 0)
			return -1;
		executed = true;
		changed = changed || val_truthy(val_dict_get(r, "changed"));
		last = r;
	}
	if (executed && t.files.n == 1) {
		merge(ctx, res, last);
		if (val_dict_get(last, "dest") == NULL &&
		    val_dict_get(last, "path") != NULL)
			res_set(ctx, res, "dest", val_dict_get(last, "path"));
		if (val_dict_get(last, "changed") == NULL)
			res->changed = changed;
	} else {
		res_set_str(ctx, res, "dest", dest);
		if (full != NULL)
			res_set_str(ctx, res, "src", full);
		res->changed = changed;
	}
	return 0;
}

static int
copy_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct copy_op op = { 0 };
	const struct value *mode = val_dict_get(args, "mode");
	size_t i;

	op.ctx = ctx;
	op.mode = mode;
	op.preserve = mode != NULL && val_is_str(mode, "preserve");
	op.dirmode = val_dict_get(args, "directory_mode");
	op.owner = arg_str(args, "owner");
	op.group = arg_str(args, "group");
	op.validate = arg_str(args, "validate");
	op.checksum = arg_str(args, "checksum");
	op.force = arg_bool(args, "force");
	op.backup = arg_bool(args, "backup");
	if (copy_task(&op, args, res, err) == 0)
		return 0;
	if (conn_dead(ctx->conn))
		return -1;
	res->changed = false;
	res_fail(ctx, res, "%s", err->msg);
	for (i = 0; op.extra != NULL && i < op.extra->u.dict->n; i++)
		val_dict_setv(ctx->a, res->v, op.extra->u.dict->ent[i].key,
		    op.extra->u.dict->ent[i].val);
	return 0;
}

const struct module module_copy = {
	.name = "copy",
	.summary = "copy a file, a directory or content to the host",
	.args = copy_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = copy_run,
};
