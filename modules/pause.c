/*
 * pause: wait a number of seconds or minutes, or for the operator to press
 * enter (Ansible's pause action).  It runs once for the play on the
 * controller (BYPASS_HOST_LOOP), and, being interactive, is the one module
 * that writes to the terminal itself: it runs alone, so its lines come
 * between the task's banner and its result as Ansible shows them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "module.h"
#include "strbuf.h"

static const struct arg_spec pause_args[] = {
	{ .name = "minutes", .type = ARG_INT },
	{ .name = "seconds", .type = ARG_INT },
	{ .name = "prompt", .type = ARG_STR },
	{ .name = "echo", .type = ARG_BOOL, .dflt = "true" },
	{ .name = NULL },
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Python's round(x, 2) printed as a float: 1.0, 1.5, 60.01 */
static void
py_round2(struct strbuf *sb, double x)
{
	char buf[64];
	size_t n;

	snprintf(buf, sizeof(buf), "%.2f", x);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
	sb_adds(sb, buf);
}

static void
sleep_for(double secs)
{
	struct timespec ts = { (time_t)secs,
	    (long)((secs - (double)(time_t)secs) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A line from the terminal, echo off if asked. */
static void
read_answer(struct strbuf *sb, bool echo)
{
	struct termios old, t;
	bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
	int c;

	if (tty && !echo) {
		t = old;
		t.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSADRAIN, &t);
	}
	while ((c = getchar()) != EOF && c != '\n' && c != '\r')
		sb_addch(sb, (char)c);
	if (tty && !echo) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &old);
		putchar('\n');
	}
}

static int
pause_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct arena *a = ctx->a;
	const struct value *mv = val_dict_get(args, "minutes");
	const struct value *sv = val_dict_get(args, "seconds");
	const char *prompt = arg_str(args, "prompt");
	bool echo = arg_bool(args, "echo");
	bool minutes = mv != NULL && mv->type != VAL_NULL;
	int64_t secs = -1;
	struct strbuf input = STRBUF_INIT, sb = STRBUF_INIT;
	double start = now(), dur;
	const char *hidden = echo ? "" : " (output is hidden)";

	(void)err;
	if (minutes && sv != NULL && sv->type != VAL_NULL)
		return res_fail(ctx, res, "parameters are mutually exclusive: "
		    "minutes|seconds");
	if (minutes)
		secs = arg_int(args, "minutes") * 60;
	else if (sv != NULL && sv->type != VAL_NULL)
		secs = arg_int(args, "seconds");
	if (secs >= 0) {
		if (secs < 1)
			secs = 1;
		printf("Pausing for %lld seconds%s\n(ctrl+C then 'C' = continue "
		    "early, ctrl+C then 'A' = abort)\r\n", (long long)secs,
		    hidden);
		if (prompt != NULL)
			printf("[%s]\n%s%s:\n", ctx->task_name != NULL ?
			    ctx->task_name : "pause", prompt, hidden);
		fflush(stdout);
		sleep_for((double)secs);
	} else {
		printf("[%s]\n%s%s:\n", ctx->task_name != NULL ?
		    ctx->task_name : "pause", prompt != NULL ? prompt :
		    "Press enter to continue, Ctrl+C to interrupt", hidden);
		fflush(stdout);
		if (isatty(STDIN_FILENO))
			read_answer(&input, echo);
		else
			fprintf(stderr, "[WARNING]: Not waiting for response to "
			    "prompt as stdin is not interactive\n");
	}
	dur = now() - start;
	res_set(ctx, res, "start", res_timestamp(a, start));
	res_set(ctx, res, "stop", res_timestamp(a, now()));
	res_set(ctx, res, "delta", val_new_int(a, (int64_t)dur));
	sb_adds(&sb, "Paused for ");
	py_round2(&sb, minutes ? dur / 60.0 : dur);
	sb_adds(&sb, minutes ? " minutes" : " seconds");
	res_set(ctx, res, "stdout", val_new_strn(a, sb.buf, sb.len));
	res_set(ctx, res, "user_input", val_new_strn(a, input.buf, input.len));
	res_set(ctx, res, "echo", val_bool(echo));
	res_set(ctx, res, "rc", val_new_int(a, 0));
	sb_release(&sb);
	sb_release(&input);
	return 0;
}

const struct module module_pause = {
	.name = "pause",
	.summary = "wait for a time or for the operator",
	.args = pause_args,
	.flags = MODULE_CHECK_MODE | MODULE_NO_HOST | MODULE_BYPASS_HOST_LOOP,
	.run = pause_run,
};
