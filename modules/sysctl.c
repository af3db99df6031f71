/*
 * sysctl: a kernel parameter in a sysctl file and, optionally, in the
 * running kernel, as ansible.posix.sysctl does it (that collection is not
 * part of ansible-core): the file is rewritten in Ansible's normal form
 * (every "key = value" line becomes "key=value", a repeated key keeps its
 * first line, comments stay), the edit is done here on the controller and
 * written back atomically; `sysctl -w` when sysctl_set and the running
 * value differs; `sysctl -p FILE` when something changed and reload, their
 * stdout and stderr kept apart for Ansible's messages.  One command reads
 * (the file, `sysctl -e -n`), one applies.
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

/*
 * _parse_value(): the strings of Ansible's BOOLEANS_TRUE and BOOLEANS_FALSE
 * become 1 and 0 ("1.0" is not one of them: only the float is), anything
 * else is stripped.
 */
static const char *
parse_value(struct task_ctx *ctx, const char *v)
{
	static const char *const yes[] = { "y", "yes", "on", "1", "true", "t",
	    NULL };
	static const char *const no[] = { "n", "no", "off", "0", "false", "f",
	    NULL };

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
 * read_sysctl_file() and fix_lines(): the new contents in out (every line
 * stripped, as write_sysctl() writes them), the file's value for name in
 * *file_value (its last line wins, NULL if none).
 */
static void
fix_file(struct task_ctx *ctx, const char *text, const char *name,
    const char *value, bool present, struct strbuf *out,
    const char **file_value)
{
	struct value *seen = val_new_dict(ctx->a);
	struct hc_line *lines;
	size_t n = hc_lines(ctx, text, strlen(text), &lines);

	*file_value = NULL;
	for (size_t i = 0; i < n; i++) {
		char *l, *eq, *k, *v;

		l = hc_strip(ctx, lines[i].s, lines[i].len);
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

/*
 * _stderr_failed(): errors sysctl reports with exit status 0, a line
 * `^sysctl: setting key "[^"]+": (Invalid argument|Read-only file system)$`.
 */
static bool
stderr_failed(const char *err)
{
	static const char head[] = "sysctl: setting key \"";
	static const char *const tails[] = { "\": Invalid argument",
	    "\": Read-only file system", NULL };
	const char *p = err;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		size_t h = sizeof(head) - 1;

		if (n > h && strncmp(p, head, h) == 0)
			for (size_t i = 0; tails[i] != NULL; i++) {
				size_t t = strlen(tails[i]);
				const char *k = p + h;

				if (n > h + t && memcmp(p + n - t, tails[i],
				    t) == 0 && memchr(k, '"', n - h - t) ==
				    NULL)
					return true;
			}
		p = nl != NULL ? nl + 1 : NULL;
	}
	return false;
}

/*
 * process(): what to do, in Ansible's order.  file_value is the file's
 * value (NULL: not in the file), proc the kernel's (NULL: sysctl failed).
 */
static void
decide(const struct value *args, bool present, const char *value,
    const char *file_value, const char *proc, bool *changed, bool *write,
    bool *set_proc)
{
	*changed = *write = *set_proc = false;
	if (file_value == NULL && present)
		*changed = *write = true;
	else if (file_value == NULL)
		;	/* absent, and not in the file */
	else if (*file_value != '\0' && !present)
		*changed = *write = true;
	else if (strcmp(file_value, value) != 0)
		*changed = *write = true;
	else if (arg_bool(args, "reload"))
		*changed = proc == NULL || !values_equal(proc, value);
	if (arg_bool(args, "sysctl_set") && present) {
		if (proc == NULL)
			*changed = true;
		else if (!values_equal(proc, value))
			*changed = *set_proc = true;
	}
}

static int
sysctl_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *name = arg_str(args, "name"), *raw = arg_str(args, "value");
	const char *file = arg_str(args, "sysctl_file"), *value, *text, *src;
	const char *file_value, *proc = NULL, *o, *e;
	bool present = strcmp(arg_str(args, "state"), "present") == 0;
	bool ign = arg_bool(args, "ignoreerrors"), reload;
	bool write_file, set_proc, changed;
	struct strbuf sb = STRBUF_INIT, fixed = STRBUF_INIT;
	struct conn_result cr;
	int rc = 0, crc;

	if (present && raw == NULL)
		return res_fail(ctx, res, "state is present but all of the "
		    "following are missing: value");
	/* main() looks at the parameters as given: "  " is not blank */
	if (*name == '\0')
		return res_fail(ctx, res, "name cannot be blank");
	if (present && *raw == '\0')
		return res_fail(ctx, res, "value cannot be blank");
	name = hc_strip(ctx, name, strlen(name));
	value = parse_value(ctx, raw);
	reload = arg_bool(args, "reload");
	sb_adds(&sb, find_sysctl);
	sb_adds(&sb, hc_cap_fn);
	sb_adds(&sb, "o=$(\"$s\" -e -n ");
	hc_arg(&sb, name);
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
	decide(args, present, value, file_value, proc, &changed, &write_file,
	    &set_proc);
	res->changed = changed;
	if (ctx->check_mode || !(set_proc || write_file || (changed &&
	    reload)))
		goto out;
	sb_adds(&sb, find_sysctl);
	sb_adds(&sb, hc_cap_fn);
	sb_adds(&sb, "rc=0\n");
	if (set_proc) {
		/* set_token_value(): "sysctl [-e] -w name=value" */
		sb_addf(&sb, "hc_cap set \"$s\" %s-w ", ign ? "-e " : "");
		hc_arg(&sb, arena_printf(ctx->a, "%s=%s", name, value));
		/* a failure stops here, before the file is written */
		sb_adds(&sb, " || exit 0\nprintf '%s\\n' \"$hc_err\" | "
		    "grep -Eq '^sysctl: setting key \"[^\"]+\": (Invalid "
		    "argument|Read-only file system)$' && exit 0\n");
	}
	if (write_file) {
		hc_put_stdin(&sb, file, 0644);
		sb_adds(&sb, "[ $rc = 0 ] || { echo @wfail; exit 0; }\n");
	}
	if (changed && reload) {
		sb_addf(&sb, "hc_cap reload \"$s\" %s-p ", ign ? "-e " : "");
		hc_arg(&sb, file);
		sb_addch(&sb, '\n');
	}
	conn_result_release(&cr);
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, fixed.buf, fixed.len, &cr, err);
	if (rc < 0)
		goto out;
	if (hc_captured(ctx, cr.out.buf, "set", &crc, &o, &e) &&
	    (crc != 0 || stderr_failed(e))) {
		res_fail(ctx, res, "setting %s failed: %s%s", name, o, e);
		goto out;
	}
	if (set_proc && !hc_has(cr.out.buf, "set")) {
		res_fail(ctx, res, "setting %s failed: %s", name, cr.err.buf);
		goto out;
	}
	if (hc_has(cr.out.buf, "wfail")) {
		res_fail(ctx, res, "Failed to write to file %s: %s", file,
		    cr.err.buf);
		goto out;
	}
	if (hc_captured(ctx, cr.out.buf, "reload", &crc, &o, &e)) {
		if (crc != 0 || stderr_failed(e))
			res_fail(ctx, res, "Failed to reload sysctl: %s%s", o,
			    e);
	} else if (changed && reload)
		res_fail(ctx, res, "Failed to reload sysctl: %s", cr.err.buf);
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
