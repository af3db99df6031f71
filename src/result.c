/* result.c: building a module's result (what `register` stores). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "module.h"
#include "util.h"

void
res_init(struct task_ctx *ctx, struct result *res)
{
	memset(res, 0, sizeof(*res));
	res->v = val_new_dict(ctx->a);
}

void
res_set(struct task_ctx *ctx, struct result *res, const char *key,
    struct value *v)
{
	val_dict_set(ctx->a, res->v, key, v);
}

void
res_set_str(struct task_ctx *ctx, struct result *res, const char *key,
    const char *s)
{
	res_set(ctx, res, key, val_new_str(ctx->a, s));
}

int
res_fail(struct task_ctx *ctx, struct result *res, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	res->failed = true;
	res->msg = arena_strndup(ctx->a, sb.buf, sb.len);
	res_set_str(ctx, res, "msg", res->msg);
	sb_release(&sb);
	return 0;
}

void
res_warn(struct task_ctx *ctx, struct result *res, const char *msg)
{
	struct value *w = val_dict_get(res->v, "warnings");

	if (w == NULL) {
		w = val_new_list(ctx->a);
		res_set(ctx, res, "warnings", w);
	}
	val_list_push(ctx->a, w, val_new_str(ctx->a, msg));
}

static struct value *
lines_of(struct arena *a, const char *s, size_t n)
{
	struct value *l = val_new_list(a);
	const char *end = s + n, *nl;

	/* Python's str.splitlines() for \n and \r\n. */
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		val_list_push(a, l, val_new_strn(a, s, (size_t)(nl -
		    s) - (nl > s && nl[-1] == '\r')));
		s = nl + 1;
	}
	return l;
}

/* Python's str(datetime.datetime.now()). */
struct value *
res_timestamp(struct arena *a, double t)
{
	time_t sec = (time_t)t;
	struct tm tm;
	char buf[64];

	localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	return val_new_strf(a, "%s.%06d", buf,
	    (int)((t - (double)sec) * 1e6));
}

/* Python's str(timedelta). */
static struct value *
delta(struct arena *a, double d)
{
	long us = (long)(d * 1e6 + 0.5), s = us / 1000000;

	if (us < 0)
		us = s = 0;
	return val_new_strf(a, "%ld:%02ld:%02ld.%06ld", s / 3600,
	    (s / 60) % 60, s % 60, us % 1000000);
}

void
res_set_cmd(struct task_ctx *ctx, struct result *res,
    const struct conn_result *cr)
{
	struct arena *a = ctx->a;
	size_t olen = cr->out.len, elen = cr->err.len;

	/* strip_empty_ends: Ansible strips trailing newlines. */
	while (olen > 0 && (cr->out.buf[olen - 1] == '\n' ||
	    cr->out.buf[olen - 1] == '\r'))
		olen--;
	while (elen > 0 && (cr->err.buf[elen - 1] == '\n' ||
	    cr->err.buf[elen - 1] == '\r'))
		elen--;
	res_set(ctx, res, "rc", val_new_int(a, cr->rc));
	res_set(ctx, res, "stdout", val_new_strn(a, cr->out.buf, olen));
	res_set(ctx, res, "stderr", val_new_strn(a, cr->err.buf, elen));
	if (cr->start > 0) {
		res_set(ctx, res, "start", res_timestamp(a, cr->start));
		res_set(ctx, res, "end", res_timestamp(a, cr->end));
		res_set(ctx, res, "delta", delta(a, cr->end - cr->start));
	}
	res_set(ctx, res, "stdout_lines", lines_of(a, cr->out.buf, olen));
	res_set(ctx, res, "stderr_lines", lines_of(a, cr->err.buf, elen));
}

void
res_finish(struct task_ctx *ctx, struct result *res)
{
	if (!res->no_changed_key || res->changed)
		res_set(ctx, res, "changed", val_bool(res->changed));
	if (res->failed)
		res_set(ctx, res, "failed", &val_true);
	if (res->skipped)
		res_set(ctx, res, "skipped", &val_true);
	if (res->unreachable)
		res_set(ctx, res, "unreachable", &val_true);
	if (res->msg != NULL && val_dict_get(res->v, "msg") == NULL)
		res_set_str(ctx, res, "msg", res->msg);
}
