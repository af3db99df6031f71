/*
 * arena.h: a bump allocator.  Long-lived data (inventory, playbook, variables)
 * lives in the run's arena; each host-task gets a scratch arena released
 * after its result is emitted.  Memory from an arena is zeroed, is never freed
 * one piece at a time, and lives until arena_release().  An arena belongs to
 * one thread at a time.
 */
#ifndef MUSTER_ARENA_H
#define MUSTER_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk	*head;
	size_t			 total;		/* bytes handed out */
};

#define ARENA_INIT { NULL, 0 }

void	 arena_init(struct arena *);
void	 arena_release(struct arena *);
/* Move src's blocks into dst (they live until dst is released). */
void	 arena_adopt(struct arena *dst, struct arena *src);
void	*arena_alloc(struct arena *, size_t);		/* zeroed, aligned */
/* Resize p (old bytes) to n bytes; copies when it cannot grow in place. */
void	*arena_realloc(struct arena *, void *p, size_t old, size_t n);
char	*arena_strdup(struct arena *, const char *);
char	*arena_strndup(struct arena *, const char *, size_t);
char	*arena_printf(struct arena *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
