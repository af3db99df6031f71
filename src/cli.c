#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "adhoc.h"
#include "cli.h"
#include "conn.h"
#include "exec.h"
#include "json.h"
#include "options.h"
#include "util.h"
#include "yaml_load.h"

static int
cmd_version(int argc, char **argv)
{
	puts("muster 0.1.0");
	return EXIT_OK;
}

/* A playbook is a file that exists, or a name ending in .yml/.yaml. */
static bool
looks_like_playbook(const char *arg)
{
	size_t n = strlen(arg);
	struct stat st;

	if (n > 4 && (strcmp(arg + n - 4, ".yml") == 0 ||
	    (n > 5 && strcmp(arg + n - 5, ".yaml") == 0)))
		return true;
	return stat(arg, &st) == 0 && S_ISREG(st.st_mode);
}

/* muster __yaml FILE: the file as JSON, for differential tests. */
static int
cmd_yaml(int argc, char **argv)
{
	struct arena a = ARENA_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct err err = ERR_INIT;
	struct value *v;
	int i;

	for (i = 1; i < argc; i++) {
		v = yaml_load_file(&a, argv[i], &err);
		if (v == NULL) {
			err_print(&err);
			arena_release(&a);
			return EXIT_INPUT;
		}
		sb_reset(&sb);
		json_encode(&sb, v, NULL);
		puts(sb.buf);
	}
	sb_release(&sb);
	arena_release(&a);
	return EXIT_OK;
}

/* Subcommands; anything else is a playbook or an ad-hoc pattern. */
static const struct cli_cmd cli_cmds[] = {
	{ "inventory", "show the inventory (--list, --graph, --host)",
	    cmd_inventory },
	{ "version", "print the version", cmd_version },
	{ "__yaml", NULL, cmd_yaml },
	{ "__template", NULL, cmd_template },
	{ NULL, NULL, NULL },
};

/* A playbook run or an ad-hoc command, by Ansible's options. */
static int
run_main(int argc, char **argv)
{
	struct run_opts o;
	struct err err = ERR_INIT;
	int rc;

	if (opts_parse(&o, argc, argv, &err) < 0) {
		err_print(&err);
		opts_release(&o);
		return EXIT_INPUT;
	}
	if (conn_global_init() < 0) {
		fputs("ERROR! cannot initialise libssh\n", stderr);
		opts_release(&o);
		return EXIT_INPUT;
	}
	if (!o.adhoc && o.args.n > 1 && looks_like_playbook(o.args.v[0])) {
		/* ansible-playbook a.yml b.yml: not yet; say so plainly */
		fprintf(stderr, "ERROR! muster runs one playbook at a time, got "
		    "%zu ('%s', '%s'%s): run them one after the other, or "
		    "gather them in one playbook with import_playbook\n",
		    (size_t)o.args.n, o.args.v[0], o.args.v[1],
		    o.args.n > 2 ? ", ..." : "");
		rc = EXIT_INPUT;
	} else if (o.adhoc || o.args.n != 1 ||
	    !looks_like_playbook(o.args.v[0]))
		rc = adhoc_main(&o);
	else {
		struct events ev;

		if (ev_open(&ev, &o, &err) < 0) {
			err_print(&err);
			opts_release(&o);
			return EXIT_INPUT;
		}
		rc = playbook_main(&o, o.args.v[0], &ev);
		ev_release(&ev);
	}
	opts_release(&o);
	return rc;
}

static void
usage(FILE *f)
{
	const struct cli_cmd *c;

	fputs("usage: muster [-i INVENTORY] PLAYBOOK.yml [options]\n"
	    "       muster PATTERN -i INVENTORY [-m MODULE] -a ARGS\n", f);
	for (c = cli_cmds; c->name != NULL; c++)
		if (c->summary != NULL)
			fprintf(f, "       muster %-10s %s\n", c->name,
			    c->summary);
}

int
cli_main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_INPUT : EXIT_OK;
	}
	for (c = cli_cmds; c->name != NULL; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
	return run_main(argc, argv);
}
