/*
 * mount: a mount point in fstab and in the mount table, as ansible.posix's
 * mount module does it on Linux (that collection is not part of
 * ansible-core): its fstab line matching (a swap line by its source, "#"
 * comments at a line's end ignored), escaping (\040 \046 \134), the noauto
 * rule for boot, the states (mounted, present, unmounted, absent,
 * absent_from_fstab, absent_mount, remounted, ephemeral), "mounted" as
 * ismount() (another device than the parent's) or a bind mount found in
 * /proc/self/mountinfo, mount and umount messages as their stdout then
 * stderr, and the result (the effective arguments).  The fstab edit is
 * done here; one command reads (fstab, the mount state), one makes the
 * directories, writes fstab atomically (through a symbolic link, as
 * Python's open(path, 'w')) and mounts, unmounts or removes the directory,
 * putting fstab and the made directories back when a mount fails.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "hostcmd.h"

static const char *const path_aliases[] = { "name", NULL };
static const char *const state_choices[] = { "absent", "absent_from_fstab",
	"absent_mount", "mounted", "present", "unmounted", "remounted",
	"ephemeral", NULL };

static const struct arg_spec mount_args[] = {
	{ .name = "path", .type = ARG_PATH, .flags = ARG_REQUIRED,
	  .aliases = path_aliases },
	{ .name = "src", .type = ARG_PATH },
	{ .name = "fstype", .type = ARG_STR },
	{ .name = "opts", .type = ARG_STR },
	{ .name = "dump", .type = ARG_STR, .dflt = "0" },
	{ .name = "passno", .type = ARG_STR, .dflt = "0" },
	{ .name = "fstab", .type = ARG_STR },
	{ .name = "state", .type = ARG_STR, .flags = ARG_REQUIRED,
	  .choices = state_choices },
	{ .name = "boot", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "backup", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "opts_no_log", .type = ARG_BOOL, .dflt = "false" },
	{ .name = NULL },
};

/* The fields of a line: src name fstype opts dump passno. */
enum { F_SRC, F_NAME, F_FSTYPE, F_OPTS, F_DUMP, F_PASSNO, F_N };

struct mnt {
	struct task_ctx	*ctx;
	const char	*f[F_N];	/* the wanted line, escaped */
	const char	*src;		/* unescaped, NULL if not given */
};

/* _escape_fstab() */
static const char *
escape(struct task_ctx *ctx, const char *v)
{
	struct strbuf sb = STRBUF_INIT;
	char *r;

	for (; *v != '\0'; v++)
		if (*v == '\\')
			sb_adds(&sb, "\\134");
		else if (*v == ' ')
			sb_adds(&sb, "\\040");
		else if (*v == '&')
			sb_adds(&sb, "\\046");
		else
			sb_addch(&sb, *v);
	r = arena_strndup(ctx->a, sb.buf, sb.len);
	sb_release(&sb);
	return r;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* str.split() of l[0..n) (up to max fields kept); the count. */
static size_t
split_fields(struct task_ctx *ctx, const char *l, size_t n, const char **f,
    size_t max)
{
	size_t k = 0, i = 0;

	while (i < n) {
		size_t s;

		while (i < n && is_space(l[i]))
			i++;
		if (i >= n)
			break;
		for (s = i; i < n && !is_space(l[i]); i++)
			;
		if (k < max)
			f[k] = arena_strndup(ctx->a, l + s, i - s);
		k++;
	}
	return k;
}

/* not line.strip() or line.strip().startswith('#') */
static bool
blank_or_comment(const char *l, size_t n)
{
	size_t i = 0;

	while (i < n && is_space(l[i]))
		i++;
	return i == n || l[i] == '#';
}

/* Not our line: another name, or a swap line of another source. */
static bool
other_line(const struct mnt *m, const char **ld)
{
	return strcmp(ld[F_NAME], m->f[F_NAME]) != 0 || (m->src != NULL &&
	    strcmp(ld[F_NAME], "none") == 0 && strcmp(ld[F_FSTYPE],
	    "swap") == 0 && strcmp(ld[F_SRC], m->src) != 0);
}

/*
 * _set_mount_save_old(): the new fstab in out, the old one as it was read
 * (every line ended) in old; whether it changed.
 */
static bool
set_mount(const struct mnt *m, const char *text, struct strbuf *out,
    struct strbuf *old)
{
	struct hc_line *lines;
	size_t nl = hc_lines(m->ctx, text, strlen(text), &lines);
	bool exists = false, changed = false;

	for (size_t j = 0; j < nl; j++) {
		const char *p = lines[j].s, *ld[F_N], *hash;
		size_t n = lines[j].len, k;

		sb_add(old, p, n);
		sb_addch(old, '\n');
		hash = memchr(p, '#', n);
		if (blank_or_comment(p, n) ||
		    (k = split_fields(m->ctx, p, hash != NULL ?
		    (size_t)(hash - p) : n, ld, F_N)) < 4 || k > 6) {
			sb_add(out, p, n);
			sb_addch(out, '\n');
			continue;
		}
		/*
		 * Missing dump and passno are the number 0 there, which never
		 * equals the string argument: such a line is always rewritten.
		 */
		if (k < 5)
			ld[F_DUMP] = NULL;
		if (k < 6)
			ld[F_PASSNO] = NULL;
		if (other_line(m, ld)) {
			sb_add(out, p, n);
			sb_addch(out, '\n');
			continue;
		}
		exists = true;
		for (int i = F_SRC; i < F_N; i++)
			if (i != F_NAME && (ld[i] == NULL ||
			    strcmp(ld[i], m->f[i]) != 0)) {
				ld[i] = m->f[i];
				changed = true;
			}
		if (changed)
			sb_addf(out, "%s %s %s %s %s %s\n", ld[F_SRC],
			    ld[F_NAME], ld[F_FSTYPE], ld[F_OPTS], ld[F_DUMP],
			    ld[F_PASSNO]);
		else {
			sb_add(out, p, n);
			sb_addch(out, '\n');
		}
	}
	if (!exists) {
		sb_addf(out, "%s %s %s %s %s %s\n", m->f[F_SRC], m->f[F_NAME],
		    m->f[F_FSTYPE], m->f[F_OPTS], m->f[F_DUMP], m->f[F_PASSNO]);
		changed = true;
	}
	return changed;
}

/* unset_mount(): lines of exactly six fields naming the path go. */
static bool
unset_mount(const struct mnt *m, const char *text, struct strbuf *out)
{
	struct hc_line *lines;
	size_t nl = hc_lines(m->ctx, text, strlen(text), &lines);
	bool changed = false;

	for (size_t j = 0; j < nl; j++) {
		const char *ld[F_N];

		if (!blank_or_comment(lines[j].s, lines[j].len) &&
		    split_fields(m->ctx, lines[j].s, lines[j].len, ld,
		    F_N) == 6 && !other_line(m, ld)) {
			changed = true;
			continue;
		}
		sb_add(out, lines[j].s, lines[j].len);
		if (lines[j].nl)
			sb_addch(out, '\n');
	}
	return changed;
}

/*
 * get_linux_mounts() and is_bind_mounted(): whether dest is in
 * /proc/self/mountinfo (and, with src, mounted from src: a mount under
 * another has its source computed from the roots of both).
 */
struct minfo {
	long		 id, parent;
	const char	*root, *dst, *src;
};

static bool
bind_mounted(struct task_ctx *ctx, const char *text, const char *dest,
    const char *src)
{
	struct hc_line *lines;
	size_t nl = hc_lines(ctx, text, strlen(text), &lines), n = 0;
	struct minfo *mi = arena_alloc(ctx->a, (nl + 1) * sizeof(*mi));
	const char *found = NULL;
	bool have = false;

	for (size_t j = 0; j < nl; j++) {
		const char *f[64];
		size_t k = split_fields(ctx, lines[j].s, lines[j].len, f, 64);

		if (k < 7 || k > 64)
			continue;
		mi[n].id = strtol(f[0], NULL, 10);
		mi[n].parent = strtol(f[1], NULL, 10);
		mi[n].root = f[3];
		mi[n].dst = f[4];
		mi[n].src = f[k - 2];
		n++;
	}
	for (size_t j = 0; j < n; j++) {
		struct minfo *p = NULL;
		const char *s = mi[j].src;

		for (size_t i = 0; i < n && mi[j].parent != 1; i++)
			if (mi[i].id == mi[j].parent)
				p = &mi[i];
		if (p != NULL) {
			size_t r = strlen(p->root);

			if (r > 1 && strncmp(mi[j].root, p->root, r) == 0 &&
			    mi[j].root[r] == '/')
				mi[j].root += r;
			if (strcmp(p->dst, "/") != 0)
				mi[j].root = arena_printf(ctx->a, "%s%s",
				    p->dst, mi[j].root);
			s = mi[j].root;
		}
		/* a dict by dst: the last one wins */
		if (strcmp(mi[j].dst, dest) == 0) {
			have = true;
			found = s;
		}
	}
	if (src == NULL)
		return have;
	return have && strcmp(found, src) == 0;
}

/* _is_same_mount_src(): the bind mount's source, or `mount -v`. */
static bool
same_mount_src(struct task_ctx *ctx, const char *minfo, const char *mountv,
    const char *src, const char *path)
{
	struct hc_line *lines;
	size_t nl;

	if (bind_mounted(ctx, minfo, path, src))
		return true;
	nl = hc_lines(ctx, mountv, strlen(mountv), &lines);
	for (size_t j = 0; j < nl; j++) {
		const char *f[3];

		if (split_fields(ctx, lines[j].s, lines[j].len, f, 3) >= 3 &&
		    strcmp(f[0], src) == 0 && strcmp(f[2], path) == 0)
			return true;
	}
	return false;
}

/* The mount command for mount(), with -T for another fstab. */
static void
add_target(struct strbuf *sb, const struct value *args, const char *fstab,
    const char *opts, bool ephemeral)
{
	if (ephemeral) {
		sb_adds(sb, " -t ");
		hc_arg(sb, arg_str(args, "fstype"));
		if (strcmp(opts, "defaults") != 0) {
			sb_adds(sb, " -o ");
			hc_arg(sb, opts);
		}
		sb_addch(sb, ' ');
		hc_arg(sb, arg_str(args, "src"));
	} else if (strcmp(fstab, "/etc/fstab") != 0) {
		sb_adds(sb, " -T ");
		hc_arg(sb, fstab);
	}
	sb_addch(sb, ' ');
	hc_arg(sb, arg_str(args, "path"));
}

static void
add_mount(struct strbuf *sb, const char *tag, const struct value *args,
    const char *fstab, const char *opts, bool ephemeral)
{
	sb_addf(sb, "hc_cap %s mount", tag);
	add_target(sb, args, fstab, opts, ephemeral);
}

static void
add_umount(struct strbuf *sb, const struct value *args)
{
	sb_adds(sb, "hc_cap umount umount ");
	hc_arg(sb, arg_str(args, "path"));
}

/*
 * remount(): mount -o remount[,opts], else umount and mount (unless
 * remounted with options, which fails as Ansible's does).
 */
static void
add_remount(struct task_ctx *ctx, struct strbuf *sb, const struct value *args,
    const char *fstab, const char *opts, bool state_remounted, bool ephemeral)
{
	bool with_opts = state_remounted && strcmp(opts, "defaults") != 0;

	sb_adds(sb, "if ! hc_cap remount mount -o ");
	if (with_opts)
		hc_arg(sb, arena_printf(ctx->a, "remount,%s", opts));
	else
		sb_adds(sb, "remount");
	add_target(sb, args, fstab, opts, ephemeral);
	sb_adds(sb, "; then\n");
	if (with_opts)
		sb_adds(sb, "  echo @remountopts; exit 0\n");
	sb_adds(sb, "  ");
	add_umount(sb, args);
	sb_adds(sb, " || { undo; exit 0; }\n  ");
	add_mount(sb, "mount", args, fstab, opts, ephemeral);
	sb_adds(sb, " || { undo; exit 0; }\nfi\n");
}

/* The scripts' $p (the mount point) and $f (the fstab). */
static void
add_vars(struct strbuf *sb, const char *path, const char *fstab)
{
	sb_adds(sb, "p=");
	sh_quote(sb, path);
	sb_adds(sb, "\nf=");
	sh_quote(sb, fstab);
	sb_addch(sb, '\n');
}

/* "out + err" of a failed command captured as tag, or NULL. */
static const char *
cap_failed(struct task_ctx *ctx, const char *out, const char *tag)
{
	const char *o, *e;
	int rc;

	if (!hc_captured(ctx, out, tag, &rc, &o, &e) || rc == 0)
		return NULL;
	return arena_printf(ctx->a, "%s%s", o, e);
}

/* The apply script's failures, as Ansible's messages. */
static void
fail_from(struct task_ctx *ctx, struct result *res, const char *out,
    const char *path, const char *fstab, bool remounted)
{
	const char *t, *rest;

	if (hc_has(out, "wfail"))
		res_fail(ctx, res, "failed to write '%s'", fstab);
	else if ((t = hc_section(ctx, out, "mkdirfail", &rest)) != NULL)
		res_fail(ctx, res, "Error making dir %s: %s", path,
		    hc_oserror(ctx, t, rest, true));
	else if (hc_has(out, "remountopts"))
		res_fail(ctx, res, "Options were specified with remounted, "
		    "but the remount command failed. Failing in order to "
		    "prevent an unexpected mount result. Try replacing this "
		    "command with a \"state: unmounted\" followed by a "
		    "\"state: mounted\" using the full desired mount options "
		    "instead.");
	else if ((t = cap_failed(ctx, out, "umount")) != NULL &&
	    !hc_has(out, "remount"))
		res_fail(ctx, res, "Error unmounting %s: %s", path, t);
	else if (t != NULL || (t = cap_failed(ctx, out, "mount")) != NULL)
		res_fail(ctx, res, "Error %s %s: %s", remounted ?
		    "remounting" : "mounting", path, t);
	else if ((t = hc_section(ctx, out, "rmdirfail", NULL)) != NULL)
		res_fail(ctx, res, "Error rmdir %s: %s", path,
		    hc_oserror(ctx, t, path, false));
	else if (!hc_has(out, "done"))
		res_fail(ctx, res, "mount failed on the host");
}

/*
 * The mount point made like Ansible's "mkdir -p with the possibility to
 * undo": one component at a time, the made ones in $made (newest first);
 * a failure leaves what was made, as Ansible's fail_json() there does.
 */
static const char mkdirs_sh[] =
	"if ! [ -e \"$p\" ]; then\n"
	"  s=$p; while case $s in /*) true ;; *) false ;; esac; do "
	"s=${s#/}; done\n"
	"  while case $s in */) true ;; *) false ;; esac; do s=${s%/}; done\n"
	"  cur=; oifs=$IFS; IFS=/; set -f\n"
	"  for c in $s; do\n"
	"    case $p in /*) cur=\"$cur/$c\" ;; *) cur=${cur:+$cur/}$c ;; esac\n"
	"    [ -e \"$cur\" ] && continue\n"
	"    if e=$(mkdir -- \"$cur\" 2>&1); then made=\"$cur\n$made\"\n"
	"    elif ! [ -d \"$cur\" ]; then IFS=$oifs; set +f\n"
	"      printf '@mkdirfail %s\\n%s\\n' \"$cur\" \"$e\"\n"
	"      rm -f -- \"$b\"\n"
	"      exit 0\n"
	"    fi\n"
	"  done\n"
	"  IFS=$oifs; set +f\n"
	"fi\n";

static int
mount_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *state = arg_str(args, "state"), *path = arg_str(args,
	    "path"), *fstab = arg_str(args, "fstab"), *opts, *text, *minfo;
	struct strbuf sb = STRBUF_INIT, nf = STRBUF_INIT, old = STRBUF_INIT;
	struct strbuf act = STRBUF_INIT, in = STRBUF_INIT;
	bool ephemeral = strcmp(state, "ephemeral") == 0, mounted, changed;
	bool write = false, backup = arg_bool(args, "backup"), any;
	bool mounting = strcmp(state, "mounted") == 0 || ephemeral;
	const char *backup_file = "";
	struct conn_result cr;
	struct mnt m;
	int rc = 0;

	if ((mounting || strcmp(state, "present") == 0) &&
	    (arg_str(args, "src") == NULL || arg_str(args, "fstype") ==
	    NULL)) {
		bool s = arg_str(args, "src") == NULL;
		bool t = arg_str(args, "fstype") == NULL;

		return res_fail(ctx, res, "state is %s but all of the "
		    "following are missing: %s%s%s", state, s ? "src" : "",
		    s && t ? ", " : "", t ? "fstype" : "");
	}
	if (fstab == NULL)
		fstab = "/etc/fstab";
	opts = arg_str(args, "opts");
	if (opts == NULL)
		opts = "defaults";
	memset(&m, 0, sizeof(m));
	m.ctx = ctx;
	m.src = arg_str(args, "src");
	{
		/* 'noauto' in opts wins over boot; boot=false adds it */
		const char *o = arena_printf(ctx->a, ",%s,", opts);

		if (arg_bool(args, "boot") && strstr(o, ",noauto,") != NULL)
			hc_warn(ctx, res, "Ignore the 'boot' due to 'opts' "
			    "contains 'noauto'.");
		else if (!arg_bool(args, "boot"))
			opts = arena_printf(ctx->a, "%s,noauto", opts);
	}
	m.f[F_SRC] = m.src != NULL ? escape(ctx, m.src) : "";
	m.f[F_NAME] = escape(ctx, path);
	m.f[F_FSTYPE] = escape(ctx, arg_str(args, "fstype") != NULL ?
	    arg_str(args, "fstype") : "");
	m.f[F_OPTS] = escape(ctx, opts);
	m.f[F_DUMP] = escape(ctx, arg_str(args, "dump"));
	m.f[F_PASSNO] = escape(ctx, arg_str(args, "passno"));

	/* ismount(): a link never is; another device, or its own parent */
	add_vars(&sb, path, fstab);
	sb_adds(&sb, "if ! [ -L \"$p\" ] && a=$(stat -c '%d %i' -- \"$p\" "
	    "2>/dev/null) && q=$(realpath -m -- \"$p/..\" 2>/dev/null) && "
	    "b=$(stat -c '%d %i' -- \"$q\" 2>/dev/null) && { [ \"${a% *}\" != "
	    "\"${b% *}\" ] || [ \"${a#* }\" = \"${b#* }\" ]; }; then "
	    "echo @ismount; fi\n[ -e \"$p\" ] && echo @exists\n"
	    "[ -e \"$f\" ] && echo @fstab\n"
	    "echo @mountinfo; cat /proc/self/mountinfo 2>/dev/null\n");
	if (ephemeral)
		sb_adds(&sb, "echo @mountv; mount -v 2>/dev/null\n");
	sb_adds(&sb, "echo @text\n[ -f \"$f\" ] && cat -- \"$f\"\n");
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
	sb_reset(&sb);
	if (rc < 0)
		goto out;
	text = hc_tail(cr.out.buf, "text");
	minfo = hc_section(ctx, cr.out.buf, "mountinfo", NULL);
	if (text == NULL || minfo == NULL) {
		res_fail(ctx, res, "failed to read '%s': %s", fstab,
		    cr.err.buf);
		goto out;
	}
	/* absent and unmounted: any mount there; mounted: from src */
	mounted = hc_has(cr.out.buf, "ismount") || bind_mounted(ctx, minfo,
	    path, mounting ? m.src : NULL);

	/* what to do, in Ansible's order: mkdir, fstab, (u)mount, rmdir */
	changed = false;
	if (strncmp(state, "absent", 6) == 0) {
		changed = write = unset_mount(&m, text, &nf);
		if (changed && strcmp(state, "absent_from_fstab") != 0) {
			if (mounted) {
				add_umount(&act, args);
				sb_adds(&act, " || exit 0\n");
			}
			if (strcmp(state, "absent") == 0 &&
			    hc_has(cr.out.buf, "exists"))
				sb_adds(&act, "e=$(rmdir -- \"$p\" 2>&1) || { "
				    "echo @rmdirfail; printf '%s\\n' \"$e\"; "
				    "exit 0; }\n");
		}
	} else if (strcmp(state, "unmounted") == 0) {
		if (mounted) {
			changed = true;
			add_umount(&act, args);
			sb_adds(&act, " || exit 0\n");
		}
	} else if (mounting) {
		if (!ephemeral)
			changed = write = set_mount(&m, text, &nf, &old);
		if (!mounted) {
			changed = true;
			add_mount(&act, "mount", args, fstab, opts, ephemeral);
			sb_adds(&act, " || { undo; exit 0; }\n");
		} else if (ephemeral) {
			const char *mv = hc_section(ctx, cr.out.buf, "mountv",
			    NULL);

			if (mv == NULL || *mv == '\0') {
				res_fail(ctx, res, "Unable to retrieve mount "
				    "info with command '%s'", "mount -v");
				goto failed;
			}
			if (!same_mount_src(ctx, minfo, mv, m.src, path)) {
				res_fail(ctx, res, "Ephemeral mount point is "
				    "already mounted with a different source "
				    "than the specified one. Failing in order "
				    "to prevent an unwanted unmount or "
				    "override operation. Try replacing this "
				    "command with a \"state: unmounted\" "
				    "followed by a \"state: ephemeral\", or "
				    "use a different destination path.");
				goto failed;
			}
			changed = true;
			add_remount(ctx, &act, args, fstab, opts, false, true);
		} else if (changed)
			add_remount(ctx, &act, args, fstab, opts, false, false);
	} else if (strcmp(state, "present") == 0)
		changed = write = set_mount(&m, text, &nf, &old);
	else if (strcmp(state, "remounted") == 0) {
		changed = true;
		add_remount(ctx, &act, args, fstab, opts, true, false);
	}
	res->changed = changed;
	any = changed && !ctx->check_mode;
	if (!any && !ctx->check_mode && !ephemeral &&
	    !hc_has(cr.out.buf, "fstab")) {
		/* Ansible creates a missing fstab whatever the state */
		sb_adds(&sb, "f=");
		sh_quote(&sb, fstab);
		sb_adds(&sb, "\nmkdir -p -- \"$(dirname -- \"$f\")\" && "
		    ": >>\"$f\" && chmod 644 \"$f\"\n");
		conn_result_release(&cr);
		conn_result_init(&cr);
		rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
		if (rc < 0)
			goto out;
	} else if (any) {
		sb_adds(&sb, hc_cap_fn);
		add_vars(&sb, path, fstab);
		/* undo(): fstab as it was read, made directories gone */
		sb_adds(&sb, "rc=0; b=; made=\nundo() { [ -n \"$b\" ] && "
		    "cat -- \"$b\" >\"$f\"; rm -f -- \"$b\"; printf '%s\\n' "
		    "\"$made\" | while IFS= read -r x; do [ -z \"$x\" ] || "
		    "rmdir -- \"$x\" 2>/dev/null || break; done; }\n");
		if (!ephemeral && !hc_has(cr.out.buf, "fstab"))
			sb_adds(&sb, "mkdir -p -- \"$(dirname -- \"$f\")\" && "
			    ": >>\"$f\" || { echo @wfail; exit 0; }\n");
		if (write) {
			/* stdin: the new fstab, then the old one for undo() */
			sb_addf(&sb, "b=$(mktemp) && head -c %zu >\"$b\" || "
			    "{ echo @wfail; exit 0; }\n", old.len);
			sb_add(&in, old.buf, old.len);
		}
		if (mounting)
			sb_adds(&sb, mkdirs_sh);
		if (write) {
			if (backup)
				sb_adds(&sb, "bk=\"$f.$$.$(date "
				    "+%Y-%m-%d@%H:%M:%S~)\"; cp -p -- \"$f\" "
				    "\"$bk\" && printf '@backup %s\\n' "
				    "\"$bk\"\n");
			hc_put_stdin_part(&sb, fstab, nf.len, 0644, true);
			sb_add(&in, nf.buf, nf.len);
			sb_adds(&sb, "[ $rc = 0 ] || { echo @wfail; undo; "
			    "exit 0; }\n");
		}
		sb_add(&sb, act.buf, act.len);
		sb_adds(&sb, "rm -f -- \"$b\"\necho @done\n");
		conn_result_release(&cr);
		conn_result_init(&cr);
		rc = hc_exec(ctx, sb.buf, in.buf, in.len, &cr, err);
		if (rc < 0)
			goto out;
		fail_from(ctx, res, cr.out.buf, path, fstab,
		    strcmp(state, "remounted") == 0);
		/* only _set_mount_save_old() reports its backup */
		if ((mounting || strcmp(state, "present") == 0) &&
		    hc_section(ctx, cr.out.buf, "backup", &text) != NULL)
			backup_file = text;
	}
failed:
	if (res->failed) {
		hc_fail_only(ctx, res);
		goto out;
	}
	res_set_str(ctx, res, "name", path);
	res_set_str(ctx, res, "opts", opts);
	res_set_str(ctx, res, "dump", arg_str(args, "dump"));
	res_set_str(ctx, res, "passno", arg_str(args, "passno"));
	res_set_str(ctx, res, "fstab", fstab);
	res_set_str(ctx, res, "boot", arg_bool(args, "boot") ? "yes" : "no");
	res_set_str(ctx, res, "backup_file", backup_file);
	if (m.src != NULL)
		res_set_str(ctx, res, "src", m.src);
	if (arg_str(args, "fstype") != NULL)
		res_set_str(ctx, res, "fstype", arg_str(args, "fstype"));
out:
	sb_release(&sb);
	sb_release(&nf);
	sb_release(&old);
	sb_release(&act);
	sb_release(&in);
	conn_result_release(&cr);
	return rc;
}

const struct module module_mount = {
	.name = "mount",
	.summary = "mount points in fstab and the mount table",
	.args = mount_args,
	.flags = MODULE_CHECK_MODE,
	.run = mount_run,
};
