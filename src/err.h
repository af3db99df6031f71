/*
 * err.h: error reports.  Functions return 0 or -1 (or NULL) and put the
 * details into a caller-owned struct err: a message and the position it is
 * about.  Messages are lowercase, no full stop, the subject quoted:
 *   site.yml:12:5: unknown argument 'pth' for module 'file'
 * struct pos is the place of a value in its source (file:line:col, 1-based);
 * file is a string that outlives the value (interned for the run).
 */
#ifndef MUSTER_ERR_H
#define MUSTER_ERR_H

#include <stdarg.h>

struct pos {
	const char	*file;		/* NULL: no position */
	unsigned	 line;
	unsigned	 col;
};

#define ERR_MSG_MAX 2048

struct err {
	int		 set;
	struct pos	 pos;
	char		 msg[ERR_MSG_MAX];	/* without the position */
};

#define ERR_INIT { 0, { 0, 0, 0 }, { 0 } }

void	 err_init(struct err *);
/* Record an error at pos (may be NULL) and return -1. */
int	 err_set(struct err *, const struct pos *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	 err_vset(struct err *, const struct pos *, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
/* Prefix the message with more context ("in task 'x': ..."). */
void	 err_prefix(struct err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Set the position if the error has none yet. */
void	 err_locate(struct err *, const struct pos *);
/* "file:line:col: msg" (or just msg) into buf; returns buf. */
const char *err_format(const struct err *, char *buf, unsigned size);
/* Print "ERROR! file:line:col: msg" to stderr. */
void	 err_print(const struct err *);

#endif
