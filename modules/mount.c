/*
 * mount: a mount point in fstab and in the mount table, as ansible.posix's
 * mount module does it on Linux (that collection is not part of
 * ansible-core): its fstab line matching (a swap line by its source),
 * escaping (\040 \046 \134), the noauto rule for boot, the states
 * (mounted, present, unmounted, absent, absent_from_fstab, remounted,
 * ephemeral) and the result (the effective arguments).  The fstab edit is
 * done here; one command reads (fstab, whether the path is mounted), one
 * writes fstab atomically and mounts, unmounts or removes the directory,
 * putting fstab back when a mount fails.
 */
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

/* Whitespace-split a line (up to max fields); the count. */
static size_t
split_fields(struct task_ctx *ctx, const char *l, size_t n, const char **f,
    size_t max)
{
	size_t k = 0, i = 0;

	while (i < n) {
		size_t s;

		while (i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r' ||
		    l[i] == '\f' || l[i] == '\v'))
			i++;
		if (i >= n)
			break;
		for (s = i; i < n && l[i] != ' ' && l[i] != '\t' &&
		    l[i] != '\r' && l[i] != '\f' && l[i] != '\v'; i++)
			;
		if (k < max)
			f[k] = arena_strndup(ctx->a, l + s, i - s);
		k++;
	}
	return k;
}

static bool
blank_or_comment(const char *l, size_t n)
{
	size_t i = 0;

	while (i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r'))
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

/* _set_mount_save_old(): the new fstab in out; whether it changed. */
static bool
set_mount(const struct mnt *m, const char *text, struct strbuf *out)
{
	bool exists = false, changed = false;
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n'), *ld[F_N], *hash;
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p), k;
		const char *next = nl != NULL ? nl + 1 : p + n;

		hash = memchr(p, '#', n);
		if (blank_or_comment(p, n) ||
		    (k = split_fields(m->ctx, p, hash != NULL ?
		    (size_t)(hash - p) : n, ld, F_N)) < 4 || k > 6) {
			sb_add(out, p, n);
			sb_addch(out, '\n');
			p = next;
			continue;
		}
		if (k < 5)
			ld[F_DUMP] = "0";
		if (k < 6)
			ld[F_PASSNO] = "0";
		if (other_line(m, ld)) {
			sb_add(out, p, n);
			sb_addch(out, '\n');
			p = next;
			continue;
		}
		exists = true;
		for (int i = F_SRC; i < F_N; i++)
			if (i != F_NAME && strcmp(ld[i], m->f[i]) != 0) {
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
		p = next;
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
	bool changed = false;
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n'), *ld[F_N];
		size_t n = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);

		if (!blank_or_comment(p, nl != NULL ? n - 1 : n) &&
		    split_fields(m->ctx, p, nl != NULL ? n - 1 : n, ld,
		    F_N) == 6 && !other_line(m, ld))
			changed = true;
		else
			sb_add(out, p, n);
		p += n;
	}
	return changed;
}

/* The mount command for mount(), with -T for another fstab. */
static void
add_mount(struct strbuf *sb, const struct value *args, const char *fstab,
    bool ephemeral)
{
	sb_adds(sb, "mount");
	if (ephemeral) {
		const char *opts = arg_str(args, "opts");

		sb_adds(sb, " -t ");
		sh_quote(sb, arg_str(args, "fstype"));
		if (opts != NULL && strcmp(opts, "defaults") != 0) {
			sb_adds(sb, " -o ");
			sh_quote(sb, opts);
		}
		sb_addch(sb, ' ');
		sh_quote(sb, arg_str(args, "src"));
	} else if (strcmp(fstab, "/etc/fstab") != 0) {
		sb_adds(sb, " -T ");
		sh_quote(sb, fstab);
	}
	sb_adds(sb, " -- \"$p\"");
}

/*
 * remount(): mount -o remount[,opts], else umount and mount (unless
 * remounted with options, which fails as Ansible's does).
 */
static void
add_remount(struct strbuf *sb, const struct value *args, const char *fstab,
    const char *opts, bool state_remounted, bool ephemeral)
{
	bool with_opts = state_remounted && strcmp(opts, "defaults") != 0;

	sb_adds(sb, "if ! o=$(mount -o ");
	if (with_opts) {
		sb_adds(sb, "remount,");
		sh_quote(sb, opts);
	} else
		sb_adds(sb, "remount");
	if (!ephemeral && strcmp(fstab, "/etc/fstab") != 0) {
		sb_adds(sb, " -T ");
		sh_quote(sb, fstab);
	}
	sb_adds(sb, " -- \"$p\" 2>&1); then\n");
	if (with_opts)
		sb_adds(sb, "  echo @remountopts; exit 0\n");
	sb_adds(sb, "  o=$(umount -- \"$p\" 2>&1) || { echo @mountfail; "
	    "printf '%s\\n' \"$o\"; undo; exit 0; }\n  o=$(");
	add_mount(sb, args, fstab, ephemeral);
	sb_adds(sb, " 2>&1) || { echo @mountfail; printf '%s\\n' \"$o\"; "
	    "undo; exit 0; }\nfi\n");
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

/* The apply script's failure markers, as Ansible's messages. */
static void
fail_from(struct task_ctx *ctx, struct result *res, const char *out,
    const char *path, const char *fstab, bool remounted)
{
	const char *t;

	if (hc_has(out, "wfail"))
		res_fail(ctx, res, "failed to write '%s'", fstab);
	else if ((t = hc_section(ctx, out, "umountfail", NULL)) != NULL)
		res_fail(ctx, res, "Error unmounting %s: %s", path, t);
	else if ((t = hc_section(ctx, out, "rmdirfail", NULL)) != NULL)
		res_fail(ctx, res, "Error rmdir %s: %s", path, t);
	else if ((t = hc_section(ctx, out, "mkdirfail", NULL)) != NULL)
		res_fail(ctx, res, "Error making dir %s: %s", path, t);
	else if ((t = hc_section(ctx, out, "mountfail", NULL)) != NULL)
		res_fail(ctx, res, "Error %s %s: %s", remounted ?
		    "remounting" : "mounting", path, t);
	else if (hc_has(out, "remountopts"))
		res_fail(ctx, res, "Options were specified with remounted, but "
		    "the remount command failed. Failing in order to prevent an "
		    "unexpected mount result. Try replacing this command with a "
		    "\"state: unmounted\" followed by a \"state: mounted\" using "
		    "the full desired mount options instead.");
	else if (!hc_has(out, "done"))
		res_fail(ctx, res, "mount failed on the host");
}

static int
mount_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *state = arg_str(args, "state"), *path = arg_str(args,
	    "path"), *fstab = arg_str(args, "fstab"), *opts, *text;
	struct strbuf sb = STRBUF_INIT, nf = STRBUF_INIT, pre = STRBUF_INIT;
	struct strbuf act = STRBUF_INIT;
	bool ephemeral = strcmp(state, "ephemeral") == 0, mounted, changed;
	bool write = false, backup = arg_bool(args, "backup");
	const char *backup_file = "";
	struct conn_result cr;
	struct mnt m;
	int rc = 0;

	if ((strcmp(state, "mounted") == 0 || strcmp(state, "present") == 0 ||
	    ephemeral) && (arg_str(args, "src") == NULL ||
	    arg_str(args, "fstype") == NULL)) {
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

	add_vars(&sb, path, fstab);
	sb_adds(&sb, "if mountpoint -q -- \"$p\" 2>/dev/null || awk -v p=\"$p\" "
	    "'$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo; "
	    "then echo @mounted; fi\n[ -e \"$p\" ] && echo @exists\n"
	    "[ -e \"$f\" ] && echo @fstab\necho @text\n"
	    "[ -f \"$f\" ] && cat -- \"$f\"\n");
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
	sb_reset(&sb);
	if (rc < 0)
		goto out;
	text = hc_tail(cr.out.buf, "text");
	if (text == NULL) {
		res_fail(ctx, res, "failed to read '%s': %s", fstab, cr.err.buf);
		goto out;
	}
	mounted = hc_has(cr.out.buf, "mounted");

	/* what to do, in Ansible's order: mkdir, fstab, (u)mount, rmdir */
	changed = false;
	if (strncmp(state, "absent", 6) == 0) {
		changed = write = unset_mount(&m, text, &nf);
		if (changed && strcmp(state, "absent_from_fstab") != 0) {
			if (mounted)
				sb_adds(&act, "o=$(umount -- \"$p\" 2>&1) || { "
				    "echo @umountfail; printf '%s\\n' \"$o\"; "
				    "exit 0; }\n");
			if (strcmp(state, "absent") == 0 &&
			    hc_has(cr.out.buf, "exists"))
				sb_adds(&act, "o=$(rmdir -- \"$p\" 2>&1) || { "
				    "echo @rmdirfail; printf '%s\\n' \"$o\"; "
				    "exit 0; }\n");
		}
	} else if (strcmp(state, "unmounted") == 0) {
		if (mounted) {
			changed = true;
			sb_adds(&act, "o=$(umount -- \"$p\" 2>&1) || { echo "
			    "@umountfail; printf '%s\\n' \"$o\"; exit 0; }\n");
		}
	} else if (strcmp(state, "mounted") == 0 || ephemeral) {
		/* mkdir -p, remembering what it made for undo */
		sb_adds(&pre, "if ! [ -e \"$p\" ]; then d=$p; while ! [ -e "
		    "\"$d\" ]; do made=\"$d $made\"; d=$(dirname -- \"$d\"); "
		    "done\n  o=$(mkdir -p -- \"$p\" 2>&1) || { echo @mkdirfail;"
		    " printf '%s\\n' \"$o\"; exit 0; }\n"
		    "  made=$(for x in $made; do echo \"$x\"; done | "
		    "sort -r); fi\n");
		if (!ephemeral)
			changed = write = set_mount(&m, text, &nf);
		if (!mounted) {
			changed = true;
			sb_adds(&act, "o=$(");
			add_mount(&act, args, fstab, ephemeral);
			sb_adds(&act, " 2>&1) || { echo @mountfail; printf "
			    "'%s\\n' \"$o\"; undo; exit 0; }\n");
		} else if (changed || ephemeral) {
			changed = true;
			add_remount(&act, args, fstab, opts, false, ephemeral);
		}
	} else if (strcmp(state, "present") == 0)
		changed = write = set_mount(&m, text, &nf);
	else if (strcmp(state, "remounted") == 0) {
		changed = true;
		add_remount(&act, args, fstab, opts, true, false);
	}
	res->changed = changed;
	if (changed && !ctx->check_mode) {
		add_vars(&sb, path, fstab);
		/* undo(): fstab back (in place, as Ansible), made dirs gone */
		sb_adds(&sb, "rc=0; b=; made=\nundo() { [ -n \"$b\" ] && "
		    "cat -- \"$b\" >\"$f\"; rm -f -- \"$b\"; for x in $made; "
		    "do rmdir -- \"$x\" 2>/dev/null; done; }\n");
		if (!ephemeral && !hc_has(cr.out.buf, "fstab"))
			sb_adds(&sb, "mkdir -p -- \"$(dirname -- \"$f\")\" && "
			    ": >>\"$f\" || { echo @wfail; exit 0; }\n");
		sb_add(&sb, pre.buf, pre.len);
		if (write) {
			if (backup)
				sb_adds(&sb, "bk=\"$f.$$.$(date "
				    "+%Y-%m-%d@%H:%M:%S~)\"; cp -p -- \"$f\" "
				    "\"$bk\" && printf '@backup %s\\n' \"$bk\"\n");
			sb_adds(&sb, "b=$(mktemp) && cat -- \"$f\" >\"$b\"\n");
			hc_put_stdin(&sb, fstab, 0644);
			sb_adds(&sb, "[ $rc = 0 ] || { echo @wfail; undo; "
			    "exit 0; }\n");
		}
		sb_add(&sb, act.buf, act.len);
		sb_adds(&sb, "rm -f -- \"$b\"\necho @done\n");
		conn_result_release(&cr);
		conn_result_init(&cr);
		rc = hc_exec(ctx, sb.buf, nf.buf, nf.len, &cr, err);
		if (rc < 0)
			goto out;
		fail_from(ctx, res, cr.out.buf, path, fstab,
		    strcmp(state, "remounted") == 0);
		if (hc_section(ctx, cr.out.buf, "backup", &text) != NULL)
			backup_file = text;
	}
	else if (!changed && !ctx->check_mode && !ephemeral &&
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
	}
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
	sb_release(&pre);
	sb_release(&act);
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
