/*
 * hostset.h: fold host names into clush-style sets ("h[1-3,5],web1") for
 * folded output.  Names sharing a prefix and a numeric suffix are folded;
 * zero padding is kept ("node[01-10]").  Output appended to a strbuf.
 */
#ifndef MUSTER_HOSTSET_H
#define MUSTER_HOSTSET_H

#include <stddef.h>

#include "strbuf.h"

void	hostset_fold(struct strbuf *, const char *const *names, size_t n);

#endif
