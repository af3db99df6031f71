#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adhoc.h"
#include "cli.h"
#include "hostset.h"
#include "json.h"
#include "module.h"
#include "out/adhoc.h"
#include "pool.h"
#include "runsetup.h"
#include "target.h"
#include "template/template.h"
#include "util.h"
#include "vars.h"
#include "yaml_load.h"

/* What one host did: filled by a worker, read by the main thread. */
struct host_run {
	struct target	 target;
	struct arena	 scratch;
	struct result	 res;
	char		*text;		/* the formatted result */
	char		*key;		/* what identical outcomes share */
};

struct adhoc {
	struct run_opts		*opts;
	struct run_setup	*rs;
	const struct module	*mod;
	const struct value	*args;		/* checked, when not templated */
	const struct value	*raw;		/* args that hold templates */
	struct run_magic	 magic;
	struct host_run		*hosts;
	size_t			 nhosts;
	enum adhoc_style	 style;
	bool			 fold;
};

/*
 * Template the task's arguments with this host's variables, drop the ones
 * that are `omit`, and check them: NULL (the host failed) on an error.
 */
static const struct value *
host_args(struct adhoc *ad, struct task_ctx *ctx, struct result *res)
{
	struct err err = ERR_INIT;
	struct value *v, *args;
	char buf[ERR_MSG_MAX + 256];

	if (tmpl_value(ctx->a, ctx->tmpl, ad->raw, &v, &err) < 0) {
		res->no_changed_key = true;
		res_fail(ctx, res, "The task includes an option with an "
		    "undefined variable. The error was: %s",
		    err.pos.line > 0 ? err_format(&err, buf, sizeof(buf)) :
		    err.msg);
		return NULL;
	}
	for (size_t k = v->u.dict->n; k > 0; k--) {
		struct val_entry *e = &v->u.dict->ent[k - 1];

		if (val_is_str(e->val, TMPL_OMIT) && e->key->type == VAL_STR)
			val_dict_del(v, e->key->u.str.s);
	}
	if ((args = mod_check_args(ctx->a, ad->mod, v, &err)) == NULL) {
		res_fail(ctx, res, "%s", err_format(&err, buf, sizeof(buf)));
		return NULL;
	}
	return args;
}

static void
run_one(void *ud, size_t i)
{
	struct adhoc *ad = ud;
	struct host_run *h = &ad->hosts[i];
	struct task_ctx ctx = {
		.a = &h->scratch,
		.conn = h->target.conn,
		.host = h->target.name,
		.become = &h->target.become,
		.vars = h->target.vars,
		.check_mode = ad->opts->check,
		.diff = ad->opts->diff,
		.verbosity = ad->opts->verbosity,
	};
	struct err err = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct varscope scope = { 0 };
	struct tmpl_env env = { varscope_get, &scope, TMPL_ANSIBLE, "." };
	const struct value *args = ad->args;
	int rc = 0;

	/* Extra vars win, then magic vars, then the host's own. */
	varscope_push(&scope, ad->rs->extra_vars);
	varscope_push(&scope, vars_magic(&h->scratch, &ad->rs->inv,
	    ad->rs->hosts[i], &ad->magic));
	varscope_push(&scope, h->target.vars);
	ctx.tmpl = &env;
	res_init(&ctx, &h->res);
	if (args == NULL)
		args = host_args(ad, &ctx, &h->res);
	if (args != NULL)
		rc = ad->mod->run(&ctx, args, &h->res, &err);
	if (rc < 0) {
		char msg[ERR_MSG_MAX + 256];

		h->res.unreachable = true;
		h->res.changed = false;
		h->res.v = val_new_dict(&h->scratch);
		res_set_str(&ctx, &h->res, "msg",
		    err_format(&err, msg, sizeof(msg)));
		h->target.unreachable = true;
	}
	res_finish(&ctx, &h->res);
	out_adhoc_result(&sb, h->target.name, ad->mod, &h->res, ad->style);
	h->text = sb_detach(&sb, NULL);
	if (ad->fold) {
		/* The outcome without the host name: what folding compares. */
		out_adhoc_result(&sb, "", ad->mod, &h->res, ad->style);
		h->key = sb_detach(&sb, NULL);
	}
	/* Done with the session for this run: free it now, not at exit. */
	conn_close(h->target.conn);
}

static void
write_tree(struct adhoc *ad, struct host_run *h)
{
	struct strbuf sb = STRBUF_INIT;
	char *path, *tmp;
	int fd;

	out_dump_result(&sb, h->res.v, -1);
	path = xasprintf("%s/%s", ad->opts->tree, h->target.name);
	tmp = xasprintf("%s.tmp%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, sb.buf, sb.len) != (ssize_t)sb.len ||
	    close(fd) < 0 || rename(tmp, path) < 0)
		warnx("cannot write '%s': %s", path, strerror(errno));
	free(tmp);
	free(path);
	sb_release(&sb);
}

static void
host_done(void *ud, size_t i)
{
	struct adhoc *ad = ud;
	struct host_run *h = &ad->hosts[i];

	if (ad->opts->tree != NULL)
		write_tree(ad, h);
	if (!ad->fold) {
		fputs(h->text, stdout);
		fflush(stdout);
	}
}

static int
status_rank(const struct result *r)
{
	if (r->unreachable)
		return 3;
	if (r->failed)
		return 2;
	return 0;
}

/* Print groups of identical outcomes: successes first, then failures. */
static void
print_folded(struct adhoc *ad)
{
	bool *printed = xcalloc(ad->nhosts, sizeof(bool));
	const char **names = xcalloc(ad->nhosts, sizeof(*names));
	struct strbuf label = STRBUF_INIT, out = STRBUF_INIT;
	size_t i, j, n;
	int rank;

	for (rank = 0; rank <= 3; rank++) {
		for (i = 0; i < ad->nhosts; i++) {
			struct host_run *h = &ad->hosts[i];

			if (printed[i] || status_rank(&h->res) != rank)
				continue;
			n = 0;
			for (j = i; j < ad->nhosts; j++)
				if (!printed[j] && strcmp(ad->hosts[j].key,
				    h->key) == 0) {
					printed[j] = true;
					names[n++] = ad->hosts[j].target.name;
				}
			/* Failures are listed host by host, never folded. */
			if (n == 1 || rank > 0) {
				for (j = i; j < ad->nhosts; j++)
					if (strcmp(ad->hosts[j].key, h->key) == 0 &&
					    status_rank(&ad->hosts[j].res) == rank)
						fputs(ad->hosts[j].text, stdout);
				continue;
			}
			sb_reset(&label);
			hostset_fold(&label, names, n);
			sb_addf(&label, " (%zu)", n);
			sb_reset(&out);
			out_adhoc_result(&out, label.buf, ad->mod, &h->res,
			    ad->style);
			fputs(out.buf, stdout);
		}
	}
	sb_release(&label);
	sb_release(&out);
	free(names);
	free(printed);
}

static int
parse_args(struct adhoc *ad, struct arena *a, struct err *err)
{
	const char *text = ad->opts->module_args;
	struct value *kv = NULL;
	static const struct pos cli_pos = { "-a", 0, 0 };

	if (text == NULL)
		text = "";
	if ((ad->mod->flags & MODULE_RAW_PARAMS) && *text == '\0' &&
	    strcmp(ad->mod->name, "ping") != 0)
		return err_set(err, NULL, "no argument passed to '%s' module",
		    ad->mod->name);
	if (*text == '{') {
		kv = yaml_load_string(a, "-a", text, strlen(text), err);
		if (kv == NULL)
			return -1;
	} else {
		kv = mod_parse_kv(a, ad->mod, text, &cli_pos, err);
		if (kv == NULL)
			return -1;
	}
	if (tmpl_value_needs(kv)) {
		/* Templated per host, checked then. */
		ad->raw = kv;
		return 0;
	}
	ad->args = mod_check_args(a, ad->mod, kv, err);
	return ad->args == NULL ? -1 : 0;
}

int
adhoc_main(struct run_opts *o)
{
	struct adhoc ad = { .opts = o };
	struct run_setup rs;
	struct err err = ERR_INIT;
	struct arena a = ARENA_INIT;
	size_t i, nfailed = 0, nunreach = 0;
	int rc = EXIT_OK;

	if (o->args.n != 1) {
		fprintf(stderr, "ERROR! ad-hoc mode takes one host pattern, "
		    "got %zu\n", o->args.n);
		return EXIT_INPUT;
	}
	ad.mod = mod_find(o->module_name != NULL ? o->module_name :
	    "command");
	if (ad.mod == NULL) {
		fprintf(stderr, "ERROR! couldn't resolve module/action '%s'\n",
		    o->module_name);
		return EXIT_INPUT;
	}
	if (parse_args(&ad, &a, &err) < 0) {
		err_print(&err);
		arena_release(&a);
		return EXIT_INPUT;
	}
	if (run_setup_init(&rs, o, o->args.v[0], &err) < 0) {
		err_print(&err);
		arena_release(&a);
		return EXIT_INPUT;
	}
	if (o->list_hosts) {
		printf("  hosts (%zu):\n", rs.nhosts);
		for (i = 0; i < rs.nhosts; i++)
			printf("    %s\n", rs.names[i]);
		goto out;
	}
	if (rs.nhosts == 0) {
		warnx("No hosts matched, nothing to do");
		goto out;
	}
	if (o->tree != NULL && mkdir(o->tree, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "ERROR! cannot create '%s': %s\n", o->tree,
		    strerror(errno));
		rc = EXIT_INPUT;
		goto out;
	}
	ad.rs = &rs;
	ad.magic.check_mode = o->check;
	ad.magic.diff_mode = o->diff;
	ad.magic.verbosity = o->verbosity;
	if (ad.raw != NULL || (ad.mod->flags & MODULE_NO_HOST)) {
		/* hostvars only when something may read them */
		ad.magic.hostvars = vars_hostvars(&rs.a, &rs.inv);
		ad.magic.play_hosts = val_new_list(&rs.a);
		for (i = 0; i < rs.nhosts; i++)
			val_list_push(&rs.a, ad.magic.play_hosts,
			    val_new_str(&rs.a, rs.names[i]));
	}
	ad.style = o->one_line ? ADHOC_ONELINE : ADHOC_MINIMAL;
	ad.fold = o->fold == FOLD_ON || (o->fold == FOLD_AUTO &&
	    !o->one_line && rs.nhosts > 1);
	ad.nhosts = rs.nhosts;
	ad.hosts = xcalloc(rs.nhosts, sizeof(*ad.hosts));
	for (i = 0; i < rs.nhosts; i++) {
		target_init(&ad.hosts[i].target, rs.names[i], rs.vars[i], o);
		arena_init(&ad.hosts[i].scratch);
	}
	if (pool_run(ad.nhosts, run_setup_forks(o, ad.nhosts), run_one,
	    host_done, &ad) < 0) {
		fprintf(stderr, "ERROR! cannot start worker threads: %s\n",
		    strerror(errno));
		rc = EXIT_INPUT;
	}
	if (ad.fold)
		print_folded(&ad);
	for (i = 0; i < ad.nhosts; i++) {
		struct host_run *h = &ad.hosts[i];

		if (h->res.unreachable)
			nunreach++;
		else if (h->res.failed)
			nfailed++;
		free(h->text);
		free(h->key);
		target_release(&h->target);
		arena_release(&h->scratch);
	}
	free(ad.hosts);
	if (rc == EXIT_OK && nunreach > 0)
		rc = EXIT_UNREACHABLE;
	else if (rc == EXIT_OK && nfailed > 0)
		rc = EXIT_FAILED;
	if (ad.fold && ad.nhosts > 1 && (nunreach > 0 || nfailed > 0))
		fprintf(stderr, "muster: %zu hosts, %zu ok, %zu failed, "
		    "%zu unreachable\n", ad.nhosts,
		    ad.nhosts - nfailed - nunreach, nfailed, nunreach);
out:
	run_setup_release(&rs);
	arena_release(&a);
	return rc;
}
