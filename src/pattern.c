/* pattern.c: Ansible's host patterns (InventoryManager.get_hosts). */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "pattern.h"
#include "util.h"

/* Hosts in order, with a membership bitmap by inventory index. */
struct hostvec {
	struct inv_host	**v;
	size_t		  n, alloc;
	unsigned char	 *in;
	size_t		  nin;
};

static bool
hv_has(const struct hostvec *hv, const struct inv_host *h)
{
	return h->index < hv->nin && hv->in[h->index];
}

static void
hv_mark(struct hostvec *hv, const struct inv_host *h, unsigned char on)
{
	if (h->index >= hv->nin) {
		size_t old = hv->nin;

		hv->in = xgrow(hv->in, h->index + 1, &hv->nin, 1);
		memset(hv->in + old, 0, hv->nin - old);
	}
	hv->in[h->index] = on;
}

static void
hv_push(struct hostvec *hv, struct inv_host *h)
{
	hv->v = xgrow(hv->v, hv->n + 1, &hv->alloc, sizeof(*hv->v));
	hv->v[hv->n++] = h;
	hv_mark(hv, h, 1);
}

static void
hv_free(struct hostvec *hv)
{
	free(hv->v);
	free(hv->in);
}

/* Keep the hosts for which keep[] says so (after & or !). */
static void
hv_filter(struct hostvec *hv, const struct hostvec *that, bool want)
{
	size_t k, w;

	for (k = w = 0; k < hv->n; k++) {
		if (hv_has(that, hv->v[k]) == want)
			hv->v[w++] = hv->v[k];
		else
			hv_mark(hv, hv->v[k], 0);
	}
	hv->n = w;
}

/* Split on ',' if there is one, else on ':' outside brackets. */
static size_t
split_pattern(const char *pattern, char ***out)
{
	char **parts = NULL;
	size_t n = 0, alloc = 0;
	const char *p = pattern, *start;
	bool comma = strchr(pattern, ',') != NULL;

	while (*p != '\0') {
		int depth = 0;

		start = p;
		while (*p != '\0') {
			if (*p == '[')
				depth++;
			else if (*p == ']' && depth > 0)
				depth--;
			else if (depth == 0 && (comma ? *p == ',' : *p == ':'))
				break;
			p++;
		}
		{
			const char *s = start, *e = p;

			while (s < e && isspace((unsigned char)*s))
				s++;
			while (e > s && isspace((unsigned char)e[-1]))
				e--;
			if (e > s) {
				parts = xgrow(parts, n + 1, &alloc,
				    sizeof(*parts));
				parts[n++] = xstrndup(s, (size_t)(e - s));
			}
		}
		if (*p != '\0')
			p++;
	}
	*out = parts;
	return n;
}

static void
free_parts(char **parts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(parts[i]);
	free(parts);
}

/* pattern[3], pattern[1:4], pattern[2:] (not for ~regex). */
static bool
split_subscript(char *pat, long *start, long *end, bool *range)
{
	size_t n = strlen(pat);
	char *lb, *colon, *e;

	if (pat[0] == '~' || n < 3 || pat[n - 1] != ']')
		return false;
	lb = strrchr(pat, '[');
	if (lb == NULL || lb == pat)
		return false;
	colon = strchr(lb, ':');
	if (colon == NULL)
		colon = strchr(lb + 2, '-');
	if (colon == NULL) {
		*start = strtol(lb + 1, &e, 10);
		if (e == lb + 1 || *e != ']')
			return false;
		*range = false;
	} else {
		*start = strtol(lb + 1, &e, 10);
		if (e != colon || lb[1] == '-')
			return false;
		if (colon[1] == ']')
			*end = -1;
		else {
			*end = strtol(colon + 1, &e, 10);
			if (*e != ']' || colon[1] == '-')
				return false;
		}
		*range = true;
		if (*colon == '-')
			warnx("Use [x:y] inclusive subscripts instead of [x-y] "
			    "which has been removed");
	}
	*lb = '\0';
	return true;
}

static int
match_name(const char *name, const char *pat, pcre2_code *re,
    pcre2_match_data *md)
{
	if (re != NULL)
		return pcre2_match(re, (PCRE2_SPTR)name, PCRE2_ZERO_TERMINATED,
		    0, 0, md, NULL) >= 0;
	return fnmatch(pat, name, 0) == 0;
}

static int
enumerate(struct inventory *inv, const char *pat, struct hostvec *out,
    struct err *err)
{
	pcre2_code *re = NULL;
	pcre2_match_data *md = NULL;
	bool groups_matched = false;
	size_t i, j;

	if (pat[0] == '~') {
		int ec;
		PCRE2_SIZE eo;

		/* Python's re.match: anchored at the start only. */
		re = pcre2_compile((PCRE2_SPTR)(pat + 1),
		    PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED | PCRE2_UTF, &ec,
		    &eo, NULL);
		if (re == NULL)
			return err_set(err, NULL, "invalid host list pattern: "
			    "%s", pat);
		md = pcre2_match_data_create_from_pattern(re, NULL);
	}
	for (i = 0; i < inv->ngroups; i++) {
		struct inv_host **hs;
		size_t n;

		if (!match_name(inv->groups[i]->name, pat, re, md))
			continue;
		groups_matched = true;
		n = inv_group_hosts(inv, inv->groups[i], &hs);
		for (j = 0; j < n; j++)
			hv_push(out, hs[j]);
		free(hs);
	}
	if (!groups_matched || pat[0] == '~' || strpbrk(pat, ".?*[") != NULL)
		for (i = 0; i < inv->nhosts; i++)
			if (!inv->hosts[i]->implicit &&
			    match_name(inv->hosts[i]->name, pat, re, md))
				hv_push(out, inv->hosts[i]);
	if (out->n == 0 && (strcmp(pat, "localhost") == 0 ||
	    strcmp(pat, "127.0.0.1") == 0 || strcmp(pat, "::1") == 0)) {
		struct inv_host *h = inv_find_host(inv, pat);

		if (h == NULL && strcmp(pat, "localhost") == 0)
			h = inv_localhost(inv);
		if (h != NULL)
			hv_push(out, h);
	}
	if (out->n == 0 && !groups_matched && strcmp(pat, "all") != 0)
		warnx("Could not match supplied host pattern, ignoring: %s",
		    pat);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return 0;
}

static int
match_one(struct inventory *inv, char *pat, struct hostvec *out,
    struct err *err)
{
	struct hostvec all = { 0 };
	long start = 0, end = 0;
	bool range = false, sub;
	size_t i;

	if (pat[0] == '&' || pat[0] == '!')
		pat++;
	sub = split_subscript(pat, &start, &end, &range);
	if (enumerate(inv, pat, &all, err) < 0) {
		hv_free(&all);
		return -1;
	}
	if (!sub) {
		for (i = 0; i < all.n; i++)
			hv_push(out, all.v[i]);
		hv_free(&all);
		return 0;
	}
	if (start < 0)
		start += (long)all.n;
	if (range && end == -1)
		end = (long)all.n - 1;
	if (!range || end == 0)
		end = start;
	for (i = 0; i < all.n; i++)
		if ((long)i >= start && (long)i <= end)
			hv_push(out, all.v[i]);
	hv_free(&all);
	return 0;
}

static int
evaluate(struct inventory *inv, const char *pattern, struct hostvec *out,
    struct err *err)
{
	char **parts;
	size_t n = split_pattern(pattern, &parts), i, k;
	int pass, rc = 0;
	bool regular = false;

	for (i = 0; i < n; i++)
		if (parts[i][0] != '&' && parts[i][0] != '!')
			regular = true;
	/* Plain terms first, then &intersections, then !exclusions. */
	for (pass = regular ? 0 : -1; pass < 3 && rc == 0; pass++) {
		if (pass == -1) {
			struct hostvec that = { 0 };
			char all[] = "all";

			rc = match_one(inv, all, &that, err);
			for (k = 0; k < that.n; k++)
				if (!hv_has(out, that.v[k]))
					hv_push(out, that.v[k]);
			hv_free(&that);
			continue;
		}
		for (i = 0; i < n && rc == 0; i++) {
			char c = parts[i][0];
			struct hostvec that = { 0 };
			struct inv_host *h;

			if ((pass == 0) != (c != '&' && c != '!') ||
			    (pass == 1 && c != '&') || (pass == 2 && c != '!'))
				continue;
			h = pass == 0 ? inv_find_host(inv, parts[i]) : NULL;
			if (h != NULL) {
				if (!hv_has(out, h))
					hv_push(out, h);
				continue;
			}
			rc = match_one(inv, parts[i], &that, err);
			if (pass == 0) {
				for (k = 0; k < that.n; k++)
					if (!hv_has(out, that.v[k]))
						hv_push(out, that.v[k]);
			} else
				hv_filter(out, &that, pass == 1);
			hv_free(&that);
		}
	}
	free_parts(parts, n);
	return rc;
}

/* --limit: patterns, and @file with one pattern a line. */
static int
limit_pattern(const char *limit, struct strbuf *sb, struct err *err)
{
	char **parts;
	size_t n = split_pattern(limit, &parts), i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (parts[i][0] == '@') {
			char *buf, *line, *next;

			if (read_file(parts[i] + 1, &buf, NULL) < 0) {
				rc = err_set(err, NULL, "unable to find limit "
				    "file %s", parts[i] + 1);
				break;
			}
			for (line = buf; line != NULL; line = next) {
				next = strchr(line, '\n');
				if (next != NULL)
					*next++ = '\0';
				while (isspace((unsigned char)*line))
					line++;
				if (*line == '\0')
					continue;
				if (sb->len > 0)
					sb_addch(sb, ',');
				sb_adds(sb, line);
			}
			free(buf);
			continue;
		}
		if (sb->len > 0)
			sb_addch(sb, ',');
		sb_adds(sb, parts[i]);
	}
	free_parts(parts, n);
	return rc;
}

int
pat_select(struct inventory *inv, const char *pattern,
    const char *const *limits, size_t nlimits, struct inv_host ***out,
    size_t *n, struct err *err)
{
	struct hostvec hv = { 0 }, lim = { 0 };

	if (evaluate(inv, pattern, &hv, err) < 0) {
		hv_free(&hv);
		return -1;
	}
	/* The last --limit wins, as in Ansible. */
	if (nlimits > 0) {
		struct strbuf sb = STRBUF_INIT;

		if (limit_pattern(limits[nlimits - 1], &sb, err) < 0 ||
		    evaluate(inv, sb.buf, &lim, err) < 0) {
			sb_release(&sb);
			hv_free(&hv);
			hv_free(&lim);
			return -1;
		}
		hv_filter(&hv, &lim, true);
		sb_release(&sb);
		hv_free(&lim);
	}
	free(hv.in);
	*out = hv.v;
	*n = hv.n;
	return 0;
}
