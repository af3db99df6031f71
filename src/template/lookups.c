/*
 * lookups.c: lookup()/query() plugins, run on the controller as Ansible
 * runs them: env, file, template, vars, pipe, first_found, items, list,
 * indexed_items, dict, sequence, lines, fileglob.  Each returns a list;
 * the evaluator joins it for lookup() as Ansible does.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "template.h"

#define A (c->a)

static struct value *
new_list(struct tmpl_call *c)
{
	struct value *l = val_new_list(A);

	l->flags |= VAL_MUTABLE;
	return l;
}

static int
need_str(struct tmpl_call *c, struct value *v, struct err *err)
{
	if (v == NULL || v->type != VAL_STR)
		return err_set(err, NULL, "the %s lookup needs strings, got %s",
		    c->name, v ? val_type_name(v) : "Undefined");
	return 0;
}

/* A relative path against the base directory (and its files/, templates/). */
static char *
find_file(struct tmpl_call *c, const char *name, const char *sub)
{
	struct stat sb;
	const char *base = tmpl_state_basedir(c->st);
	char *p;

	if (name[0] == '/')
		return stat(name, &sb) == 0 ? arena_strdup(A, name) : NULL;
	p = arena_printf(A, "%s/%s/%s", base, sub, name);
	if (stat(p, &sb) == 0)
		return p;
	p = arena_printf(A, "%s/%s", base, name);
	if (stat(p, &sb) == 0)
		return p;
	return NULL;
}

static int
read_whole(struct tmpl_call *c, const char *path, struct strbuf *sb,
    struct err *err)
{
	FILE *f = fopen(path, "rb");
	char buf[8192];
	size_t n;

	if (f == NULL)
		return err_set(err, NULL, "could not read '%s': %s", path,
		    strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(sb, buf, n);
	fclose(f);
	return 0;
}

static int
l_env(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *r = new_list(c), *dv = tmpl_arg(c, SIZE_MAX, "default");

	for (size_t i = 0; i < c->nargs; i++) {
		const char *v;

		if (need_str(c, c->args[i], err) < 0)
			return -1;
		v = getenv(c->args[i]->u.str.s);
		val_list_push(A, r, v != NULL ? val_new_str(A, v) : dv != NULL ?
		    dv : val_new_str(A, ""));
	}
	*out = r;
	return 0;
}

static int
l_file(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *r = new_list(c);
	struct value *rs = tmpl_arg(c, SIZE_MAX, "rstrip");
	struct value *ls = tmpl_arg(c, SIZE_MAX, "lstrip");
	bool lines = strcmp(c->name, "lines") == 0;

	for (size_t i = 0; i < c->nargs; i++) {
		struct strbuf sb = STRBUF_INIT;
		char *path;

		if (need_str(c, c->args[i], err) < 0)
			return -1;
		if (lines) {
			/* lines: a command's output, one result a line */
			FILE *p = popen(c->args[i]->u.str.s, "r");
			char buf[8192];
			size_t n;

			if (p == NULL)
				return err_set(err, NULL, "lines: could not run "
				    "'%s'", c->args[i]->u.str.s);
			while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
				sb_add(&sb, buf, n);
			int st = pclose(p);
			if (st != 0) {
				sb_release(&sb);
				return err_set(err, NULL, "lookup_plugin.lines(%s) "
				    "returned %d", c->args[i]->u.str.s,
				    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			}
			for (size_t b = 0; b < sb.len;) {
				char *nl = memchr(sb.buf + b, '\n', sb.len - b);
				size_t e = nl ? (size_t)(nl - sb.buf) : sb.len;

				val_list_push(A, r, val_new_strn(A, sb.buf + b,
				    e - b));
				b = e + 1;
			}
			sb_release(&sb);
			continue;
		}
		path = find_file(c, c->args[i]->u.str.s, "files");
		if (path == NULL)
			return err_set(err, NULL, "could not locate file in "
			    "lookup: %s", c->args[i]->u.str.s);
		if (read_whole(c, path, &sb, err) < 0)
			return -1;
		size_t b = 0, e = sb.len;
		if (rs == NULL || val_truthy(rs))
			while (e > 0 && strchr(" \t\n\r\f\v", sb.buf[e - 1]))
				e--;
		if (ls != NULL && val_truthy(ls))
			while (b < e && strchr(" \t\n\r\f\v", sb.buf[b]))
				b++;
		val_list_push(A, r, val_new_strn(A, sb.buf + b, e - b));
		sb_release(&sb);
	}
	*out = r;
	return 0;
}

static int
l_template(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *r = new_list(c);

	for (size_t i = 0; i < c->nargs; i++) {
		struct strbuf sb = STRBUF_INIT;
		struct value *v;
		char *path;

		if (need_str(c, c->args[i], err) < 0)
			return -1;
		path = find_file(c, c->args[i]->u.str.s, "templates");
		if (path == NULL)
			return err_set(err, NULL, "the template file %s could "
			    "not be found for the lookup", c->args[i]->u.str.s);
		if (read_whole(c, path, &sb, err) < 0)
			return -1;
		int rc = tmpl_state_render(c->st, path, sb.buf, sb.len, &v, err);
		sb_release(&sb);
		if (rc < 0)
			return -1;
		val_list_push(A, r, v);
	}
	*out = r;
	return 0;
}

static int
l_vars(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *r = new_list(c), *dv = tmpl_arg(c, SIZE_MAX, "default");

	for (size_t i = 0; i < c->nargs; i++) {
		struct value *v;

		if (need_str(c, c->args[i], err) < 0)
			return -1;
		v = tmpl_lookup_var(c->st, c->args[i]->u.str.s, err);
		if (v == NULL && err->set)
			return -1;
		if (v == NULL && dv == NULL)
			return err_set(err, NULL, "No variable found with this "
			    "name: %s", c->args[i]->u.str.s);
		val_list_push(A, r, v != NULL ? v : dv);
	}
	*out = r;
	return 0;
}

static int
l_pipe(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *r = new_list(c);

	for (size_t i = 0; i < c->nargs; i++) {
		struct strbuf sb = STRBUF_INIT;
		char buf[8192];
		size_t n;
		FILE *p;

		if (need_str(c, c->args[i], err) < 0)
			return -1;
		if ((p = popen(c->args[i]->u.str.s, "r")) == NULL)
			return err_set(err, NULL, "pipe: could not run '%s'",
			    c->args[i]->u.str.s);
		while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
			sb_add(&sb, buf, n);
		int st = pclose(p);
		if (st != 0) {
			sb_release(&sb);
			return err_set(err, NULL, "lookup_plugin.pipe(%s) "
			    "returned %d", c->args[i]->u.str.s,
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		}
		while (sb.len > 0 && strchr(" \t\n\r\f\v", sb.buf[sb.len - 1]))
			sb.len--;
		val_list_push(A, r, val_new_strn(A, sb.buf, sb.len));
		sb_release(&sb);
	}
	*out = r;
	return 0;
}

/* first_found's "a.conf,b.conf" and "a;b" strings. */
static struct value *
py_split_commas(struct tmpl_call *c, struct value *s)
{
	struct value *r = val_new_list(A);
	const char *p = s->u.str.s;

	while (*p != '\0') {
		size_t n = strcspn(p, ",;");
		size_t b = 0, e = n;

		while (b < e && (p[b] == ' ' || p[b] == '\t'))
			b++;
		while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t'))
			e--;
		if (e > b)
			val_list_push(A, r, val_new_strn(A, p + b, e - b));
		p += n;
		if (*p != '\0')
			p++;
	}
	return r;
}

static int
add_candidates(struct tmpl_call *c, struct value *names, struct value *t,
    struct value *paths)
{
	if (t->type == VAL_LIST) {
		for (size_t i = 0; i < t->u.list->n; i++)
			add_candidates(c, names, t->u.list->items[i], paths);
		return 0;
	}
	if (t->type == VAL_DICT) {
		struct value *f = val_dict_get(t, "files");
		struct value *p = val_dict_get(t, "paths");

		if (f == NULL)
			return 0;
		if (f->type == VAL_STR)
			f = py_split_commas(c, f);
		if (p != NULL && p->type == VAL_STR)
			p = py_split_commas(c, p);
		return add_candidates(c, names, f, p);
	}
	if (t->type != VAL_STR)
		return 0;
	if (paths != NULL && paths->type == VAL_LIST && t->u.str.s[0] != '/')
		for (size_t i = 0; i < paths->u.list->n; i++)
			val_list_push(A, names, val_new_strf(A, "%s/%s",
			    paths->u.list->items[i]->u.str.s, t->u.str.s));
	else
		val_list_push(A, names, t);
	return 0;
}

static int
l_first_found(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *names = val_new_list(A), *r = new_list(c);
	struct value *skip = tmpl_arg(c, SIZE_MAX, "skip");
	struct value *files = tmpl_arg(c, SIZE_MAX, "files");
	struct value *paths = tmpl_arg(c, SIZE_MAX, "paths");

	for (size_t i = 0; i < c->nargs; i++)
		add_candidates(c, names, c->args[i], paths);
	if (files != NULL)
		add_candidates(c, names, files->type == VAL_STR ?
		    py_split_commas(c, files) : files, paths != NULL &&
		    paths->type == VAL_STR ? py_split_commas(c, paths) : paths);
	for (size_t i = 0; i < names->u.list->n; i++) {
		char *p = find_file(c, names->u.list->items[i]->u.str.s, "files");

		if (p != NULL) {
			char *real = realpath(p, NULL);

			val_list_push(A, r, val_new_str(A, real ? real : p));
			free(real);
			*out = r;
			return 0;
		}
	}
	if (skip != NULL && val_truthy(skip)) {
		*out = r;
		return 0;
	}
	return err_set(err, NULL, "No file was found when using first_found.");
}

static int
l_items(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *r = new_list(c);
	bool flat = strcmp(c->name, "list") != 0;

	(void)err;
	for (size_t i = 0; i < c->nargs; i++) {
		struct value *t = c->args[i];

		if (flat && t->type == VAL_LIST)
			for (size_t k = 0; k < t->u.list->n; k++)
				val_list_push(A, r, t->u.list->items[k]);
		else
			val_list_push(A, r, t);
	}
	*out = r;
	return 0;
}

static int
l_indexed(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *r = new_list(c), *items;

	if (l_items(c, &items, err) < 0)
		return -1;
	for (size_t i = 0; i < items->u.list->n; i++) {
		struct value *t = val_new_list(A);

		t->flags |= VAL_TUPLE;
		val_list_push(A, t, val_new_int(A, (int64_t)i));
		val_list_push(A, t, items->u.list->items[i]);
		val_list_push(A, r, t);
	}
	*out = r;
	return 0;
}

static int
l_dict(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *r = new_list(c);

	for (size_t i = 0; i < c->nargs; i++) {
		struct value *d = c->args[i];

		if (d->type != VAL_DICT)
			return err_set(err, NULL, "with_dict expects a dict");
		for (size_t k = 0; k < d->u.dict->n; k++) {
			struct value *e = val_new_dict(A);

			val_dict_set(A, e, "key", d->u.dict->ent[k].key);
			val_dict_set(A, e, "value", d->u.dict->ent[k].val);
			val_list_push(A, r, e);
		}
	}
	*out = r;
	return 0;
}

/* sequence: "start=1 end=10 stride=2 format=node%02d" or "4-8/2:host%d" */
static int
l_sequence(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *r = new_list(c);

	for (size_t i = 0; i <= c->nargs; i++) {
		long long start = 1, end = 0, stride = 1, count = -1;
		const char *fmt = "%d";
		char fbuf[256];
		bool have_end = false;

		if (i == c->nargs) {
			if (c->nkw == 0)
				break;
		} else if (need_str(c, c->args[i], err) < 0)
			return -1;
		char *spec = i < c->nargs ? arena_strdup(A, c->args[i]->u.str.s) :
		    arena_strdup(A, "");
		for (size_t k = 0; k < c->nkw && i == c->nargs; k++) {
			struct value *v = c->kwargs[k];
			long long n = v && v->type == VAL_INT ? v->u.i :
			    v && v->type == VAL_STR ? strtoll(v->u.str.s, NULL, 0) : 0;

			if (!strcmp(c->kwnames[k], "start")) start = n;
			else if (!strcmp(c->kwnames[k], "end")) { end = n; have_end = true; }
			else if (!strcmp(c->kwnames[k], "stride")) stride = n;
			else if (!strcmp(c->kwnames[k], "count")) count = n;
			else if (!strcmp(c->kwnames[k], "format") && v &&
			    v->type == VAL_STR) fmt = v->u.str.s;
		}
		if (strchr(spec, '=') != NULL) {
			char *save = NULL;

			for (char *tok = strtok_r(spec, " ", &save); tok;
			    tok = strtok_r(NULL, " ", &save)) {
				char *eq = strchr(tok, '=');

				if (eq == NULL)
					return err_set(err, NULL, "can't parse "
					    "arg %s", tok);
				*eq++ = '\0';
				if (!strcmp(tok, "start")) start = strtoll(eq, NULL, 0);
				else if (!strcmp(tok, "end")) { end = strtoll(eq, NULL, 0); have_end = true; }
				else if (!strcmp(tok, "stride")) stride = strtoll(eq, NULL, 0);
				else if (!strcmp(tok, "count")) count = strtoll(eq, NULL, 0);
				else if (!strcmp(tok, "format")) fmt = eq;
				else
					return err_set(err, NULL, "unrecognized "
					    "arguments to with_sequence: %s", tok);
			}
		} else if (spec[0] != '\0') {
			char *p = spec, *colon = strchr(spec, ':');

			if (colon != NULL) {
				*colon = '\0';
				fmt = colon + 1;
			}
			char *dash = strchr(p + (*p == '-'), '-');
			char *slash = strchr(p, '/');
			if (slash != NULL) {
				*slash = '\0';
				stride = strtoll(slash + 1, NULL, 0);
			}
			if (dash != NULL) {
				*dash = '\0';
				start = strtoll(p, NULL, 0);
				end = strtoll(dash + 1, NULL, 0);
			} else
				end = strtoll(p, NULL, 0);
			have_end = true;
		}
		if (count >= 0) {
			if (have_end)
				return err_set(err, NULL, "can't specify both "
				    "count and end in with_sequence");
			end = start + count * stride - 1;
			if (count == 0)
				continue;
		}
		if (stride == 0)
			continue;
		if ((stride > 0 && end < start) || (stride < 0 && end > start))
			return err_set(err, NULL, "to count backwards make stride "
			    "negative");
		/* Only one %d/%x-style conversion (Python's % formatting). */
		for (long long v = start; stride > 0 ? v <= end : v >= end;
		    v += stride) {
			const char *pct = strchr(fmt, '%');

			if (pct == NULL || strchr(pct + 1, '%') != NULL ||
			    strlen(fmt) > 200)
				return err_set(err, NULL, "bad formatting string: "
				    "%s", fmt);
			size_t spn = strspn(pct + 1, "-+ #0123456789.");
			char conv = pct[1 + spn];
			if (strchr("diouxXc", conv) == NULL || conv == '\0')
				return err_set(err, NULL, "bad formatting string: "
				    "%s", fmt);
			char f2[256];
			snprintf(f2, sizeof(f2), "%.*sll%s", (int)(pct + 1 + spn -
			    fmt), fmt, pct + 1 + spn);
			if (conv == 'i' || conv == 'u')
				f2[pct + 1 + spn - fmt + 2] = 'd';
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(fbuf, sizeof(fbuf), f2, v);
#pragma GCC diagnostic pop
			val_list_push(A, r, val_new_str(A, fbuf));
			if (r->u.list->n > 100000)
				return err_set(err, NULL, "sequence too long");
		}
	}
	*out = r;
	return 0;
}

static int
l_fileglob(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct value *r = new_list(c);

	for (size_t i = 0; i < c->nargs; i++) {
		glob_t g;
		const char *pat;

		if (need_str(c, c->args[i], err) < 0)
			return -1;
		/* Ansible: the term's directory looked up in files/, then as
		   is, under the base directory; the first that exists. */
		const char *term = c->args[i]->u.str.s, *slash;
		const char *base = tmpl_state_basedir(c->st);
		struct stat dsb;

		pat = term;
		if (term[0] != '/') {
			slash = strrchr(term, '/');
			const char *dn = slash ? arena_strndup(A, term,
			    (size_t)(slash - term)) : "";
			const char *bn = slash ? slash + 1 : term;
			const char *d1 = arena_printf(A, "%s/files%s%s", base,
			    *dn ? "/" : "", dn);
			const char *d2 = *dn ? arena_printf(A, "%s/%s", base, dn) :
			    base;

			pat = arena_printf(A, "%s/%s", stat(d1, &dsb) == 0 &&
			    S_ISDIR(dsb.st_mode) ? d1 : d2, bn);
		}
		if (glob(pat, 0, NULL, &g) == 0) {
			for (size_t k = 0; k < g.gl_pathc; k++) {
				struct stat sb;

				if (stat(g.gl_pathv[k], &sb) == 0 &&
				    S_ISREG(sb.st_mode))
					val_list_push(A, r, val_new_str(A,
					    g.gl_pathv[k]));
			}
			globfree(&g);
		}
	}
	*out = r;
	return 0;
}

const struct tmpl_lookup tmpl_lookups[] = {
	{ "dict", l_dict, 0 },
	{ "env", l_env, 0 },
	{ "file", l_file, 0 },
	{ "fileglob", l_fileglob, 0 },
	{ "first_found", l_first_found, 0 },
	{ "indexed_items", l_indexed, 0 },
	{ "items", l_items, 0 },
	{ "lines", l_file, 0 },
	{ "list", l_items, 0 },
	{ "pipe", l_pipe, 0 },
	{ "sequence", l_sequence, 0 },
	{ "template", l_template, 0 },
	{ "vars", l_vars, 0 },
	{ NULL, NULL, 0 },
};
