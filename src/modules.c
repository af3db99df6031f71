/* modules.c: the table of modules (git's commands[]). */
#include <string.h>

#include "module.h"

extern const struct module module_apt, module_apt_key, module_apt_repository,
    module_dpkg_selections, module_package;
extern const struct module module_assert, module_blockinfile, module_command,
    module_copy, module_deb822_repository, module_debug, module_fail, module_fetch, module_file,
    module_get_url, module_group, module_hostname, module_include_vars,
    module_kubeadm, module_kubectl, module_lineinfile, module_meta, module_pause,
    module_modprobe, module_mount, module_ping, module_raw, module_replace,
    module_script, module_service, module_set_fact, module_setup, module_shell,
    module_slurp, module_stat, module_static_ip, module_swap, module_sysctl,
    module_systemd, module_systemd_service, module_template, module_uri,
    module_user, module_wait_for;

static const struct module *const modules[] = {
	&module_apt,
	&module_apt_key,
	&module_apt_repository,
	&module_assert,
	&module_blockinfile,
	&module_command,
	&module_copy,
	&module_deb822_repository,
	&module_debug,
	&module_dpkg_selections,
	&module_fail,
	&module_fetch,
	&module_file,
	&module_get_url,
	&module_group,
	&module_hostname,
	&module_include_vars,
	&module_kubeadm,
	&module_kubectl,
	&module_lineinfile,
	&module_meta,
	&module_modprobe,
	&module_mount,
	&module_package,
	&module_pause,
	&module_ping,
	&module_raw,
	&module_replace,
	&module_script,
	&module_service,
	&module_set_fact,
	&module_setup,
	&module_shell,
	&module_slurp,
	&module_stat,
	&module_static_ip,
	&module_swap,
	&module_sysctl,
	&module_systemd,
	&module_systemd_service,
	&module_template,
	&module_uri,
	&module_user,
	&module_wait_for,
	NULL,
};

const struct module *const *
mod_list(void)
{
	return modules;
}

const struct module *
mod_find(const char *name)
{
	/* and the collections whose modules muster has (mount, sysctl...) */
	static const char *const prefixes[] = { "ansible.builtin.",
	    "ansible.legacy.", "ansible.posix.", "community.general.", NULL };
	size_t i;

	for (i = 0; prefixes[i] != NULL; i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) {
			name += strlen(prefixes[i]);
			break;
		}
	for (i = 0; modules[i] != NULL; i++)
		if (strcmp(modules[i]->name, name) == 0)
			return modules[i];
	return NULL;
}
