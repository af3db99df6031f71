/*
 * yaml_load.h (named so that libyaml keeps <yaml.h>): YAML text into values (libyaml), typed as PyYAML's SafeLoader
 * types them, since that is what Ansible sees: yes/no/on/off are booleans,
 * 0755 is octal, 1e3 is a string, ~ and empty are null.  Every node keeps
 * its file:line:col; anchors, aliases and << merge keys work; !unsafe marks
 * a string never to be templated; duplicate keys warn and the last wins.
 *
 * Values live in the caller's arena; the file name is interned there too.
 */
#ifndef MUSTER_YAML_LOAD_H
#define MUSTER_YAML_LOAD_H

#include "value.h"

/* One document (the first); an empty stream is null.  NULL on error. */
struct value	*yaml_load_file(struct arena *, const char *path, struct err *);
struct value	*yaml_load_string(struct arena *, const char *name,
		    const char *text, size_t len, struct err *);
/* Every document of a stream, as a list. */
struct value	*yaml_load_all(struct arena *, const char *name,
		    const char *text, size_t len, struct err *);
/* The type a plain (unquoted) scalar gets: for INI-ish callers too. */
struct value	*yaml_plain_scalar(struct arena *, const char *s, size_t len);

#endif
