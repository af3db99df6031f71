/*
 * apt_repository: a one-line apt source in /etc/apt/sources.list or
 * sources.list.d/NAME.list, as Ansible 2.14's apt_repository module keeps it
 * (its SourcesList class): every file is read with one command, parsed and
 * edited here, and, when the sources changed, every file whose normalised
 * text differs is written back atomically (a file left without lines is
 * removed), then `apt-get update` unless update_cache is false.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "apt.h"
#include "shell.h"

static const char *const state_choices[] = { "absent", "present", NULL };
static const char *const uc_aliases[] = { "update-cache", NULL };

static const struct arg_spec apt_repository_args[] = {
	{ .name = "repo", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "state", .type = ARG_STR, .dflt = "present",
	  .choices = state_choices },
	{ .name = "mode", .type = ARG_MODE },
	{ .name = "update_cache", .type = ARG_BOOL, .dflt = "true",
	  .aliases = uc_aliases },
	{ .name = "update_cache_retries", .type = ARG_INT, .dflt = "5" },
	{ .name = "update_cache_retry_max_delay", .type = ARG_INT,
	  .dflt = "12" },
	{ .name = "filename", .type = ARG_STR },
	{ .name = "install_python_apt", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "validate_certs", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "codename", .type = ARG_STR },
	{ .name = NULL },
};

#define SOURCES_LIST "/etc/apt/sources.list"
#define SOURCES_DIR "/etc/apt/sources.list.d"

struct src_line {
	bool		 valid, enabled;
	const char	*source, *comment;
};

struct src_file {
	const char	*path;
	const char	*text;		/* as read; NULL: a new file */
	struct src_line	*lines;
	size_t		 n, alloc;
	bool		 is_new;
};

struct sources {
	struct arena	*a;
	struct src_file	*files;
	size_t		 n, alloc;
};

/* Python's " ".join(s.split()). */
static const char *
squash(struct arena *a, const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	const char *end = s + len, *w;
	const char *r;

	while (s < end) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s == end)
			break;
		for (w = s; s < end && !isspace((unsigned char)*s); s++)
			;
		if (sb.len > 0)
			sb_addch(&sb, ' ');
		sb_add(&sb, w, (size_t)(s - w));
	}
	r = arena_strndup(a, sb.buf, sb.len);
	sb_release(&sb);
	return r;
}

static bool
is_type(const char *s)
{
	return strncmp(s, "deb ", 4) == 0 || strcmp(s, "deb") == 0 ||
	    strncmp(s, "deb-src ", 8) == 0 || strcmp(s, "deb-src") == 0;
}

/* SourcesList._parse(). */
static void
parse_line(struct arena *a, const char *s, size_t len, struct src_line *l)
{
	const char *end = s + len, *hash;

	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	l->enabled = true;
	l->valid = false;
	l->comment = "";
	if (s < end && *s == '#') {
		l->enabled = false;
		s++;
	}
	hash = memchr(s, '#', (size_t)(end - s));
	if (hash != NULL && hash > s) {
		/* .strip() of the comment, inner spaces kept */
		{
			const char *c = hash + 1, *ce = end;

			while (c < ce && isspace((unsigned char)*c))
				c++;
			while (ce > c && isspace((unsigned char)ce[-1]))
				ce--;
			l->comment = arena_strndup(a, c, (size_t)(ce - c));
		}
		end = hash;
	}
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	l->source = arena_strndup(a, s, (size_t)(end - s));
	if (*l->source != '\0') {
		const char *sq = squash(a, s, (size_t)(end - s));

		if (is_type(sq)) {
			l->valid = true;
			l->source = sq;
		}
	}
}

static struct src_file *
add_file(struct sources *srcs, const char *path)
{
	struct src_file *f;

	if (srcs->n == srcs->alloc) {
		size_t na = srcs->alloc ? srcs->alloc * 2 : 8;

		srcs->files = arena_realloc(srcs->a, srcs->files,
		    srcs->alloc * sizeof(*f), na * sizeof(*f));
		srcs->alloc = na;
	}
	f = &srcs->files[srcs->n++];
	memset(f, 0, sizeof(*f));
	f->path = arena_strdup(srcs->a, path);
	return f;
}

static struct src_line *
add_line(struct sources *srcs, struct src_file *f)
{
	if (f->n == f->alloc) {
		size_t na = f->alloc ? f->alloc * 2 : 16;

		f->lines = arena_realloc(srcs->a, f->lines,
		    f->alloc * sizeof(*f->lines), na * sizeof(*f->lines));
		f->alloc = na;
	}
	return &f->lines[f->n++];
}

/* The probe's output: "\0F path\0" then the file's bytes, per file. */
static void
load(struct sources *srcs, const char *out, size_t len)
{
	const char *p = out, *end = out + len;

	while (p < end) {
		const char *name, *nul, *next, *lp;
		struct src_file *f;

		if (*p != '\0' || p + 3 > end || p[1] != 'F')
			break;
		name = p + 3;
		nul = memchr(name, '\0', (size_t)(end - name));
		if (nul == NULL)
			break;
		f = add_file(srcs, arena_strndup(srcs->a, name,
		    (size_t)(nul - name)));
		p = nul + 1;
		next = memchr(p, '\0', (size_t)(end - p));
		if (next == NULL)
			next = end;
		f->text = arena_strndup(srcs->a, p, (size_t)(next - p));
		for (lp = p; lp < next;) {
			const char *nl = memchr(lp, '\n', (size_t)(next - lp));
			const char *le = nl != NULL ? nl : next;

			parse_line(srcs->a, lp, (size_t)(le - lp),
			    add_line(srcs, f));
			lp = nl != NULL ? nl + 1 : next;
		}
		p = next;
	}
}

static void
dump_file(struct strbuf *sb, const struct src_file *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		const struct src_line *l = &f->lines[i];

		if (!l->enabled)
			sb_adds(sb, "# ");
		sb_adds(sb, l->source);
		if (*l->comment != '\0') {
			sb_adds(sb, " # ");
			sb_adds(sb, l->comment);
		}
		sb_addch(sb, '\n');
	}
}

/* _suggest_filename(): "deb http://x.org/debian bookworm" -> x_org_debian */
static const char *
suggest_filename(struct arena *a, const char *source, const char *filename)
{
	struct strbuf sb = STRBUF_INIT, w = STRBUF_INIT;
	const char *p = source, *q, *r;

	if (filename != NULL)
		return arena_printf(a, "%s.list", filename);
	/* drop [options] and scheme:// and the type words */
	while (*p != '\0') {
		if (*p == '[' && (q = strchr(p + 1, ']')) != NULL &&
		    q > p + 1) {
			p = q + 1;
			continue;
		}
		for (q = p; isalnum((unsigned char)*q) || *q == '_'; q++)
			;
		if (q > p && strncmp(q, "://", 3) == 0) {
			p = q + 3;
			continue;
		}
		if (q > p) {
			sb_add(&sb, p, (size_t)(q - p));
			p = q;
		} else
			sb_addch(&sb, *p++);
	}
	/* the first word that is not deb/deb-src, user:password@ dropped */
	for (p = sb.buf;;) {
		while (isspace((unsigned char)*p))
			p++;
		for (q = p; *q != '\0' && !isspace((unsigned char)*q); q++)
			;
		if (q == p)
			break;
		if (!((q - p == 3 && strncmp(p, "deb", 3) == 0) ||
		    (q - p == 7 && strncmp(p, "deb-src", 7) == 0))) {
			r = memchr(p, '@', (size_t)(q - p));
			if (r != NULL)
				p = r + 1;
			sb_add(&w, p, (size_t)(q - p));
			break;
		}
		p = q;
	}
	/* non-alphanumerics to '_', runs squashed, ends trimmed */
	sb_reset(&sb);
	for (p = w.buf; *p != '\0'; p++) {
		if (isalnum((unsigned char)*p)) {
			sb_addch(&sb, *p);
			continue;
		}
		if (sb.len > 0 && sb.buf[sb.len - 1] != '_')
			sb_addch(&sb, '_');
	}
	while (sb.len > 0 && sb.buf[sb.len - 1] == '_')
		sb_setlen(&sb, sb.len - 1);
	r = arena_printf(a, "%s.list", sb.buf);
	sb_release(&sb);
	sb_release(&w);
	return r;
}

static bool
add_source(struct sources *srcs, const char *source, const char *filename)
{
	const char *file = suggest_filename(srcs->a, source, filename);
	struct src_line *l;
	struct src_file *f = NULL;
	bool found = false;
	size_t i, j;

	for (i = 0; i < srcs->n; i++)
		for (j = 0; j < srcs->files[i].n; j++) {
			l = &srcs->files[i].lines[j];
			if (l->valid && strcmp(l->source, source) == 0) {
				l->enabled = true;
				found = true;
			}
		}
	if (found)
		return true;
	if (strchr(file, '/') == NULL)
		file = arena_printf(srcs->a, SOURCES_DIR "/%s", file);
	for (i = 0; i < srcs->n; i++)
		if (strcmp(srcs->files[i].path, file) == 0)
			f = &srcs->files[i];
	if (f == NULL)
		f = add_file(srcs, file);
	f->is_new = true;
	l = add_line(srcs, f);
	l->valid = l->enabled = true;
	l->source = source;
	l->comment = "";
	return true;
}

static void
remove_source(struct sources *srcs, const char *source)
{
	size_t i, j, k;

	for (i = 0; i < srcs->n; i++) {
		struct src_file *f = &srcs->files[i];

		for (j = k = 0; j < f->n; j++) {
			struct src_line *l = &f->lines[j];

			if (l->valid && l->enabled &&
			    strcmp(l->source, source) == 0)
				continue;
			f->lines[k++] = *l;
		}
		f->n = k;
	}
}

static void
diff_entry(struct task_ctx *ctx, struct value *diff, const char *path,
    const char *before, const char *after, bool had, bool has)
{
	struct value *d = val_new_dict(ctx->a);

	val_dict_set(ctx->a, d, "before", val_new_str(ctx->a, before));
	val_dict_set(ctx->a, d, "after", val_new_str(ctx->a, after));
	val_dict_set(ctx->a, d, "before_header", val_new_str(ctx->a,
	    had ? path : "/dev/null"));
	val_dict_set(ctx->a, d, "after_header", val_new_str(ctx->a,
	    has ? path : "/dev/null"));
	val_list_push(ctx->a, diff, d);
}

/* A mode argument: an int is octal digits as written, a string octal. */
static int
mode_of(const struct value *m)
{
	struct strbuf sb = STRBUF_INIT;
	long v;

	if (m == NULL || m->type == VAL_NULL)
		return 0644;
	if (m->type == VAL_INT)
		return (int)m->u.i;
	val_str(&sb, m);
	v = strtol(sb.buf, NULL, 8);
	sb_release(&sb);
	return (int)v;
}

/* rm -f the quoted paths in rm (" 'a' 'b'"), if any. */
static int
remove_files(struct task_ctx *ctx, const struct strbuf *rm, struct err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result cr;
	int rc;

	if (rm->len == 0)
		return 0;
	sb_addf(&cmd, "rm -f --%s", rm->buf);
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &cr, err);
	conn_result_release(&cr);
	sb_release(&cmd);
	return rc;
}

/*
 * revert_sources_list(): the files as they were (new ones removed) when
 * the cache update after a change failed.
 */
static int
revert(struct task_ctx *ctx, const struct sources *srcs, struct err *err)
{
	struct strbuf rm = STRBUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < srcs->n && rc == 0; i++) {
		const struct src_file *f = &srcs->files[i];

		if (f->text == NULL) {
			sb_adds(&rm, " ");
			sh_quote(&rm, f->path);
		} else
			rc = conn_put(ctx->conn, f->path, f->text,
			    strlen(f->text), -1, ctx->become, err);
	}
	if (rc == 0)
		rc = remove_files(ctx, &rm, err);
	sb_release(&rm);
	return rc;
}

static int
apt_repository_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *repo = arg_str(args, "repo");
	const char *state = arg_str(args, "state");
	struct sources srcs = { .a = ctx->a };
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
	struct strbuf rm = STRBUF_INIT;
	struct conn_result cr;
	struct src_line parsed;
	struct value *diff = val_new_list(ctx->a);
	bool changed = false;
	size_t i;
	int rc;

	res_init(ctx, res);
	if (*repo == '\0')
		return res_fail(ctx, res, "Please set argument 'repo' to a "
		    "non-empty value");
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, "for f in " SOURCES_LIST " " SOURCES_DIR
	    "/*.list; do [ -f \"$f\" ] || continue; printf '\\000F %s\\000' "
	    "\"$f\"; cat \"$f\" || exit 1; done", ctx->become, NULL, 0, &cr,
	    err);
	if (rc < 0 || cr.rc != 0) {
		if (rc == 0)
			res_fail(ctx, res, "%s", cr.err.buf);
		conn_result_release(&cr);
		return rc;
	}
	load(&srcs, cr.out.buf, cr.out.len);
	conn_result_release(&cr);
	parse_line(ctx->a, repo, strlen(repo), &parsed);
	if (!parsed.valid || !parsed.enabled || strncmp(repo, "ppa:", 4) == 0)
		return res_fail(ctx, res, "Invalid repository string: %s",
		    repo);
	/* the dump before, per file, to compare with the dump after */
	{
		const char **was = arena_alloc(ctx->a,
		    (srcs.n + 1) * sizeof(*was));
		size_t nold = srcs.n;

		for (i = 0; i < srcs.n; i++) {
			sb_reset(&before);
			dump_file(&before, &srcs.files[i]);
			was[i] = srcs.files[i].n > 0 ? arena_strndup(ctx->a,
			    before.buf, before.len) : NULL;
		}
		if (strcmp(state, "present") == 0)
			add_source(&srcs, parsed.source,
			    arg_str(args, "filename"));
		else
			remove_source(&srcs, parsed.source);
		for (i = 0; i < srcs.n; i++) {
			struct src_file *f = &srcs.files[i];
			const char *old = i < nold ? was[i] : NULL;

			sb_reset(&after);
			dump_file(&after, f);
			if ((old == NULL) != (f->n == 0) || (old != NULL &&
			    strcmp(old, after.buf) != 0)) {
				changed = true;
				diff_entry(ctx, diff, f->path, old != NULL ?
				    old : "", after.buf, old != NULL, f->n > 0);
			}
		}
		/* SourcesList.save(): every file, normalised */
		for (i = 0; changed && !ctx->check_mode && i < srcs.n; i++) {
			struct src_file *f = &srcs.files[i];

			sb_reset(&after);
			dump_file(&after, f);
			if (f->n == 0) {
				if (f->text != NULL) {
					sb_adds(&rm, " ");
					sh_quote(&rm, f->path);
				}
				continue;
			}
			if (f->text != NULL && strcmp(f->text, after.buf) == 0)
				continue;
			if (conn_put(ctx->conn, f->path, after.buf, after.len,
			    f->text == NULL ? mode_of(val_dict_get(args,
			    "mode")) : -1, ctx->become, err) < 0) {
				if (conn_dead(ctx->conn))
					goto dead;
				res_fail(ctx, res, "%s", err->msg);
				err_init(err);
				goto out;
			}
		}
	}
	if (changed && !ctx->check_mode && remove_files(ctx, &rm, err) < 0)
		goto dead;
	if (changed && !ctx->check_mode && arg_bool(args, "update_cache")) {
		bool ok;
		const char *msg;

		if (apt_update(ctx, &ok, &msg, err) < 0)
			goto dead;
		if (!ok) {
			if (revert(ctx, &srcs, err) < 0)
				goto dead;
			res_fail(ctx, res, "Failed to update apt cache: %s", msg);
			goto out;
		}
	}
	res->changed = changed;
	res_set_str(ctx, res, "repo", repo);
	res_set_str(ctx, res, "state", state);
	res_set(ctx, res, "diff", changed && ctx->diff ? diff :
	    val_new_dict(ctx->a));
out:
	sb_release(&before);
	sb_release(&after);
	sb_release(&rm);
	return 0;
dead:
	sb_release(&before);
	sb_release(&after);
	sb_release(&rm);
	return -1;
}

const struct module module_apt_repository = {
	.name = "apt_repository",
	.summary = "add or remove a one-line apt source",
	.args = apt_repository_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = apt_repository_run,
};
