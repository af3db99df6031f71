/*
 * hostname: the host's name, as Ansible 2.14's hostname module sets it.
 * The strategy is `use`, else systemd's (hostnamectl) when systemd runs the
 * host, else the distribution's: /etc/hostname (Debian and its kin, the
 * file strategy: the running name is left alone), Alpine's (the file, then
 * `hostname -F`), SLES's /etc/HOSTNAME.  One command reads the current and
 * permanent names, one sets what differs (permanent first, as Ansible).
 */
#include <string.h>

#include "arena.h"
#include "hostcmd.h"

static const char *const use_choices[] = { "alpine", "debian", "freebsd",
	"generic", "macos", "macosx", "darwin", "openbsd", "openrc", "redhat",
	"sles", "solaris", "systemd", NULL };

static const struct arg_spec hostname_args[] = {
	{ .name = "name", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "use", .type = ARG_STR, .choices = use_choices },
	{ .name = NULL },
};

/*
 * Prints "@strategy S", "@cur NAME", "@perm NAME".  S is systemd, file,
 * alpine, sles, or "none ID" (a distribution muster has no strategy for).
 */
static void
build_read(struct strbuf *sb, const char *use)
{
	sb_adds(sb, "P=\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\"\nst=");
	sh_quote(sb, use != NULL ? use : "");
	sb_adds(sb, "\ncase $st in debian) st=systemd ;; esac\n"
	    "if [ -z \"$st\" ]; then\n"
	    "  if PATH=$P command -v systemctl >/dev/null && { [ -e "
	    "/run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || [ -e "
	    "/dev/.systemd/ ]; }; then st=systemd\n"
	    "  else id=$(. /etc/os-release 2>/dev/null; echo \"$ID\")\n"
	    "    case $id in debian|ubuntu|kali|parrot|linuxmint|raspbian|"
	    "devuan|deepin|uos|pop|void|neon|cumulus-linux|kylin|linaro) "
	    "st=file ;;\n"
	    "    alpine) st=alpine ;; sles|opensuse*) st=sles ;;\n"
	    "    *) st=\"none $id\" ;; esac\n"
	    "  fi\nfi\necho \"@strategy $st\"\n"
	    "case $st in\n"
	    "systemd) h=$(PATH=$P command -v hostnamectl) || "
	    "{ echo \"@nobin $P\"; exit 0; }\n"
	    "  c=$(\"$h\" --transient status) || { echo \"@cmdfail $?\"; "
	    "exit 0; }\n"
	    "  p=$(\"$h\" --static status) || { echo \"@cmdfail $?\"; "
	    "exit 0; }\n"
	    "  printf '@cur %s\\n@perm %s\\n' \"$c\" \"$p\" ;;\n"
	    "file|alpine|sles) f=/etc/hostname; [ \"$st\" = sles ] && "
	    "f=/etc/HOSTNAME\n"
	    "  p=; [ -f \"$f\" ] && p=$(cat \"$f\")\n"
	    "  printf '@cur %s\\n@perm %s\\n' \"$p\" \"$p\" ;;\n"
	    "esac\n");
}

/* The value of a "@tag value" line, stripped. */
static const char *
tag_value(struct task_ctx *ctx, const char *out, const char *tag)
{
	const char *rest = NULL;

	if (hc_section(ctx, out, tag, &rest) == NULL)
		return NULL;
	return hc_strip(ctx, rest, strlen(rest));
}

static void
build_set(struct strbuf *sb, const char *st, const char *name, bool perm,
    bool cur)
{
	sb_adds(sb, "P=\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\"\nrc=0\nn=");
	sh_quote(sb, name);
	sb_addch(sb, '\n');
	if (strcmp(st, "systemd") == 0) {
		sb_adds(sb, "h=$(PATH=$P command -v hostnamectl)\n");
		if (perm)
			sb_adds(sb, "o=$(\"$h\" --pretty --static set-hostname "
			    "\"$n\" 2>&1) || { printf '@fail %s\\n%s\\n' $? "
			    "\"$o\"; exit 0; }\n");
		if (cur)
			sb_adds(sb, "o=$(\"$h\" --transient set-hostname "
			    "\"$n\" 2>&1) || { printf '@fail %s\\n%s\\n' $? "
			    "\"$o\"; exit 0; }\n");
	} else if (perm) {
		hc_put_stdin(sb, strcmp(st, "sles") == 0 ? "/etc/HOSTNAME" :
		    "/etc/hostname", 0644);
		sb_adds(sb, "[ $rc = 0 ] || { echo '@wfail'; exit 0; }\n");
		if (strcmp(st, "alpine") == 0)
			sb_adds(sb, "o=$(hostname -F /etc/hostname 2>&1) || "
			    "{ printf '@fail %s\\n%s\\n' $? \"$o\"; exit 0; }\n");
	}
	sb_adds(sb, "printf '@fqdn %s\\n' \"$(hostname -f 2>/dev/null || "
	    "hostname)\"\n");
}

static int
hostname_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *name = arg_str(args, "name"), *use = arg_str(args, "use");
	const char *st, *cur, *perm, *before, *fqdn, *dot, *frc;
	struct value *facts, *diff;
	struct strbuf sb = STRBUF_INIT;
	struct conn_result cr;
	bool set_perm, set_cur;
	int rc;

	if (use != NULL && strcmp(use, "systemd") != 0 &&
	    strcmp(use, "debian") != 0 && strcmp(use, "alpine") != 0 &&
	    strcmp(use, "sles") != 0)
		return res_fail(ctx, res, "hostname strategy '%s' is not "
		    "supported by muster (systemd, debian, alpine and sles "
		    "are)", use);
	build_read(&sb, use);
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
	sb_reset(&sb);
	if (rc < 0)
		goto out;
	st = tag_value(ctx, cr.out.buf, "strategy");
	if ((frc = tag_value(ctx, cr.out.buf, "nobin")) != NULL) {
		res_fail(ctx, res, "Failed to find required executable "
		    "\"hostnamectl\" in paths: %s", frc);
		goto out;
	}
	if ((frc = tag_value(ctx, cr.out.buf, "cmdfail")) != NULL) {
		res_fail(ctx, res, "Command failed rc=%s, out=%s, err=%s", frc,
		    "", cr.err.buf);
		goto out;
	}
	cur = tag_value(ctx, cr.out.buf, "cur");
	perm = tag_value(ctx, cr.out.buf, "perm");
	if (st == NULL || strncmp(st, "none", 4) == 0 || cur == NULL ||
	    perm == NULL) {
		res_fail(ctx, res, "hostname module cannot be used on platform "
		    "Linux (%s)", st != NULL && strlen(st) > 5 ? st + 5 :
		    "unknown");
		goto out;
	}
	if (strcmp(st, "systemd") == 0 && strlen(name) > 64) {
		res_fail(ctx, res, "name cannot be longer than 64 characters on "
		    "systemd servers, try a shorter name");
		goto out;
	}
	/* the file strategies' running name is the permanent one */
	set_perm = strcmp(perm, name) != 0;
	set_cur = strcmp(cur, name) != 0;
	res->changed = set_perm || set_cur;
	before = strcmp(name, cur) != 0 ? cur : perm;
	fqdn = name;
	if (res->changed && !ctx->check_mode) {
		const char *in = arena_printf(ctx->a, "%s\n", name);

		build_set(&sb, st, name, set_perm, set_cur);
		conn_result_release(&cr);
		conn_result_init(&cr);
		rc = hc_exec(ctx, sb.buf, in, strlen(in), &cr, err);
		if (rc < 0)
			goto out;
		if (hc_has(cr.out.buf, "wfail")) {
			res_fail(ctx, res, "failed to update hostname: %s",
			    cr.err.buf);
			goto out;
		}
		if ((frc = hc_section(ctx, cr.out.buf, "fail", NULL)) != NULL) {
			res_fail(ctx, res, "Command failed rc=%s, out=%s, err=",
			    tag_value(ctx, cr.out.buf, "fail"), frc);
			goto out;
		}
		if ((frc = tag_value(ctx, cr.out.buf, "fqdn")) != NULL &&
		    *frc != '\0')
			fqdn = frc;
	}
	res_set_str(ctx, res, "name", name);
	facts = val_new_dict(ctx->a);
	dot = strchr(name, '.');
	val_dict_set(ctx->a, facts, "ansible_hostname", dot != NULL ?
	    val_new_strn(ctx->a, name, (size_t)(dot - name)) :
	    val_new_str(ctx->a, name));
	val_dict_set(ctx->a, facts, "ansible_nodename", val_new_str(ctx->a,
	    name));
	val_dict_set(ctx->a, facts, "ansible_fqdn", val_new_str(ctx->a, fqdn));
	dot = strchr(fqdn, '.');
	val_dict_set(ctx->a, facts, "ansible_domain", val_new_str(ctx->a,
	    dot != NULL ? dot + 1 : ""));
	res_set(ctx, res, "ansible_facts", facts);
	if (res->changed) {
		diff = val_new_dict(ctx->a);
		val_dict_set(ctx->a, diff, "after", val_new_strf(ctx->a,
		    "hostname = %s\n", name));
		val_dict_set(ctx->a, diff, "before", val_new_strf(ctx->a,
		    "hostname = %s\n", before));
		res_set(ctx, res, "diff", diff);
	}
out:
	if (res->failed)
		hc_fail_only(ctx, res);
	sb_release(&sb);
	conn_result_release(&cr);
	return rc;
}

const struct module module_hostname = {
	.name = "hostname",
	.summary = "set the host's name (hostnamectl or /etc/hostname)",
	.args = hostname_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = hostname_run,
};
