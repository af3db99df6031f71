#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "util.h"

#define ARENA_ALIGN	16
#define ARENA_CHUNK	(64 * 1024 - 64)

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 size;
	size_t			 used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

void
arena_init(struct arena *a)
{
	a->head = NULL;
	a->total = 0;
}

void
arena_release(struct arena *a)
{
	struct arena_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	arena_init(a);
}

static size_t
align_up(size_t n)
{
	return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

/* Room for n bytes, not zeroed: for callers that fill all of it. */
static void *
arena_take(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t size;
	void *p;

	n = align_up(n ? n : 1);
	if (c == NULL || c->size - c->used < n) {
		size = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;
		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		if (size > ARENA_CHUNK && a->head != NULL) {
			/* A big block: keep the current chunk for small ones. */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = c->data + c->used;
	c->used += n;
	a->total += n;
	return p;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	void *p = arena_take(a, n);

	return memset(p, 0, align_up(n ? n : 1));
}

void *
arena_realloc(struct arena *a, void *p, size_t old, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t oa = align_up(old ? old : 1), na = align_up(n ? n : 1);
	void *q;

	if (p == NULL)
		return arena_alloc(a, n);
	/* The last allocation of the head chunk can grow in place. */
	if (c != NULL && (unsigned char *)p + oa == c->data + c->used &&
	    na >= oa && c->size - c->used >= na - oa) {
		/* Zeroed past old, as a fresh arena_alloc() would be. */
		memset((unsigned char *)p + old, 0, na - old);
		c->used += na - oa;
		a->total += na - oa;
		return p;
	}
	if (n <= old)
		return p;
	q = arena_alloc(a, n);
	memcpy(q, p, old);
	return q;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_take(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap, cp;
	char *p;
	int n;

	va_start(ap, fmt);
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		BUG("vsnprintf failed for '%s'", fmt);
	p = arena_take(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_adopt(struct arena *dst, struct arena *src)
{
	struct arena_chunk *tail = src->head;

	if (tail == NULL)
		return;
	while (tail->next != NULL)
		tail = tail->next;
	/* behind dst's current chunk, which keeps serving small blocks */
	if (dst->head == NULL)
		dst->head = src->head;
	else {
		tail->next = dst->head->next;
		dst->head->next = src->head;
	}
	dst->total += src->total;
	arena_init(src);
}
