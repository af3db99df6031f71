/*
 * options.h: the command line as Ansible users type it, for both
 * `muster PLAYBOOK.yml` and `muster PATTERN -m MODULE -a ARGS`.  opts_parse()
 * fills a struct run_opts whose strings point into argv (never freed);
 * lists are malloc'd arrays owned by the struct (opts_release()).
 */
#ifndef MUSTER_OPTIONS_H
#define MUSTER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"
#include "err.h"

struct str_list {
	const char	**v;
	size_t		  n;
	size_t		  alloc;
};

void	str_list_push(struct str_list *, const char *);
void	str_list_release(struct str_list *);

enum fold_mode {
	FOLD_AUTO,		/* fold unless -o */
	FOLD_ON,
	FOLD_OFF,
};

struct run_opts {
	struct str_list	 inventories;	/* -i, in order */
	struct str_list	 limits;	/* -l, each a pattern or @file */
	struct str_list	 extra_vars;	/* -e, raw text */
	struct str_list	 tags;		/* -t/--tags (playbook) */
	struct str_list	 skip_tags;
	unsigned	 forks;		/* 0: default */
	const char	*remote_user;	/* -u */
	bool		 become;	/* -b */
	const char	*become_user;
	const char	*become_method;
	int		 verbosity;	/* -v count */
	bool		 check;		/* -C */
	bool		 diff;		/* -D */

	/* ad-hoc */
	const char	*module_name;	/* -m */
	const char	*module_args;	/* -a */
	bool		 one_line;	/* -o */
	enum fold_mode	 fold;
	const char	*tree;		/* -t DIR in ad-hoc mode */

	/* connection */
	const char	*connection;	/* -c local|ssh */
	int		 timeout;	/* -T connect timeout */
	int		 task_timeout;	/* --task-timeout */
	const char	*private_key;	/* --private-key */
	const char	*ssh_config;	/* -F */
	enum hostkey_policy hostkey;

	/* playbook */
	bool		 list_hosts;
	bool		 list_tasks;
	bool		 list_tags;
	bool		 syntax_check;
	const char	*start_at_task;
	bool		 step;

	/* output */
	const char	*journal;	/* --journal, or MUSTER_JOURNAL */
	const char	*stdout_callback;	/* ANSIBLE_STDOUT_CALLBACK */

	/* what is left: PLAYBOOK(s) or PATTERN */
	struct str_list	 args;
	bool		 adhoc;		/* -m or -a given */
};

/* 0, or -1 with err set for bad usage. */
int	opts_parse(struct run_opts *, int argc, char **argv, struct err *);
void	opts_release(struct run_opts *);
void	opts_usage(void);

#endif
