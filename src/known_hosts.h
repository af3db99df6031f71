/*
 * known_hosts.h: host key checking for a connected libssh session.  A
 * changed key is always refused, naming the host and the file and line of
 * the key on record; an unknown key is refused, or (accept_new) appended
 * once, under a lock, so that hundreds of first connections in parallel add
 * each host exactly once.
 */
#ifndef MUSTER_KNOWN_HOSTS_H
#define MUSTER_KNOWN_HOSTS_H

#include <stdbool.h>

#include <libssh/libssh.h>

#include "err.h"

int	kh_verify(ssh_session, const char *name, bool accept_new, struct err *);

#endif
