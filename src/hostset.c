#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "hostset.h"
#include "util.h"

struct hs_name {
	const char	*name;
	size_t		 plen;		/* prefix length */
	size_t		 dlen;		/* digits length (0: no number) */
	long		 num;
	int		 width;		/* zero-padded width, 0: none */
	size_t		 order;		/* first appearance */
};

static void
split_name(struct hs_name *h)
{
	size_t len = strlen(h->name), i = len;

	while (i > 0 && isdigit((unsigned char)h->name[i - 1]))
		i--;
	h->plen = i;
	h->dlen = len - i;
	if (h->dlen > 0 && h->dlen < 10)
		h->num = strtol(h->name + i, NULL, 10);
	else {
		h->plen = len;
		h->dlen = 0;
		h->num = 0;
	}
}

static int
prefix_cmp(const struct hs_name *a, const struct hs_name *b)
{
	size_t n = a->plen < b->plen ? a->plen : b->plen;
	int c = memcmp(a->name, b->name, n);

	if (c == 0 && a->plen != b->plen)
		c = a->plen < b->plen ? -1 : 1;
	if (c == 0 && (a->dlen == 0) != (b->dlen == 0))
		c = a->dlen == 0 ? -1 : 1;
	return c;
}

/* One folded range: same prefix and the same zero-padded width. */
static int
group_cmp(const struct hs_name *a, const struct hs_name *b)
{
	int c = prefix_cmp(a, b);

	if (c == 0 && a->width != b->width)
		c = a->width < b->width ? -1 : 1;
	return c;
}

static int
name_cmp(const void *x, const void *y)
{
	const struct hs_name *a = x, *b = y;
	int c = prefix_cmp(a, b);

	if (c != 0)
		return c;
	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int
fold_cmp(const void *x, const void *y)
{
	const struct hs_name *a = x, *b = y;
	int c = group_cmp(a, b);

	if (c != 0)
		return c;
	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return strcmp(a->name, b->name);
}

/*
 * The width of a prefix's padded numbers ("node01" -> 2); unpadded numbers
 * of that width ("node10") belong to the same range.
 */
static void
assign_widths(struct hs_name *h, size_t n)
{
	size_t i, j, k, w;

	for (i = 0; i < n; i = j) {
		w = 0;
		for (j = i; j < n && prefix_cmp(&h[i], &h[j]) == 0; j++)
			if (h[j].dlen > 1 && h[j].name[h[j].plen] == '0')
				w = h[j].dlen;
		for (k = i; k < j; k++)
			h[k].width = (w != 0 && h[k].dlen == w) ? (int)w : 0;
	}
}

void
hostset_fold(struct strbuf *sb, const char *const *names, size_t n)
{
	struct hs_name *h = xcalloc(n ? n : 1, sizeof(*h));
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		h[i].name = names[i];
		h[i].order = i;
		split_name(&h[i]);
	}
	qsort(h, n, sizeof(*h), name_cmp);
	assign_widths(h, n);
	/* Padded and unpadded of one prefix are separate ranges. */
	qsort(h, n, sizeof(*h), fold_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && group_cmp(&h[i], &h[j]) == 0; j++)
			;
		if (i > 0)
			sb_addch(sb, ',');
		if (h[i].dlen == 0 || j - i == 1) {
			for (k = i; k < j; k++)
				sb_addf(sb, "%s%s", k > i ? "," : "",
				    h[k].name);
			continue;
		}
		sb_add(sb, h[i].name, h[i].plen);
		sb_addch(sb, '[');
		for (k = i; k < j;) {
			size_t e = k;
			int w = h[k].width;

			while (e + 1 < j && h[e + 1].num == h[e].num + 1)
				e++;
			if (k > i)
				sb_addch(sb, ',');
			sb_addf(sb, "%0*ld", w, h[k].num);
			if (e > k)
				sb_addf(sb, "-%0*ld", w, h[e].num);
			k = e + 1;
		}
		sb_addch(sb, ']');
	}
	free(h);
}
