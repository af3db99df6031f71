/*
 * group: a local group present or absent, as Ansible 2.14's group module
 * does it on Linux (modules/group.py): groupadd/groupmod/groupdel (or
 * libuser's lgroup* with local), one command to read the group, one to
 * change it and read it back.  Also the acct_* helpers user.c shares
 * (account.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "shell.h"

/*
 * The records protocol (account.h).  run() keeps trailing newlines of the
 * command's output (Python's run_command does) with the "x" sentinel, and
 * looks the command up first as get_bin_path(required=True) does.
 */
void
acct_prelude(struct strbuf *sb)
{
	sb_adds(sb, "rec() { printf '\\036%s %s' \"$1\" \"$2\"; }\n"
	    "need() {\n"
	    " for c; do command -v \"$c\" >/dev/null 2>&1 || { rec f "
	    "\"Failed to find required executable \\\"$c\\\" in paths: "
	    "$PATH\"; return 1; }; done\n"
	    "}\n"
	    "run() {\n"
	    " P=$1; shift\n"
	    " need \"$1\" || { rec ${P}c 1; return 1; }\n"
	    " t=$(mktemp) || return 1\n"
	    " o=$(\"$@\" 2>\"$t\"; rv=$?; echo x; exit $rv)\n"
	    " rv=$?; o=${o%x}; e=$(cat \"$t\"; echo x); e=${e%x}\n"
	    " rm -f \"$t\"; rec ${P}o \"$o\"; rec ${P}e \"$e\"; "
	    "rec ${P}c $rv\n"
	    " return $rv\n"
	    "}\n");
}

const char acct_v_pw[] = "\"$pw\"";
const char acct_v_pw_locked[] = "\"!$pw\"";
const char acct_v_pp[] = "\"$pp\"";
const char acct_v_key[] = "\"$k\"";
const char acct_v_cm[] = "\"$cm\"";

void
acct_run(struct strbuf *sb, const char *prefix, const char *const *argv)
{
	sb_adds(sb, "run ");
	sh_quote(sb, prefix);
	for (size_t i = 0; argv[i] != NULL; i++) {
		sb_addch(sb, ' ');
		/* the script's own variables, not data: see account.h */
		if (argv[i] == acct_v_pw || argv[i] == acct_v_pw_locked ||
		    argv[i] == acct_v_pp || argv[i] == acct_v_key ||
		    argv[i] == acct_v_cm)
			sb_adds(sb, argv[i]);
		else
			sh_quote(sb, argv[i]);
	}
}

void
acct_records(struct arena *a, const char *out, struct acct_out *ao)
{
	const char *p, *end, *sp;
	size_t n = 0, i = 0;

	for (p = out; *p != '\0'; p++)
		if (*p == '\036')
			n++;
	ao->rec = arena_alloc(a, (n + 1) * sizeof(*ao->rec));
	for (p = strchr(out, '\036'); p != NULL && i < n; p = end) {
		p++;
		end = strchr(p, '\036');
		if (end == NULL)
			end = p + strlen(p);
		sp = memchr(p, ' ', (size_t)(end - p));
		if (sp == NULL)
			sp = end;
		ao->rec[i].tag = arena_strndup(a, p, (size_t)(sp - p));
		ao->rec[i].val = sp < end ? arena_strndup(a, sp + 1,
		    (size_t)(end - sp - 1)) : "";
		i++;
		if (*end == '\0')
			break;
	}
	ao->n = i;
}

const char *
acct_get(const struct acct_out *ao, const char *tag)
{
	for (size_t i = 0; i < ao->n; i++)
		if (strcmp(ao->rec[i].tag, tag) == 0)
			return ao->rec[i].val;
	return NULL;
}

const char *
acct_last(const struct acct_out *ao, const char *tag)
{
	for (size_t i = ao->n; i > 0; i--)
		if (strcmp(ao->rec[i - 1].tag, tag) == 0)
			return ao->rec[i - 1].val;
	return NULL;
}

size_t
acct_fields(struct arena *a, const char *line, const char **fields,
    size_t max)
{
	const char *p = line, *c;
	size_t n = 0;

	while (n < max) {
		c = strchr(p, ':');
		if (c == NULL || n + 1 == max) {
			fields[n++] = arena_strdup(a, p);
			break;
		}
		fields[n++] = arena_strndup(a, p, (size_t)(c - p));
		p = c + 1;
	}
	for (size_t i = n; i < max; i++)
		fields[i] = "";
	return n;
}

long long
acct_num(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtoll(s, &end, 10);
	return *end == '\0' ? v : -1;
}

/*
 * key and key_lines, as Ansible's action plugins add the lines to any
 * module result with stdout or stderr (str.splitlines() on \n, \r\n).
 */
static void
set_output(struct task_ctx *ctx, struct result *res, const char *key,
    const char *s)
{
	struct value *l = val_new_list(ctx->a);
	const char *nl;

	res_set_str(ctx, res, key, s);
	for (; *s != '\0'; s = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		val_list_push(ctx->a, l, val_new_strn(ctx->a, s, (size_t)(nl -
		    s) - (nl > s && nl[-1] == '\r')));
	}
	res_set(ctx, res, arena_printf(ctx->a, "%s_lines", key), l);
}

void
acct_set_output(struct task_ctx *ctx, struct result *res,
    const struct acct_out *ao)
{
	const char *o = acct_get(ao, "mo"), *e = acct_get(ao, "me");
	const char *f = acct_get(ao, "f");
	long long rc = acct_num(acct_get(ao, "mc"));

	if (f != NULL) {
		res_fail(ctx, res, "%s", f);
		return;
	}
	if (o != NULL && *o != '\0')
		set_output(ctx, res, "stdout", o);
	if (e != NULL && *e != '\0')
		set_output(ctx, res, "stderr", e);
	if (acct_failed(ao)) {
		res_fail(ctx, res, "%s", e != NULL ? e : "");
		res_set(ctx, res, "rc", val_new_int(ctx->a, rc));
	}
}

bool
acct_failed(const struct acct_out *ao)
{
	return acct_get(ao, "f") != NULL || (acct_get(ao, "mc") != NULL &&
	    acct_num(acct_get(ao, "mc")) != 0);
}

int
acct_exec(struct task_ctx *ctx, const struct strbuf *script,
    const char *stdin_data, struct acct_out *ao, struct err *err)
{
	struct conn_result cr;
	int rc;

	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, script->buf, ctx->become, stdin_data,
	    stdin_data != NULL ? strlen(stdin_data) : 0, &cr, err);
	if (rc == 0)
		acct_records(ctx->a, cr.out.buf, ao);
	conn_result_release(&cr);
	return rc;
}

static const char *const state_choices[] = { "absent", "present", NULL };

static const struct arg_spec group_args[] = {
	{ .name = "name", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "state", .type = ARG_STR, .dflt = "present",
	  .choices = state_choices },
	{ .name = "gid", .type = ARG_INT },
	{ .name = "system", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "local", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "non_unique", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "force", .type = ARG_BOOL, .dflt = "false" },
	{ .name = NULL },
};

/*
 * What group.py's group_exists()/group_info() see: "g" the group's NSS
 * entry, "l" when local and /etc/group has a line "NAME:", "m" when local
 * and /etc/group is missing; "a" every group when local checks a gid.
 */
static void
read_script(struct strbuf *sb, const char *name, bool local, bool all)
{
	sb_adds(sb, "n=");
	sh_quote(sb, name);
	sb_adds(sb, "\ng=$(getent group \"$n\") && rec g \"$g\"\n");
	if (local)
		sb_adds(sb, "if ! [ -e /etc/group ]; then rec m; "
		    "elif p=\"$n:\" awk 'index($0, ENVIRON[\"p\"]) == 1 "
		    "{ f = 1 } END { exit !f }' /etc/group; then rec l; fi\n");
	if (all)
		sb_adds(sb, "rec a \"$(getent group)\"\n");
}

struct group_state {
	bool		 exists;
	long long	 gid;
	bool		 missing_file;
};

static void
parse_state(struct task_ctx *ctx, const struct acct_out *ao,
    const char *name, bool local, struct group_state *st)
{
	const char *g = acct_get(ao, "g"), *f[4];

	memset(st, 0, sizeof(*st));
	st->gid = -1;
	st->missing_file = acct_get(ao, "m") != NULL;
	if (g != NULL) {
		/* getent takes a numeric key for a gid: check the name */
		acct_fields(ctx->a, g, f, 4);
		if (strcmp(f[0], name) == 0) {
			st->exists = true;
			st->gid = acct_num(f[2]);
		}
	}
	if (local)
		st->exists = acct_get(ao, "l") != NULL;
}

/* _local_check_gid_exists(): another group holding the gid. */
static const char *
gid_taken(struct task_ctx *ctx, const struct acct_out *ao, const char *name,
    long long gid)
{
	const char *all = acct_get(ao, "a"), *p, *nl, *f[4];

	for (p = all; p != NULL && *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		acct_fields(ctx->a, arena_strndup(ctx->a, p,
		    (size_t)(nl - p)), f, 4);
		if (acct_num(f[2]) == gid && strcmp(f[0], name) != 0)
			return f[0];
	}
	return NULL;
}

static int
group_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *name = arg_str(args, "name");
	bool present = strcmp(arg_str(args, "state"), "present") == 0;
	bool local = arg_bool(args, "local");
	bool has_gid = val_dict_get(args, "gid") != NULL;
	long long gid = has_gid ? arg_int(args, "gid") : -1;
	const char *argv[8], *taken;
	char gidbuf[24];
	struct strbuf sb = STRBUF_INIT;
	struct group_state st;
	struct acct_out ao;
	size_t n = 0;
	int rc = -1;

	if (arg_bool(args, "non_unique") && !has_gid)
		return res_fail(ctx, res, "non_unique is True but all of the "
		    "following are missing: gid");
	acct_prelude(&sb);
	read_script(&sb, name, local, local && has_gid && present);
	if (acct_exec(ctx, &sb, NULL, &ao, err) < 0)
		goto out;
	rc = 0;
	parse_state(ctx, &ao, name, local, &st);
	if (local && st.missing_file) {
		res_fail(ctx, res, "'local: true' specified but unable to "
		    "find local group file /etc/group to parse.");
		goto out;
	}
	if (local && !st.exists)
		res_warn(ctx, res, "'local: true' specified and group was "
		    "not found in /etc/group. The local group may already "
		    "exist if the local group database exists somewhere other "
		    "than /etc/group.");
	snprintf(gidbuf, sizeof(gidbuf), "%lld", gid);
	if (!present && st.exists) {
		argv[n++] = local ? "lgroupdel" : "groupdel";
		/* ansible-core 2.15's force: groupdel -f */
		if (arg_bool(args, "force") && !local)
			argv[n++] = "-f";
	} else if (present && !st.exists) {
		argv[n++] = local ? "lgroupadd" : "groupadd";
		if (has_gid) {
			argv[n++] = "-g";
			argv[n++] = gidbuf;
			if (arg_bool(args, "non_unique"))
				argv[n++] = "-o";
		}
		if (arg_bool(args, "system"))
			argv[n++] = "-r";
	} else if (present && has_gid && st.gid != gid) {
		argv[n++] = local ? "lgroupmod" : "groupmod";
		argv[n++] = "-g";
		argv[n++] = gidbuf;
		if (arg_bool(args, "non_unique"))
			argv[n++] = "-o";
	}
	/* _local_check_gid_exists(): group_mod, and group_add past check */
	if (n > 0 && present && local && has_gid &&
	    (st.exists || !ctx->check_mode)) {
		taken = gid_taken(ctx, &ao, name, gid);
		if (taken != NULL) {
			res_fail(ctx, res, "GID '%lld' already exists with "
			    "group '%s'", gid, taken);
			goto out;
		}
	}
	/* group.py exits with changed alone when it would add or delete */
	if (n > 0 && ctx->check_mode && (present != st.exists)) {
		res->changed = true;
		goto out;
	}
	res_set_str(ctx, res, "name", name);
	res_set_str(ctx, res, "state", arg_str(args, "state"));
	if (n > 0 && !ctx->check_mode) {
		argv[n++] = name;
		argv[n] = NULL;
		sb_reset(&sb);
		acct_prelude(&sb);
		acct_run(&sb, "m", argv);
		sb_addch(&sb, '\n');
		read_script(&sb, name, local, false);
		if (acct_exec(ctx, &sb, NULL, &ao, err) < 0) {
			rc = -1;
			goto out;
		}
		acct_set_output(ctx, res, &ao);
		if (res->failed) {
			/* fail_json(name=..., msg=err): no state */
			if (acct_get(&ao, "f") != NULL)
				val_dict_del(res->v, "name");
			val_dict_del(res->v, "state");
			val_dict_del(res->v, "stdout");
			val_dict_del(res->v, "stderr");
			val_dict_del(res->v, "stdout_lines");
			val_dict_del(res->v, "stderr_lines");
			val_dict_del(res->v, "rc");
			goto out;
		}
		parse_state(ctx, &ao, name, local, &st);
	}
	res->changed = n > 0;
	if (st.exists) {
		res_set(ctx, res, "system", val_bool(arg_bool(args, "system")));
		res_set(ctx, res, "gid", val_new_int(ctx->a, st.gid));
	}
out:
	sb_release(&sb);
	return rc;
}

const struct module module_group = {
	.name = "group",
	.summary = "add, change or remove a local group",
	.args = group_args,
	.flags = MODULE_CHECK_MODE,
	.run = group_run,
};
