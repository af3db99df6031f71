#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "util.h"

char sb_empty[1];

void
sb_init(struct strbuf *sb)
{
	sb->buf = sb_empty;
	sb->len = 0;
	sb->alloc = 0;
}

void
sb_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sb_init(sb);
}

void
sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

char *
sb_detach(struct strbuf *sb, size_t *lenp)
{
	char *p;

	if (lenp != NULL)
		*lenp = sb->len;
	if (sb->alloc == 0)
		p = xstrdup("");
	else
		p = sb->buf;
	sb_init(sb);
	return p;
}

void
sb_grow(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	int fresh = sb->alloc == 0;

	if (want <= sb->alloc)
		return;
	if (fresh)
		sb->buf = NULL;
	sb->buf = xgrow(sb->buf, want, &sb->alloc, 1);
	if (fresh)
		sb->buf[0] = '\0';
}

void
sb_add(struct strbuf *sb, const void *p, size_t n)
{
	if (n == 0)
		return;
	sb_grow(sb, n);
	memmove(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
sb_adds(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void
sb_addch(struct strbuf *sb, int c)
{
	sb_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}

void
sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		BUG("vsnprintf failed for '%s'", fmt);
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void
sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void
sb_setlen(struct strbuf *sb, size_t len)
{
	if (len > sb->len)
		BUG("sb_setlen beyond the end");
	sb->len = len;
	if (sb->alloc)
		sb->buf[len] = '\0';
}

void
sb_rtrim(struct strbuf *sb)
{
	while (sb->len > 0 && strchr(" \t\r\n", sb->buf[sb->len - 1]) != NULL)
		sb->len--;
	if (sb->alloc)
		sb->buf[sb->len] = '\0';
}

void
sb_addutf8(struct strbuf *sb, unsigned long cp)
{
	if (cp < 0x80)
		sb_addch(sb, (int)cp);
	else if (cp < 0x800) {
		sb_addch(sb, (int)(0xc0 | (cp >> 6)));
		sb_addch(sb, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sb_addch(sb, (int)(0xe0 | (cp >> 12)));
		sb_addch(sb, (int)(0x80 | ((cp >> 6) & 0x3f)));
		sb_addch(sb, (int)(0x80 | (cp & 0x3f)));
	} else {
		sb_addch(sb, (int)(0xf0 | (cp >> 18)));
		sb_addch(sb, (int)(0x80 | ((cp >> 12) & 0x3f)));
		sb_addch(sb, (int)(0x80 | ((cp >> 6) & 0x3f)));
		sb_addch(sb, (int)(0x80 | (cp & 0x3f)));
	}
}
