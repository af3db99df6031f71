/*
 * textedit.h: what lineinfile, blockinfile and replace share (the txe_*
 * helpers, implemented in lineinfile.c): fetching the target file with
 * what the decision needs, and writing it back atomically with backup,
 * validate and check_file_attrs().  Their regular expressions are Python's
 * re of src/pyre.h.
 */
#ifndef MUSTER_MODULES_TEXTEDIT_H
#define MUSTER_MODULES_TEXTEDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "module.h"
#include "pyre.h"

/* The names wait_for.c still uses for pyre.h's (to go with its next edit). */
#define txe_re			pyre
#define TXE_RE_BYTES		PYRE_BYTES
#define TXE_RE_MULTILINE	PYRE_MULTILINE
#define txe_re_compile		pyre_compile
#define txe_re_span		pyre_span

static inline int
txe_re_search(struct pyre *re, const char *s, size_t n, size_t start,
    const char **why)
{
	return pyre_search(re, s, n, start, PYRE_SEARCH, why);
}

/* The target file as txe_fetch() found it. */
struct txe_file {
	const char		*path;		/* as given, for messages */
	bool			 exists;	/* a file, or a link to one */
	bool			 isdir;
	char			*data;		/* contents (NUL-terminated) */
	size_t			 len;
	struct txe_where	*w;		/* the rest: lineinfile.c's */
};

/* What txe_commit() does after a module decided on the new contents. */
struct txe_commit {
	const char	*data;		/* in: the new contents */
	size_t		 len;
	bool		 write;		/* in: they differ: write them */
	bool		 backup;	/* in: back the old file up first */
	bool		 changed;	/* in/out: check_file_attrs() may set */
	const char	*msg;		/* in/out: "... and ownership, ..." */
	const char	*backup_file;	/* out: the backup made, or NULL */
	struct value	*attr_diff;	/* out: {before: {...}, after: {...}} */
};

/* What Ansible shows when a module raised: exc is "re.error" and so on. */
int		 txe_crash(struct task_ctx *, struct result *, const char *exc,
		    const char *why);
/* A string argument and its length (may hold NULs); NULL if not given. */
const char	*txe_arg(const struct value *args, const char *name,
		    size_t *len);
/*
 * Read the file and what is needed to decide: 0 (res->failed set if the
 * task failed), or -1 when the host is unreachable.
 */
int		 txe_fetch(struct task_ctx *, const struct value *args,
		    struct txe_file *, struct result *, struct err *);
/* os.makedirs() of the file's directory, unless check mode. */
int		 txe_mkparent(struct task_ctx *, struct txe_file *,
		    struct result *, struct err *);
/*
 * Write the new contents (backup and validate as asked, unless check
 * mode), then check_file_attrs(): owner, group and mode.  0 (res->failed
 * set if the task failed), or -1 when the host is unreachable.
 */
int		 txe_commit(struct task_ctx *, const struct value *args,
		    struct txe_file *, struct txe_commit *, struct result *,
		    struct err *);

#endif
