/*
 * strbuf.h: a growable string (git's strbuf).  buf is never NULL and always
 * NUL-terminated, so sb.buf can be handed to any C string function.  The
 * owner calls sb_release() (or takes the buffer with sb_detach()).
 */
#ifndef MUSTER_STRBUF_H
#define MUSTER_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char	*buf;
	size_t	 len;
	size_t	 alloc;		/* 0 while buf points at the shared empty string */
};

extern char sb_empty[];
#define STRBUF_INIT { sb_empty, 0, 0 }

void	 sb_init(struct strbuf *);
void	 sb_release(struct strbuf *);
void	 sb_reset(struct strbuf *);		/* len = 0, keep memory */
char	*sb_detach(struct strbuf *, size_t *);	/* malloc'd, caller frees */
void	 sb_grow(struct strbuf *, size_t extra);
void	 sb_add(struct strbuf *, const void *, size_t);
void	 sb_adds(struct strbuf *, const char *);
void	 sb_addch(struct strbuf *, int);
void	 sb_addf(struct strbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 sb_vaddf(struct strbuf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	 sb_setlen(struct strbuf *, size_t);
/* Append code point cp as UTF-8. */
void	 sb_addutf8(struct strbuf *, unsigned long cp);
/* Remove trailing whitespace. */
void	 sb_rtrim(struct strbuf *);

#endif
