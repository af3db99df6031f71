/*
 * cmd_template.c: muster __template, the template engine's test harness.
 * Each line of standard input is a JSON object
 *   {"template": "...", "vars": {...}, "mode": "ansible"|"text"|"jinja",
 *    "trim_blocks": false}
 * and each answer a JSON line {"ok": result} or {"error": "message"}, so
 * that differential tests can compare muster with Jinja2 and Ansible's
 * Templar over hundreds of cases in one process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "template/template.h"

static struct value *
getvar(void *ctx, const char *name, size_t len)
{
	struct value *vars = ctx;

	return vars != NULL && vars->type == VAL_DICT ?
	    val_dict_getn(vars, name, len) : NULL;
}

static void
answer(struct strbuf *out, struct arena *a, const char *key,
    struct value *v)
{
	struct value *d = val_new_dict(a);

	val_dict_set(a, d, key, v);
	sb_reset(out);
	json_encode(out, d, NULL);
	puts(out->buf);
}

int
cmd_template(int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct strbuf out = STRBUF_INIT;

	(void)argc;
	(void)argv;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		struct arena a = ARENA_INIT;
		struct err err = ERR_INIT;
		struct value *req, *res, *t, *mode, *tb;
		struct tmpl_env env = { getvar, NULL, TMPL_ANSIBLE, "." };
		char buf[ERR_MSG_MAX + 256];
		int rc;

		req = json_parse(&a, "<stdin>", line, (size_t)n, &err);
		if (req == NULL || req->type != VAL_DICT ||
		    (t = val_dict_get(req, "template")) == NULL ||
		    t->type != VAL_STR) {
			answer(&out, &a, "error", val_new_str(&a, req == NULL ?
			    err.msg : "bad request"));
			arena_release(&a);
			continue;
		}
		env.ctx = val_dict_get(req, "vars");
		mode = val_dict_get(req, "mode");
		tb = val_dict_get(req, "trim_blocks");
		if (mode != NULL && val_is_str(mode, "jinja"))
			env.flags = TMPL_JINJA;
		else if (mode != NULL && val_is_str(mode, "text"))
			env.flags = TMPL_TEXT;
		if (tb != NULL && val_truthy(tb))
			env.flags |= TMPL_TRIM_BLOCKS;
		if (env.flags & (TMPL_JINJA | TMPL_TEXT))
			rc = tmpl_render_text(&a, &env, "template", t->u.str.s,
			    t->u.str.len, &res, &err);
		else
			rc = tmpl_value(&a, &env, t, &res, &err);
		if (rc < 0)
			answer(&out, &a, "error", val_new_str(&a,
			    err_format(&err, buf, sizeof(buf))));
		else
			answer(&out, &a, "ok", res);
		fflush(stdout);
		arena_release(&a);
	}
	free(line);
	sb_release(&out);
	return EXIT_OK;
}
