/*
 * modprobe: load or unload a kernel module and make it persistent, as
 * community.general.modprobe does (that collection is not part of
 * ansible-core): /etc/modules-load.d/NAME.conf lists the module,
 * /etc/modprobe.d/NAME.conf its "options NAME k=v" lines; persistent=absent
 * comments both out.  Whether a module is loaded comes from lsmod (Ansible
 * reads /proc/modules, which lsmod prints; the lab's lsmod stand-in adds
 * what its modprobe "loaded") and modules.builtin.  One command reads
 * (lsmod, the configuration files), one loads or unloads; changed
 * configuration files are written back atomically.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "hostcmd.h"

static const char *const state_choices[] = { "absent", "present", NULL };
static const char *const persist_choices[] = { "disabled", "present",
	"absent", NULL };

static const struct arg_spec modprobe_args[] = {
	{ .name = "name", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "state", .type = ARG_STR, .dflt = "present",
	  .choices = state_choices },
	{ .name = "params", .type = ARG_STR, .dflt = "" },
	{ .name = "persistent", .type = ARG_STR, .dflt = "disabled",
	  .choices = persist_choices },
	{ .name = NULL },
};

#define LOAD_DIR	"/etc/modules-load.d"
#define OPTS_DIR	"/etc/modprobe.d"

struct conf_file {
	const char	*path;
	const char	*text;
	size_t		 len;
};

struct modprobe {
	struct task_ctx		*ctx;
	const char		*name, *params;
	struct conf_file	 files[128];
	size_t			 nfiles;
};

/* "@f LEN PATH\n" then LEN bytes, to the end of the output. */
static void
parse_files(struct modprobe *m, const char *out)
{
	const char *p = hc_tail(out, "files");

	while (p != NULL && strncmp(p, "@f ", 3) == 0 &&
	    m->nfiles < sizeof(m->files) / sizeof(m->files[0])) {
		char *end;
		size_t len = strtoul(p + 3, &end, 10);
		const char *nl = strchr(end, '\n');
		struct conf_file *f = &m->files[m->nfiles++];

		if (nl == NULL || strlen(nl + 1) < len) {
			m->nfiles--;
			break;
		}
		f->path = hc_strip(m->ctx, end, (size_t)(nl - end));
		f->text = arena_strndup(m->ctx->a, nl + 1, len);
		f->len = len;
		p = nl + 1 + len;
	}
}

static bool
in_dir(const struct conf_file *f, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(f->path, dir, n) == 0 && f->path[n] == '/';
}

/* `^ *NAME *(?:[#;].*)?\n?\Z` on one line (without its newline). */
static bool
is_module_line(const struct modprobe *m, const char *l, size_t n)
{
	size_t k = strlen(m->name), i = 0;

	while (i < n && l[i] == ' ')
		i++;
	if (n - i < k || memcmp(l + i, m->name, k) != 0)
		return false;
	for (i += k; i < n && l[i] == ' '; i++)
		;
	return i == n || l[i] == '#' || l[i] == ';';
}

/*
 * `^options NAME (\w+=\S+) *(?:[#;].*)?\n?\Z`: the "k=v" (a new string),
 * or NULL.
 */
static const char *
options_param(const struct modprobe *m, const char *l, size_t n)
{
	size_t k = strlen(m->name), i, s, e;

	if (n < 9 + k || memcmp(l, "options ", 8) != 0 ||
	    memcmp(l + 8, m->name, k) != 0 || l[8 + k] != ' ')
		return NULL;
	i = s = 9 + k;
	while (i < n && (isalnum((unsigned char)l[i]) || l[i] == '_'))
		i++;
	if (i == s || i >= n || l[i] != '=')
		return NULL;
	for (e = ++i; e < n && !isspace((unsigned char)l[e]); e++)
		;
	if (e == i)
		return NULL;
	for (i = e; i < n && l[i] == ' '; i++)
		;
	if (i < n && l[i] != '#' && l[i] != ';')
		return NULL;
	return arena_strndup(m->ctx->a, l + s, e - s);
}

/*
 * Python's `for line in file`: the next line at *pos, its length without
 * and with its newline; false at the end.
 */
static bool
next_line(const struct conf_file *f, size_t *pos, const char **l, size_t *n,
    size_t *full)
{
	const char *nl;

	if (*pos >= f->len)
		return false;
	*l = f->text + *pos;
	nl = memchr(*l, '\n', f->len - *pos);
	*n = nl != NULL ? (size_t)(nl - *l) : f->len - *pos;
	*full = nl != NULL ? *n + 1 : *n;
	*pos += *full;
	return true;
}

static bool
persistently_loaded(const struct modprobe *m)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		const char *l;
		size_t pos = 0, n, full;

		if (!in_dir(&m->files[i], LOAD_DIR))
			continue;
		while (next_line(&m->files[i], &pos, &l, &n, &full))
			if (is_module_line(m, l, n))
				return true;
	}
	return false;
}

/* permanent_params: the set of "k=v" in modprobe.d, as a dict. */
static struct value *
permanent_params(const struct modprobe *m)
{
	struct value *set = val_new_dict(m->ctx->a);

	for (size_t i = 0; i < m->nfiles; i++) {
		const char *l;
		size_t pos = 0, n, full;

		if (!in_dir(&m->files[i], OPTS_DIR))
			continue;
		while (next_line(&m->files[i], &pos, &l, &n, &full)) {
			const char *kv = options_param(m, l, n);

			if (kv != NULL)
				val_dict_set(m->ctx->a, set, kv, &val_true);
		}
	}
	return set;
}

static bool
params_set(const struct modprobe *m)
{
	struct value *want = val_new_dict(m->ctx->a);
	struct value *have = permanent_params(m);
	char *copy = arena_strdup(m->ctx->a, m->params), *save = NULL;

	for (char *w = strtok_r(copy, " \t\n\r\f\v", &save); w != NULL;
	    w = strtok_r(NULL, " \t\n\r\f\v", &save))
		val_dict_set(m->ctx->a, want, w, &val_true);
	if (val_len(want) != val_len(have))
		return false;
	for (size_t i = 0; i < want->u.dict->n; i++)
		if (val_dict_getv(have, want->u.dict->ent[i].key) == NULL)
			return false;
	return true;
}

/*
 * disable_module_permanent()/disable_old_params(): matching lines get a
 * '#'; a changed file is rewritten as '\n'.join(readlines()), which doubles
 * its line ends as Ansible's does.
 */
static int
comment_out(struct modprobe *m, const char *dir, bool module_lines,
    struct err *err)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		struct conf_file *f = &m->files[i];
		struct strbuf sb = STRBUF_INIT;
		bool changed = false, first = true;
		const char *l;
		size_t pos = 0, n, full;

		if (!in_dir(f, dir))
			continue;
		while (next_line(f, &pos, &l, &n, &full)) {
			bool hit = module_lines ? is_module_line(m, l, n) :
			    options_param(m, l, n) != NULL;

			if (!first)
				sb_addch(&sb, '\n');
			first = false;
			if (hit) {
				sb_addch(&sb, '#');
				changed = true;
			}
			sb_add(&sb, l, full);
		}
		if (changed && conn_put(m->ctx->conn, f->path, sb.buf, sb.len,
		    -1, m->ctx->become, err) < 0) {
			sb_release(&sb);
			return -1;
		}
		sb_release(&sb);
	}
	return 0;
}

static int
put_conf(struct modprobe *m, const char *dir, const char *text,
    struct err *err)
{
	const char *path = arena_printf(m->ctx->a, "%s/%s.conf", dir, m->name);
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result cr;
	int rc;

	/* os.makedirs() of a missing directory */
	sb_adds(&cmd, "mkdir -p -- ");
	sh_quote(&cmd, dir);
	conn_result_init(&cr);
	rc = conn_exec(m->ctx->conn, cmd.buf, m->ctx->become, NULL, 0, &cr,
	    err);
	conn_result_release(&cr);
	sb_release(&cmd);
	if (rc < 0)
		return -1;
	return conn_put(m->ctx->conn, path, text, strlen(text), -1,
	    m->ctx->become, err);
}

static void
add_modprobe(struct strbuf *sb, const struct modprobe *m, const char *opts)
{
	sb_addf(sb, "\"$mp\" %s", opts);
	sh_quote(sb, m->name);
	/* shlex.split(params): the host's shell splits the same way */
	if (*m->params != '\0') {
		sb_addch(sb, ' ');
		sb_adds(sb, m->params);
	}
}

static const char read_head[] =
	"mp=$(PATH=\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\" command -v "
	"modprobe) || { printf '@nobin %s\\n' "
	"\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\"; exit 0; }\n"
	"loaded() { PATH=\"$PATH:/sbin:/usr/sbin\" lsmod 2>/dev/null | "
	"awk -v m=\"$k\" '$1 == m { f = 1 } END { exit !f }' && return 0; "
	"grep -q \"/$n\\.ko\\$\" \"/lib/modules/$(uname -r)/modules.builtin\" "
	"2>/dev/null; }\n";

static int
modprobe_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	struct modprobe *m = arena_alloc(ctx->a, sizeof(*m));
	const char *state = arg_str(args, "state");
	const char *persistent = arg_str(args, "persistent"), *text, *src;
	bool present = strcmp(state, "present") == 0, loaded;
	struct strbuf sb = STRBUF_INIT;
	struct conn_result cr;
	int rc;

	memset(m, 0, sizeof(*m));
	m->ctx = ctx;
	m->name = arg_str(args, "name");
	m->params = arg_str(args, "params");
	sb_adds(&sb, read_head);
	sb_adds(&sb, "n=");
	sh_quote(&sb, m->name);
	sb_adds(&sb, "; k=$(printf '%s' \"$n\" | tr - _)\n"
	    "loaded && echo @loaded\necho @files\n"
	    "for f in " LOAD_DIR "/* " OPTS_DIR "/*; do [ -f \"$f\" ] && "
	    "[ -r \"$f\" ] || continue; printf '@f %s %s\\n' "
	    "\"$(wc -c <\"$f\")\" \"$f\"; cat -- \"$f\"; done\n");
	conn_result_init(&cr);
	rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
	sb_reset(&sb);
	if (rc < 0)
		goto out;
	if (hc_section(ctx, cr.out.buf, "nobin", &src) != NULL) {
		res_fail(ctx, res, "Failed to find required executable "
		    "\"modprobe\" in paths: %s", src);
		hc_fail_only(ctx, res);
		goto out;
	}
	loaded = hc_has(cr.out.buf, "loaded");
	parse_files(m, cr.out.buf);
	if (present != loaded) {
		sb_adds(&sb, read_head);
		sb_adds(&sb, "n=");
		sh_quote(&sb, m->name);
		sb_adds(&sb, "; k=$(printf '%s' \"$n\" | tr - _)\n");
		if (present) {
			add_modprobe(&sb, m, ctx->check_mode ? "-n " : "");
			sb_adds(&sb, " 2>&1 || { echo \"@fail $?\"; exit 0; }\n");
			if (!ctx->check_mode) {
				sb_adds(&sb, "loaded && echo @loaded || { "
				    "echo @warn; ");
				add_modprobe(&sb, m, "-n --first-time ");
				sb_adds(&sb, " 2>&1 >/dev/null; }\n");
			}
		} else {
			sb_adds(&sb, "\"$mp\" -r ");
			sh_quote(&sb, m->name);
			sb_adds(&sb, ctx->check_mode ? " -n" : "");
			sb_adds(&sb, " 2>&1 || { echo \"@fail $?\"; exit 0; }\n");
		}
		conn_result_release(&cr);
		conn_result_init(&cr);
		rc = hc_exec(ctx, sb.buf, NULL, 0, &cr, err);
		if (rc < 0)
			goto out;
		if ((text = hc_section(ctx, cr.out.buf, "fail", &src)) !=
		    NULL) {
			const char *o = cr.out.buf;
			size_t n = strstr(o, "@fail") - o;

			res_fail(ctx, res, "%.*s", (int)n, o);
			res_set(ctx, res, "rc", val_new_int(ctx->a, atoi(src)));
			res_set(ctx, res, "stdout", val_new_str(ctx->a, ""));
			res_set(ctx, res, "stderr", val_new_strn(ctx->a, o, n));
			goto result;
		}
		if (!present || ctx->check_mode || hc_has(cr.out.buf, "loaded"))
			res->changed = true;
		else if ((text = hc_section(ctx, cr.out.buf, "warn", NULL)) !=
		    NULL && *text != '\0')
			hc_warn(ctx, res, text);
	}
	if (strcmp(persistent, "present") == 0 && !(persistently_loaded(m) &&
	    params_set(m))) {
		if (!persistently_loaded(m)) {
			res->changed = true;
			if (!ctx->check_mode && put_conf(m, LOAD_DIR,
			    arena_printf(ctx->a, "%s\n", m->name), err) < 0)
				goto dead;
		}
		if (!params_set(m)) {
			struct strbuf o = STRBUF_INIT;
			char *copy = arena_strdup(ctx->a, m->params), *save;

			res->changed = true;
			for (char *w = strtok_r(copy, " \t\n\r\f\v", &save);
			    w != NULL; w = strtok_r(NULL, " \t\n\r\f\v", &save))
				sb_addf(&o, "%soptions %s %s", o.len > 0 ?
				    "\n" : "", m->name, w);
			sb_addch(&o, '\n');
			if (!ctx->check_mode && (comment_out(m, OPTS_DIR,
			    false, err) < 0 || put_conf(m, OPTS_DIR, o.buf,
			    err) < 0)) {
				sb_release(&o);
				goto dead;
			}
			sb_release(&o);
		}
	} else if (strcmp(persistent, "absent") == 0 &&
	    (persistently_loaded(m) || val_len(permanent_params(m)) > 0)) {
		res->changed = true;
		if (!ctx->check_mode && (comment_out(m, LOAD_DIR, true,
		    err) < 0 || comment_out(m, OPTS_DIR, false, err) < 0))
			goto dead;
	}
result:
	res_set(ctx, res, "name", val_new_str(ctx->a, m->name));
	res_set(ctx, res, "params", val_new_str(ctx->a, m->params));
	res_set(ctx, res, "state", val_new_str(ctx->a, state));
	goto out;
dead:
	rc = -1;
out:
	sb_release(&sb);
	conn_result_release(&cr);
	return rc;
}

const struct module module_modprobe = {
	.name = "modprobe",
	.summary = "load or unload a kernel module, persistently or not",
	.args = modprobe_args,
	.flags = MODULE_CHECK_MODE,
	.run = modprobe_run,
};
