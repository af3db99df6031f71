/*
 * hostcmd.h: helpers shared by the service and kernel modules (systemd,
 * service, sysctl, modprobe, mount, hostname).  Their remote scripts print
 * "@tag rest" marker lines between plain output; hc_section() finds what
 * follows a marker.  Everything is allocated in ctx->a.
 */
#ifndef MUSTER_HOSTCMD_H
#define MUSTER_HOSTCMD_H

#include "module.h"
#include "shell.h"

/*
 * Run script on the host (with become); 0 with cr filled (cr released by
 * the caller), or -1 when the host is unreachable (res marked, err set).
 */
int		 hc_exec(struct task_ctx *, const char *script, const char *in,
		    size_t inlen, struct conn_result *cr, struct err *);
/*
 * The text after the line "@tag..." up to the next "@" marker line (NULL
 * when the marker is missing); *rest gets the rest of the marker line.
 */
const char	*hc_section(struct task_ctx *, const char *out,
		    const char *tag, const char **rest);
/*
 * Everything after the line "@tag" to the end of out (a file's contents,
 * which may hold anything: scripts print it last), or NULL.
 */
const char	*hc_tail(const char *out, const char *tag);
/* Whether a marker line "@tag..." is present. */
bool		 hc_has(const char *out, const char *tag);
/*
 * A failed result as Ansible's fail_json(msg=...) leaves it: the message
 * (and warnings), changed false, nothing else the module had set.
 */
void		 hc_fail_only(struct task_ctx *, struct result *);
/* res_warn() (module.h), under the name its callers still use. */
void		 hc_warn(struct task_ctx *, struct result *, const char *msg);
/*
 * Shell text that replaces path with the script's stdin atomically: a
 * temporary file in the same directory, the old file's owner and mode (or
 * mode for a new file), then rename.  Sets rc on failure.
 */
void		 hc_put_stdin(struct strbuf *, const char *path, int mode);
/* Python's str.strip() of a length-counted string, as a new string. */
char		*hc_strip(struct task_ctx *, const char *s, size_t n);

/*
 * Like hc_put_stdin(), but for the next len bytes of stdin only (several
 * files from one stdin), and with follow a symbolic link at path is kept:
 * its target is replaced, as Python's open(path, 'w') writes through it.
 */
void		 hc_put_stdin_part(struct strbuf *, const char *path,
		    size_t len, int mode, bool follow);

/*
 * Shell text defining hc_cap (and hc_pyexp, see hc_arg()): "hc_cap TAG
 * CMD [ARG...]" runs CMD with
 * stdout and stderr kept apart, then prints "@TAG RC OUTLEN ERRLEN" and
 * both outputs, as Ansible's run_command() returns (rc, out, err); the
 * script can look at the stderr in $hc_err.
 */
extern const char hc_cap_fn[];
/*
 * Append arg to a command line of a script that has hc_cap_fn, as
 * Ansible's run_command() passes it: os.path.expanduser() and
 * os.path.expandvars() with the host's environment ("$HOME/x", "~user").
 */
void		 hc_arg(struct strbuf *, const char *arg);
/*
 * The captured run of hc_cap TAG in out: true with *rc, *o and *e set
 * (NUL-ended copies), or false when the marker is missing.
 */
bool		 hc_captured(struct task_ctx *, const char *out,
		    const char *tag, int *rc, const char **o, const char **e);

/* One line of a text file as Python's text mode reads it. */
struct hc_line {
	const char	*s;	/* the line without its end, NUL-ended */
	size_t		 len;
	bool		 nl;	/* it had an end ("\n", "\r\n" or "\r") */
};
/*
 * Python's readlines() with universal newlines: every "\r\n" and lone
 * "\r" ends a line as "\n" does.  Returns the count; *lines in ctx->a.
 */
size_t		 hc_lines(struct task_ctx *, const char *text, size_t len,
		    struct hc_line **lines);

/*
 * Python's str(OSError) for an error that a shell tool reported as
 * "...: STRERROR": "[Errno N] STRERROR: 'PATH'" (b'PATH' for a bytes path).
 */
const char	*hc_oserror(struct task_ctx *, const char *tool_msg,
		    const char *path, bool bytes);

#endif
