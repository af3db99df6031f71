/*
 * cmd_inventory.c: `muster inventory -i INV --list | --graph [GROUP] |
 * --host NAME`, printing what ansible-inventory prints, byte for byte.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "inventory.h"
#include "json.h"
#include "options.h"
#include "pattern.h"
#include "util.h"

static const struct json_opts inv_json = { 4, true, false };

/* ansible-inventory leaves internal variables out. */
static struct value *
strip_internal(struct arena *a, const struct value *vars)
{
	static const char *const internal[] = { "ansible_diff_mode",
	    "ansible_config_file", "ansible_facts", "ansible_forks",
	    "ansible_inventory_sources", "ansible_limit",
	    "ansible_playbook_python", "ansible_run_tags",
	    "ansible_skip_tags", "ansible_verbosity", "ansible_version",
	    "inventory_dir", "inventory_file", "inventory_hostname",
	    "inventory_hostname_short", "groups", "group_names", "omit",
	    "playbook_dir", NULL };
	struct value *out = val_new_dict(a);
	size_t i, j;

	for (i = 0; i < vars->u.dict->n; i++) {
		const struct value *k = vars->u.dict->ent[i].key;

		for (j = 0; internal[j] != NULL; j++)
			if (val_is_str(k, internal[j]))
				break;
		if (internal[j] == NULL)
			val_dict_setv(a, out, vars->u.dict->ent[i].key,
			    vars->u.dict->ent[i].val);
	}
	return out;
}

static struct value *
host_vars_shown(struct inventory *inv, struct inv_host *h, bool export)
{
	struct value *v;

	if (!export)
		return strip_internal(inv->a, inv_host_vars(inv, h));
	v = val_new_dict(inv->a);
	if (h->vars != NULL)
		for (size_t i = 0; i < h->vars->u.dict->n; i++)
			val_dict_setv(inv->a, v, h->vars->u.dict->ent[i].key,
			    h->vars->u.dict->ent[i].val);
	if (h->file_vars != NULL)
		for (size_t i = 0; i < h->file_vars->u.dict->n; i++)
			val_dict_setv(inv->a, v,
			    h->file_vars->u.dict->ent[i].key,
			    h->file_vars->u.dict->ent[i].val);
	return strip_internal(inv->a, v);
}

static void
format_group(struct inventory *inv, struct inv_group *g, struct value *seen,
    struct value *out, bool export)
{
	struct value *gv = val_new_dict(inv->a);
	struct value *hosts = val_new_list(inv->a);
	struct value *children = val_new_list(inv->a);
	size_t i;

	val_dict_set(inv->a, out, g->name, gv);
	if (strcmp(g->name, "all") != 0)
		for (i = 0; i < g->nhosts; i++)
			if (!g->hosts[i]->implicit)
				val_list_push(inv->a, hosts, val_new_str(inv->a,
				    g->hosts[i]->name));
	for (i = 0; i < g->nchildren; i++) {
		struct inv_group *c = g->children[i];

		val_list_push(inv->a, children, val_new_str(inv->a, c->name));
		if (val_dict_get(seen, c->name) == NULL) {
			val_dict_set(inv->a, seen, c->name, &val_true);
			format_group(inv, c, seen, out, export);
		}
	}
	if (val_len(hosts) > 0)
		val_dict_set(inv->a, gv, "hosts", hosts);
	if (val_len(children) > 0)
		val_dict_set(inv->a, gv, "children", children);
	if (export) {
		struct value *vars = inv_group_vars(inv, g);

		if (val_len(vars) > 0)
			val_dict_set(inv->a, gv, "vars", vars);
	}
	if (val_len(gv) == 0)
		val_dict_del(out, g->name);
}

static void
list_json(struct inventory *inv, bool export)
{
	struct value *out = val_new_dict(inv->a);
	struct value *hostvars = val_new_dict(inv->a);
	struct value *meta = val_new_dict(inv->a);
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	format_group(inv, inv_find_group(inv, "all"), val_new_dict(inv->a),
	    out, export);
	for (i = 0; i < inv->nhosts; i++) {
		struct inv_host *h = inv->hosts[i];
		struct value *v;

		if (h->implicit)
			continue;
		v = host_vars_shown(inv, h, export);
		if (val_len(v) > 0)
			val_dict_set(inv->a, hostvars, h->name, v);
	}
	val_dict_set(inv->a, meta, "hostvars", hostvars);
	val_dict_set(inv->a, out, "_meta", meta);
	json_encode(&sb, out, &inv_json);
	puts(sb.buf);
	sb_release(&sb);
}

static void
graph_line(struct strbuf *sb, const char *name, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		sb_adds(sb, "  |");
	if (depth > 0)
		sb_adds(sb, "--");
	sb_adds(sb, name);
	sb_addch(sb, '\n');
}

static void
graph_group(struct inventory *inv, struct inv_group *g, int depth,
    bool vars, struct strbuf *sb)
{
	char *label = xasprintf("@%s:", g->name);
	size_t i;

	graph_line(sb, label, depth);
	free(label);
	for (i = 0; i < g->nchildren; i++)
		graph_group(inv, g->children[i], depth + 1, vars, sb);
	if (strcmp(g->name, "all") == 0)
		return;
	for (i = 0; i < g->nhosts; i++) {
		if (g->hosts[i]->implicit)
			continue;
		graph_line(sb, g->hosts[i]->name, depth + 1);
	}
}

static int
usage(void)
{
	fputs("usage: muster inventory -i INVENTORY... (--list [--export] | "
	    "--graph [GROUP] | --host HOST)\n", stderr);
	return EXIT_INPUT;
}

int
cmd_inventory(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "inventory", required_argument, NULL, 'i' },
		{ "list", no_argument, NULL, 'L' },
		{ "graph", no_argument, NULL, 'G' },
		{ "host", required_argument, NULL, 'H' },
		{ "export", no_argument, NULL, 'E' },
		{ "pattern", required_argument, NULL, 'P' },
		{ "limit", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct str_list srcs = { 0 }, limits = { 0 };
	struct arena a = ARENA_INIT;
	struct inventory inv;
	struct err err = ERR_INIT;
	const char *host = NULL, *pattern = NULL;
	bool list = false, graph = false, export = false;
	int c, rc = EXIT_OK;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "i:l:", lo, NULL)) != -1) {
		switch (c) {
		case 'i': str_list_push(&srcs, optarg); break;
		case 'l': str_list_push(&limits, optarg); break;
		case 'L': list = true; break;
		case 'G': graph = true; break;
		case 'H': host = optarg; break;
		case 'E': export = true; break;
		case 'P': pattern = optarg; break;
		default:
			str_list_release(&srcs);
			str_list_release(&limits);
			return usage();
		}
	}
	if (!list && !graph && host == NULL && pattern == NULL) {
		str_list_release(&srcs);
		str_list_release(&limits);
		return usage();
	}
	if (srcs.n == 0 && access("/etc/ansible/hosts", R_OK) == 0)
		str_list_push(&srcs, "/etc/ansible/hosts");
	if (inv_load(&inv, &a, srcs.v, srcs.n, &err) < 0) {
		err_print(&err);
		rc = EXIT_INPUT;
		goto out;
	}
	if (list) {
		list_json(&inv, export);
	} else if (graph) {
		struct strbuf sb = STRBUF_INIT;
		const char *gname = optind < argc ? argv[optind] : "all";
		struct inv_group *g = inv_find_group(&inv, gname);

		if (g == NULL) {
			fprintf(stderr, "ERROR! Pattern must be valid group "
			    "name when using --graph\n");
			rc = EXIT_INPUT;
		} else {
			graph_group(&inv, g, 0, false, &sb);
			fputs(sb.buf, stdout);
		}
		sb_release(&sb);
	} else if (host != NULL) {
		struct inv_host *h = inv_find_host(&inv, host);
		struct strbuf sb = STRBUF_INIT;

		if (h == NULL) {
			fprintf(stderr, "ERROR! Could not match supplied host "
			    "pattern: %s\n", host);
			rc = EXIT_INPUT;
		} else {
			json_encode(&sb, host_vars_shown(&inv, h, export),
			    &inv_json);
			puts(sb.buf);
		}
		sb_release(&sb);
	} else {
		struct inv_host **hs;
		size_t n, i;

		if (pat_select(&inv, pattern, limits.v, limits.n, &hs, &n,
		    &err) < 0) {
			err_print(&err);
			rc = EXIT_INPUT;
		} else {
			printf("  hosts (%zu):\n", n);
			for (i = 0; i < n; i++)
				printf("    %s\n", hs[i]->name);
			free(hs);
		}
	}
	inv_release(&inv);
out:
	arena_release(&a);
	str_list_release(&srcs);
	str_list_release(&limits);
	return rc;
}
