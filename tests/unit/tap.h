/*
 * tap.h: a tiny TAP producer for unit tests (header only).  Each check
 * prints "ok N - name" or "not ok N - name"; tap_done() prints the plan and
 * returns the exit code.
 */
#ifndef MUSTER_TAP_H
#define MUSTER_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

__attribute__((format(printf, 4, 5))) static inline int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	return cond;
}

#define is_str(got, want, ...)                                           \
	do {                                                             \
		const char *g_ = (got), *w_ = (want);                    \
		if (!ok(g_ != NULL && strcmp(g_, w_) == 0, __VA_ARGS__)) \
			printf("#   got:  '%s'\n#   want: '%s'\n",       \
			    g_ ? g_ : "(null)", w_);                     \
	} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
