/*
 * apt_key: a key in apt's keyring with apt-key, as Ansible 2.14's apt_key
 * module manages it: the key id from `id`, or from gpg --with-colons on the
 * key given as file, data or url (fetched on the host with curl or wget),
 * compared with `apt-key adv --list-public-keys`; one command reads all
 * that, one command adds or deletes the key.
 */
#include <ctype.h>
#include <string.h>

#include "apt.h"
#include "shell.h"

static const char *const state_choices[] = { "absent", "present", NULL };

static const struct arg_spec apt_key_args[] = {
	{ .name = "id", .type = ARG_STR },
	{ .name = "url", .type = ARG_STR },
	{ .name = "data", .type = ARG_STR },
	{ .name = "file", .type = ARG_PATH },
	{ .name = "keyring", .type = ARG_PATH },
	{ .name = "validate_certs", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "keyserver", .type = ARG_STR },
	{ .name = "state", .type = ARG_STR, .dflt = "present",
	  .choices = state_choices },
	{ .name = NULL },
};

/* The words that fetch the url to stdout on the host. */
static void
fetch_cmd(struct strbuf *sb, const char *url, bool validate)
{
	sb_addf(sb, "{ if command -v curl >/dev/null 2>&1; then curl -fsSL%s ",
	    validate ? "" : "k");
	sh_quote(sb, url);
	sb_addf(sb, "; else wget -qO-%s ", validate ? "" :
	    " --no-check-certificate");
	sh_quote(sb, url);
	sb_adds(sb, "; fi; }");
}

static void
apt_key_cmd(struct strbuf *sb, const char *keyring)
{
	sb_adds(sb, "apt-key");
	if (keyring != NULL) {
		sb_adds(sb, " --keyring ");
		sh_quote(sb, keyring);
	}
}

/* parse_output_for_keys(): pub/sub lines, not expired. */
static struct value *
parse_keys(struct arena *a, const char *s, const char *end, bool short_fmt)
{
	struct value *l = val_new_list(a);

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl != NULL ? nl : end;
		char *line = arena_strndup(a, s, (size_t)(le - s));

		s = nl != NULL ? nl + 1 : end;
		if ((strncmp(line, "pub", 3) != 0 &&
		    strncmp(line, "sub", 3) != 0) ||
		    strstr(line, "expired") != NULL)
			continue;
		{
			char *tok = line, *code = NULL, *slash;
			int i;

			/* tokens[1] split by "/", else tokens[4] by ":" */
			while (*tok != '\0' && !isspace((unsigned char)*tok))
				tok++;
			while (isspace((unsigned char)*tok))
				tok++;
			if (*tok != '\0') {
				char *e = tok;

				while (*e != '\0' && !isspace((unsigned char)*e))
					e++;
				*e = '\0';
				slash = strchr(tok, '/');
				if (slash != NULL && strchr(slash + 1, '/') ==
				    NULL)
					code = slash + 1;
			}
			if (code == NULL) {
				code = line;
				for (i = 0; i < 4 && code != NULL; i++) {
					code = strchr(code, ':');
					if (code != NULL)
						code++;
				}
				if (code == NULL)
					continue;
				slash = strchr(code, ':');
				if (slash != NULL)
					*slash = '\0';
			}
			if (short_fmt && strlen(code) > 8)
				code += strlen(code) - 8;
			val_list_push(a, l, val_new_str(a, code));
		}
	}
	return l;
}

static bool
has_key(const struct value *keys, const char *id)
{
	size_t i;

	for (i = 0; i < keys->u.list->n; i++)
		if (strcmp(keys->u.list->items[i]->u.str.s, id) == 0)
			return true;
	return false;
}

static int
run_script(struct task_ctx *ctx, const char *script, const char *in,
    struct conn_result *cr, struct err *err)
{
	conn_result_init(cr);
	return conn_exec(ctx->conn, script, ctx->become, in, in != NULL ?
	    strlen(in) : 0, cr, err);
}

static int
apt_key_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *id = arg_str(args, "id"), *url = arg_str(args, "url");
	const char *data = arg_str(args, "data"), *file = arg_str(args, "file");
	const char *keyring = arg_str(args, "keyring");
	const char *state = arg_str(args, "state");
	const char *keyserver = arg_str(args, "keyserver");
	bool validate = arg_bool(args, "validate_certs"), short_fmt;
	struct strbuf sb = STRBUF_INIT;
	struct conn_result cr;
	struct value *before, *after;
	const char *gpg_out, *list_out, *mark;
	char kid[128], *p;
	size_t n;
	int given = (url != NULL) + (data != NULL) + (file != NULL) +
	    (keyserver != NULL);

	res_init(ctx, res);
	if (given > 1)
		return res_fail(ctx, res, "parameters are mutually exclusive: "
		    "data|file|keyserver|url");
	if (id == NULL && keyserver != NULL)
		return res_fail(ctx, res, "Missing key_id, required with "
		    "keyserver.");
	/* the probe: the key's gpg listing (no id given), then apt-key's */
	/* gpg's own home stays out of root's (a throw-away one) */
	sb_adds(&sb, "LANG=C.UTF-8 LC_ALL=C.UTF-8 LC_MESSAGES=C.UTF-8; export "
	    "LANG LC_ALL LC_MESSAGES\nGNUPGHOME=$(mktemp -d) || exit 1; "
	    "export GNUPGHOME; trap 'rm -rf \"$GNUPGHOME\"' EXIT\n");
	if (id == NULL && url != NULL) {
		sb_adds(&sb, "k=\"$GNUPGHOME/key\"; ");
		fetch_cmd(&sb, url, validate);
		sb_adds(&sb, " >\"$k\" || exit 10\n"
		    "gpg --with-colons \"$k\" || exit 11\n");
	} else if (id == NULL && file != NULL) {
		sb_adds(&sb, "gpg --with-colons ");
		sh_quote(&sb, file);
		sb_adds(&sb, " || exit 11\n");
	} else if (id == NULL && data != NULL)
		sb_adds(&sb, "gpg --with-colons - || exit 11\n");
	sb_adds(&sb, "echo @@LIST@@; ");
	if (keyring != NULL) {
		/* listing would create it: a missing keyring has no keys */
		sb_adds(&sb, "[ -e ");
		sh_quote(&sb, keyring);
		sb_adds(&sb, " ] || exit 0; ");
	}
	apt_key_cmd(&sb, keyring);
	sb_adds(&sb, " adv --list-public-keys --keyid-format=long 2>/dev/null"
	    " || exit 12\n");
	if (run_script(ctx, sb.buf, id == NULL ? data : NULL, &cr, err) < 0)
		goto dead;
	if (cr.rc == 10) {
		sb_rtrim(&cr.err);
		res_fail(ctx, res, "Failed to download key at %s: Request "
		    "failed: %s", url, cr.err.buf);
		goto out;
	}
	if (cr.rc == 11) {
		res_set(ctx, res, "stdout", val_new_str(ctx->a, cr.out.buf));
		res_set(ctx, res, "stderr", val_new_str(ctx->a, cr.err.buf));
		res_fail(ctx, res, "Unable to extract key from '%s'",
		    file != NULL ? file : "inline data");
		goto out;
	}
	if (cr.rc != 0) {
		res_set(ctx, res, "rc", val_new_int(ctx->a, cr.rc));
		res_fail(ctx, res, "Unable to list public keys");
		goto out;
	}
	mark = strstr(cr.out.buf, "@@LIST@@\n");
	gpg_out = cr.out.buf;
	list_out = mark != NULL ? mark + 9 : cr.out.buf + cr.out.len;
	if (id == NULL) {
		struct value *k = parse_keys(ctx->a, gpg_out, mark != NULL ?
		    mark : list_out, false);

		id = val_len(k) > 0 ? k->u.list->items[0]->u.str.s : NULL;
	}
	res_set(ctx, res, "id", id != NULL ? val_new_str(ctx->a, id) :
	    &val_none);
	/* parse_key_id() */
	n = id != NULL ? strlen(id) : 0;
	if (n == 0 || n >= sizeof(kid)) {
		res_fail(ctx, res, "Invalid key_id");
		goto out;
	}
	for (size_t i = 0; i <= n; i++)
		kid[i] = (char)toupper((unsigned char)id[i]);
	p = kid;
	if (strncmp(p, "0X", 2) == 0)
		p += 2;
	n = strlen(p);
	if (n == 0 || strspn(p, "0123456789ABCDEF") != n ||
	    (n != 8 && n != 16 && n <= 16)) {
		res_fail(ctx, res, "Invalid key_id");
		goto out;
	}
	res_set_str(ctx, res, "short_id", p + n - 8);
	res_set_str(ctx, res, "fp", n > 16 ? p + n - 16 : p);
	res_set_str(ctx, res, "key_id", p);
	short_fmt = n == 8;
	before = parse_keys(ctx->a, list_out, cr.out.buf + cr.out.len,
	    short_fmt);
	res_set(ctx, res, "before", before);
	{
		const char *fp = n > 16 ? p + n - 16 : p;
		const char *want = short_fmt ? p + n - 8 : fp;
		bool present = strcmp(state, "present") == 0;

		res->changed = present ? !has_key(before, want) :
		    has_key(before, fp);
		if (!res->changed || ctx->check_mode)
			goto out;
		sb_reset(&sb);
		sb_adds(&sb, "LANG=C.UTF-8 LC_ALL=C.UTF-8; export LANG LC_ALL\n");
		if (!present) {
			apt_key_cmd(&sb, keyring);
			sb_adds(&sb, " del ");
			sh_quote(&sb, p + n - 8);
		} else if (file != NULL) {
			apt_key_cmd(&sb, keyring);
			sb_adds(&sb, " add ");
			sh_quote(&sb, file);
		} else if (keyserver != NULL) {
			apt_key_cmd(&sb, keyring);
			sb_adds(&sb, " adv --no-tty --keyserver ");
			sh_quote(&sb, keyserver);
			sb_adds(&sb, " --recv ");
			sh_quote(&sb, p);
		} else if (url != NULL) {
			fetch_cmd(&sb, url, validate);
			sb_adds(&sb, " | ");
			apt_key_cmd(&sb, keyring);
			sb_adds(&sb, " add -");
		} else if (data != NULL) {
			apt_key_cmd(&sb, keyring);
			sb_adds(&sb, " add -");
		} else {
			res_fail(ctx, res, "No key to add ... how did i get "
			    "here?!?!");
			goto out;
		}
		sb_adds(&sb, " >/dev/null || exit $?\necho @@LIST@@; ");
		apt_key_cmd(&sb, keyring);
		sb_adds(&sb, " adv --list-public-keys --keyid-format=long "
		    "2>/dev/null\n");
		conn_result_release(&cr);
		if (run_script(ctx, sb.buf, present && file == NULL &&
		    url == NULL && keyserver == NULL ? data : NULL, &cr,
		    err) < 0)
			goto dead;
		if (cr.rc != 0) {
			res_set(ctx, res, "rc", val_new_int(ctx->a, cr.rc));
			res_set(ctx, res, "stdout", val_new_str(ctx->a,
			    cr.out.buf));
			res_set(ctx, res, "stderr", val_new_str(ctx->a,
			    cr.err.buf));
			res_fail(ctx, res, !present ? "Unable to remove a key "
			    "with id %s" : file != NULL ? "Unable to add a key "
			    "from file %s" : "Unable to add a key from binary "
			    "data%s", !present ? p + n - 8 : file != NULL ?
			    file : "");
			goto out;
		}
		mark = strstr(cr.out.buf, "@@LIST@@\n");
		after = parse_keys(ctx->a, mark != NULL ? mark + 9 :
		    cr.out.buf, cr.out.buf + cr.out.len, short_fmt);
		res_set(ctx, res, "after", after);
		if (present ? !has_key(after, want) : has_key(after, fp))
			res_fail(ctx, res, "apt-key did not return an error, "
			    "but %s (check that the id is correct and *not* a "
			    "subkey)", present ? "failed to add the key" :
			    "the key was not removed");
	}
out:
	conn_result_release(&cr);
	sb_release(&sb);
	return 0;
dead:
	conn_result_release(&cr);
	sb_release(&sb);
	return -1;
}

const struct module module_apt_key = {
	.name = "apt_key",
	.summary = "add or remove a key in apt's keyring (apt-key)",
	.args = apt_key_args,
	.flags = MODULE_CHECK_MODE,
	.run = apt_key_run,
};
