/*
 * pyre.h: Python's re on top of PCRE2, for the template engine's regex
 * filters and tests (src/template/filters_ext.c) and the modules that edit
 * text (lineinfile, blockinfile, replace, wait_for).
 *
 * A pattern is translated where the two dialects differ (\Z, \u, \U, \v,
 * octal and group escapes, {,n}, '[' inside a class, the (?a) (?u) (?L)
 * flags, Python's wider \s) and what Python rejects is rejected with
 * Python's re.error text and position ("bad escape \q at position 0").  A
 * str pattern matches UTF-8 text with Unicode classes; a bytes pattern
 * (PYRE_BYTES) matches byte by byte with ASCII classes.  After an empty
 * match the next one must not be empty at the same place, Python 3.7's
 * rule for sub() and finditer().  Text that is not valid UTF-8 is matched
 * too: its stray bytes match nothing.
 *
 * Memory: the compiled pattern lives in the arena given to pyre_compile(),
 * PCRE2's memory included, so nothing needs freeing; with PYRE_HEAP it
 * comes from malloc instead and pyre_free() releases it (for callers whose
 * arena outlives many patterns).  Messages (*why) always live in the
 * arena; replacement templates and results of pyre_tpl_parse() too.
 * A compiled pattern belongs to one thread at a time (its match data).
 */
#ifndef MUSTER_PYRE_H
#define MUSTER_PYRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "strbuf.h"

struct pyre;
struct pyre_tpl;

enum pyre_flags {
	PYRE_BYTES = 1 << 0,		/* a bytes pattern: ASCII, no UTF-8 */
	PYRE_MULTILINE = 1 << 1,	/* re.MULTILINE */
	PYRE_DOTALL = 1 << 2,		/* re.DOTALL */
	PYRE_IGNORECASE = 1 << 3,	/* re.IGNORECASE */
	PYRE_HEAP = 1 << 4,		/* PCRE2's memory from malloc */
};

/* How pyre_search() matches: re.search(), re.match(), re.fullmatch(). */
enum pyre_how {
	PYRE_SEARCH,
	PYRE_MATCH,
	PYRE_FULLMATCH,
};

/* Python's finditer() over s[0..n): start with { s, n } and the rest 0. */
struct pyre_iter {
	const char	*s;
	size_t		 n;
	size_t		 pos;		/* where the next match may start */
	bool		 must_advance;	/* the last match was empty */
	bool		 done;
	int		 utf8;		/* 0 not checked yet, 1 valid, -1 not */
};

/* re.compile(); NULL with Python's re.error text in *why. */
struct pyre	*pyre_compile(struct arena *, const char *pat, size_t n,
		    unsigned flags, const char **why);
/* With PYRE_HEAP, release PCRE2's memory; otherwise (or NULL) nothing. */
void		 pyre_free(struct pyre *);
/* The number of capturing groups. */
unsigned	 pyre_groups(const struct pyre *);
/* The number of a named group, or -1. */
int		 pyre_named(const struct pyre *, const char *name);
/* re.MULTILINE among the compiled flags (given, or a global "(?m)"). */
bool		 pyre_multiline(const struct pyre *);
/* Match s[0..n) from start: 1 found, 0 not, -1 error (*why). */
int		 pyre_search(struct pyre *, const char *s, size_t n,
		    size_t start, enum pyre_how, const char **why);
/* The next match of the iteration: 1, 0 when there is none, -1 error. */
int		 pyre_next(struct pyre *, struct pyre_iter *, const char **why);
/*
 * The span of group g of the last match: false, and [0,0), when the group
 * did not take part in it.
 */
bool		 pyre_span(const struct pyre *, unsigned g, size_t *b,
		    size_t *e);
/*
 * A replacement template (Python's re._parser.parse_template: "\1",
 * "\g<name>", "\n"...); NULL with Python's re.error text in *why.
 */
struct pyre_tpl	*pyre_tpl_parse(struct arena *, const struct pyre *,
		    const char *r, size_t n, const char **why);
/* Append the template expanded for the last match of s (match.expand()). */
void		 pyre_tpl_expand(const struct pyre_tpl *, const struct pyre *,
		    const char *s, struct strbuf *out);
/* match.expand(tpl) on the last match of s: 0, or -1 with *why. */
int		 pyre_expand(struct arena *, struct pyre *, const char *s,
		    const char *tpl, size_t tlen, struct strbuf *out,
		    const char **why);
/*
 * re.subn(re, tpl, s, count): the result appended to out, *done the number
 * of replacements; count 0 replaces all, a negative one none.  0, or -1
 * with *why.
 */
int		 pyre_sub(struct pyre *, const struct pyre_tpl *,
		    const char *s, size_t n, int64_t count, struct strbuf *out,
		    size_t *done, const char **why);
/* pyre_tpl_parse() and pyre_sub() in one. */
int		 pyre_subn(struct arena *, struct pyre *, const char *s,
		    size_t n, const char *repl, size_t rlen, int64_t count,
		    struct strbuf *out, size_t *done, const char **why);

/*
 * UTF-8 as Python decodes it with surrogateescape: a stray byte b is
 * U+DC00 + b.  The code point at s[*i] (*i moves past it), and the number
 * of code points in s[0..n) (Python's len()).
 */
uint32_t	 pyre_utf8_next(const char *s, size_t n, size_t *i);
size_t		 pyre_utf8_len(const char *s, size_t n);

#endif
