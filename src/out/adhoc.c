#include <string.h>

#include "json.h"
#include "out/adhoc.h"

/* Modules whose output Ansible prints as text, not JSON (MODULE_NO_JSON). */
static bool
no_json(const struct module *m)
{
	return m != NULL && (strcmp(m->name, "command") == 0 ||
	    strcmp(m->name, "shell") == 0 || strcmp(m->name, "raw") == 0);
}

void
out_dump_result(struct strbuf *sb, const struct value *v, int indent)
{
	struct json_opts o = { indent < 0 ? 0 : indent, true, false };
	struct strbuf tmp = STRBUF_INIT;
	struct arena a = ARENA_INIT;
	struct value *clean = val_new_dict(&a);
	size_t i;

	/* Internal keys never reach the user (Ansible's _dump_results). */
	for (i = 0; v != NULL && i < v->u.dict->n; i++) {
		const struct value *k = v->u.dict->ent[i].key;

		if (k->type == VAL_STR && (strncmp(k->u.str.s, "_ansible", 8) ==
		    0 || strcmp(k->u.str.s, "invocation") == 0))
			continue;
		val_dict_setv(&a, clean, v->u.dict->ent[i].key,
		    v->u.dict->ent[i].val);
	}
	/* debug's results: always indented (then, for -o, joined). */
	if (indent < 0 && val_truthy(val_dict_get(v, "_ansible_verbose_always")))
		o.indent = 4;
	json_encode(&tmp, clean, &o);
	if (indent < 0) {
		/* indent=0 then newlines removed: Ansible's oneline. */
		for (i = 0; i < tmp.len; i++)
			if (tmp.buf[i] != '\n')
				sb_addch(sb, tmp.buf[i]);
	} else
		sb_add(sb, tmp.buf, tmp.len);
	sb_release(&tmp);
	arena_release(&a);
}

static void
add_field(struct strbuf *sb, const struct value *res, const char *key,
    bool escape)
{
	const struct value *v = val_dict_get(res, key);
	struct strbuf tmp = STRBUF_INIT;
	size_t i;

	if (v == NULL)
		return;
	val_str(&tmp, v);
	for (i = 0; i < tmp.len; i++) {
		if (escape && tmp.buf[i] == '\n')
			sb_adds(sb, "\\n");
		else if (escape && tmp.buf[i] == '\r')
			sb_adds(sb, "\\r");
		else
			sb_addch(sb, tmp.buf[i]);
	}
	sb_release(&tmp);
}

static long long
rc_of(const struct value *res)
{
	const struct value *rc = val_dict_get(res, "rc");

	return rc != NULL && rc->type == VAL_INT ? (long long)rc->u.i : -1;
}

static void
generic(struct strbuf *sb, const char *label, const struct value *res,
    const char *caption, enum adhoc_style style)
{
	const struct value *err = val_dict_get(res, "stderr");

	if (style == ADHOC_ONELINE) {
		sb_addf(sb, "%s | %s | rc=%lld | (stdout) ", label, caption,
		    rc_of(res));
		add_field(sb, res, "stdout", true);
		if (err != NULL && val_truthy(err)) {
			sb_adds(sb, " (stderr) ");
			add_field(sb, res, "stderr", true);
		}
		sb_addch(sb, '\n');
		return;
	}
	sb_addf(sb, "%s | %s | rc=%lld >>\n", label, caption, rc_of(res));
	add_field(sb, res, "stdout", false);
	add_field(sb, res, "stderr", false);
	add_field(sb, res, "msg", false);
	sb_addch(sb, '\n');
}

void
out_adhoc_result(struct strbuf *sb, const char *label, const struct module *m,
    const struct result *res, enum adhoc_style style)
{
	int indent = style == ADHOC_ONELINE ? -1 : 4;

	if (res->unreachable) {
		if (style == ADHOC_ONELINE) {
			sb_addf(sb, "%s | UNREACHABLE!: ", label);
			add_field(sb, res->v, "msg", false);
			sb_addch(sb, '\n');
			return;
		}
		sb_addf(sb, "%s | UNREACHABLE! => ", label);
		out_dump_result(sb, res->v, indent);
		sb_addch(sb, '\n');
		return;
	}
	if (res->skipped) {
		sb_addf(sb, "%s | SKIPPED\n", label);
		return;
	}
	if (res->failed) {
		if (no_json(m) && val_dict_get(res->v, "rc") != NULL) {
			generic(sb, label, res->v, "FAILED", style);
			return;
		}
		/* Ansible's callback does not show "failed": true here. */
		struct arena a = ARENA_INIT;
		struct value *v = val_new_dict(&a);

		for (size_t i = 0; i < res->v->u.dict->n; i++)
			if (!val_is_str(res->v->u.dict->ent[i].key, "failed"))
				val_dict_setv(&a, v, res->v->u.dict->ent[i].key,
				    res->v->u.dict->ent[i].val);
		sb_addf(sb, "%s | FAILED! => ", label);
		out_dump_result(sb, v, indent);
		sb_addch(sb, '\n');
		arena_release(&a);
		return;
	}
	if (no_json(m)) {
		generic(sb, label, res->v, res->changed ? "CHANGED" : "SUCCESS",
		    style);
		return;
	}
	sb_addf(sb, "%s | %s => ", label, res->changed ? "CHANGED" : "SUCCESS");
	if (style != ADHOC_ONELINE &&
	    val_truthy(val_dict_get(res->v, "_ansible_verbose_always"))) {
		/* Ansible's _clean_results() for debug */
		struct arena a = ARENA_INIT;
		struct value *v = val_new_dict(&a);
		bool has_msg = val_dict_get(res->v, "msg") != NULL;

		for (size_t i = 0; i < res->v->u.dict->n; i++) {
			struct value *k = res->v->u.dict->ent[i].key;

			if (has_msg ? !(val_is_str(k, "msg") ||
			    val_is_str(k, "warnings") ||
			    (k->type == VAL_STR && k->u.str.s[0] == '_')) :
			    (val_is_str(k, "changed") || val_is_str(k, "failed") ||
			    val_is_str(k, "skipped")))
				continue;
			val_dict_setv(&a, v, k, res->v->u.dict->ent[i].val);
		}
		out_dump_result(sb, v, indent);
		sb_addch(sb, '\n');
		arena_release(&a);
		return;
	}
	out_dump_result(sb, res->v, indent);
	sb_addch(sb, '\n');
}
