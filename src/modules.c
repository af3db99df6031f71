/* modules.c: the table of modules (git's commands[]). */
#include <string.h>

#include "module.h"

extern const struct module module_assert, module_blockinfile, module_command,
    module_copy, module_debug, module_fail, module_file, module_include_vars,
    module_kubeadm, module_kubectl, module_lineinfile, module_meta,
    module_pause, module_ping, module_raw, module_replace, module_set_fact,
    module_setup, module_shell, module_stat, module_static_ip, module_swap,
    module_template;

static const struct module *const modules[] = {
	&module_assert,
	&module_blockinfile,
	&module_command,
	&module_copy,
	&module_debug,
	&module_fail,
	&module_file,
	&module_include_vars,
	&module_kubeadm,
	&module_kubectl,
	&module_lineinfile,
	&module_meta,
	&module_pause,
	&module_ping,
	&module_raw,
	&module_replace,
	&module_set_fact,
	&module_setup,
	&module_shell,
	&module_stat,
	&module_static_ip,
	&module_swap,
	&module_template,
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
	static const char *const prefixes[] = { "ansible.builtin.",
	    "ansible.legacy.", NULL };
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
