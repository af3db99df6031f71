/*
 * difflib.c: SequenceMatcher and unified_diff as CPython's Lib/difflib.py
 * computes them (isjunk None, autojunk on), so that hunks match Ansible's
 * --diff output exactly.  Lines are interned to integers first; b2j maps
 * each line of b to the ascending list of its indices.
 */
#include <stdlib.h>
#include <string.h>

#include "difflib.h"
#include "util.h"

struct intern {
	size_t		*slots;		/* index+1 into lines, 0 empty */
	size_t		 cap;
	const struct dl_line **lines;
	size_t		 n;
};

static size_t
line_hash(const struct dl_line *l)
{
	size_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < l->len; i++)
		h = (h ^ (unsigned char)l->s[i]) * 1099511628211ULL;
	return h;
}

static size_t
intern_id(struct intern *in, const struct dl_line *l)
{
	size_t h = line_hash(l) & (in->cap - 1);

	for (;;) {
		size_t s = in->slots[h];

		if (s == 0) {
			in->lines[in->n] = l;
			in->slots[h] = ++in->n;
			return in->n - 1;
		}
		if (in->lines[s - 1]->len == l->len &&
		    memcmp(in->lines[s - 1]->s, l->s, l->len) == 0)
			return s - 1;
		h = (h + 1) & (in->cap - 1);
	}
}

struct match {
	size_t	a, b, size;
};

struct sm {
	const size_t	*a, *b;		/* interned ids */
	size_t		 la, lb;
	size_t		*b2j_start;	/* per id: offset into b2j_idx */
	size_t		*b2j_len;	/* 0 for absent or popular ids */
	size_t		*b2j_idx;
	size_t		*j2len, *newj2len;	/* by j+1 */
	size_t		*touched, *newtouched;
};

static struct match
longest(struct sm *m, size_t alo, size_t ahi, size_t blo, size_t bhi)
{
	size_t besti = alo, bestj = blo, bestsize = 0;
	size_t nt = 0, nnt;

	for (size_t i = alo; i < ahi; i++) {
		size_t id = m->a[i];
		const size_t *js = m->b2j_idx + m->b2j_start[id];
		size_t nj = m->b2j_len[id];

		nnt = 0;
		for (size_t q = 0; q < nj; q++) {
			size_t j = js[q], k;

			if (j < blo)
				continue;
			if (j >= bhi)
				break;
			k = m->j2len[j] + 1;	/* j2len[j-1], shifted by one */
			m->newj2len[j + 1] = k;
			m->newtouched[nnt++] = j + 1;
			if (k > bestsize) {
				besti = i + 1 - k;
				bestj = j + 1 - k;
				bestsize = k;
			}
		}
		for (size_t q = 0; q < nt; q++)
			m->j2len[m->touched[q]] = 0;
		/* swap: newj2len becomes j2len */
		size_t *t = m->j2len;
		m->j2len = m->newj2len;
		m->newj2len = t;
		t = m->touched;
		m->touched = m->newtouched;
		m->newtouched = t;
		nt = nnt;
	}
	for (size_t q = 0; q < nt; q++)
		m->j2len[m->touched[q]] = 0;
	/* popular lines are not in b2j: extend over equal neighbours */
	while (besti > alo && bestj > blo && m->a[besti - 1] == m->b[bestj - 1]) {
		besti--;
		bestj--;
		bestsize++;
	}
	while (besti + bestsize < ahi && bestj + bestsize < bhi &&
	    m->a[besti + bestsize] == m->b[bestj + bestsize])
		bestsize++;
	return (struct match){ besti, bestj, bestsize };
}

static int
cmp_match(const void *x, const void *y)
{
	const struct match *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return p->size < q->size ? -1 : p->size > q->size;
}

enum { OP_EQUAL, OP_REPLACE, OP_DELETE, OP_INSERT };

struct opcode {
	int	tag;
	size_t	i1, i2, j1, j2;
};

/* get_opcodes(): returns the count; *out is malloc'd. */
static size_t
opcodes(struct sm *m, struct opcode **out)
{
	size_t cap = 16, n = 0, nq = 1, nmb = 0, mbcap = 16;
	size_t (*queue)[4] = xcalloc(m->la + m->lb + 2, sizeof(*queue));
	struct match *mb = xcalloc(mbcap, sizeof(*mb));
	struct opcode *ops;

	queue[0][0] = 0; queue[0][1] = m->la; queue[0][2] = 0;
	queue[0][3] = m->lb;
	while (nq > 0) {
		size_t *q = queue[--nq];
		size_t alo = q[0], ahi = q[1], blo = q[2], bhi = q[3];
		struct match x = longest(m, alo, ahi, blo, bhi);

		if (x.size == 0)
			continue;
		if (nmb == mbcap) {
			mbcap *= 2;
			mb = xrealloc(mb, mbcap * sizeof(*mb));
		}
		mb[nmb++] = x;
		if (alo < x.a && blo < x.b) {
			size_t *e = queue[nq++];
			e[0] = alo; e[1] = x.a; e[2] = blo; e[3] = x.b;
		}
		if (x.a + x.size < ahi && x.b + x.size < bhi) {
			size_t *e = queue[nq++];
			e[0] = x.a + x.size; e[1] = ahi; e[2] = x.b + x.size;
			e[3] = bhi;
		}
	}
	free(queue);
	qsort(mb, nmb, sizeof(*mb), cmp_match);
	/* collapse adjacent blocks, then the sentinel */
	size_t w = 0;
	struct match cur = { 0, 0, 0 };
	for (size_t i = 0; i < nmb; i++) {
		if (cur.a + cur.size == mb[i].a && cur.b + cur.size == mb[i].b)
			cur.size += mb[i].size;
		else {
			if (cur.size)
				mb[w++] = cur;
			cur = mb[i];
		}
	}
	if (cur.size)
		mb[w++] = cur;
	mb = xrealloc(mb, (w + 1) * sizeof(*mb));
	mb[w++] = (struct match){ m->la, m->lb, 0 };
	ops = xcalloc(cap, sizeof(*ops));
	size_t i = 0, j = 0;
	for (size_t k = 0; k < w; k++) {
		int tag = -1;

		if (n + 2 >= cap) {
			cap *= 2;
			ops = xrealloc(ops, cap * sizeof(*ops));
		}
		if (i < mb[k].a && j < mb[k].b)
			tag = OP_REPLACE;
		else if (i < mb[k].a)
			tag = OP_DELETE;
		else if (j < mb[k].b)
			tag = OP_INSERT;
		if (tag >= 0)
			ops[n++] = (struct opcode){ tag, i, mb[k].a, j, mb[k].b };
		i = mb[k].a + mb[k].size;
		j = mb[k].b + mb[k].size;
		if (mb[k].size)
			ops[n++] = (struct opcode){ OP_EQUAL, mb[k].a, i,
			    mb[k].b, j };
	}
	free(mb);
	*out = ops;
	return n;
}

static void
add_range(struct strbuf *sb, size_t start, size_t stop)
{
	size_t beginning = start + 1, length = stop - start;

	if (length == 1) {
		sb_addf(sb, "%zu", beginning);
		return;
	}
	if (length == 0)
		beginning--;
	sb_addf(sb, "%zu,%zu", beginning, length);
}

static void
emit_group(struct strbuf *out, const struct opcode *g, size_t n,
    const struct dl_line *a, const struct dl_line *b)
{
	sb_adds(out, "@@ -");
	add_range(out, g[0].i1, g[n - 1].i2);
	sb_adds(out, " +");
	add_range(out, g[0].j1, g[n - 1].j2);
	sb_adds(out, " @@\n");
	for (size_t k = 0; k < n; k++) {
		if (g[k].tag == OP_EQUAL) {
			for (size_t i = g[k].i1; i < g[k].i2; i++) {
				sb_addch(out, ' ');
				sb_add(out, a[i].s, a[i].len);
			}
			continue;
		}
		if (g[k].tag == OP_REPLACE || g[k].tag == OP_DELETE)
			for (size_t i = g[k].i1; i < g[k].i2; i++) {
				sb_addch(out, '-');
				sb_add(out, a[i].s, a[i].len);
			}
		if (g[k].tag == OP_REPLACE || g[k].tag == OP_INSERT)
			for (size_t j = g[k].j1; j < g[k].j2; j++) {
				sb_addch(out, '+');
				sb_add(out, b[j].s, b[j].len);
			}
	}
}

static size_t
min_sz(size_t x, size_t y)
{
	return x < y ? x : y;
}

static size_t
max_sz(size_t x, size_t y)
{
	return x > y ? x : y;
}

int
dl_unified(struct strbuf *out, const struct dl_line *a, size_t na,
    const struct dl_line *b, size_t nb, const char *fromfile,
    const char *tofile, int context)
{
	struct intern in = { 0 };
	struct sm m = { 0 };
	size_t *ids, nids, *count;
	struct opcode *ops;
	size_t nops, n = context < 0 ? 0 : (size_t)context;
	int started = 0;

	in.cap = 16;
	while (in.cap < 2 * (na + nb + 1))
		in.cap *= 2;
	in.slots = xcalloc(in.cap, sizeof(*in.slots));
	in.lines = xcalloc(na + nb + 1, sizeof(*in.lines));
	ids = xcalloc(na + nb + 1, sizeof(*ids));
	for (size_t i = 0; i < na; i++)
		ids[i] = intern_id(&in, &a[i]);
	for (size_t j = 0; j < nb; j++)
		ids[na + j] = intern_id(&in, &b[j]);
	nids = in.n;
	m.a = ids;
	m.b = ids + na;
	m.la = na;
	m.lb = nb;
	/* b2j, then the autojunk purge of popular lines */
	count = xcalloc(nids + 1, sizeof(*count));
	for (size_t j = 0; j < nb; j++)
		count[m.b[j]]++;
	m.b2j_start = xcalloc(nids + 1, sizeof(size_t));
	m.b2j_len = xcalloc(nids + 1, sizeof(size_t));
	m.b2j_idx = xcalloc(nb + 1, sizeof(size_t));
	for (size_t id = 0, off = 0; id < nids; id++) {
		m.b2j_start[id] = off;
		off += count[id];
	}
	for (size_t j = 0; j < nb; j++) {
		size_t id = m.b[j];

		m.b2j_idx[m.b2j_start[id] + m.b2j_len[id]++] = j;
	}
	if (nb >= 200) {
		size_t ntest = nb / 100 + 1;

		for (size_t id = 0; id < nids; id++)
			if (m.b2j_len[id] > ntest)
				m.b2j_len[id] = 0;
	}
	free(count);
	m.j2len = xcalloc(nb + 2, sizeof(size_t));
	m.newj2len = xcalloc(nb + 2, sizeof(size_t));
	m.touched = xcalloc(nb + 2, sizeof(size_t));
	m.newtouched = xcalloc(nb + 2, sizeof(size_t));
	nops = opcodes(&m, &ops);
	if (nops == 0) {
		ops[0] = (struct opcode){ OP_EQUAL, 0, 1, 0, 1 };
		nops = 1;
	}
	/* get_grouped_opcodes(n) */
	if (ops[0].tag == OP_EQUAL) {
		ops[0].i1 = max_sz(ops[0].i1, ops[0].i2 >= n ? ops[0].i2 - n : 0);
		ops[0].j1 = max_sz(ops[0].j1, ops[0].j2 >= n ? ops[0].j2 - n : 0);
	}
	if (ops[nops - 1].tag == OP_EQUAL) {
		struct opcode *o = &ops[nops - 1];

		o->i2 = min_sz(o->i2, o->i1 + n);
		o->j2 = min_sz(o->j2, o->j1 + n);
	}
	struct opcode *group = xcalloc(nops * 2 + 2, sizeof(*group));
	size_t ng = 0;
	for (size_t k = 0; k < nops; k++) {
		struct opcode o = ops[k];

		if (o.tag == OP_EQUAL && o.i2 - o.i1 > 2 * n) {
			group[ng++] = (struct opcode){ o.tag, o.i1,
			    min_sz(o.i2, o.i1 + n), o.j1, min_sz(o.j2, o.j1 + n) };
			if (!started) {
				sb_addf(out, "--- %s\n+++ %s\n", fromfile, tofile);
				started = 1;
			}
			emit_group(out, group, ng, a, b);
			ng = 0;
			o.i1 = max_sz(o.i1, o.i2 - n);
			o.j1 = max_sz(o.j1, o.j2 - n);
		}
		group[ng++] = o;
	}
	if (ng > 0 && !(ng == 1 && group[0].tag == OP_EQUAL)) {
		if (!started) {
			sb_addf(out, "--- %s\n+++ %s\n", fromfile, tofile);
			started = 1;
		}
		emit_group(out, group, ng, a, b);
	}
	free(group);
	free(ops);
	free(m.j2len);
	free(m.newj2len);
	free(m.touched);
	free(m.newtouched);
	free(m.b2j_start);
	free(m.b2j_len);
	free(m.b2j_idx);
	free(ids);
	free(in.slots);
	free(in.lines);
	return started;
}
