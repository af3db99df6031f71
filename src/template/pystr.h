/*
 * pystr.h: Python's str behaviour on UTF-8 text, for the template engine:
 * indexing by code point, case mapping, split/strip, %-formatting and
 * str.format(), so that templates print what Jinja2 prints.
 */
#ifndef MUSTER_TEMPLATE_PYSTR_H
#define MUSTER_TEMPLATE_PYSTR_H

#include <stdbool.h>
#include <stddef.h>

#include "../value.h"

/* Code points in s (invalid bytes count one each). */
size_t	 u8_len(const char *s, size_t n);
/* Byte offset of code point idx (n if idx is past the end). */
size_t	 u8_off(const char *s, size_t n, size_t idx);
/* Decode one code point at s (n > 0); returns its byte length. */
size_t	 u8_decode(const char *s, size_t n, unsigned long *cp);
void	 u8_encode(struct strbuf *, unsigned long cp);

enum py_case { PY_LOWER, PY_UPPER, PY_CAPITALIZE, PY_TITLE, PY_SWAPCASE };
void	 py_case(struct strbuf *, const char *s, size_t n, enum py_case);
bool	 py_isspace(unsigned long cp);

/* str.strip(chars): which 1 left, 2 right, 3 both; chars NULL: whitespace */
void	 py_strip(const char *s, size_t n, const char *chars, size_t nchars,
	    int which, size_t *b, size_t *e);
/* str.split(sep, maxsplit) (sep NULL: runs of whitespace); a list. */
struct value *py_split(struct arena *, const char *s, size_t n,
	    const char *sep, size_t nsep, long maxsplit, bool right);
struct value *py_splitlines(struct arena *, const char *s, size_t n,
	    bool keepends);
/* str.replace(old, new, count) (count < 0: all). */
void	 py_replace(struct strbuf *, const char *s, size_t n, const char *old,
	    size_t nold, const char *new, size_t nnew, long count);
/* str.find(): code point index or -1. */
long	 py_find(const char *s, size_t n, const char *sub, size_t nsub,
	    bool right);

/* fmt % args (args: a tuple/list for several, a dict for %(name)s). */
int	 py_percent(struct strbuf *, const char *fmt, size_t n,
	    const struct value *args, struct err *);
/* fmt.format(*args, **kwargs). */
int	 py_format(struct strbuf *, const char *fmt, size_t n,
	    struct value **args, size_t nargs, const char **kwnames,
	    struct value **kwargs, size_t nkw, struct err *);
/* format(value, spec): the format-spec mini-language. */
int	 py_format_spec(struct strbuf *, const struct value *,
	    const char *spec, size_t n, struct err *);

#endif
