#include <stdio.h>
#include <string.h>

#include "err.h"

void
err_init(struct err *e)
{
	memset(e, 0, sizeof(*e));
}

int
err_vset(struct err *e, const struct pos *pos, const char *fmt, va_list ap)
{
	if (e == NULL)
		return -1;
	e->set = 1;
	if (pos != NULL)
		e->pos = *pos;
	else
		memset(&e->pos, 0, sizeof(e->pos));
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -1;
}

int
err_set(struct err *e, const struct pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, pos, fmt, ap);
	va_end(ap);
	return -1;
}

void
err_prefix(struct err *e, const char *fmt, ...)
{
	char head[512], old[ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s%s", head, old);
}

void
err_locate(struct err *e, const struct pos *pos)
{
	if (e != NULL && e->pos.file == NULL && pos != NULL)
		e->pos = *pos;
}

const char *
err_format(const struct err *e, char *buf, unsigned size)
{
	if (e->pos.file != NULL && e->pos.line > 0)
		snprintf(buf, size, "%s:%u:%u: %s", e->pos.file, e->pos.line,
		    e->pos.col, e->msg);
	else if (e->pos.file != NULL)
		snprintf(buf, size, "%s: %s", e->pos.file, e->msg);
	else
		snprintf(buf, size, "%s", e->msg);
	return buf;
}

void
err_print(const struct err *e)
{
	char buf[ERR_MSG_MAX + 512];

	fprintf(stderr, "ERROR! %s\n", err_format(e, buf, sizeof(buf)));
}
