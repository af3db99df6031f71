/*
 * kubeadm: a Kubernetes node's life with kubeadm, idempotently.
 *   init   kubeadm init unless /etc/kubernetes/admin.conf exists; returns
 *          the workers' join command (from init's banner, or from `kubeadm
 *          token create --print-join-command` when the cluster exists),
 *          also as the fact kubeadm_join_command for hostvars[...].
 *   join   kubeadm join (a whole join_command, or its parts) unless
 *          /etc/kubernetes/kubelet.conf exists.
 *   token  a fresh join command (changed false: a token is not state a
 *          playbook converges, and tokens expire).
 *   reset  kubeadm reset when the node has a cluster's files.
 * One command a task: the existence test and the action run in one script,
 * whose sections (cluster.h) say which way it went.  Tokens stay out of
 * messages; results (printed only with -v, as Ansible's would be) carry
 * them, and no_log hides them as for any task.
 */
#include <ctype.h>
#include <string.h>

#include "cluster.h"
#include "shell.h"

static const char *const cmd_choices[] = { "init", "join", "token", "reset",
	NULL };

static const struct arg_spec kubeadm_args[] = {
	{ .name = "command", .type = ARG_STR, .dflt = "init",
	  .choices = cmd_choices },
	{ .name = "config", .type = ARG_PATH },
	{ .name = "pod_network_cidr", .type = ARG_STR },
	{ .name = "service_cidr", .type = ARG_STR },
	{ .name = "apiserver_advertise_address", .type = ARG_STR },
	{ .name = "control_plane_endpoint", .type = ARG_STR },
	{ .name = "cri_socket", .type = ARG_STR },
	{ .name = "kubernetes_version", .type = ARG_STR },
	{ .name = "node_name", .type = ARG_STR },
	{ .name = "ignore_preflight_errors", .type = ARG_LIST,
	  .elem = ARG_STR },
	{ .name = "upload_certs", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "extra_args", .type = ARG_RAW },
	{ .name = "join_command", .type = ARG_STR, .flags = ARG_NO_LOG },
	{ .name = "api_server_endpoint", .type = ARG_STR },
	{ .name = "token", .type = ARG_STR, .flags = ARG_NO_LOG },
	{ .name = "discovery_token_ca_cert_hash", .type = ARG_STR },
	{ .name = "control_plane", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "certificate_key", .type = ARG_STR, .flags = ARG_NO_LOG },
	{ .name = "force", .type = ARG_BOOL, .dflt = "true" },
	{ .name = NULL },
};

#define ADMIN_CONF "/etc/kubernetes/admin.conf"
#define KUBELET_CONF "/etc/kubernetes/kubelet.conf"

static void
add_word(struct strbuf *sb, const char *w)
{
	sb_addch(sb, ' ');
	sh_quote(sb, w);
}

/* " --name=value" when value is set. */
static void
add_opt(struct strbuf *sb, const char *name, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	sb_addch(sb, ' ');
	sh_quote(sb, name);
	sb_addch(sb, '=');
	sh_quote(sb, value);
}

/* extra_args: a list of words, or a string split as a shell would. */
static int
add_extra(struct task_ctx *ctx, struct result *res, struct strbuf *sb,
    const struct value *extra)
{
	const char *msg;
	char **argv;
	size_t i;

	if (extra == NULL || extra->type == VAL_NULL)
		return 0;
	if (extra->type == VAL_LIST) {
		for (i = 0; i < extra->u.list->n; i++) {
			struct strbuf w = STRBUF_INIT;

			val_str(&w, extra->u.list->items[i]);
			add_word(sb, w.buf);
			sb_release(&w);
		}
		return 0;
	}
	if (extra->type != VAL_STR) {
		res_fail(ctx, res, "'extra_args' must be a list or a string");
		return -1;
	}
	argv = sh_split(extra->u.str.s, &msg);
	if (argv == NULL) {
		res_fail(ctx, res, "'extra_args': %s", msg);
		return -1;
	}
	for (i = 0; argv[i] != NULL; i++)
		add_word(sb, argv[i]);
	sh_argv_free(argv);
	return 0;
}

static int
init_argv(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct strbuf *sb)
{
	const struct value *ign = val_dict_get(args, "ignore_preflight_errors");
	size_t i;

	sb_adds(sb, "kubeadm init");
	add_opt(sb, "--config", arg_str(args, "config"));
	add_opt(sb, "--pod-network-cidr", arg_str(args, "pod_network_cidr"));
	add_opt(sb, "--service-cidr", arg_str(args, "service_cidr"));
	add_opt(sb, "--apiserver-advertise-address", arg_str(args,
	    "apiserver_advertise_address"));
	add_opt(sb, "--control-plane-endpoint", arg_str(args,
	    "control_plane_endpoint"));
	add_opt(sb, "--cri-socket", arg_str(args, "cri_socket"));
	add_opt(sb, "--kubernetes-version", arg_str(args,
	    "kubernetes_version"));
	add_opt(sb, "--node-name", arg_str(args, "node_name"));
	if (ign != NULL && ign->type == VAL_LIST && ign->u.list->n > 0) {
		struct strbuf l = STRBUF_INIT;

		for (i = 0; i < ign->u.list->n; i++) {
			if (i > 0)
				sb_addch(&l, ',');
			val_str(&l, ign->u.list->items[i]);
		}
		add_opt(sb, "--ignore-preflight-errors", l.buf);
		sb_release(&l);
	}
	if (arg_bool(args, "upload_certs"))
		sb_adds(sb, " --upload-certs");
	return add_extra(ctx, res, sb, val_dict_get(args, "extra_args"));
}

/* Whether argv (split) already has option name (alone or as name=...). */
static bool
has_opt(char **argv, const char *name)
{
	size_t n = strlen(name);

	for (; *argv != NULL; argv++)
		if (strncmp(*argv, name, n) == 0 && ((*argv)[n] == '\0' ||
		    (*argv)[n] == '='))
			return true;
	return false;
}

static int
join_argv(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct strbuf *sb)
{
	const char *line = arg_str(args, "join_command");
	const char *cri = arg_str(args, "cri_socket");
	const char *key = arg_str(args, "certificate_key");
	bool cp = arg_bool(args, "control_plane");
	char **argv = NULL;
	const char *msg;
	size_t i;

	if (line != NULL && *line != '\0') {
		argv = sh_split(line, &msg);
		if (argv == NULL) {
			res_fail(ctx, res, "'join_command': %s", msg);
			return -1;
		}
		if (argv[0] == NULL || argv[1] == NULL ||
		    strcmp(argv[0], "kubeadm") != 0 ||
		    strcmp(argv[1], "join") != 0) {
			sh_argv_free(argv);
			res_fail(ctx, res, "'join_command' must be a "
			    "'kubeadm join ...' command line");
			return -1;
		}
		for (i = 0; argv[i] != NULL; i++) {
			if (i > 0)
				sb_addch(sb, ' ');
			sh_quote(sb, argv[i]);
		}
	} else {
		const char *ep = arg_str(args, "api_server_endpoint");
		const char *tok = arg_str(args, "token");
		const char *hash = arg_str(args, "discovery_token_ca_cert_hash");

		if (ep == NULL || tok == NULL || hash == NULL) {
			res_fail(ctx, res, "command 'join' needs "
			    "'join_command', or 'api_server_endpoint', "
			    "'token' and 'discovery_token_ca_cert_hash'");
			return -1;
		}
		sb_adds(sb, "kubeadm join");
		add_word(sb, ep);
		add_opt(sb, "--token", tok);
		add_opt(sb, "--discovery-token-ca-cert-hash", hash);
		argv = sh_split("kubeadm join", &msg);
	}
	if (cri != NULL && !has_opt(argv, "--cri-socket"))
		add_opt(sb, "--cri-socket", cri);
	if (cp && !has_opt(argv, "--control-plane"))
		sb_adds(sb, " --control-plane");
	if (key != NULL && !has_opt(argv, "--certificate-key"))
		add_opt(sb, "--certificate-key", key);
	add_opt(sb, "--node-name", arg_str(args, "node_name"));
	sh_argv_free(argv);
	return add_extra(ctx, res, sb, val_dict_get(args, "extra_args"));
}

/*
 * The join commands of init's banner: "kubeadm join EP --token T \" and
 * continuation lines.  Whitespace and backslash-newlines fold into single
 * spaces.  *cp gets the control-plane one (with --control-plane), if any.
 */
static const char *
find_join(struct task_ctx *ctx, const char *out, const char **cp)
{
	const char *p = out, *worker = NULL;

	*cp = NULL;
	while ((p = strstr(p, "kubeadm join ")) != NULL) {
		struct strbuf sb = STRBUF_INIT;
		const char *q = p;
		bool space = false;

		/* only at the start of a line (after indentation) */
		for (q = p; q > out && (q[-1] == ' ' || q[-1] == '\t'); q--)
			;
		if (q > out && q[-1] != '\n') {
			p += 13;
			continue;
		}
		for (q = p; *q != '\0'; q++) {
			if (*q == '\\' && q[1] == '\n') {
				q++;
				space = true;
				continue;
			}
			if (*q == '\n' || *q == '\r')
				break;
			if (isspace((unsigned char)*q)) {
				space = true;
				continue;
			}
			if (space && sb.len > 0)
				sb_addch(&sb, ' ');
			space = false;
			sb_addch(&sb, *q);
		}
		if (strstr(sb.buf, " --control-plane") != NULL) {
			if (*cp == NULL)
				*cp = arena_strndup(ctx->a, sb.buf, sb.len);
		} else if (worker == NULL)
			worker = arena_strndup(ctx->a, sb.buf, sb.len);
		sb_release(&sb);
		p = q;
	}
	return worker;
}

static void
set_join(struct task_ctx *ctx, struct result *res, const char *join,
    const char *cp)
{
	struct value *facts = val_new_dict(ctx->a);

	if (join == NULL)
		return;
	res_set_str(ctx, res, "join_command", join);
	val_dict_set(ctx->a, facts, "kubeadm_join_command",
	    val_new_str(ctx->a, join));
	if (cp != NULL) {
		res_set_str(ctx, res, "control_plane_join_command", cp);
		val_dict_set(ctx->a, facts,
		    "kubeadm_control_plane_join_command",
		    val_new_str(ctx->a, cp));
	}
	res_set(ctx, res, "ansible_facts", facts);
}

/* The script: the test, then the action; sections say what happened. */
static int
build(struct task_ctx *ctx, const struct value *args, struct result *res,
    const char *command, struct strbuf *sb)
{
	struct strbuf act = STRBUF_INIT;
	int rc = 0;

	if (strcmp(command, "init") == 0) {
		rc = init_argv(ctx, args, res, &act);
		sb_adds(sb, "if [ -f " ADMIN_CONF " ]; then echo @@exists\n");
		if (!ctx->check_mode)
			sb_adds(sb, "  kubeadm token create "
			    "--print-join-command; echo \"@@rc $?\"\n");
		sb_adds(sb, "  exit 0\nfi\necho @@run\n");
	} else if (strcmp(command, "join") == 0) {
		rc = join_argv(ctx, args, res, &act);
		sb_adds(sb, "if [ -f " KUBELET_CONF " ]; then echo @@exists; "
		    "exit 0; fi\necho @@run\n");
	} else if (strcmp(command, "token") == 0) {
		sb_adds(&act, "kubeadm token create --print-join-command");
		sb_adds(sb, "echo @@run\n");
	} else {
		sb_adds(&act, "kubeadm reset");
		if (arg_bool(args, "force"))
			sb_adds(&act, " -f");
		add_opt(&act, "--cri-socket", arg_str(args, "cri_socket"));
		rc = add_extra(ctx, res, &act, val_dict_get(args,
		    "extra_args"));
		sb_adds(sb, "if [ ! -f " ADMIN_CONF " ] && [ ! -f "
		    KUBELET_CONF " ] && [ -z \"$(ls -A /etc/kubernetes/"
		    "manifests 2>/dev/null)\" ]; then echo @@exists; exit 0; "
		    "fi\necho @@run\n");
	}
	/* check mode: the test only (a new token would be a change too) */
	if (rc == 0 && !ctx->check_mode) {
		sb_add(sb, act.buf, act.len);
		sb_adds(sb, " </dev/null\necho \"@@rc $?\"\n");
	}
	sb_release(&act);
	return rc;
}

static int
kubeadm_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *command = arg_str(args, "command");
	struct strbuf script = STRBUF_INIT;
	const char *exists, *run, *join, *cp;
	struct conn_result cr;
	int rc, status;

	conn_result_init(&cr);
	if (build(ctx, args, res, command, &script) < 0) {
		rc = 0;
		goto out;
	}
	rc = conn_exec(ctx->conn, script.buf, ctx->become, NULL, 0, &cr, err);
	if (rc < 0)
		goto out;
	exists = clu_section(ctx, &cr.out, "exists", NULL);
	run = clu_section(ctx, &cr.out, "run", NULL);
	status = clu_section_rc(ctx, &cr.out, "rc");
	if (cr.rc != 0 || (exists == NULL && run == NULL)) {
		clu_fail_output(ctx, res, "kubeadm failed", cr.out.buf,
		    cr.err.buf);
		goto out;
	}
	sb_rtrim(&cr.err);
	res_set_str(ctx, res, "stderr", cr.err.buf);
	if (status > 0) {
		res_set(ctx, res, "rc", val_new_int(ctx->a, status));
		res_set_str(ctx, res, "stdout", exists != NULL ? exists : run);
		clu_fail_output(ctx, res, arena_printf(ctx->a, "kubeadm %s "
		    "failed (rc %d)", strcmp(command, "token") == 0 ?
		    "token create" : command, status), exists != NULL ?
		    exists : run, cr.err.buf);
		goto out;
	}
	if (exists != NULL) {
		/* init on a cluster that exists: its join command, no change */
		if (strcmp(command, "init") == 0)
			set_join(ctx, res, find_join(ctx, exists, &cp), NULL);
		res_set_str(ctx, res, "msg", strcmp(command, "reset") == 0 ?
		    "no cluster to reset" : strcmp(command, "join") == 0 ?
		    "already joined (" KUBELET_CONF " exists)" :
		    "cluster exists (" ADMIN_CONF " exists)");
		goto out;
	}
	res->changed = strcmp(command, "token") != 0;
	if (ctx->check_mode) {
		res_set_str(ctx, res, "msg", arena_printf(ctx->a, "kubeadm %s "
		    "would run (check mode: no join command)", command));
		goto out;
	}
	res_set_str(ctx, res, "stdout", run);
	res_set(ctx, res, "stdout_lines", clu_lines(ctx, run));
	res_set(ctx, res, "rc", val_new_int(ctx->a, 0));
	if (strcmp(command, "init") == 0 || strcmp(command, "token") == 0) {
		join = find_join(ctx, run, &cp);
		if (join == NULL) {
			res_fail(ctx, res, "kubeadm %s printed no join command",
			    command);
			goto out;
		}
		set_join(ctx, res, join, cp);
	}
out:
	conn_result_release(&cr);
	sb_release(&script);
	return rc;
}

const struct module module_kubeadm = {
	.name = "kubeadm",
	.summary = "kubeadm init, join, token and reset, idempotently",
	.args = kubeadm_args,
	.flags = MODULE_CHECK_MODE,
	.run = kubeadm_run,
};
