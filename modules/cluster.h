/*
 * cluster.h: what the cluster modules (kubeadm, kubectl, static_ip) share.
 * Their remote scripts print sections, each opened by a line "@@NAME" or
 * "@@NAME VALUE" (VALUE: usually an exit status), so one command can read,
 * decide on the host and act; the controller reads the sections back.
 * Returned text points into the caller's output buffer or ctx->a.
 */
#ifndef MUSTER_CLUSTER_H
#define MUSTER_CLUSTER_H

#include "module.h"

/*
 * The text of section name (up to the next "@@" line), or NULL if the
 * script never printed it; *value gets what followed the name on its line
 * (or "" ), when value is not NULL.
 */
const char	*clu_section(struct task_ctx *, const struct strbuf *out,
		    const char *name, const char **value);
/* A section's value as an exit status; -1 when absent. */
int		 clu_section_rc(struct task_ctx *, const struct strbuf *out,
		    const char *name);
/* res["diff"]: a file's before and after text, both headed by path. */
void		 clu_diff(struct task_ctx *, struct result *, const char *path,
		    const char *before, size_t blen, const char *after,
		    size_t alen);
/* Fail res with stderr (else stdout, else what) of a failed command. */
int		 clu_fail_output(struct task_ctx *, struct result *,
		    const char *what, const char *out, const char *errtext);
/* Text as a list of lines (no line ends). */
struct value	*clu_lines(struct task_ctx *, const char *text);

#endif
