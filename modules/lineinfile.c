/*
 * lineinfile: make sure a particular line is in a file, or is not, or
 * replace it using a back-referenced regular expression (Ansible 2.14's
 * lineinfile, decision for decision).
 *
 * This file also holds what the three text-editing modules share (txe_*,
 * textedit.h): fetching the remote file with one command, writing it back
 * atomically (conn_put: a temporary file in the same directory, then
 * rename, owner and mode kept) with backup and validate, and Ansible's
 * owner/group/mode handling (check_file_attrs).  Regular expressions are
 * Python's re (src/pyre.c).  Everything is allocated in the host-task's
 * arena, PCRE2's memory included, so no path needs to free anything.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "module.h"
#include "shell.h"
#include "textedit.h"
#include "transfer.h"
#include "util.h"

/* What only lineinfile.c looks at: where the file is, whose, who we are. */
struct txe_where {
	const char	*full;		/* ~ expanded: backups are named so */
	const char	*real;		/* symlinks resolved: what is written */
	bool		 parent;	/* its directory exists */
	unsigned	 mode;		/* permission bits, if it exists */
	long		 uid, gid;	/* its owner, if it exists */
	const char	*user, *group;	/* their names */
	long		 nlink;
	long		 my_uid, my_gid;	/* owner of a file we create */
	const char	*my_user, *my_group;
	unsigned	 umask;
	long		 owner_uid;	/* owner= looked up; -1: no such user */
	long		 group_gid;	/* group= looked up; -1: no such one */
};

/*
 * What Ansible reports when a module raises (re.error from a bad pattern):
 * a module failure with the exception in module_stderr.
 */
int
txe_crash(struct task_ctx *ctx, struct result *res, const char *exc,
    const char *why)
{
	res_fail(ctx, res, "MODULE FAILURE\nSee stdout/stderr for the exact "
	    "error");
	res_set_str(ctx, res, "module_stdout", "");
	res_set(ctx, res, "module_stderr", val_new_strf(ctx->a, "Traceback "
	    "(most recent call last):\n%s: %s\n", exc, why));
	res_set(ctx, res, "rc", val_new_int(ctx->a, 1));
	return 0;
}

const char *
txe_arg(const struct value *args, const char *name, size_t *len)
{
	const struct value *v = val_dict_get(args, name);

	if (v == NULL || v->type != VAL_STR) {
		*len = 0;
		return NULL;
	}
	*len = v->u.str.len;
	return v->u.str.s;
}

/*
 * The remote side.
 */

/* A connection error: unreachable (-1), or the task fails. */
static int
conn_failed(struct task_ctx *ctx, struct result *res, struct err *err)
{
	if (conn_dead(ctx->conn))
		return -1;
	res_fail(ctx, res, "%s", err->msg);
	return 0;
}


/* A decimal id as Python's int() reads an owner or group: digits. */
static bool
parse_id(const char *s, long *out)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	*out = strtol(s, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	return *end == '\0';
}

/* The next NUL-terminated field of the fetch header. */
static const char *
next_field(const char **p, const char *end)
{
	const char *f = *p, *z;

	if (f >= end)
		return NULL;
	z = memchr(f, '\0', (size_t)(end - f));
	if (z == NULL)
		return NULL;
	*p = z + 1;
	return f;
}

/*
 * One command reads everything the decision needs: what the path is (a
 * directory, missing, a file), where it really is (symlinks resolved),
 * its mode and owner, who we are, the owner and group asked for, and the
 * contents.  Fields are NUL-terminated; the contents follow.
 */
int
txe_fetch(struct task_ctx *ctx, const struct value *args,
    struct txe_file *f, struct result *res, struct err *err)
{
	static const char script[] =
	    "if [ -d \"$p\" ]; then printf 'dir\\0%s\\0' \"$p\"; exit 0; fi\n"
	    "r=$(readlink -f -- \"$p\" 2>/dev/null) || r=$p\n"
	    "u=; q=\n"
	    "[ -n \"$o\" ] && u=$(getent passwd -- \"$o\" | cut -d: -f3)\n"
	    "[ -n \"$g\" ] && q=$(getent group -- \"$g\" | cut -d: -f3)\n"
	    "i=\"$(id -u) $(id -g) $(umask) $(id -un 2>/dev/null || id -u) "
	    "$(id -gn 2>/dev/null || id -g)\"\n"
	    "if [ -e \"$p\" ]; then\n"
	    "  s=$(stat -L -c '%f %u %g %s %h %U %G' -- \"$p\") || exit 1\n"
	    "  printf 'file\\0%s\\0%s\\0%s\\0%s\\0%s\\0%s\\0' \"$p\" \"$r\" "
	    "\"$s\" \"$i\" \"$u\" \"$q\"\n"
	    "  exec cat -- \"$p\"\n"
	    "fi\n"
	    "if [ -d \"$(dirname -- \"$r\")\" ]; then t=missing; "
	    "else t=noparent; fi\n"
	    "printf '%s\\0%s\\0%s\\0-\\0%s\\0%s\\0%s\\0' \"$t\" \"$p\" \"$r\" "
	    "\"$i\" \"$u\" \"$q\"\n";
	const char *path = arg_str(args, "path");
	const char *owner = arg_str(args, "owner");
	const char *group = arg_str(args, "group");
	const char *p, *end, *kind, *fl[6];
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	unsigned long rawmode = 0, uid = 0, gid = 0, um = 022;
	long long size = 0;
	char un[64], gn[64];
	long id;
	int rc, k;

	memset(f, 0, sizeof(*f));
	f->w = arena_alloc(ctx->a, sizeof(*f->w));
	f->path = f->w->full = f->w->real = path;
	f->w->owner_uid = f->w->group_gid = -1;
	sb_adds(&cmd, "p=");
	sh_quote_path(&cmd, path);
	sb_adds(&cmd, "; o=");
	sh_quote(&cmd, owner != NULL && !parse_id(owner, &id) ? owner : "");
	sb_adds(&cmd, "; g=");
	sh_quote(&cmd, group != NULL && !parse_id(group, &id) ? group : "");
	sb_addch(&cmd, '\n');
	sb_adds(&cmd, script);
	conn_result_init(&r);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &r, err);
	sb_release(&cmd);
	if (rc < 0) {
		conn_result_release(&r);
		return conn_failed(ctx, res, err);
	}
	p = r.out.buf;
	end = r.out.buf + r.out.len;
	kind = next_field(&p, end);
	if (r.rc != 0 || kind == NULL) {
		sb_rtrim(&r.err);
		res_fail(ctx, res, "Unable to read the contents of %s: %s",
		    path, r.err.len > 0 ? r.err.buf : "unexpected output");
		conn_result_release(&r);
		return 0;
	}
	if (strcmp(kind, "dir") == 0) {
		/* Messages name the path ~-expanded, as Ansible's do. */
		if ((fl[0] = next_field(&p, end)) != NULL)
			f->path = arena_strdup(ctx->a, fl[0]);
		f->isdir = f->exists = true;
		conn_result_release(&r);
		return 0;
	}
	for (k = 0; k < 6; k++)
		if ((fl[k] = next_field(&p, end)) == NULL) {
			res_fail(ctx, res, "Unable to read the contents of "
			    "%s: unexpected output", path);
			conn_result_release(&r);
			return 0;
		}
	f->path = f->w->full = arena_strdup(ctx->a, fl[0]);
	f->w->real = arena_strdup(ctx->a, fl[1]);
	f->exists = strcmp(kind, "file") == 0;
	f->w->parent = f->exists || strcmp(kind, "missing") == 0;
	f->w->user = f->w->group = f->w->my_user = f->w->my_group = "";
	if (f->exists && sscanf(fl[2], "%lx %lu %lu %lld %ld %63s %63s",
	    &rawmode, &uid, &gid, &size, &f->w->nlink, un, gn) == 7) {
		f->w->mode = (unsigned)(rawmode & 07777);
		f->w->uid = (long)uid;
		f->w->gid = (long)gid;
		f->w->user = arena_strdup(ctx->a, un);
		f->w->group = arena_strdup(ctx->a, gn);
	}
	if (sscanf(fl[3], "%lu %lu %lo %63s %63s", &uid, &gid, &um, un,
	    gn) == 5) {
		f->w->my_uid = (long)uid;
		f->w->my_gid = (long)gid;
		f->w->umask = (unsigned)um & 0777;
		f->w->my_user = arena_strdup(ctx->a, un);
		f->w->my_group = arena_strdup(ctx->a, gn);
	}
	if (owner != NULL && !parse_id(owner, &f->w->owner_uid) &&
	    !parse_id(fl[4], &f->w->owner_uid))
		f->w->owner_uid = -1;
	if (group != NULL && !parse_id(group, &f->w->group_gid) &&
	    !parse_id(fl[5], &f->w->group_gid))
		f->w->group_gid = -1;
	if (f->exists) {
		if ((long long)(end - p) != size) {
			res_fail(ctx, res, "Unable to read the contents of "
			    "%s: read %zu bytes of %lld", path,
			    (size_t)(end - p), size);
			conn_result_release(&r);
			return 0;
		}
		f->len = (size_t)(end - p);
		f->data = arena_strndup(ctx->a, p, f->len);
	} else
		f->data = arena_strdup(ctx->a, "");
	conn_result_release(&r);
	return 0;
}

int
txe_mkparent(struct task_ctx *ctx, struct txe_file *f, struct result *res,
    struct err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	int rc;

	if (f->w->parent || ctx->check_mode)
		return 0;
	sb_adds(&cmd, "d=$(dirname -- ");
	sh_quote(&cmd, f->w->real);
	sb_adds(&cmd, ") && mkdir -p -- \"$d\"");
	conn_result_init(&r);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &r, err);
	sb_release(&cmd);
	if (rc < 0) {
		conn_result_release(&r);
		return conn_failed(ctx, res, err);
	}
	if (r.rc != 0) {
		const char *slash = strrchr(f->w->real, '/');

		sb_rtrim(&r.err);
		res_fail(ctx, res, "Error creating %.*s (%s)", slash != NULL ?
		    (int)(slash - f->w->real) : 0, f->w->real, r.err.buf);
	} else
		f->w->parent = true;
	conn_result_release(&r);
	return 0;
}

/*
 * Modes: an int as it is, a string in octal, or symbolic ("u=rw,g-w,o+X")
 * applied to the current mode (Ansible's _symbolic_mode_to_octal).
 */
static unsigned
sym_perms(char who, char perm, unsigned prev, bool isdir, unsigned umask,
    bool use_umask, bool *ok)
{
	unsigned rev = ~umask & 07777, x = 0;
	bool apply_x = isdir || (prev & 0111) != 0;

	switch (perm) {
	case 'r':
		x = who == 'u' ? 0400 : who == 'g' ? 040 : 04;
		return use_umask ? rev & x : x;
	case 'w':
		x = who == 'u' ? 0200 : who == 'g' ? 020 : 02;
		return use_umask ? rev & x : x;
	case 'x':
		x = who == 'u' ? 0100 : who == 'g' ? 010 : 01;
		return use_umask ? rev & x : x;
	case 'X':
		if (!apply_x)
			return 0;
		return who == 'u' ? 0100 : who == 'g' ? 010 : 01;
	case 's':
		return who == 'u' ? 04000 : who == 'g' ? 02000 : 0;
	case 't':
		return who == 'o' ? 01000 : 0;
	case 'u':
		return who == 'u' ? prev & 0700 : who == 'g' ?
		    (prev & 0700) >> 3 : (prev & 0700) >> 6;
	case 'g':
		return who == 'u' ? (prev & 070) << 3 : who == 'g' ?
		    prev & 070 : (prev & 070) >> 3;
	case 'o':
		return who == 'u' ? (prev & 07) << 6 : who == 'g' ?
		    (prev & 07) << 3 : prev & 07;
	}
	*ok = false;
	return 0;
}

/*
 * Ansible's _symbolic_mode_to_octal(), quirks included: only the first
 * character of the users and of each permission list is checked up front
 * (ValueError); a bad character after it is a KeyError.  -1 with the
 * exception's text in *details.
 */
static int
symbolic_mode(struct arena *a, const char *spec, unsigned prev, bool isdir,
    unsigned umask, unsigned *out, const char **details)
{
	unsigned mode = prev;
	const char *p = spec;

	for (;;) {
		const char *clause = p, *ops, *q, *users;
		size_t nu;
		bool use_umask, ok = true;

		while (*p != '\0' && *p != ',')
			p++;
		for (ops = clause; ops < p && strchr("+-=", *ops) == NULL;
		    ops++)
			;
		use_umask = ops == clause;
		users = clause;
		nu = (size_t)(ops - clause);
		if (nu == 0 || (nu == 1 && *clause == 'a')) {
			users = "ugo";
			nu = 3;
		}
		if (strchr("ugo", users[0]) == NULL)
			goto bad;
		for (q = ops; q < p;) {
			char op = *q++;
			const char *perms = q;

			while (q < p && strchr("+-=", *q) == NULL)
				q++;
			if (perms < q && strchr("rwxXstugo", *perms) == NULL)
				goto bad;
			for (size_t u = 0; u < nu; u++) {
				unsigned apply = 0, mask;
				char who = users[u];

				if (strchr("ugo", who) == NULL) {
					*details = arena_printf(a, "'%c'", who);
					return -1;
				}
				for (const char *c = perms; c < q; c++) {
					apply |= sym_perms(who, *c, prev, isdir,
					    umask, use_umask, &ok);
					if (!ok) {
						*details = arena_printf(a,
						    "'%c'", *c);
						return -1;
					}
				}
				if (op == '=') {
					mask = who == 'u' ? 04700 : who ==
					    'g' ? 02070 : 01007;
					mode = (mode & (mask ^ 07777)) | apply;
				} else if (op == '+')
					mode |= apply;
				else
					mode &= ~apply;
			}
		}
		if (*p == '\0')
			break;
		p++;
		continue;
bad:
		*details = arena_printf(a, "bad symbolic permission for mode: "
		    "%.*s", (int)(p - clause), clause);
		return -1;
	}
	*out = mode;
	return 0;
}

/*
 * The mode asked for: 0, or -1 with Ansible's message in *why and its
 * details in *details.
 */
static int
wanted_mode(struct task_ctx *ctx, const struct value *v, unsigned prev,
    bool isdir, unsigned umask, unsigned *out, const char **why,
    const char **details)
{
	const char *s;
	char *end;
	unsigned m;

	if (v->type == VAL_INT) {
		*out = (unsigned)v->u.i;
		return 0;
	}
	if (v->type != VAL_STR) {
		*why = "mode must be in octal or symbolic form";
		*details = arena_printf(ctx->a, "'%s' object has no attribute "
		    "'split'", val_type_name(v));
		return -1;
	}
	s = v->u.str.s;
	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		s += 2;
	if (*s != '\0' && strspn(s, "01234567") == strlen(s)) {
		*out = (unsigned)strtoul(s, &end, 8);
		return 0;
	}
	if (symbolic_mode(ctx->a, v->u.str.s, prev, isdir, umask, &m,
	    details) < 0) {
		*why = "mode must be in octal or symbolic form";
		return -1;
	}
	*out = m;
	return 0;
}

/* diff[side][key] = v, making diff[side] on first use. */
static void
attr_diff_set(struct task_ctx *ctx, struct value *diff, const char *side,
    const char *key, struct value *v)
{
	struct value *d = val_dict_get(diff, side);

	if (d == NULL) {
		d = val_new_dict(ctx->a);
		val_dict_set(ctx->a, diff, side, d);
	}
	val_dict_set(ctx->a, d, key, v);
}

/* Back the file up as name.PID.YYYY-MM-DD@HH:MM:SS~ (backup_local). */
static int
make_backup(struct task_ctx *ctx, struct txe_file *f, struct txe_commit *c,
    struct result *res, struct err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	int rc;

	sb_adds(&cmd, "f=");
	sh_quote(&cmd, f->w->full);
	sb_adds(&cmd, "; b=\"$f.$$.$(date '+%Y-%m-%d@%H:%M:%S')~\" && "
	    "cp -p -- \"$f\" \"$b\" && printf '%s' \"$b\"");
	conn_result_init(&r);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &r, err);
	sb_release(&cmd);
	if (rc < 0) {
		conn_result_release(&r);
		return conn_failed(ctx, res, err);
	}
	if (r.rc != 0) {
		sb_rtrim(&r.err);
		res_fail(ctx, res, "Could not make backup of %s: %s",
		    f->w->full, r.err.buf);
	} else
		c->backup_file = arena_strndup(ctx->a, r.out.buf, r.out.len);
	conn_result_release(&r);
	return 0;
}

/*
 * validate: the new contents go to a temporary file beside the target, the
 * command runs on it (%s), and only if it succeeds does the file replace the
 * target (owner and mode of the old one kept, as conn_put does).
 */
static int
write_validated(struct task_ctx *ctx, struct txe_file *f, const char *validate,
    struct txe_commit *c, int mode, struct result *res, struct err *err)
{
	struct strbuf cmd = STRBUF_INIT, word = STRBUF_INIT;
	const char *slash = strrchr(f->w->real, '/'), *emsg;
	struct conn_result r;
	unsigned char rnd[6];
	char **argv, *tmp;
	size_t i;
	int rc;

	if (strstr(validate, "%s") == NULL) {
		res_fail(ctx, res, "validate must contain %%s: %s", validate);
		return 0;
	}
	argv = sh_split(validate, &emsg);
	if (argv == NULL) {
		res_fail(ctx, res, "failed to validate: %s", emsg);
		return 0;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	tmp = arena_printf(ctx->a, "%.*s.%s.muster-%02x%02x%02x%02x%02x%02x",
	    slash != NULL ? (int)(slash - f->w->real + 1) : 0, f->w->real,
	    slash != NULL ? slash + 1 : f->w->real, rnd[0], rnd[1], rnd[2],
	    rnd[3], rnd[4], rnd[5]);
	/* Python's validate % tmpfile, word by word: %s and %%. */
	for (i = 0; argv[i] != NULL; i++) {
		const char *s = argv[i];

		sb_reset(&word);
		while (*s != '\0') {
			if (s[0] == '%' && s[1] == 's') {
				sb_adds(&word, tmp);
				s += 2;
			} else if (s[0] == '%' && s[1] == '%') {
				sb_addch(&word, '%');
				s += 2;
			} else
				sb_addch(&word, *s++);
		}
		if (i > 0)
			sb_addch(&cmd, ' ');
		sh_quote(&cmd, word.buf);
	}
	sh_argv_free(argv);
	sb_release(&word);
	if (conn_put(ctx->conn, tmp, c->data, c->len, mode, ctx->become,
	    err) < 0) {
		sb_release(&cmd);
		return conn_failed(ctx, res, err);
	}
	sb_adds(&cmd, " </dev/null >/dev/null; rc=$?; t=");
	sh_quote(&cmd, tmp);
	sb_adds(&cmd, "; d=");
	sh_quote(&cmd, f->w->real);
	sb_adds(&cmd, "\nif [ $rc -ne 0 ]; then rm -f -- \"$t\"; exit $rc; fi\n"
	    "echo validated\n"
	    "if [ -e \"$d\" ]; then chown --reference=\"$d\" -- \"$t\" "
	    "2>/dev/null; ");
	if (mode < 0)
		sb_adds(&cmd, "chmod --reference=\"$d\" -- \"$t\"; ");
	else
		sb_addf(&cmd, "chmod %04o -- \"$t\"; ", (unsigned)mode);
	sb_adds(&cmd, "fi\nmv -f -- \"$t\" \"$d\" || { rm -f -- \"$t\"; "
	    "exit 1; }\n");
	conn_result_init(&r);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &r, err);
	sb_release(&cmd);
	if (rc < 0) {
		conn_result_release(&r);
		return conn_failed(ctx, res, err);
	}
	if (r.rc != 0 && strncmp(r.out.buf, "validated", 9) != 0)
		res_fail(ctx, res, "failed to validate: rc:%d error:%s", r.rc,
		    r.err.buf);
	else if (r.rc != 0) {
		sb_rtrim(&r.err);
		res_fail(ctx, res, "cannot write '%s': %s", f->w->real,
		    r.err.buf);
	}
	conn_result_release(&r);
	return 0;
}

/*
 * A failure about the file: fail_json(path=...) adds the file's state
 * (add_path_info).
 */
static int
fail_path(struct task_ctx *ctx, struct result *res, const struct txe_file *f,
    const struct txe_commit *c, const char *msg, const char *details)
{
	bool ours = !f->exists;

	res_fail(ctx, res, "%s", msg);
	if (details != NULL)
		res_set_str(ctx, res, "details", details);
	res_set_str(ctx, res, "path", f->w->full);
	if (!f->exists && (!c->write || ctx->check_mode)) {
		res_set_str(ctx, res, "state", "absent");
		return 0;
	}
	res_set(ctx, res, "uid", val_new_int(ctx->a, ours ? f->w->my_uid :
	    f->w->uid));
	res_set(ctx, res, "gid", val_new_int(ctx->a, ours ? f->w->my_gid :
	    f->w->gid));
	res_set_str(ctx, res, "owner", ours ? f->w->my_user : f->w->user);
	res_set_str(ctx, res, "group", ours ? f->w->my_group : f->w->group);
	res_set(ctx, res, "mode", val_new_strf(ctx->a, "0%03o", ours ? 0644 :
	    f->w->mode));
	res_set_str(ctx, res, "state", !ours && f->w->nlink > 1 ? "hard" :
	    "file");
	res_set(ctx, res, "size", val_new_int(ctx->a, (int64_t)(c->write &&
	    !ctx->check_mode ? c->len : f->len)));
	return 0;
}

/* Run a small command; its failure fails the task with "what: stderr". */
static int
run_simple(struct task_ctx *ctx, const char *cmd, const char *what,
    struct result *res, struct err *err)
{
	struct conn_result r;

	conn_result_init(&r);
	if (conn_exec(ctx->conn, cmd, ctx->become, NULL, 0, &r, err) < 0) {
		conn_result_release(&r);
		return conn_failed(ctx, res, err);
	}
	if (r.rc != 0) {
		sb_rtrim(&r.err);
		res_fail(ctx, res, "%s: %s", what, r.err.buf);
	}
	conn_result_release(&r);
	return 0;
}

int
txe_commit(struct task_ctx *ctx, const struct value *args,
    struct txe_file *f, struct txe_commit *c, struct result *res,
    struct err *err)
{
	const char *owner = arg_str(args, "owner");
	const char *group = arg_str(args, "group");
	const struct value *modev = val_dict_get(args, "mode");
	const char *validate = arg_str(args, "validate");
	const char *why = NULL, *details = NULL;
	bool exists = f->exists || (c->write && !ctx->check_mode);
	bool set_owner = false, set_group = false, set_mode = false;
	unsigned cur_mode = f->exists ? f->w->mode : 0644, mode = 0;
	long cur_uid = f->exists ? f->w->uid : f->w->my_uid;
	long cur_gid = f->exists ? f->w->gid : f->w->my_gid;
	int put_mode = -1;

	c->backup_file = NULL;
	c->attr_diff = val_new_dict(ctx->a);
	/*
	 * check_file_attrs() sees the file as the edit left it: an existing
	 * file keeps its owner and mode, a new one is ours and 0644.  Decide
	 * first, so that the mode can go with the contents in one write.
	 */
	if (exists && owner != NULL) {
		if (f->w->owner_uid < 0)
			why = arena_printf(ctx->a, "chown failed: failed to "
			    "look up user %s", owner);
		else if (f->w->owner_uid != cur_uid) {
			attr_diff_set(ctx, c->attr_diff, "before", "owner",
			    val_new_int(ctx->a, cur_uid));
			attr_diff_set(ctx, c->attr_diff, "after", "owner",
			    val_new_int(ctx->a, f->w->owner_uid));
			set_owner = true;
		}
	}
	if (exists && why == NULL && group != NULL) {
		if (f->w->group_gid < 0)
			why = arena_printf(ctx->a, "chgrp failed: failed to "
			    "look up group %s", group);
		else if (f->w->group_gid != cur_gid) {
			attr_diff_set(ctx, c->attr_diff, "before", "group",
			    val_new_int(ctx->a, cur_gid));
			attr_diff_set(ctx, c->attr_diff, "after", "group",
			    val_new_int(ctx->a, f->w->group_gid));
			set_group = true;
		}
	}
	if (exists && why == NULL && modev != NULL &&
	    wanted_mode(ctx, modev, cur_mode, false, f->w->umask, &mode, &why,
	    &details) == 0 && mode != cur_mode) {
		attr_diff_set(ctx, c->attr_diff, "before", "mode",
		    val_new_strf(ctx->a, "0%03o", cur_mode));
		attr_diff_set(ctx, c->attr_diff, "after", "mode",
		    val_new_strf(ctx->a, "0%03o", mode));
		set_mode = true;
	}
	if (why != NULL)
		set_owner = set_group = set_mode = false;
	/* chown may clear set-id bits: then chmod must come after it. */
	if (set_mode && !set_owner && !set_group)
		put_mode = (int)(mode & 07777);

	if (c->write && !ctx->check_mode) {
		if (c->backup && f->exists) {
			if (make_backup(ctx, f, c, res, err) < 0)
				return -1;
			if (res->failed)
				return 0;
		}
		if (validate != NULL) {
			if (write_validated(ctx, f, validate, c, put_mode, res,
			    err) < 0)
				return -1;
			if (res->failed)
				return 0;
		} else if (conn_put(ctx->conn, f->w->real, c->data, c->len,
		    put_mode, ctx->become, err) < 0)
			return conn_failed(ctx, res, err);
		if (put_mode >= 0)
			set_mode = false;
	}
	if (why != NULL)
		return fail_path(ctx, res, f, c, why, details);
	if (!ctx->check_mode && (set_owner || set_group || set_mode)) {
		struct strbuf cmd = STRBUF_INIT;
		int rc;

		sb_adds(&cmd, "p=");
		sh_quote(&cmd, f->w->real);
		if (set_owner || set_group) {
			sb_adds(&cmd, "; chown ");
			if (set_owner)
				sb_addf(&cmd, "%ld", f->w->owner_uid);
			if (set_group)
				sb_addf(&cmd, ":%ld", f->w->group_gid);
			sb_adds(&cmd, " -- \"$p\" || exit 1");
		}
		if (set_mode)
			sb_addf(&cmd, "; chmod %04o -- \"$p\"", mode & 07777);
		rc = run_simple(ctx, cmd.buf, set_owner ? "chown failed" :
		    set_group ? "chgrp failed" : "chmod failed", res, err);
		sb_release(&cmd);
		if (rc < 0)
			return -1;
		if (res->failed) {
			res_set_str(ctx, res, "path", f->w->full);
			return 0;
		}
	}
	if (val_len(c->attr_diff) > 0) {
		c->msg = arena_printf(ctx->a, "%s%sownership, perms or SE "
		    "linux context changed", c->msg, c->changed ? " and " : "");
		c->changed = true;
	}
	return 0;
}

/*
 * lineinfile itself.
 */

static const char *const path_aliases[] = { "dest", "destfile", "name",
	NULL };
static const char *const regexp_aliases[] = { "regex", NULL };
static const char *const line_aliases[] = { "value", NULL };
static const char *const state_choices[] = { "absent", "present", NULL };

static const struct arg_spec lineinfile_args[] = {
	{ .name = "path", .type = ARG_PATH, .flags = ARG_REQUIRED,
	    .aliases = path_aliases },
	{ .name = "state", .type = ARG_STR, .dflt = "present",
	    .choices = state_choices },
	{ .name = "regexp", .type = ARG_STR, .aliases = regexp_aliases },
	{ .name = "search_string", .type = ARG_STR },
	{ .name = "line", .type = ARG_STR, .aliases = line_aliases },
	{ .name = "insertafter", .type = ARG_STR },
	{ .name = "insertbefore", .type = ARG_STR },
	/* No default: given at all, it excludes search_string. */
	{ .name = "backrefs", .type = ARG_BOOL },
	{ .name = "create", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "backup", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "firstmatch", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "validate", .type = ARG_STR },
	XFER_FILE_ARGS,
	{ .name = NULL },
};

/* A line of the file: a view into its text, or new text in the arena. */
struct line {
	const char	*s;
	size_t		 len;
};

/* The file as Python's readlines() sees it: lines end after '\n'. */
struct lines {
	struct line	*v;		/* arena array */
	size_t		 n, alloc;
};

static void
lines_insert(struct arena *a, struct lines *l, size_t at, const char *s,
    size_t len)
{
	if (l->n == l->alloc) {
		size_t na = l->alloc ? 2 * l->alloc : 64;

		l->v = arena_realloc(a, l->v, l->alloc * sizeof(*l->v),
		    na * sizeof(*l->v));
		l->alloc = na;
	}
	memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof(*l->v));
	l->v[at].s = s;
	l->v[at].len = len;
	l->n++;
}

static void
lines_split(struct arena *a, struct lines *l, const char *s, size_t n)
{
	const char *end = s + n, *nl;

	memset(l, 0, sizeof(*l));
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		nl = nl != NULL ? nl + 1 : end;
		lines_insert(a, l, l->n, s, (size_t)(nl - s));
		s = nl;
	}
}

static void
lines_join(const struct lines *l, struct strbuf *out)
{
	for (size_t i = 0; i < l->n; i++)
		sb_add(out, l->v[i].s, l->v[i].len);
}

/* The line without its trailing '\r' and '\n' characters (rstrip). */
static size_t
rstrip_nl(const struct line *line)
{
	size_t n = line->len;

	while (n > 0 && (line->s[n - 1] == '\n' || line->s[n - 1] == '\r'))
		n--;
	return n;
}

/* b_line == b_cur_line.rstrip(b'\r\n') */
static bool
same_line(const struct line *cur, const char *line, size_t len)
{
	return rstrip_nl(cur) == len && memcmp(cur->s, line, len) == 0;
}

static bool
ends_nl(const struct line *line)
{
	return line->len > 0 && (line->s[line->len - 1] == '\n' ||
	    line->s[line->len - 1] == '\r');
}

/* line + os.linesep, in the arena */
static const char *
with_nl(struct arena *a, const char *line, size_t len, size_t *outlen)
{
	char *s = arena_alloc(a, len + 2);

	memcpy(s, line, len);
	s[len] = '\n';
	*outlen = len + 1;
	return s;
}

static bool
has_str(const struct line *line, const char *needle, size_t n)
{
	return n == 0 || memmem(line->s, line->len, needle, n) != NULL;
}

static struct value *
content_diff(struct task_ctx *ctx, const char *path, const char *before,
    size_t blen, const char *after, size_t alen)
{
	struct value *d = val_new_dict(ctx->a);

	val_dict_set(ctx->a, d, "before", val_new_strn(ctx->a, before,
	    ctx->diff ? blen : 0));
	val_dict_set(ctx->a, d, "after", val_new_strn(ctx->a, after,
	    ctx->diff ? alen : 0));
	val_dict_set(ctx->a, d, "before_header", val_new_strf(ctx->a,
	    "%s (content)", path));
	val_dict_set(ctx->a, d, "after_header", val_new_strf(ctx->a,
	    "%s (content)", path));
	return d;
}

/* Write, check_file_attrs, and the result Ansible returns. */
static int
finish(struct task_ctx *ctx, const struct value *args, struct txe_file *f,
    struct lines *l, bool changed, const char *msg, long found,
    struct result *res, struct err *err)
{
	struct strbuf out = STRBUF_INIT;
	struct txe_commit c;
	struct value *diff, *list, *ad;

	lines_join(l, &out);
	diff = content_diff(ctx, f->path, f->data, f->len, out.buf, out.len);
	memset(&c, 0, sizeof(c));
	c.data = arena_strndup(ctx->a, out.buf, out.len);
	c.len = out.len;
	sb_release(&out);
	c.write = changed;
	c.backup = arg_bool(args, "backup");
	c.changed = changed;
	c.msg = msg;
	if (ctx->check_mode && !f->exists) {
		res->changed = changed;
		res_set_str(ctx, res, "msg", msg);
		res_set_str(ctx, res, "backup", "");
		res_set(ctx, res, "diff", diff);
		return 0;
	}
	if (txe_commit(ctx, args, f, &c, res, err) < 0)
		return -1;
	if (res->failed)
		return 0;
	ad = c.attr_diff;
	val_dict_set(ctx->a, ad, "before_header", val_new_strf(ctx->a,
	    "%s (file attributes)", f->path));
	val_dict_set(ctx->a, ad, "after_header", val_new_strf(ctx->a,
	    "%s (file attributes)", f->path));
	list = val_new_list(ctx->a);
	val_list_push(ctx->a, list, diff);
	val_list_push(ctx->a, list, ad);
	res->changed = c.changed;
	if (found >= 0)
		res_set(ctx, res, "found", val_new_int(ctx->a, found));
	res_set_str(ctx, res, "msg", c.msg);
	res_set_str(ctx, res, "backup", c.backup_file != NULL ?
	    c.backup_file : "");
	res_set(ctx, res, "diff", list);
	return 0;
}

static int
present(struct task_ctx *ctx, const struct value *args, struct txe_file *f,
    struct result *res, struct err *err)
{
	size_t rlen, slen, llen, alen, blen, nlen;
	const char *regexp = txe_arg(args, "regexp", &rlen);
	const char *search = txe_arg(args, "search_string", &slen);
	const char *line = txe_arg(args, "line", &llen);
	const char *after = txe_arg(args, "insertafter", &alen);
	const char *before = txe_arg(args, "insertbefore", &blen);
	bool backrefs = arg_bool(args, "backrefs");
	bool firstmatch = arg_bool(args, "firstmatch");
	struct pyre *bre_m = NULL, *bre_ins = NULL;
	const char *why = NULL, *msg = "", *nl;
	long index0 = -1, index1 = -1;
	bool match = false, changed = false;
	struct lines l;
	size_t i;
	int rc;

	if (!f->exists) {
		if (!arg_bool(args, "create")) {
			res_fail(ctx, res, "Destination %s does not exist !",
			    f->path);
			res_set(ctx, res, "rc", val_new_int(ctx->a, 257));
			return 0;
		}
		if (txe_mkparent(ctx, f, res, err) < 0)
			return -1;
		if (res->failed)
			return 0;
	}
	lines_split(ctx->a, &l, f->data, f->len);
	if (after == NULL && before == NULL) {
		after = "EOF";
		alen = 3;
	}
	if (regexp != NULL) {
		bre_m = pyre_compile(ctx->a, regexp, rlen, PYRE_BYTES, &why);
		if (bre_m == NULL)
			return txe_crash(ctx, res, "re.error", why);
	}
	if (after != NULL && strcmp(after, "BOF") != 0 &&
	    strcmp(after, "EOF") != 0)
		bre_ins = pyre_compile(ctx->a, after, alen, PYRE_BYTES, &why);
	else if (before != NULL && strcmp(before, "BOF") != 0)
		bre_ins = pyre_compile(ctx->a, before, blen, PYRE_BYTES, &why);
	if (why != NULL)
		return txe_crash(ctx, res, "re.error", why);

	/* 1. The last (or first) line the regexp or search string finds. */
	for (i = 0; bre_m != NULL && i < l.n; i++) {
		rc = pyre_search(bre_m, l.v[i].s, l.v[i].len, 0, PYRE_SEARCH,
		    &why);
		if (rc < 0)
			return txe_crash(ctx, res, "re.error", why);
		if (rc > 0) {
			index0 = (long)i;
			match = true;
			if (firstmatch)
				break;
		}
	}
	for (i = 0; search != NULL && i < l.n; i++)
		if (has_str(&l.v[i], search, slen)) {
			index0 = (long)i;
			match = true;
			if (firstmatch)
				break;
		}
	/* 2. Else the line itself, and where insertafter/before points. */
	for (i = 0; !match && i < l.n; i++) {
		if (same_line(&l.v[i], line, llen)) {
			index0 = (long)i;
			continue;
		}
		if (bre_ins == NULL)
			continue;
		rc = pyre_search(bre_ins, l.v[i].s, l.v[i].len, 0,
		    PYRE_SEARCH, &why);
		if (rc < 0)
			return txe_crash(ctx, res, "re.error", why);
		if (rc == 0)
			continue;
		if (after != NULL && alen > 0) {
			index1 = (long)i + 1;
			if (firstmatch)
				break;
		}
		if (before != NULL && blen > 0) {
			index1 = (long)i;
			if (firstmatch)
				break;
		}
	}
	if (index0 != -1) {
		struct strbuf nw = STRBUF_INIT;

		if (backrefs && match) {
			/* The match object of that line, as Python kept it. */
			struct line *cur = &l.v[index0];

			if (pyre_search(bre_m, cur->s, cur->len, 0,
			    PYRE_SEARCH, &why) < 0 || pyre_expand(ctx->a, bre_m,
			    cur->s, line, llen, &nw, &why) < 0) {
				sb_release(&nw);
				return txe_crash(ctx, res, "re.error", why);
			}
		} else
			sb_add(&nw, line, llen);
		if (nw.len == 0 || nw.buf[nw.len - 1] != '\n')
			sb_addch(&nw, '\n');
		if (l.v[index0].len != nw.len || memcmp(l.v[index0].s,
		    nw.buf, nw.len) != 0) {
			l.v[index0].s = arena_strndup(ctx->a, nw.buf, nw.len);
			l.v[index0].len = nw.len;
			msg = "line replaced";
			changed = true;
		}
		sb_release(&nw);
	} else if (backrefs) {
		/* Nothing: without a match the backrefs mean nothing. */
	} else if ((before != NULL && strcmp(before, "BOF") == 0) ||
	    (after != NULL && strcmp(after, "BOF") == 0)) {
		nl = with_nl(ctx->a, line, llen, &nlen);
		lines_insert(ctx->a, &l, 0, nl, nlen);
		msg = "line added";
		changed = true;
	} else if ((after != NULL && strcmp(after, "EOF") == 0) ||
	    index1 == -1) {
		if (l.n > 0 && !ends_nl(&l.v[l.n - 1]))
			lines_insert(ctx->a, &l, l.n, "\n", 1);
		nl = with_nl(ctx->a, line, llen, &nlen);
		lines_insert(ctx->a, &l, l.n, nl, nlen);
		msg = "line added";
		changed = true;
	} else if (after != NULL && alen > 0 && index1 != -1) {
		/* Not when the line is already there (at the index). */
		if ((size_t)index1 == l.n) {
			if (!same_line(&l.v[index1 - 1], line, llen)) {
				nl = with_nl(ctx->a, line, llen, &nlen);
				lines_insert(ctx->a, &l, l.n, nl, nlen);
				msg = "line added";
				changed = true;
			}
		} else if (!same_line(&l.v[index1], line, llen)) {
			nl = with_nl(ctx->a, line, llen, &nlen);
			lines_insert(ctx->a, &l, (size_t)index1, nl, nlen);
			msg = "line added";
			changed = true;
		}
	} else {
		/* insertbefore matched (the regexp did not) */
		nl = with_nl(ctx->a, line, llen, &nlen);
		lines_insert(ctx->a, &l, (size_t)index1, nl, nlen);
		msg = "line added";
		changed = true;
	}
	return finish(ctx, args, f, &l, changed, msg, -1, res, err);
}

static int
absent(struct task_ctx *ctx, const struct value *args, struct txe_file *f,
    struct result *res, struct err *err)
{
	size_t rlen, slen, llen, i, k;
	const char *regexp = txe_arg(args, "regexp", &rlen);
	const char *search = txe_arg(args, "search_string", &slen);
	const char *line = txe_arg(args, "line", &llen);
	struct pyre *bre_c = NULL;
	const char *why = NULL, *msg = "";
	long found = 0;
	struct lines l;
	int rc;

	if (!f->exists) {
		res->changed = false;
		res_set_str(ctx, res, "msg", "file not present");
		return 0;
	}
	lines_split(ctx->a, &l, f->data, f->len);
	if (regexp != NULL) {
		bre_c = pyre_compile(ctx->a, regexp, rlen, PYRE_BYTES, &why);
		if (bre_c == NULL)
			return txe_crash(ctx, res, "re.error", why);
	}
	for (i = k = 0; i < l.n; i++) {
		bool hit;

		if (bre_c != NULL) {
			rc = pyre_search(bre_c, l.v[i].s, l.v[i].len, 0,
			    PYRE_SEARCH, &why);
			if (rc < 0)
				return txe_crash(ctx, res, "re.error", why);
			hit = rc > 0;
		} else if (search != NULL)
			hit = has_str(&l.v[i], search, slen);
		else
			hit = same_line(&l.v[i], line, llen);
		if (hit)
			found++;
		else
			l.v[k++] = l.v[i];
	}
	l.n = k;
	if (found > 0)
		msg = arena_printf(ctx->a, "%ld line(s) removed", found);
	return finish(ctx, args, f, &l, found > 0, msg, found, res, err);
}

static int
lineinfile_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *regexp = arg_str(args, "regexp");
	const char *search = arg_str(args, "search_string");
	const char *line = arg_str(args, "line");
	static const char *const exclusive[][2] = {
		{ "insertbefore", "insertafter" },
		{ "regexp", "search_string" },
		{ "backrefs", "search_string" },
	};
	struct strbuf both = STRBUF_INIT;
	struct txe_file f;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exclusive); i++)
		if (val_dict_get(args, exclusive[i][0]) != NULL &&
		    val_dict_get(args, exclusive[i][1]) != NULL)
			sb_addf(&both, "%s%s|%s", both.len > 0 ? ", " : "",
			    exclusive[i][0], exclusive[i][1]);
	if (both.len > 0) {
		res_fail(ctx, res, "parameters are mutually exclusive: %s",
		    both.buf);
		sb_release(&both);
		return 0;
	}
	if ((regexp != NULL && *regexp == '\0') ||
	    (search != NULL && *search == '\0')) {
		bool re = regexp != NULL && *regexp == '\0';

		res_warn(ctx, res, arena_printf(ctx->a, "The %s is an empty "
		    "string, which will match every line in the file. This "
		    "may have unintended consequences, such as replacing the "
		    "last line in the file rather than appending.%s",
		    re ? "regular expression" : "search string", re ? " If "
		    "this is desired, use '^' to match every line in the file "
		    "and avoid this warning." : ""));
	}
	if (txe_fetch(ctx, args, &f, res, err) < 0)
		return -1;
	if (res->failed)
		return 0;
	if (f.isdir) {
		res_fail(ctx, res, "Path %s is a directory !", f.path);
		res_set(ctx, res, "rc", val_new_int(ctx->a, 256));
		return 0;
	}
	if (strcmp(arg_str(args, "state"), "present") == 0) {
		if (arg_bool(args, "backrefs") && regexp == NULL)
			return res_fail(ctx, res, "regexp is required with "
			    "backrefs=true");
		if (line == NULL)
			return res_fail(ctx, res, "line is required with "
			    "state=present");
		return present(ctx, args, &f, res, err);
	}
	if (regexp == NULL && search == NULL && line == NULL)
		return res_fail(ctx, res, "one of line, search_string, or "
		    "regexp is required with state=absent");
	return absent(ctx, args, &f, res, err);
}

const struct module module_lineinfile = {
	.name = "lineinfile",
	.summary = "make sure a particular line is in a file, or not",
	.args = lineinfile_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = lineinfile_run,
};
