#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module.h"
#include "pattern.h"
#include "runsetup.h"
#include "util.h"
#include "yaml_load.h"

#define FORKS_MAX 256

struct value *
parse_extra_vars(struct arena *a, const struct str_list *ev, struct err *err)
{
	struct value *all = val_new_dict(a), *v;
	size_t i, j;

	for (i = 0; i < ev->n; i++) {
		const char *s = ev->v[i];
		struct pos pos = { "-e", 0, 0 };

		if (s[0] == '@') {
			v = yaml_load_file(a, s + 1, err);
			if (v == NULL)
				return NULL;
		} else if (s[0] == '{' || s[0] == '[') {
			v = yaml_load_string(a, "-e", s, strlen(s), err);
			if (v == NULL)
				return NULL;
		} else {
			v = mod_parse_kv(a, NULL, s, &pos, err);
			if (v == NULL)
				return NULL;
			if (val_dict_get(v, "_raw_params") != NULL) {
				err_set(err, NULL, "invalid extra vars '%s': "
				    "expected key=value, @file or JSON", s);
				return NULL;
			}
		}
		if (v->type == VAL_NULL)
			continue;
		if (v->type != VAL_DICT) {
			err_set(err, &v->pos, "extra vars '%s' must be a "
			    "mapping", s);
			return NULL;
		}
		for (j = 0; j < v->u.dict->n; j++)
			val_dict_setv(a, all, v->u.dict->ent[j].key,
			    v->u.dict->ent[j].val);
	}
	return all;
}

int
run_setup_init(struct run_setup *rs, const struct run_opts *o,
    const char *pattern, struct err *err)
{
	struct str_list srcs = { 0 };
	size_t i, j;
	int rc;

	memset(rs, 0, sizeof(*rs));
	arena_init(&rs->a);
	rs->extra_vars = parse_extra_vars(&rs->a, &o->extra_vars, err);
	if (rs->extra_vars == NULL)
		return -1;
	for (i = 0; i < o->inventories.n; i++)
		str_list_push(&srcs, o->inventories.v[i]);
	if (srcs.n == 0 && access("/etc/ansible/hosts", R_OK) == 0)
		str_list_push(&srcs, "/etc/ansible/hosts");
	rc = inv_load(&rs->inv, &rs->a, srcs.v, srcs.n, err);
	str_list_release(&srcs);
	if (rc < 0)
		return -1;
	if (pat_select(&rs->inv, pattern, o->limits.v, o->limits.n,
	    &rs->hosts, &rs->nhosts, err) < 0)
		return -1;
	rs->names = xcalloc(rs->nhosts + 1, sizeof(*rs->names));
	rs->vars = xcalloc(rs->nhosts + 1, sizeof(*rs->vars));
	for (i = 0; i < rs->nhosts; i++) {
		struct value *v = inv_host_vars(&rs->inv, rs->hosts[i]);

		rs->names[i] = rs->hosts[i]->name;
		if (val_len(rs->extra_vars) > 0) {
			/* Extra vars win over everything. */
			struct value *m = val_new_dict(&rs->a);

			for (j = 0; j < v->u.dict->n; j++)
				val_dict_setv(&rs->a, m, v->u.dict->ent[j].key,
				    v->u.dict->ent[j].val);
			for (j = 0; j < rs->extra_vars->u.dict->n; j++)
				val_dict_setv(&rs->a, m,
				    rs->extra_vars->u.dict->ent[j].key,
				    rs->extra_vars->u.dict->ent[j].val);
			v = m;
		}
		rs->vars[i] = v;
	}
	return 0;
}

void
run_setup_release(struct run_setup *rs)
{
	free(rs->hosts);
	free(rs->names);
	free(rs->vars);
	if (rs->inv.a != NULL)
		inv_release(&rs->inv);
	arena_release(&rs->a);
	memset(rs, 0, sizeof(*rs));
}

unsigned
run_setup_forks(const struct run_opts *o, size_t nhosts)
{
	if (o->forks > 0)
		return o->forks;
	return nhosts < FORKS_MAX ? (unsigned)(nhosts ? nhosts : 1) :
	    FORKS_MAX;
}
