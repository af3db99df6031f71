/*
 * difflib.h: Python's difflib.unified_diff, line for line (Ansible prints
 * --diff output with it, so the same hunks need the same algorithm:
 * SequenceMatcher with its "autojunk" heuristic, not a minimal diff).
 * Lines keep their terminators; the caller's strbuf receives the text.
 */
#ifndef MUSTER_DIFFLIB_H
#define MUSTER_DIFFLIB_H

#include <stddef.h>

#include "strbuf.h"

struct dl_line {
	const char	*s;
	size_t		 len;
};

/*
 * Append unified_diff(a, b, fromfile, tofile, n=context) to out; returns
 * whether there was any difference.
 */
int	dl_unified(struct strbuf *out, const struct dl_line *a, size_t na,
	    const struct dl_line *b, size_t nb, const char *fromfile,
	    const char *tofile, int context);

#endif
