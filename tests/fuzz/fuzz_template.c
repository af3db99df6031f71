/*
 * libFuzzer target: the template lexer, parser and evaluator on arbitrary
 * text, in Ansible's and in plain Jinja2's mode, with lookups off (pipe
 * would run commands).  The first byte picks the mode.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "template/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct value *vars;
static struct arena vars_arena;

static struct value *
getvar(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	return val_dict_getn(vars, name, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char vj[] = "{\"x\": 7, \"s\": \"text\", \"l\": [1, 2, 3], "
	    "\"d\": {\"k\": \"v\", \"n\": null}, \"ref\": \"{{ x }}\", "
	    "\"loop\": \"{{ loop }}\", \"f\": 1.5, \"t\": true}";
	struct arena a = ARENA_INIT;
	struct err err = ERR_INIT;
	struct tmpl_env env = { getvar, NULL, TMPL_ANSIBLE | TMPL_NO_LOOKUPS,
	    "/nonexistent" };
	struct value *in, *out;

	if (vars == NULL)
		vars = json_parse(&vars_arena, "vars", vj, strlen(vj), &err);
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		in = val_new_strn(&a, (const char *)data + 1, size - 1);
		tmpl_value(&a, &env, in, &out, &err);
		break;
	case 1:
		env.flags = TMPL_TEXT | TMPL_NO_LOOKUPS;
		tmpl_render_text(&a, &env, "fuzz", (const char *)data + 1,
		    size - 1, &out, &err);
		break;
	default:
		env.flags = TMPL_JINJA | TMPL_TRIM_BLOCKS | TMPL_NO_LOOKUPS;
		tmpl_render_text(&a, &env, "fuzz", (const char *)data + 1,
		    size - 1, &out, &err);
		break;
	}
	arena_release(&a);
	return 0;
}
