/*
 * cmd_template.c: muster __template, the template engine's test harness.
 * Each line of standard input is a JSON object
 *   {"template": "...", "vars": {...}, "mode": "ansible"|"text"|"jinja",
 *    "trim_blocks": false}
 * and each answer a JSON line {"ok": result} or {"error": "message"}, so
 * that differential tests can compare muster with Jinja2 and Ansible's
 * Templar over hundreds of cases in one process.
 *
 * muster __template --bench TEMPLATE VARS.json N OUT renders a template
 * file N times as the template module does and prints the seconds and the
 * arena bytes one render takes (bench/template.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	return sb_detach(&sb, len);
}

static int
bench(char **argv)
{
	struct arena va = ARENA_INIT;
	struct err err = ERR_INIT;
	size_t tl, vl;
	char *text = slurp(argv[0], &tl), *vtext = slurp(argv[1], &vl);
	long n = strtol(argv[2], NULL, 10);
	struct value *vars, *out = NULL;
	struct tmpl_env env = { getvar, NULL, TMPL_TEXT, "." };
	struct timespec t0, t1;
	size_t bytes = 0;

	if (text == NULL || vtext == NULL || n <= 0 ||
	    (vars = json_parse(&va, argv[1], vtext, vl, &err)) == NULL) {
		fprintf(stderr, "ERROR! cannot read the benchmark's input\n");
		return EXIT_INPUT;
	}
	env.ctx = vars;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i <= n; i++) {
		struct arena a = ARENA_INIT;

		if (tmpl_render_text(&a, &env, argv[0], text, tl, &out,
		    &err) < 0) {
			err_print(&err);
			return EXIT_INPUT;
		}
		if (i == 0) {
			FILE *f = fopen(argv[3], "w");

			if (f != NULL) {
				fwrite(out->u.str.s, 1, out->u.str.len, f);
				fclose(f);
			}
			bytes = a.total;
			clock_gettime(CLOCK_MONOTONIC, &t0);
		}
		arena_release(&a);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.9f %zu\n", ((double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9) / (double)n, bytes);
	free(text);
	free(vtext);
	arena_release(&va);
	return EXIT_OK;
}

int
cmd_template(int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct strbuf out = STRBUF_INIT;

	if (argc == 6 && strcmp(argv[1], "--bench") == 0)
		return bench(argv + 2);
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
