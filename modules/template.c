/*
 * template: render a Jinja2 template on the controller and put the text on
 * the host, as Ansible 2.14's template action does: src is looked up in
 * the playbook's templates/ then beside it, rendered with the host's
 * variables plus Ansible's template_* ones and ansible_managed, with
 * trim_blocks (default on), lstrip_blocks and newline_sequence; the text
 * then goes to the copy module as content (copy.c), which does the rest:
 * dest, mode, owner, group, backup, force, validate, follow, check mode,
 * diff.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "module.h"
#include "template/template.h"
#include "transfer.h"
#include "util.h"

extern const struct module module_copy;

static const struct arg_spec template_args[] = {
	{ .name = "src", .type = ARG_PATH, .flags = ARG_REQUIRED },
	{ .name = "dest", .type = ARG_PATH, .flags = ARG_REQUIRED },
	{ .name = "backup", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "force", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "follow", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "validate", .type = ARG_STR },
	XFER_FILE_ARGS,
	{ .name = "newline_sequence", .type = ARG_STR, .dflt = "\n" },
	{ .name = "trim_blocks", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "lstrip_blocks", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "output_encoding", .type = ARG_STR, .dflt = "utf-8" },
	{ .name = "block_start_string", .type = ARG_STR },
	{ .name = "block_end_string", .type = ARG_STR },
	{ .name = "variable_start_string", .type = ARG_STR },
	{ .name = "variable_end_string", .type = ARG_STR },
	{ .name = "comment_start_string", .type = ARG_STR },
	{ .name = "comment_end_string", .type = ARG_STR },
	{ .name = NULL },
};

/* Options of the rendering only: not handed to copy. */
static const char *const render_only[] = {
	"src", "newline_sequence", "trim_blocks", "lstrip_blocks",
	"output_encoding", "block_start_string", "block_end_string",
	"variable_start_string", "variable_end_string",
	"comment_start_string", "comment_end_string", NULL,
};

/* The delimiters the engine knows: other ones are refused. */
static const struct {
	const char	*arg, *dflt;
} delimiters[] = {
	{ "block_start_string", "{%" }, { "block_end_string", "%}" },
	{ "variable_start_string", "{{" }, { "variable_end_string", "}}" },
	{ "comment_start_string", "{#" }, { "comment_end_string", "#}" },
};

/* The host's variables with Ansible's template_* ones in front. */
struct template_vars {
	const struct tmpl_env	*up;
	struct value		*extra;
};

static struct value *
template_getvar(void *p, const char *name, size_t len)
{
	struct template_vars *tv = p;
	struct value *v = val_dict_getn(tv->extra, name, len);

	if (v != NULL)
		return v;
	if (tv->up == NULL || tv->up->getvar == NULL)
		return NULL;
	return tv->up->getvar(tv->up->ctx, name, len);
}

/* Python's str(datetime.datetime.fromtimestamp(t)). */
static struct value *
py_datetime(struct arena *a, const struct timespec *ts)
{
	struct tm tm;
	char buf[64];
	time_t sec = ts->tv_sec;
	long us = ts->tv_nsec / 1000;

	localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	if (us == 0)
		return val_new_str(a, buf);
	return val_new_strf(a, "%s.%06ld", buf, us);
}

/* generate_ansible_template_vars(). */
static struct value *
template_vars(struct arena *a, const char *path, const char *fullpath,
    const char *dest, const struct stat *st)
{
	struct value *v = val_new_dict(a), *s;
	struct utsname un;
	struct passwd pw, *pwp = NULL;
	struct timespec now;
	char buf[4096];
	size_t i;

	if (uname(&un) == 0)
		val_dict_set(a, v, "template_host", val_new_str(a,
		    un.nodename));
	val_dict_set(a, v, "template_path", val_new_str(a, path));
	val_dict_set(a, v, "template_mtime", py_datetime(a, &st->st_mtim));
	if (getpwuid_r(st->st_uid, &pw, buf, sizeof(buf), &pwp) == 0 &&
	    pwp != NULL)
		val_dict_set(a, v, "template_uid", val_new_str(a,
		    pw.pw_name));
	else
		val_dict_set(a, v, "template_uid", val_new_strf(a, "%lu",
		    (unsigned long)st->st_uid));
	clock_gettime(CLOCK_REALTIME, &now);
	val_dict_set(a, v, "template_run_date", py_datetime(a, &now));
	val_dict_set(a, v, "template_destpath", val_new_str(a, dest));
	val_dict_set(a, v, "template_fullpath", val_new_str(a, fullpath));
	val_dict_set(a, v, "ansible_managed", val_new_str(a,
	    "Ansible managed"));
	/* Plain text: never rendered again. */
	for (i = 0; i < v->u.dict->n; i++) {
		s = v->u.dict->ent[i].val;
		s->flags |= VAL_UNSAFE;
	}
	return v;
}

/* After "{%" or "{{" at i: the end of the tag (past "%}" or "}}"). */
static size_t
tag_end(const char *s, size_t n, size_t i, char kind)
{
	char close = kind == '{' ? '}' : kind;
	int depth = 0;
	char quote = 0;

	for (i += 2; i < n; i++) {
		if (quote != 0) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == quote)
				quote = 0;
			continue;
		}
		if (kind != '#' && (s[i] == '\'' || s[i] == '"'))
			quote = s[i];
		else if (kind != '#' && (s[i] == '(' || s[i] == '[' ||
		    (s[i] == '{' && kind == '{')))
			depth++;
		else if (depth > 0 && (s[i] == ')' || s[i] == ']' ||
		    (s[i] == '}' && kind == '{')))
			depth--;
		else if (depth == 0 && s[i] == close && i + 1 < n &&
		    s[i + 1] == '}')
			return i + 2;
	}
	return n;
}

/* Is the block tag s[0..n) "{% raw %}"? */
static bool
is_raw(const char *s, size_t n)
{
	size_t i = 2;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
		i++;
	if (n - i < 3 || memcmp(s + i, "raw", 3) != 0)
		return false;
	i += 3;
	return i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '-' || s[i] == '+' || s[i] == '%');
}

/* lstrip_blocks: drop the blanks between a line's start and a tag. */
static void
strip_indent(struct strbuf *out)
{
	size_t k = out->len;

	while (k > 0 && (out->buf[k - 1] == ' ' || out->buf[k - 1] == '\t'))
		k--;
	if (k == 0 || out->buf[k - 1] == '\n' || out->buf[k - 1] == '\r')
		sb_setlen(out, k);
}

/*
 * The engine always drops the newline after a block or comment tag
 * (trim_blocks) and never strips a tag's indentation; make the text say
 * what the options ask for: the newline doubled after a tag that must keep
 * it (trim_blocks off, or a "+%}" tag), the blanks before a "{%" or "{#"
 * at a line's start removed (lstrip_blocks, unless "{%+").  Text inside
 * {% raw %} is left alone.
 */
static void
adjust_blocks(struct strbuf *out, const char *s, size_t n, bool trim,
    bool lstrip)
{
	size_t i = 0, e;
	char kind;

	while (i < n) {
		if (s[i] != '{' || i + 1 >= n || (s[i + 1] != '%' &&
		    s[i + 1] != '#' && s[i + 1] != '{')) {
			sb_addch(out, s[i++]);
			continue;
		}
		kind = s[i + 1];
		if (kind != '{' && lstrip && !(i + 2 < n && s[i + 2] == '+'))
			strip_indent(out);
		e = tag_end(s, n, i, kind);
		sb_add(out, s + i, e - i);
		if (kind == '%' && is_raw(s + i, e - i)) {
			/* Copy the raw text; its endraw is a plain tag. */
			for (i = e; i < n; i++) {
				size_t k = i + 2;

				if (s[i] != '{' || k >= n || s[i + 1] != '%')
					continue;
				if (s[k] == '-' || s[k] == '+')
					k++;
				while (k < n && (s[k] == ' ' || s[k] == '\t'))
					k++;
				if (n - k >= 6 && memcmp(s + k, "endraw", 6) ==
				    0)
					break;
			}
			sb_add(out, s + e, i - e);
			continue;
		}
		i = e;
		if (kind == '{' || e < 3 || s[e - 3] == '-')
			continue;
		if (trim && s[e - 3] != '+')
			continue;
		if (i < n && s[i] == '\n')
			sb_addch(out, '\n');
		else if (i + 1 < n && s[i] == '\r' && s[i + 1] == '\n')
			sb_adds(out, "\r\n");
		else if (i < n && s[i] == '\r')
			sb_addch(out, '\r');
	}
}

static bool
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	unsigned long cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4;
			cp = s[i] & 0x07;
		} else
			return false;
		if (i + len > n)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* Jinja2's newline_sequence: every newline of the output becomes seq. */
static struct value *
set_newlines(struct arena *a, const struct value *text, const char *seq)
{
	struct strbuf sb = STRBUF_INIT;
	struct value *v;
	size_t i;

	for (i = 0; i < text->u.str.len; i++) {
		if (text->u.str.s[i] == '\n')
			sb_adds(&sb, seq);
		else
			sb_addch(&sb, text->u.str.s[i]);
	}
	v = val_new_strn(a, sb.buf, sb.len);
	sb_release(&sb);
	return v;
}

static int
render(struct task_ctx *ctx, const struct value *args, const char *path,
    const char *data, size_t len, struct value *vars, struct value **out,
    struct result *res)
{
	struct template_vars tv = { ctx->tmpl, vars };
	struct tmpl_env env = { template_getvar, &tv, TMPL_TEXT, NULL };
	struct strbuf text = STRBUF_INIT;
	struct err e2 = ERR_INIT;
	char buf[ERR_MSG_MAX + 256];
	int rc;

	if (ctx->tmpl != NULL) {
		env.flags |= ctx->tmpl->flags & TMPL_NO_LOOKUPS;
		env.basedir = ctx->tmpl->basedir;
	}
	adjust_blocks(&text, data, len, arg_bool(args, "trim_blocks"),
	    arg_bool(args, "lstrip_blocks"));
	rc = tmpl_render_text(ctx->a, &env, path, text.buf, text.len, out,
	    &e2);
	sb_release(&text);
	if (rc == 0 && (*out)->type == VAL_STR)
		return 0;
	if (rc == 0) {
		res_fail(ctx, res, "AnsibleError: the template did not render "
		    "to text");
		return -1;
	}
	err_format(&e2, buf, sizeof(buf));
	res_fail(ctx, res, "%s: %s", strstr(e2.msg, "is undefined") != NULL ?
	    "AnsibleUndefinedVariable" : "AnsibleError", buf);
	return -1;
}

static int
template_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	struct arena *a = ctx->a;
	const char *src = arg_str(args, "src"), *dest = arg_str(args, "dest");
	const char *nl = arg_str(args, "newline_sequence"), *full;
	struct strbuf searched = STRBUF_INIT;
	struct value *out, *copy_args, *checked;
	struct stat st;
	char *data;
	size_t len, i, k;
	int rc;

	if (strcmp(nl, "\\n") == 0)
		nl = "\n";
	else if (strcmp(nl, "\\r") == 0)
		nl = "\r";
	else if (strcmp(nl, "\\r\\n") == 0)
		nl = "\r\n";
	if (strcmp(nl, "\n") != 0 && strcmp(nl, "\r") != 0 &&
	    strcmp(nl, "\r\n") != 0)
		return res_fail(ctx, res, "newline_sequence needs to be one "
		    "of: \n, \r or \r\n");
	for (i = 0; i < ARRAY_SIZE(delimiters); i++) {
		const char *d = arg_str(args, delimiters[i].arg);

		if (d != NULL && strcmp(d, delimiters[i].dflt) != 0)
			return res_fail(ctx, res, "%s '%s' is not supported: "
			    "muster templates use Jinja2's default delimiters",
			    delimiters[i].arg, d);
	}
	full = xfer_find_needle(ctx, "templates", src, &searched);
	if (full == NULL) {
		xfer_not_found(ctx, res, src, &searched);
		sb_release(&searched);
		return 0;
	}
	sb_release(&searched);
	if (stat(full, &st) < 0 || read_file(full, &data, &len) < 0)
		return res_fail(ctx, res, "could not find src=%s, %s", full,
		    strerror(errno));
	if (!valid_utf8((const unsigned char *)data, len)) {
		free(data);
		return res_fail(ctx, res, "Template source files must be utf-8 "
		    "encoded");
	}
	rc = render(ctx, args, full, data, len, template_vars(a, src, full,
	    dest, &st), &out, res);
	free(data);
	if (rc < 0)
		return 0;
	if (strcmp(nl, "\n") != 0)
		out = set_newlines(a, out, nl);
	/* The rest is copy's, with the text as content. */
	copy_args = val_new_dict(a);
	copy_args->pos = args->pos;
	for (i = 0; i < args->u.dict->n; i++) {
		const struct val_entry *e = &args->u.dict->ent[i];

		for (k = 0; render_only[k] != NULL; k++)
			if (val_is_str(e->key, render_only[k]))
				break;
		if (render_only[k] == NULL)
			val_dict_setv(a, copy_args, e->key, e->val);
	}
	val_dict_set(a, copy_args, "content", out);
	val_dict_set(a, copy_args, "_original_basename", val_new_str(a,
	    strrchr(full, '/') != NULL ? strrchr(full, '/') + 1 : full));
	if (val_is_str(val_dict_get(args, "mode"), "preserve"))
		val_dict_set(a, copy_args, "mode", val_new_strf(a, "0%03o",
		    (unsigned)st.st_mode & 07777));
	checked = mod_check_args(a, &module_copy, copy_args, err);
	if (checked == NULL) {
		char buf[ERR_MSG_MAX + 256];

		return res_fail(ctx, res, "%s", err_format(err, buf,
		    sizeof(buf)));
	}
	return module_copy.run(ctx, checked, res, err);
}

const struct module module_template = {
	.name = "template",
	.summary = "render a Jinja2 template to a file on the host",
	.args = template_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = template_run,
};
