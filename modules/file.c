/*
 * file: files, directories, links and their attributes, decided as
 * Ansible 2.14's file module decides them (modules/file.py and basic.py's
 * set_fs_attributes_if_different, step for step, quirks included).
 *
 * One command (the probe) reads the state of every path the decision needs:
 * the path, a link's target, src, the components of a directory to create,
 * a tree to recurse into, the ids of owner and group.  run() decides in C.
 * Only when something changes, and never in check mode, a second command
 * makes the changes and reports the path's final state for the result.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "module.h"
#include "shell.h"
#include "transfer.h"

static const char *const path_aliases[] = { "dest", "name", NULL };
static const char *const state_choices[] = { "absent", "directory", "file",
	"hard", "link", "touch", NULL };

static const struct arg_spec file_args[] = {
	{ .name = "path", .type = ARG_PATH, .flags = ARG_REQUIRED,
	  .aliases = path_aliases },
	{ .name = "state", .type = ARG_STR, .choices = state_choices },
	{ .name = "recurse", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "force", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "follow", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "src", .type = ARG_PATH },
	{ .name = "modification_time", .type = ARG_STR },
	{ .name = "modification_time_format", .type = ARG_STR,
	  .dflt = "%Y%m%d%H%M.%S" },
	{ .name = "access_time", .type = ARG_STR },
	{ .name = "access_time_format", .type = ARG_STR,
	  .dflt = "%Y%m%d%H%M.%S" },
	{ .name = "_original_basename", .type = ARG_STR },
	/* mode, owner, group; SELinux and chattr ones accepted, not managed */
	XFER_FILE_ARGS,
	{ .name = NULL },
};

/* Commands a batch line holds at most (command lines stay short). */
#define BATCH_PATHS 64

/*
 * The shell functions both commands start with.  S KIND PATH prints a
 * record: "@ KIND PATH", then "L <lstat>" (or "L -" when absent), and for
 * a link "T <stat through it>" (or "T -"), "K <readlink>", "R <realpath>".
 * F MSG reports a failed step, then the final state, and stops.
 */
static const char shell_funcs[] =
    "S() { printf '@ %s %s\\n' \"$1\" \"$2\"; "
    "if [ -e \"$2\" ] || [ -L \"$2\" ]; then "
    "stat -c 'L %f %u %g %s %h %i %d %.9X %.9Y %U %G' -- \"$2\" "
    "|| echo 'L -'; "
    "if [ -L \"$2\" ]; then "
    "stat -L -c 'T %f %u %g %s %h %i %d %.9X %.9Y %U %G' -- \"$2\" "
    "2>/dev/null || echo 'T -'; "
    "printf 'K %s\\nR %s\\n' \"$(readlink -- \"$2\")\" "
    "\"$(realpath -m -- \"$2\")\"; "
    "fi; else echo 'L -'; fi; }\n"
    "F() { printf 'X %s\\n' \"$1\"; S F \"$R\"; exit 1; }\n";

/* find -printf format of a listing entry (NUL-terminated). */
#define LIST_FMT "' %y %Y %m %U %G %T@ %A@ %p\\0'"

struct ftime {
	long long	 sec;
	long		 nsec;
};

struct fsinfo {			/* one stat(2) as stat(1) printed it */
	bool		 exists;
	unsigned	 fmt;		/* S_IFMT bits */
	unsigned	 mode;		/* permission bits */
	unsigned long	 uid, gid, nlink, ino, dev;
	long long	 size;
	struct ftime	 atime, mtime;
	const char	*owner, *group;	/* names; NULL when unknown */
};

struct fsent {			/* a path the probe looked at */
	char		 kind;		/* P path, A/H src... */
	const char	*path;
	struct fsinfo	 l;		/* lstat */
	struct fsinfo	 t;		/* stat (through a link) */
	const char	*lnk_target;	/* links: readlink */
	const char	*realpath;	/* links: realpath -m */
};

struct lent {			/* an entry of a find listing */
	char		 kind;		/* E, F via links, W */
	char		 y, ty;		/* find's %y and %Y */
	unsigned	 mode;
	unsigned long	 uid, gid;
	struct ftime	 mtime, atime;
	const char	*path;
};

struct probe {
	unsigned	 umask;
	unsigned long	 euid, egid;
	const char	*src;		/* src, ~ expanded */
	const char	*uid, *gid;	/* looked up; "" when unknown */
	const char	*failed;	/* change command: the failed step */
	struct fsent	*ents;
	size_t		 nents, ents_alloc;
	struct lent	*list;
	size_t		 nlist, list_alloc;
};

enum tkind {
	T_PRESERVE,
	T_NOW,
	T_VALUE,
};

struct tspec {
	enum tkind	 kind;
	long long	 sec;
};

struct view {			/* a path as the commands will meet it */
	const char	*path;
	const struct fsinfo *fi;	/* its lstat (deref: the target's) */
	const struct fsinfo *tfi;	/* its stat (times) */
	bool		 exists;	/* os.path.exists() */
	bool		 deref;		/* commands follow links */
	bool		 fresh;		/* created by this run */
};

struct fctx {
	struct task_ctx	*ctx;
	struct arena	*a;
	struct result	*res;
	bool		 check;
	const struct value *mode;	/* NULL: not given */
	const char	*owner, *group;
	bool		 uid_ok, gid_ok;
	unsigned long	 uid, gid;
	bool		 follow, force, recurse;
	const char	*src;		/* expanded; NULL: not given */
	const char	*mtime_arg, *atime_arg;
	const char	*mtime_fmt, *atime_fmt;
	struct tspec	 mt, at;
	double		 now;
	struct ftime	 now_ft;	/* now, for what this run creates */
	struct probe	 pr;
	struct value	*ops;		/* pending batched commands */
	struct strbuf	 script;	/* the change command's steps */
	const char	*report;	/* the path the result describes */
	const struct fsent *report_ent;	/* its state as probed */
	const char	*fail_path;	/* a failure's path */
};

/* Python helpers: int(), os.path.join/dirname/basename. */

static bool
is_digit_in(int c, int base)
{
	return c >= '0' && c < '0' + base;
}

/* Python's int(s, base) for base 8 or 10; -1 if s is no integer. */
static int
py_int(const char *s, int base, long long *out)
{
	const char *p = s;
	unsigned long long v = 0;
	bool neg = false, digit = false;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (base == 8 && p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
		p += 2;
		if (*p == '_')
			p++;
	}
	for (; *p != '\0' && !isspace((unsigned char)*p); p++) {
		if (*p == '_' && digit && is_digit_in(p[1], base))
			continue;
		if (!is_digit_in(*p, base))
			return -1;
		v = v * (unsigned)base + (unsigned)(*p - '0');
		if (v > (1ULL << 62))
			return -1;
		digit = true;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0' || !digit)
		return -1;
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

static const char *
py_basename(const char *p)
{
	const char *slash = strrchr(p, '/');

	return slash != NULL ? slash + 1 : p;
}

static const char *
py_dirname(struct arena *a, const char *p)
{
	const char *slash = strrchr(p, '/');
	size_t n, i;

	if (slash == NULL)
		return "";
	n = (size_t)(slash - p) + 1;
	for (i = 0; i < n && p[i] == '/'; i++)
		;
	if (i < n)		/* not all slashes: strip the trailing ones */
		while (n > 0 && p[n - 1] == '/')
			n--;
	return arena_strndup(a, p, n);
}

static const char *
py_join(struct arena *a, const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (name[0] == '/' || n == 0)
		return name;
	return arena_printf(a, "%s%s%s", dir, dir[n - 1] == '/' ? "" : "/",
	    name);
}


/* Parsing what the commands print. */

static const char *
parse_ftime(const char *p, struct ftime *t)
{
	char *end;
	int digits = 0;

	while (*p == ' ')
		p++;
	t->sec = strtoll(p, &end, 10);
	t->nsec = 0;
	p = end;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			if (digits < 9) {
				t->nsec = t->nsec * 10 + (*p - '0');
				digits++;
			}
	while (digits++ < 9)
		t->nsec *= 10;
	return p;
}

static double
ftime_float(const struct ftime *t)
{
	/* CPython's st_mtime: sec + nsec * 1e-9 */
	return (double)t->sec + (double)t->nsec * 1e-9;
}

static const char *
name_or_null(struct arena *a, const char *s, size_t n)
{
	if (n == 0 || (n == 7 && memcmp(s, "UNKNOWN", 7) == 0))
		return NULL;
	return arena_strndup(a, s, n);
}

/* "%f %u %g %s %h %i %d %.9X %.9Y %U %G", or "-". */
static void
parse_info(struct arena *a, const char *s, struct fsinfo *fi)
{
	unsigned long raw;
	int used = 0;
	const char *p, *sp;

	memset(fi, 0, sizeof(*fi));
	if (s[0] == '-' || sscanf(s, "%lx %lu %lu %lld %lu %lu %lu%n", &raw,
	    &fi->uid, &fi->gid, &fi->size, &fi->nlink, &fi->ino, &fi->dev,
	    &used) < 7)
		return;
	fi->exists = true;
	fi->fmt = (unsigned)raw & S_IFMT;
	fi->mode = (unsigned)raw & 07777;
	p = parse_ftime(s + used, &fi->atime);
	p = parse_ftime(p, &fi->mtime);
	while (*p == ' ')
		p++;
	sp = strchr(p, ' ');
	if (sp == NULL)
		return;
	fi->owner = name_or_null(a, p, (size_t)(sp - p));
	fi->group = name_or_null(a, sp + 1, strlen(sp + 1));
}

/* "K y Y mode uid gid mtime atime path" */
static void
parse_lent(struct arena *a, const char *s, struct probe *pr)
{
	struct lent *l;
	int used = 0;
	const char *p;

	if (pr->nlist == pr->list_alloc) {
		size_t n = pr->list_alloc ? pr->list_alloc * 2 : 64;

		pr->list = arena_realloc(a, pr->list,
		    pr->list_alloc * sizeof(*l), n * sizeof(*l));
		pr->list_alloc = n;
	}
	l = &pr->list[pr->nlist];
	if (sscanf(s, "%c %c %c %o %lu %lu%n", &l->kind, &l->y, &l->ty,
	    &l->mode, &l->uid, &l->gid, &used) < 6)
		return;
	p = parse_ftime(s + used, &l->mtime);
	p = parse_ftime(p, &l->atime);
	if (*p != ' ')
		return;
	l->path = arena_strdup(a, p + 1);
	pr->nlist++;
}

static void
probe_parse(struct arena *a, const char *buf, size_t len, struct probe *pr)
{
	const char *p = buf, *end = buf + len, *nl;
	struct fsent *cur = NULL;
	char *line, *rest;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		line = arena_strndup(a, p, (size_t)(nl - p));
		p = nl + 1;
		if (strcmp(line, "#") == 0) {
			/* the rest: NUL-terminated listing entries */
			while (p < end) {
				const char *z = memchr(p, '\0',
				    (size_t)(end - p));

				if (z == NULL)
					z = end;
				parse_lent(a, arena_strndup(a, p,
				    (size_t)(z - p)), pr);
				p = z + 1;
			}
			break;
		}
		if (line[0] == '\0' || line[1] != ' ')
			continue;
		rest = line + 2;
		switch (line[0]) {
		case '@':
			if (pr->nents == pr->ents_alloc) {
				size_t n = pr->ents_alloc ? pr->ents_alloc * 2 :
				    8;

				pr->ents = arena_realloc(a, pr->ents,
				    pr->ents_alloc * sizeof(*cur),
				    n * sizeof(*cur));
				pr->ents_alloc = n;
			}
			cur = &pr->ents[pr->nents++];
			memset(cur, 0, sizeof(*cur));
			cur->kind = rest[0];
			cur->path = rest[0] != '\0' && rest[1] == ' ' ?
			    rest + 2 : "";
			break;
		case 'L':
			if (cur != NULL) {
				parse_info(a, rest, &cur->l);
				cur->t = cur->l;
			}
			break;
		case 'T':
			if (cur != NULL)
				parse_info(a, rest, &cur->t);
			break;
		case 'K':
			if (cur != NULL)
				cur->lnk_target = rest;
			break;
		case 'R':
			if (cur != NULL)
				cur->realpath = rest;
			break;
		case 'U':
			pr->umask = (unsigned)strtoul(rest, NULL, 8) & 0777;
			break;
		case 'I':
			sscanf(rest, "%lu %lu", &pr->euid, &pr->egid);
			break;
		case 'O':
			pr->uid = rest;
			break;
		case 'G':
			pr->gid = rest;
			break;
		case 'Z':
			pr->src = rest;
			break;
		case 'X':
			pr->failed = rest;
			break;
		}
	}
}

static const struct fsent *
probe_find(const struct probe *pr, char kind)
{
	for (size_t i = 0; i < pr->nents; i++)
		if (pr->ents[i].kind == kind)
			return &pr->ents[i];
	return NULL;
}

static bool
is_lnk(const struct fsinfo *fi)
{
	return fi->exists && fi->fmt == S_IFLNK;
}

static bool
is_dir(const struct fsinfo *fi)
{
	return fi->exists && fi->fmt == S_IFDIR;
}

/* file.py's get_state(). */
static const char *
get_state(const struct fsent *e)
{
	if (!e->l.exists)
		return "absent";
	if (is_lnk(&e->l))
		return "link";
	if (is_dir(&e->t))
		return "directory";
	if (e->t.nlink > 1)
		return "hard";
	return "file";
}

/* The path a link resolves to, as a probed path of its own. */
static struct fsent *
follow_ent(struct fctx *f, const struct fsent *e)
{
	struct fsent *r = arena_alloc(f->a, sizeof(*r));

	r->kind = e->kind;
	r->path = e->realpath != NULL ? e->realpath : e->path;
	r->l = e->t;
	r->t = e->t;
	return r;
}

/* Failing: Ansible's fail_json(msg=..., path=...). */

static int
file_fail(struct fctx *f, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
file_fail(struct fctx *f, const char *path, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	res_fail(f->ctx, f->res, "%s", sb.buf);
	sb_release(&sb);
	if (path != NULL) {
		res_set_str(f->ctx, f->res, "path", path);
		f->fail_path = path;
	}
	return -1;
}

/* Modes: basic.py's set_mode_if_different and _symbolic_mode_to_octal. */

static unsigned
symbolic_perms(char who, const char *perms, size_t n, unsigned prev,
    bool isdir, bool use_umask, unsigned umask)
{
	unsigned rev = umask ^ 07777, m = 0, r, w, x, X;
	int sh = who == 'u' ? 6 : who == 'g' ? 3 : 0;

	r = 04u << sh;
	w = 02u << sh;
	x = 01u << sh;
	X = isdir || (prev & 0111) ? x : 0;
	if (use_umask) {
		r &= rev;
		w &= rev;
		x &= rev;
	}
	for (size_t i = 0; i < n; i++) {
		switch (perms[i]) {
		case 'r': m |= r; break;
		case 'w': m |= w; break;
		case 'x': m |= x; break;
		case 'X': m |= X; break;
		case 's':
			m |= who == 'u' ? S_ISUID : who == 'g' ? S_ISGID : 0;
			break;
		case 't': m |= who == 'o' ? S_ISVTX : 0; break;
		case 'u': m |= ((prev >> 6) & 7) << sh; break;
		case 'g': m |= ((prev >> 3) & 7) << sh; break;
		case 'o': m |= (prev & 7) << sh; break;
		}
	}
	return m;
}

/* "u=rwX,g-w,+t"; -1 if Ansible refuses it. */
static int
symbolic_mode(const char *spec, unsigned prev, bool isdir, unsigned umask,
    unsigned *out)
{
	unsigned mode = prev;
	const char *clause = spec, *end, *p, *q;

	for (;; clause = end + 1) {
		const char *users, *ops;
		size_t nusers;
		bool use_umask;

		end = strchr(clause, ',');
		if (end == NULL)
			end = clause + strlen(clause);
		for (ops = clause; ops < end && strchr("+=-", *ops) == NULL;
		    ops++)
			;
		users = clause;
		nusers = (size_t)(ops - clause);
		use_umask = nusers == 0;
		if (nusers == 0 || (nusers == 1 && users[0] == 'a')) {
			users = "ugo";
			nusers = 3;
		}
		if (strchr("ugo", users[0]) == NULL)
			return -1;
		for (p = ops; p < end; p = q) {
			char op = *p++;

			for (q = p; q < end && strchr("+=-", *q) == NULL; q++)
				if (strchr("rwxXstugo", *q) == NULL)
					return -1;
			for (size_t i = 0; i < nusers; i++) {
				char who = users[i];
				unsigned m, mask;

				if (strchr("ugo", who) == NULL) {
					/* Python: KeyError or unbound mask */
					if (q > p || op == '=')
						return -1;
					continue;
				}
				m = symbolic_perms(who, p, (size_t)(q - p),
				    prev, isdir, use_umask, umask);
				if (op == '+') {
					mode |= m;
				} else if (op == '-') {
					mode &= ~m;
				} else {
					mask = who == 'u' ? 0700 | S_ISUID :
					    who == 'g' ? 070 | S_ISGID :
					    07 | S_ISVTX;
					mode = (mode & (mask ^ 07777)) | m;
				}
			}
		}
		if (*end == '\0')
			break;
	}
	*out = mode;
	return 0;
}

/* The mode to set on a path whose lstat is fi; -1: not a mode. */
static int
want_mode(struct fctx *f, const struct fsinfo *fi, long long *out)
{
	const struct value *v = f->mode;
	unsigned m;

	switch (v->type) {
	case VAL_INT:
		*out = v->u.i;
		return 0;
	case VAL_BOOL:
		*out = v->u.b;
		return 0;
	case VAL_STR:
		if (py_int(v->u.str.s, 8, out) == 0)
			return 0;
		if (symbolic_mode(v->u.str.s, fi->mode, is_dir(fi),
		    f->pr.umask, &m) < 0)
			return -1;
		*out = m;
		return 0;
	default:
		return -1;
	}
}

static const char *
mode_str(struct fctx *f, long long m)
{
	return arena_printf(f->a, "0%03llo", m);
}

/* Batched commands: one line for many paths, in phases. */

/* phase: 0 owner/group, 1 mode, 2 times; msg: the failure message. */
static void
op_add(struct fctx *f, char phase, const char *msg, const char *cmd,
    const char *path)
{
	const char *key = arena_printf(f->a, "%c\t%s\t%s", phase, msg, cmd);
	struct value *l = val_dict_get(f->ops, key);

	if (l == NULL) {
		l = val_new_list(f->a);
		val_dict_set(f->a, f->ops, key, l);
	}
	val_list_push(f->a, l, val_new_str(f->a, path));
}

static void
op_flush(struct fctx *f)
{
	for (char phase = '0'; phase <= '2'; phase++) {
		for (size_t i = 0; i < f->ops->u.dict->n; i++) {
			const char *key = f->ops->u.dict->ent[i].key->u.str.s;
			const struct value *l = f->ops->u.dict->ent[i].val;
			const char *msg = key + 2, *cmd = strchr(msg, '\t');
			size_t n = l->u.list->n;

			if (key[0] != phase)
				continue;
			for (size_t j = 0; j < n; j++) {
				if (j % BATCH_PATHS == 0)
					sb_addf(&f->script, "%s --", cmd + 1);
				sb_addch(&f->script, ' ');
				sh_quote(&f->script,
				    l->u.list->items[j]->u.str.s);
				if (j % BATCH_PATHS == BATCH_PATHS - 1 ||
				    j == n - 1) {
					sb_adds(&f->script, " || F ");
					sh_quoten(&f->script, msg,
					    (size_t)(cmd - msg));
					sb_addch(&f->script, '\n');
				}
			}
		}
	}
	f->ops = val_new_dict(f->a);
}

/* Diffs: file.py's initial_diff() and the before/after of attributes. */

static struct value *
initial_diff(struct fctx *f, const char *path, const char *state,
    const char *prev)
{
	struct value *d = val_new_dict(f->a);
	struct value *before = val_new_dict(f->a);
	struct value *after = val_new_dict(f->a);

	val_dict_set(f->a, before, "path", val_new_str(f->a, path));
	val_dict_set(f->a, after, "path", val_new_str(f->a, path));
	if (strcmp(prev, state) != 0) {
		val_dict_set(f->a, before, "state", val_new_str(f->a, prev));
		val_dict_set(f->a, after, "state", val_new_str(f->a, state));
	}
	val_dict_set(f->a, d, "before", before);
	val_dict_set(f->a, d, "after", after);
	return d;
}

static void
diff_set(struct fctx *f, struct value *diff, const char *key,
    struct value *before, struct value *after)
{
	if (diff == NULL)
		return;
	val_dict_set(f->a, val_dict_get(diff, "before"), key, before);
	val_dict_set(f->a, val_dict_get(diff, "after"), key, after);
}

/*
 * basic.py's set_fs_attributes_if_different() for one path: owner, group,
 * then mode.  Queues the commands; *changed as Ansible reports it.
 */
static int
set_attrs(struct fctx *f, const struct view *w, struct value *diff,
    bool *changed)
{
	const struct fsinfo *fi = w->fi;
	bool lnk = !w->deref && is_lnk(fi), chowned = false;
	const char *h = w->deref ? "" : " -h";
	long long m;

	if (f->owner != NULL) {
		if (f->check && !w->exists) {
			*changed = true;
		} else if (!f->uid_ok) {
			return file_fail(f, w->path, "chown failed: failed to "
			    "look up user %s", f->owner);
		} else if (fi->uid != f->uid || w->fresh) {
			if (fi->uid != f->uid) {
				diff_set(f, diff, "owner",
				    val_new_int(f->a, (int64_t)fi->uid),
				    val_new_int(f->a, (int64_t)f->uid));
				*changed = true;
			}
			if (!f->check)
				op_add(f, '0', "chown failed", arena_printf(
				    f->a, "chown%s %lu", h, f->uid), w->path);
			chowned = true;
		}
	}
	if (f->group != NULL) {
		if (f->check && !w->exists) {
			*changed = true;
		} else if (!f->gid_ok) {
			return file_fail(f, w->path, "chgrp failed: failed to "
			    "look up group %s", f->group);
		} else if (fi->gid != f->gid || w->fresh) {
			if (fi->gid != f->gid) {
				diff_set(f, diff, "group",
				    val_new_int(f->a, (int64_t)fi->gid),
				    val_new_int(f->a, (int64_t)f->gid));
				*changed = true;
			}
			if (!f->check)
				op_add(f, '0', "chgrp failed", arena_printf(
				    f->a, "chown%s :%lu", h, f->gid), w->path);
			chowned = true;
		}
	}
	if (f->mode == NULL)
		return 0;
	if (f->check && !w->exists) {
		*changed = true;
		return 0;
	}
	if (want_mode(f, fi, &m) < 0) {
		file_fail(f, w->path, "mode must be in octal or symbolic form");
		res_set_str(f->ctx, f->res, "details", arena_printf(f->a,
		    "bad symbolic permission for mode: %s", f->mode->type ==
		    VAL_STR ? f->mode->u.str.s : "?"));
		return -1;
	}
	if (m < 0 || m > 0xffffffffLL)
		return file_fail(f, w->path, "chmod failed");
	if ((long long)fi->mode != m) {
		diff_set(f, diff, "mode", val_new_str(f->a, mode_str(f,
		    fi->mode)), val_new_str(f->a, mode_str(f, m)));
		if (f->check) {
			*changed = true;
		} else if (!lnk) {
			/* five digits: GNU chmod keeps a directory's set-id
			   bits for shorter octal modes */
			op_add(f, '1', "chmod failed", arena_printf(f->a,
			    "chmod %05llo", m & 07777), w->path);
			if ((unsigned)(m & 07777) != fi->mode)
				*changed = true;
		}
		/* a link: Python chmods the target and puts it back */
	} else if (chowned && !lnk && !f->check && (m & 06000)) {
		/* chown clears set-id bits; Ansible sets the mode after */
		op_add(f, '1', "chmod failed", arena_printf(f->a,
		    "chmod %05llo", m & 07777), w->path);
	}
	return 0;
}

/* file.py's update_timestamp_for_file(). */
static int
set_times(struct fctx *f, const struct view *w, struct value *diff,
    bool *changed)
{
	const struct fsinfo *t = w->tfi;
	struct ftime pm, pa;
	double nm, na;
	bool mdiff, adiff;

	if (f->mt.kind == T_PRESERVE && f->at.kind == T_PRESERVE)
		return 0;
	if (!w->exists || !t->exists)
		return file_fail(f, w->path, "Error while updating "
		    "modification or access time: [Errno 2] No such file or "
		    "directory: '%s'", w->path);
	pm = t->mtime;
	pa = t->atime;
	nm = f->mt.kind == T_NOW ? f->now : f->mt.kind == T_VALUE ?
	    (double)f->mt.sec : ftime_float(&pm);
	na = f->at.kind == T_NOW ? f->now : f->at.kind == T_VALUE ?
	    (double)f->at.sec : ftime_float(&pa);
	if (f->mt.kind == T_NOW && f->at.kind == T_NOW) {
		mdiff = adiff = true;
		if (!f->check)
			op_add(f, '2', "Error while updating modification or "
			    "access time", "touch -c", w->path);
	} else {
		mdiff = f->mt.kind == T_NOW || (f->mt.kind == T_VALUE &&
		    (pm.sec != f->mt.sec || pm.nsec != 0));
		adiff = f->at.kind == T_NOW || (f->at.kind == T_VALUE &&
		    (pa.sec != f->at.sec || pa.nsec != 0));
		if (!mdiff && !adiff)
			return 0;
		if (!f->check && mdiff)
			op_add(f, '2', "Error while updating modification or "
			    "access time", f->mt.kind == T_NOW ? "touch -c -m" :
			    arena_printf(f->a, "touch -c -m -d @%lld",
			    f->mt.sec), w->path);
		if (!f->check && adiff)
			op_add(f, '2', "Error while updating modification or "
			    "access time", f->at.kind == T_NOW ? "touch -c -a" :
			    arena_printf(f->a, "touch -c -a -d @%lld",
			    f->at.sec), w->path);
	}
	if (mdiff)
		diff_set(f, diff, "mtime", val_new_float(f->a,
		    ftime_float(&pm)), val_new_float(f->a, nm));
	if (adiff)
		diff_set(f, diff, "atime", val_new_float(f->a,
		    ftime_float(&pa)), val_new_float(f->a, na));
	*changed = true;
	return 0;
}

static int
set_all(struct fctx *f, const struct view *w, struct value *diff,
    bool *changed)
{
	if (set_attrs(f, w, diff, changed) < 0)
		return -1;
	return set_times(f, w, diff, changed);
}

static struct view
view_of(const struct fsent *e)
{
	struct view w = {
		.path = e->path,
		.fi = &e->l,
		.tfi = &e->t,
		.exists = e->t.exists,
	};

	return w;
}

static void
result_common(struct fctx *f, const char *key, const char *path,
    bool changed, struct value *diff)
{
	res_set_str(f->ctx, f->res, key, path);
	f->res->changed = changed;
	if (diff != NULL)
		res_set(f->ctx, f->res, "diff", diff);
	f->report = path;
}

/* The states. */

static struct value *
walk_list(struct fctx *f, const char *top)
{
	struct value *dirs = val_new_list(f->a), *files = val_new_list(f->a);
	struct value *children = val_new_dict(f->a), *pc, *stack;

	/* os.walk(top): each directory's entries in readdir order (find's
	   order too), directories (links to them included) first */
	for (size_t i = 0; i < f->pr.nlist; i++) {
		const struct lent *l = &f->pr.list[i];
		const char *parent = py_dirname(f->a, l->path);
		struct value *c = val_dict_get(children, parent);

		if (l->kind != 'W')
			continue;
		if (c == NULL) {
			c = val_new_list(f->a);
			val_dict_set(f->a, children, parent, c);
		}
		val_list_push(f->a, c, val_new_int(f->a, (int64_t)i));
	}
	stack = val_new_list(f->a);
	val_list_push(f->a, stack, val_new_str(f->a, top));
	while (stack->u.list->n > 0) {
		const char *d = stack->u.list->items[--stack->u.list->n]->
		    u.str.s;
		struct value *c = val_dict_get(children, d);
		size_t n = c != NULL ? c->u.list->n : 0, sub = 0;
		struct value **subs = NULL;

		if (n == 0)
			continue;
		subs = arena_alloc(f->a, n * sizeof(*subs));
		for (size_t j = 0; j < n; j++) {
			const struct lent *l = &f->pr.list[c->u.list->
			    items[j]->u.i];
			struct value *p = val_new_str(f->a, l->path);

			val_list_push(f->a, l->ty == 'd' ? dirs : files, p);
			if (l->y == 'd')
				subs[sub++] = p;
		}
		/* visit the subdirectories in order: push them reversed */
		while (sub > 0)
			val_list_push(f->a, stack, subs[--sub]);
	}
	pc = val_new_dict(f->a);
	val_dict_set(f->a, pc, "directories", dirs);
	val_dict_set(f->a, pc, "files", files);
	return pc;
}

static int
ensure_absent(struct fctx *f, const struct fsent *e)
{
	const char *prev = get_state(e);
	struct value *diff;

	f->report_ent = e;
	if (strcmp(prev, "absent") == 0) {
		result_common(f, "path", e->path, false, NULL);
		res_set_str(f->ctx, f->res, "state", "absent");
		return 0;
	}
	diff = initial_diff(f, e->path, "absent", prev);
	if (strcmp(prev, "directory") == 0)
		val_dict_set(f->a, val_dict_get(diff, "before"),
		    "path_content", walk_list(f, e->path));
	if (!f->check) {
		sb_adds(&f->script, strcmp(prev, "directory") == 0 ?
		    "rm -rf -- " : "rm -f -- ");
		sh_quote(&f->script, e->path);
		sb_adds(&f->script, strcmp(prev, "directory") == 0 ?
		    " || F 'rmtree failed'\n" : " || F 'unlinking failed'\n");
	}
	result_common(f, "path", e->path, true, diff);
	res_set_str(f->ctx, f->res, "state", "absent");
	return 0;
}

static int
ensure_file(struct fctx *f, const struct fsent *e)
{
	const char *prev = get_state(e);
	struct value *diff;
	struct view w;
	bool changed = false;

	if (strcmp(prev, "file") != 0 && f->follow &&
	    strcmp(prev, "link") == 0) {
		e = follow_ent(f, e);
		prev = get_state(e);
	}
	f->report_ent = e;
	if (strcmp(prev, "file") != 0 && strcmp(prev, "hard") != 0) {
		file_fail(f, e->path, "file (%s) is %s, cannot continue",
		    e->path, prev);
		res_set_str(f->ctx, f->res, "state", prev);
		return -1;
	}
	diff = initial_diff(f, e->path, "file", prev);
	w = view_of(e);
	if (set_all(f, &w, diff, &changed) < 0)
		return -1;
	result_common(f, "path", e->path, changed, diff);
	return 0;
}

/* A listing entry as a view (recursion). */
static struct view
view_of_lent(struct fctx *f, const struct lent *l, bool deref)
{
	struct fsinfo *fi = arena_alloc(f->a, sizeof(*fi));
	struct view w;

	fi->exists = true;
	fi->fmt = l->y == 'l' ? S_IFLNK : l->y == 'd' ? S_IFDIR : S_IFREG;
	fi->mode = l->mode;
	fi->uid = l->uid;
	fi->gid = l->gid;
	fi->mtime = l->mtime;
	fi->atime = l->atime;
	memset(&w, 0, sizeof(w));
	w.path = l->path;
	w.fi = fi;
	w.tfi = fi;
	w.exists = l->ty != 'N' && l->ty != 'L' && l->ty != '?';
	w.deref = deref;
	return w;
}

/* file.py's recursive_set_attributes(), from the probe's listings. */
static int
recurse_attrs(struct fctx *f, bool *changed)
{
	struct value *physical = val_new_dict(f->a);

	for (size_t i = 0; i < f->pr.nlist; i++) {
		const struct lent *l = &f->pr.list[i];
		struct view w;

		if (l->kind != 'E')
			continue;
		val_dict_set(f->a, physical, l->path, val_bool(l->y == 'l'));
		w = view_of_lent(f, l, false);
		if (set_all(f, &w, NULL, changed) < 0)
			return -1;
	}
	if (!f->follow)
		return 0;
	/* links followed: their targets, and what is under linked dirs */
	for (size_t i = 0; i < f->pr.nlist; i++) {
		const struct lent *l = &f->pr.list[i];
		const struct value *ph;
		struct view w;

		if (l->kind != 'F' || l->y == 'l')
			continue;
		ph = val_dict_get(physical, l->path);
		if (ph != NULL && !val_truthy(ph))
			continue;	/* seen in the physical walk */
		w = view_of_lent(f, l, true);
		if (set_all(f, &w, NULL, changed) < 0)
			return -1;
	}
	return 0;
}

static int
ensure_directory(struct fctx *f, const struct fsent *e)
{
	const char *prev = get_state(e);
	struct value *diff;
	bool changed = false;

	if (f->follow && strcmp(prev, "link") == 0) {
		e = follow_ent(f, e);
		prev = get_state(e);
	}
	f->report_ent = e;
	diff = initial_diff(f, e->path, "directory", prev);
	if (strcmp(prev, "absent") == 0) {
		const struct fsinfo *parent = NULL;
		struct fsinfo *made = NULL;

		if (f->check) {
			result_common(f, "path", e->path, true, diff);
			return 0;
		}
		/* mkdir each missing component, attributes on each */
		for (size_t i = 0; i < f->pr.nents; i++) {
			const struct fsent *c = &f->pr.ents[i];
			struct view w;

			if (c->kind == 'd') {
				parent = &c->t;
				continue;
			}
			if (c->kind != 'D')
				continue;
			if (c->t.exists) {
				parent = &c->t;
				continue;
			}
			sb_adds(&f->script, "mkdir -- ");
			sh_quote(&f->script, c->path);
			sb_adds(&f->script, " || F ");
			sh_quote(&f->script, arena_printf(f->a, "There was an "
			    "issue creating %s as requested", c->path));
			sb_addch(&f->script, '\n');
			changed = true;
			made = arena_alloc(f->a, sizeof(*made));
			made->exists = true;
			made->fmt = S_IFDIR;
			made->mode = 0777 & ~f->pr.umask;
			made->uid = f->pr.euid;
			made->gid = f->pr.egid;
			if (parent != NULL && (parent->mode & S_ISGID)) {
				made->mode |= S_ISGID;
				made->gid = parent->gid;
			}
			memset(&w, 0, sizeof(w));
			w.path = c->path;
			w.fi = made;
			w.tfi = made;
			w.exists = true;
			w.fresh = true;
			if (set_attrs(f, &w, diff, &changed) < 0)
				return -1;
			op_flush(f);
			if (f->mode != NULL) {
				long long m;

				if (want_mode(f, made, &m) == 0)
					made->mode = (unsigned)m & 07777;
			}
			if (f->gid_ok && f->group != NULL)
				made->gid = f->gid;
			parent = made;
		}
		if (made == NULL)
			return file_fail(f, e->path, "There was an issue "
			    "creating %s as requested: no component to "
			    "create", e->path);
		/* timestamps of a directory made this very moment */
		made->mtime = made->atime = f->now_ft;
		{
			struct view w = { .path = e->path, .fi = made,
			    .tfi = made, .exists = true };

			if (set_times(f, &w, diff, &changed) < 0)
				return -1;
		}
		result_common(f, "path", e->path, changed, diff);
		return 0;
	}
	if (strcmp(prev, "directory") != 0)
		return file_fail(f, e->path, "%s already exists as a %s",
		    e->path, prev);
	{
		struct view w = view_of(e);

		if (set_all(f, &w, diff, &changed) < 0)
			return -1;
	}
	op_flush(f);
	if (f->recurse && recurse_attrs(f, &changed) < 0)
		return -1;
	result_common(f, "path", e->path, changed, diff);
	return 0;
}

/* Replace path by what cmd (ln ...) makes at "$t", atomically. */
static void
replace_with(struct fctx *f, const char *path, const char *ln,
    const char *src)
{
	const char *dir = py_dirname(f->a, path);

	sb_adds(&f->script, "t=");
	sh_quote(&f->script, arena_printf(f->a, "%s/.muster.",
	    dir[0] != '\0' ? dir : "."));
	sb_adds(&f->script, "$$.tmp; ");
	sb_addf(&f->script, "%s -- ", ln);
	sh_quote(&f->script, src);
	sb_adds(&f->script, " \"$t\" && mv -fT -- \"$t\" ");
	sh_quote(&f->script, path);
	sb_adds(&f->script, " || { rm -f -- \"$t\"; F 'Error while "
	    "replacing'; }\n");
}

static int
ensure_symlink(struct fctx *f, const struct fsent *e)
{
	const char *prev = get_state(e), *src = f->src;
	const struct fsent *a = probe_find(&f->pr, 'A');
	struct value *diff;
	bool changed = false, made, now_link;
	const struct fsent *fa;

	if (src == NULL && f->follow && e->t.exists) {
		if (!is_lnk(&e->l))
			return file_fail(f, e->path, "Error while reading the "
			    "link: [Errno 22] Invalid argument: '%s'", e->path);
		src = e->lnk_target;
		a = NULL;	/* the link's own target: it exists */
	}
	if (!f->force && src != NULL && a != NULL && !a->t.exists) {
		file_fail(f, e->path, "src file does not exist, use "
		    "\"force=yes\" if you really want to create the link: %s",
		    a->path);
		res_set_str(f->ctx, f->res, "src", src);
		return -1;
	}
	if (strcmp(prev, "directory") == 0) {
		if (!f->force)
			return file_fail(f, e->path, "refusing to convert from "
			    "%s to symlink for %s", prev, e->path);
		if (e->l.nlink > 2 || probe_find(&f->pr, 'N') != NULL)
			return file_fail(f, e->path, "the directory %s is not "
			    "empty, refusing to convert it", e->path);
	} else if ((strcmp(prev, "file") == 0 || strcmp(prev, "hard") == 0)
	    && !f->force) {
		return file_fail(f, e->path, "refusing to convert from %s to "
		    "symlink for %s", prev, e->path);
	}
	diff = initial_diff(f, e->path, "link", prev);
	if (strcmp(prev, "link") != 0) {
		if (src == NULL) {
			res_fail(f->ctx, f->res, "src is required for creating "
			    "new symlinks");
			return -1;
		}
		changed = true;
	} else if (src != NULL && strcmp(e->lnk_target != NULL ?
	    e->lnk_target : "", src) != 0) {
		diff_set(f, diff, "src", val_new_str(f->a, e->lnk_target),
		    val_new_str(f->a, src));
		changed = true;
	}
	made = changed && !f->check;
	if (made && strcmp(prev, "absent") == 0) {
		sb_adds(&f->script, "ln -s -- ");
		sh_quote(&f->script, src);
		sb_addch(&f->script, ' ');
		sh_quote(&f->script, e->path);
		sb_adds(&f->script, " || F 'Error while linking'\n");
	} else if (made) {
		if (strcmp(prev, "directory") == 0) {
			sb_adds(&f->script, "rmdir -- ");
			sh_quote(&f->script, e->path);
			sb_adds(&f->script, " || F 'Error while replacing'\n");
		}
		replace_with(f, e->path, "ln -s", src);
	}
	f->report_ent = e;
	if (f->check && !e->t.exists) {
		res_set(f->ctx, f->res, "src", src != NULL ?
		    val_new_str(f->a, src) : &val_none);
		result_common(f, "dest", e->path, changed, diff);
		return 0;
	}
	/* the path attributes go to, once the link is in place */
	now_link = made || is_lnk(&e->l);
	if (made && f->follow) {
		struct fsent *r = arena_alloc(f->a, sizeof(*r));

		if (a == NULL)
			a = e;
		*r = *a;
		if (is_lnk(&a->l)) {
			r->path = a->realpath;
			r->l = a->t;
		}
		fa = r;
	} else if (made) {
		struct fsent *r = arena_alloc(f->a, sizeof(*r));

		r->path = e->path;
		r->l.exists = true;
		r->l.fmt = S_IFLNK;
		r->l.mode = 0777;
		r->l.uid = f->pr.euid;
		r->l.gid = f->pr.egid;
		r->t = a != NULL ? a->t : e->t;
		fa = r;
	} else if (f->follow && is_lnk(&e->l)) {
		fa = follow_ent(f, e);
	} else {
		fa = e;
	}
	if (f->follow && now_link && !fa->t.exists) {
		res_warn(f->ctx, f->res, "Cannot set fs attributes on a "
		    "non-existent symlink target. follow should be set to "
		    "False to avoid this.");
	} else {
		struct view w = view_of(fa);

		w.fresh = made && !f->follow;
		if (set_all(f, &w, diff, &changed) < 0)
			return -1;
	}
	res_set(f->ctx, f->res, "src", src != NULL ? val_new_str(f->a, src) :
	    &val_none);
	result_common(f, "dest", e->path, changed, diff);
	return 0;
}

static int
ensure_hardlink(struct fctx *f, const struct fsent *e)
{
	const char *prev = get_state(e), *src = f->src;
	const struct fsent *h = probe_find(&f->pr, 'H'), *fa;
	struct value *diff;
	bool changed = false, made;

	if (strcmp(prev, "hard") != 0 && src == NULL) {
		res_fail(f->ctx, f->res, "src is required for creating new "
		    "hardlinks");
		return -1;
	}
	if (src != NULL && (h == NULL || !h->t.exists)) {
		res_fail(f->ctx, f->res, "src does not exist");
		res_set_str(f->ctx, f->res, "dest", e->path);
		res_set_str(f->ctx, f->res, "src", src);
		f->fail_path = e->path;
		return -1;
	}
	diff = initial_diff(f, e->path, "hard", prev);
	if (strcmp(prev, "absent") == 0) {
		changed = true;
	} else if (strcmp(prev, "link") == 0) {
		if (strcmp(e->lnk_target != NULL ? e->lnk_target : "",
		    src != NULL ? src : "") != 0) {
			diff_set(f, diff, "src", val_new_str(f->a,
			    e->lnk_target), src != NULL ?
			    val_new_str(f->a, src) : &val_none);
			changed = true;
		}
	} else if (strcmp(prev, "hard") == 0) {
		if (src != NULL && e->t.ino != h->t.ino) {
			changed = true;
			if (!f->force)
				goto different;
		}
	} else if (strcmp(prev, "file") == 0) {
		changed = true;
		if (!f->force) {
			res_fail(f->ctx, f->res, "Cannot link, file exists at "
			    "destination");
			goto fail_keys;
		}
	} else {		/* directory */
		changed = true;
		if (e->t.ino == h->t.ino) {
			f->report_ent = e;
			result_common(f, "path", e->path, false, NULL);
			return 0;
		}
		if (!f->force) {
			res_fail(f->ctx, f->res, "Cannot link: different hard "
			    "link exists at destination");
			goto fail_keys;
		}
	}
	made = changed && !f->check;
	if (made && strcmp(prev, "absent") == 0) {
		sb_adds(&f->script, "ln -L -- ");
		sh_quote(&f->script, src);
		sb_addch(&f->script, ' ');
		sh_quote(&f->script, e->path);
		sb_adds(&f->script, " || F 'Error while linking'\n");
	} else if (made) {
		replace_with(f, e->path, "ln -L", src);
	}
	f->report_ent = e;
	if (f->check && !e->t.exists) {
		res_set(f->ctx, f->res, "src", src != NULL ?
		    val_new_str(f->a, src) : &val_none);
		result_common(f, "dest", e->path, changed, diff);
		return 0;
	}
	/* file_args were taken before the change: an old link's target */
	if (f->follow && is_lnk(&e->l)) {
		fa = follow_ent(f, e);
	} else if (made) {
		struct fsent *r = arena_alloc(f->a, sizeof(*r));

		*r = *h;
		r->path = e->path;
		r->l = h->t;
		fa = r;
	} else {
		fa = e;
	}
	{
		struct view w = view_of(fa);

		if (set_all(f, &w, diff, &changed) < 0)
			return -1;
	}
	res_set(f->ctx, f->res, "src", src != NULL ? val_new_str(f->a, src) :
	    &val_none);
	result_common(f, "dest", e->path, changed, diff);
	return 0;
different:
	res_fail(f->ctx, f->res, "Cannot link, different hard link exists at "
	    "destination");
fail_keys:
	res_set_str(f->ctx, f->res, "dest", e->path);
	res_set_str(f->ctx, f->res, "src", src);
	f->fail_path = e->path;
	return -1;
}

static int
execute_touch(struct fctx *f, const struct fsent *e)
{
	const char *prev = get_state(e);
	struct value *diff;
	bool changed = false;
	struct view w;

	f->report_ent = e;
	if (strcmp(prev, "absent") == 0) {
		struct fsinfo *made;
		struct fsent *r;

		if (f->check) {
			result_common(f, "dest", e->path, true, NULL);
			return 0;
		}
		sb_adds(&f->script, ": >> ");
		sh_quote(&f->script, e->path);
		sb_adds(&f->script, " || F 'Error, could not touch target'\n");
		changed = true;
		made = arena_alloc(f->a, sizeof(*made));
		made->exists = true;
		made->fmt = S_IFREG;
		made->mode = 0666 & ~f->pr.umask;
		made->uid = f->pr.euid;
		made->gid = f->pr.egid;
		made->nlink = 1;
		made->mtime = made->atime = f->now_ft;
		r = arena_alloc(f->a, sizeof(*r));
		r->path = e->path;
		r->l = *made;
		r->t = *made;
		e = r;
	}
	diff = initial_diff(f, e->path, "touch", prev);
	if (f->follow && is_lnk(&e->l))
		w = view_of(follow_ent(f, e));
	else
		w = view_of(e);
	w.fresh = strcmp(prev, "absent") == 0;
	if (set_all(f, &w, diff, &changed) < 0)
		return -1;
	result_common(f, "dest", e->path, changed, diff);
	return 0;
}

/* Timestamps: file.py's get_timestamp_for_time(). */
static int
parse_tspec(struct fctx *f, const char *v, const char *fmt,
    struct tspec *t)
{
	struct tm tm;
	const char *end;

	t->kind = T_PRESERVE;
	if (v == NULL || strcmp(v, "preserve") == 0)
		return 0;
	if (strcmp(v, "now") == 0) {
		t->kind = T_NOW;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = 1;
	end = strptime(v, fmt, &tm);
	if (end == NULL || *end != '\0') {
		res_fail(f->ctx, f->res, "Error while obtaining timestamp for "
		    "time %s using format %s: time data '%s' does not match "
		    "format '%s'", v, fmt, v, fmt);
		return -1;
	}
	tm.tm_isdst = -1;
	t->kind = T_VALUE;
	t->sec = (long long)mktime(&tm);
	return 0;
}

/* file.py's keep_backward_compatibility_on_timestamps(). */
static const char *
time_default(const char *v, const char *state)
{
	if (v != NULL)
		return v;
	return strcmp(state, "touch") == 0 ? "now" :
	    strcmp(state, "absent") == 0 ? NULL : "preserve";
}

/* The probe. */

static bool
is_number(const char *s)
{
	long long n;

	return py_int(s, 10, &n) == 0;
}

static void
build_probe(struct fctx *f, struct strbuf *sb, const char *path,
    const char *state, const char *base)
{
	bool src_states = state == NULL || strcmp(state, "link") == 0 ||
	    strcmp(state, "hard") == 0;
	bool dir_state = state != NULL ? strcmp(state, "directory") == 0 :
	    f->recurse;

	sb_adds(sb, shell_funcs);
	sb_adds(sb, "printf 'U %s\\nI %s %s\\n' \"$(umask)\" \"$(id -u)\" "
	    "\"$(id -g)\"\np=");
	sh_quote_path(sb, path);
	sb_adds(sb, "\nw=\n");
	if (base != NULL) {
		sb_adds(sb, "if [ -d \"$p\" ]; then p=");
		sh_quote_path(sb, py_join(f->a, path, base));
		sb_adds(sb, "; w=1; fi\n");
	}
	sb_adds(sb, "S P \"$p\"\n");
	if (f->src != NULL) {
		sb_adds(sb, "s=");
		sh_quote_path(sb, f->src);
		sb_adds(sb, "\nprintf 'Z %s\\n' \"$s\"\n");
	}
	if (f->src != NULL && src_states) {
		/* a link's src is relative to the link's directory */
		if (f->src[0] == '/' || f->src[0] == '~') {
			sb_adds(sb, "a=$s\n");
		} else {
			sb_adds(sb, "if [ -n \"$w\" ] || { [ ! -L \"$p\" ] && "
			    "[ -d \"$p\" ]; }; then a=");
			sh_quote_path(sb, py_join(f->a, path, f->src));
			sb_adds(sb, "; else a=");
			sh_quote_path(sb, py_join(f->a, py_dirname(f->a, path),
			    f->src));
			sb_adds(sb, "; fi\n");
		}
		sb_adds(sb, "S A \"$a\"\nS H \"$s\"\n");
	}
	if (state != NULL && strcmp(state, "link") == 0 && f->force)
		sb_adds(sb, "if [ ! -L \"$p\" ] && [ -d \"$p\" ] && "
		    "[ -n \"$(ls -A -- \"$p\")\" ]; then echo '@ N -'; fi\n");
	if (f->owner != NULL && !is_number(f->owner)) {
		sb_adds(sb, "printf 'O %s\\n' \"$(getent passwd ");
		sh_quote(sb, f->owner);
		sb_adds(sb, " | cut -d: -f3)\"\n");
	}
	if (f->group != NULL && !is_number(f->group)) {
		sb_adds(sb, "printf 'G %s\\n' \"$(getent group ");
		sh_quote(sb, f->group);
		sb_adds(sb, " | cut -d: -f3)\"\n");
	}
	if (dir_state) {
		/* what file.py's ensure_directory() would mkdir */
		sb_adds(sb, "t=$p\n");
		if (f->follow)
			sb_adds(sb, "if [ -L \"$t\" ]; then "
			    "t=$(realpath -m -- \"$t\"); fi\n");
		sb_adds(sb,
		    "if [ ! -e \"$t\" ] && [ ! -L \"$t\" ]; then\n"
		    "case $t in /*) S d /; b=1;; *) S d .; b=;; esac\n"
		    "r=$t\n"
		    "while case $r in */) true;; *) false;; esac; do "
		    "r=${r%/}; done\n"
		    "while case $r in /*) true;; *) false;; esac; do "
		    "r=${r#/}; done\n"
		    "c=; n=; IFS=/; set -f\n"
		    "for x in $r; do if [ -n \"$b\" ] || [ -n \"$n\" ]; then "
		    "c=$c/$x; else c=$x; fi; n=1; S D \"$c\"; done\n"
		    "unset IFS; set +f\nfi\n");
	}
	if (f->recurse && (f->owner != NULL || f->group != NULL ||
	    f->mode != NULL || f->mtime_arg != NULL ||
	    f->atime_arg != NULL)) {
		sb_adds(sb, "d=$p\n");
		if (f->follow)
			sb_adds(sb, "if [ -L \"$d\" ]; then "
			    "d=$(realpath -m -- \"$d\"); fi\n");
		sb_adds(sb, "if [ -d \"$d\" ] && [ ! -L \"$d\" ]; then "
		    "echo '#'; find \"$d\" -mindepth 1 -printf 'E'" LIST_FMT
		    "\n");
		if (f->follow)
			sb_adds(sb, "if [ -n \"$(find \"$d\" -mindepth 1 "
			    "-type l -print -quit)\" ]; then find -L \"$d\" "
			    "-mindepth 1 -printf 'F'" LIST_FMT " 2>/dev/null; "
			    "fi\n");
		sb_adds(sb, "fi\n");
	} else if (state != NULL && strcmp(state, "absent") == 0) {
		sb_adds(sb, "if [ ! -L \"$p\" ] && [ -d \"$p\" ]; then "
		    "echo '#'; find \"$p\" -mindepth 1 -printf 'W'" LIST_FMT
		    "; fi\n");
	}
	sb_adds(sb, "exit 0\n");
}

/* Run a sh script: on the command line, or on stdin when it is long. */
static int
run_script(struct fctx *f, const char *script, struct conn_result *cr,
    struct err *err)
{
	if (strlen(script) < 32768)
		return conn_exec(f->ctx->conn, script, f->ctx->become, NULL, 0,
		    cr, err);
	return conn_exec(f->ctx->conn, "exec /bin/sh -s", f->ctx->become,
	    script, strlen(script), cr, err);
}

/* basic.py's add_path_info(): what the result says about the path. */
static void
add_path_info(struct fctx *f, const struct fsent *e)
{
	const char *state;

	if (e == NULL || !e->t.exists)
		return;
	res_set(f->ctx, f->res, "uid", val_new_int(f->a, (int64_t)e->l.uid));
	res_set(f->ctx, f->res, "gid", val_new_int(f->a, (int64_t)e->l.gid));
	res_set_str(f->ctx, f->res, "owner", e->l.owner != NULL ? e->l.owner :
	    arena_printf(f->a, "%lu", e->l.uid));
	res_set_str(f->ctx, f->res, "group", e->l.group != NULL ? e->l.group :
	    arena_printf(f->a, "%lu", e->l.gid));
	res_set_str(f->ctx, f->res, "mode", mode_str(f, e->l.mode));
	if (is_lnk(&e->l))
		state = "link";
	else if (is_dir(&e->t))
		state = "directory";
	else if (e->t.nlink > 1)
		state = "hard";
	else
		state = "file";
	res_set_str(f->ctx, f->res, "state", state);
	res_set(f->ctx, f->res, "size", val_new_int(f->a,
	    (int64_t)e->l.size));
}

/* The probed entry describing path (P, or the followed link's target). */
static const struct fsent *
ent_for(struct fctx *f, const char *path)
{
	const struct fsent *p = probe_find(&f->pr, 'P');

	if (f->report_ent != NULL && strcmp(f->report_ent->path, path) == 0)
		return f->report_ent;
	if (p != NULL && strcmp(p->path, path) == 0)
		return p;
	return NULL;
}

static int
decide(struct fctx *f, const struct value *args, const char *state)
{
	const struct fsent *e = probe_find(&f->pr, 'P');
	const char *prev = get_state(e);

	if (state == NULL) {
		if (strcmp(prev, "absent") != 0)
			state = prev;
		else
			state = f->recurse ? "directory" : "file";
	}
	if (f->recurse && strcmp(state, "directory") != 0)
		return file_fail(f, e->path, "recurse option requires state "
		    "to be 'directory'");
	if (f->src != NULL && strcmp(state, "link") != 0 &&
	    strcmp(state, "hard") != 0)
		return file_fail(f, e->path, "src option requires state to be "
		    "'link' or 'hard'");
	if (f->pr.uid != NULL && f->pr.uid[0] != '\0') {
		f->uid_ok = true;
		f->uid = strtoul(f->pr.uid, NULL, 10);
	}
	if (f->pr.gid != NULL && f->pr.gid[0] != '\0') {
		f->gid_ok = true;
		f->gid = strtoul(f->pr.gid, NULL, 10);
	}
	if (strcmp(state, "absent") == 0)
		return ensure_absent(f, e);
	/* file.py's check_owner_exists()/check_group_exists() */
	if (f->check && f->owner != NULL && !f->uid_ok)
		res_warn(f->ctx, f->res, arena_printf(f->a, "failed to look "
		    "up user %s. Create user up to this point in real play",
		    f->owner));
	if (f->check && f->group != NULL && !f->gid_ok)
		res_warn(f->ctx, f->res, arena_printf(f->a, "failed to look "
		    "up group %s. Create group up to this point in real play",
		    f->group));
	if (parse_tspec(f, time_default(f->mtime_arg, state),
	    arg_str(args, "modification_time_format"), &f->mt) < 0 ||
	    parse_tspec(f, time_default(f->atime_arg, state),
	    arg_str(args, "access_time_format"), &f->at) < 0)
		return -1;
	if (strcmp(state, "file") == 0)
		return ensure_file(f, e);
	if (strcmp(state, "directory") == 0)
		return ensure_directory(f, e);
	if (strcmp(state, "link") == 0)
		return ensure_symlink(f, e);
	if (strcmp(state, "hard") == 0)
		return ensure_hardlink(f, e);
	return execute_touch(f, e);
}

/* Apply the decided steps; the final state comes back as record F. */
static int
apply_changes(struct fctx *f, struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct conn_result cr;
	struct probe pr;
	int rc;

	sb_adds(&sb, shell_funcs);
	sb_adds(&sb, "R=");
	sh_quote(&sb, f->report);
	sb_addch(&sb, '\n');
	sb_add(&sb, f->script.buf, f->script.len);
	sb_adds(&sb, "S F \"$R\"\n");
	conn_result_init(&cr);
	rc = run_script(f, sb.buf, &cr, err);
	sb_release(&sb);
	if (rc < 0) {
		conn_result_release(&cr);
		return -1;
	}
	memset(&pr, 0, sizeof(pr));
	probe_parse(f->a, cr.out.buf, cr.out.len, &pr);
	if (cr.rc != 0) {
		sb_rtrim(&cr.err);
		res_fail(f->ctx, f->res, "%s: %s", pr.failed != NULL ?
		    pr.failed : "failed", cr.err.len > 0 ? cr.err.buf :
		    "unknown error");
		res_set_str(f->ctx, f->res, "path", f->report);
	}
	add_path_info(f, probe_find(&pr, 'F'));
	conn_result_release(&cr);
	return 0;
}

static int
file_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	const char *path = arg_str(args, "path");
	const char *state = arg_str(args, "state");
	const char *src = arg_str(args, "src"), *base = NULL, *ob;
	struct strbuf probe = STRBUF_INIT;
	struct conn_result cr;
	struct timespec ts;
	struct fctx f;
	int rc;

	memset(&f, 0, sizeof(f));
	f.ctx = ctx;
	f.a = ctx->a;
	f.res = res;
	f.check = ctx->check_mode;
	f.mode = val_dict_get(args, "mode");
	f.owner = arg_str(args, "owner");
	f.group = arg_str(args, "group");
	f.follow = arg_bool(args, "follow");
	f.force = arg_bool(args, "force");
	f.recurse = arg_bool(args, "recurse");
	f.src = src;
	f.mtime_arg = arg_str(args, "modification_time");
	f.atime_arg = arg_str(args, "access_time");
	f.ops = val_new_dict(f.a);
	sb_init(&f.script);
	clock_gettime(CLOCK_REALTIME, &ts);
	f.now = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
	f.now_ft.sec = (long long)ts.tv_sec;
	f.now_ft.nsec = ts.tv_nsec;
	/* where module.warn()'s list stands; dropped at the end if empty */
	res_set(ctx, res, "warnings", val_new_list(f.a));
	if (f.owner != NULL && is_number(f.owner)) {
		long long n;

		py_int(f.owner, 10, &n);
		f.uid_ok = true;
		f.uid = (unsigned long)n;
	}
	if (f.group != NULL && is_number(f.group)) {
		long long n;

		py_int(f.group, 10, &n);
		f.gid_ok = true;
		f.gid = (unsigned long)n;
	}

	/* a directory path means the file inside it (file.py) */
	ob = arg_str(args, "_original_basename");
	if (state == NULL || (strcmp(state, "link") != 0 &&
	    strcmp(state, "absent") != 0)) {
		if (ob != NULL && ob[0] != '\0')
			base = ob;
		else if (src != NULL && py_basename(src)[0] != '\0')
			base = py_basename(src);
	}
	build_probe(&f, &probe, path, state, base);
	conn_result_init(&cr);
	rc = run_script(&f, probe.buf, &cr, err);
	sb_release(&probe);
	if (rc < 0)
		goto out;
	probe_parse(f.a, cr.out.buf, cr.out.len, &f.pr);
	if (cr.rc != 0 || probe_find(&f.pr, 'P') == NULL) {
		sb_rtrim(&cr.err);
		res_fail(ctx, res, "cannot read the state of '%s': %s", path,
		    cr.err.len > 0 ? cr.err.buf : "no answer");
		goto out;
	}
	if (f.pr.src != NULL)
		f.src = f.pr.src;
	if (f.owner != NULL && !f.uid_ok)
		f.pr.uid = f.pr.uid != NULL ? f.pr.uid : "";
	else
		f.pr.uid = NULL;
	if (f.group != NULL && !f.gid_ok)
		f.pr.gid = f.pr.gid != NULL ? f.pr.gid : "";
	else
		f.pr.gid = NULL;

	if (decide(&f, args, state) < 0) {
		add_path_info(&f, f.fail_path != NULL ?
		    ent_for(&f, f.fail_path) : NULL);
		goto out;
	}
	op_flush(&f);
	if (f.script.len > 0 && !f.check)
		rc = apply_changes(&f, err);
	else
		add_path_info(&f, ent_for(&f, f.report));
out:
	if (val_len(val_dict_get(res->v, "warnings")) == 0)
		val_dict_del(res->v, "warnings");
	conn_result_release(&cr);
	sb_release(&f.script);
	return rc;
}

const struct module module_file = {
	.name = "file",
	.summary = "manage files, directories, links and their attributes",
	.args = file_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = file_run,
};
