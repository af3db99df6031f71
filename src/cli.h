/*
 * cli.h: the command line.  cli_main() parses argv, dispatches to a
 * subcommand (a table of struct cli_cmd, as git's commands[]) or to the
 * playbook/ad-hoc runners, and returns the process exit code (Ansible's:
 * 0 ok, 1 bad input, 2 a host failed, 4 unreachable, 99 interrupted).
 */
#ifndef MUSTER_CLI_H
#define MUSTER_CLI_H

enum exit_code {
	EXIT_OK = 0,
	EXIT_INPUT = 1,
	EXIT_FAILED = 2,
	EXIT_UNREACHABLE = 4,
	EXIT_INTERRUPTED = 99,
};

struct cli_cmd {
	const char	*name;
	const char	*summary;
	int		(*run)(int argc, char **argv);
};

int	cli_main(int argc, char **argv);

/* Subcommands (cmd_*.c). */
int	cmd_inventory(int argc, char **argv);
int	cmd_template(int argc, char **argv);

#endif
