/*
 * out/adhoc.h: ad-hoc output as Ansible's `ansible` prints it (the minimal
 * callback, `-o` the oneline callback), and folded output: hosts with the
 * same outcome share one block headed by their host set ("h[1-97] (97)"),
 * as `clush -b` does.  Text is appended to a caller-owned strbuf; only the
 * main thread calls these.
 */
#ifndef MUSTER_OUT_ADHOC_H
#define MUSTER_OUT_ADHOC_H

#include "module.h"

enum adhoc_style {
	ADHOC_MINIMAL,		/* --no-fold: Ansible's format */
	ADHOC_ONELINE,		/* -o */
};

/* The block for one host (or a folded label) and its result. */
void	out_adhoc_result(struct strbuf *, const char *label,
	    const struct module *, const struct result *, enum adhoc_style);
/* Ansible's result dump: sorted keys, indent (< 0: one line). */
void	out_dump_result(struct strbuf *, const struct value *, int indent);

#endif
