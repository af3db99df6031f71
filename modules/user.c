/*
 * user: a local user account present or absent, as Ansible 2.14's user
 * module does it on Linux (modules/user.py, class User): useradd, usermod
 * and userdel (libuser's l* commands with local), the home directory made
 * from the skeleton when missing, ssh-keygen for generate_ssh_key.
 *
 * One command reads passwd, shadow and group entries and works out, without
 * changing anything, what the home and key steps would do; the decision
 * (user.py's argument lists and changed logic) is made here; a second
 * command, only when something changes, runs the command and those steps
 * and reads the account back.  Secrets reach the host on stdin.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "shell.h"

static const char *const state_choices[] = { "absent", "present", NULL };
static const char *const name_aliases[] = { "user", NULL };
static const char *const home_aliases[] = { "createhome", NULL };
static const char *const update_choices[] = { "always", "on_create", NULL };

static const struct arg_spec user_args[] = {
	{ .name = "name", .type = ARG_STR, .flags = ARG_REQUIRED,
	  .aliases = name_aliases },
	{ .name = "state", .type = ARG_STR, .dflt = "present",
	  .choices = state_choices },
	{ .name = "uid", .type = ARG_INT },
	{ .name = "non_unique", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "group", .type = ARG_STR },
	{ .name = "groups", .type = ARG_LIST, .elem = ARG_STR },
	{ .name = "comment", .type = ARG_STR },
	{ .name = "home", .type = ARG_PATH },
	{ .name = "shell", .type = ARG_STR },
	{ .name = "password", .type = ARG_STR, .flags = ARG_NO_LOG },
	{ .name = "force", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "remove", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "create_home", .type = ARG_BOOL, .dflt = "true",
	  .aliases = home_aliases },
	{ .name = "skeleton", .type = ARG_STR },
	{ .name = "system", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "move_home", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "append", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "generate_ssh_key", .type = ARG_BOOL },
	{ .name = "ssh_key_bits", .type = ARG_INT, .dflt = "0" },
	{ .name = "ssh_key_type", .type = ARG_STR, .dflt = "rsa" },
	{ .name = "ssh_key_file", .type = ARG_PATH },
	{ .name = "ssh_key_comment", .type = ARG_STR },
	{ .name = "ssh_key_passphrase", .type = ARG_STR, .flags = ARG_NO_LOG },
	{ .name = "update_password", .type = ARG_STR, .dflt = "always",
	  .choices = update_choices },
	{ .name = "expires", .type = ARG_FLOAT },
	{ .name = "password_lock", .type = ARG_BOOL },
	{ .name = "local", .type = ARG_BOOL },
	{ .name = "umask", .type = ARG_STR },
	{ .name = NULL },
};

struct grent {
	const char	*name;
	long long	 gid;
	const char	*members;	/* "a,b,c" */
};

/* The task: arguments, then what the host said. */
struct user {
	struct task_ctx		*ctx;
	const struct value	*args;
	const char		*name;
	bool			 present, local, create_home, gen_key;
	const char		*home;		/* NULL: not given */
	const char		*password;	/* NULL: not given */
	const char		*groups;	/* ','.join(groups) or NULL */
	int			 lock;		/* password_lock, -1: None */
	bool			 has_expires;
	double			 expires;

	/* the account as read */
	bool			 exists;	/* user_exists() */
	bool			 have_pw;	/* a passwd entry */
	const char		*pw[7];		/* passwd fields */
	const char		*spwd;		/* shadow's, "" if none */
	long long		 sp_expire;	/* -1: none */
	struct grent		*g;
	size_t			 ng;
	bool			 parent_is_dir;	/* dirname(home) a dir */
};

/* Parse "getent group" output. */
static void
parse_groups(struct user *u, const char *all)
{
	const char *p, *nl, *f[4];
	size_t n = 0;

	for (p = all; *p != '\0'; p++)
		if (*p == '\n')
			n++;
	u->g = arena_alloc(u->ctx->a, (n + 1) * sizeof(*u->g));
	u->ng = 0;
	for (p = all; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		struct grent *g = &u->g[u->ng];

		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (nl == p)
			continue;
		acct_fields(u->ctx->a, arena_strndup(u->ctx->a, p,
		    (size_t)(nl - p)), f, 4);
		g->name = f[0];
		g->gid = acct_num(f[2]);
		g->members = f[3];
		u->ng++;
	}
}

static bool
has_member(const struct user *u, const struct grent *g)
{
	const char *m = g->members, *c;
	size_t n = strlen(u->name);

	for (; *m != '\0'; m = *c != '\0' ? c + 1 : c) {
		c = strchr(m, ',');
		if (c == NULL)
			c = m + strlen(m);
		if ((size_t)(c - m) == n && memcmp(m, u->name, n) == 0)
			return true;
	}
	return false;
}

/* user.py's group_info(): a gid first (int(group)), then a name. */
static const struct grent *
find_group(const struct user *u, const char *group)
{
	long long gid = acct_num(group);
	size_t i;

	if (gid >= 0)
		for (i = 0; i < u->ng; i++)
			if (u->g[i].gid == gid)
				return &u->g[i];
	for (i = 0; i < u->ng; i++)
		if (strcmp(u->g[i].name, group) == 0)
			return &u->g[i];
	return NULL;
}

static void
parse_state(struct user *u, const struct acct_out *ao)
{
	const char *p = acct_get(ao, "P"), *s = acct_get(ao, "s"), *f[9];
	const char *all = acct_get(ao, "G");

	u->have_pw = false;
	if (p != NULL) {
		acct_fields(u->ctx->a, p, u->pw, 7);
		u->have_pw = strcmp(u->pw[0], u->name) == 0;
	}
	u->exists = u->local ? acct_get(ao, "l") != NULL : u->have_pw;
	u->spwd = "";
	u->sp_expire = -1;
	if (s != NULL) {
		acct_fields(u->ctx->a, s, f, 9);
		u->spwd = f[1];
		u->sp_expire = acct_num(f[7]);
	}
	parse_groups(u, all != NULL ? all : "");
	u->parent_is_dir = acct_get(ao, "D") != NULL;
}

/* user_info()[1]: the passwd field, or the shadow one behind "x". */
static const char *
cur_password(const struct user *u)
{
	return strlen(u->pw[1]) <= 1 ? u->spwd : u->pw[1];
}

/* The shell script's variables and functions (see post() below). */
static void
script_head(struct user *u, struct strbuf *sb)
{
	const struct value *a = u->args;
	const char *sk = arg_str(a, "skeleton"), *kf = arg_str(a,
	    "ssh_key_file"), *cm = arg_str(a, "ssh_key_comment");

	acct_prelude(sb);
	sb_adds(sb, "n=");
	sh_quote(sb, u->name);
	if (u->home != NULL) {
		sb_adds(sb, "; h=");
		sh_quote(sb, u->home);
	}
	if (sk != NULL) {
		sb_adds(sb, "; sk=");
		sh_quote(sb, sk);
	}
	sb_addf(sb, "; ch=%d; gk=%d; fo=%d\n", u->create_home, u->gen_key,
	    arg_bool(a, "force"));
	if (!u->gen_key)
		goto functions;
	sb_adds(sb, "kf=");
	if (kf != NULL)
		sh_quote(sb, kf);
	else {
		sb_adds(sb, ".ssh/id_");
		sh_quote(sb, arg_str(a, "ssh_key_type"));
	}
	sb_adds(sb, "; cm=");
	if (cm != NULL)
		sh_quote(sb, cm);
	else
		sb_adds(sb, "\"ansible-generated on $(uname -n)\"");
	sb_addch(sb, '\n');
functions:
	/* create_homedir(): copytree(skeleton) or makedirs, login.defs UMASK */
	sb_adds(sb, "mkhome() {\n"
	    " s=${sk-/etc/skel}\n"
	    " if [ -e \"$s\" ]; then\n"
	    "  e=$( { mkdir -p -- \"$(dirname -- \"$1\")\" && "
	    "cp -a -- \"$s\" \"$1\"; } 2>&1)\n"
	    " else e=$(mkdir -p -- \"$1\" 2>&1); fi || "
	    "{ rec HE \"$e\"; return 1; }\n"
	    " um=$(sed -n 's/^UMASK[[:space:]]\\{1,\\}\\([0-9]\\{1,\\}\\)$"
	    "/\\1/p' /etc/login.defs 2>/dev/null | tail -n 1)\n"
	    " if [ -n \"$um\" ]; then\n"
	    "  chmod \"$(printf '%o' $((0777 & ~0$um)))\" \"$1\"\n"
	    " fi\n"
	    "}\n"
	    "chhome() { e=$(chown -R -- \"$pu:$pg\" \"$1\" 2>&1) || "
	    "{ rec HE \"$e\"; return 1; }; }\n"
	    "pwinfo() { p=$(getent passwd \"$n\") || return 1; rec p \"$p\"\n"
	    " IFS=: read -r _ _ pu pg _ ph _ <<EOF\n$p\nEOF\n"
	    "}\n");
	/*
	 * post(): user.py's steps after the account command, "missing
	 * homedirs" and ssh_key_gen()/fingerprint/public key; with $1 = 1
	 * they only say what they would do (check mode, and the first
	 * command's plan).
	 */
	sb_adds(sb, "post() {\n"
	    " pwinfo || return 0\n"
	    " hh=${h-$ph}\n"
	    " if [ $ch = 1 ] && ! [ -e \"$hh\" ]; then rec HC\n"
	    "  if [ $1 = 0 ]; then mkhome \"$hh\" && chhome \"$hh\" || "
	    "return 1; fi\n"
	    " fi\n"
	    " [ $gk = 1 ] || return 0\n"
	    " case $kf in /*) k=$kf ;; *)\n"
	    "  if [ $1 = 0 ] && ! [ -e \"$ph\" ]; then rec KE \"User $n home "
	    "directory does not exist\"; return 1; fi\n"
	    "  k=${ph%/}/$kf ;; esac\n"
	    " rec KF \"$k\"; kd=$(dirname -- \"$k\"); gen=1; ow=\n"
	    " if ! [ -e \"$kd\" ]; then\n"
	    "  if [ $1 = 1 ]; then rec KG; gen=0\n"
	    "  else e=$( { mkdir -m 700 -- \"$kd\" && chown -- \"$pu:$pg\" "
	    "\"$kd\"; } 2>&1) || { rec KM \"$kd\"; rec KE \"$e\"; "
	    "return 1; }; fi\n"
	    " fi\n"
	    " if [ $gen = 1 ] && [ -e \"$k\" ]; then\n"
	    "  if [ $fo = 1 ]; then ow=y; else gen=0; fi\n"
	    " fi\n"
	    " if [ $gen = 1 ] && [ -e \"$k.pub\" ]; then\n"
	    "  if [ $fo = 1 ]; then [ $1 = 1 ] || rm -f -- \"$k.pub\"\n"
	    "  else gen=0; fi\n"
	    " fi\n"
	    " if [ $gen = 1 ] && [ $1 = 1 ]; then rec KG\n"
	    /* the pty dialogue answers no to "Overwrite (y/n)?" */
	    " elif [ $gen = 1 ] && [ -n \"${pp+x}\" ] && [ -n \"$ow\" ]; "
	    "then :\n"
	    " elif [ $gen = 1 ]; then\n"
	    "  if printf '%s\\n' \"$ow\" | keygen; then\n"
	    "   chown -- \"$pu:$pg\" \"$k\" \"$k.pub\" 2>/dev/null\n"
	    "  else return 1; fi\n"
	    " fi\n"
	    " if [ -e \"$k\" ]; then\n"
	    "  run F ssh-keygen -l -f \"$k\" </dev/null\n"
	    " fi\n"
	    " q=$(cat -- \"$k.pub\" 2>/dev/null) && rec Q \"$q\"\n"
	    " return 0\n"
	    "}\n");
}

/* keygen(): ssh_key_gen()'s command line, only when it may run. */
static void
script_keygen(struct user *u, struct strbuf *sb)
{
	const char *argv[16], *pp = arg_str(u->args, "ssh_key_passphrase");
	int64_t bits = arg_int(u->args, "ssh_key_bits");
	char bitbuf[24];
	size_t n = 0;

	argv[n++] = "ssh-keygen";
	argv[n++] = "-t";
	argv[n++] = arg_str(u->args, "ssh_key_type");
	if (bits > 0) {
		snprintf(bitbuf, sizeof(bitbuf), "%lld", (long long)bits);
		argv[n++] = "-b";
		argv[n++] = bitbuf;
	}
	argv[n++] = "-C";
	argv[n++] = acct_v_cm;
	argv[n++] = "-f";
	argv[n++] = acct_v_key;
	argv[n++] = "-N";
	argv[n++] = pp != NULL ? acct_v_pp : "";
	argv[n] = NULL;
	sb_adds(sb, "keygen() {\n ");
	acct_run(sb, "k", argv);
	sb_adds(sb, "\n}\n");
}

struct argv {
	const char	*w[64];
	size_t		 n;
};

static void
push(struct argv *av, const char *w)
{
	if (av->n + 1 < sizeof(av->w) / sizeof(av->w[0]))
		av->w[av->n++] = w;
	av->w[av->n] = NULL;
}

static const char *
num(struct user *u, long long v)
{
	return arena_printf(u->ctx->a, "%lld", v);
}

/* self.expires < time.gmtime(0), and the date useradd -e takes. */
static bool
expires_before_epoch(const struct user *u)
{
	return floor(u->expires) < 0;
}

static const char *
expires_date(struct user *u)
{
	time_t t = (time_t)floor(u->expires);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	return arena_strdup(u->ctx->a, buf);
}

/*
 * get_groups_set(): the named groups, deduplicated, each existing.  Its
 * remove_existing (dropping the primary group) never applies on Linux:
 * useradd calls it before the user exists, usermod with False.
 */
static const char **
groups_set(struct user *u, size_t *count, const char **missing)
{
	const char **set, *p, *c;
	size_t n = 1, k = 0, i;

	for (p = u->groups; *p != '\0'; p++)
		n += *p == ',';
	set = arena_alloc(u->ctx->a, (n + 1) * sizeof(*set));
	for (p = u->groups; *p != '\0' || p == u->groups; p = c + 1) {
		const char *a, *b;

		c = strchr(p, ',');
		if (c == NULL)
			c = p + strlen(p);
		for (a = p; a < c && strchr(" \t\n\r\f\v", *a) != NULL; a++)
			;
		for (b = c; b > a && strchr(" \t\n\r\f\v", b[-1]) != NULL;
		    b--)
			;
		if (c > p) {
			const char *g = arena_strndup(u->ctx->a, a,
			    (size_t)(b - a));
			const struct grent *ge;

			for (i = 0; i < k && strcmp(set[i], g) != 0; i++)
				;
			ge = find_group(u, g);
			if (ge == NULL) {
				*missing = g;
				return NULL;
			}
			if (i == k)
				set[k++] = g;
		}
		if (*c == '\0')
			break;
	}
	set[k] = NULL;
	*count = k;
	return set;
}

static const char *
join(struct user *u, const char **set, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s;

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			sb_addch(&sb, ',');
		sb_adds(&sb, set[i]);
	}
	s = arena_strndup(u->ctx->a, sb.buf, sb.len);
	sb_release(&sb);
	return s;
}

/* Fail as fail_json(msg=...) does: nothing but the message. */
static int
fail_only(struct user *u, struct result *res, const char *msg)
{
	struct value *w = val_dict_get(res->v, "warnings");

	res->v = val_new_dict(u->ctx->a);
	if (w != NULL)
		res_set(u->ctx, res, "warnings", w);
	return res_fail(u->ctx, res, "%s", msg);
}

static void
push_password(struct user *u, struct argv *av)
{
	push(av, "-p");
	push(av, u->lock == 1 ? acct_v_pw_locked : acct_v_pw);
}

/* create_user_useradd(); NULL after a failure in res. */
static struct argv *
useradd_argv(struct user *u, struct result *res)
{
	const struct value *a = u->args;
	struct argv *av = arena_alloc(u->ctx->a, sizeof(*av));
	const char *group = arg_str(a, "group"), *missing = NULL;

	push(av, u->local ? "luseradd" : "useradd");
	if (val_dict_get(a, "uid") != NULL) {
		push(av, "-u");
		push(av, num(u, arg_int(a, "uid")));
		if (arg_bool(a, "non_unique"))
			push(av, "-o");
	}
	if (group != NULL) {
		if (find_group(u, group) == NULL) {
			fail_only(u, res, arena_printf(u->ctx->a, "Group %s "
			    "does not exist", group));
			return NULL;
		}
		push(av, "-g");
		push(av, group);
	} else if (find_group(u, u->name) != NULL)
		push(av, u->local ? "-n" : "-N");
	if (u->groups != NULL && *u->groups != '\0') {
		size_t n;
		const char **set = groups_set(u, &n, &missing);

		if (set == NULL) {
			fail_only(u, res, arena_printf(u->ctx->a, "Group %s "
			    "does not exist", missing));
			return NULL;
		}
		if (!u->local) {
			push(av, "-G");
			push(av, join(u, set, n));
		}
	}
	if (arg_str(a, "comment") != NULL) {
		push(av, "-c");
		push(av, arg_str(a, "comment"));
	}
	if (u->home != NULL) {
		push(av, "-d");
		push(av, u->home);
	}
	if (arg_str(a, "shell") != NULL) {
		push(av, "-s");
		push(av, arg_str(a, "shell"));
	}
	if (u->has_expires && !u->local) {
		push(av, "-e");
		push(av, expires_before_epoch(u) ? "" : expires_date(u));
	}
	if (u->password != NULL)
		push_password(u, av);
	if (u->create_home) {
		if (!u->local)
			push(av, "-m");
		if (arg_str(a, "skeleton") != NULL) {
			push(av, "-k");
			push(av, arg_str(a, "skeleton"));
		}
		if (arg_str(a, "umask") != NULL) {
			push(av, "-K");
			push(av, arena_printf(u->ctx->a, "UMASK=%s",
			    arg_str(a, "umask")));
		}
	} else
		push(av, "-M");
	if (arg_bool(a, "system"))
		push(av, "-r");
	return av;
}

/* modify_user_usermod()'s "groups" part; false after a failure. */
static bool
usermod_groups(struct user *u, struct argv *av, struct result *res)
{
	bool append = arg_bool(u->args, "append"), need = false;
	const char **set = NULL, *missing = NULL;
	size_t n = 0, ncur = 0, i, j;
	const char **cur;

	cur = arena_alloc(u->ctx->a, (u->ng + 1) * sizeof(*cur));
	for (i = 0; i < u->ng; i++)
		if (has_member(u, &u->g[i]))
			cur[ncur++] = u->g[i].name;
	if (*u->groups == '\0') {
		need = ncur > 0 && !append;
	} else {
		set = groups_set(u, &n, &missing);
		if (set == NULL) {
			fail_only(u, res, arena_printf(u->ctx->a, "Group %s "
			    "does not exist", missing));
			return false;
		}
		/* any g in set not current (symmetric difference) */
		for (i = 0; i < n && !need; i++) {
			for (j = 0; j < ncur && strcmp(cur[j], set[i]); j++)
				;
			need = j == ncur;
		}
		if (need && append)
			push(av, "-a");
		for (j = 0; j < ncur && !need && !append; j++) {
			for (i = 0; i < n && strcmp(cur[j], set[i]); i++)
				;
			need = i == n;
		}
	}
	if (need) {
		push(av, "-G");
		push(av, join(u, set, n));
	}
	return true;
}

/* modify_user_usermod(); NULL after a failure in res. */
static struct argv *
usermod_argv(struct user *u, struct result *res)
{
	const struct value *a = u->args;
	struct argv *av = arena_alloc(u->ctx->a, sizeof(*av));
	const char *group = arg_str(a, "group"), *s, *cpw = cur_password(u);

	push(av, u->local ? "lusermod" : "usermod");
	if (val_dict_get(a, "uid") != NULL &&
	    acct_num(u->pw[2]) != arg_int(a, "uid")) {
		push(av, "-u");
		push(av, num(u, arg_int(a, "uid")));
		if (arg_bool(a, "non_unique"))
			push(av, "-o");
	}
	if (group != NULL) {
		const struct grent *g = find_group(u, group);

		if (g == NULL) {
			fail_only(u, res, arena_printf(u->ctx->a, "Group %s "
			    "does not exist", group));
			return NULL;
		}
		if (acct_num(u->pw[3]) != g->gid) {
			push(av, "-g");
			push(av, num(u, g->gid));
		}
	}
	if (u->groups != NULL && !usermod_groups(u, av, res))
		return NULL;
	s = arg_str(a, "comment");
	if (s != NULL && strcmp(u->pw[4], s) != 0) {
		push(av, "-c");
		push(av, s);
	}
	if (u->home != NULL && strcmp(u->pw[5], u->home) != 0) {
		push(av, "-d");
		push(av, u->home);
		if (arg_bool(a, "move_home"))
			push(av, "-m");
	}
	s = arg_str(a, "shell");
	if (s != NULL && strcmp(u->pw[6], s) != 0) {
		push(av, "-s");
		push(av, s);
	}
	if (u->has_expires && !u->local) {
		if (expires_before_epoch(u)) {
			if (u->sp_expire >= 0) {
				push(av, "-e");
				push(av, "");
			}
		} else {
			time_t t = (time_t)(u->sp_expire * 86400);
			struct tm tm;
			char buf[32];

			gmtime_r(&t, &tm);
			strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
			if (u->sp_expire < 0 || strcmp(buf,
			    expires_date(u)) != 0) {
				push(av, "-e");
				push(av, expires_date(u));
			}
		}
	}
	if (u->lock == 1 && cpw[0] != '!')
		push(av, "-L");
	else if (u->lock == 0 && cpw[0] == '!')
		push(av, "-U");
	if (strcmp(arg_str(a, "update_password"), "always") == 0 &&
	    u->password != NULL) {
		const char *x = cpw, *y = u->password;

		while (*x == '!')
			x++;
		while (*y == '!')
			y++;
		if (strcmp(x, y) != 0) {
			/* -p excludes -L and -U */
			size_t k = 0;

			for (size_t i = 0; i < av->n; i++)
				if (strcmp(av->w[i], "-L") != 0 &&
				    strcmp(av->w[i], "-U") != 0)
					av->w[k++] = av->w[i];
			av->n = k;
			av->w[k] = NULL;
			push_password(u, av);
		}
	}
	if (av->n == 1)
		av->n = 0;
	return av;
}

/* The first command: the account, and what post() would do. */
static void
read_script(struct user *u, struct strbuf *sb)
{
	sb_adds(sb, "p=$(getent passwd \"$n\") && rec P \"$p\"\n"
	    "s=$(getent shadow \"$n\") && rec s \"$s\"\n"
	    "rec G \"$(getent group)\"\n");
	if (u->local)
		sb_adds(sb, "if ! [ -e /etc/passwd ]; then rec m; "
		    "elif p=\"$n:\" awk 'index($0, ENVIRON[\"p\"]) == 1 "
		    "{ f = 1 } END { exit !f }' /etc/passwd; then rec l; fi\n");
	if (u->home != NULL)
		sb_adds(sb, "[ -d \"$(dirname -- \"$h\")\" ] && rec D\n");
	if (u->present)
		sb_adds(sb, "post 1\n");
}

/* Python's str.strip(). */
static const char *
strip(struct user *u, const char *s)
{
	const char *e;

	if (s == NULL)
		return "";
	while (*s != '\0' && strchr(" \t\n\r\f\v", *s) != NULL)
		s++;
	e = s + strlen(s);
	while (e > s && strchr(" \t\n\r\f\v", e[-1]) != NULL)
		e--;
	return arena_strndup(u->ctx->a, s, (size_t)(e - s));
}

/*
 * "Failed to create DIR: " and the OSError's str() as Python words it,
 * from mkdir's "mkdir: cannot create directory 'DIR': No such file...".
 */
static const char *
mkdir_error(struct user *u, const char *dir, const char *msg)
{
	static const struct {
		int		 no;
		const char	*text;
	} errnos[] = {
		{ 2, "No such file or directory" }, { 13, "Permission denied" },
		{ 17, "File exists" }, { 20, "Not a directory" },
		{ 28, "No space left on device" },
		{ 30, "Read-only file system" },
	};
	const char *why = strrchr(msg, ':');

	why = why != NULL ? strip(u, why + 1) : msg;
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(why, errnos[i].text) == 0)
			return arena_printf(u->ctx->a, "Failed to create %s: "
			    "[Errno %d] %s: '%s'", dir, errnos[i].no, why,
			    dir);
	return arena_printf(u->ctx->a, "Failed to create %s: %s", dir, why);
}

/* user.py's main() after the account command: from post()'s records. */
static void
finish(struct user *u, struct result *res, const struct acct_out *ao)
{
	struct task_ctx *ctx = u->ctx;
	const char *p = acct_get(ao, "p"), *f[7], *s;
	long long kc = acct_num(acct_get(ao, "kc"));

	s = acct_get(ao, "HE");
	if (s != NULL) {
		/* exit_json(failed=True, msg=...): nothing else */
		res->changed = false;
		fail_only(u, res, s);
		return;
	}
	if (p == NULL)
		return;
	acct_fields(ctx->a, p, f, 7);
	res_set(ctx, res, "uid", val_new_int(ctx->a, acct_num(f[2])));
	res_set(ctx, res, "group", val_new_int(ctx->a, acct_num(f[3])));
	res_set_str(ctx, res, "comment", f[4]);
	res_set_str(ctx, res, "home", f[5]);
	res_set_str(ctx, res, "shell", f[6]);
	if (u->groups != NULL)
		res_set_str(ctx, res, "groups", u->groups);
	if (acct_get(ao, "HC") != NULL)
		res->changed = true;
	if (!u->gen_key)
		return;
	s = acct_get(ao, "KE");
	if (s != NULL && acct_get(ao, "KM") != NULL)
		s = mkdir_error(u, acct_get(ao, "KM"), s);
	if (s != NULL || (acct_get(ao, "kc") != NULL && kc != 0)) {
		/* fail_json(name=..., msg=err, rc=rc) */
		res->changed = false;
		fail_only(u, res, s != NULL ? s : acct_get(ao, "ke"));
		res_set_str(ctx, res, "name", u->name);
		res_set(ctx, res, "rc", val_new_int(ctx->a, s != NULL ? 1 :
		    kc));
		return;
	}
	if (acct_get(ao, "KG") != NULL || kc == 0)
		res->changed = true;
	s = acct_get(ao, "Fc");
	res_set_str(ctx, res, "ssh_fingerprint", s == NULL ? "" :
	    strip(u, acct_get(ao, acct_num(s) == 0 ? "Fo" : "Fe")));
	res_set_str(ctx, res, "ssh_key_file", acct_get(ao, "KF"));
	s = acct_get(ao, "Q");
	res_set(ctx, res, "ssh_public_key", s != NULL ?
	    val_new_str(ctx->a, strip(u, s)) : &val_none);
}

/* check_password_encrypted()'s warning. */
static bool
looks_hashed(const char *pw)
{
	const char *last, *p;
	size_t nf = 1;

	if (strcmp(pw, "*") == 0 || strcmp(pw, "!") == 0 ||
	    strcmp(pw, "*************") == 0)
		return true;
	if (strpbrk(pw, ":*!") != NULL || strchr(pw, '$') == NULL)
		return false;
	for (p = pw; *p != '\0'; p++)
		nf += *p == '$';
	if (nf < 3)
		return false;
	last = strrchr(pw, '$') + 1;
	for (p = last; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./=", *p) == NULL)
			return false;
	/* fields[1]: the hash's id */
	if (strncmp(pw, "$1$", 3) == 0 && strlen(last) != 22)
		return false;
	if (strncmp(pw, "$5$", 3) == 0 && strlen(last) != 43)
		return false;
	if (strncmp(pw, "$6$", 3) == 0 && strlen(last) != 86)
		return false;
	return true;
}

static void
init_user(struct user *u, struct task_ctx *ctx, const struct value *args)
{
	const struct value *v;

	memset(u, 0, sizeof(*u));
	u->ctx = ctx;
	u->args = args;
	u->name = arg_str(args, "name");
	u->present = strcmp(arg_str(args, "state"), "present") == 0;
	u->local = val_dict_get(args, "local") != NULL &&
	    arg_bool(args, "local");
	u->create_home = arg_bool(args, "create_home");
	u->gen_key = val_dict_get(args, "generate_ssh_key") != NULL &&
	    arg_bool(args, "generate_ssh_key");
	u->home = arg_str(args, "home");
	u->password = arg_str(args, "password");
	u->lock = val_dict_get(args, "password_lock") == NULL ? -1 :
	    arg_bool(args, "password_lock");
	v = val_dict_get(args, "expires");
	if (v != NULL) {
		u->has_expires = true;
		u->expires = val_as_double(v);
	}
	v = val_dict_get(args, "groups");
	if (v != NULL) {
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < val_len(v); i++) {
			if (i > 0)
				sb_addch(&sb, ',');
			val_str(&sb, val_list_get(v, i));
		}
		u->groups = arena_strndup(ctx->a, sb.buf, sb.len);
		sb_release(&sb);
	}
}

static void
warnings(struct user *u, struct result *res)
{
	if (u->groups == NULL && arg_bool(u->args, "append"))
		res_warn(u->ctx, res, "'append' is set, but no 'groups' are "
		    "specified. Use 'groups' for appending new groups.This "
		    "will change to an error in Ansible 2.14.");
	if (u->password != NULL && *u->password != '\0' &&
	    !looks_hashed(u->password))
		res_warn(u->ctx, res, "The input password appears not to "
		    "have been hashed. The 'password' argument must be "
		    "encrypted for this module to work properly.");
}

/* The second command: the account command, then post(). */
static int
change(struct user *u, const struct argv *av, bool parents,
    struct acct_out *ao, struct err *err)
{
	const char *pp = arg_str(u->args, "ssh_key_passphrase");
	struct strbuf sb = STRBUF_INIT, in = STRBUF_INIT;
	int rc;

	/* secrets first, from stdin */
	if (u->password != NULL) {
		sb_adds(&sb, "IFS= read -r pw\n");
		sb_adds(&in, u->password);
		sb_addch(&in, '\n');
	}
	if (pp != NULL && u->gen_key) {
		sb_adds(&sb, "IFS= read -r pp\n");
		sb_adds(&in, pp);
		sb_addch(&in, '\n');
	}
	script_head(u, &sb);
	if (u->gen_key)
		script_keygen(u, &sb);
	/* get_bin_path() of libuser's helpers comes first */
	if (u->local && u->present && av != NULL && av->n > 0)
		sb_adds(&sb, "need lgroupmod lchage || exit 0\n");
	if (parents)
		sb_adds(&sb, "mkhome \"$h\" || exit 0\n");
	if (av != NULL && av->n > 0) {
		acct_run(&sb, "m", av->w);
		sb_adds(&sb, " || exit 0\n");
	}
	if (parents)
		sb_adds(&sb, "if pwinfo; then chhome \"$h\" || exit 0; fi\n");
	if (u->present)
		sb_adds(&sb, "post 0\n");
	rc = acct_exec(u->ctx, &sb, in.buf, ao, err);
	sb_release(&sb);
	sb_release(&in);
	return rc;
}

static int
user_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct argv *av = NULL, del = { .n = 0 };
	struct acct_out ao, ao2;
	struct user u;
	bool parents = false, ran;

	init_user(&u, ctx, args);
	if (arg_str(args, "umask") != NULL && u.local)
		return res_fail(ctx, res, "'umask' can not be used with "
		    "'local'");
	warnings(&u, res);
	script_head(&u, &sb);
	read_script(&u, &sb);
	if (acct_exec(ctx, &sb, NULL, &ao, err) < 0) {
		sb_release(&sb);
		return -1;
	}
	sb_release(&sb);
	parse_state(&u, &ao);
	if (u.local && acct_get(&ao, "m") != NULL)
		return fail_only(&u, res, "'local: true' specified but unable "
		    "to find local account file /etc/passwd to parse.");
	if (u.local && !u.exists)
		res_warn(ctx, res, arena_printf(ctx->a, "'local: true' "
		    "specified and user '%s' was not found in /etc/passwd. The "
		    "local user account may already exist if the local account "
		    "database exists somewhere other than /etc/passwd.",
		    u.name));
	res_set_str(ctx, res, "name", u.name);
	res_set_str(ctx, res, "state", arg_str(args, "state"));
	if (!u.present || !u.exists) {
		if (u.exists == u.present)
			goto done;	/* nothing to add or remove */
		/* main() exits with changed alone in check mode */
		if (ctx->check_mode) {
			struct value *w = val_dict_get(res->v, "warnings");

			res->v = val_new_dict(ctx->a);
			if (w != NULL)
				res_set(ctx, res, "warnings", w);
			res->changed = true;
			return 0;
		}
	}
	if (!u.present) {
		push(&del, u.local ? "luserdel" : "userdel");
		if (arg_bool(args, "force") && !u.local)
			push(&del, "-f");
		if (arg_bool(args, "remove"))
			push(&del, "-r");
		av = &del;
	} else if (!u.exists) {
		av = useradd_argv(&u, res);
		parents = u.home != NULL && u.create_home && !u.parent_is_dir;
	} else
		av = usermod_argv(&u, res);
	if (av == NULL)
		return 0;
	push(av, u.name);
	if (av->n == 1)
		av->n = 0;
	ran = av->n > 0;
	ao2 = ao;
	if (!ctx->check_mode && (ran || acct_get(&ao, "HC") != NULL ||
	    acct_get(&ao, "KG") != NULL)) {
		if (change(&u, av, parents, &ao2, err) < 0)
			return -1;
		if (acct_failed(&ao2)) {
			/* fail_json(name=..., msg=err, rc=rc) */
			res->v = val_new_dict(ctx->a);
			if (acct_get(&ao2, "f") == NULL)
				res_set_str(ctx, res, "name", u.name);
			acct_set_output(ctx, res, &ao2);
			val_dict_del(res->v, "stdout");
			val_dict_del(res->v, "stderr");
			val_dict_del(res->v, "stdout_lines");
			val_dict_del(res->v, "stderr_lines");
			return 0;
		}
	}
	if (!u.present) {
		res_set(ctx, res, "force", val_bool(arg_bool(args, "force")));
		res_set(ctx, res, "remove", val_bool(arg_bool(args, "remove")));
	} else if (!u.exists) {
		res_set(ctx, res, "system", val_bool(arg_bool(args, "system")));
		res_set(ctx, res, "create_home", val_bool(u.create_home));
	} else {
		res_set(ctx, res, "append", val_bool(arg_bool(args, "append")));
		res_set(ctx, res, "move_home", val_bool(arg_bool(args,
		    "move_home")));
	}
	if (u.present && u.password != NULL)
		res_set_str(ctx, res, "password", "NOT_LOGGING_PASSWORD");
	res->changed = ran;
	acct_set_output(ctx, res, &ao2);
	if (u.present)
		finish(&u, res, &ao2);
done:
	return 0;
}

const struct module module_user = {
	.name = "user",
	.summary = "add, change or remove a local user account",
	.args = user_args,
	.flags = MODULE_CHECK_MODE,
	.run = user_run,
};
