/*
 * util.h: allocation that never fails (out of memory aborts, as in tmux and
 * redis), fatal errors for the CLI before a run starts, and BUG() for broken
 * invariants.  Everything returned by x*() is owned by the caller and freed
 * with free().
 */
#ifndef MUSTER_UTIL_H
#define MUSTER_UTIL_H

#include <stddef.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
/* Grow *p (an array of elemsz-sized items with *alloc slots) to hold n. */
void	*xgrow(void *p, size_t n, size_t *alloc, size_t elemsz);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Only the CLI calls die(), before any worker thread exists. */
void	 die(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Warnings go to stderr as "[WARNING]: ..." like Ansible's. */
void	 warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Levenshtein distance (99 for long strings). */
unsigned util_edit_distance(const char *, const char *);
/* The choice within distance 2 of name (for "did you mean"), or NULL. */
const char *util_closest(const char *name, const char *const *choices);
void	 bug(const char *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4), noreturn));
#define BUG(...) bug(__FILE__, __LINE__, __VA_ARGS__)

/* Monotonic clock in seconds. */
double	 now_mono(void);
/* Read a whole file into a NUL-terminated malloc'd buffer; -1 with errno. */
int	 read_file(const char *path, char **buf, size_t *len);

/* ASCII classes, whatever the locale (Python's str.isdigit() etc. on ASCII). */
static inline bool
is_ascii_letter(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* The value of a hex digit, or -1. */
static inline int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
