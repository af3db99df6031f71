/*
 * difflib_driver: print dl_unified(FILE_A, FILE_B) as Ansible would
 * (headers "before"/"after", context 3) for the differential test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "difflib.h"
#include "strbuf.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		exit(2);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct dl_line *
lines(char *s, size_t len, size_t *n)
{
	struct dl_line *l = calloc(len + 1, sizeof(*l));
	size_t i = 0;

	*n = 0;
	while (i < len) {
		size_t e = i;

		while (e < len && s[e] != '\n')
			e++;
		if (e < len)
			e++;
		l[(*n)++] = (struct dl_line){ s + i, e - i };
		i = e;
	}
	return l;
}

int
main(int argc, char **argv)
{
	size_t la, lb, na, nb;
	char *a, *b;
	struct dl_line *al, *bl;
	struct strbuf out = STRBUF_INIT;

	if (argc != 3)
		return 2;
	a = slurp(argv[1], &la);
	b = slurp(argv[2], &lb);
	al = lines(a, la, &na);
	bl = lines(b, lb, &nb);
	dl_unified(&out, al, na, bl, nb, "before", "after", 3);
	fwrite(out.buf, 1, out.len, stdout);
	sb_release(&out);
	free(al);
	free(bl);
	free(a);
	free(b);
	return 0;
}
