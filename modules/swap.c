/*
 * swap: swap off (state absent, what kubelet wants) or back on (present),
 * now and at boot.  Absent turns active swap off (swapoff -a), comments out
 * every swap line of fstab with "# " as people do by hand, and masks the
 * *.swap units systemd knows (which would otherwise come back at boot from
 * fstab or a GPT swap partition).  Present removes that "# " from swap
 * lines, unmasks masked swap units and runs swapon -a.
 *
 * One command reads the state (active swap, swap units, fstab), the module
 * decides in C, then at most one command changes it plus an atomic write of
 * fstab: idempotency, check mode and diff (fstab before/after) from one path.
 */
#include <string.h>

#include "cluster.h"
#include "shell.h"

static const char *const state_choices[] = { "absent", "present", NULL };

static const struct arg_spec swap_args[] = {
	{ .name = "state", .type = ARG_STR, .dflt = "absent",
	  .choices = state_choices },
	{ .name = "fstab", .type = ARG_PATH, .dflt = "/etc/fstab" },
	{ .name = NULL },
};

/* Most fstab files are a few hundred bytes; a cap keeps a mistake cheap. */
#define FSTAB_MAX (1 << 20)

struct swap_state {
	struct value	*active;	/* names of active swap areas */
	struct value	*units;		/* *.swap units not masked */
	struct value	*masked_units;	/* *.swap units masked */
	bool		 fstab_exists;
	const char	*fstab;		/* its text */
	size_t		 fstab_len;
};

/* The n-th (0-based) whitespace-separated field of [s, end), or NULL. */
static const char *
field(const char *s, const char *end, int n, size_t *len)
{
	const char *p = s, *start;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			return NULL;
		start = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (n-- == 0) {
			*len = (size_t)(p - start);
			return start;
		}
	}
}

/* An fstab entry (not a comment) whose type field is "swap". */
static bool
is_swap_entry(const char *s, const char *end)
{
	const char *first, *type;
	size_t n;

	first = field(s, end, 0, &n);
	if (first == NULL || *first == '#')
		return false;
	type = field(s, end, 2, &n);
	return type != NULL && n == 4 && memcmp(type, "swap", 4) == 0;
}

/*
 * The new fstab: for absent, "# " before each swap entry; for present, that
 * prefix taken off again.  *entries counts the swap entries left active.
 */
static void
edit_fstab(const struct swap_state *st, bool absent, struct strbuf *out,
    int *entries)
{
	const char *p = st->fstab, *end = st->fstab + st->fstab_len, *nl;

	*entries = 0;
	for (; p < end; p = nl) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		if (absent && is_swap_entry(p, nl)) {
			sb_adds(out, "# ");
		} else if (!absent && nl - p > 2 && p[0] == '#' &&
		    p[1] == ' ' && is_swap_entry(p + 2, nl)) {
			p += 2;
			(*entries)++;
		} else if (is_swap_entry(p, nl))
			(*entries)++;
		sb_add(out, p, (size_t)(nl - p));
	}
}

/*
 * Sections "@a" (active swap names: swapon --show, else /proc/swaps for
 * busybox), "@u" (systemctl's swap units, "UNIT masked|loaded": masked as
 * systemd masks, a link to /dev/null; nothing when systemd is not running,
 * where systemctl fails), "@f" then y/n and fstab's text to the end.
 */
static void
read_script(struct strbuf *sb, const char *fstab)
{
	sb_adds(sb, "f=");
	sh_quote(sb, fstab);
	sb_adds(sb, "\necho @a\n"
	    "if ! swapon --show=NAME --noheadings 2>/dev/null; then\n"
	    "  tail -n +2 /proc/swaps 2>/dev/null | cut -d' ' -f1\nfi\n"
	    "echo @u\n"
	    "if command -v systemctl >/dev/null 2>&1; then\n"
	    "  systemctl list-units --type swap --all --no-legend --plain "
	    "2>/dev/null |\n"
	    "  while read -r a b c rest; do\n"
	    "    case $a in *.swap) u=$a l=$b ;; *) u=$b l=$c ;; esac\n"
	    "    case $u in *.swap) ;; *) continue ;; esac\n"
	    "    if [ \"$l\" = masked ] || [ \"$(readlink "
	    "\"/etc/systemd/system/$u\")\" = /dev/null ]; then\n"
	    "      echo \"$u masked\"\n"
	    "    else echo \"$u loaded\"; fi\n"
	    "  done\nfi\n"
	    "echo @f\n"
	    "if [ -f \"$f\" ]; then echo y; cat -- \"$f\" || exit 1; "
	    "else echo n; fi\n");
}

/* "UNIT masked" or "UNIT loaded" (the script's words). */
static void
parse_unit(struct task_ctx *ctx, struct swap_state *st, const char *s,
    const char *end)
{
	const char *sp = memchr(s, ' ', (size_t)(end - s));
	struct value *u;

	if (sp == NULL)
		return;
	u = val_new_strn(ctx->a, s, (size_t)(sp - s));
	if (end - sp == 7 && memcmp(sp + 1, "masked", 6) == 0)
		val_list_push(ctx->a, st->masked_units, u);
	else
		val_list_push(ctx->a, st->units, u);
}

static int
parse_state(struct task_ctx *ctx, const struct strbuf *out,
    struct swap_state *st)
{
	const char *p = out->buf, *end = out->buf + out->len, *nl;
	char section = 0;

	st->active = val_new_list(ctx->a);
	st->units = val_new_list(ctx->a);
	st->masked_units = val_new_list(ctx->a);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl - p == 2 && p[0] == '@') {
			section = p[1];
			if (section == 'f')
				break;
			continue;
		}
		if (section == 'a' && nl > p)
			val_list_push(ctx->a, st->active, val_new_strn(ctx->a,
			    p, (size_t)(nl - p)));
		else if (section == 'u')
			parse_unit(ctx, st, p, nl);
	}
	if (section != 'f' || nl + 2 > end)
		return -1;
	st->fstab_exists = nl[1] == 'y';
	p = nl + 3;
	if (p > end)
		p = end;
	st->fstab = p;
	st->fstab_len = (size_t)(end - p);
	return 0;
}

/* Units to (un)mask as quoted words after the systemctl verb. */
static void
add_units(struct strbuf *sb, const char *verb, const struct value *units)
{
	size_t i;

	if (units->u.list->n == 0)
		return;
	sb_addf(sb, "systemctl %s --", verb);
	for (i = 0; i < units->u.list->n; i++) {
		sb_addch(sb, ' ');
		sh_quote(sb, units->u.list->items[i]->u.str.s);
	}
	sb_adds(sb, " || exit 1\n");
}

static int
swap_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	const char *fstab = arg_str(args, "fstab");
	bool absent = strcmp(arg_str(args, "state"), "absent") == 0;
	struct strbuf cmd = STRBUF_INIT, next = STRBUF_INIT;
	struct swap_state st;
	struct conn_result cr;
	struct value *units;
	bool fstab_changed, was_on, swap_change;
	int entries, rc;

	conn_result_init(&cr);
	read_script(&cmd, fstab);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &cr, err);
	if (rc < 0)
		goto out;
	if (cr.rc != 0 || parse_state(ctx, &cr.out, &st) < 0) {
		sb_rtrim(&cr.err);
		res_fail(ctx, res, "cannot read the swap state of '%s': %s",
		    fstab, cr.err.len > 0 ? cr.err.buf : "no output");
		goto out;
	}
	if (st.fstab_len > FSTAB_MAX) {
		res_fail(ctx, res, "'%s' is too large for an fstab", fstab);
		goto out;
	}
	edit_fstab(&st, absent, &next, &entries);
	fstab_changed = st.fstab_exists && (next.len != st.fstab_len ||
	    memcmp(next.buf, st.fstab, next.len) != 0);
	was_on = st.active->u.list->n > 0;
	units = absent ? st.units : st.masked_units;
	/* present: swapon -a when fstab names swap that may be off */
	swap_change = absent ? was_on : (entries > 0 && (!was_on ||
	    fstab_changed));
	res->changed = fstab_changed || swap_change || units->u.list->n > 0;

	res_set(ctx, res, "state", val_new_str(ctx->a, absent ? "absent" :
	    "present"));
	res_set(ctx, res, "fstab_changed", val_bool(fstab_changed));
	res_set(ctx, res, "swap_was_on", val_bool(was_on));
	res_set(ctx, res, absent ? "masked" : "unmasked", units);
	res_set(ctx, res, "active", st.active);
	if (ctx->diff && fstab_changed)
		clu_diff(ctx, res, fstab, st.fstab, st.fstab_len, next.buf,
		    next.len);
	if (ctx->check_mode || !res->changed)
		goto out;

	/* Off before fstab changes: a failed swapoff leaves fstab as it was. */
	sb_reset(&cmd);
	if (absent && was_on)
		sb_adds(&cmd, "swapoff -a || exit 1\n");
	add_units(&cmd, absent ? "mask" : "unmask", units);
	if (cmd.len > 0) {
		conn_result_release(&cr);
		conn_result_init(&cr);
		rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &cr,
		    err);
		if (rc < 0)
			goto out;
		if (cr.rc != 0) {
			sb_rtrim(&cr.err);
			res_fail(ctx, res, "%s", cr.err.len > 0 ? cr.err.buf :
			    "swapoff failed");
			goto out;
		}
	}
	if (fstab_changed) {
		rc = conn_put(ctx->conn, fstab, next.buf, next.len, -1,
		    ctx->become, err);
		if (rc < 0) {
			if (conn_dead(ctx->conn))
				goto out;
			rc = 0;
			res_fail(ctx, res, "cannot write '%s': %s", fstab,
			    err->msg);
			goto out;
		}
	}
	if (!absent && swap_change) {
		conn_result_release(&cr);
		conn_result_init(&cr);
		rc = conn_exec(ctx->conn, "swapon -a", ctx->become, NULL, 0,
		    &cr, err);
		if (rc == 0 && cr.rc != 0) {
			sb_rtrim(&cr.err);
			res_fail(ctx, res, "swapon -a failed: %s", cr.err.buf);
		}
	}
out:
	conn_result_release(&cr);
	sb_release(&cmd);
	sb_release(&next);
	return rc;
}

const struct module module_swap = {
	.name = "swap",
	.summary = "turn swap off (or on) now and at boot: fstab, units",
	.args = swap_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = swap_run,
};
