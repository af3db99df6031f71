/*
 * deb822_repository: an apt source in deb822 form,
 * /etc/apt/sources.list.d/NAME.sources (Ansible 2.15's module; the
 * ansible-core on Debian 12 predates it, so its documented behaviour is
 * the reference).  signed_by may be a key URL (fetched on the host with
 * curl or wget into /etc/apt/keyrings/NAME.asc or .gpg), a keyring path or
 * fingerprints (written as is), or an armored key block (written inline).
 * One command reads the file (and fetches the key); one writes, only when
 * something differs.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "hostcmd.h"
#include "module.h"
#include "shell.h"

static const char *const state_choices[] = { "present", "absent", NULL };
static const char *const type_choices[] = { "deb", "deb-src", NULL };

static const struct arg_spec deb822_args[] = {
	{ .name = "name", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "types", .type = ARG_LIST, .dflt = "deb", .elem = ARG_STR },
	{ .name = "uris", .type = ARG_LIST, .elem = ARG_STR },
	{ .name = "suites", .type = ARG_LIST, .elem = ARG_STR },
	{ .name = "components", .type = ARG_LIST, .elem = ARG_STR },
	{ .name = "architectures", .type = ARG_LIST, .elem = ARG_STR },
	{ .name = "languages", .type = ARG_LIST, .elem = ARG_STR },
	{ .name = "targets", .type = ARG_LIST, .elem = ARG_STR },
	{ .name = "pdiffs", .type = ARG_BOOL },
	{ .name = "by_hash", .type = ARG_BOOL },
	{ .name = "allow_insecure", .type = ARG_BOOL },
	{ .name = "allow_weak", .type = ARG_BOOL },
	{ .name = "allow_downgrade_to_insecure", .type = ARG_BOOL },
	{ .name = "trusted", .type = ARG_BOOL },
	{ .name = "check_valid_until", .type = ARG_BOOL },
	{ .name = "check_date", .type = ARG_BOOL },
	{ .name = "date_max_future", .type = ARG_INT },
	{ .name = "inrelease_path", .type = ARG_STR },
	{ .name = "signed_by", .type = ARG_STR },
	{ .name = "enabled", .type = ARG_BOOL },
	{ .name = "state", .type = ARG_STR, .dflt = "present",
	  .choices = state_choices },
	{ .name = "mode", .type = ARG_MODE, .dflt = "0644" },
	{ .name = "install_python_debian", .type = ARG_BOOL, .dflt = "false" },
	{ .name = NULL },
};

/* The deb822 field names, in the order they are written. */
static const struct {
	const char	*arg;
	const char	*field;
} fields[] = {
	{ "types", "Types" }, { "uris", "URIs" }, { "suites", "Suites" },
	{ "components", "Components" }, { "architectures", "Architectures" },
	{ "languages", "Languages" }, { "targets", "Targets" },
	{ "pdiffs", "PDiffs" }, { "by_hash", "By-Hash" },
	{ "allow_insecure", "Allow-Insecure" }, { "allow_weak", "Allow-Weak" },
	{ "allow_downgrade_to_insecure", "Allow-Downgrade-To-Insecure" },
	{ "trusted", "Trusted" }, { "check_valid_until", "Check-Valid-Until" },
	{ "check_date", "Check-Date" }, { "date_max_future", "Date-Max-Future" },
	{ "inrelease_path", "InRelease-Path" }, { "enabled", "Enabled" },
};

/* NAME as a file name: what is not [A-Za-z0-9_.-] becomes '-'. */
static char *
file_base(struct task_ctx *ctx, const char *name)
{
	char *b = arena_strdup(ctx->a, name);

	for (char *p = b; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' &&
		    *p != '-')
			*p = '-';
	return b;
}

static void
add_value(struct strbuf *sb, const struct value *v)
{
	if (v->type == VAL_BOOL)
		sb_adds(sb, v->u.b ? "yes" : "no");
	else if (v->type == VAL_LIST)
		for (size_t i = 0; i < v->u.list->n; i++) {
			if (i > 0)
				sb_addch(sb, ' ');
			val_str(sb, v->u.list->items[i]);
		}
	else
		val_str(sb, v);
}

/* An armored key written inline: continuation lines, "." for blank ones. */
static void
add_inline_key(struct strbuf *sb, const char *key)
{
	const char *p = key;

	sb_adds(sb, "Signed-By:");
	while (*p != '\0') {
		size_t n = strcspn(p, "\n");
		size_t e = n;

		while (e > 0 && isspace((unsigned char)p[e - 1]))
			e--;
		sb_adds(sb, "\n ");
		if (e == 0)
			sb_addch(sb, '.');
		else
			sb_add(sb, p, e);
		p += n;
		if (*p == '\n')
			p++;
	}
	sb_addch(sb, '\n');
}

static int
deb822_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct arena *a = ctx->a;
	const char *name = arg_str(args, "name");
	const char *signed_by = arg_str(args, "signed_by");
	bool present = strcmp(arg_str(args, "state"), "present") == 0;
	const char *base = file_base(ctx, name);
	const char *dest = arena_printf(a, "/etc/apt/sources.list.d/%s.sources",
	    base);
	const char *keybase = arena_printf(a, "/etc/apt/keyrings/%s", base);
	bool url = signed_by != NULL && (strncmp(signed_by, "http://", 7) == 0 ||
	    strncmp(signed_by, "https://", 8) == 0 ||
	    strncmp(signed_by, "ftp://", 6) == 0 ||
	    strncmp(signed_by, "file://", 7) == 0);
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
	struct conn_result cr;
	const char *old, *key_path = NULL;
	bool key_changed = false;
	int rc;
	const struct value *types = val_dict_get(args, "types");

	for (size_t i = 0; types != NULL && types->type == VAL_LIST &&
	    i < types->u.list->n; i++) {
		const struct value *t = types->u.list->items[i];

		if (!val_is_str(t, type_choices[0]) &&
		    !val_is_str(t, type_choices[1]))
			return res_fail(ctx, res, "value of types must be one "
			    "or more of: deb, deb-src");
	}
	/* read the file; fetch a URL key to a temporary file and compare */
	sb_adds(&sb, "f=");
	sh_quote(&sb, dest);
	sb_adds(&sb, "\nk=");
	sh_quote(&sb, keybase);
	if (url && present) {
		sb_adds(&sb, "\nu=");
		sh_quote(&sb, signed_by);
		sb_addf(&sb, "\nck=%d\n", ctx->check_mode);
		sb_adds(&sb,
		    "t=$(mktemp) || exit 1\n"
		    "if command -v curl >/dev/null; then curl -fsSL -o \"$t\" \"$u\";"
		    " else wget -qO \"$t\" \"$u\"; fi || { rm -f \"$t\"; "
		    "echo \"@keyfail\"; exit 0; }\n"
		    "if grep -q 'BEGIN PGP PUBLIC KEY BLOCK' \"$t\"; then e=asc; "
		    "else e=gpg; fi\n"
		    "if cmp -s \"$t\" \"$k.$e\"; then rm -f \"$t\"; echo \"@key $k.$e\";"
		    " elif [ \"$ck\" = 1 ]; then rm -f \"$t\"; echo \"@keynew $k.$e\";"
		    " else mkdir -p /etc/apt/keyrings && chmod 0644 \"$t\" && "
		    "mv -f \"$t\" \"$k.$e\" && echo \"@keynew $k.$e\"; fi\n");
	} else
		sb_addch(&sb, '\n');
	sb_adds(&sb, "if [ -f \"$f\" ]; then echo @file; cat \"$f\"; else "
	    "echo @nofile; fi\n");
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
	sb_release(&sb);
	if (rc < 0) {
		conn_result_release(&cr);
		return -1;
	}
	if (hc_has(cr.out.buf, "keyfail")) {
		conn_result_release(&cr);
		return res_fail(ctx, res, "failed to fetch the key from %s",
		    signed_by);
	}
	if (url && present) {
		const char *rest = NULL;

		if (hc_section(ctx, cr.out.buf, "keynew", &rest) != NULL)
			key_changed = true;
		else
			hc_section(ctx, cr.out.buf, "key", &rest);
		if (rest != NULL)
			key_path = hc_strip(ctx, rest, strlen(rest));
	}
	old = hc_has(cr.out.buf, "file") ? hc_tail(cr.out.buf, "file") : NULL;
	old = old != NULL ? arena_strdup(a, old) : NULL;
	conn_result_release(&cr);

	if (present) {
		sb_addf(&want, "X-Repolib-Name: %s\n", name);
		for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
			const struct value *v = val_dict_get(args, fields[i].arg);

			if (v == NULL || v->type == VAL_NULL || (v->type ==
			    VAL_LIST && v->u.list->n == 0))
				continue;
			if (!strcmp(fields[i].arg, "enabled"))
				continue;
			sb_addf(&want, "%s: ", fields[i].field);
			add_value(&want, v);
			sb_addch(&want, '\n');
		}
		if (signed_by != NULL && url)
			sb_addf(&want, "Signed-By: %s\n", key_path != NULL ?
			    key_path : arena_printf(a, "%s.asc", keybase));
		else if (signed_by != NULL &&
		    strstr(signed_by, "BEGIN PGP") != NULL)
			add_inline_key(&want, signed_by);
		else if (signed_by != NULL)
			sb_addf(&want, "Signed-By: %s\n", signed_by);
		if (val_dict_get(args, "enabled") != NULL &&
		    val_dict_get(args, "enabled")->type == VAL_BOOL)
			sb_addf(&want, "Enabled: %s\n", arg_bool(args, "enabled") ?
			    "yes" : "no");
	}
	res->changed = key_changed || (present ? old == NULL ||
	    strcmp(old, want.buf) != 0 : old != NULL);
	res_set_str(ctx, res, "dest", dest);
	res_set(ctx, res, "repo", present ? val_new_strn(a, want.buf, want.len) :
	    &val_none);
	res_set(ctx, res, "key_filename", key_path != NULL ?
	    val_new_str(a, key_path) : &val_none);
	if (ctx->diff) {
		struct value *d = val_new_dict(a);

		val_dict_set(a, d, "before", val_new_str(a, old != NULL ? old :
		    ""));
		val_dict_set(a, d, "after", val_new_strn(a, want.buf, want.len));
		val_dict_set(a, d, "before_header", val_new_str(a, dest));
		val_dict_set(a, d, "after_header", val_new_str(a, dest));
		res_set(ctx, res, "diff", d);
	}
	if (res->changed && !ctx->check_mode && (present ? old == NULL ||
	    strcmp(old, want.buf) != 0 : true)) {
		const struct value *mv = val_dict_get(args, "mode");
		int mode = mv != NULL && mv->type == VAL_STR ?
		    (int)strtol(mv->u.str.s, NULL, 8) : 0644;

		conn_result_init(&cr);
		if (present) {
			sb_adds(&sb, "rc=0\n");
			hc_put_stdin(&sb, dest, mode);
			sb_adds(&sb, "exit $rc\n");
			rc = hc_exec(ctx, sb.buf, want.buf, want.len, &cr, err);
		} else {
			sb_adds(&sb, "rm -f -- ");
			sh_quote(&sb, dest);
			sb_addch(&sb, '\n');
			rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
		}
		sb_release(&sb);
		if (rc == 0 && cr.rc != 0)
			res_fail(ctx, res, "cannot write %s: %s", dest,
			    cr.err.buf);
		conn_result_release(&cr);
		if (rc < 0) {
			sb_release(&want);
			return -1;
		}
	}
	sb_release(&want);
	return 0;
}

const struct module module_deb822_repository = {
	.name = "deb822_repository",
	.summary = "an apt source in deb822 form, with its signing key",
	.args = deb822_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = deb822_run,
};
