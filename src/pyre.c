/*
 * pyre.c: Python's re on top of PCRE2 (pyre.h): the pattern translated to
 * PCRE2's dialect, matching with Python's rules, and replacement templates.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "pyre.h"
#include "util.h"

struct pyre {
	pcre2_code		*code;
	/*
	 * For a str pattern: the same compiled with PCRE2_MATCH_INVALID_UTF,
	 * made the first time a subject is not UTF-8.  Only then: that mode
	 * checks the rest of the subject on every call, where code checks
	 * it once (PCRE2_NO_UTF_CHECK after pyre's own check).
	 */
	pcre2_code		*loose;
	pcre2_match_data	*md;
	pcre2_general_context	*gc;		/* NULL: malloc (PYRE_HEAP) */
	char			*pattern;	/* translated, for loose */
	size_t			 plen;
	uint32_t		 opts;
	uint32_t		 ngroups;
	bool			 bytes;
	bool			 heap;
	bool			 multiline;
};

uint32_t
pyre_utf8_next(const char *str, size_t n, size_t *i)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[*i], need, k;
	uint32_t cp, min;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		cp = c & 0x1f;
		need = 1;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		cp = c & 0x0f;
		need = 2;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		cp = c & 0x07;
		need = 3;
		min = 0x10000;
	} else
		goto bad;
	for (k = 1; k <= need; k++) {
		if (*i + k >= n || (s[*i + k] & 0xc0) != 0x80)
			goto bad;
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
		goto bad;
	*i += need + 1;
	return cp;
bad:
	(*i)++;
	return 0xdc00 + c;
}

size_t
pyre_utf8_len(const char *s, size_t n)
{
	size_t i = 0, len = 0;

	while (i < n) {
		pyre_utf8_next(s, n, &i);
		len++;
	}
	return len;
}

/* Characters in s[0..n) as Python counts them (bytes for a bytes text). */
static size_t
text_len(const char *s, size_t n, bool bytes)
{
	return bytes ? n : pyre_utf8_len(s, n);
}

/* Is s[0..n) valid UTF-8 (as PCRE2 checks it: no surrogates)? */
static bool
utf8_valid(const char *s, size_t n)
{
	size_t i = 0;
	uint32_t cp;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		cp = pyre_utf8_next(s, n, &i);
		if (cp >= 0xdc80 && cp < 0xdd00)
			return false;
	}
	return true;
}

/*
 * The translation of a pattern.
 */

struct re_tr {
	const char	*p;
	size_t		 n;
	size_t		 i;
	struct strbuf	*out;
	unsigned	 groups;	/* capturing groups opened */
	bool		 verbose;
	bool		 ascii;
	bool		 bytes;
	bool		 multiline;	/* a global (?m) */
	size_t		 open[64];	/* where the open groups start */
	size_t		 depth;
	size_t		 class_at;	/* where the open class starts */
	const char	*why;
	size_t		 where;
	char		 whybuf[96];
};

static bool
is_octal(int c)
{
	return c >= '0' && c <= '7';
}

__attribute__((format(printf, 3, 4))) static int
tr_fail(struct re_tr *t, size_t where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->whybuf, sizeof(t->whybuf), fmt, ap);
	va_end(ap);
	t->why = t->whybuf;
	t->where = where;
	return -1;
}

/* \xhh, \uhhhh, \Uhhhhhhhh at p[i] (the backslash): as \x{...}. */
static int
tr_hex(struct re_tr *t, size_t ndig)
{
	size_t k, start = t->i;
	uint32_t cp = 0;

	for (k = 0; k < ndig; k++) {
		int h = t->i + 2 + k < t->n ? hexval(t->p[t->i + 2 + k]) : -1;

		if (h < 0)
			return tr_fail(t, start, "incomplete escape %.*s",
			    (int)(k + 2), t->p + start);
		cp = cp * 16 + (uint32_t)h;
	}
	if (cp > 0x10ffff)
		return tr_fail(t, start, "bad escape %.*s", (int)(ndig + 2),
		    t->p + start);
	sb_addf(t->out, "\\x{%" PRIx32 "}", cp);
	t->i += 2 + ndig;
	return 0;
}

/* One escape; p[i] is the backslash. */
static int
tr_escape(struct re_tr *t, bool in_class)
{
	const char *p = t->p;
	size_t i = t->i, n = t->n;
	int c;

	if (i + 1 >= n)
		return tr_fail(t, i, "bad escape (end of pattern)");
	c = (unsigned char)p[i + 1];
	switch (c) {
	case 's':
		/* Python's str.isspace() also takes \x1c-\x1f. */
		if (!t->bytes && !t->ascii) {
			sb_adds(t->out, in_class ? "\\s\\x1c-\\x1f" :
			    "[\\s\\x1c-\\x1f]");
			t->i += 2;
			return 0;
		}
		sb_add(t->out, p + i, 2);
		t->i += 2;
		return 0;
	case 'S':
		if (!t->bytes && !t->ascii && !in_class) {
			sb_adds(t->out, "[^\\s\\x1c-\\x1f]");
			t->i += 2;
			return 0;
		}
		sb_add(t->out, p + i, 2);
		t->i += 2;
		return 0;
	case 'd': case 'D': case 'w': case 'W':
	case 'a': case 'f': case 'n': case 'r': case 't': case 'b':
		sb_add(t->out, p + i, 2);
		t->i += 2;
		return 0;
	case 'A':
		if (in_class)
			return tr_fail(t, i, "bad escape \\%c", c);
		sb_add(t->out, p + i, 2);
		t->i += 2;
		return 0;
	case 'B':
		if (in_class)
			return tr_fail(t, i, "bad escape \\%c", c);
		/* Python's \B never matches in an empty string. */
		sb_adds(t->out, "(?:(?!\\A\\z)\\B)");
		t->i += 2;
		return 0;
	case 'Z':
		if (in_class)
			return tr_fail(t, i, "bad escape \\%c", c);
		sb_adds(t->out, "\\z");
		t->i += 2;
		return 0;
	case 'v':
		sb_adds(t->out, "\\x{b}");
		t->i += 2;
		return 0;
	case 'x':
		return tr_hex(t, 2);
	case 'u':
	case 'U':
		if (t->bytes)
			return tr_fail(t, i, "bad escape \\%c", c);
		return tr_hex(t, c == 'u' ? 4 : 8);
	case 'N':
		if (t->bytes)
			return tr_fail(t, i, "bad escape \\%c", c);
		return tr_fail(t, i, "unsupported escape \\N{...}");
	}
	if (is_digit(c)) {
		unsigned val = 0, k;

		if (c == '0' || (in_class && is_octal(c))) {
			/* Octal: up to three digits in all. */
			for (k = 0; k < 3 && i + 1 + k < n &&
			    is_octal(p[i + 1 + k]); k++)
				val = val * 8 + (unsigned)(p[i + 1 + k] - '0');
			if (val > 0377)
				return tr_fail(t, i, "octal escape value "
				    "\\%.*s outside of range 0-0o377", (int)k,
				    p + i + 1);
			sb_addf(t->out, "\\x{%x}", val);
			t->i += 1 + k;
			return 0;
		}
		if (in_class)
			return tr_fail(t, i, "bad escape \\%c", c);
		/* Octal with three octal digits, else a group reference. */
		if (i + 2 < n && is_digit(p[i + 2])) {
			if (is_octal(c) && is_octal(p[i + 2]) && i + 3 < n &&
			    is_octal(p[i + 3])) {
				val = (unsigned)(c - '0') * 64 +
				    (unsigned)(p[i + 2] - '0') * 8 +
				    (unsigned)(p[i + 3] - '0');
				if (val > 0377)
					return tr_fail(t, i, "octal escape "
					    "value \\%.3s outside of range "
					    "0-0o377", p + i + 1);
				sb_addf(t->out, "\\x{%x}", val);
				t->i += 4;
				return 0;
			}
			val = (unsigned)(c - '0') * 10 +
			    (unsigned)(p[i + 2] - '0');
			k = 3;
		} else {
			val = (unsigned)(c - '0');
			k = 2;
		}
		if (val > t->groups)
			return tr_fail(t, i, "invalid group reference %u",
			    val);
		sb_addf(t->out, "\\g{%u}", val);
		t->i += k;
		return 0;
	}
	if (is_ascii_letter(c))
		return tr_fail(t, i, "bad escape \\%c", c);
	/* Anything else stands for itself (a whole UTF-8 sequence). */
	sb_addch(t->out, '\\');
	t->i++;
	{
		size_t j = t->i;

		if (t->bytes)
			j++;
		else
			pyre_utf8_next(p, n, &j);
		sb_add(t->out, p + t->i, j - t->i);
		t->i = j;
	}
	return 0;
}

/* A group opens at p[i]; Python names the innermost one left open. */
static void
tr_open(struct re_tr *t, size_t i)
{
	if (t->depth < ARRAY_SIZE(t->open))
		t->open[t->depth] = i;
	t->depth++;
}

/* Inline flags "(?aiLmsux-imsx" at p[i]: copy what PCRE2 knows. */
static int
tr_flags(struct re_tr *t, bool at_start)
{
	const char *p = t->p;
	size_t i = t->i + 2, n = t->n, first = t->out->len;
	struct strbuf *o = t->out;
	bool global;

	sb_adds(o, "(?");
	for (; i < n && p[i] != ')' && p[i] != ':'; i++) {
		switch (p[i]) {
		case 'a':
			if (at_start)
				t->ascii = true;
			break;
		case 'u':
			if (t->bytes)
				return tr_fail(t, i + 1, "bad inline flags: "
				    "cannot use 'u' flag with a bytes "
				    "pattern");
			break;
		case 'L':
			if (!t->bytes)
				return tr_fail(t, i + 1, "bad inline flags: "
				    "cannot use 'L' flag with a str pattern");
			break;
		case 'x':
			if (at_start)
				t->verbose = true;
			sb_addch(o, p[i]);
			break;
		default:
			sb_addch(o, p[i]);
			break;
		}
	}
	if (i >= n)
		return tr_fail(t, t->i, "missing -, : or )");
	global = p[i] == ')';
	if (global && !at_start)
		return tr_fail(t, t->i, "global flags not at the start of "
		    "the expression");
	if (global && memchr(p + t->i, '-', i - t->i) == NULL &&
	    memchr(p + t->i, 'm', i - t->i) != NULL)
		t->multiline = true;
	if (!global)
		tr_open(t, t->i);
	if (global && o->len == first + 2) {
		/* Only flags PCRE2 does not know: nothing to copy. */
		sb_setlen(o, first);
		t->i = i + 1;
		return 0;
	}
	sb_addch(o, p[i]);
	t->i = i + 1;
	return 0;
}

static bool
is_flag_group(const char *p, size_t i, size_t n)
{
	if (i + 2 >= n || p[i] != '(' || p[i + 1] != '?')
		return false;
	for (i += 2; i < n; i++) {
		if (p[i] == ')' || p[i] == ':')
			return true;
		if (strchr("aiLmsux-", p[i]) == NULL || p[i] == '\0')
			return false;
	}
	return false;
}

/* Does a repeat ("*", "+", "?", "{m,n}") start at p[i]? */
static bool
is_repeat(const struct re_tr *t, size_t i)
{
	const char *p = t->p;
	size_t j, n = t->n;

	while (t->verbose && i < n && p[i] != '\0' &&
	    strchr(" \t\n\r\v\f", p[i]) != NULL)
		i++;
	if (i >= n)
		return false;
	if (p[i] == '*' || p[i] == '+' || p[i] == '?')
		return true;
	if (p[i] != '{' || i + 1 >= n || p[i + 1] == '}')
		return false;
	for (j = i + 1; j < n && is_digit(p[j]); j++)
		;
	if (j < n && p[j] == ',')
		for (j++; j < n && is_digit(p[j]); j++)
			;
	return j < n && p[j] == '}';
}

static int
re_translate(struct re_tr *t)
{
	const char *p = t->p;
	size_t n = t->n;
	bool in_class = false, at_start = true;

	while (t->i < n) {
		size_t i = t->i;
		int c = (unsigned char)p[i];

		if (c == '\\') {
			int e = i + 1 < n ? p[i + 1] : 0;

			if (tr_escape(t, in_class) < 0)
				return -1;
			at_start = false;
			/* Python repeats no anchor; PCRE2 takes some. */
			if (!in_class && e != 0 && strchr("AZbB", e) != NULL &&
			    is_repeat(t, t->i))
				return tr_fail(t, t->i, "nothing to repeat");
			continue;
		}
		if (in_class) {
			if (c == '[')
				sb_adds(t->out, "\\[");
			else
				sb_addch(t->out, c);
			if (c == ']')
				in_class = false;
			t->i++;
			continue;
		}
		if (c == '(' && is_flag_group(p, i, n)) {
			if (tr_flags(t, at_start) < 0)
				return -1;
			continue;
		}
		at_start = false;
		switch (c) {
		case '[':
			t->class_at = i;
			sb_addch(t->out, '[');
			t->i++;
			if (t->i < n && p[t->i] == '^') {
				sb_addch(t->out, '^');
				t->i++;
			}
			if (t->i < n && p[t->i] == ']') {
				sb_adds(t->out, "\\]");
				t->i++;
			}
			in_class = true;
			continue;
		case '(':
			if (i + 1 < n && p[i + 1] == '?') {
				if (i + 2 < n && p[i + 2] == '#') {
					/* A comment runs to the first ')'. */
					const char *e = memchr(p + i, ')',
					    n - i);

					if (e == NULL)
						return tr_fail(t, i, "missing "
						    "), unterminated comment");
					sb_add(t->out, p + i,
					    (size_t)(e - (p + i)) + 1);
					t->i = (size_t)(e - p) + 1;
					continue;
				}
				if (i + 3 < n && p[i + 2] == 'P' &&
				    p[i + 3] == '<')
					t->groups++;
				else if (i + 3 < n && p[i + 2] == '<' &&
				    p[i + 3] != '=' && p[i + 3] != '!')
					t->groups++;
			} else
				t->groups++;
			tr_open(t, i);
			break;
		case ')':
			if (t->depth == 0)
				return tr_fail(t, i, "unbalanced parenthesis");
			t->depth--;
			break;
		case '{': {
			/* Python's {,n} is {0,n}; PCRE2 takes it literally. */
			size_t j = i + 1;

			if (j < n && p[j] == ',') {
				j++;
				while (j < n && is_digit(p[j]))
					j++;
				if (j < n && p[j] == '}') {
					sb_adds(t->out, "{0");
					t->i++;
					continue;
				}
			}
			break;
		}
		case '^':
		case '$':
			if (is_repeat(t, i + 1))
				return tr_fail(t, i + 1, "nothing to repeat");
			break;
		case '#':
			if (t->verbose) {
				const char *e = memchr(p + i, '\n', n - i);
				size_t end = e != NULL ? (size_t)(e - p) : n;

				sb_add(t->out, p + i, end - i);
				t->i = end;
				continue;
			}
			break;
		}
		sb_addch(t->out, c);
		t->i++;
	}
	if (in_class)
		return tr_fail(t, t->class_at, "unterminated character "
		    "set");
	if (t->depth > 0)
		return tr_fail(t, t->depth <= ARRAY_SIZE(t->open) ?
		    t->open[t->depth - 1] : 0, "missing ), unterminated "
		    "subpattern");
	return 0;
}

/*
 * Compiling and matching.
 */

/* PCRE2 allocates from the arena, freed all at once. */
static void *
re_malloc(PCRE2_SIZE n, void *data)
{
	return arena_alloc(data, n > 0 ? n : 1);
}

static void
re_free(void *p, void *data)
{
	(void)p;
	(void)data;
}

static pcre2_code *
re_build(struct pyre *re, uint32_t opts, int *ecode)
{
	pcre2_compile_context *cc;
	pcre2_code *code;
	PCRE2_SIZE eoff;

	cc = pcre2_compile_context_create(re->gc);
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	code = pcre2_compile((PCRE2_SPTR)re->pattern, re->plen, opts, ecode,
	    &eoff, cc);
	if (re->heap)
		pcre2_compile_context_free(cc);
	return code;
}

struct pyre *
pyre_compile(struct arena *a, const char *pat, size_t n, unsigned flags,
    const char **why)
{
	struct strbuf sb = STRBUF_INIT;
	struct pyre *re;
	struct re_tr t;
	int ecode;

	memset(&t, 0, sizeof(t));
	t.p = pat;
	t.n = n;
	t.out = &sb;
	t.bytes = (flags & PYRE_BYTES) != 0;
	if (re_translate(&t) < 0) {
		*why = arena_printf(a, "%s at position %zu", t.why,
		    text_len(pat, t.where, t.bytes));
		sb_release(&sb);
		return NULL;
	}
	if (flags & PYRE_HEAP) {
		re = xcalloc(1, sizeof(*re));
		re->heap = true;
		re->pattern = sb_detach(&sb, &re->plen);
	} else {
		re = arena_alloc(a, sizeof(*re));
		re->gc = pcre2_general_context_create(re_malloc, re_free, a);
		re->pattern = arena_strndup(a, sb.buf, sb.len);
		re->plen = sb.len;
		sb_release(&sb);
	}
	re->bytes = t.bytes;
	re->multiline = (flags & PYRE_MULTILINE) || t.multiline;
	/*
	 * Auto-possessification is only an optimisation, and PCRE2 10.42
	 * gets it wrong before an atomic group: "[a-c]?(?>x?|y)\D" fails
	 * on "a".
	 */
	re->opts = PCRE2_ALT_CIRCUMFLEX | PCRE2_NO_AUTO_POSSESS;
	if (!t.bytes) {
		re->opts |= PCRE2_UTF;
		if (!t.ascii)
			re->opts |= PCRE2_UCP;
	}
	if (flags & PYRE_MULTILINE)
		re->opts |= PCRE2_MULTILINE;
	if (flags & PYRE_DOTALL)
		re->opts |= PCRE2_DOTALL;
	if (flags & PYRE_IGNORECASE)
		re->opts |= PCRE2_CASELESS;
	re->code = re_build(re, re->opts, &ecode);
	if (re->code == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(ecode, msg, sizeof(msg));
		*why = arena_printf(a, "%s", (const char *)msg);
		pyre_free(re);
		return NULL;
	}
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->ngroups);
	re->md = pcre2_match_data_create_from_pattern(re->code, re->gc);
	return re;
}

void
pyre_free(struct pyre *re)
{
	if (re == NULL || !re->heap)
		return;
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	pcre2_code_free(re->loose);
	free(re->pattern);
	free(re);
}

unsigned
pyre_groups(const struct pyre *re)
{
	return re->ngroups;
}

int
pyre_named(const struct pyre *re, const char *name)
{
	int n = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);

	return n >= 0 ? n : -1;
}

bool
pyre_multiline(const struct pyre *re)
{
	return re->multiline;
}

/* One match from start; utf8 says whether s is valid UTF-8 (a str re). */
static int
re_exec(struct pyre *re, const char *s, size_t n, size_t start,
    uint32_t opts, bool utf8, const char **why)
{
	pcre2_code *code = re->code;
	int rc;

	if (!re->bytes && utf8)
		opts |= PCRE2_NO_UTF_CHECK;
	else if (!re->bytes) {
		if (re->loose == NULL)
			re->loose = re_build(re, re->opts |
			    PCRE2_MATCH_INVALID_UTF, &rc);
		if (re->loose == NULL)
			BUG("pcre2 refused again what it compiled: %d", rc);
		code = re->loose;
	}
	rc = pcre2_match(code, (PCRE2_SPTR)s, n, start, opts, re->md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		static __thread PCRE2_UCHAR msg[256];

		pcre2_get_error_message(rc, msg, sizeof(msg));
		*why = (const char *)msg;
		return -1;
	}
	return 1;
}

int
pyre_search(struct pyre *re, const char *s, size_t n, size_t start,
    enum pyre_how how, const char **why)
{
	uint32_t opts = 0;

	if (how == PYRE_MATCH)
		opts = PCRE2_ANCHORED;
	else if (how == PYRE_FULLMATCH)
		opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED;
	return re_exec(re, s, n, start, opts, re->bytes || utf8_valid(s, n),
	    why);
}

int
pyre_next(struct pyre *re, struct pyre_iter *it, const char **why)
{
	PCRE2_SIZE *ov;
	int rc;

	if (it->done || it->pos > it->n)
		return 0;
	if (it->utf8 == 0)
		it->utf8 = re->bytes || utf8_valid(it->s, it->n) ? 1 : -1;
	rc = re_exec(re, it->s, it->n, it->pos, it->must_advance ?
	    PCRE2_NOTEMPTY_ATSTART : 0, it->utf8 > 0, why);
	if (rc <= 0) {
		it->done = true;
		return rc;
	}
	ov = pcre2_get_ovector_pointer(re->md);
	it->must_advance = ov[0] == ov[1];
	it->pos = ov[1];
	return 1;
}

bool
pyre_span(const struct pyre *re, unsigned g, size_t *b, size_t *e)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);

	*b = *e = 0;
	if (g > re->ngroups || ov[2 * g] == PCRE2_UNSET)
		return false;
	*b = ov[2 * g];
	*e = ov[2 * g + 1];
	return true;
}

/*
 * Replacement templates: literal text and group references.
 */

struct tpl_part {
	bool		 group;
	uint32_t	 index;
	size_t		 off, len;	/* literal text in text */
};

struct pyre_tpl {
	const char	*text;
	struct tpl_part	*parts;
	size_t		 n, alloc;
};

static void
tpl_add(struct arena *a, struct pyre_tpl *t, bool group, uint32_t index,
    size_t off, size_t len)
{
	if (t->n == t->alloc) {
		size_t na = t->alloc ? 2 * t->alloc : 8;

		t->parts = arena_realloc(a, t->parts, t->alloc *
		    sizeof(*t->parts), na * sizeof(*t->parts));
		t->alloc = na;
	}
	t->parts[t->n].group = group;
	t->parts[t->n].index = index;
	t->parts[t->n].off = off;
	t->parts[t->n].len = len;
	t->n++;
}

/* The literal text since *lit as a part of its own. */
static void
tpl_flush(struct arena *a, struct pyre_tpl *t, const struct strbuf *text,
    size_t *lit)
{
	if (text->len > *lit)
		tpl_add(a, t, false, 0, *lit, text->len - *lit);
	*lit = text->len;
}

/* "\g<name>" at r[i]: the group number, or -1 with *why. */
static int
tpl_named(struct arena *a, const struct pyre *re, const char *r, size_t n,
    size_t i, size_t *next, const char **why)
{
	bool by = re->bytes;
	const char *name, *end;
	size_t nlen, k;
	unsigned g;
	int num;

	if (i + 2 >= n || r[i + 2] != '<') {
		*why = arena_printf(a, "missing < at position %zu",
		    text_len(r, i + 2, by));
		return -1;
	}
	name = r + i + 3;
	end = memchr(name, '>', n - (i + 3));
	if (end == NULL) {
		*why = arena_printf(a, "missing >, unterminated name at "
		    "position %zu", text_len(r, i + 3, by));
		return -1;
	}
	*next = (size_t)(end - r) + 1;
	nlen = (size_t)(end - name);
	if (nlen == 0) {
		*why = arena_printf(a, "missing group name at position %zu",
		    text_len(r, i + 3, by));
		return -1;
	}
	for (k = 0; k < nlen && is_digit(name[k]); k++)
		;
	if (k == nlen) {
		g = 0;
		for (k = 0; k < nlen && g <= re->ngroups; k++)
			g = g * 10 + (unsigned)(name[k] - '0');
		if (g > re->ngroups) {
			*why = arena_printf(a, "invalid group reference %.*s "
			    "at position %zu", (int)nlen, name,
			    text_len(r, i + 3, by));
			return -1;
		}
		return (int)g;
	}
	{
		char *nm = arena_strndup(a, name, nlen);
		bool ident = !is_digit(nm[0]);

		num = pyre_named(re, nm);
		if (num >= 0)
			return num;
		for (k = 0; k < nlen && ident; k++)
			ident = (unsigned char)nm[k] >= 0x80 || nm[k] == '_' ||
			    is_ascii_letter(nm[k]) || is_digit(nm[k]);
		if (ident)
			*why = arena_printf(a, "unknown group name '%s'", nm);
		else
			*why = arena_printf(a, "bad character in group name "
			    "'%s' at position %zu", nm,
			    text_len(r, i + 3, by));
		return -1;
	}
}

struct pyre_tpl *
pyre_tpl_parse(struct arena *a, const struct pyre *re, const char *r,
    size_t n, const char **why)
{
	struct pyre_tpl *t = arena_alloc(a, sizeof(*t));
	struct strbuf text = STRBUF_INIT;
	size_t i = 0, lit = 0;
	bool by = re->bytes;

	while (i < n) {
		int ch = (unsigned char)r[i];
		unsigned g;

		if (ch != '\\') {
			sb_addch(&text, ch);
			i++;
			continue;
		}
		if (i + 1 >= n) {
			*why = arena_printf(a, "bad escape (end of pattern) at "
			    "position %zu", text_len(r, i, by));
			goto fail;
		}
		ch = (unsigned char)r[i + 1];
		if (ch == 'g') {
			int num = tpl_named(a, re, r, n, i, &i, why);

			if (num < 0)
				goto fail;
			tpl_flush(a, t, &text, &lit);
			tpl_add(a, t, true, (uint32_t)num, 0, 0);
			continue;
		}
		if (ch == '0') {
			unsigned val = 0, k;

			for (k = 1; k < 3 && i + 1 + k < n &&
			    is_octal(r[i + 1 + k]); k++)
				val = val * 8 + (unsigned)(r[i + 1 + k] - '0');
			if (by)
				sb_addch(&text, (int)(val & 0xff));
			else
				sb_addutf8(&text, val & 0xff);
			i += 1 + k;
			continue;
		}
		if (is_digit(ch)) {
			size_t len = 2;

			g = (unsigned)(ch - '0');
			if (i + 2 < n && is_digit(r[i + 2])) {
				if (is_octal(ch) && is_octal(r[i + 2]) &&
				    i + 3 < n && is_octal(r[i + 3])) {
					unsigned val = (unsigned)(ch - '0') * 64
					    + (unsigned)(r[i + 2] - '0') * 8 +
					    (unsigned)(r[i + 3] - '0');

					if (val > 0377) {
						*why = arena_printf(a, "octal "
						    "escape value \\%.3s "
						    "outside of range 0-0o377 "
						    "at position %zu",
						    r + i + 1,
						    text_len(r, i, by));
						goto fail;
					}
					if (by)
						sb_addch(&text, (int)val);
					else
						sb_addutf8(&text, val);
					i += 4;
					continue;
				}
				g = g * 10 + (unsigned)(r[i + 2] - '0');
				len = 3;
			}
			if (g > re->ngroups) {
				*why = arena_printf(a, "invalid group "
				    "reference %u at position %zu", g,
				    text_len(r, i + 1, by));
				goto fail;
			}
			tpl_flush(a, t, &text, &lit);
			tpl_add(a, t, true, g, 0, 0);
			i += len;
			continue;
		}
		switch (ch) {
		case 'a': sb_addch(&text, '\a'); break;
		case 'b': sb_addch(&text, '\b'); break;
		case 'f': sb_addch(&text, '\f'); break;
		case 'n': sb_addch(&text, '\n'); break;
		case 'r': sb_addch(&text, '\r'); break;
		case 't': sb_addch(&text, '\t'); break;
		case 'v': sb_addch(&text, '\v'); break;
		case '\\': sb_addch(&text, '\\'); break;
		default:
			if (is_ascii_letter(ch)) {
				*why = arena_printf(a, "bad escape \\%c at "
				    "position %zu", ch, text_len(r, i, by));
				goto fail;
			}
			/* Unknown escapes stay as they are. */
			sb_addch(&text, '\\');
			i++;
			continue;
		}
		i += 2;
	}
	tpl_flush(a, t, &text, &lit);
	t->text = arena_strndup(a, text.buf, text.len);
	sb_release(&text);
	return t;
fail:
	sb_release(&text);
	return NULL;
}

void
pyre_tpl_expand(const struct pyre_tpl *t, const struct pyre *re,
    const char *s, struct strbuf *out)
{
	size_t k, b, e;

	for (k = 0; k < t->n; k++) {
		if (!t->parts[k].group) {
			sb_add(out, t->text + t->parts[k].off,
			    t->parts[k].len);
			continue;
		}
		/* An unmatched group is '' (Python 3.5 on). */
		pyre_span(re, t->parts[k].index, &b, &e);
		sb_add(out, s + b, e - b);
	}
}

int
pyre_expand(struct arena *a, struct pyre *re, const char *s,
    const char *tpl, size_t tlen, struct strbuf *out, const char **why)
{
	struct pyre_tpl *t = pyre_tpl_parse(a, re, tpl, tlen, why);

	if (t == NULL)
		return -1;
	pyre_tpl_expand(t, re, s, out);
	return 0;
}

int
pyre_sub(struct pyre *re, const struct pyre_tpl *t, const char *s, size_t n,
    int64_t count, struct strbuf *out, size_t *done, const char **why)
{
	struct pyre_iter it = { s, n, 0, false, false, 0 };
	size_t last = 0, b, e;
	int rc = 0;

	*done = 0;
	/* count 0 is all; Python stops at once for a negative one. */
	while (count == 0 || (int64_t)*done < count) {
		rc = pyre_next(re, &it, why);
		if (rc <= 0)
			break;
		pyre_span(re, 0, &b, &e);
		sb_add(out, s + last, b - last);
		pyre_tpl_expand(t, re, s, out);
		last = e;
		(*done)++;
	}
	sb_add(out, s + last, n - last);
	return rc < 0 ? -1 : 0;
}

int
pyre_subn(struct arena *a, struct pyre *re, const char *s, size_t n,
    const char *repl, size_t rlen, int64_t count, struct strbuf *out,
    size_t *done, const char **why)
{
	struct pyre_tpl *t = pyre_tpl_parse(a, re, repl, rlen, why);

	*done = 0;
	if (t == NULL)
		return -1;
	return pyre_sub(re, t, s, n, count, out, done, why);
}
