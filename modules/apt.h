/*
 * apt.h: what the apt family of modules (apt, package, apt_repository,
 * deb822_repository, apt_key, dpkg_selections) shares: Debian's version
 * ordering, the environment Ansible's apt modules run commands in, and the
 * module entry the package module hands its arguments to.
 */
#ifndef MUSTER_APT_H
#define MUSTER_APT_H

#include "module.h"

extern const struct module module_apt;

/* dpkg's version ordering (epoch:upstream-revision): <0, 0 or >0. */
int	apt_version_cmp(const char *, const char *);
/*
 * Append the environment of Ansible's apt module (noninteractive debconf,
 * the C locale) as "export ...;" words for a remote command line.
 */
void	apt_env(struct strbuf *);
/*
 * Run `apt-get update` on the host (the apt_repository and
 * deb822_repository modules' update_cache); returns 0 with *ok set, or -1
 * when the host is unreachable.  On failure *msg holds apt's error.
 */
int	apt_update(struct task_ctx *, bool *ok, const char **msg,
	    struct err *);

#endif
