/*
 * static_ip: a static address on one interface, written as a muster-owned
 * file of the host's network backend (netplan, ifupdown or
 * systemd-networkd; auto picks the one the host uses) and applied with a
 * rollback guard, as `netplan try` does: before applying, a detached guard
 * on the host waits `timeout` seconds, then puts the previous file back and
 * applies again.  muster cancels the guard only once the host answers: on
 * the new address over a new SSH session when the task moves the address
 * muster reaches the host on, else on the session it has after the apply
 * succeeded.  A typo never loses a node.
 *
 * One command reads the backend, the interface's addresses and the current
 * file; the file is compared in C (idempotency, check mode, diff); one
 * command saves the old file, writes the new one atomically, starts the
 * guard and applies; one more cancels the guard.
 */
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "shell.h"

static const char *const backend_choices[] = { "auto", "netplan", "ifupdown",
	"networkd", NULL };

static const struct arg_spec static_ip_args[] = {
	{ .name = "interface", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "address", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "prefix", .type = ARG_INT },
	{ .name = "gateway", .type = ARG_STR },
	{ .name = "dns", .type = ARG_LIST, .elem = ARG_STR },
	{ .name = "backend", .type = ARG_STR, .dflt = "auto",
	  .choices = backend_choices },
	{ .name = "config", .type = ARG_PATH },
	{ .name = "timeout", .type = ARG_INT, .dflt = "30" },
	{ .name = "apply", .type = ARG_BOOL, .dflt = "true" },
	{ .name = NULL },
};

struct ipconf {
	const char		*iface;
	const char		*cidr;		/* address/prefix */
	const char		*addr;		/* address alone */
	const char		*gateway;
	const struct value	*dns;		/* list, or NULL */
	const char		*backend;
	const char		*path;
	bool			 exists;
	const char		*old;		/* current file text */
	const char		*addrs;		/* the interface's, one a line */
};

static void
render(const struct ipconf *c, struct strbuf *sb)
{
	size_t i, n = c->dns != NULL ? c->dns->u.list->n : 0;

	if (strcmp(c->backend, "netplan") == 0) {
		sb_addf(sb, "# Managed by muster (static_ip)\nnetwork:\n"
		    "  version: 2\n  ethernets:\n    %s:\n      dhcp4: false\n"
		    "      addresses:\n        - %s\n", c->iface, c->cidr);
		if (c->gateway != NULL)
			sb_addf(sb, "      routes:\n        - to: default\n"
			    "          via: %s\n", c->gateway);
		if (n > 0) {
			sb_adds(sb, "      nameservers:\n        addresses:\n");
			for (i = 0; i < n; i++)
				sb_addf(sb, "          - %s\n",
				    c->dns->u.list->items[i]->u.str.s);
		}
	} else if (strcmp(c->backend, "ifupdown") == 0) {
		sb_addf(sb, "# Managed by muster (static_ip)\nauto %s\n"
		    "iface %s inet static\n    address %s\n", c->iface,
		    c->iface, c->cidr);
		if (c->gateway != NULL)
			sb_addf(sb, "    gateway %s\n", c->gateway);
		if (n > 0) {
			sb_adds(sb, "    dns-nameservers");
			for (i = 0; i < n; i++)
				sb_addf(sb, " %s",
				    c->dns->u.list->items[i]->u.str.s);
			sb_addch(sb, '\n');
		}
	} else {
		sb_addf(sb, "# Managed by muster (static_ip)\n[Match]\n"
		    "Name=%s\n\n[Network]\nAddress=%s\n", c->iface, c->cidr);
		if (c->gateway != NULL)
			sb_addf(sb, "Gateway=%s\n", c->gateway);
		for (i = 0; i < n; i++)
			sb_addf(sb, "DNS=%s\n",
			    c->dns->u.list->items[i]->u.str.s);
	}
}

/* The command that makes the backend apply its files. */
static void
add_apply(struct strbuf *sb, const struct ipconf *c)
{
	if (strcmp(c->backend, "netplan") == 0)
		sb_adds(sb, "netplan apply");
	else if (strcmp(c->backend, "ifupdown") == 0) {
		sb_adds(sb, "{ ifdown --force ");
		sh_quote(sb, c->iface);
		sb_adds(sb, " 2>/dev/null; ifup ");
		sh_quote(sb, c->iface);
		sb_adds(sb, "; }");
	} else {
		sb_adds(sb, "{ networkctl reload && networkctl reconfigure ");
		sh_quote(sb, c->iface);
		sb_adds(sb, " || systemctl restart systemd-networkd; }");
	}
}

static void
read_script(const struct ipconf *c, const char *config, struct strbuf *sb)
{
	sb_adds(sb, "i=");
	sh_quote(sb, c->iface);
	sb_adds(sb, "; b=");
	sh_quote(sb, c->backend);
	sb_adds(sb, "\nif [ \"$b\" = auto ]; then\n"
	    "  if [ -d /etc/netplan ]; then b=netplan\n"
	    "  elif [ -f /etc/network/interfaces ] && command -v ifup "
	    ">/dev/null 2>&1; then b=ifupdown\n"
	    "  else b=networkd; fi\nfi\necho \"@@backend $b\"\n"
	    "echo @@addrs\nip -o addr show dev \"$i\" 2>/dev/null | "
	    "awk '{ print $4 }'\n"
	    "case $b in\n"
	    "  netplan) f=/etc/netplan/60-muster-$i.yaml ;;\n"
	    "  ifupdown) f=/etc/network/interfaces.d/$i ;;\n"
	    "  *) f=/etc/systemd/network/60-muster-$i.network ;;\nesac\n");
	if (config != NULL) {
		sb_adds(sb, "f=");
		sh_quote(sb, config);
		sb_addch(sb, '\n');
	}
	sb_adds(sb, "echo \"@@config $f\"\n"
	    "if [ -f \"$f\" ]; then echo @@content; cat -- \"$f\" || exit 1; "
	    "fi\n");
}

/*
 * Shell variables every later script (and the guard) uses: f the file,
 * p the previous file kept for the guard, n a marker "there was none",
 * g the guard's pid file.
 */
static void
add_vars(struct task_ctx *ctx, struct strbuf *sb, const struct ipconf *c)
{
	sb_adds(sb, "f=");
	sh_quote(sb, c->path);
	sb_adds(sb, "; p=");
	sh_quote(sb, arena_printf(ctx->a, "%s.muster-prev", c->path));
	sb_adds(sb, "; n=");
	sh_quote(sb, arena_printf(ctx->a, "%s.muster-none", c->path));
	sb_adds(sb, "; g=");
	sh_quote(sb, arena_printf(ctx->a, "/run/muster-static-ip-%s.pid",
	    c->iface));
	sb_adds(sb, "\n");
}

/* Put the previous file back (or remove the new one), then apply. */
static void
add_restore(struct strbuf *sb, const struct ipconf *c)
{
	sb_adds(sb, "if [ -f \"$n\" ]; then rm -f \"$f\" \"$n\"; "
	    "elif [ -f \"$p\" ]; then mv -f \"$p\" \"$f\"; fi; ");
	add_apply(sb, c);
	sb_adds(sb, " >/dev/null 2>&1; rm -f \"$g\"\n");
}

/* Stop the guard (its whole session: sh and its sleep), drop its files. */
static const char cancel_text[] =
    "if [ -f \"$g\" ]; then k=$(cat \"$g\"); "
    "kill -- \"-$k\" 2>/dev/null || kill \"$k\" 2>/dev/null; fi\n"
    "rm -f \"$g\" \"$p\" \"$n\"\necho @@cancelled\n";

/*
 * Save the old file, write the new one (stdin) atomically keeping an old
 * file's owner and mode, start the guard, apply: in the foreground, or,
 * when the address muster uses goes away, detached a second later so that
 * this command can still answer.
 */
static void
write_script(struct task_ctx *ctx, struct strbuf *sb, const struct ipconf *c,
    bool apply, bool moving, long long secs)
{
	struct strbuf guard = STRBUF_INIT, later = STRBUF_INIT;
	const char *mode = strcmp(c->backend, "netplan") == 0 ? "600" : "644";

	add_vars(ctx, sb, c);
	sb_addf(sb, "mkdir -p -- \"$(dirname -- \"$f\")\" || exit 1\n"
	    "rm -f \"$p\" \"$n\"\n"
	    "if [ -f \"$f\" ]; then cp -p -- \"$f\" \"$p\" || exit 1; "
	    "else : >\"$n\" || exit 1; fi\n"
	    "t=$(mktemp \"$f.XXXXXX\") || exit 1\n"
	    "if ! cat >\"$t\" || ! chmod %s \"$t\"; then rm -f \"$t\"; "
	    "exit 1; fi\n"
	    "if [ -f \"$p\" ]; then chown --reference=\"$p\" \"$t\"; "
	    "chmod --reference=\"$p\" \"$t\"; fi\n"
	    "mv -f \"$t\" \"$f\" || exit 1\necho @@written\n", mode);
	if (!apply) {
		sb_adds(sb, "rm -f \"$p\" \"$n\"\n");
		return;
	}
	add_vars(ctx, &guard, c);
	sb_addf(&guard, "sleep %lld; ", secs);
	add_restore(&guard, c);
	sb_adds(sb, "if command -v setsid >/dev/null 2>&1; then s=setsid; "
	    "else s=nohup; fi\n$s sh -c ");
	sh_quote(sb, guard.buf);
	sb_adds(sb, " </dev/null >/dev/null 2>&1 &\n"
	    "echo $! >\"$g\"; echo \"@@guard $!\"\n");
	if (moving) {
		sb_adds(&later, "sleep 1; ");
		add_apply(&later, c);
		sb_adds(sb, "$s sh -c ");
		sh_quote(sb, later.buf);
		sb_adds(sb, " </dev/null >/dev/null 2>&1 &\necho @@detached\n");
	} else {
		add_apply(sb, c);
		sb_adds(sb, " 2>&1\necho \"@@applyrc $?\"\n");
	}
	sb_release(&guard);
	sb_release(&later);
}

/* Run script on conn; 0 with cr filled, -1 when the host is unreachable. */
static int
run_on(struct task_ctx *ctx, struct conn *conn, const char *script,
    const char *in, size_t len, struct conn_result *cr, struct err *err)
{
	conn_result_release(cr);
	conn_result_init(cr);
	return conn_exec(conn, script, ctx->become, in, len, cr, err);
}

static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

/*
 * The host answers on the new address: new sessions until one opens and
 * cancels the guard, or the guard's time (less a margin) is up.
 */
static int
reach_new(struct task_ctx *ctx, const struct ipconf *c, long long secs,
    const char *cancel, bool *ok)
{
	time_t deadline = time(NULL) + secs - 1;
	struct timespec settle = { 2, 0 };
	struct conn_result cr;
	struct err e = ERR_INIT;

	*ok = false;
	conn_result_init(&cr);
	/* the detached apply starts a second after the write command ends */
	nanosleep(&settle, NULL);
	while (!*ok && time(NULL) < deadline) {
		struct conn *nc = conn_new_at(ctx->conn, c->addr);
		struct timespec pause = { 0, 500000000 };

		if (conn_open(nc, &e) == 0 && run_on(ctx, nc, cancel, NULL, 0,
		    &cr, &e) == 0 && has_line(cr.out.buf, "@@cancelled"))
			*ok = true;
		conn_free(nc);
		if (!*ok)
			nanosleep(&pause, NULL);
	}
	conn_result_release(&cr);
	return 0;
}

static int
parse_read(struct task_ctx *ctx, struct ipconf *c, const struct strbuf *out)
{
	const char *v;

	if (clu_section(ctx, out, "backend", &v) == NULL)
		return -1;
	c->backend = v;
	if (clu_section(ctx, out, "config", &v) == NULL)
		return -1;
	c->path = v;
	c->addrs = clu_section(ctx, out, "addrs", NULL);
	c->old = clu_section(ctx, out, "content", NULL);
	c->exists = c->old != NULL;
	if (c->old == NULL)
		c->old = "";
	return 0;
}

static int
static_ip_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	struct strbuf script = STRBUF_INIT, text = STRBUF_INIT;
	const char *address = arg_str(args, "address"), *slash, *here;
	const struct value *prefix = val_dict_get(args, "prefix");
	long long secs = arg_int(args, "timeout");
	bool apply = arg_bool(args, "apply"), moving = false, ok;
	struct ipconf c = { 0 };
	struct conn_result cr;
	int rc = 0;

	c.iface = arg_str(args, "interface");
	c.gateway = arg_str(args, "gateway");
	c.dns = val_dict_get(args, "dns");
	c.backend = arg_str(args, "backend");
	slash = strchr(address, '/');
	if (slash == NULL && (prefix == NULL || prefix->type == VAL_NULL))
		return res_fail(ctx, res, "'address' needs a prefix: "
		    "'%s/24', or 'prefix'", address);
	c.addr = slash != NULL ? arena_strndup(ctx->a, address,
	    (size_t)(slash - address)) : address;
	c.cidr = slash != NULL ? address : arena_printf(ctx->a, "%s/%lld",
	    address, (long long)arg_int(args, "prefix"));
	if (strchr(c.iface, '/') != NULL || c.iface[0] == '.' ||
	    c.iface[0] == '\0')
		return res_fail(ctx, res, "bad interface name '%s'", c.iface);
	if (secs < 5)
		return res_fail(ctx, res, "'timeout' must be 5 seconds or "
		    "more");

	conn_result_init(&cr);
	read_script(&c, arg_str(args, "config"), &script);
	rc = run_on(ctx, ctx->conn, script.buf, NULL, 0, &cr, err);
	if (rc < 0)
		goto out;
	if (cr.rc != 0 || parse_read(ctx, &c, &cr.out) < 0) {
		clu_fail_output(ctx, res, "cannot read the network "
		    "configuration", cr.out.buf, cr.err.buf);
		goto out;
	}
	render(&c, &text);
	res->changed = !c.exists || strcmp(c.old, text.buf) != 0;
	res_set_str(ctx, res, "backend", c.backend);
	res_set_str(ctx, res, "config", c.path);
	res_set_str(ctx, res, "address", c.cidr);
	res_set_str(ctx, res, "interface", c.iface);
	if (ctx->diff && res->changed)
		clu_diff(ctx, res, c.path, c.old, strlen(c.old), text.buf,
		    text.len);
	if (!res->changed || ctx->check_mode)
		goto out;

	/* The address muster reaches the host on leaves this interface. */
	here = conn_address(ctx->conn);
	if (apply && c.addrs != NULL && strcmp(here, c.addr) != 0) {
		const char *p = c.addrs;
		size_t n = strlen(here);

		for (; *p != '\0'; p = strchr(p, '\n') + 1) {
			if (strncmp(p, here, n) == 0 && p[n] == '/')
				moving = true;
			if (strchr(p, '\n') == NULL)
				break;
		}
	}
	sb_reset(&script);
	write_script(ctx, &script, &c, apply, moving, secs);
	rc = run_on(ctx, ctx->conn, script.buf, text.buf, text.len, &cr, err);
	if (rc < 0)
		goto out;
	if (cr.rc != 0 || clu_section(ctx, &cr.out, "written", NULL) ==
	    NULL) {
		clu_fail_output(ctx, res, arena_printf(ctx->a, "cannot write "
		    "'%s'", c.path), NULL, cr.err.buf);
		goto out;
	}
	if (!apply)
		goto out;
	sb_reset(&script);
	add_vars(ctx, &script, &c);
	sb_adds(&script, cancel_text);
	if (moving) {
		reach_new(ctx, &c, secs, script.buf, &ok);
		res_set(ctx, res, "moved", val_bool(true));
		if (!ok) {
			res_fail(ctx, res, "'%s' did not answer on %s within "
			    "%lld s: its guard puts the previous "
			    "configuration back", ctx->host, c.addr, secs);
			goto out;
		}
		res_set(ctx, res, "warnings", clu_lines(ctx, arena_printf(
		    ctx->a, "'%s' answers on %s now; later tasks still use "
		    "%s until the inventory says otherwise", ctx->host,
		    c.addr, here)));
		goto out;
	}
	if (clu_section_rc(ctx, &cr.out, "applyrc") != 0) {
		/* Put it back now rather than after the guard's wait. */
		const char *output = clu_section(ctx, &cr.out, "guard",
		    NULL);

		sb_reset(&script);
		add_vars(ctx, &script, &c);
		sb_adds(&script, "if [ -f \"$g\" ]; then k=$(cat \"$g\"); "
		    "kill -- \"-$k\" 2>/dev/null || kill \"$k\" 2>/dev/null; "
		    "fi\n");
		add_restore(&script, &c);
		rc = run_on(ctx, ctx->conn, script.buf, NULL, 0, &cr, err);
		res->changed = false;
		if (rc == 0)
			clu_fail_output(ctx, res, "applying the configuration "
			    "failed; the previous one is back", output, NULL);
		goto out;
	}
	/* Still answering on the same session: keep the new configuration. */
	rc = run_on(ctx, ctx->conn, script.buf, NULL, 0, &cr, err);
	if (rc == 0 && !has_line(cr.out.buf, "@@cancelled"))
		clu_fail_output(ctx, res, "cannot cancel the rollback guard",
		    cr.out.buf, cr.err.buf);
out:
	conn_result_release(&cr);
	sb_release(&script);
	sb_release(&text);
	return rc;
}

const struct module module_static_ip = {
	.name = "static_ip",
	.summary = "a static address, applied with a rollback guard",
	.args = static_ip_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = static_ip_run,
};
