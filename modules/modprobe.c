/*
 * modprobe: load or unload a kernel module and make it persistent, as
 * community.general.modprobe does (that collection is not part of
 * ansible-core): whether a module is loaded comes from /proc/modules, then
 * modules.builtin, read as that module reads them; modprobe gets the
 * params split as shlex.split() splits them; /etc/modules-load.d/NAME.conf
 * lists the module, /etc/modprobe.d/NAME.conf its "options NAME k=v"
 * lines, and persistent=absent comments the matching lines of every file
 * there out.  Files are written through symbolic links, as Python's
 * open(path, 'w') writes (/etc/modules-load.d/modules.conf -> ../modules).
 * One command reads (the module table, the configuration files), one
 * loads or unloads and writes the changed files, atomically each.  Check
 * mode runs `modprobe -n` and writes nothing (Ansible's module writes the
 * persistent files even then).
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
#define MAX_FILES	256

struct conf_file {
	const char	*path;
	struct hc_line	*lines;
	size_t		 nlines;
	const char	*out;		/* new contents, or NULL */
};

struct modprobe {
	struct task_ctx		*ctx;
	const char		*name, *params;
	struct conf_file	 files[MAX_FILES];
	size_t			 nfiles;
};

/* "@f LEN PATH\n" then LEN bytes, to the end of the output. */
static void
parse_files(struct modprobe *m, const char *out)
{
	const char *p = hc_tail(out, "files");

	while (p != NULL && strncmp(p, "@f ", 3) == 0 &&
	    m->nfiles < MAX_FILES) {
		char *end;
		size_t len = strtoul(p + 3, &end, 10);
		const char *nl = strchr(end, '\n');
		struct conf_file *f = &m->files[m->nfiles];

		if (nl == NULL || strlen(nl + 1) < len)
			break;
		f->path = hc_strip(m->ctx, end, (size_t)(nl - end));
		f->nlines = hc_lines(m->ctx, nl + 1, len, &f->lines);
		f->out = NULL;
		m->nfiles++;
		p = nl + 1 + len;
	}
}

static bool
in_dir(const struct conf_file *f, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(f->path, dir, n) == 0 && f->path[n] == '/';
}

/* `^ *NAME *(?:[#;].*)?\n?\Z` on one line (without its end). */
static bool
is_module_line(const struct modprobe *m, const struct hc_line *l)
{
	size_t k = strlen(m->name), i = 0, n = l->len;

	while (i < n && l->s[i] == ' ')
		i++;
	if (n - i < k || memcmp(l->s + i, m->name, k) != 0)
		return false;
	for (i += k; i < n && l->s[i] == ' '; i++)
		;
	return i == n || l->s[i] == '#' || l->s[i] == ';';
}

/* ` *(?:[#;].*)?\Z` at s[i..n) */
static bool
options_tail(const char *s, size_t i, size_t n)
{
	while (i < n && s[i] == ' ')
		i++;
	return i == n || s[i] == '#' || s[i] == ';';
}

/*
 * `^options NAME (\w+=\S+) *(?:[#;].*)?\n?\Z`: the "k=v" (a new string),
 * or NULL.  \S+ is greedy and gives back what ` *[#;]` needs, as Python's
 * backtracking does ("k=1;x y" is "k=1" and the comment ";x y").
 */
static const char *
options_param(const struct modprobe *m, const struct hc_line *line)
{
	const char *l = line->s;
	size_t k = strlen(m->name), n = line->len, i, s, v, e;

	if (n < 9 + k || memcmp(l, "options ", 8) != 0 ||
	    memcmp(l + 8, m->name, k) != 0 || l[8 + k] != ' ')
		return NULL;
	i = s = 9 + k;
	while (i < n && (isalnum((unsigned char)l[i]) || l[i] == '_'))
		i++;
	if (i == s || i >= n || l[i] != '=')
		return NULL;
	v = i + 1;
	for (e = v; e < n && !isspace((unsigned char)l[e]); e++)
		;
	for (; e > v; e--)
		if (options_tail(l, e, n))
			return arena_strndup(m->ctx->a, l + s, e - s);
	return NULL;
}

static bool
persistently_loaded(const struct modprobe *m)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		if (!in_dir(&m->files[i], LOAD_DIR))
			continue;
		for (size_t j = 0; j < m->files[i].nlines; j++)
			if (is_module_line(m, &m->files[i].lines[j]))
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
		if (!in_dir(&m->files[i], OPTS_DIR))
			continue;
		for (size_t j = 0; j < m->files[i].nlines; j++) {
			const char *kv = options_param(m,
			    &m->files[i].lines[j]);

			if (kv != NULL)
				val_dict_set(m->ctx->a, set, kv, &val_true);
		}
	}
	return set;
}

/* set(params.split()) == permanent_params */
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

/* The file at path (one read, or one to be written), added if new. */
static struct conf_file *
file_at(struct modprobe *m, const char *path)
{
	struct conf_file *f;

	for (size_t i = 0; i < m->nfiles; i++)
		if (strcmp(m->files[i].path, path) == 0)
			return &m->files[i];
	if (m->nfiles == MAX_FILES)
		return NULL;
	f = &m->files[m->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = path;
	return f;
}

/*
 * disable_module_permanent()/disable_old_params(): matching lines get a
 * '#'; a changed file is rewritten as '\n'.join(readlines()), which doubles
 * its line ends as Ansible's does.
 */
static void
comment_out(struct modprobe *m, const char *dir, bool module_lines)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		struct conf_file *f = &m->files[i];
		struct strbuf sb = STRBUF_INIT;
		bool changed = false;

		if (!in_dir(f, dir) || f->lines == NULL)
			continue;
		for (size_t j = 0; j < f->nlines; j++) {
			const struct hc_line *l = &f->lines[j];
			bool hit = module_lines ? is_module_line(m, l) :
			    options_param(m, l) != NULL;

			if (j > 0)
				sb_addch(&sb, '\n');
			if (hit) {
				sb_addch(&sb, '#');
				changed = true;
			}
			sb_add(&sb, l->s, l->len);
			if (l->nl)
				sb_addch(&sb, '\n');
		}
		if (changed)
			f->out = arena_strndup(m->ctx->a, sb.buf, sb.len);
		sb_release(&sb);
	}
}

/*
 * shlex.split(s) (POSIX mode, no comments) into words appended to sb as
 * run_command() passes them (hc_arg()); -1 with Python's message in *msg
 * for an unclosed quote.
 */
static int
shlex_split(struct task_ctx *ctx, const char *s, struct strbuf *sb,
    const char **msg)
{
	struct strbuf w = STRBUF_INIT;
	bool in_word = false;
	int rc = 0;

	for (const char *p = s;; p++) {
		char c = *p;

		if (c == '\0' || strchr(" \t\r\n", c) != NULL) {
			if (in_word) {
				sb_addch(sb, ' ');
				hc_arg(sb, w.buf);
				sb_reset(&w);
				in_word = false;
			}
			if (c == '\0')
				break;
			continue;
		}
		in_word = true;
		if (c == '\\') {
			if (p[1] == '\0') {
				*msg = "No escaped character";
				rc = -1;
				break;
			}
			sb_addch(&w, *++p);
		} else if (c == '\'' || c == '"') {
			for (p++; *p != c; p++) {
				if (*p == '\0') {
					*msg = "No closing quotation";
					rc = -1;
					goto out;
				}
				if (c == '"' && *p == '\\' && (p[1] == '"' ||
				    p[1] == '\\'))
					p++;
				sb_addch(&w, *p);
			}
		} else
			sb_addch(&w, c);
	}
out:
	sb_release(&w);
	return rc;
}

/*
 * module_loaded() as a shell function: "@<tag>loaded", "@<tag>notloaded",
 * or "@<tag>oserr PATH MESSAGE" when a file cannot be read.
 */
static const char loaded_fn[] =
	"mod_loaded() {\n"
	"  if ! e=$(cat /proc/modules 2>&1 >/dev/null); then\n"
	"    printf '@%soserr /proc/modules %s\\n' \"$1\" \"$e\"; return; fi\n"
	"  if K=\"$k \" awk 'index($0, ENVIRON[\"K\"]) == 1 { f = 1 } "
	"END { exit !f }' /proc/modules; then echo \"@$1loaded\"; return; fi\n"
	"  b=/lib/modules/$(uname -r)/modules.builtin\n"
	"  if ! e=$(cat -- \"$b\" 2>&1 >/dev/null); then\n"
	"    printf '@%soserr %s %s\\n' \"$1\" \"$b\" \"$e\"; return; fi\n"
	"  if B=\"/$n.ko\" awk 'BEGIN { b = ENVIRON[\"B\"] } "
	"{ sub(/[[:space:]]+$/, \"\") } length($0) >= length(b) && "
	"substr($0, length($0) - length(b) + 1) == b { f = 1 } "
	"END { exit !f }' \"$b\"; then\n"
	"    echo \"@$1loaded\"; else echo \"@$1notloaded\"; fi\n"
	"}\n";

static void
add_head(struct strbuf *sb, const struct modprobe *m)
{
	sb_adds(sb, "mp=$(PATH=\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\" "
	    "command -v modprobe) || { printf '@nobin %s\\n' "
	    "\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\"; exit 0; }\nn=");
	sh_quote(sb, m->name);
	sb_adds(sb, "; k=$(printf '%s' \"$n\" | tr - _)\n");
	sb_adds(sb, loaded_fn);
}

/* The failure of a module_loaded() in out ("@<tag>oserr ..."), or NULL. */
static const char *
loaded_error(struct task_ctx *ctx, const char *out, const char *tag)
{
	const char *rest, *sp;

	if (hc_section(ctx, out, arena_printf(ctx->a, "%soserr", tag),
	    &rest) == NULL)
		return NULL;
	sp = strchr(rest, ' ');
	if (sp == NULL)
		return rest;
	return hc_oserror(ctx, sp + 1, arena_strndup(ctx->a, rest,
	    (size_t)(sp - rest)), false);
}

static void
set_cmd_result(struct task_ctx *ctx, struct result *res, int rc,
    const char *o, const char *e)
{
	struct value *ol = val_new_list(ctx->a), *el = val_new_list(ctx->a);
	struct hc_line *lines;
	size_t n;

	res_fail(ctx, res, "%s", e);
	res_set(ctx, res, "rc", val_new_int(ctx->a, rc));
	res_set_str(ctx, res, "stdout", o);
	res_set_str(ctx, res, "stderr", e);
	/* Ansible's action adds str.splitlines() of both */
	n = hc_lines(ctx, o, strlen(o), &lines);
	for (size_t i = 0; i < n; i++)
		val_list_push(ctx->a, ol, val_new_str(ctx->a, lines[i].s));
	n = hc_lines(ctx, e, strlen(e), &lines);
	for (size_t i = 0; i < n; i++)
		val_list_push(ctx->a, el, val_new_str(ctx->a, lines[i].s));
	res_set(ctx, res, "stdout_lines", ol);
	res_set(ctx, res, "stderr_lines", el);
}

/* persistent present/absent: which files change (f->out); changed? */
static bool
plan_files(struct modprobe *m, const char *persistent)
{
	struct task_ctx *ctx = m->ctx;
	bool loaded = persistently_loaded(m), set = params_set(m);

	if (strcmp(persistent, "present") == 0 && !(loaded && set)) {
		if (!loaded) {
			struct conf_file *f = file_at(m, arena_printf(ctx->a,
			    "%s/%s.conf", LOAD_DIR, m->name));

			if (f != NULL)
				f->out = arena_printf(ctx->a, "%s\n", m->name);
		}
		if (!set) {
			struct strbuf o = STRBUF_INIT;
			char *copy = arena_strdup(ctx->a, m->params), *save;
			struct conf_file *f;

			comment_out(m, OPTS_DIR, false);
			for (char *w = strtok_r(copy, " \t\n\r\f\v", &save);
			    w != NULL; w = strtok_r(NULL, " \t\n\r\f\v", &save))
				sb_addf(&o, "%soptions %s %s", o.len > 0 ?
				    "\n" : "", m->name, w);
			sb_addch(&o, '\n');
			f = file_at(m, arena_printf(ctx->a, "%s/%s.conf",
			    OPTS_DIR, m->name));
			if (f != NULL)
				f->out = arena_strndup(ctx->a, o.buf, o.len);
			sb_release(&o);
		}
		return true;
	}
	if (strcmp(persistent, "absent") == 0 && (loaded ||
	    val_len(permanent_params(m)) > 0)) {
		if (loaded)
			comment_out(m, LOAD_DIR, true);
		if (val_len(permanent_params(m)) > 0)
			comment_out(m, OPTS_DIR, false);
		return true;
	}
	return false;
}

static int
modprobe_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	struct modprobe *m = arena_alloc(ctx->a, sizeof(*m));
	const char *state = arg_str(args, "state");
	const char *persistent = arg_str(args, "persistent"), *src, *msg;
	const char *o, *e, *nodir = NULL;
	bool present = strcmp(state, "present") == 0, act, writes = false;
	bool files = strcmp(persistent, "disabled") != 0;
	struct strbuf sb = STRBUF_INIT, words = STRBUF_INIT;
	struct strbuf in = STRBUF_INIT;
	struct conn_result cr;
	int rc = 0, crc;

	m->ctx = ctx;
	m->name = arg_str(args, "name");
	m->params = arg_str(args, "params");
	conn_result_init(&cr);
	if (shlex_split(ctx, m->params, &words, &msg) < 0) {
		res_fail(ctx, res, "%s", msg);
		hc_fail_only(ctx, res);
		goto out;
	}
	add_head(&sb, m);
	sb_adds(&sb, "mod_loaded\n");
	if (files)
		sb_adds(&sb, "for d in " LOAD_DIR " " OPTS_DIR "; do "
		    "[ -d \"$d\" ] || { [ -e \"$d\" ] && "
		    "echo \"@nodir $d x: Not a directory\" || "
		    "echo \"@nodir $d x: No such file or directory\"; }; done\n"
		    "echo @files\nfor f in " LOAD_DIR "/* " LOAD_DIR "/.[!.]* "
		    LOAD_DIR "/..?* " OPTS_DIR "/* " OPTS_DIR "/.[!.]* "
		    OPTS_DIR "/..?*; do [ -f \"$f\" ] && [ -r \"$f\" ] || "
		    "continue; printf '@f %s %s\\n' \"$(wc -c <\"$f\")\" "
		    "\"$f\"; cat -- \"$f\"; done\n");
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
	if ((msg = loaded_error(ctx, cr.out.buf, "")) != NULL) {
		res_fail(ctx, res, "%s", msg);
		goto result;
	}
	/* os.listdir() of a missing directory: the module dies there */
	if (files && hc_section(ctx, cr.out.buf, "nodir", &src) != NULL) {
		const char *sp = strchr(src, ' ');

		nodir = sp == NULL ? src : hc_oserror(ctx, sp + 1,
		    arena_strndup(ctx->a, src, (size_t)(sp - src)), false);
	}
	act = present != hc_has(cr.out.buf, "loaded");
	parse_files(m, cr.out.buf);

	/* main(): load or unload, then the persistent files */
	sb_adds(&sb, hc_cap_fn);
	add_head(&sb, m);
	if (act && present) {
		sb_addf(&sb, "hc_cap load \"$mp\" %s", ctx->check_mode ?
		    "-n " : "");
		hc_arg(&sb, m->name);
		sb_add(&sb, words.buf, words.len);
		sb_adds(&sb, " || exit 0\n");
		if (!ctx->check_mode) {
			sb_adds(&sb, "r=$(mod_loaded after); printf '%s\\n' "
			    "\"$r\"\ncase $r in @afternotloaded) hc_cap first "
			    "\"$mp\" -n --first-time ");
			hc_arg(&sb, m->name);
			sb_add(&sb, words.buf, words.len);
			sb_adds(&sb, " ;; esac\n");
		}
	} else if (act) {
		sb_adds(&sb, "hc_cap unload \"$mp\" -r ");
		hc_arg(&sb, m->name);
		sb_adds(&sb, ctx->check_mode ? " -n" : "");
		sb_adds(&sb, " || exit 0\n");
	}
	if (files && nodir == NULL && plan_files(m, persistent)) {
		res->changed = true;
		for (size_t i = 0; i < m->nfiles && !ctx->check_mode; i++) {
			const struct conf_file *f = &m->files[i];

			if (f->out == NULL)
				continue;
			writes = true;
			sb_adds(&sb, "rc=0\n");
			hc_put_stdin_part(&sb, f->path, strlen(f->out), 0644,
			    true);
			sb_adds(&sb, "[ $rc = 0 ] || printf '@wfail %s\\n' "
			    "\"$d\"\n");
			sb_adds(&in, f->out);
		}
	}
	if (act || writes) {
		sb_adds(&sb, "echo @done\n");
		conn_result_release(&cr);
		conn_result_init(&cr);
		rc = hc_exec(ctx, sb.buf, in.buf, in.len, &cr, err);
		if (rc < 0)
			goto out;
		if (!hc_has(cr.out.buf, "done") && !hc_has(cr.out.buf,
		    "load") && !hc_has(cr.out.buf, "unload")) {
			res_fail(ctx, res, "modprobe failed on the host: %s",
			    cr.err.buf);
			hc_fail_only(ctx, res);
			goto out;
		}
	}
	if (act && (hc_captured(ctx, cr.out.buf, "load", &crc, &o, &e) ||
	    hc_captured(ctx, cr.out.buf, "unload", &crc, &o, &e))) {
		if (crc != 0) {
			res->changed = false;
			set_cmd_result(ctx, res, crc, o, e);
			goto result;
		}
		if (!present || ctx->check_mode || hc_has(cr.out.buf,
		    "afterloaded"))
			res->changed = true;
		else if ((msg = loaded_error(ctx, cr.out.buf, "after")) !=
		    NULL) {
			res->changed = false;
			res_fail(ctx, res, "%s", msg);
			goto result;
		} else if (hc_captured(ctx, cr.out.buf, "first", &crc, &o,
		    &e) && crc != 0)
			hc_warn(ctx, res, e);
	}
	if (nodir != NULL) {
		res_fail(ctx, res, "%s", nodir);
		hc_fail_only(ctx, res);
		goto out;
	}
	if (hc_section(ctx, cr.out.buf, "wfail", &src) != NULL) {
		res_fail(ctx, res, "cannot write '%s': %s", src, cr.err.buf);
		hc_fail_only(ctx, res);
		goto out;
	}
result:
	res_set_str(ctx, res, "name", m->name);
	res_set_str(ctx, res, "params", m->params);
	res_set_str(ctx, res, "state", state);
out:
	sb_release(&sb);
	sb_release(&words);
	sb_release(&in);
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
