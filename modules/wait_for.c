/*
 * wait_for: wait for a port, a file, a regex in either, or a drained port,
 * as Ansible's wait_for module: host, port, path, state, timeout, delay,
 * sleep, connect_timeout, search_regex, exclude_hosts,
 * active_connection_states, msg.  The waiting is one remote sh loop: a
 * connect with bash's /dev/tcp (or nc), grep -P for the regex, awk over
 * /proc/net/tcp{,6} for drained; match groups are Python's re on the
 * controller (textedit.h).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "shell.h"
#include "textedit.h"
#include "transfer.h"

static const char *const state_choices[] = { "absent", "drained", "present",
	"started", "stopped", NULL };

static const struct arg_spec wait_for_args[] = {
	{ .name = "host", .type = ARG_STR, .dflt = "127.0.0.1" },
	{ .name = "timeout", .type = ARG_INT, .dflt = "300" },
	{ .name = "connect_timeout", .type = ARG_INT, .dflt = "5" },
	{ .name = "delay", .type = ARG_INT, .dflt = "0" },
	{ .name = "port", .type = ARG_INT },
	{ .name = "active_connection_states", .type = ARG_LIST,
	  .elem = ARG_STR, .dflt = "ESTABLISHED,FIN_WAIT1,FIN_WAIT2,"
	  "SYN_RECV,SYN_SENT,TIME_WAIT" },
	{ .name = "path", .type = ARG_PATH },
	{ .name = "search_regex", .type = ARG_STR },
	{ .name = "state", .type = ARG_STR, .dflt = "started",
	  .choices = state_choices },
	{ .name = "exclude_hosts", .type = ARG_LIST, .elem = ARG_STR },
	{ .name = "sleep", .type = ARG_INT, .dflt = "1" },
	{ .name = "msg", .type = ARG_STR },
	{ .name = NULL },
};

/* get_connection_state_id(): /proc/net/tcp's st column. */
static const char *const tcp_states[] = {
	"ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
	NULL,
};

/*
 * An address as /proc/net/tcp{,6} prints it (each 32-bit word in host
 * order): " HEX" appended to sb; -1 if host is not an address.
 */
static int
host_hex(struct strbuf *sb, const char *host)
{
	unsigned char b[16];
	int i, n;

	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, b) == 1)
		n = 4;
	else if (inet_pton(AF_INET6, host, b) == 1)
		n = 16;
	else
		return -1;
	sb_addch(sb, ' ');
	for (i = 0; i < n; i += 4)
		sb_addf(sb, "%02X%02X%02X%02X", b[i + 3], b[i + 2], b[i + 1],
		    b[i]);
	return 0;
}

/* Names of the capturing groups of a Python pattern, in order ("" none). */
static const char **
group_names(struct arena *a, const char *p, size_t *count)
{
	const char **names = arena_alloc(a, sizeof(*names) * (strlen(p) + 1));
	bool cls = false;
	size_t n = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (cls) {
			cls = *p != ']';
			continue;
		}
		if (*p == '[') {
			cls = true;
			if (p[1] == ']')
				p++;
			continue;
		}
		if (*p != '(')
			continue;
		if (p[1] != '?') {
			names[n++] = "";
			continue;
		}
		if ((p[2] == 'P' && p[3] == '<') || (p[2] == '<' &&
		    p[3] != '=' && p[3] != '!')) {
			const char *s = p + (p[2] == 'P' ? 4 : 3);
			size_t len = strcspn(s, ">");

			names[n++] = arena_strndup(a, s, len);
		}
	}
	*count = n;
	return names;
}

/* re.search(); groups into match_groups and match_groupdict. */
static void
match_groups(struct task_ctx *ctx, struct result *res, const char *pat,
    const char *data, size_t len)
{
	struct arena *a = ctx->a;
	struct value *groups = val_new_list(a), *dict = val_new_dict(a);
	const char *why = NULL, **names;
	struct txe_re *re;
	size_t n, g, b, e;

	names = group_names(a, pat, &n);
	re = txe_re_compile(a, pat, strlen(pat), TXE_RE_BYTES |
	    TXE_RE_MULTILINE, &why);
	if (n > 0 && re != NULL && txe_re_search(re, data, len, 0,
	    &why) == 1) {
		for (g = 1; g <= n; g++) {
			struct value *v = &val_none;

			/* [0,0) is a group that did not take part */
			txe_re_span(re, (unsigned)g, &b, &e);
			if (e > 0)
				v = val_new_strn(a, data + b, e - b);
			val_list_push(a, groups, v);
			if (names[g - 1][0] != '\0')
				val_dict_set(a, dict, names[g - 1], v);
		}
	}
	res_set(ctx, res, "match_groups", groups);
	res_set(ctx, res, "match_groupdict", dict);
}

/* The shell's test for "the condition holds" (exit 0), per state. */
static int
add_condition(struct task_ctx *ctx, struct strbuf *cmd,
    const struct value *args, struct result *res)
{
	const char *state = arg_str(args, "state");
	const char *path = arg_str(args, "path");
	const char *re = arg_str(args, "search_regex");
	const char *host = arg_str(args, "host");
	int64_t port = arg_int(args, "port");
	const struct value *l;
	size_t i, j;

	if (strcmp(state, "drained") == 0) {
		struct strbuf ips = STRBUF_INIT, ex = STRBUF_INIT;
		int rc = 0;

		if (host_hex(&ips, host) < 0)
			rc = -1;
		l = val_dict_get(args, "exclude_hosts");
		for (i = 0; rc == 0 && l != NULL && i < val_len(l); i++)
			rc = host_hex(&ex, l->u.list->items[i]->u.str.s);
		if (rc < 0) {
			sb_release(&ips);
			sb_release(&ex);
			return res_fail(ctx, res, "state=drained takes "
			    "addresses or localhost for host and "
			    "exclude_hosts");
		}
		sb_adds(cmd, "cond() { awk -v port=");
		sb_addf(cmd, "%04X -v ips='%s ' -v ex='%s ' -v st=' ",
		    (unsigned)port, ips.buf, ex.buf);
		l = val_dict_get(args, "active_connection_states");
		for (i = 0; i < val_len(l); i++)
			for (j = 0; tcp_states[j] != NULL; j++)
				if (val_is_str(l->u.list->items[i],
				    tcp_states[j]))
					sb_addf(cmd, "%02zX ", j + 1);
		/* Ansible's match: the address, or 0.0.0.0 / :: for all */
		sb_adds(cmd, "' 'FNR > 1 { split($2, l, \":\"); "
		    "split($3, r, \":\"); if (l[2] != port || "
		    "index(st, \" \" $4 \" \") == 0 || "
		    "index(ex, \" \" r[1] \" \")) next; "
		    "all = FILENAME ~ /6$/ ? \" \" sprintf(\"%032d\", 0) \" \" "
		    ": \" 00000000 \"; "
		    "if (index(ips, \" \" l[1] \" \") || index(ips, all)) "
		    "n++ } "
		    "END { exit n > 0 }' $F; }; F=/proc/net/tcp; "
		    "[ -e /proc/net/tcp6 ] && F=\"$F /proc/net/tcp6\"; ");
		sb_release(&ips);
		sb_release(&ex);
		return 0;
	}
	if (re != NULL) {
		sb_adds(cmd, "if echo | grep -qP '' 2>/dev/null; then "
		    "G='grep -qzP'; r=");
		sh_quote(cmd, arena_printf(ctx->a, "(?m)%s", re));
		sb_adds(cmd, "; else G='grep -qE'; r=");
		sh_quote(cmd, re);
		sb_adds(cmd, "; fi; ");
	}
	if (path != NULL) {
		if (re != NULL)
			sb_adds(cmd, "cond() { [ -e \"$p\" ] && $G -- \"$r\" "
			    "\"$p\" 2>/dev/null; }; ");
		else
			sb_adds(cmd, "cond() { [ -e \"$p\" ]; }; ");
		return 0;
	}
	sb_adds(cmd, "H=");
	sh_quote(cmd, host);
	sb_addf(cmd, "; P=%lld; ", (long long)port);
	/* a connect within min(connect_timeout, what is left) */
	sb_addf(cmd, "ct() { t=$((end - $(date +%%s))); [ $t -gt %lld ] && "
	    "t=%lld; [ $t -lt 1 ] && t=1; echo $t; }; ",
	    (long long)arg_int(args, "connect_timeout"),
	    (long long)arg_int(args, "connect_timeout"));
	sb_adds(cmd, "probe() { if command -v bash >/dev/null 2>&1; then "
	    "timeout \"$(ct)\" bash -c 'exec 3<>\"/dev/tcp/$0/$1\"' \"$H\" "
	    "\"$P\" 2>/dev/null; elif command -v nc >/dev/null 2>&1; then "
	    "nc -z -w \"$(ct)\" \"$H\" \"$P\" 2>/dev/null; else return 3; "
	    "fi; }; ");
	if (re != NULL && (strcmp(state, "started") == 0 ||
	    strcmp(state, "present") == 0))
		/* read what the port says until the regex matches */
		sb_adds(cmd, "cond() { timeout $((end - $(date +%s) + 1)) "
		    "bash -c 'exec 3<>\"/dev/tcp/$0/$1\" || exit 1; d=; "
		    "while :; do IFS= read -r -d \"\" -t 1 -N 1024 c <&3; "
		    "x=$?; d+=$c; if printf %s \"$d\" | $3 -- \"$2\"; then "
		    "exit 0; fi; [ $x -eq 0 ] || [ $x -gt 128 ] || exit 1; "
		    "done' \"$H\" \"$P\" \"$r\" \"$G\" 2>/dev/null; }; ");
	else
		sb_adds(cmd, "cond() { probe; }; ");
	return 0;
}

static int
wait_for_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	struct arena *a = ctx->a;
	const char *state = arg_str(args, "state");
	const char *path = arg_str(args, "path");
	const char *re = arg_str(args, "search_regex");
	const char *host = arg_str(args, "host");
	const char *msg = arg_str(args, "msg");
	const char *line, *why = NULL;
	const struct value *l;
	int64_t port = arg_int(args, "port");
	int64_t timeout = arg_int(args, "timeout");
	bool stop = strcmp(state, "absent") == 0 ||
	    strcmp(state, "stopped") == 0;
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result cr;
	long long elapsed;
	size_t i, j;
	int rc;

	res_set(ctx, res, "elapsed", val_new_int(a, 0));
	if (port != 0 && path != NULL)
		return res_fail(ctx, res, "port and path parameter can not "
		    "both be passed to wait_for");
	if (path != NULL && strcmp(state, "stopped") == 0)
		return res_fail(ctx, res, "state=stopped should only be used "
		    "for checking a port in the wait_for module");
	if (path != NULL && strcmp(state, "drained") == 0)
		return res_fail(ctx, res, "state=drained should only be used "
		    "for checking a port in the wait_for module");
	if (val_dict_get(args, "exclude_hosts") != NULL &&
	    strcmp(state, "drained") != 0)
		return res_fail(ctx, res, "exclude_hosts should only be with "
		    "state=drained");
	l = val_dict_get(args, "active_connection_states");
	for (i = 0; i < val_len(l); i++) {
		for (j = 0; tcp_states[j] != NULL; j++)
			if (val_is_str(l->u.list->items[i], tcp_states[j]))
				break;
		if (tcp_states[j] == NULL)
			return res_fail(ctx, res, "unknown "
			    "active_connection_state (%s) defined",
			    l->u.list->items[i]->u.str.s);
	}
	if (re != NULL && txe_re_compile(a, re, strlen(re), TXE_RE_BYTES |
	    TXE_RE_MULTILINE, &why) == NULL)
		return res_fail(ctx, res, "Invalid regular expression: %s",
		    why);
	val_dict_del(res->v, "elapsed");

	sb_adds(&cmd, "s0=$(date +%s%N); end=$(( $(date +%s) + ");
	sb_addf(&cmd, "%lld )); ", (long long)timeout);
	if (path != NULL) {
		sb_adds(&cmd, "p=");
		xfer_path(&cmd, path);
		sb_adds(&cmd, "; ");
	}
	if (port == 0 && path == NULL && strcmp(state, "drained") != 0) {
		sb_addf(&cmd, "sleep %lld; sleep %lld; echo OK; ",
		    (long long)arg_int(args, "delay"), (long long)timeout);
	} else {
		if (add_condition(ctx, &cmd, args, res) < 0 || res->failed) {
			sb_release(&cmd);
			return 0;
		}
		sb_addf(&cmd, "sleep %lld; ", (long long)arg_int(args,
		    "delay"));
		sb_addf(&cmd, "ok=; while [ \"$(date +%%s)\" -lt \"$end\" ]; "
		    "do if %scond; then ok=1; break; fi; sleep %lld; done; ",
		    stop ? "! " : "", (long long)arg_int(args, "sleep"));
		sb_adds(&cmd, "if [ -n \"$ok\" ]; then echo OK; else "
		    "echo TIMEOUT; fi; ");
	}
	sb_adds(&cmd, "echo \"E $(( ($(date +%s%N) - s0) / 1000000000 ))\"; ");
	if (path != NULL) {
		xfer_path_info_sh(&cmd, "p");
		sb_adds(&cmd, "printf 'P %s\\n' \"$p\"; ");
		if (re != NULL && !stop)
			sb_adds(&cmd, "[ -n \"$ok\" ] && { printf 'B\\n'; "
			    "head -c 16777216 -- \"$p\"; }; ");
	}
	sb_adds(&cmd, "exit 0");
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, cmd.buf, ctx->become, NULL, 0, &cr, err);
	sb_release(&cmd);
	if (rc < 0)
		goto out;
	line = xfer_tagged(a, cr.out.buf, 'E');
	elapsed = line != NULL ? atoll(line) : 0;
	res_set(ctx, res, "elapsed", val_new_int(a, elapsed));
	if (strncmp(cr.out.buf, "OK\n", 3) != 0) {
		const char *m;

		if (strncmp(cr.out.buf, "TIMEOUT\n", 8) != 0) {
			sb_rtrim(&cr.err);
			m = arena_printf(a, "wait_for failed: %s", cr.err.buf);
		} else if (strcmp(state, "drained") == 0)
			m = arena_printf(a, "Timeout when waiting for %s:%lld "
			    "to drain", host, (long long)port);
		else if (stop && port != 0)
			m = arena_printf(a, "Timeout when waiting for %s:%lld "
			    "to stop.", host, (long long)port);
		else if (stop)
			m = arena_printf(a, "Timeout when waiting for %s to be "
			    "absent.", path);
		else if (port != 0 && re != NULL)
			m = arena_printf(a, "Timeout when waiting for search "
			    "string %s in %s:%lld", re, host, (long long)port);
		else if (port != 0)
			m = arena_printf(a, "Timeout when waiting for %s:%lld",
			    host, (long long)port);
		else if (re != NULL)
			m = arena_printf(a, "Timeout when waiting for search "
			    "string %s in %s", re, path);
		else
			m = arena_printf(a, "Timeout when waiting for file %s",
			    path);
		res_fail(ctx, res, "%s", msg != NULL ? msg : m);
		goto out;
	}
	res_set_str(ctx, res, "state", state);
	res_set(ctx, res, "port", port != 0 ? val_new_int(a, port) :
	    &val_none);
	res_set(ctx, res, "search_regex", re != NULL ? val_new_str(a, re) :
	    &val_none);
	line = path != NULL ? strstr(cr.out.buf, "\nB\n") : NULL;
	if (line != NULL)
		match_groups(ctx, res, re, line + 3, cr.out.len -
		    (size_t)(line + 3 - cr.out.buf));
	else {
		res_set(ctx, res, "match_groups", val_new_list(a));
		res_set(ctx, res, "match_groupdict", val_new_dict(a));
	}
	if (path != NULL) {
		line = xfer_tagged(a, cr.out.buf, 'P');
		res_set_str(ctx, res, "path", line != NULL ? line : path);
		xfer_path_info(ctx, res, cr.out.buf);
	} else
		res_set(ctx, res, "path", &val_none);
out:
	conn_result_release(&cr);
	return rc;
}

const struct module module_wait_for = {
	.name = "wait_for",
	.summary = "wait for a port, a file or a regex in either",
	.args = wait_for_args,
	.flags = MODULE_CHECK_MODE,
	.run = wait_for_run,
};
