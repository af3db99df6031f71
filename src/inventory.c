/*
 * inventory.c: the inventory's model (hosts, groups, their relations and
 * depth), sources (files, directories, host lists), group_vars/ and
 * host_vars/, and the merge of a host's variables.  The parsers of the two
 * formats are inv_ini.c and inv_yaml.c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "inv_parse.h"
#include "util.h"
#include "yaml_load.h"

struct inv_group *
inv_find_group(const struct inventory *inv, const char *name)
{
	struct value *i = val_dict_get(inv->group_index, name);

	return i != NULL ? inv->groups[i->u.i] : NULL;
}

struct inv_host *
inv_find_host(const struct inventory *inv, const char *name)
{
	struct value *i = val_dict_get(inv->host_index, name);

	return i != NULL ? inv->hosts[i->u.i] : NULL;
}

struct inv_group *
inv_add_group(struct inventory *inv, const char *name)
{
	struct inv_group *g = inv_find_group(inv, name);

	if (g != NULL)
		return g;
	g = arena_alloc(inv->a, sizeof(*g));
	g->name = arena_strdup(inv->a, name);
	g->vars = val_new_dict(inv->a);
	g->priority = 1;
	inv->groups = xgrow(inv->groups, inv->ngroups + 1, &inv->agroups,
	    sizeof(*inv->groups));
	val_dict_set(inv->a, inv->group_index, name,
	    val_new_int(inv->a, (int64_t)inv->ngroups));
	inv->groups[inv->ngroups++] = g;
	return g;
}

static bool
has_group(struct inv_group **v, size_t n, const struct inv_group *g)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == g)
			return true;
	return false;
}

static void
fix_depth(struct inv_group *g, int depth)
{
	size_t i;

	if (g->depth >= depth)
		return;
	g->depth = depth;
	for (i = 0; i < g->nchildren; i++)
		fix_depth(g->children[i], depth + 1);
}

int
inv_add_child(struct inventory *inv, struct inv_group *parent,
    struct inv_group *child, struct err *err)
{
	size_t i;

	if (parent == child)
		return err_set(err, NULL, "group '%s' cannot be its own child",
		    child->name);
	/* A cycle would loop forever: Ansible refuses it too. */
	for (i = 0; i < parent->nparents; i++)
		if (parent->parents[i] == child)
			return err_set(err, NULL, "adding group '%s' as a child "
			    "of '%s' creates a recursive dependency loop",
			    child->name, parent->name);
	if (has_group(parent->children, parent->nchildren, child))
		return 0;
	parent->children = xgrow(parent->children, parent->nchildren + 1,
	    &parent->achildren, sizeof(*parent->children));
	parent->children[parent->nchildren++] = child;
	child->parents = xgrow(child->parents, child->nparents + 1,
	    &child->aparents, sizeof(*child->parents));
	child->parents[child->nparents++] = parent;
	fix_depth(child, parent->depth + 1);
	return 0;
}

struct inv_host *
inv_add_host(struct inventory *inv, const char *name)
{
	struct inv_host *h = inv_find_host(inv, name);

	if (h != NULL)
		return h;
	h = arena_alloc(inv->a, sizeof(*h));
	h->name = arena_strdup(inv->a, name);
	h->vars = val_new_dict(inv->a);
	h->index = inv->nhosts;
	inv->hosts = xgrow(inv->hosts, inv->nhosts + 1, &inv->ahosts,
	    sizeof(*inv->hosts));
	val_dict_set(inv->a, inv->host_index, name,
	    val_new_int(inv->a, (int64_t)inv->nhosts));
	inv->hosts[inv->nhosts++] = h;
	return h;
}

void
inv_group_add_host(struct inv_group *g, struct inv_host *h)
{
	size_t i;

	/* The host's groups are few; a group's hosts may be 100,000. */
	for (i = 0; i < h->ngroups; i++)
		if (h->groups[i] == g)
			return;
	g->hosts = xgrow(g->hosts, g->nhosts + 1, &g->ahosts,
	    sizeof(*g->hosts));
	g->hosts[g->nhosts++] = h;
	h->groups = xgrow(h->groups, h->ngroups + 1, &h->agroups,
	    sizeof(*h->groups));
	h->groups[h->ngroups++] = g;
}

/* Ansible's Group.set_variable: the priority is no variable. */
void
inv_set_group_var(struct inventory *inv, struct inv_group *g,
    struct value *key, struct value *val)
{
	if (val_is_str(key, "ansible_group_priority")) {
		if (val->type == VAL_INT)
			g->priority = val->u.i;
		else if (val->type == VAL_STR)
			g->priority = atoll(val->u.str.s);
		return;
	}
	val_dict_setv(inv->a, g->vars, key, val);
}

void
inv_group_del_host(struct inv_group *g, struct inv_host *h)
{
	size_t i, w;

	for (i = w = 0; i < g->nhosts; i++)
		if (g->hosts[i] != h)
			g->hosts[w++] = g->hosts[i];
	g->nhosts = w;
	for (i = w = 0; i < h->ngroups; i++)
		if (h->groups[i] != g)
			h->groups[w++] = h->groups[i];
	h->ngroups = w;
}

static void
add_dir(struct inventory *inv, const char *dir)
{
	inv->dirs = xgrow(inv->dirs, inv->ndirs + 1, &inv->adirs,
	    sizeof(*inv->dirs));
	inv->dirs[inv->ndirs++] = arena_strdup(inv->a, dir);
}

static bool
ignored_name(const char *name)
{
	/* Ansible's INVENTORY_IGNORE_EXTS, and group_vars/host_vars. */
	static const char *const exts[] = { "~", ".orig", ".bak", ".ini",
	    ".cfg", ".retry", ".pyc", ".pyo", ".swp", ".rpm", ".md", ".txt",
	    ".rst", NULL };
	size_t n = strlen(name), i;

	if (name[0] == '.' || strcmp(name, "group_vars") == 0 ||
	    strcmp(name, "host_vars") == 0)
		return true;
	for (i = 0; exts[i] != NULL; i++) {
		size_t e = strlen(exts[i]);

		if (n >= e && strcmp(name + n - e, exts[i]) == 0)
			return true;
	}
	return false;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of a directory (malloc'd); -1 if unreadable. */
static int
list_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t alloc = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		*names = xgrow(*names, *n + 1, &alloc, sizeof(**names));
		(*names)[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), cmp_str);
	return 0;
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
load_file(struct inventory *inv, const char *path, struct err *err)
{
	const char *ext = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	char *buf;
	size_t len;
	int rc;

	if (ext != NULL && slash != NULL && ext < slash)
		ext = NULL;
	if (read_file(path, &buf, &len) < 0)
		return err_set(err, NULL, "cannot read inventory '%s': %s", path,
		    strerror(errno));
	/*
	 * Ansible's plugin order: YAML for .yml/.yaml/.json and files
	 * without an extension that parse as a YAML mapping, else INI.
	 */
	if (ext != NULL && (strcmp(ext, ".yml") == 0 ||
	    strcmp(ext, ".yaml") == 0 || strcmp(ext, ".json") == 0))
		rc = inv_parse_yaml(inv, path, buf, len, true, err);
	else if (ext == NULL && inv_parse_yaml(inv, path, buf, len, false,
	    NULL) == 0)
		rc = 0;
	else
		rc = inv_parse_ini(inv, path, buf, len, err);
	free(buf);
	return rc;
}

static int
load_source(struct inventory *inv, const char *src, struct err *err)
{
	struct stat st;
	char **names;
	size_t n, i;
	int rc = 0;

	if (stat(src, &st) < 0) {
		/* "h1,h2," is a host list (Ansible's host_list plugin). */
		if (strchr(src, ',') != NULL)
			return inv_parse_host_list(inv, src, err);
		return err_set(err, NULL, "the inventory source '%s' does not "
		    "exist", src);
	}
	if (!S_ISDIR(st.st_mode)) {
		char *dir = xstrdup(src), *slash = strrchr(dir, '/');

		if (slash != NULL)
			*slash = '\0';
		add_dir(inv, slash != NULL ? (dir[0] ? dir : "/") : ".");
		free(dir);
		return load_file(inv, src, err);
	}
	add_dir(inv, src);
	if (list_dir(src, &names, &n) < 0)
		return err_set(err, NULL, "cannot read inventory directory "
		    "'%s': %s", src, strerror(errno));
	for (i = 0; i < n && rc == 0; i++) {
		char *path;

		if (ignored_name(names[i]))
			continue;
		path = xasprintf("%s/%s", src, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = load_file(inv, path, err);
		free(path);
	}
	free_names(names, n);
	return rc;
}

/* Merge b into a (replace), allocating in the inventory's arena. */
static void
merge_into(struct arena *a, struct value *dst, const struct value *src)
{
	size_t i;

	if (src == NULL || src->type != VAL_DICT)
		return;
	for (i = 0; i < src->u.dict->n; i++)
		val_dict_setv(a, dst, src->u.dict->ent[i].key,
		    src->u.dict->ent[i].val);
}

static int
load_vars_file(struct inventory *inv, const char *path, struct value *into,
    struct err *err)
{
	struct value *v = yaml_load_file(inv->a, path, err);

	if (v == NULL)
		return -1;
	if (v->type == VAL_NULL)
		return 0;
	if (v->type != VAL_DICT)
		return err_set(err, &v->pos, "variables in '%s' must be a "
		    "mapping, not %s", path, val_type_name(v));
	merge_into(inv->a, into, v);
	return 0;
}

static int
load_vars_dir(struct inventory *inv, const char *dir, struct value *into,
    struct err *err)
{
	char **names;
	size_t n, i;
	struct stat st;
	int rc = 0;

	if (list_dir(dir, &names, &n) < 0)
		return 0;
	for (i = 0; i < n && rc == 0; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		const char *ext = strrchr(names[i], '.');

		if (names[i][0] != '.' && stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = load_vars_dir(inv, path, into, err);
			else if (ext == NULL || strcmp(ext, ".yml") == 0 ||
			    strcmp(ext, ".yaml") == 0 ||
			    strcmp(ext, ".json") == 0)
				rc = load_vars_file(inv, path, into, err);
		}
		free(path);
	}
	free_names(names, n);
	return rc;
}

static int load_entity_vars_from(struct inventory *, size_t from,
    const char *kind, const char *name, struct value **slot, struct err *);

/* group_vars/NAME or host_vars/NAME (+ .yml .yaml .json, or a dir). */
static int
load_entity_vars(struct inventory *inv, const char *kind, const char *name,
    struct value **slot, struct err *err)
{
	return load_entity_vars_from(inv, 0, kind, name, slot, err);
}

/* The same from the source directories from index `from` on. */
static int
load_entity_vars_from(struct inventory *inv, size_t from, const char *kind,
    const char *name, struct value **slot, struct err *err)
{
	static const char *const exts[] = { "", ".yml", ".yaml", ".json",
	    NULL };
	struct stat st;
	size_t d, e;
	int rc = 0;

	for (d = from; d < inv->ndirs && rc == 0; d++) {
		for (e = 0; exts[e] != NULL && rc == 0; e++) {
			char *path = xasprintf("%s/%s/%s%s", inv->dirs[d], kind,
			    name, exts[e]);

			if (stat(path, &st) == 0) {
				if (*slot == NULL)
					*slot = val_new_dict(inv->a);
				if (S_ISDIR(st.st_mode))
					rc = load_vars_dir(inv, path, *slot,
					    err);
				else
					rc = load_vars_file(inv, path, *slot,
					    err);
			}
			free(path);
		}
	}
	return rc;
}

static int
group_order(const void *x, const void *y)
{
	const struct inv_group *a = *(struct inv_group *const *)x;
	const struct inv_group *b = *(struct inv_group *const *)y;

	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* All groups of a host: its direct ones and their ancestors. */
static size_t
host_groups(const struct inv_host *h, struct inv_group ***out)
{
	struct inv_group **v = NULL;
	size_t n = 0, alloc = 0, i, j;

	for (i = 0; i < h->ngroups; i++) {
		v = xgrow(v, n + 1, &alloc, sizeof(*v));
		if (!has_group(v, n, h->groups[i]))
			v[n++] = h->groups[i];
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < v[i]->nparents; j++) {
			v = xgrow(v, n + 1, &alloc, sizeof(*v));
			if (!has_group(v, n, v[i]->parents[j]))
				v[n++] = v[i]->parents[j];
		}
	*out = v;
	return n;
}

struct value *
inv_host_vars(struct inventory *inv, struct inv_host *h)
{
	struct inv_group **gs;
	struct inv_group *all = inv_find_group(inv, "all");
	struct value *m;
	size_t n, i;

	if (h->merged != NULL)
		return h->merged;
	m = val_new_dict(inv->a);
	n = host_groups(h, &gs);
	if (n > 0)
		qsort(gs, n, sizeof(*gs), group_order);
	/* Ansible's VARIABLE_PRECEDENCE within the inventory. */
	merge_into(inv->a, m, all->vars);
	for (i = 0; i < n; i++)
		if (gs[i] != all)
			merge_into(inv->a, m, gs[i]->vars);
	merge_into(inv->a, m, all->file_vars);
	for (i = 0; i < n; i++)
		if (gs[i] != all)
			merge_into(inv->a, m, gs[i]->file_vars);
	merge_into(inv->a, m, h->vars);
	merge_into(inv->a, m, h->file_vars);
	free(gs);
	h->merged = m;
	return m;
}

struct value *
inv_group_vars(const struct inventory *inv, const struct inv_group *g)
{
	struct value *m = val_new_dict(inv->a);

	merge_into(inv->a, m, g->vars);
	merge_into(inv->a, m, g->file_vars);
	if (g->priority != 1)
		val_dict_set(inv->a, m, "ansible_group_priority",
		    val_new_int(inv->a, g->priority));
	return m;
}

size_t
inv_group_hosts(const struct inventory *inv, const struct inv_group *g,
    struct inv_host ***out)
{
	struct inv_group **queue = NULL;
	struct inv_host **hosts = NULL;
	size_t nq = 0, aq = 0, nh = 0, ah = 0, i, j;
	struct value *seen = val_new_dict(inv->a);
	bool all = strcmp(g->name, "all") == 0;

	/*
	 * The group, then its descendants level by level (Ansible's
	 * get_descendants(preserve_ordering=True)): the first level keeps
	 * its order; Ansible walks deeper levels through a set, in no stable
	 * order, where this keeps the order groups were defined in.
	 */
	queue = xgrow(queue, 1, &aq, sizeof(*queue));
	queue[nq++] = (struct inv_group *)g;
	for (i = 0; i < nq; i++)
		for (j = 0; j < queue[i]->nchildren; j++)
			if (!has_group(queue, nq, queue[i]->children[j])) {
				queue = xgrow(queue, nq + 1, &aq,
				    sizeof(*queue));
				queue[nq++] = queue[i]->children[j];
			}
	for (i = 0; i < nq; i++)
		for (j = 0; j < queue[i]->nhosts; j++) {
			struct inv_host *h = queue[i]->hosts[j];

			if (val_dict_get(seen, h->name) != NULL ||
			    (all && h->implicit))
				continue;
			val_dict_set(inv->a, seen, h->name, &val_true);
			hosts = xgrow(hosts, nh + 1, &ah, sizeof(*hosts));
			hosts[nh++] = h;
		}
	free(queue);
	*out = hosts;
	return nh;
}

static int
cmp_value_str(const void *x, const void *y)
{
	const struct value *a = *(struct value *const *)x;
	const struct value *b = *(struct value *const *)y;

	return strcmp(a->u.str.s, b->u.str.s);
}

/* After every source: ungrouped, depth, priorities, vars files, magic. */
static int
reconcile(struct inventory *inv, struct err *err)
{
	struct inv_group *all = inv_find_group(inv, "all");
	struct inv_group *ungrouped = inv_find_group(inv, "ungrouped");
	size_t i, j;

	for (i = 0; i < inv->ngroups; i++) {
		struct inv_group *g = inv->groups[i];

		if (g != all && g->nparents == 0 &&
		    inv_add_child(inv, all, g, err) < 0)
			return -1;
	}
	for (i = 0; i < inv->nhosts; i++) {
		struct inv_host *h = inv->hosts[i];

		if (h->implicit)
			continue;
		if (h->ngroups == 0 || (h->ngroups == 1 && h->groups[0] == all))
			inv_group_add_host(ungrouped, h);
		else if (h->ngroups > 1 && has_group(h->groups, h->ngroups,
		    ungrouped))
			inv_group_del_host(ungrouped, h);
	}
	for (i = 0; i < inv->ngroups; i++) {
		struct inv_group *g = inv->groups[i];
		struct value *p = NULL;

		if (load_entity_vars(inv, "group_vars", g->name, &g->file_vars,
		    err) < 0)
			return -1;
		if (g->file_vars != NULL)
			p = val_dict_get(g->file_vars,
			    "ansible_group_priority");
		if (p != NULL && p->type == VAL_INT)
			g->priority = p->u.i;
		else if (p != NULL && p->type == VAL_STR)
			g->priority = atoll(p->u.str.s);
	}
	for (i = 0; i < inv->nhosts; i++) {
		struct inv_host *h = inv->hosts[i];
		struct inv_group **gs;
		size_t n;

		if (load_entity_vars(inv, "host_vars", h->name, &h->file_vars,
		    err) < 0)
			return -1;
		h->group_names = val_new_list(inv->a);
		n = host_groups(h, &gs);
		for (j = 0; j < n; j++)
			if (gs[j] != all)
				val_list_push(inv->a, h->group_names,
				    val_new_str(inv->a, gs[j]->name));
		free(gs);
		if (val_len(h->group_names) > 1)
			qsort(h->group_names->u.list->items,
			    val_len(h->group_names),
		    sizeof(struct value *), cmp_value_str);
	}
	inv->groups_var = val_new_dict(inv->a);
	for (i = 0; i < inv->ngroups; i++) {
		struct inv_host **hs;
		struct value *l = val_new_list(inv->a);
		size_t n = inv_group_hosts(inv, inv->groups[i], &hs);

		for (j = 0; j < n; j++)
			val_list_push(inv->a, l, val_new_str(inv->a,
			    hs[j]->name));
		free(hs);
		val_dict_set(inv->a, inv->groups_var, inv->groups[i]->name, l);
	}
	return 0;
}

struct inv_host *
inv_localhost(struct inventory *inv)
{
	struct inv_host *h = inv_find_host(inv, "localhost");

	if (h != NULL)
		return h;
	h = inv_add_host(inv, "localhost");
	h->implicit = true;
	val_dict_set(inv->a, h->vars, "ansible_connection",
	    val_new_str(inv->a, "local"));
	h->group_names = val_new_list(inv->a);
	inv->localhost = h;
	return h;
}

int
inv_load(struct inventory *inv, struct arena *a, const char *const *sources,
    size_t n, struct err *err)
{
	size_t i;

	memset(inv, 0, sizeof(*inv));
	inv->a = a;
	inv->host_index = val_new_dict(a);
	inv->group_index = val_new_dict(a);
	inv_add_group(inv, "all");
	if (inv_add_child(inv, inv_add_group(inv, "all"),
	    inv_add_group(inv, "ungrouped"), err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (load_source(inv, sources[i], err) < 0)
			return -1;
	return reconcile(inv, err);
}

void
inv_release(struct inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->nhosts; i++)
		free(inv->hosts[i]->groups);
	for (i = 0; i < inv->ngroups; i++) {
		free(inv->groups[i]->children);
		free(inv->groups[i]->parents);
		free(inv->groups[i]->hosts);
	}
	free(inv->hosts);
	free(inv->groups);
	free(inv->dirs);
	memset(inv, 0, sizeof(*inv));
}

int
inv_add_vars_dir(struct inventory *inv, const char *dir, struct err *err)
{
	size_t from = inv->ndirs, i;

	for (i = 0; i < inv->ndirs; i++)
		if (strcmp(inv->dirs[i], dir) == 0)
			return 0;	/* the inventory's own: loaded already */
	inv->dirs = xgrow(inv->dirs, inv->ndirs + 1, &inv->adirs,
	    sizeof(*inv->dirs));
	inv->dirs[inv->ndirs++] = arena_strdup(inv->a, dir);
	for (i = 0; i < inv->ngroups; i++)
		if (load_entity_vars_from(inv, from, "group_vars",
		    inv->groups[i]->name, &inv->groups[i]->file_vars, err) < 0)
			return -1;
	for (i = 0; i < inv->nhosts; i++) {
		if (load_entity_vars_from(inv, from, "host_vars",
		    inv->hosts[i]->name, &inv->hosts[i]->file_vars, err) < 0)
			return -1;
		inv->hosts[i]->merged = NULL;
	}
	return 0;
}
