#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"
#include "util.h"

void
str_list_push(struct str_list *l, const char *s)
{
	l->v = xgrow(l->v, l->n + 1, &l->alloc, sizeof(*l->v));
	l->v[l->n++] = s;
}

void
str_list_release(struct str_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

enum {
	OPT_FOLD = 256,
	OPT_NO_FOLD,
	OPT_BECOME_USER,
	OPT_BECOME_METHOD,
	OPT_LIST_HOSTS,
	OPT_LIST_TASKS,
	OPT_LIST_TAGS,
	OPT_SYNTAX_CHECK,
	OPT_START_AT,
	OPT_SKIP_TAGS,
	OPT_TAGS,
	OPT_PRIVATE_KEY,
	OPT_HOST_KEY_CHECKING,
	OPT_TREE,
	OPT_TASK_TIMEOUT,
	OPT_STEP,
	OPT_JOURNAL,
};

static const struct option long_opts[] = {
	{ "inventory", required_argument, NULL, 'i' },
	{ "inventory-file", required_argument, NULL, 'i' },
	{ "limit", required_argument, NULL, 'l' },
	{ "extra-vars", required_argument, NULL, 'e' },
	{ "forks", required_argument, NULL, 'f' },
	{ "user", required_argument, NULL, 'u' },
	{ "become", no_argument, NULL, 'b' },
	{ "become-user", required_argument, NULL, OPT_BECOME_USER },
	{ "become-method", required_argument, NULL, OPT_BECOME_METHOD },
	{ "verbose", no_argument, NULL, 'v' },
	{ "check", no_argument, NULL, 'C' },
	{ "diff", no_argument, NULL, 'D' },
	{ "module-name", required_argument, NULL, 'm' },
	{ "args", required_argument, NULL, 'a' },
	{ "one-line", no_argument, NULL, 'o' },
	{ "fold", no_argument, NULL, OPT_FOLD },
	{ "no-fold", no_argument, NULL, OPT_NO_FOLD },
	{ "tree", required_argument, NULL, OPT_TREE },
	{ "connection", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "task-timeout", required_argument, NULL, OPT_TASK_TIMEOUT },
	{ "private-key", required_argument, NULL, OPT_PRIVATE_KEY },
	{ "key-file", required_argument, NULL, OPT_PRIVATE_KEY },
	{ "ssh-config", required_argument, NULL, 'F' },
	{ "host-key-checking", required_argument, NULL, OPT_HOST_KEY_CHECKING },
	{ "list-hosts", no_argument, NULL, OPT_LIST_HOSTS },
	{ "list-tasks", no_argument, NULL, OPT_LIST_TASKS },
	{ "list-tags", no_argument, NULL, OPT_LIST_TAGS },
	{ "syntax-check", no_argument, NULL, OPT_SYNTAX_CHECK },
	{ "start-at-task", required_argument, NULL, OPT_START_AT },
	{ "tags", required_argument, NULL, OPT_TAGS },
	{ "skip-tags", required_argument, NULL, OPT_SKIP_TAGS },
	{ "step", no_argument, NULL, OPT_STEP },
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ NULL, 0, NULL, 0 },
};

void
opts_usage(void)
{
	fputs(
"usage: muster [-i INVENTORY] PLAYBOOK.yml [options]\n"
"       muster PATTERN [-i INVENTORY] [-m MODULE] -a ARGS [options]\n"
"       muster inventory -i INVENTORY --list|--graph|--host HOST\n"
"\n"
"  -i, --inventory FILE|DIR   inventory source (repeatable)\n"
"  -l, --limit PATTERN        further limit the hosts (@file: one a line)\n"
"  -e, --extra-vars k=v|@FILE|JSON  extra variables (repeatable)\n"
"  -f, --forks N              hosts worked on at once (default: all, <= 256)\n"
"  -u, --user USER            remote user\n"
"  -b, --become               run with sudo (--become-user, --become-method)\n"
"  -C, --check  -D, --diff    dry run; show changes\n"
"  -v                         more output (repeatable)\n"
"  -m MODULE  -a ARGS         ad-hoc: module (default command) and arguments\n"
"  -o, --one-line             ad-hoc: one line a host\n"
"  --fold / --no-fold         ad-hoc: fold identical results (default) or\n"
"                             print Ansible's per-host format\n"
"  -t DIR                     ad-hoc: write one result file a host (--tree)\n"
"  -t, --tags / --skip-tags   playbook: run only / skip tagged tasks\n"
"  -c, --connection local|ssh -T, --timeout SECONDS (connect)\n"
"  --private-key FILE  -F, --ssh-config FILE\n"
"  --host-key-checking yes|accept-new|off   (default yes)\n"
"  --list-hosts --list-tasks --list-tags --syntax-check --start-at-task T\n"
"  --journal FILE             playbook: every event as a JSON line in FILE\n"
"                             (also MUSTER_JOURNAL=FILE)\n",
	    stdout);
}

static int
parse_uint(const char *s, const char *what, unsigned *out, struct err *err)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 0 || n > 100000)
		return err_set(err, NULL, "invalid %s '%s'", what, s);
	*out = (unsigned)n;
	return 0;
}

int
opts_parse(struct run_opts *o, int argc, char **argv, struct err *err)
{
	const char *env;
	unsigned u;
	int c, i;

	memset(o, 0, sizeof(*o));
	o->hostkey = HOSTKEY_STRICT;
	env = getenv("ANSIBLE_HOST_KEY_CHECKING");
	if (env != NULL && (strcasecmp(env, "false") == 0 ||
	    strcmp(env, "0") == 0 || strcasecmp(env, "no") == 0))
		o->hostkey = HOSTKEY_OFF;
	o->journal = getenv("MUSTER_JOURNAL");
	o->stdout_callback = getenv("ANSIBLE_STDOUT_CALLBACK");
	/* Ad-hoc mode is decided before parsing: -t means --tree there. */
	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "-m", 2) == 0 ||
		    strncmp(argv[i], "-a", 2) == 0 ||
		    strncmp(argv[i], "--module-name", 13) == 0 ||
		    strncmp(argv[i], "--args", 6) == 0)
			o->adhoc = true;
	optind = 1;
	opterr = 0;
	for (;;) {
		/* Options may come before or after the pattern or playbook. */
		while (optind < argc && (argv[optind][0] != '-' ||
		    argv[optind][1] == '\0'))
			str_list_push(&o->args, argv[optind++]);
		if (optind >= argc)
			break;
		c = getopt_long(argc, argv, "+:i:l:e:f:u:bvCDm:a:ot:c:T:F:hK",
		    long_opts, NULL);
		if (c == -1) {
			/* "--": everything after it is positional. */
			while (optind < argc)
				str_list_push(&o->args, argv[optind++]);
			break;
		}
		switch (c) {
		case 'i': str_list_push(&o->inventories, optarg); break;
		case 'l': str_list_push(&o->limits, optarg); break;
		case 'e': str_list_push(&o->extra_vars, optarg); break;
		case 'f':
			if (parse_uint(optarg, "forks", &o->forks, err) < 0)
				return -1;
			break;
		case 'u': o->remote_user = optarg; break;
		case 'b': o->become = true; break;
		case OPT_BECOME_USER: o->become_user = optarg; break;
		case OPT_BECOME_METHOD: o->become_method = optarg; break;
		case 'v': o->verbosity++; break;
		case 'C': o->check = true; break;
		case 'D': o->diff = true; break;
		case 'm': o->module_name = optarg; o->adhoc = true; break;
		case 'a': o->module_args = optarg; o->adhoc = true; break;
		case 'o': o->one_line = true; break;
		case OPT_FOLD: o->fold = FOLD_ON; break;
		case OPT_NO_FOLD: o->fold = FOLD_OFF; break;
		case OPT_TREE: o->tree = optarg; break;
		case 't':
			if (o->adhoc)
				o->tree = optarg;
			else
				str_list_push(&o->tags, optarg);
			break;
		case OPT_TAGS: str_list_push(&o->tags, optarg); break;
		case OPT_SKIP_TAGS: str_list_push(&o->skip_tags, optarg); break;
		case 'c': o->connection = optarg; break;
		case 'T':
			if (parse_uint(optarg, "timeout", &u, err) < 0)
				return -1;
			o->timeout = (int)u;
			break;
		case OPT_TASK_TIMEOUT:
			if (parse_uint(optarg, "task timeout", &u, err) < 0)
				return -1;
			o->task_timeout = (int)u;
			break;
		case OPT_PRIVATE_KEY: o->private_key = optarg; break;
		case 'F': o->ssh_config = optarg; break;
		case OPT_HOST_KEY_CHECKING:
			if (strcmp(optarg, "accept-new") == 0)
				o->hostkey = HOSTKEY_ACCEPT_NEW;
			else if (strcmp(optarg, "off") == 0 ||
			    strcmp(optarg, "no") == 0 ||
			    strcmp(optarg, "false") == 0)
				o->hostkey = HOSTKEY_OFF;
			else if (strcmp(optarg, "yes") == 0 ||
			    strcmp(optarg, "strict") == 0 ||
			    strcmp(optarg, "true") == 0)
				o->hostkey = HOSTKEY_STRICT;
			else
				return err_set(err, NULL, "invalid "
				    "--host-key-checking '%s' (yes, accept-new "
				    "or off)", optarg);
			break;
		case OPT_LIST_HOSTS: o->list_hosts = true; break;
		case OPT_LIST_TASKS: o->list_tasks = true; break;
		case OPT_LIST_TAGS: o->list_tags = true; break;
		case OPT_SYNTAX_CHECK: o->syntax_check = true; break;
		case OPT_START_AT: o->start_at_task = optarg; break;
		case OPT_STEP: o->step = true; break;
		case OPT_JOURNAL: o->journal = optarg; break;
		case 'K':
			return err_set(err, NULL, "-K (ask for the become "
			    "password) is not supported: use "
			    "ansible_become_password or passwordless sudo");
		case 'h':
			opts_usage();
			exit(0);
		case ':':
			return err_set(err, NULL, "option '%s' needs a value",
			    argv[optind - 1]);
		default:
			return err_set(err, NULL, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	return 0;
}

void
opts_release(struct run_opts *o)
{
	str_list_release(&o->inventories);
	str_list_release(&o->limits);
	str_list_release(&o->extra_vars);
	str_list_release(&o->tags);
	str_list_release(&o->skip_tags);
	str_list_release(&o->args);
}
