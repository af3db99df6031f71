/*
 * apt: Debian packages, as Ansible 2.14's apt module manages them
 * (modules/apt.py): the same decisions (package_status, install, remove,
 * install_deb, upgrade, cleanup), the same apt-get command lines, result
 * keys and messages, but without python-apt on the host.  One probe command
 * reads the state (cache time, dpkg status, apt-cache policy, auto marks;
 * apt-get update first when the cache is older than cache_valid_time), one
 * apt-get (or dpkg) command changes it; check mode runs apt-get --simulate
 * as Ansible does.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "apt.h"
#include "runcmd.h"
#include "shell.h"
#include "util.h"

static const char *const state_choices[] = { "absent", "build-dep", "fixed",
	"latest", "present", NULL };
static const char *const upgrade_choices[] = { "dist", "full", "no", "safe",
	"yes", NULL };
static const char *const pkg_aliases[] = { "pkg", "name", NULL };
static const char *const uc_aliases[] = { "update-cache", NULL };
static const char *const dr_aliases[] = { "default-release", NULL };
static const char *const ir_aliases[] = { "install-recommends", NULL };
static const char *const au_aliases[] = { "allow-unauthenticated", NULL };
static const char *const ad_aliases[] = { "allow-downgrade",
	"allow_downgrades", "allow-downgrades", NULL };

static const struct arg_spec apt_args[] = {
	{ .name = "state", .type = ARG_STR, .dflt = "present",
	  .choices = state_choices },
	{ .name = "update_cache", .type = ARG_BOOL, .aliases = uc_aliases },
	{ .name = "update_cache_retries", .type = ARG_INT, .dflt = "5" },
	{ .name = "update_cache_retry_max_delay", .type = ARG_INT,
	  .dflt = "12" },
	{ .name = "cache_valid_time", .type = ARG_INT, .dflt = "0" },
	{ .name = "purge", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "package", .type = ARG_LIST, .elem = ARG_STR,
	  .aliases = pkg_aliases },
	{ .name = "deb", .type = ARG_PATH },
	{ .name = "default_release", .type = ARG_STR, .aliases = dr_aliases },
	{ .name = "install_recommends", .type = ARG_BOOL,
	  .aliases = ir_aliases },
	{ .name = "force", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "upgrade", .type = ARG_STR, .dflt = "no",
	  .choices = upgrade_choices },
	{ .name = "dpkg_options", .type = ARG_STR,
	  .dflt = "force-confdef,force-confold" },
	{ .name = "autoremove", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "autoclean", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "fail_on_autoremove", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "policy_rc_d", .type = ARG_INT },
	{ .name = "only_upgrade", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "force_apt_get", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "clean", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "allow_unauthenticated", .type = ARG_BOOL, .dflt = "false",
	  .aliases = au_aliases },
	{ .name = "allow_downgrade", .type = ARG_BOOL, .dflt = "false",
	  .aliases = ad_aliases },
	{ .name = "allow_change_held_packages", .type = ARG_BOOL,
	  .dflt = "false" },
	{ .name = "lock_timeout", .type = ARG_INT, .dflt = "60" },
	{ .name = NULL },
};

#define APT_GET "/usr/bin/apt-get"
#define APT_GET_ZERO "\n0 upgraded, 0 newly installed"

/* What the probe says about one package name. */
struct pkg {
	const char	*name;
	bool		 known;		/* apt-cache policy printed it */
	bool		 installed;	/* dpkg: Status ... installed */
	bool		 has_files;	/* a non-empty info/NAME.list */
	bool		 is_auto;	/* apt-mark showauto */
	const char	*inst_ver;
	const char	*candidate;	/* NULL: (none) */
	const char	*versions[32];	/* the version table, highest first */
	size_t		 nversions;
	struct pkg	*next;
};

struct apt_run {
	struct task_ctx		*ctx;
	const struct value	*args;
	struct result		*res;
	struct pkg		*pkgs;
	struct value		*expanded;	/* glob -> names, per pattern */
	double			 now;
	long long		 t0, t1;	/* cache time before/after */
	bool			 updated;	/* apt-get update ran (or would) */
	bool			 update_failed;
	const char		*deb_pkg, *deb_ver, *deb_inst_ver;
	struct value		*deb_missing;	/* dependency names */
};

/* dpkg's verrevcmp(): ~ sorts before everything, letters before others. */
static int
order(int c)
{
	if (isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

static int
verrevcmp(const char *a, const char *b)
{
	while (*a || *b) {
		int first_diff = 0;

		while ((*a && !isdigit((unsigned char)*a)) ||
		    (*b && !isdigit((unsigned char)*b))) {
			int ac = order((unsigned char)*a);
			int bc = order((unsigned char)*b);

			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (isdigit((unsigned char)*a) &&
		    isdigit((unsigned char)*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (isdigit((unsigned char)*a))
			return 1;
		if (isdigit((unsigned char)*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

struct debver {
	long		 epoch;
	char		 upstream[256];
	const char	*revision;
};

static void
debver_parse(struct debver *v, const char *s)
{
	const char *colon = strchr(s, ':'), *dash;
	size_t n;

	v->epoch = 0;
	if (colon != NULL && colon > s) {
		v->epoch = strtol(s, NULL, 10);
		s = colon + 1;
	}
	dash = strrchr(s, '-');
	n = dash != NULL ? (size_t)(dash - s) : strlen(s);
	if (n >= sizeof(v->upstream))
		n = sizeof(v->upstream) - 1;
	memcpy(v->upstream, s, n);
	v->upstream[n] = '\0';
	v->revision = dash != NULL ? dash + 1 : "";
}

int
apt_version_cmp(const char *a, const char *b)
{
	struct debver va, vb;
	int r;

	debver_parse(&va, a);
	debver_parse(&vb, b);
	if (va.epoch != vb.epoch)
		return va.epoch < vb.epoch ? -1 : 1;
	r = verrevcmp(va.upstream, vb.upstream);
	if (r != 0)
		return r;
	return verrevcmp(va.revision, vb.revision);
}

void
apt_env(struct strbuf *sb)
{
	/* APT_ENV_VARS of apt.py; C.UTF-8 is get_best_parsable_locale()'s */
	sb_adds(sb, "DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical "
	    "LANG=C.UTF-8 LC_ALL=C.UTF-8 LC_MESSAGES=C.UTF-8 "
	    "LC_CTYPE=C.UTF-8; export DEBIAN_FRONTEND DEBIAN_PRIORITY LANG "
	    "LC_ALL LC_MESSAGES LC_CTYPE; ");
}

int
apt_update(struct task_ctx *ctx, bool *ok, const char **msg,
    struct err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result cr;
	int rc;

	apt_env(&cmd);
	sb_adds(&cmd, "apt-get -q update");
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &cr, err);
	sb_release(&cmd);
	if (rc == 0) {
		/* python-apt's update() fails on any failed fetch */
		*ok = cr.rc == 0 && strstr(cr.err.buf, "W: Failed to fetch") ==
		    NULL && strstr(cr.err.buf, "E: ") == NULL;
		/* its FetchFailedException carries no text */
		*msg = "unknown reason";
	}
	conn_result_release(&cr);
	return rc;
}

static bool
has_glob(const char *s)
{
	return strpbrk(s, "*?[]!") != NULL;
}

/* package_split(): "name", "name=ver" or "name>=ver". */
static void
split_spec(struct arena *a, const char *spec, const char **name,
    const char **cmp, const char **ver)
{
	const char *eq = strchr(spec, '=');

	*cmp = NULL;
	*ver = NULL;
	*name = spec;
	if (eq == NULL)
		return;
	if (eq > spec && eq[-1] == '>') {
		*name = arena_strndup(a, spec, (size_t)(eq - 1 - spec));
		*cmp = ">=";
	} else {
		*name = arena_strndup(a, spec, (size_t)(eq - spec));
		*cmp = "=";
	}
	*ver = eq + 1;
}

static struct pkg *
find_pkg(struct apt_run *r, const char *name, bool create)
{
	struct pkg *p;

	for (p = r->pkgs; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	if (!create)
		return NULL;
	p = arena_alloc(r->ctx->a, sizeof(*p));
	p->name = arena_strdup(r->ctx->a, name);
	p->next = r->pkgs;
	r->pkgs = p;
	return p;
}

static void
add_spec_names(struct apt_run *r, struct strbuf *lit, struct strbuf *pats)
{
	const struct value *l = val_dict_get(r->args, "package");
	const char *name, *cmp, *ver;
	size_t i, np = 0;

	for (i = 0; l != NULL && i < l->u.list->n; i++) {
		const char *spec = l->u.list->items[i]->u.str.s;

		if (strcmp(spec, "*") == 0)
			continue;
		split_spec(r->ctx->a, spec, &name, &cmp, &ver);
		if (has_glob(name)) {
			sb_adds(pats, "  case $n in ");
			sh_quote_glob(pats, name);
			sb_addf(pats, ") echo 'E %zu '\"$n\"; set -- \"$@\" "
			    "\"$n\";; esac\n", np++);
			continue;
		}
		sb_addch(lit, ' ');
		sh_quote(lit, name);
	}
}

/*
 * The probe: "U t0 t1 rc" when it updated the cache, "N now", "T mtime",
 * "E i name" for glob matches, "D name status version" (dpkg), "F name"
 * (has files), "A name" (auto), then apt-cache policy's text after "P".
 */
static void
build_probe(struct apt_run *r, struct strbuf *sb)
{
	const struct value *args = r->args;
	struct strbuf lit = STRBUF_INIT, pats = STRBUF_INIT;
	const char *deb = arg_str(args, "deb");
	const char *rel = arg_str(args, "default_release");

	apt_env(sb);
	sb_adds(sb, "mt() { if [ -e /var/lib/apt/periodic/update-success-stamp"
	    " ]; then stat -c %.9Y /var/lib/apt/periodic/update-success-stamp;"
	    " elif [ -e /var/lib/apt/lists ]; then stat -c %.9Y "
	    "/var/lib/apt/lists; else echo 0; fi; }\n");
	if (arg_bool(args, "update_cache") ||
	    arg_int(args, "cache_valid_time") != 0) {
		sb_addf(sb, "t0=$(mt); if awk -v m=\"$t0\" -v n=\"$(date "
		    "+%%s.%%N)\" -v v=%lld 'BEGIN { exit !(m + v < n) }'; then "
		    "%s; echo \"U $t0 $(mt) $?\"; fi\n",
		    (long long)arg_int(args, "cache_valid_time"),
		    r->ctx->check_mode ? "true" :
		    "e=$(apt-get -q update 2>&1 >/dev/null); u=$?; "
		    "case $e in *'W: Failed to fetch'*|*'E: '*) u=1;; esac; "
		    "(exit $u)");
	}
	sb_adds(sb, "echo \"N $(date +%s.%N)\"; echo \"T $(mt)\"\n");
	if (deb != NULL) {
		sb_adds(sb, "d=");
		sh_quote(sb, deb);
		sb_adds(sb, "\np=$(dpkg-deb -f \"$d\" Package) || exit 3\n"
		    "echo \"B $p $(dpkg-deb -f \"$d\" Version)\"\n"
		    "dpkg-query -W -f='I ${db:Status-Status} ${Version}\\n' "
		    "\"$p\" 2>/dev/null\n"
		    "dpkg-deb -f \"$d\" Depends | tr ',' '\\n' | while read -r "
		    "g; do [ -n \"$g\" ] || continue; ok=; for a in $(printf "
		    "'%s\\n' \"$g\" | tr '|' ' ' | sed 's/([^)]*)//g'); do "
		    "s=$(dpkg-query -W -f='${db:Status-Status}' \"${a%%:*}\" "
		    "2>/dev/null); [ \"$s\" = installed ] && ok=1; done; "
		    "[ -n \"$ok\" ] || echo \"M $(printf '%s\\n' \"$g\" | sed "
		    "'s/[ (|].*//')\"; done\nexit 0\n");
		return;
	}
	add_spec_names(r, &lit, &pats);
	sb_addf(sb, "set --%s\n", lit.buf);
	if (pats.len > 0)
		sb_addf(sb, "for n in $(apt-cache pkgnames | sort); do\n"
		    "  case $n in *:*) continue;; esac\n%sdone\n", pats.buf);
	sb_adds(sb, "[ $# -gt 0 ] || exit 0\n"
	    "dpkg-query -W -f='D ${Package} ${db:Status-Status} ${Version}\\n'"
	    " -- \"$@\" 2>/dev/null\n"
	    "for n in \"$@\"; do for f in /var/lib/dpkg/info/\"$n\".list "
	    "/var/lib/dpkg/info/\"$n\":*.list; do [ -s \"$f\" ] && "
	    "{ echo \"F $n\"; break; }; done; done\n"
	    "apt-mark showauto -- \"$@\" 2>/dev/null | sed 's/^/A /'\n"
	    "echo P; apt-cache");
	if (rel != NULL) {
		sb_adds(sb, " -o ");
		sh_quote(sb, arena_printf(r->ctx->a, "APT::Default-Release=%s",
		    rel));
	}
	sb_adds(sb, " policy -- \"$@\" 2>/dev/null\nexit 0\n");
	sb_release(&lit);
	sb_release(&pats);
}

static char *
next_line(char **p)
{
	char *s = *p, *nl;

	if (*s == '\0')
		return NULL;
	nl = strchr(s, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*p = nl + 1;
	} else
		*p = s + strlen(s);
	return s;
}

static void
parse_policy(struct apt_run *r, char *p)
{
	struct pkg *cur = NULL;
	char *line;

	while ((line = next_line(&p)) != NULL) {
		size_t len = strlen(line);

		if (len > 1 && line[0] != ' ' && line[len - 1] == ':') {
			line[len - 1] = '\0';
			cur = find_pkg(r, line, true);
			cur->known = true;
			continue;
		}
		if (cur == NULL)
			continue;
		if (strncmp(line, "  Candidate: ", 13) == 0) {
			if (strcmp(line + 13, "(none)") != 0)
				cur->candidate = arena_strdup(r->ctx->a,
				    line + 13);
			continue;
		}
		/* version lines: " *** 1.0 100" or "     1.0 500" */
		if (len > 5 && (strncmp(line, " *** ", 5) == 0 ||
		    strncmp(line, "     ", 5) == 0) && line[5] != ' ' &&
		    cur->nversions < ARRAY_SIZE(cur->versions)) {
			char *sp = strchr(line + 5, ' ');

			if (sp != NULL)
				*sp = '\0';
			cur->versions[cur->nversions++] =
			    arena_strdup(r->ctx->a, line + 5);
		}
	}
}

static int
parse_probe(struct apt_run *r, char *out)
{
	char *p = out, *line, *f1;
	struct arena *a = r->ctx->a;

	while ((line = next_line(&p)) != NULL) {
		if (line[0] == 'P' && line[1] == '\0') {
			parse_policy(r, p);
			break;
		}
		if (line[0] == '\0' || line[1] != ' ')
			continue;
		f1 = line + 2;
		switch (line[0]) {
		case 'U': {
			/* "U t0 t1 rc": float times, apt.py keeps seconds */
			char *s1 = strchr(f1, ' ');
			char *s2 = s1 != NULL ? strchr(s1 + 1, ' ') : NULL;

			r->updated = true;
			r->t0 = strtoll(f1, NULL, 10);
			r->t1 = s1 != NULL ? strtoll(s1 + 1, NULL, 10) : r->t0;
			r->update_failed = s2 != NULL && atoi(s2 + 1) != 0;
			break;
		}
		case 'N':
			r->now = strtod(f1, NULL);
			break;
		case 'T':
			if (!r->updated)
				r->t0 = r->t1 = strtoll(f1, NULL, 10);
			break;
		case 'E': {
			char *sp = strchr(f1, ' ');
			struct value *l;

			if (sp == NULL)
				break;
			l = val_list_get(r->expanded, (size_t)atoi(f1));
			if (l != NULL)
				val_list_push(a, l, val_new_str(a, sp + 1));
			break;
		}
		case 'D': {
			char *name = f1, *st, *ver;
			struct pkg *pk;

			st = strchr(name, ' ');
			if (st == NULL)
				break;
			*st++ = '\0';
			ver = strchr(st, ' ');
			if (ver != NULL)
				*ver++ = '\0';
			pk = find_pkg(r, name, true);
			pk->installed = strcmp(st, "installed") == 0;
			if (pk->installed && ver != NULL)
				pk->inst_ver = arena_strdup(a, ver);
			break;
		}
		case 'F':
			find_pkg(r, f1, true)->has_files = true;
			break;
		case 'A':
			find_pkg(r, f1, true)->is_auto = true;
			break;
		case 'B': {
			char *sp = strchr(f1, ' ');

			if (sp != NULL)
				*sp++ = '\0';
			r->deb_pkg = arena_strdup(a, f1);
			r->deb_ver = arena_strdup(a, sp != NULL ? sp : "");
			break;
		}
		case 'I': {
			char *sp = strchr(f1, ' ');

			if (sp != NULL && strncmp(f1, "installed ", 10) == 0)
				r->deb_inst_ver = arena_strdup(a, sp + 1);
			break;
		}
		case 'M':
			val_list_push(a, r->deb_missing, val_new_str(a, f1));
			break;
		}
	}
	return 0;
}

/*
 * package_status(): installed, version installed, the version to install
 * (NULL: none; "" for a virtual package apt resolves itself).
 */
static void
pkg_status(struct pkg *p, const char *cmp, const char *ver,
    bool *installed, bool *ver_installed, const char **installable)
{
	const char *best = p->candidate;
	size_t i;

	*installed = p->installed;
	*ver_installed = false;
	*installable = NULL;
	if (cmp != NULL && strcmp(cmp, "=") == 0) {
		/* a 1001 pin on the matching versions: the highest of them */
		best = NULL;
		for (i = 0; i < p->nversions; i++)
			if (fnmatch(ver, p->versions[i], 0) == 0) {
				best = p->versions[i];
				break;
			}
	}
	if (!p->installed) {
		*installable = best;
		return;
	}
	if (cmp != NULL && strcmp(cmp, "=") == 0) {
		*ver_installed = fnmatch(ver, p->inst_ver, 0) == 0;
		if (best != NULL && strcmp(p->inst_ver, best) != 0)
			*installable = best;
	} else if (cmp != NULL) {
		*ver_installed = apt_version_cmp(p->inst_ver, ver) >= 0;
		if (best != NULL && strcmp(p->inst_ver, best) != 0 &&
		    apt_version_cmp(best, ver) >= 0)
			*installable = best;
	} else {
		*ver_installed = true;
		if (best != NULL && strcmp(p->inst_ver, best) != 0)
			*installable = best;
	}
}

/* The (display, argv-quoted) pair of one command line word. */
struct cmdline {
	struct strbuf	 show;	/* as apt.py formats it, for messages */
	struct strbuf	 run;	/* what the host's shell runs */
};

static void
cl_opt(struct cmdline *c, const char *word)
{
	/* apt.py joins with "%s %s" even when a word is empty */
	sb_addch(&c->show, ' ');
	sb_adds(&c->show, word);
	if (*word != '\0') {
		sb_addch(&c->run, ' ');
		sb_adds(&c->run, word);
	}
}

static void
cl_dpkg_options(struct cmdline *c, const char *opts)
{
	const char *p = opts, *comma;
	bool first = true;

	sb_addch(&c->show, ' ');
	for (;; p = comma + 1) {
		size_t n;

		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		sb_addf(&c->show, "%s-o \"Dpkg::Options::=--%.*s\"",
		    first ? "" : " ", (int)n, p);
		sb_adds(&c->run, " -o ");
		sb_adds(&c->run, "'Dpkg::Options::=--");
		sb_add(&c->run, p, n);
		sb_addch(&c->run, '\'');
		first = false;
		if (comma == NULL)
			break;
	}
}

static void
cl_pkg(struct cmdline *c, struct arena *a, const char *name,
    const char *ver, bool first)
{
	const char *w = ver != NULL ? arena_printf(a, "%s=%s", name, ver) :
	    name;

	sb_adds(&c->show, first ? "" : " ");
	sb_addf(&c->show, "'%s'", w);
	sb_addch(&c->run, ' ');
	sh_quote(&c->run, w);
}

static void
cl_release(struct cmdline *c)
{
	sb_release(&c->show);
	sb_release(&c->run);
}

/*
 * Run the change: apt-get (or dpkg) with apt.py's environment, the lock
 * timeout, policy-rc.d around it when asked, then apt-mark manual for
 * auto-installed names.
 */
static int
run_change(struct apt_run *r, const char *cmd, const struct value *mark,
    struct conn_result *cr, struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	const struct value *prc = val_dict_get(r->args, "policy_rc_d");
	size_t i;
	int rc;

	apt_env(&sb);
	if (prc != NULL && prc->type == VAL_INT && cmd != NULL)
		sb_addf(&sb, "b=; if [ -e /usr/sbin/policy-rc.d ]; then "
		    "b=$(mktemp -d) && mv /usr/sbin/policy-rc.d \"$b/\"; fi; "
		    "printf '#!/bin/sh\\nexit %d\\n' >/usr/sbin/policy-rc.d; "
		    "chmod 0755 /usr/sbin/policy-rc.d; ", (int)prc->u.i);
	if (cmd != NULL)
		sb_addf(&sb, "%s; rc=$?; ", cmd);
	else
		sb_adds(&sb, "rc=0; ");
	if (prc != NULL && prc->type == VAL_INT && cmd != NULL)
		sb_adds(&sb, "if [ -n \"$b\" ]; then mv \"$b/policy-rc.d\" "
		    "/usr/sbin/policy-rc.d; rmdir \"$b\"; else rm -f "
		    "/usr/sbin/policy-rc.d; fi; ");
	if (mark != NULL && val_len(mark) > 0 && !r->ctx->check_mode) {
		sb_adds(&sb, "[ $rc = 0 ] && { apt-mark manual --");
		for (i = 0; i < mark->u.list->n; i++) {
			sb_addch(&sb, ' ');
			sh_quote(&sb, mark->u.list->items[i]->u.str.s);
		}
		sb_adds(&sb, " >/dev/null || rc=$?; }; ");
	}
	sb_adds(&sb, "exit $rc");
	conn_result_init(cr);
	rc = conn_exec(r->ctx->conn, sb.buf, r->ctx->become, NULL, 0, cr, err);
	sb_release(&sb);
	return rc;
}

static const char *
lock_opt(struct apt_run *r)
{
	return arena_printf(r->ctx->a, " -o DPkg::Lock::Timeout=%lld",
	    (long long)arg_int(r->args, "lock_timeout"));
}

static struct value *
str_of(struct arena *a, const struct strbuf *sb)
{
	return val_new_strn(a, sb->buf, sb->len);
}

/* parse_diff(): apt-get's text between its markers. */
static struct value *
parse_diff(struct task_ctx *ctx, const struct strbuf *out)
{
	struct value *d = val_new_dict(ctx->a);
	const char *s = out->buf, *start = NULL, *end, *p;

	if (!ctx->diff)
		return d;
	p = strstr(s, "Resolving dependencies...\n");
	if (p == NULL)
		p = strstr(s, "Reading state information...\n");
	if (p != NULL && (p == s || p[-1] == '\n'))
		start = strchr(p, '\n') + 1;
	else
		start = s;
	end = s + out->len;
	for (p = start; p < s + out->len;) {
		const char *nl = strchr(p, '\n');
		const char *q = p;

		while (isdigit((unsigned char)*q))
			q++;
		if (q > p && (strncmp(q, " upgraded", 9) == 0 ||
		    strncmp(q, " packages upgraded", 18) == 0)) {
			end = nl != NULL ? nl : s + out->len;
			break;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	val_dict_set(ctx->a, d, "prepared", val_new_strn(ctx->a, start,
	    (size_t)(end - start)));
	return d;
}

static void
set_out(struct apt_run *r, const struct conn_result *cr)
{
	struct task_ctx *ctx = r->ctx;

	res_set(ctx, r->res, "stdout", str_of(ctx->a, &cr->out));
	res_set(ctx, r->res, "stderr", str_of(ctx->a, &cr->err));
}

static void
set_cache_keys(struct apt_run *r)
{
	res_set(r->ctx, r->res, "cache_updated", val_bool(r->updated));
	res_set(r->ctx, r->res, "cache_update_time",
	    val_new_int(r->ctx->a, r->t1));
}

/*
 * Run an apt-get command line (with the lock timeout), its stdout and
 * stderr into the result, and rc when it failed.
 */
static int
run_apt_get(struct apt_run *r, struct cmdline *c, struct conn_result *cr,
    struct err *err)
{
	int rc;

	sb_adds(&c->run, lock_opt(r));
	rc = run_change(r, c->run.buf, NULL, cr, err);
	if (rc == 0) {
		set_out(r, cr);
		if (cr->rc != 0)
			res_set(r->ctx, r->res, "rc", val_new_int(r->ctx->a,
			    cr->rc));
	}
	return rc;
}

/* install() of apt.py. */
static int
do_install(struct apt_run *r, struct value *specs, struct err *err)
{
	struct task_ctx *ctx = r->ctx;
	const struct value *args = r->args;
	const char *state = arg_str(args, "state");
	bool upgrade = strcmp(state, "latest") == 0;
	bool build_dep = strcmp(state, "build-dep") == 0;
	bool only_upgrade = arg_bool(args, "only_upgrade");
	struct value *mark = val_new_list(ctx->a);
	struct cmdline c = { STRBUF_INIT, STRBUF_INIT };
	struct strbuf pkgs = STRBUF_INIT, pkgrun = STRBUF_INIT;
	struct conn_result cr;
	const struct value *iv;
	size_t i, n = 0;
	int rc;

	for (i = 0; i < specs->u.list->n; i++) {
		const char *spec = specs->u.list->items[i]->u.str.s;
		const char *name, *cmp, *ver, *inst;
		bool installed, vinst;
		struct pkg *p;
		struct cmdline pc = { STRBUF_INIT, STRBUF_INIT };

		if (build_dep) {
			cl_pkg(&pc, ctx->a, spec, NULL, n++ == 0);
			goto add;
		}
		split_spec(ctx->a, spec, &name, &cmp, &ver);
		p = find_pkg(r, name, false);
		if (p != NULL && p->is_auto)
			val_list_push(ctx->a, mark, val_new_str(ctx->a, name));
		if (p == NULL || (!p->known && !p->installed)) {
			cl_release(&pc);
			cl_release(&c);
			sb_release(&pkgs);
			sb_release(&pkgrun);
			return res_fail(ctx, r->res, "No package matching "
			    "'%s' is available", name);
		}
		if (p->nversions == 0 && !p->installed) {
			/* a virtual package: apt picks the provider */
			installed = vinst = false;
			inst = "";
		} else
			pkg_status(p, cmp, ver, &installed, &vinst, &inst);
		if (!installed && only_upgrade) {
			cl_release(&pc);
			continue;
		}
		if (!vinst && inst == NULL) {
			cl_release(&pc);
			cl_release(&c);
			sb_release(&pkgs);
			sb_release(&pkgrun);
			res_set_str(ctx, r->res, "msg", arena_printf(ctx->a,
			    "no available installation candidate for %s",
			    spec));
			set_cache_keys(r);
			r->res->failed = true;
			return 0;
		}
		if (inst != NULL && ((!installed && !only_upgrade) ||
		    upgrade || !vinst)) {
			if (*inst != '\0')
				cl_pkg(&pc, ctx->a, name, inst, n++ == 0);
			else
				cl_pkg(&pc, ctx->a, name, ver, n++ == 0);
		} else if (vinst && inst != NULL && cmp != NULL &&
		    strcmp(cmp, "=") == 0)
			cl_pkg(&pc, ctx->a, name, ver, n++ == 0);
add:
		sb_add(&pkgs, pc.show.buf, pc.show.len);
		sb_add(&pkgrun, pc.run.buf, pc.run.len);
		cl_release(&pc);
	}
	if (n == 0) {
		/* nothing to install; apt-mark manual still runs */
		if (val_len(mark) > 0 && !ctx->check_mode) {
			rc = run_change(r, NULL, mark, &cr, err);
			conn_result_release(&cr);
			if (rc < 0)
				return -1;
		}
		sb_release(&pkgs);
		sb_release(&pkgrun);
		r->res->changed = false;
		set_cache_keys(r);
		return 0;
	}
	sb_adds(&c.show, APT_GET " -y");
	sb_adds(&c.run, "apt-get -y");
	cl_dpkg_options(&c, arg_str(args, "dpkg_options"));
	cl_opt(&c, only_upgrade ? "--only-upgrade" : "");
	cl_opt(&c, strcmp(state, "fixed") == 0 ? "--fix-broken" : "");
	cl_opt(&c, arg_bool(args, "force") ? "--force-yes" : "");
	if (!build_dep)
		cl_opt(&c, arg_bool(args, "autoremove") ? "--auto-remove" :
		    "");
	cl_opt(&c, arg_bool(args, "fail_on_autoremove") ? "--no-remove" :
	    "");
	cl_opt(&c, ctx->check_mode ? "--simulate" : "");
	cl_opt(&c, build_dep ? "build-dep" : "install");
	sb_addch(&c.show, ' ');
	sb_add(&c.show, pkgs.buf, pkgs.len);
	sb_add(&c.run, pkgrun.buf, pkgrun.len);
	if (arg_str(args, "default_release") != NULL) {
		sb_addf(&c.show, " -t '%s'", arg_str(args, "default_release"));
		sb_adds(&c.run, " -t ");
		sh_quote(&c.run, arg_str(args, "default_release"));
	}
	iv = val_dict_get(args, "install_recommends");
	if (iv != NULL && iv->type == VAL_BOOL) {
		cl_opt(&c, iv->u.b ? "-o APT::Install-Recommends=yes" :
		    "-o APT::Install-Recommends=no");
	}
	if (arg_bool(args, "allow_unauthenticated"))
		cl_opt(&c, "--allow-unauthenticated");
	if (arg_bool(args, "allow_downgrade"))
		cl_opt(&c, "--allow-downgrades");
	if (arg_bool(args, "allow_change_held_packages"))
		cl_opt(&c, "--allow-change-held-packages");
	sb_adds(&c.run, lock_opt(r));
	rc = run_change(r, c.run.buf, build_dep ? NULL : mark, &cr, err);
	if (rc < 0) {
		cl_release(&c);
		sb_release(&pkgs);
		sb_release(&pkgrun);
		conn_result_release(&cr);
		return -1;
	}
	set_out(r, &cr);
	if (cr.rc != 0) {
		res_set(ctx, r->res, "rc", val_new_int(ctx->a, cr.rc));
		res_fail(ctx, r->res, "'%s' failed: %s", c.show.buf,
		    cr.err.buf);
	} else {
		res_set(ctx, r->res, "diff", parse_diff(ctx, &cr.out));
		r->res->changed = !build_dep || strstr(cr.out.buf,
		    APT_GET_ZERO) == NULL;
	}
	set_cache_keys(r);
	conn_result_release(&cr);
	cl_release(&c);
	sb_release(&pkgs);
	sb_release(&pkgrun);
	return 0;
}

/* remove() of apt.py. */
static int
do_remove(struct apt_run *r, struct value *specs, struct err *err)
{
	struct task_ctx *ctx = r->ctx;
	const struct value *args = r->args;
	bool purge = arg_bool(args, "purge");
	struct cmdline c = { STRBUF_INIT, STRBUF_INIT };
	struct strbuf pkgs = STRBUF_INIT, pkgrun = STRBUF_INIT;
	struct conn_result cr;
	size_t i, n = 0;
	int rc;

	for (i = 0; i < specs->u.list->n; i++) {
		const char *spec = specs->u.list->items[i]->u.str.s;
		const char *name, *cmp, *ver, *inst;
		bool installed = false, vinst = false;
		struct pkg *p;
		struct cmdline pc = { STRBUF_INIT, STRBUF_INIT };

		split_spec(ctx->a, spec, &name, &cmp, &ver);
		p = find_pkg(r, name, false);
		if (p != NULL && (p->known || p->installed))
			pkg_status(p, cmp, ver, &installed, &vinst, &inst);
		if (!(vinst || (p != NULL && p->has_files && purge)))
			continue;
		cl_pkg(&pc, ctx->a, spec, NULL, n++ == 0);
		sb_add(&pkgs, pc.show.buf, pc.show.len);
		sb_add(&pkgrun, pc.run.buf, pc.run.len);
		cl_release(&pc);
	}
	if (n == 0) {
		sb_release(&pkgs);
		sb_release(&pkgrun);
		return 0;
	}
	sb_adds(&c.show, APT_GET " -q -y");
	sb_adds(&c.run, "apt-get -q -y");
	cl_dpkg_options(&c, arg_str(args, "dpkg_options"));
	cl_opt(&c, purge ? "--purge" : "");
	cl_opt(&c, arg_bool(args, "force") ? "--force-yes" : "");
	cl_opt(&c, arg_bool(args, "autoremove") ? "--auto-remove" : "");
	cl_opt(&c, ctx->check_mode ? "--simulate" : "");
	cl_opt(&c, "remove");
	sb_addch(&c.show, ' ');
	sb_add(&c.show, pkgs.buf, pkgs.len);
	sb_add(&c.run, pkgrun.buf, pkgrun.len);
	rc = run_apt_get(r, &c, &cr, err);
	if (rc == 0) {
		if (cr.rc != 0) {
			res_fail(ctx, r->res, "'apt-get remove %s' failed: %s",
			    pkgs.buf, cr.err.buf);
		} else {
			res_set(ctx, r->res, "diff", parse_diff(ctx, &cr.out));
			r->res->changed = true;
		}
	}
	conn_result_release(&cr);
	cl_release(&c);
	sb_release(&pkgs);
	sb_release(&pkgrun);
	return rc;
}

/* upgrade() and cleanup() of apt.py, with apt-get (no aptitude). */
static int
do_upgrade_or_cleanup(struct apt_run *r, const char *op, struct err *err)
{
	struct task_ctx *ctx = r->ctx;
	const struct value *args = r->args;
	struct cmdline c = { STRBUF_INIT, STRBUF_INIT };
	struct conn_result cr;
	bool is_upgrade = strcmp(op, "autoremove") != 0 &&
	    strcmp(op, "autoclean") != 0;
	const char *word;
	int rc;

	sb_adds(&c.show, APT_GET " -y");
	sb_adds(&c.run, "apt-get -y");
	cl_dpkg_options(&c, arg_str(args, "dpkg_options"));
	if (is_upgrade) {
		cl_opt(&c, arg_bool(args, "force") ? "--force-yes" : "");
		cl_opt(&c, arg_bool(args, "fail_on_autoremove") ?
		    "--no-remove" : "");
		cl_opt(&c, arg_bool(args, "allow_unauthenticated") ?
		    "--allow-unauthenticated" : "");
		cl_opt(&c, arg_bool(args, "allow_downgrade") ?
		    "--allow-downgrades" : "");
		cl_opt(&c, ctx->check_mode ? "--simulate" : "");
		word = strcmp(op, "dist") == 0 || strcmp(op, "full") == 0 ?
		    "dist-upgrade" : "upgrade --with-new-pkgs";
		cl_opt(&c, word);
		cl_opt(&c, arg_bool(args, "autoremove") ? "--auto-remove" :
		    "");
	} else {
		cl_opt(&c, arg_bool(args, "purge") ? "--purge" : "");
		cl_opt(&c, arg_bool(args, "force") ? "--force-yes" : "");
		cl_opt(&c, op);
		cl_opt(&c, ctx->check_mode ? "--simulate" : "");
	}
	if (is_upgrade && arg_str(args, "default_release") != NULL) {
		sb_addf(&c.show, " -t '%s'", arg_str(args, "default_release"));
		sb_adds(&c.run, " -t ");
		sh_quote(&c.run, arg_str(args, "default_release"));
	}
	rc = run_apt_get(r, &c, &cr, err);
	if (rc == 0) {
		if (cr.rc != 0) {
			if (is_upgrade)
				res_fail(ctx, r->res, "'apt-get %s' failed: %s",
				    strcmp(op, "dist") == 0 || strcmp(op,
				    "full") == 0 ? "dist-upgrade " :
				    "upgrade --with-new-pkgs ", cr.err.buf);
			else
				res_fail(ctx, r->res, "'apt-get %s' failed: "
				    "%s", op, cr.err.buf);
		} else if (is_upgrade) {
			r->res->changed = strstr(cr.out.buf, APT_GET_ZERO) ==
			    NULL;
			res_set(ctx, r->res, "msg", str_of(ctx->a, &cr.out));
			if (r->res->changed)
				res_set(ctx, r->res, "diff",
				    parse_diff(ctx, &cr.out));
		} else {
			r->res->changed = strstr(cr.out.buf,
			    strcmp(op, "autoremove") == 0 ?
			    "The following packages will be REMOVED" :
			    "Del ") != NULL;
			res_set(ctx, r->res, "diff", parse_diff(ctx, &cr.out));
		}
	}
	conn_result_release(&cr);
	cl_release(&c);
	return rc;
}

/* install_deb() of apt.py. */
static int
do_deb(struct apt_run *r, struct err *err)
{
	struct task_ctx *ctx = r->ctx;
	const struct value *args = r->args;
	struct strbuf cmd = STRBUF_INIT, show = STRBUF_INIT;
	struct conn_result cr;
	const char *opts = arg_str(args, "dpkg_options"), *p, *comma;
	size_t i;
	int rc;

	if (r->deb_pkg == NULL)
		return res_fail(ctx, r->res, "Unable to install package: "
		    "'%s' is not a Debian package", arg_str(args, "deb"));
	if (r->deb_inst_ver != NULL &&
	    apt_version_cmp(r->deb_ver, r->deb_inst_ver) == 0) {
		res_set_str(ctx, r->res, "stdout", "");
		res_set_str(ctx, r->res, "stderr", "");
		res_set_str(ctx, r->res, "diff", "");
		return 0;
	}
	if (val_len(r->deb_missing) > 0) {
		/* the dependencies first, as install() would, one shot */
		sb_adds(&cmd, "apt-get -y");
		for (p = opts;; p = comma + 1) {
			comma = strchr(p, ',');
			sb_adds(&cmd, " -o 'Dpkg::Options::=--");
			sb_add(&cmd, p, comma != NULL ? (size_t)(comma - p) :
			    strlen(p));
			sb_addch(&cmd, '\'');
			if (comma == NULL)
				break;
		}
		if (ctx->check_mode)
			sb_adds(&cmd, " --simulate");
		sb_adds(&cmd, " install");
		for (i = 0; i < r->deb_missing->u.list->n; i++) {
			sb_addch(&cmd, ' ');
			sh_quote(&cmd, r->deb_missing->u.list->items[i]->u.str.s);
		}
		sb_adds(&cmd, lock_opt(r));
		sb_adds(&cmd, " || exit $?; ");
	}
	sb_adds(&show, "dpkg");
	for (p = opts;; p = comma + 1) {
		comma = strchr(p, ',');
		sb_addf(&show, " --%.*s", (int)(comma != NULL ?
		    (size_t)(comma - p) : strlen(p)), p);
		if (comma == NULL)
			break;
	}
	if (ctx->check_mode)
		sb_adds(&show, " --simulate");
	if (arg_bool(args, "force"))
		sb_adds(&show, " --force-all");
	sb_adds(&show, " -i ");
	sb_adds(&show, arg_str(args, "deb"));
	sb_add(&cmd, show.buf, show.len - strlen(arg_str(args, "deb")));
	sh_quote(&cmd, arg_str(args, "deb"));
	rc = run_change(r, cmd.buf, NULL, &cr, err);
	if (rc == 0) {
		set_out(r, &cr);
		if (cr.rc != 0)
			res_fail(ctx, r->res, "%s failed", show.buf);
		else {
			r->res->changed = true;
			res_set(ctx, r->res, "diff", parse_diff(ctx, &cr.out));
		}
	}
	conn_result_release(&cr);
	sb_release(&cmd);
	sb_release(&show);
	return rc;
}

/* The names, with glob patterns replaced by their matches. */
static struct value *
expand_specs(struct apt_run *r)
{
	struct arena *a = r->ctx->a;
	const struct value *l = val_dict_get(r->args, "package");
	struct value *out = val_new_list(a);
	const char *name, *cmp, *ver;
	size_t i, j, np = 0;

	for (i = 0; l != NULL && i < l->u.list->n; i++) {
		const char *spec = l->u.list->items[i]->u.str.s;
		struct value *m;

		if (strcmp(spec, "*") == 0)
			continue;
		split_spec(a, spec, &name, &cmp, &ver);
		if (!has_glob(name)) {
			val_list_push(a, out, val_new_str(a, spec));
			continue;
		}
		m = val_list_get(r->expanded, np++);
		if (m == NULL || val_len(m) == 0) {
			res_fail(r->ctx, r->res, "No package(s) matching '%s' "
			    "available", name);
			return NULL;
		}
		for (j = 0; j < m->u.list->n; j++)
			val_list_push(a, out, m->u.list->items[j]);
	}
	return out;
}

static int
apt_main(struct apt_run *r, struct err *err)
{
	struct task_ctx *ctx = r->ctx;
	const struct value *args = r->args;
	const struct value *l = val_dict_get(args, "package");
	const char *state = arg_str(args, "state");
	const char *upgrade = arg_str(args, "upgrade");
	bool want_update = arg_bool(args, "update_cache") ||
	    arg_int(args, "cache_valid_time") != 0;
	bool all = false, has_pkgs;
	struct value *specs;
	size_t i;

	if (strcmp(upgrade, "no") == 0)
		upgrade = NULL;
	for (i = 0; l != NULL && i < l->u.list->n; i++)
		if (strcmp(l->u.list->items[i]->u.str.s, "*") == 0)
			all = true;
	has_pkgs = l != NULL && val_len(l) > 0;
	if (r->update_failed)
		return res_fail(ctx, r->res, "Failed to update apt cache: "
		    "unknown reason");
	if (want_update) {
		r->updated = r->updated && (ctx->check_mode || r->t0 != r->t1);
		if (!has_pkgs && upgrade == NULL &&
		    arg_str(args, "deb") == NULL) {
			r->res->changed = r->updated;
			set_cache_keys(r);
			return 0;
		}
	} else
		r->updated = false;
	if (upgrade != NULL)
		return do_upgrade_or_cleanup(r, upgrade, err);
	if (arg_str(args, "deb") != NULL) {
		if (strcmp(state, "present") != 0)
			return res_fail(ctx, r->res,
			    "deb only supports state=present");
		return do_deb(r, err);
	}
	specs = expand_specs(r);
	if (specs == NULL)
		return 0;
	if (strcmp(state, "latest") == 0 && all) {
		if (val_len(specs) > 0)
			return res_fail(ctx, r->res, "unable to install "
			    "additional packages when upgrading all installed "
			    "packages");
		return do_upgrade_or_cleanup(r, "yes", err);
	}
	for (i = 0; i < specs->u.list->n; i++) {
		const char *s = specs->u.list->items[i]->u.str.s, *e;

		e = strchr(s, '=');
		if (e != NULL && strchr(e + 1, '=') != NULL)
			return res_fail(ctx, r->res, "invalid package spec: "
			    "%s", s);
	}
	if (val_len(specs) == 0) {
		if (arg_bool(args, "autoclean"))
			return do_upgrade_or_cleanup(r, "autoclean", err);
		if (arg_bool(args, "autoremove"))
			return do_upgrade_or_cleanup(r, "autoremove", err);
	}
	if (strcmp(state, "absent") == 0)
		return do_remove(r, specs, err);
	return do_install(r, specs, err);
}

static int
apt_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct apt_run r = { .ctx = ctx, .args = args, .res = res };
	struct strbuf probe = STRBUF_INIT;
	struct conn_result cr;
	const struct value *l = val_dict_get(args, "package");
	bool has_pkgs = l != NULL && val_len(l) > 0;
	int given = 0, rc;
	size_t i;

	res_init(ctx, res);
	if (arg_str(args, "deb") != NULL)
		given++;
	if (has_pkgs)
		given++;
	if (strcmp(arg_str(args, "upgrade"), "no") != 0)
		given++;
	if (given > 1)
		return res_fail(ctx, res, "parameters are mutually exclusive: "
		    "deb|package|upgrade");
	if (given == 0 && !arg_bool(args, "autoremove") &&
	    val_dict_get(args, "update_cache") == NULL)
		return res_fail(ctx, res, "one of the following is required: "
		    "autoremove, deb, package, update_cache, upgrade");
	r.expanded = val_new_list(ctx->a);
	r.deb_missing = val_new_list(ctx->a);
	for (i = 0; l != NULL && i < l->u.list->n; i++)
		val_list_push(ctx->a, r.expanded, val_new_list(ctx->a));
	if (arg_bool(args, "clean")) {
		rc = run_change(&r, "apt-get clean", NULL, &cr, err);
		if (rc < 0) {
			conn_result_release(&cr);
			return -1;
		}
		if (cr.rc != 0 || cr.err.len > 0) {
			res_set(ctx, res, "stdout", str_of(ctx->a, &cr.out));
			res_set(ctx, res, "rc", val_new_int(ctx->a, cr.rc));
			res_fail(ctx, res, cr.rc != 0 ? "apt-get clean failed" :
			    "apt-get clean failed: %s", cr.err.buf);
			conn_result_release(&cr);
			return 0;
		}
		if (given == 0) {
			res->changed = true;
			res_set(ctx, res, "msg", str_of(ctx->a, &cr.out));
			set_out(&r, &cr);
			conn_result_release(&cr);
			return 0;
		}
		conn_result_release(&cr);
	}
	build_probe(&r, &probe);
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, probe.buf, ctx->become, NULL, 0, &cr, err);
	sb_release(&probe);
	if (rc < 0) {
		conn_result_release(&cr);
		return -1;
	}
	if (cr.rc != 0) {
		sb_rtrim(&cr.err);
		res_fail(ctx, res, arg_str(args, "deb") != NULL ?
		    "Unable to install package: %s" : "%s", cr.err.buf);
		conn_result_release(&cr);
		return 0;
	}
	parse_probe(&r, cr.out.buf);
	conn_result_release(&cr);
	return apt_main(&r, err);
}

const struct module module_apt = {
	.name = "apt",
	.summary = "manage Debian packages with apt-get (Ansible's apt)",
	.args = apt_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = apt_run,
};
