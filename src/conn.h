/*
 * conn.h: connections to hosts.  One struct conn per host for the whole
 * run: an SSH session (libssh) opened lazily on first use and reused by every
 * command, or the controller itself for ansible_connection=local.  Modules
 * never touch libssh: they call conn_exec/put/get/stat.
 *
 * Threads: a conn is used by one thread at a time (libssh's rule); the
 * executor guarantees it.  conn_global_init() runs once in main before any
 * thread starts.
 *
 * Errors: every call returns 0 or -1 with err set.  After -1, conn_dead()
 * says whether the host became unreachable (connect, auth, host key, a
 * dropped session, a timeout) as opposed to a command that merely failed
 * (which is not an error at all: it returns 0 with rc != 0).
 */
#ifndef MUSTER_CONN_H
#define MUSTER_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "strbuf.h"

enum hostkey_policy {
	HOSTKEY_STRICT,		/* default: unknown or changed key refused */
	HOSTKEY_ACCEPT_NEW,	/* unknown key added; changed key refused */
	HOSTKEY_OFF,		/* no check at all */
};

struct conn_opts {
	const char	*name;		/* inventory_hostname, for messages */
	const char	*address;	/* ansible_host; NULL: name */
	int		 port;		/* 0: ssh_config or 22 */
	const char	*user;		/* NULL: ssh_config or the local user */
	const char	*identity_file;	/* NULL: agent + ssh_config + defaults */
	const char	*password;	/* ansible_password (rare) */
	const char	*ssh_config;	/* -F; NULL: ~/.ssh/config */
	const char	*known_hosts;	/* NULL: ~/.ssh/known_hosts */
	const char	*proxy_jump;	/* [user@]host[:port], or NULL */
	enum hostkey_policy hostkey;
	bool		 local;		/* ansible_connection=local */
	int		 connect_timeout;	/* seconds, 0: 10 */
	int		 command_timeout;	/* seconds, 0: none */
};

struct become {
	bool		 enabled;
	const char	*method;	/* "sudo" (default) or "su" */
	const char	*user;		/* default "root" */
	const char	*flags;		/* extra become flags, or NULL */
	const char	*password;	/* NULL: sudo -n (no prompt) */
};

struct conn_result {
	int		 rc;		/* exit status; -1 if killed by signal */
	struct strbuf	 out;		/* stdout, capped */
	struct strbuf	 err;		/* stderr, capped */
	double		 start, end;	/* wall clock (epoch seconds) */
};

struct conn_stat {
	bool		 exists;
	bool		 isdir, isreg, islnk;
	mode_t		 mode;		/* permission bits */
	uid_t		 uid;
	gid_t		 gid;
	off_t		 size;
	double		 mtime;
};

struct conn;

int		 conn_global_init(void);
struct conn	*conn_new(const struct conn_opts *);	/* copies opts */
void		 conn_free(struct conn *);		/* closes too */
/*
 * A new, unopened connection with c's settings but another address: a host
 * whose address a task changes (static_ip) is checked there on a new session.
 */
struct conn	*conn_new_at(const struct conn *c, const char *address);
/* The address it connects to (ansible_host, else the name). */
const char	*conn_address(const struct conn *);
int		 conn_open(struct conn *, struct err *);	/* idempotent */
void		 conn_close(struct conn *);
bool		 conn_dead(const struct conn *);
const char	*conn_name(const struct conn *);

void		 conn_result_init(struct conn_result *);
void		 conn_result_release(struct conn_result *);

/*
 * Run a shell command line (run by /bin/sh -c on the target; build it with
 * sh_quote()), wrapped for become when b->enabled, with stdin_data fed to
 * it (may be NULL).  Fills res; output beyond a cap (64 MiB) is cut.
 */
int		 conn_exec(struct conn *, const char *cmd,
		    const struct become *b, const void *stdin_data,
		    size_t stdin_len, struct conn_result *res, struct err *);
/*
 * Write data to path atomically: a temporary file in the same directory,
 * then rename.  mode < 0 keeps the existing file's mode (0644 if new);
 * owner and group of an existing file are kept.  With become, the file is
 * written as the become user.
 */
int		 conn_put(struct conn *, const char *path, const void *data,
		    size_t len, int mode, const struct become *b,
		    struct err *);
/* Read a whole remote file (up to max bytes; more is an error). */
int		 conn_get(struct conn *, const char *path, struct strbuf *out,
		    size_t max, const struct become *b, struct err *);
/* st->exists false (and 0 returned) when the path does not exist. */
int		 conn_stat(struct conn *, const char *path, struct conn_stat *st,
		    const struct become *b, struct err *);

#endif
