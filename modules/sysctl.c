/*
 * sysctl: a kernel parameter in a sysctl file and, optionally, in the
 * running kernel, as ansible.posix.sysctl does it (that collection is not
 * part of ansible-core): the file is rewritten in Ansible's normal form
 * (every "key = value" line becomes "key=value", a repeated key keeps its
 * first line, comments stay), the edit is done here on the controller and
 * written back atomically; `sysctl -w` when sysctl_set and the running
 * value differs; `sysctl -p FILE` when something changed and reload.  One
 * command reads (the file, `sysctl -e -n`), one applies.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "hostcmd.h"

static const char *const name_aliases[] = { "key", NULL };
static const char *const value_aliases[] = { "val", NULL };
static const char *const state_choices[] = { "present", "absent", NULL };

static const struct arg_spec sysctl_args[] = {
	{ .name = "name", .type = ARG_STR, .flags = ARG_REQUIRED,
	  .aliases = name_aliases },
	{ .name = "value", .type = ARG_STR, .aliases = value_aliases },
	{ .name = "state", .type = ARG_STR, .dflt = "present",
	  .choices = state_choices },
	{ .name = "reload", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "sysctl_set", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "ignoreerrors", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "sysctl_file", .type = ARG_PATH, .dflt = "/etc/sysctl.conf" },
	{ .name = NULL },
};

/* _parse_value(): booleans become 1 and 0, anything else is stripped. */
static const char *
parse_value(struct task_ctx *ctx, const char *v)
{
	static const char *const yes[] = { "y", "yes", "on", "1", "true", "t",
	    "1.0", NULL };
	static const char *const no[] = { "n", "no", "off", "0", "false", "f",
	    "0.0", NULL };

	if (v == NULL)
		return "";
	for (size_t i = 0; yes[i] != NULL; i++)
		if (strcasecmp(v, yes[i]) == 0)
			return "1";
	for (size_t i = 0; no[i] != NULL; i++)
		if (strcasecmp(v, no[i]) == 0)
			return "0";
	return hc_strip(ctx, v, strlen(v));
}

/* _values_is_equal(): the same whitespace-separated words. */
static bool
values_equal(const char *a, const char *b)
{
	for (;;) {
		size_t na, nb;

		while (isspace((unsigned char)*a))
			a++;
		while (isspace((unsigned char)*b))
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		na = strcspn(a, " \t\n\r\f\v");
		nb = strcspn(b, " \t\n\r\f\v");
		if (na != nb || memcmp(a, b, na) != 0)
			return false;
		a += na;
		b += nb;
	}
}

/* A stripped line: a comment, a blank, or without '=': kept as is. */
static bool
is_entry(const char *l)
{
	return l[0] != '\0' && l[0] != '#' && l[0] != ';' &&
	    strchr(l, '=') != NULL;
}

/*
 * read_sysctl_file() and fix_lines(): the new contents in out, the
 * file's value for name in *file_value (its last line wins, NULL if none).
 */
static void
fix_file(struct task_ctx *ctx, const char *text, const char *name,
    const char *value, bool present, struct strbuf *out,
    const char **file_value)
{
	struct value *seen = val_new_dict(ctx->a);
	const char *p = text, *nl;

	*file_value = NULL;
	while (p != NULL && *p != '\0') {
		char *l, *eq, *k, *v;

		nl = strchr(p, '\n');
		l = hc_strip(ctx, p, nl != NULL ? (size_t)(nl - p) :
		    strlen(p));
		p = nl != NULL ? nl + 1 : NULL;
		if (!is_entry(l)) {
			sb_adds(out, l);
			sb_addch(out, '\n');
			continue;
		}
		eq = strchr(l, '=');
		k = hc_strip(ctx, l, (size_t)(eq - l));
		v = hc_strip(ctx, eq + 1, strlen(eq + 1));
		if (strcmp(k, name) == 0)
			*file_value = v;
		if (val_dict_get(seen, k) != NULL)
			continue;
		val_dict_set(ctx->a, seen, k, &val_true);
		if (strcmp(k, name) == 0) {
			if (present)
				sb_addf(out, "%s=%s\n", k, value);
		} else
			sb_addf(out, "%s=%s\n", k, v);
	}
	if (val_dict_get(seen, name) == NULL && present)
		sb_addf(out, "%s=%s\n", name, value);
}

static const char find_sysctl[] =
	"s=$(PATH=\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\" command -v sysctl)"
	" || { printf '@nobin %s\\n' \"$PATH:/sbin:/usr/sbin:/usr/local/sbin\";"
	" exit 0; }\nexport LANG=C LC_ALL=C LC_MESSAGES=C\n";

/* _stderr_failed(): errors sysctl reports with exit status 0. */
static bool
stderr_failed(const char *err)
{
	static const char *const tails[] = { "\": Invalid argument",
	    "\": Read-only file system", NULL };
	const char *p = err;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (strncmp(p, "sysctl: setting key \"", 21) == 0)
			for (size_t i = 0; tails[i] != NULL; i++) {
				size_t t = strlen(tails[i]);

				if (n > t && memcmp(p + n - t, tails[i], t) == 0)
					return true;
			}
		p = nl != NULL ? nl + 1 : NULL;
	}
	return false;
}

static int
sysctl_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *name = arg_str(args, "name"), *raw = arg_str(args, "value");
	const char *file = arg_str(args, "sysctl_file"), *value, *text, *src;
	const char *file_value, *proc = NULL, *bin;
	bool present = strcmp(arg_str(args, "state"), "present") == 0;
	bool ign = arg_bool(args, "ignoreerrors"), write_file = false;
	bool set_proc = false;
	struct strbuf sb = STRBUF_INIT, fixed = STRBUF_INIT;
	struct conn_result cr;
	int rc = 0;

	if (present && raw == NULL)
		return res_fail(ctx, res, "state is present but all of the "
		    "following are missing: value");
	name = hc_strip(ctx, name, strlen(name));
	value = parse_value(ctx, raw);
	if (*name == '\0')
		return res_fail(ctx, res, "name cannot be blank");
	if (present && *value == '\0')
		return res_fail(ctx, res, "value cannot be blank");
	sb_adds(&sb, find_sysctl);
	sb_adds(&sb, "o=$(\"$s\" -e -n ");
	sh_quote(&sb, name);
	sb_adds(&sb, " 2>/dev/null); echo \"@proc $?\"; printf '%s\\n' "
	    "\"$o\"\nf=");
	sh_quote(&sb, file);
	sb_adds(&sb, "\nif [ -f \"$f\" ]; then echo @file; cat -- \"$f\"; "
	    "fi\n");
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
	sb_reset(&sb);
	if (rc < 0)
		goto out;
	if ((text = hc_section(ctx, cr.out.buf, "nobin", &src)) != NULL) {
		res_fail(ctx, res, "Failed to find required executable "
		    "\"sysctl\" in paths: %s", src);
		goto out;
	}
	text = hc_section(ctx, cr.out.buf, "proc", &src);
	if (text == NULL) {
		res_fail(ctx, res, "failed to read '%s': %s", file,
		    cr.err.buf);
		goto out;
	}
	if (strcmp(src, "0") == 0)
		proc = text;
	text = hc_tail(cr.out.buf, "file");
	fix_file(ctx, text != NULL ? text : "", name, value, present, &fixed,
	    &file_value);
	if (file_value == NULL)
		write_file = present;
	else if (!present)
		write_file = *file_value != '\0';
	else if (strcmp(file_value, value) != 0)
		write_file = true;
	else if (arg_bool(args, "reload"))
		res->changed = proc == NULL || !values_equal(proc, value);
	if (write_file)
		res->changed = true;
	if (arg_bool(args, "sysctl_set") && present) {
		if (proc == NULL)
			res->changed = true;
		else if (!values_equal(proc, value))
			res->changed = set_proc = true;
	}
	if (ctx->check_mode || !(set_proc || write_file || (res->changed &&
	    arg_bool(args, "reload"))))
		goto out;
	sb_adds(&sb, find_sysctl);
	sb_adds(&sb, "rc=0\n");
	if (set_proc) {
		sb_addf(&sb, "echo @set; \"$s\" %s-w ", ign ? "-e " : "");
		bin = arena_printf(ctx->a, "%s=%s", name, value);
		sh_quote(&sb, bin);
		sb_adds(&sb, " 2>&1 || { echo \"@setfail $?\"; exit 0; }\n");
	}
	if (write_file) {
		hc_put_stdin(&sb, file, 0644);
		sb_adds(&sb, "[ $rc = 0 ] || { echo @wfail; exit 0; }\n");
	}
	if (res->changed && arg_bool(args, "reload")) {
		sb_addf(&sb, "echo @reload; \"$s\" %s-p ", ign ? "-e " : "");
		sh_quote(&sb, file);
		sb_adds(&sb, " 2>&1 || echo \"@reloadfail $?\"\n");
	}
	conn_result_release(&cr);
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, fixed.buf, fixed.len, &cr, err);
	if (rc < 0)
		goto out;
	text = hc_section(ctx, cr.out.buf, "set", NULL);
	if (text != NULL && (hc_has(cr.out.buf, "setfail") ||
	    stderr_failed(text))) {
		res_fail(ctx, res, "setting %s failed: %s", name, text);
		goto out;
	}
	if (hc_has(cr.out.buf, "wfail")) {
		res_fail(ctx, res, "Failed to write to file %s: %s", file,
		    cr.err.buf);
		goto out;
	}
	text = hc_section(ctx, cr.out.buf, "reload", NULL);
	if (text != NULL && (hc_has(cr.out.buf, "reloadfail") ||
	    stderr_failed(text)))
		res_fail(ctx, res, "Failed to reload sysctl: %s", text);
out:
	if (res->failed)
		hc_fail_only(ctx, res);
	sb_release(&sb);
	sb_release(&fixed);
	conn_result_release(&cr);
	return rc;
}

const struct module module_sysctl = {
	.name = "sysctl",
	.summary = "set a kernel parameter in a sysctl file and the kernel",
	.args = sysctl_args,
	.flags = MODULE_CHECK_MODE,
	.run = sysctl_run,
};
