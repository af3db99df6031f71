/* libFuzzer target: the YAML loader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "yaml_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a = ARENA_INIT;
	struct err err = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct value *v;

	v = yaml_load_all(&a, "fuzz.yml", (const char *)data, size, &err);
	if (v != NULL)
		json_encode(&sb, v, NULL);
	sb_release(&sb);
	arena_release(&a);
	return 0;
}
