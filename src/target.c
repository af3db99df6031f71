#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shell.h"
#include "target.h"
#include "util.h"

/* A variable as text (an int as its digits), living as long as t. */
static const char *
var_str(struct target *t, const char *name)
{
	const struct value *v = val_dict_get(t->vars, name);

	if (v == NULL)
		return NULL;
	if (v->type == VAL_STR)
		return v->u.str.s;
	if (v->type == VAL_INT)
		return arena_printf(&t->arena, "%lld", (long long)v->u.i);
	if (v->type == VAL_BOOL)
		return v->u.b ? "true" : "false";
	return NULL;
}

const char *
target_var(const struct target *t, const char *name)
{
	const struct value *v = val_dict_get(t->vars, name);

	return v != NULL && v->type == VAL_STR ? v->u.str.s : NULL;
}

static bool
var_bool(struct target *t, const char *name, bool dflt)
{
	const struct value *v = val_dict_get(t->vars, name);
	const char *s;

	if (v == NULL)
		return dflt;
	if (v->type == VAL_BOOL)
		return v->u.b;
	s = var_str(t, name);
	if (s == NULL)
		return val_truthy(v);
	return strcmp(s, "1") == 0 || strcasecmp(s, "true") == 0 ||
	    strcasecmp(s, "yes") == 0 || strcasecmp(s, "on") == 0;
}

/*
 * Ansible users put OpenSSH options in ansible_ssh_common_args and
 * ansible_ssh_extra_args ("-o UserKnownHostsFile=x -o ProxyJump=bastion");
 * take the ones that mean something to a libssh session.
 */
static void
apply_ssh_args(struct target *t, const char *args, struct conn_opts *co)
{
	const char *why = NULL;
	char **w = sh_split(args, &why);
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; w[i] != NULL; i++) {
		const char *opt;
		char *key, *val, *eq;

		if (strcmp(w[i], "-o") == 0 && w[i + 1] != NULL)
			opt = w[++i];
		else if (strncmp(w[i], "-o", 2) == 0 && w[i][2] != '\0')
			opt = w[i] + 2;
		else if (strcmp(w[i], "-i") == 0 && w[i + 1] != NULL) {
			co->identity_file = arena_strdup(&t->arena, w[++i]);
			continue;
		} else if (strcmp(w[i], "-p") == 0 && w[i + 1] != NULL) {
			co->port = atoi(w[++i]);
			continue;
		} else if (strcmp(w[i], "-F") == 0 && w[i + 1] != NULL) {
			co->ssh_config = arena_strdup(&t->arena, w[++i]);
			continue;
		} else if (strcmp(w[i], "-J") == 0 && w[i + 1] != NULL) {
			co->proxy_jump = arena_strdup(&t->arena, w[++i]);
			continue;
		} else
			continue;
		key = arena_strdup(&t->arena, opt);
		eq = strpbrk(key, "= ");
		if (eq == NULL)
			continue;
		*eq = '\0';
		val = eq + 1;
		while (*val == ' ' || *val == '=')
			val++;
		if (strcasecmp(key, "UserKnownHostsFile") == 0)
			co->known_hosts = val;
		else if (strcasecmp(key, "StrictHostKeyChecking") == 0)
			co->hostkey = strcasecmp(val, "no") == 0 ||
			    strcasecmp(val, "off") == 0 ? HOSTKEY_OFF :
			    strcasecmp(val, "accept-new") == 0 ?
			    HOSTKEY_ACCEPT_NEW : HOSTKEY_STRICT;
		else if (strcasecmp(key, "IdentityFile") == 0)
			co->identity_file = val;
		else if (strcasecmp(key, "Port") == 0)
			co->port = atoi(val);
		else if (strcasecmp(key, "User") == 0)
			co->user = val;
		else if (strcasecmp(key, "ProxyJump") == 0)
			co->proxy_jump = val;
		else if (strcasecmp(key, "ConnectTimeout") == 0)
			co->connect_timeout = atoi(val);
	}
	sh_argv_free(w);
}

void
target_init(struct target *t, const char *name, const struct value *vars,
    const struct run_opts *o)
{
	struct conn_opts co;
	const char *s, *conn_type;

	memset(t, 0, sizeof(*t));
	arena_init(&t->arena);
	t->name = name;
	t->vars = vars;
	memset(&co, 0, sizeof(co));
	co.name = name;
	co.address = var_str(t, "ansible_host");
	if (co.address == NULL)
		co.address = var_str(t, "ansible_ssh_host");
	s = var_str(t, "ansible_port");
	if (s == NULL)
		s = var_str(t, "ansible_ssh_port");
	co.port = s != NULL ? atoi(s) : 0;
	/* The inventory's user wins over -u, as in Ansible. */
	co.user = var_str(t, "ansible_user");
	if (co.user == NULL)
		co.user = var_str(t, "ansible_ssh_user");
	if (co.user == NULL)
		co.user = o->remote_user;
	t->user = co.user;
	co.identity_file = var_str(t, "ansible_ssh_private_key_file");
	if (co.identity_file == NULL)
		co.identity_file = var_str(t, "ansible_private_key_file");
	if (co.identity_file == NULL)
		co.identity_file = o->private_key;
	co.password = var_str(t, "ansible_password");
	if (co.password == NULL)
		co.password = var_str(t, "ansible_ssh_pass");
	co.ssh_config = o->ssh_config;
	co.hostkey = o->hostkey;
	co.connect_timeout = o->timeout;
	co.command_timeout = o->task_timeout;
	conn_type = var_str(t, "ansible_connection");
	if (conn_type == NULL)
		conn_type = o->connection;
	/* The implicit localhost runs locally, as in Ansible. */
	if (conn_type == NULL && strcmp(name, "localhost") == 0 &&
	    val_dict_get(vars, "ansible_host") == NULL)
		conn_type = "local";
	co.local = conn_type != NULL && strcmp(conn_type, "local") == 0;
	s = var_str(t, "ansible_ssh_common_args");
	if (s != NULL)
		apply_ssh_args(t, s, &co);
	s = var_str(t, "ansible_ssh_extra_args");
	if (s != NULL)
		apply_ssh_args(t, s, &co);
	s = var_str(t, "ansible_host_key_checking");
	if (s == NULL)
		s = var_str(t, "ansible_ssh_host_key_checking");
	if (s != NULL && (strcasecmp(s, "false") == 0 ||
	    strcasecmp(s, "no") == 0 || strcmp(s, "0") == 0))
		co.hostkey = HOSTKEY_OFF;
	t->conn = conn_new(&co);

	t->become.enabled = var_bool(t, "ansible_become", o->become);
	t->become.method = var_str(t, "ansible_become_method");
	if (t->become.method == NULL)
		t->become.method = o->become_method;
	t->become.user = var_str(t, "ansible_become_user");
	if (t->become.user == NULL)
		t->become.user = o->become_user;
	t->become.password = var_str(t, "ansible_become_password");
	if (t->become.password == NULL)
		t->become.password = var_str(t, "ansible_become_pass");
	t->become.flags = var_str(t, "ansible_become_flags");
}

void
target_release(struct target *t)
{
	conn_free(t->conn);
	t->conn = NULL;
	arena_release(&t->arena);
}
