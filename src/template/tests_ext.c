/* tests_ext.c: library tests that need no evaluator service (regex, version). */
#include "filters.h"

const struct tmpl_test tmpl_tests_ext[] = {
	{ NULL, NULL, 0 },
};
