/*
 * service: what Ansible 2.14's service action does.  The host's service
 * manager (use, else the ansible_facts.service_mgr fact, else one detection
 * command like the service_mgr fact collector's) picks the module: systemd
 * runs the systemd module with these arguments (pattern, runlevel, sleep and
 * arguments dropped with a warning); sysvinit runs modules/sysvinit.py's
 * logic: the init.d script's status heuristics, update-rc.d to enable or
 * disable, the script for start/stop/restart/reload.  Anything else is an
 * error naming the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "hostcmd.h"

extern const struct module module_systemd;

static const char *const state_choices[] = { "started", "stopped",
	"reloaded", "restarted", NULL };
static const char *const args_aliases[] = { "args", NULL };

static const struct arg_spec service_args[] = {
	{ .name = "name", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "state", .type = ARG_STR, .choices = state_choices },
	{ .name = "sleep", .type = ARG_INT },
	{ .name = "pattern", .type = ARG_STR },
	{ .name = "enabled", .type = ARG_BOOL },
	{ .name = "runlevel", .type = ARG_STR, .dflt = "default" },
	{ .name = "arguments", .type = ARG_STR, .dflt = "",
	  .aliases = args_aliases },
	{ .name = "use", .type = ARG_STR, .dflt = "auto" },
	{ .name = NULL },
};

/* The collector's order (facts/system/service_mgr.py), minus pid 1's name. */
static const char detect_script[] =
	"P=\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\"\n"
	"if PATH=$P command -v systemctl >/dev/null && { [ -e "
	"/run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || [ -e "
	"/dev/.systemd/ ]; }; then echo systemd\n"
	"elif PATH=$P command -v initctl >/dev/null && [ -e /etc/init/ ]; "
	"then echo upstart\n"
	"elif [ -e /sbin/openrc ]; then echo openrc\n"
	"elif PATH=$P command -v systemctl >/dev/null && [ -L /sbin/init ] && "
	"[ \"$(basename \"$(readlink /sbin/init)\")\" = systemd ]; then "
	"echo systemd\n"
	"elif [ -e /etc/init.d/ ]; then echo sysvinit\n"
	"else echo service; fi\n";

static const char *
fact_service_mgr(struct task_ctx *ctx)
{
	const struct value *f;

	if (ctx->vars == NULL)
		return NULL;
	f = val_dict_get(ctx->vars, "ansible_facts");
	f = f != NULL ? val_dict_get(f, "service_mgr") : NULL;
	if (f == NULL)
		f = val_dict_get(ctx->vars, "ansible_service_mgr");
	return f != NULL && f->type == VAL_STR ? f->u.str.s : NULL;
}

static int
run_systemd(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	struct value *a = val_new_dict(ctx->a), *checked;
	const struct value *v;
	const char *s;

	val_dict_set(ctx->a, a, "name", val_dict_get(args, "name"));
	if ((v = val_dict_get(args, "state")) != NULL)
		val_dict_set(ctx->a, a, "state", val_copy(ctx->a, v));
	if ((v = val_dict_get(args, "enabled")) != NULL)
		val_dict_set(ctx->a, a, "enabled", val_copy(ctx->a, v));
	checked = mod_check_args(ctx->a, &module_systemd, a, err);
	if (checked == NULL)
		return res_fail(ctx, res, "%s", err->msg);
	if (module_systemd.run(ctx, checked, res, err) < 0)
		return -1;
	/* the action plugin's warnings for what systemd does not take */
	if (val_dict_get(args, "pattern") != NULL)
		hc_warn(ctx, res, "Ignoring \"pattern\" as it is not used in "
		    "\"systemd\"");
	if ((s = arg_str(args, "runlevel")) != NULL &&
	    strcmp(s, "default") != 0)
		hc_warn(ctx, res, "Ignoring \"runlevel\" as it is not used in "
		    "\"systemd\"");
	if (val_dict_get(args, "sleep") != NULL)
		hc_warn(ctx, res, "Ignoring \"sleep\" as it is not used in "
		    "\"systemd\"");
	if ((s = arg_str(args, "arguments")) != NULL && *s != '\0')
		hc_warn(ctx, res, "Ignoring \"arguments\" as it is not used in "
		    "\"systemd\"");
	return 0;
}

/* sysvinit.py's reading of `service NAME status` (or the script's). */
static bool
sysv_started(const char *name, const char *out, int rc, bool ps_name,
    bool *worked)
{
	static const char *const stopped[] = { "stop", "is dead ", "dead but ",
	    "could not access pid file", "inactive", NULL };
	static const char *const started[] = { "run", "start", "active",
	    NULL };
	struct strbuf clean = STRBUF_INIT;
	size_t nlines = 0, nl = strlen(name);
	bool is = false;

	*worked = false;
	for (const char *p = out; *p != '\0'; p++)
		nlines += *p == '\n';
	if (strcmp(name, "iptables") == 0 && strstr(out, "ACCEPT") != NULL)
		*worked = is = true;
	if (!*worked && nlines <= 1) {
		/* out.lower().replace(name.lower(), '') */
		for (const char *p = out; *p != '\0';) {
			if (nl > 0 && strncasecmp(p, name, nl) == 0) {
				p += nl;
				continue;
			}
			sb_addch(&clean, *p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			p++;
		}
		for (size_t i = 0; stopped[i] != NULL && !*worked; i++)
			if (strstr(clean.buf, stopped[i]) != NULL)
				*worked = true;
		for (size_t i = 0; started[i] != NULL && !*worked; i++)
			if (strstr(clean.buf, started[i]) != NULL &&
			    strstr(clean.buf, "not ") == NULL)
				*worked = is = true;
	}
	if (!*worked && (rc == 1 || rc == 2 || rc == 3 || rc == 4 || rc == 69))
		*worked = true;
	if (!*worked && (rc == 0 || ps_name))
		*worked = is = true;
	sb_release(&clean);
	return is;
}

static struct value *
step_status(struct task_ctx *ctx)
{
	struct value *d = val_new_dict(ctx->a);

	val_dict_set(ctx->a, d, "changed", &val_false);
	val_dict_set(ctx->a, d, "rc", &val_none);
	val_dict_set(ctx->a, d, "stdout", &val_none);
	val_dict_set(ctx->a, d, "stderr", &val_none);
	return d;
}

static void
add_script_step(struct strbuf *sb, const char *verb, const char *arguments,
    int64_t sleep_for, const char *tag)
{
	sb_addf(sb, "echo '@%s'\n\"$s\" %s", tag, verb);
	if (arguments != NULL && *arguments != '\0') {
		sb_addch(sb, ' ');
		sb_adds(sb, arguments);	/* split by the shell, as shlex */
	}
	sb_addf(sb, " 2>&1 || { echo \"@fail $?\"; exit 0; }\n");
	if (sleep_for > 0)
		sb_addf(sb, "sleep %lld\n", (long long)sleep_for);
}

static int
run_sysvinit(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *name = arg_str(args, "name"), *state = arg_str(args,
	    "state"), *pattern = arg_str(args, "pattern"), *st, *src;
	const char *arguments = arg_str(args, "arguments");
	const struct value *enabled = val_dict_get(args, "enabled");
	const struct value *sl = val_dict_get(args, "sleep");
	int64_t sleep_for = sl != NULL ? arg_int(args, "sleep") : 1;
	struct value *status = val_new_dict(ctx->a), *es, *ss;
	struct strbuf sb = STRBUF_INIT, q = STRBUF_INIT;
	bool started, worked, is_on, ch_en = false, ch_st = false;
	struct conn_result cr;
	const char *verb = NULL;
	int rc;

	res_set_str(ctx, res, "name", name);
	res_set(ctx, res, "status", status);
	if (name[0] == '/')
		sh_quote(&q, name);
	else {
		sb_adds(&q, "/etc/init.d/");
		sh_quote(&q, name);
	}
	sb_addf(&sb, "s=%s\nn=", q.buf);
	sh_quote(&sb, name);
	sb_adds(&sb, "\nexport PATH=\"$PATH:/sbin:/usr/sbin:/bin:/usr/bin\"\n"
	    "[ -e \"$s\" ] || { echo @missing; exit 0; }\n"
	    "for f in /etc/rc?.d/S??\"$n\"; do [ -e \"$f\" ] && "
	    "{ echo @on; break; }; done\n");
	if (pattern != NULL) {
		sb_adds(&sb, "ps auxww | grep -F -e ");
		sh_quote(&sb, pattern);
		sb_adds(&sb, " | grep -vF pattern= | grep -qv 'grep -F' && "
		    "echo @ps\n");
	} else
		sb_adds(&sb, "if command -v service >/dev/null; then "
		    "o=$(service \"$n\" status 2>/dev/null); else "
		    "o=$(\"$s\" status 2>/dev/null); fi; echo \"@status $?\"; "
		    "printf '%s\\n' \"$o\"\n"
		    "ps auxww | grep -F -e \"$n\" | grep -qv 'grep -F' && "
		    "echo @psname\n");
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
	sb_reset(&sb);
	if (rc < 0)
		goto out;
	if (hc_has(cr.out.buf, "missing")) {
		res_fail(ctx, res, "Could not find the requested service %s: ",
		    name);
		hc_fail_only(ctx, res);
		goto out;
	}
	if (pattern != NULL)
		worked = started = hc_has(cr.out.buf, "ps");
	else {
		st = hc_section(ctx, cr.out.buf, "status", &src);
		if (st == NULL) {
			res_fail(ctx, res, "Unable to determine service "
			    "status");
			hc_fail_only(ctx, res);
			goto out;
		}
		/* printf added a newline the captured output lost */
		started = sysv_started(name, st, atoi(src),
		    hc_has(cr.out.buf, "psname"), &worked);
		if (worked && started && atoi(src) != 0 &&
		    hc_has(cr.out.buf, "psname"))
			hc_warn(ctx, res, "Used ps output to match service name "
			    "and determine it is up, this is very unreliable");
	}
	if (!worked)
		hc_warn(ctx, res, "Unable to determine if service is up, "
		    "assuming it is down");
	is_on = hc_has(cr.out.buf, "on");
	es = step_status(ctx);
	val_dict_set(ctx->a, status, "enabled", es);
	if (enabled != NULL && val_truthy(enabled) != is_on)
		ch_en = true;
	ss = step_status(ctx);
	val_dict_set(ctx->a, status, state != NULL ? state : "null", ss);
	if (state != NULL) {
		verb = strcmp(state, "started") == 0 ? "start" :
		    strcmp(state, "stopped") == 0 ? "stop" :
		    strcmp(state, "restarted") == 0 ? "restart" : "reload";
		if (strcmp(verb, "restart") == 0 ||
		    started != (strcmp(verb, "start") == 0) ||
		    started == (strcmp(verb, "stop") == 0))
			ch_st = true;
	}
	res->changed = ch_en || ch_st;
	if (ch_en)
		val_dict_set(ctx->a, es, "changed", &val_true);
	if (ch_st)
		val_dict_set(ctx->a, ss, "changed", &val_true);
	if (ctx->check_mode || !res->changed)
		goto out;
	sb_addf(&sb, "s=%s\nn=", q.buf);
	sh_quote(&sb, name);
	sb_adds(&sb, "\nexport PATH=\"$PATH:/sbin:/usr/sbin:/bin:/usr/bin\"\n");
	if (ch_en)
		sb_addf(&sb, "o=$(update-rc.d \"$n\" %s 2>&1); "
		    "echo \"@enrc $?\"; printf '%%s\\n' \"$o\"\n",
		    val_truthy(enabled) ? "defaults" : "disable");
	if (ch_st && strcmp(verb, "restart") == 0) {
		add_script_step(&sb, "stop", arguments, sleep_for, "stop");
		add_script_step(&sb, "start", arguments, sleep_for, "start");
	} else if (ch_st)
		add_script_step(&sb, verb, arguments, 0, "run");
	sb_adds(&sb, "echo @end\n");
	conn_result_release(&cr);
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
	if (rc < 0)
		goto out;
	if (ch_en) {
		const char *o = hc_section(ctx, cr.out.buf, "enrc", &src);

		val_dict_set(ctx->a, es, "rc", val_new_int(ctx->a, atoi(src)));
		val_dict_set(ctx->a, es, "stdout", val_new_str(ctx->a,
		    o != NULL && strcmp(o, "\n") != 0 ? o : ""));
		/* update-rc.d's stderr is in its stdout here */
		val_dict_set(ctx->a, es, "stderr", val_new_str(ctx->a, ""));
		if (o != NULL && strstr(o, "illegal runlevel specified")) {
			res_fail(ctx, res, "Illegal runlevel specified for "
			    "enable operation on service %s", name);
			goto out;
		}
	}
	if (ch_st) {
		const char *f = hc_section(ctx, cr.out.buf, "fail", &src);

		if (f != NULL) {
			const char *o = hc_section(ctx, cr.out.buf,
			    strcmp(verb, "restart") != 0 ? "run" :
			    hc_has(cr.out.buf, "start") ? "start" : "stop",
			    NULL);

			res_fail(ctx, res, "Failed to %s service: %s", verb,
			    name);
			hc_fail_only(ctx, res);
			res_set(ctx, res, "rc", val_new_int(ctx->a, atoi(src)));
			res_set_str(ctx, res, "stdout", o != NULL ? o : "");
			res_set_str(ctx, res, "stderr", "");
			goto out;
		}
		val_dict_set(ctx->a, ss, "rc", val_new_int(ctx->a, 0));
		val_dict_set(ctx->a, ss, "stdout", val_new_str(ctx->a,
		    hc_section(ctx, cr.out.buf, strcmp(verb, "restart") == 0 ?
		    "start" : "run", NULL)));
		val_dict_set(ctx->a, ss, "stderr", val_new_str(ctx->a, ""));
	}
out:
	sb_release(&sb);
	sb_release(&q);
	conn_result_release(&cr);
	return rc;
}

static int
service_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *use = arg_str(args, "use"), *mgr = NULL;
	struct conn_result cr;
	char *lc;

	if (val_dict_get(args, "state") == NULL &&
	    val_dict_get(args, "enabled") == NULL)
		return res_fail(ctx, res, "one of the following is required: "
		    "state, enabled");
	lc = arena_strdup(ctx->a, use);
	for (char *p = lc; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 32;
	if (strcmp(lc, "auto") != 0)
		mgr = lc;
	if (mgr == NULL)
		mgr = fact_service_mgr(ctx);
	if (mgr == NULL) {
		conn_result_init(&cr);
		if (hc_exec(ctx, detect_script, NULL, 0, &cr, err) < 0) {
			conn_result_release(&cr);
			return -1;
		}
		sb_rtrim(&cr.out);
		mgr = arena_strdup(ctx->a, cr.out.buf);
		conn_result_release(&cr);
	}
	if (strcmp(mgr, "systemd") == 0)
		return run_systemd(ctx, args, res, err);
	if (strcmp(mgr, "sysvinit") == 0)
		return run_sysvinit(ctx, args, res, err);
	return res_fail(ctx, res, "service manager '%s' of host '%s' is not "
	    "supported by muster's service module (systemd and sysvinit "
	    "are); set 'use' to one of them", mgr[0] != '\0' ? mgr :
	    "unknown", ctx->host);
}

const struct module module_service = {
	.name = "service",
	.summary = "manage services through the host's service manager",
	.args = service_args,
	.flags = MODULE_CHECK_MODE,
	.run = service_run,
};
