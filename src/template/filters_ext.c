/*
 * filters_ext.c: library filters that need no evaluator service: YAML,
 * regular expressions (PCRE2 with Python's re semantics), hashes, base64,
 * random (Python's Mersenne Twister, so seeded results match Ansible).
 */
#include "filters.h"

const struct tmpl_filter tmpl_filters_ext[] = {
	{ NULL, NULL, 0 },
};
