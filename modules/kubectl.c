/*
 * kubectl: apply (state present) or delete (absent) manifests with the
 * host's kubectl: src (files, directories or URLs), kustomize (-k) or an
 * inline definition (YAML text, a dict or a list, sent on stdin), then
 * optionally wait for a resource (kubectl wait --for=..., or rollout
 * status).
 *
 * changed comes from kubectl's own per-object lines: "created" and
 * "configured" are changes, "unchanged" is not; for delete, "deleted".
 * Server-side apply prints "serverside-applied" either way, so there a
 * `kubectl diff --server-side` decides first (exit 1: differences) and an
 * unchanged set is not applied at all.  Check mode runs `kubectl diff`
 * (the API server's dry run of the same apply) and reports its answer; if
 * diff cannot answer (no cluster yet) the task reports changed with a
 * warning rather than a guess of "ok".  --diff shows kubectl diff's text.
 * One command a task.
 */
#include <string.h>

#include "cluster.h"
#include "json.h"
#include "runcmd.h"
#include "shell.h"

static const char *const state_choices[] = { "present", "absent", NULL };
static const char *const src_aliases[] = { "path", NULL };

static const struct arg_spec kubectl_args[] = {
	{ .name = "src", .type = ARG_LIST, .elem = ARG_STR,
	  .aliases = src_aliases },
	{ .name = "kustomize", .type = ARG_PATH },
	{ .name = "definition", .type = ARG_RAW },
	{ .name = "state", .type = ARG_STR, .dflt = "present",
	  .choices = state_choices },
	{ .name = "namespace", .type = ARG_STR },
	{ .name = "kubeconfig", .type = ARG_PATH },
	{ .name = "server_side", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "wait_resource", .type = ARG_STR },
	{ .name = "wait_for", .type = ARG_STR, .dflt = "condition=Available" },
	{ .name = "wait_timeout", .type = ARG_INT, .dflt = "120" },
	{ .name = "args", .type = ARG_LIST, .elem = ARG_STR },
	{ .name = NULL },
};

/* The stdin text of a definition: YAML as given, else JSON (YAML too). */
static void
definition_text(struct strbuf *sb, const struct value *def)
{
	struct json_opts o = { 1, false, false };

	if (def->type == VAL_STR) {
		sb_add(sb, def->u.str.s, def->u.str.len);
		return;
	}
	if (def->type == VAL_LIST) {
		/* kubectl takes a List and acts on each item */
		sb_adds(sb, "{\"apiVersion\": \"v1\", \"kind\": \"List\", "
		    "\"items\": ");
		json_encode(sb, def, &o);
		sb_adds(sb, "}\n");
		return;
	}
	json_encode(sb, def, &o);
	sb_addch(sb, '\n');
}

/* The sources as kubectl words: -f X ... or -k DIR, or -f "$t". */
static void
add_sources(struct strbuf *sb, const struct value *args, bool stdin_file)
{
	const struct value *src = val_dict_get(args, "src");
	const char *kust = arg_str(args, "kustomize");
	size_t i;

	if (stdin_file)
		sb_adds(sb, " -f \"$t\"");
	for (i = 0; src != NULL && src->type == VAL_LIST &&
	    i < src->u.list->n; i++) {
		sb_adds(sb, " -f ");
		sh_quote(sb, src->u.list->items[i]->u.str.s);
	}
	if (kust != NULL) {
		sb_adds(sb, " -k ");
		sh_quote(sb, kust);
	}
}

static void
add_args(struct strbuf *sb, const struct value *args)
{
	const struct value *extra = val_dict_get(args, "args");
	size_t i;

	for (i = 0; extra != NULL && extra->type == VAL_LIST &&
	    i < extra->u.list->n; i++) {
		sb_addch(sb, ' ');
		sh_quote(sb, extra->u.list->items[i]->u.str.s);
	}
}

/*
 * k() runs kubectl with the kubeconfig and namespace; sections: diff (its
 * output, value its exit status), apply/delete/get (value: exit status),
 * wait.
 */
static void
build(struct task_ctx *ctx, const struct value *args, bool have_def,
    struct strbuf *sb)
{
	const char *kc = arg_str(args, "kubeconfig");
	const char *ns = arg_str(args, "namespace");
	const char *wait = arg_str(args, "wait_resource");
	const char *wait_for = arg_str(args, "wait_for");
	bool absent = strcmp(arg_str(args, "state"), "absent") == 0;
	bool ss = arg_bool(args, "server_side");
	bool apply = have_def || val_dict_get(args, "src") != NULL ||
	    arg_str(args, "kustomize") != NULL;
	struct strbuf src = STRBUF_INIT;

	runcmd_add_env(sb, ctx->env);
	if (kc == NULL && (ctx->env == NULL ||
	    val_dict_get(ctx->env, "KUBECONFIG") == NULL))
		kc = "/etc/kubernetes/admin.conf";
	sb_adds(sb, "k() { kubectl");
	if (kc != NULL) {
		sb_adds(sb, " --kubeconfig ");
		sh_quote(sb, kc);
	}
	if (ns != NULL) {
		sb_adds(sb, " -n ");
		sh_quote(sb, ns);
	}
	sb_adds(sb, " \"$@\"; }\n");
	if (have_def)
		sb_adds(sb, "t=$(mktemp) || exit 1\ntrap 'rm -f \"$t\"' EXIT\n"
		    "cat >\"$t\" || exit 1\n");
	add_sources(&src, args, have_def);
	if (apply && absent) {
		if (ctx->check_mode)
			sb_addf(sb, "echo @@get\nk get%s -o name "
			    "--ignore-not-found 2>&1\necho \"@@getrc $?\"\n",
			    src.buf);
		else {
			sb_addf(sb, "echo @@delete\nk delete%s "
			    "--ignore-not-found", src.buf);
			add_args(sb, args);
			sb_adds(sb, "\nr=$?; echo \"@@deleterc $r\"; "
			    "[ $r = 0 ] || exit 0\n");
		}
	} else if (apply) {
		if (ctx->check_mode || ctx->diff || ss)
			sb_addf(sb, "echo @@diff\nk diff%s%s 2>&1\n"
			    "d=$?; echo \"@@diffrc $d\"\n", ss ?
			    " --server-side" : "", src.buf);
		if (!ctx->check_mode) {
			if (ss)
				sb_adds(sb, "if [ $d != 0 ]; then ");
			sb_addf(sb, "echo @@apply; k apply%s%s", ss ?
			    " --server-side" : "", src.buf);
			add_args(sb, args);
			sb_adds(sb, "; r=$?; echo \"@@applyrc $r\"; "
			    "[ $r = 0 ] || exit 0");
			sb_adds(sb, ss ? "; fi\n" : "\n");
		}
	}
	if (wait != NULL && !absent && !ctx->check_mode) {
		sb_adds(sb, "echo @@wait\n");
		if (strcmp(wait_for, "rollout") == 0)
			sb_adds(sb, "k rollout status ");
		else {
			sb_adds(sb, "k wait --for=");
			sh_quote(sb, wait_for);
			sb_addch(sb, ' ');
		}
		sh_quote(sb, wait);
		sb_addf(sb, " --timeout=%llds 2>&1\necho \"@@waitrc $?\"\n",
		    (long long)arg_int(args, "wait_timeout"));
	}
	sb_adds(sb, "exit 0\n");
	sb_release(&src);
}

/*
 * "deployment.apps/web configured" lines: each into objects, *changed when
 * one is not "unchanged" (kubectl's words: created, configured,
 * serverside-applied, deleted, pruned...).
 */
static void
parse_objects(struct task_ctx *ctx, const char *out, struct value *objects,
    bool *changed)
{
	const char *p = out, *nl, *sp, *slash;

	for (; p != NULL && *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		struct value *o;
		const char *word, *wend;

		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		sp = memchr(p, ' ', (size_t)(nl - p));
		slash = memchr(p, '/', (size_t)(nl - p));
		/* delete prints `kind "name" deleted` */
		if (sp == NULL)
			continue;
		if (slash == NULL || slash > sp) {
			const char *q = memchr(p, '"', (size_t)(nl - p));

			if (q == NULL || (q = memchr(q + 1, '"', (size_t)(nl -
			    q - 1))) == NULL || q[1] != ' ')
				continue;
			sp = q + 1;
		}
		word = sp + 1;
		wend = memchr(word, ' ', (size_t)(nl - word));
		if (wend == NULL)
			wend = nl;
		o = val_new_dict(ctx->a);
		val_dict_set(ctx->a, o, "object", val_new_strn(ctx->a, p,
		    (size_t)(sp - p)));
		val_dict_set(ctx->a, o, "action", val_new_strn(ctx->a, word,
		    (size_t)(wend - word)));
		val_list_push(ctx->a, objects, o);
		if (!(wend - word == 9 && memcmp(word, "unchanged", 9) == 0))
			*changed = true;
	}
}

static void
warn(struct task_ctx *ctx, struct result *res, const char *msg)
{
	struct value *w = val_new_list(ctx->a);

	val_list_push(ctx->a, w, val_new_str(ctx->a, msg));
	res_set(ctx, res, "warnings", w);
}

static int
kubectl_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const struct value *def = val_dict_get(args, "definition");
	struct strbuf script = STRBUF_INIT, in = STRBUF_INIT;
	struct value *objects = val_new_list(ctx->a);
	const char *diff, *act, *wait, *verb = "apply";
	struct conn_result cr;
	int nsrc = 0, rc, drc, arc, wrc;

	if (def != NULL && def->type == VAL_NULL)
		def = NULL;
	nsrc += def != NULL;
	nsrc += val_dict_get(args, "src") != NULL;
	nsrc += arg_str(args, "kustomize") != NULL;
	if (nsrc > 1)
		return res_fail(ctx, res, "parameters are mutually exclusive: "
		    "src|kustomize|definition");
	if (nsrc == 0 && arg_str(args, "wait_resource") == NULL)
		return res_fail(ctx, res, "one of the following is required: "
		    "src, kustomize, definition, wait_resource");
	if (def != NULL)
		definition_text(&in, def);
	build(ctx, args, def != NULL, &script);
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, script.buf, ctx->become, in.buf, in.len,
	    &cr, err);
	if (rc < 0)
		goto out;
	if (cr.rc != 0) {
		clu_fail_output(ctx, res, "kubectl failed", cr.out.buf,
		    cr.err.buf);
		goto out;
	}
	sb_rtrim(&cr.err);
	diff = clu_section(ctx, &cr.out, "diff", NULL);
	drc = clu_section_rc(ctx, &cr.out, "diffrc");
	if ((act = clu_section(ctx, &cr.out, "apply", NULL)) != NULL)
		arc = clu_section_rc(ctx, &cr.out, "applyrc");
	else if ((act = clu_section(ctx, &cr.out, "delete", NULL)) != NULL) {
		arc = clu_section_rc(ctx, &cr.out, "deleterc");
		verb = "delete";
	} else if ((act = clu_section(ctx, &cr.out, "get", NULL)) != NULL) {
		arc = clu_section_rc(ctx, &cr.out, "getrc");
		verb = "get";
	} else
		arc = 0;
	if (arc != 0) {
		res_set(ctx, res, "rc", val_new_int(ctx->a, arc));
		clu_fail_output(ctx, res, arena_printf(ctx->a, "kubectl %s "
		    "failed", verb), act, cr.err.buf);
		goto out;
	}
	if (act != NULL) {
		res_set_str(ctx, res, "stdout", act);
		res_set(ctx, res, "stdout_lines", clu_lines(ctx, act));
		res_set_str(ctx, res, "stderr", cr.err.buf);
	}
	if (strcmp(verb, "get") == 0) {
		/* check mode, absent: what exists would be deleted */
		res->changed = act != NULL && *act != '\0';
	} else if (strcmp(verb, "delete") == 0 ||
	    (act != NULL && !arg_bool(args, "server_side")))
		parse_objects(ctx, act, objects, &res->changed);
	else if (diff != NULL) {
		/* check mode, or server-side apply: kubectl diff decides */
		res->changed = drc != 0;
		if (drc > 1)
			warn(ctx, res, arena_printf(ctx->a, "kubectl diff "
			    "could not compare (rc %d: %s); reporting a "
			    "change", drc, diff));
		else if (act != NULL)
			parse_objects(ctx, act, objects, &res->changed);
	}
	res_set(ctx, res, "objects", objects);
	if (ctx->diff && diff != NULL && drc == 1) {
		struct value *d = val_new_dict(ctx->a);

		val_dict_set(ctx->a, d, "prepared", val_new_str(ctx->a, diff));
		res_set(ctx, res, "diff", d);
	}
	wait = clu_section(ctx, &cr.out, "wait", NULL);
	if (wait != NULL) {
		wrc = clu_section_rc(ctx, &cr.out, "waitrc");
		res_set_str(ctx, res, "wait", wait);
		if (wrc != 0)
			clu_fail_output(ctx, res, arena_printf(ctx->a,
			    "waiting for '%s' failed", arg_str(args,
			    "wait_resource")), wait, NULL);
	}
out:
	conn_result_release(&cr);
	sb_release(&script);
	sb_release(&in);
	return rc;
}

const struct module module_kubectl = {
	.name = "kubectl",
	.summary = "apply or delete Kubernetes manifests, then wait",
	.args = kubectl_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = kubectl_run,
};
