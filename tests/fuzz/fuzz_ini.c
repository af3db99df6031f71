/* libFuzzer target: the INI inventory parser and host patterns. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inv_parse.h"
#include "pattern.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a = ARENA_INIT;
	struct err err = ERR_INIT;
	struct inventory inv;
	struct inv_host **hs = NULL;
	const char *nl = memchr(data, '\n', size);
	char *pattern;
	size_t n;

	/* First line: a host pattern; the rest: the inventory. */
	if (nl == NULL)
		return 0;
	pattern = xstrndup((const char *)data, (size_t)(nl - (const char *)data));
	if (inv_load(&inv, &a, NULL, 0, &err) == 0 &&
	    inv_parse_ini(&inv, "fuzz.ini", nl + 1,
	    size - (size_t)(nl + 1 - (const char *)data), &err) == 0 &&
	    pattern[0] != '\0' &&
	    pat_select(&inv, pattern, NULL, 0, &hs, &n, &err) == 0)
		free(hs);
	inv_release(&inv);
	free(pattern);
	arena_release(&a);
	return 0;
}
