/*
 * json.h: values to and from JSON text, formatted the way Python's
 * json.dumps() formats them (Ansible's to_json, to_nice_json and
 * ansible-inventory output are json.dumps()).  Output is appended to a
 * caller-owned strbuf; parsed values live in the caller's arena.
 */
#ifndef MUSTER_JSON_H
#define MUSTER_JSON_H

#include "value.h"

struct json_opts {
	int	 indent;	/* < 0: one line with ", " and ": " */
	bool	 sort_keys;
	bool	 ensure_ascii;	/* \uXXXX for non-ASCII, Python's default */
};

#define JSON_OPTS_PYTHON { -1, false, true }

void		 json_encode(struct strbuf *, const struct value *,
		    const struct json_opts *);
/* JSON text into a value; NULL with an error naming line and column. */
struct value	*json_parse(struct arena *, const char *name, const char *text,
		    size_t len, struct err *);

#endif
