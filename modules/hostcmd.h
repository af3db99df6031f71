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
/* Append a warning to res["warnings"], as Ansible's module.warn(). */
void		 hc_warn(struct task_ctx *, struct result *, const char *msg);
/*
 * Shell text that replaces path with the script's stdin atomically: a
 * temporary file in the same directory, the old file's owner and mode (or
 * mode for a new file), then rename.  Sets rc on failure.
 */
void		 hc_put_stdin(struct strbuf *, const char *path, int mode);
/* Python's str.strip() of a length-counted string, as a new string. */
char		*hc_strip(struct task_ctx *, const char *s, size_t n);

#endif
