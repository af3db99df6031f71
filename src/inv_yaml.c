/* inv_yaml.c: YAML inventories, as Ansible's yaml inventory plugin. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "inv_parse.h"
#include "util.h"
#include "yaml_load.h"

static int
key_str(const struct val_entry *e, struct strbuf *sb)
{
	sb_reset(sb);
	val_str(sb, e->key);
	return 0;
}

static int parse_group(struct inventory *, const char *name,
    const struct value *data, struct inv_group **out, struct err *);

static int
parse_section(struct inventory *inv, struct inv_group *g, const char *key,
    const struct value *sec, struct err *err)
{
	struct strbuf name = STRBUF_INIT;
	size_t i;
	int rc = 0;

	if (strcmp(key, "vars") == 0) {
		for (i = 0; i < sec->u.dict->n; i++) {
			key_str(&sec->u.dict->ent[i], &name);
			inv_set_group_var(inv, g, val_new_str(inv->a, name.buf),
			    sec->u.dict->ent[i].val);
		}
	} else if (strcmp(key, "children") == 0) {
		for (i = 0; i < sec->u.dict->n && rc == 0; i++) {
			struct inv_group *child = NULL;

			key_str(&sec->u.dict->ent[i], &name);
			rc = parse_group(inv, name.buf, sec->u.dict->ent[i].val,
			    &child, err);
			if (rc == 0 && child != NULL)
				rc = inv_add_child(inv, g, child, err);
			if (rc < 0)
				err_locate(err, &sec->u.dict->ent[i].key->pos);
		}
	} else if (strcmp(key, "hosts") == 0) {
		for (i = 0; i < sec->u.dict->n && rc == 0; i++) {
			const struct value *hv = sec->u.dict->ent[i].val;

			key_str(&sec->u.dict->ent[i], &name);
			if (hv != NULL && hv->type != VAL_NULL &&
			    hv->type != VAL_DICT) {
				rc = err_set(err, &hv->pos, "host '%s' in group "
				    "'%s' must have a mapping of variables",
				    name.buf, g->name);
				break;
			}
			rc = inv_populate_hosts(inv, name.buf, g,
			    hv != NULL && hv->type == VAL_DICT ? hv : NULL,
			    &sec->u.dict->ent[i].key->pos, err);
		}
	} else
		warnx("Skipping unexpected key (%s) in group (%s), only "
		    "\"vars\", \"children\" and \"hosts\" are valid", key,
		    g->name);
	sb_release(&name);
	return rc;
}

static int
parse_group(struct inventory *inv, const char *name, const struct value *data,
    struct inv_group **out, struct err *err)
{
	struct strbuf key = STRBUF_INIT;
	struct inv_group *g;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (data != NULL && data->type != VAL_NULL && data->type != VAL_DICT) {
		warnx("Skipping '%s' as this is not a valid group definition",
		    name);
		return 0;
	}
	g = inv_add_group(inv, name);
	*out = g;
	for (i = 0; data != NULL && data->type == VAL_DICT &&
	    i < data->u.dict->n && rc == 0; i++) {
		struct value *sec = data->u.dict->ent[i].val;

		key_str(&data->u.dict->ent[i], &key);
		/* A string section means a one-entry mapping. */
		if (sec != NULL && sec->type == VAL_STR &&
		    (strcmp(key.buf, "hosts") == 0 ||
		    strcmp(key.buf, "children") == 0)) {
			struct value *d = val_new_dict(inv->a);

			val_dict_setv(inv->a, d, sec, val_new(inv->a, VAL_NULL));
			d->pos = sec->pos;
			sec = d;
		}
		if (sec == NULL || sec->type == VAL_NULL)
			continue;
		if (sec->type != VAL_DICT) {
			if (strcmp(key.buf, "vars") == 0 ||
			    strcmp(key.buf, "hosts") == 0 ||
			    strcmp(key.buf, "children") == 0) {
				rc = err_set(err, &sec->pos, "invalid \"%s\" "
				    "entry for \"%s\" group, requires a "
				    "dictionary, found %s instead", key.buf,
				    name, val_type_name(sec));
				break;
			}
			warnx("Skipping key (%s) in group (%s) as it is not a "
			    "mapping, it is a %s", key.buf, name,
			    val_type_name(sec));
			continue;
		}
		rc = parse_section(inv, g, key.buf, sec, err);
	}
	sb_release(&key);
	return rc;
}

int
inv_parse_yaml(struct inventory *inv, const char *path, const char *text,
    size_t len, bool strict, struct err *err)
{
	struct err local = ERR_INIT;
	struct strbuf name = STRBUF_INIT;
	struct value *doc;
	struct inv_group *g;
	size_t i;
	int rc = 0;

	doc = yaml_load_string(inv->a, path, text, len,
	    err != NULL ? err : &local);
	if (doc == NULL)
		return -1;
	if (doc->type == VAL_NULL && strict) {
		warnx("%s: empty inventory source", path);
		return 0;
	}
	if (doc->type != VAL_DICT) {
		if (err != NULL)
			err_set(err, &doc->pos, "a YAML inventory must be a "
			    "mapping of groups");
		return -1;
	}
	if (val_dict_get(doc, "plugin") != NULL) {
		if (err != NULL)
			err_set(err, &doc->pos, "inventory plugins ('plugin:') "
			    "are not supported");
		return -1;
	}
	for (i = 0; i < doc->u.dict->n && rc == 0; i++) {
		sb_reset(&name);
		val_str(&name, doc->u.dict->ent[i].key);
		rc = parse_group(inv, name.buf, doc->u.dict->ent[i].val, &g,
		    err);
	}
	sb_release(&name);
	return rc;
}

int
inv_parse_host_list(struct inventory *inv, const char *list, struct err *err)
{
	struct inv_group *ungrouped = inv_add_group(inv, "ungrouped");
	const char *p = list, *comma;
	int rc = 0;

	while (*p != '\0' && rc == 0) {
		char *one;
		size_t n;

		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		one = xstrndup(p, n);
		if (*one != '\0') {
			char *s = one, *e = one + strlen(one);

			while (isspace((unsigned char)*s))
				s++;
			while (e > s && isspace((unsigned char)e[-1]))
				*--e = '\0';
			if (*s != '\0')
				rc = inv_populate_hosts(inv, s, ungrouped, NULL,
				    NULL, err);
		}
		free(one);
		p += n;
		if (*p == ',')
			p++;
	}
	return rc;
}
