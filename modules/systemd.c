/*
 * systemd (and systemd_service, the same module under Ansible 2.14's newer
 * name): units through systemctl, as modules/systemd_service.py does: its
 * arguments, order (daemon-reload, mask, enable, state), changed logic,
 * messages and result (name, status from `systemctl show`, enabled,
 * state).  One command reads (systemctl show and is-enabled, the init.d
 * script), one applies what differs.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "hostcmd.h"

static const char *const name_aliases[] = { "service", "unit", NULL };
static const char *const state_choices[] = { "reloaded", "restarted",
	"started", "stopped", NULL };
static const char *const reload_aliases[] = { "daemon-reload", NULL };
static const char *const reexec_aliases[] = { "daemon-reexec", NULL };
static const char *const scope_choices[] = { "system", "user", "global",
	NULL };

static const struct arg_spec systemd_args[] = {
	{ .name = "name", .type = ARG_STR, .aliases = name_aliases },
	{ .name = "state", .type = ARG_STR, .choices = state_choices },
	{ .name = "enabled", .type = ARG_BOOL },
	{ .name = "force", .type = ARG_BOOL },
	{ .name = "masked", .type = ARG_BOOL },
	{ .name = "daemon_reload", .type = ARG_BOOL, .dflt = "false",
	  .aliases = reload_aliases },
	{ .name = "daemon_reexec", .type = ARG_BOOL, .dflt = "false",
	  .aliases = reexec_aliases },
	{ .name = "scope", .type = ARG_STR, .dflt = "system",
	  .choices = scope_choices },
	{ .name = "no_block", .type = ARG_BOOL, .dflt = "false" },
	{ .name = NULL },
};

/* A tri-state argument: NULL when not given. */
static const struct value *
opt_bool(const struct value *args, const char *name)
{
	const struct value *v = val_dict_get(args, name);

	return v != NULL && v->type == VAL_BOOL ? v : NULL;
}

/* systemctl with the scope, --no-block and --force switches. */
static void
add_systemctl(struct strbuf *sb, const struct value *args)
{
	const char *scope = arg_str(args, "scope");

	sb_adds(sb, "\"$sc\"");
	if (strcmp(scope, "system") != 0)
		sb_addf(sb, " --%s", scope);
	if (arg_bool(args, "no_block"))
		sb_adds(sb, " --no-block");
	if (arg_bool(args, "force"))
		sb_adds(sb, " --force");
}

static void
find_systemctl(struct strbuf *sb)
{
	/* get_bin_path(): PATH, then the sbin directories */
	sb_adds(sb, "sc=$(PATH=\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\" "
	    "command -v systemctl) || { printf '@nobin %s\\n' "
	    "\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\"; exit 0; }\n");
}

/*
 * The read script: daemon-reload/-reexec first (not in check mode, as
 * Ansible), then the unit's show and is-enabled outputs with their exit
 * codes, and whether an init.d script exists and is enabled.
 */
static void
build_read(struct task_ctx *ctx, struct strbuf *sb, const struct value *args)
{
	const char *unit = arg_str(args, "name");
	static const char *const daemon[] = { "daemon_reload", "daemon-reload",
	    "daemon_reexec", "daemon-reexec" };

	find_systemctl(sb);
	for (size_t i = 0; i < 4; i += 2) {
		if (!arg_bool(args, daemon[i]) || ctx->check_mode)
			continue;
		sb_adds(sb, "e=$(");
		add_systemctl(sb, args);
		sb_addf(sb, " %s 2>&1 >/dev/null) || { echo \"@dfail $? %s\"; "
		    "printf '%%s\\n' \"$e\"; exit 0; }\n", daemon[i + 1],
		    daemon[i + 1]);
	}
	if (unit == NULL)
		return;
	sb_adds(sb, "u=");
	sh_quote(sb, unit);
	sb_adds(sb, "\n[ -e \"/etc/init.d/$u\" ] && echo @initd\n"
	    "for f in /etc/rc?.d/S??\"$u\"; do [ -e \"$f\" ] && "
	    "{ echo @rcS; break; }; done\n"
	    "o=$(");
	add_systemctl(sb, args);
	sb_adds(sb, " show \"$u\" 2>/dev/null); echo \"@show $?\"; "
	    "printf '%s\\n' \"$o\"\n"
	    "o=$(");
	add_systemctl(sb, args);
	sb_adds(sb, " is-enabled \"$u\" -l 2>/dev/null); "
	    "echo \"@isen $?\"; printf '%s\\n' \"$o\"\necho @end\n");
}

/* parse_systemctl_show(): key=value lines, multi-line Exec*={...}. */
static struct value *
parse_show(struct task_ctx *ctx, const char *s)
{
	struct value *d = val_new_dict(ctx->a);
	struct strbuf multi = STRBUF_INIT;
	const char *key = NULL, *p = s, *nl, *eq;
	size_t klen = 0;

	for (; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		size_t n;

		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		n = (size_t)(nl - p);
		if (key == NULL) {
			const char *v, *ve;

			eq = memchr(p, '=', n);
			if (eq == NULL)
				continue;
			v = eq + 1;
			for (ve = nl; ve > v && (ve[-1] == ' ' ||
			    ve[-1] == '\t' || ve[-1] == '\r'); ve--)
				;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			if (strncmp(p, "Exec", 4) == 0 && v < ve && *v == '{' &&
			    ve[-1] != '}') {
				key = p;
				klen = (size_t)(eq - p);
				sb_reset(&multi);
				sb_add(&multi, eq + 1, (size_t)(nl - eq - 1));
				continue;
			}
			val_dict_setn(ctx->a, d, p, (size_t)(eq - p),
			    val_new_str(ctx->a, hc_strip(ctx, v,
			    (size_t)(ve - v))));
			continue;
		}
		sb_addch(&multi, '\n');
		sb_add(&multi, p, n);
		if (n > 0 && p[n - 1] == '}') {
			val_dict_setn(ctx->a, d, key, klen, val_new_str(ctx->a,
			    hc_strip(ctx, multi.buf, multi.len)));
			key = NULL;
		}
	}
	sb_release(&multi);
	return d;
}

static bool
ignored(const char *out)
{
	return strchr(out, '=') == NULL && (strstr(out, "ignoring request") !=
	    NULL || strstr(out, "ignoring command") != NULL);
}

static bool
is_state(const struct value *status, const char *const *states)
{
	const char *s = arg_str(status, "ActiveState");

	for (; s != NULL && *states != NULL; states++)
		if (strcmp(s, *states) == 0)
			return true;
	return false;
}

/* One change: the systemctl verb, and how a failure is reported. */
struct step {
	const char	*verb;
	enum { STEP_MASK, STEP_ENABLE, STEP_STATE } kind;
};

/* Run the steps in one command; 0 with res failed as Ansible's would be. */
static int
apply_steps(struct task_ctx *ctx, const struct value *args,
    const struct step *steps, size_t n, bool found, struct result *res,
    struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *unit = arg_str(args, "name");
	struct conn_result cr;
	int rc;

	find_systemctl(&sb);
	sb_adds(&sb, "u=");
	sh_quote(&sb, unit);
	sb_addch(&sb, '\n');
	for (size_t i = 0; i < n; i++) {
		sb_addf(&sb, "echo '@step %zu'\n", i);
		add_systemctl(&sb, args);
		/* Ansible reports out + err for enable, err for a state */
		sb_addf(&sb, " %s \"$u\" %s || { echo \"@fail%zu $?\"; %s}\n",
		    steps[i].verb, steps[i].kind == STEP_STATE ?
		    "2>&1 >/dev/null" : "2>&1", i,
		    steps[i].kind == STEP_MASK ? "" : "exit 0; ");
	}
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
	sb_release(&sb);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < n && !res->failed; i++) {
		char tag[32];
		const char *text;

		snprintf(tag, sizeof(tag), "step %zu", i);
		text = hc_section(ctx, cr.out.buf, tag, NULL);
		if (text == NULL) {
			res_fail(ctx, res, "systemctl did not run: %s",
			    cr.err.buf);
			break;
		}
		snprintf(tag, sizeof(tag), "fail%zu", i);
		if (!hc_has(cr.out.buf, tag))
			continue;
		if (steps[i].kind == STEP_MASK) {
			/* some systemd versions mask missing units */
			if (!found)
				res_fail(ctx, res, "Could not find the "
				    "requested service %s: host", unit);
			continue;
		}
		res_fail(ctx, res, "Unable to %s service %s: %s",
		    steps[i].verb, unit, text);
	}
out:
	conn_result_release(&cr);
	return rc;
}

static int
systemd_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *unit = arg_str(args, "name"), *state = arg_str(args, "state");
	const struct value *enabled = opt_bool(args, "enabled");
	const struct value *masked = opt_bool(args, "masked");
	struct value *status = val_new_dict(ctx->a);
	struct strbuf sb = STRBUF_INIT;
	const char *out, *show, *src, *isen, *iserc, *frc;
	static const char *const running[] = { "active", "activating", NULL };
	static const char *const deactivating[] = { "deactivating", NULL };
	static const char *const valid[] = { "enabled", "enabled-runtime",
	    "linked", "linked-runtime", "masked", "masked-runtime", "static",
	    "indirect", "disabled", "generated", "transient", NULL };
	bool is_systemd = false, is_initd, found, fail_missing = false;
	struct step steps[3];
	size_t nsteps = 0;
	struct conn_result cr;
	int rc;

	if (state == NULL && enabled == NULL && masked == NULL &&
	    !arg_bool(args, "daemon_reload") && !arg_bool(args,
	    "daemon_reexec"))
		return res_fail(ctx, res, "one of the following is required: "
		    "state, enabled, masked, daemon_reload, daemon_reexec");
	if (unit == NULL && (state != NULL || enabled != NULL ||
	    masked != NULL))
		return res_fail(ctx, res, "missing parameter(s) required by "
		    "'%s': name", state != NULL ? "state" : enabled != NULL ?
		    "enabled" : "masked");
	if (unit != NULL && strpbrk(unit, "*?[") != NULL) {
		const char *g = strpbrk(unit, "*?[");

		return res_fail(ctx, res, "This module does not currently "
		    "support using glob patterns, found '%c' in service name: "
		    "%s", *g, unit);
	}
	res_set(ctx, res, "name", unit != NULL ? val_new_str(ctx->a, unit) :
	    &val_none);
	res_set(ctx, res, "status", status);
	build_read(ctx, &sb, args);
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
	sb_release(&sb);
	if (rc < 0)
		goto out;
	out = cr.out.buf;
	if (hc_section(ctx, out, "nobin", &src) != NULL) {
		res_fail(ctx, res, "Failed to find required executable "
		    "\"systemctl\" in paths: %s", src);
		goto out;
	}
	src = hc_section(ctx, out, "dfail", &frc);
	if (src != NULL) {
		const char *sp = strchr(frc, ' ');

		res_fail(ctx, res, "failure %.*s during %s: %s",
		    sp != NULL ? (int)(sp - frc) : 0, frc, sp != NULL ? sp + 1 :
		    frc, src);
		goto out;
	}
	if (unit == NULL)
		goto out;
	if (!hc_has(out, "end")) {
		res_fail(ctx, res, "systemctl failed on the host: %s",
		    cr.err.buf);
		goto out;
	}
	is_initd = hc_has(out, "initd");
	show = hc_section(ctx, out, "show", &src);
	isen = hc_section(ctx, out, "isen", &iserc);
	if (strcmp(src, "0") == 0 && !ignored(show)) {
		const char *ls;

		if (show[0] != '\0' && strcmp(show, "\n") != 0) {
			status = parse_show(ctx, show);
			res_set(ctx, res, "status", status);
		}
		ls = arg_str(status, "LoadState");
		is_systemd = ls != NULL && strcmp(ls, "not-found") != 0;
		if (is_systemd && strcmp(ls, "masked") != 0 &&
		    val_dict_get(status, "LoadError") != NULL) {
			res_fail(ctx, res, "Error loading unit file '%s': %s",
			    unit, arg_str(status, "LoadError"));
			goto out;
		}
	} else {
		char *s = hc_strip(ctx, isen, strlen(isen));

		for (size_t i = 0; valid[i] != NULL; i++)
			if (strcmp(s, valid[i]) == 0)
				is_systemd = true;
	}
	found = is_systemd || is_initd;
	if (is_initd && !is_systemd)
		hc_warn(ctx, res, arena_printf(ctx->a, "The service (%s) is "
		    "actually an init script but the system is managed by "
		    "systemd", unit));
	if (masked != NULL) {
		bool now = strcmp(hc_strip(ctx, isen, strlen(isen)),
		    "masked") == 0;

		if (now != masked->u.b) {
			res->changed = true;
			steps[nsteps].verb = masked->u.b ? "mask" : "unmask";
			steps[nsteps++].kind = STEP_MASK;
		}
	}
	if (enabled != NULL && !found)
		fail_missing = true;
	else if (enabled != NULL) {
		bool on = false;

		if (strcmp(iserc, "0") == 0)
			on = strcmp(isen, "indirect\n") != 0 &&
			    strcmp(isen, "alias\n") != 0;
		else if (strcmp(iserc, "1") == 0 && is_initd &&
		    strcmp(arg_str(args, "scope"), "system") == 0 &&
		    hc_has(out, "rcS")) {
			char *s = hc_strip(ctx, isen, strlen(isen));
			size_t n = strlen(s);

			on = !(n >= 8 && strcmp(s + n - 8, "disabled") == 0);
		}
		res_set(ctx, res, "enabled", val_bool(on));
		if (on != enabled->u.b) {
			res->changed = true;
			steps[nsteps].verb = enabled->u.b ? "enable" :
			    "disable";
			steps[nsteps++].kind = STEP_ENABLE;
			res_set(ctx, res, "enabled", val_bool(!on));
		}
	}
	if (!fail_missing && state != NULL && !found)
		fail_missing = true;
	else if (!fail_missing && state != NULL) {
		const char *verb = NULL;

		res_set_str(ctx, res, "state", state);
		if (val_dict_get(status, "ActiveState") == NULL) {
			res_fail(ctx, res, "Service is in unknown state");
			goto out;
		}
		if (strcmp(state, "started") == 0) {
			if (!is_state(status, running))
				verb = "start";
		} else if (strcmp(state, "stopped") == 0) {
			if (is_state(status, running) ||
			    is_state(status, deactivating))
				verb = "stop";
		} else {
			verb = !is_state(status, running) ? "start" :
			    strcmp(state, "restarted") == 0 ? "restart" :
			    "reload";
			res_set_str(ctx, res, "state", "started");
		}
		if (verb != NULL) {
			res->changed = true;
			steps[nsteps].verb = verb;
			steps[nsteps++].kind = STEP_STATE;
		}
	}
	if (nsteps > 0 && !ctx->check_mode) {
		rc = apply_steps(ctx, args, steps, nsteps, found, res, err);
		if (rc < 0 || res->failed)
			goto out;
	}
	if (fail_missing)
		res_fail(ctx, res, "Could not find the requested service %s: "
		    "host", unit);
out:
	if (res->failed)
		hc_fail_only(ctx, res);
	conn_result_release(&cr);
	return rc;
}

const struct module module_systemd = {
	.name = "systemd",
	.summary = "start, stop, enable, mask systemd units (systemctl)",
	.args = systemd_args,
	.flags = MODULE_CHECK_MODE,
	.run = systemd_run,
};

const struct module module_systemd_service = {
	.name = "systemd_service",
	.summary = "the systemd module under its newer name",
	.args = systemd_args,
	.flags = MODULE_CHECK_MODE,
	.run = systemd_run,
};
