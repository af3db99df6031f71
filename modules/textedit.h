/*
 * textedit.h: what lineinfile, blockinfile and replace share (the txe_*
 * helpers, implemented in lineinfile.c): Python's re on PCRE2, fetching
 * the target file with what the decision needs, and writing it back
 * atomically with backup, validate and check_file_attrs().
 */
#ifndef MUSTER_MODULES_TEXTEDIT_H
#define MUSTER_MODULES_TEXTEDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "module.h"

struct txe_re;

enum txe_re_flags {
	TXE_RE_BYTES = 1 << 0,		/* a bytes pattern: ASCII, no UTF-8 */
	TXE_RE_MULTILINE = 1 << 1,	/* re.MULTILINE */
	TXE_RE_DOTALL = 1 << 2,		/* re.DOTALL */
};

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

/* Python's re.compile(); NULL with Python's re.error text in *why. */
struct txe_re	*txe_re_compile(struct arena *, const char *pat, size_t n,
		    unsigned flags, const char **why);
/* re.MULTILINE among the compiled flags (set by the caller or "(?m)"). */
bool		 txe_re_multiline(const struct txe_re *);
/* Search s[0..n) from start: 1 found, 0 not, -1 error (*why). */
int		 txe_re_search(struct txe_re *, const char *s, size_t n,
		    size_t start, const char **why);
/* The span of group g of the last match ([0,0) if it did not match). */
void		 txe_re_span(const struct txe_re *, unsigned g, size_t *b,
		    size_t *e);
/* match.expand(tpl) on the last match of s: 0, or -1 with *why. */
int		 txe_re_expand(struct arena *, struct txe_re *, const char *s,
		    const char *tpl, size_t tlen, struct strbuf *out,
		    const char **why);
/* re.subn(re, repl, s): the result in out, *count replacements. */
int		 txe_re_subn(struct arena *, struct txe_re *, const char *s,
		    size_t n, const char *repl, size_t rlen, struct strbuf *out,
		    size_t *count, const char **why);
/* The number of a named group, or -1. */
int		 txe_re_named(const struct txe_re *, const char *name);
/* What Ansible shows when a module raised: exc is "re.error" and so on. */
int		 txe_crash(struct task_ctx *, struct result *, const char *exc,
		    const char *why);
/* A string argument and its length (may hold NULs); NULL if not given. */
const char	*txe_arg(const struct value *args, const char *name,
		    size_t *len);
/* Add a warning to the result, as module.warn() does. */
void		 txe_warn(struct task_ctx *, struct result *, const char *);
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
