/*
 * vars.c: variable layers and magic variables (vars.h).
 */
#include <string.h>

#include "template/template.h"
#include "vars.h"

void
varscope_push(struct varscope *s, const struct value *dict)
{
	if (dict != NULL && dict->type == VAL_DICT &&
	    s->nlayers < VARS_MAX_LAYERS)
		s->layers[s->nlayers++] = dict;
}

struct value *
varscope_get(void *ctx, const char *name, size_t len)
{
	struct varscope *s = ctx;

	for (size_t i = 0; i < s->nlayers; i++) {
		struct value *v = val_dict_getn(s->layers[i], name, len);

		if (v != NULL)
			return v;
	}
	return NULL;
}

static struct value *
host_magic(struct arena *a, struct inventory *inv, struct inv_host *h)
{
	struct value *m = val_new_dict(a);
	const char *dot = strchr(h->name, '.');

	val_dict_set(a, m, "inventory_hostname", val_new_str(a, h->name));
	val_dict_set(a, m, "inventory_hostname_short", dot != NULL ?
	    val_new_strn(a, h->name, (size_t)(dot - h->name)) :
	    val_new_str(a, h->name));
	val_dict_set(a, m, "group_names", h->group_names != NULL ?
	    h->group_names : val_new_list(a));
	if (inv->ndirs > 0)
		val_dict_set(a, m, "inventory_dir", val_new_str(a,
		    inv->dirs[0]));
	return m;
}

struct value *
vars_hostvars(struct arena *a, struct inventory *inv)
{
	struct value *hv = val_new_dict(a);

	for (size_t i = 0; i < inv->nhosts; i++) {
		struct inv_host *h = inv->hosts[i];
		struct value *merged = inv_host_vars(inv, h);
		struct value *d = val_new_dict(a);
		struct value *m = host_magic(a, inv, h);

		for (size_t k = 0; merged != NULL && k < merged->u.dict->n; k++)
			val_dict_setv(a, d, merged->u.dict->ent[k].key,
			    merged->u.dict->ent[k].val);
		for (size_t k = 0; k < m->u.dict->n; k++)
			val_dict_setv(a, d, m->u.dict->ent[k].key,
			    m->u.dict->ent[k].val);
		d->flags |= VAL_VARSCOPE;
		val_dict_set(a, hv, h->name, d);
	}
	return hv;
}

struct value *
vars_magic(struct arena *a, struct inventory *inv, struct inv_host *h,
    const struct run_magic *rm)
{
	struct value *m = host_magic(a, inv, h);

	if (inv->groups_var != NULL)
		val_dict_set(a, m, "groups", inv->groups_var);
	if (rm->hostvars != NULL)
		val_dict_set(a, m, "hostvars", rm->hostvars);
	if (rm->play_hosts != NULL) {
		struct value *batch = rm->play_batch != NULL ?
		    rm->play_batch : rm->play_hosts;

		val_dict_set(a, m, "play_hosts", batch);
		val_dict_set(a, m, "ansible_play_hosts", rm->play_hosts);
		val_dict_set(a, m, "ansible_play_hosts_all", rm->play_hosts);
		val_dict_set(a, m, "ansible_play_batch", batch);
	}
	val_dict_set(a, m, "ansible_check_mode", val_bool(rm->check_mode));
	val_dict_set(a, m, "ansible_diff_mode", val_bool(rm->diff_mode));
	val_dict_set(a, m, "ansible_verbosity", val_new_int(a, rm->verbosity));
	val_dict_set(a, m, "omit", val_new_str(a, TMPL_OMIT));
	if (rm->inventory_file != NULL)
		val_dict_set(a, m, "inventory_file", val_new_str(a,
		    rm->inventory_file));
	return m;
}
