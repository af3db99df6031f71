/*
 * filters_ext.c: library filters that need no evaluator service: YAML,
 * regular expressions (Python's re: src/pyre.c), hashes, base64,
 * random (Python's Mersenne Twister, so seeded results match Ansible).
 *
 * Each filter is the Python function Ansible 2.14 runs (ansible/plugins/
 * filter/core.py), argument binding included: the same parameter names,
 * positions and defaults, and Python's messages where users see them.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <pcre2.h>
#include <yaml.h>

#include "filters.h"
#include "pyre.h"
#include "util.h"
#include "json.h"
#include "yaml_load.h"

/* Shared with tests_ext.c (filters.h is the evaluator's contract). */
int	tmpl_ext_regex_test(struct tmpl_call *, const char *, bool *,
	    struct err *);

/*
 * Arguments.
 */

#define MAXPARAMS 8

/*
 * Bind positional and keyword arguments to params[] (NULL-terminated) the
 * way Python binds a call: vals[i] is NULL when parameter i was not given.
 * nreq parameters are required; varargs and varkw accept extra positional
 * and keyword arguments (*args, **kw), which the caller reads itself.
 * An undefined argument is an error, since every filter here uses it.
 */
static int
bind(struct tmpl_call *c, const char *const *params, size_t nreq,
    bool varargs, bool varkw, struct value **vals, struct err *err)
{
	size_t np, i, k;

	if (c->in == NULL)
		return tmpl_undefined(c, err);
	for (np = 0; params[np] != NULL; np++)
		vals[np] = NULL;
	if (!varargs && c->nargs > np)
		return err_set(err, &c->pos, "%s() takes from 1 to %zu "
		    "positional arguments but %zu were given", c->name,
		    np + 1, c->nargs + 1);
	for (i = 0; i < c->nargs && i < np; i++) {
		if (c->args[i] == NULL)
			goto undefined;
		vals[i] = c->args[i];
	}
	for (k = 0; k < c->nkw; k++) {
		for (i = 0; i < np; i++)
			if (strcmp(params[i], c->kwnames[k]) == 0)
				break;
		if (i == np) {
			if (varkw)
				continue;
			return err_set(err, &c->pos, "%s() got an unexpected "
			    "keyword argument '%s'", c->name, c->kwnames[k]);
		}
		if (i < c->nargs)
			return err_set(err, &c->pos, "%s() got multiple values "
			    "for argument '%s'", c->name, params[i]);
		if (c->kwargs[k] == NULL)
			goto undefined;
		vals[i] = c->kwargs[k];
	}
	for (i = 0; i < nreq; i++)
		if (vals[i] == NULL)
			return err_set(err, &c->pos, "%s() missing 1 required "
			    "positional argument: '%s'", c->name, params[i]);
	return 0;
undefined:
	return err_set(err, &c->pos, "an argument of '%s' is undefined",
	    c->name);
}

static bool
truthy(const struct value *v)
{
	return v != NULL && val_truthy(v);
}

/* Python's to_text(v, nonstring='simplerepr'): a string as is, else str(). */
static void
text_of(struct tmpl_call *c, const struct value *v, const char **s,
    size_t *n)
{
	struct strbuf sb = STRBUF_INIT;

	if (v->type == VAL_STR) {
		*s = v->u.str.s;
		*n = v->u.str.len;
		return;
	}
	val_str(&sb, v);
	*s = arena_strndup(c->a, sb.buf, sb.len);
	*n = sb.len;
	sb_release(&sb);
}

/* A Python int argument (bool is an int); -1 with a TypeError otherwise. */
static int
int_arg(struct tmpl_call *c, const struct value *v, const char *what,
    int64_t *out, struct err *err)
{
	if (v->type == VAL_INT) {
		*out = v->u.i;
		return 0;
	}
	if (v->type == VAL_BOOL) {
		*out = v->u.b;
		return 0;
	}
	return err_set(err, &c->pos, "%s: '%s' object cannot be interpreted "
	    "as an integer", what, val_type_name(v));
}

/*
 * UTF-8.  Invalid bytes decode as Python's surrogateescape does (U+DC80 +
 * byte: pyre_utf8_next()) and encode back to the same byte, so no input is
 * ever lost.
 */

static void
utf8_put(struct strbuf *sb, uint32_t cp)
{
	if (cp >= 0xdc80 && cp < 0xdd00) {
		sb_addch(sb, (int)(cp - 0xdc00));	/* surrogateescape */
	} else
		sb_addutf8(sb, cp);
}

static struct value *
new_str(struct tmpl_call *c, const struct strbuf *sb)
{
	return val_new_strn(c->a, sb->buf, sb->len);
}

/*
 * Regular expressions: Python's re (src/pyre.h).  PCRE2's memory comes
 * from the heap, not the template's arena: a filter in a loop would
 * otherwise keep every compiled pattern until the arena goes.
 */

/* Python's re.compile(pattern, flags); the pattern must be a string. */
static struct pyre *
re_compile(struct tmpl_call *c, const struct value *pat, bool icase,
    bool mline, struct err *err)
{
	struct pyre *re;
	const char *why = NULL;

	if (pat->type != VAL_STR) {
		err_set(err, &c->pos, "first argument must be string or "
		    "compiled pattern");
		return NULL;
	}
	re = pyre_compile(c->a, pat->u.str.s, pat->u.str.len, PYRE_HEAP |
	    (icase ? PYRE_IGNORECASE : 0) | (mline ? PYRE_MULTILINE : 0),
	    &why);
	if (re == NULL)
		err_set(err, &c->pos, "invalid regular expression '%s': %s",
		    pat->u.str.s, why);
	return re;
}

static int
match_failed(struct tmpl_call *c, const char *why, struct err *err)
{
	return err_set(err, &c->pos, "regular expression match failed: %s",
	    why);
}

/* A group as a string; an unmatched group is dflt (None or ''). */
static struct value *
group_value(struct tmpl_call *c, struct pyre *re, const char *s, uint32_t g,
    struct value *dflt)
{
	size_t b, e;

	if (!pyre_span(re, g, &b, &e))
		return dflt;
	return val_new_strn(c->a, s + b, e - b);
}

static int
f_regex_replace(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { "pattern", "replacement",
	    "ignorecase", "multiline", "count", NULL };
	struct value *v[MAXPARAMS];
	struct strbuf sb = STRBUF_INIT;
	struct pyre *re;
	struct pyre_tpl *tpl;
	const char *s, *pat = "", *rep = "", *why = NULL;
	size_t n, replen = 0, done;
	int64_t count = 0;

	if (bind(c, params, 0, false, false, v, err) < 0)
		return -1;
	text_of(c, c->in, &s, &n);
	if (v[4] != NULL && int_arg(c, v[4], "count", &count, err) < 0)
		return -1;
	if (v[1] != NULL) {
		if (v[1]->type != VAL_STR)
			return err_set(err, &c->pos, "expected str instance, "
			    "%s found", val_type_name(v[1]));
		rep = v[1]->u.str.s;
		replen = v[1]->u.str.len;
	}
	if (v[0] == NULL)
		v[0] = val_new_str(c->a, pat);
	re = re_compile(c, v[0], truthy(v[2]), truthy(v[3]), err);
	if (re == NULL)
		return -1;
	tpl = pyre_tpl_parse(c->a, re, rep, replen, &why);
	if (tpl == NULL) {
		pyre_free(re);
		return err_set(err, &c->pos, "%s", why);
	}
	if (pyre_sub(re, tpl, s, n, count, &sb, &done, &why) < 0) {
		sb_release(&sb);
		pyre_free(re);
		return match_failed(c, why, err);
	}
	*out = new_str(c, &sb);
	sb_release(&sb);
	pyre_free(re);
	return 0;
}

static int
f_regex_findall(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { "regex", "multiline",
	    "ignorecase", NULL };
	struct value *v[MAXPARAMS], *list, *item;
	struct pyre_iter it = { 0 };
	struct pyre *re;
	const char *s, *why = NULL;
	size_t n;
	uint32_t g, ngroups;
	int rc;

	if (bind(c, params, 1, false, false, v, err) < 0)
		return -1;
	text_of(c, c->in, &s, &n);
	re = re_compile(c, v[0], truthy(v[2]), truthy(v[1]), err);
	if (re == NULL)
		return -1;
	ngroups = pyre_groups(re);
	it.s = s;
	it.n = n;
	list = val_new_list(c->a);
	for (;;) {
		rc = pyre_next(re, &it, &why);
		if (rc < 0) {
			pyre_free(re);
			return match_failed(c, why, err);
		}
		if (rc == 0)
			break;
		if (ngroups == 0)
			item = group_value(c, re, s, 0, NULL);
		else if (ngroups == 1)
			item = group_value(c, re, s, 1, val_new_str(c->a, ""));
		else {
			item = val_new_list(c->a);
			item->flags |= VAL_TUPLE;
			for (g = 1; g <= ngroups; g++)
				val_list_push(c->a, item, group_value(c, re,
				    s, g, val_new_str(c->a, "")));
		}
		val_list_push(c->a, list, item);
	}
	pyre_free(re);
	*out = list;
	return 0;
}

/*
 * A regex_search group argument: '\\N' or '\\g<name>'.  Python parses them
 * all first, and finds the groups (or fails to) only after a match.
 */
static int
search_group(struct tmpl_call *c, struct pyre *re, const struct value *a,
    uint32_t *g, bool *nogroup, struct err *err)
{
	const char *s;
	size_t n, k, end;

	if (a->type != VAL_STR)
		return err_set(err, &c->pos, "'%s' object has no attribute "
		    "'startswith'", val_type_name(a));
	s = a->u.str.s;
	n = a->u.str.len;
	if (n >= 2 && s[0] == '\\' && s[1] == 'g') {
		int num;

		/* re.match(r'\\g<(\S+)>', arg): the last '>' of the run. */
		if (n < 3 || s[2] != '<')
			goto nomatch;
		for (k = 3; k < n && strchr(" \t\n\r\f\v", s[k]) == NULL; k++)
			;
		end = k;
		while (end > 4 && s[end - 1] != '>')
			end--;
		if (end <= 4 || s[end - 1] != '>')
			goto nomatch;
		/* match.group(name) takes a name; a number string is none. */
		num = pyre_named(re, arena_strndup(c->a, s + 3, end - 4));
		if (num < 0)
			*nogroup = true;
		*g = num < 0 ? 0 : (uint32_t)num;
		return 0;
	}
	if (n >= 1 && s[0] == '\\') {
		uint64_t num = 0;

		for (k = 1; k < n && is_digit(s[k]); k++)
			if (num < UINT32_MAX)
				num = num * 10 + (uint64_t)(s[k] - '0');
		if (k == 1)
			goto nomatch;
		if (num > pyre_groups(re))
			*nogroup = true;
		*g = (uint32_t)num;
		return 0;
	}
	return err_set(err, &c->pos, "Unknown argument");
nomatch:
	return err_set(err, &c->pos, "'NoneType' object has no attribute "
	    "'group'");
}

static int
f_regex_search(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { "regex", NULL };
	struct value *v[MAXPARAMS], *list;
	struct pyre *re;
	const char *s, *why = NULL;
	size_t n, k;
	uint32_t *groups = NULL;
	bool nogroup = false;
	int rc;

	if (bind(c, params, 1, true, true, v, err) < 0)
		return -1;
	text_of(c, c->in, &s, &n);
	for (k = 1; k < c->nargs; k++)
		if (c->args[k] == NULL)
			return err_set(err, &c->pos, "an argument of '%s' is "
			    "undefined", c->name);
	re = re_compile(c, v[0], truthy(tmpl_arg(c, SIZE_MAX, "ignorecase")),
	    truthy(tmpl_arg(c, SIZE_MAX, "multiline")), err);
	if (re == NULL)
		return -1;
	if (c->nargs > 1)
		groups = arena_alloc(c->a, c->nargs * sizeof(*groups));
	for (k = 1; k < c->nargs; k++)
		if (search_group(c, re, c->args[k], &groups[k], &nogroup,
		    err) < 0)
			goto fail;
	rc = pyre_search(re, s, n, 0, PYRE_SEARCH, &why);
	if (rc < 0) {
		match_failed(c, why, err);
		goto fail;
	}
	if (rc > 0 && nogroup) {
		err_set(err, &c->pos, "no such group");
		goto fail;
	}
	if (rc == 0)
		*out = &val_none;
	else if (c->nargs <= 1)
		*out = group_value(c, re, s, 0, &val_none);
	else {
		list = val_new_list(c->a);
		for (k = 1; k < c->nargs; k++)
			val_list_push(c->a, list, group_value(c, re, s,
			    groups[k], &val_none));
		*out = list;
	}
	pyre_free(re);
	return 0;
fail:
	pyre_free(re);
	return -1;
}

static int
f_regex_escape(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { "re_type", NULL };
	struct value *v[MAXPARAMS];
	struct strbuf sb = STRBUF_INIT;
	const char *s, *special;
	size_t n, i;

	if (bind(c, params, 0, false, false, v, err) < 0)
		return -1;
	text_of(c, c->in, &s, &n);
	if (v[0] == NULL || val_is_str(v[0], "python"))
		special = "()[]{}?*+-|^$\\.&~# \t\n\r\v\f";
	else if (val_is_str(v[0], "posix_basic"))
		special = "].[^$*\\";
	else {
		struct strbuf t = STRBUF_INIT;

		val_str(&t, v[0]);
		if (val_is_str(v[0], "posix_extended"))
			err_set(err, &c->pos, "Regex type (%s) not yet "
			    "implemented", t.buf);
		else
			err_set(err, &c->pos, "Invalid regex type (%s)",
			    t.buf);
		sb_release(&t);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] != '\0' && strchr(special, s[i]) != NULL)
			sb_addch(&sb, '\\');
		sb_addch(&sb, s[i]);
	}
	*out = new_str(c, &sb);
	sb_release(&sb);
	return 0;
}

/*
 * The regex, match and search tests (tests_ext.c): re.compile(pattern,
 * flags) and then the method match_type names, as a boolean.
 */
int
tmpl_ext_regex_test(struct tmpl_call *c, const char *how, bool *out,
    struct err *err)
{
	static const char *const params[] = { "pattern", "ignorecase",
	    "multiline", "match_type", NULL };
	struct value *v[MAXPARAMS], empty = { .type = VAL_STR };
	enum pyre_how method = PYRE_SEARCH;
	struct pyre *re;
	const char *s, *why = NULL;
	size_t n;
	bool always = false;
	int rc;

	if (c->in == NULL)
		return tmpl_undefined(c, err);
	if (how == NULL) {
		if (bind(c, params, 0, false, false, v, err) < 0)
			return -1;
		how = "search";
		if (v[3] != NULL) {
			if (v[3]->type != VAL_STR)
				return err_set(err, &c->pos, "attribute name "
				    "must be string, not '%s'",
				    val_type_name(v[3]));
			how = v[3]->u.str.s;
		}
	} else {
		static const char *const params3[] = { "pattern",
		    "ignorecase", "multiline", NULL };

		if (bind(c, params3, 0, false, false, v, err) < 0)
			return -1;
	}
	if (strcmp(how, "match") == 0)
		method = PYRE_MATCH;
	else if (strcmp(how, "fullmatch") == 0)
		method = PYRE_FULLMATCH;
	else if (strcmp(how, "split") == 0 || strcmp(how, "finditer") == 0 ||
	    strcmp(how, "scanner") == 0)
		always = true;
	else if (strcmp(how, "sub") == 0 || strcmp(how, "subn") == 0)
		return err_set(err, &c->pos, "%s() missing required argument "
		    "'string' (pos 2)", how);
	else if (strcmp(how, "flags") == 0 || strcmp(how, "groups") == 0)
		return err_set(err, &c->pos, "'int' object is not callable");
	else if (strcmp(how, "groupindex") == 0)
		return err_set(err, &c->pos, "'dict' object is not callable");
	else if (strcmp(how, "search") != 0 && strcmp(how, "findall") != 0)
		/* getattr(re, match_type, 'search'): a string, called */
		return err_set(err, &c->pos, "'str' object is not callable");
	text_of(c, c->in, &s, &n);
	empty.u.str.s = (char *)"";
	re = re_compile(c, v[0] != NULL ? v[0] : &empty, truthy(v[1]),
	    truthy(v[2]), err);
	if (re == NULL)
		return -1;
	rc = pyre_search(re, s, n, 0, method, &why);
	pyre_free(re);
	if (rc < 0)
		return match_failed(c, why, err);
	*out = always || rc > 0;
	return 0;
}

/*
 * Encodings for b64encode/b64decode: the codecs Python users name, with
 * Python's name normalisation.  Text is UTF-8 here.
 */
enum codec { C_UTF8, C_ASCII, C_LATIN1, C_UTF16, C_UTF16LE, C_UTF16BE,
	C_UTF32, C_UTF32LE, C_UTF32BE };

static int
find_codec(struct tmpl_call *c, const struct value *v, enum codec *out,
    struct err *err)
{
	static const struct {
		const char	*name;
		enum codec	 codec;
	} codecs[] = {
		{ "utf_8", C_UTF8 }, { "utf8", C_UTF8 }, { "u8", C_UTF8 },
		{ "utf", C_UTF8 }, { "cp65001", C_UTF8 },
		{ "ascii", C_ASCII }, { "us_ascii", C_ASCII },
		{ "646", C_ASCII },
		{ "latin_1", C_LATIN1 }, { "latin1", C_LATIN1 },
		{ "latin", C_LATIN1 }, { "l1", C_LATIN1 },
		{ "iso_8859_1", C_LATIN1 }, { "iso8859_1", C_LATIN1 },
		{ "8859", C_LATIN1 }, { "cp819", C_LATIN1 },
		{ "utf_16", C_UTF16 }, { "utf16", C_UTF16 },
		{ "utf_16_le", C_UTF16LE }, { "utf_16le", C_UTF16LE },
		{ "utf_16_be", C_UTF16BE }, { "utf_16be", C_UTF16BE },
		{ "utf_32", C_UTF32 }, { "utf32", C_UTF32 },
		{ "utf_32_le", C_UTF32LE }, { "utf_32le", C_UTF32LE },
		{ "utf_32_be", C_UTF32BE }, { "utf_32be", C_UTF32BE },
	};
	char name[32];
	size_t i, k = 0;

	if (v == NULL) {
		*out = C_UTF8;
		return 0;
	}
	if (v->type != VAL_STR)
		return err_set(err, &c->pos, "encoding must be str, not %s",
		    val_type_name(v));
	for (i = 0; i < v->u.str.len && k + 1 < sizeof(name); i++) {
		char ch = v->u.str.s[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch == '-' || ch == ' ')
			ch = '_';
		name[k++] = ch;
	}
	name[k] = '\0';
	for (i = 0; i < ARRAY_SIZE(codecs); i++)
		if (strcmp(codecs[i].name, name) == 0) {
			*out = codecs[i].codec;
			return 0;
		}
	return err_set(err, &c->pos, "unknown encoding: %s", v->u.str.s);
}

static void
put_unit(struct strbuf *sb, uint32_t u, int size, bool be)
{
	int k;

	for (k = 0; k < size; k++) {
		int shift = be ? 8 * (size - 1 - k) : 8 * k;

		sb_addch(sb, (int)((u >> shift) & 0xff));
	}
}

/* UnicodeEncodeError's message: the run of characters it cannot encode. */
static int
encode_error(struct tmpl_call *c, enum codec codec, const char *s, size_t n,
    size_t i, uint32_t cp, size_t at, struct err *err)
{
	uint32_t limit = codec == C_ASCII ? 0x80 : 0x100, next;
	const char *name = codec == C_ASCII ? "ascii" : "latin-1";
	size_t end = at + 1;
	char ch[16];

	while (i < n) {
		next = pyre_utf8_next(s, n, &i);
		if (next < limit || (next >= 0xdc80 && next < 0xdd00))
			break;
		end++;
	}
	if (end > at + 1)
		return err_set(err, &c->pos, "'%s' codec can't encode "
		    "characters in position %zu-%zu: ordinal not in range(%u)",
		    name, at, end - 1, limit);
	if (cp < 0x100)
		snprintf(ch, sizeof(ch), "\\x%02" PRIx32, cp);
	else if (cp < 0x10000)
		snprintf(ch, sizeof(ch), "\\u%04" PRIx32, cp);
	else
		snprintf(ch, sizeof(ch), "\\U%08" PRIx32, cp);
	return err_set(err, &c->pos, "'%s' codec can't encode character '%s' "
	    "in position %zu: ordinal not in range(%u)", name, ch, at, limit);
}

/* to_bytes(text, encoding, errors='surrogate_or_strict'). */
static int
encode_text(struct tmpl_call *c, enum codec codec, const char *s, size_t n,
    struct strbuf *out, struct err *err)
{
	size_t i = 0, at = 0;
	uint32_t cp, limit = codec == C_ASCII ? 0x80 : 0x100;

	if (codec == C_UTF8) {
		sb_add(out, s, n);
		return 0;
	}
	if (codec == C_UTF16)
		put_unit(out, 0xfeff, 2, false);
	if (codec == C_UTF32)
		put_unit(out, 0xfeff, 4, false);
	while (i < n) {
		cp = pyre_utf8_next(s, n, &i);
		if (cp >= 0xdc80 && cp < 0xdd00) {
			/* surrogateescape: the byte itself */
			sb_addch(out, (int)(cp - 0xdc00));
			at++;
			continue;
		}
		switch (codec) {
		case C_ASCII:
		case C_LATIN1:
			if (cp >= limit)
				return encode_error(c, codec, s, n, i, cp, at,
				    err);
			sb_addch(out, (int)cp);
			break;
		case C_UTF16:
		case C_UTF16LE:
		case C_UTF16BE:
			if (cp >= 0x10000) {
				put_unit(out, 0xd800 + ((cp - 0x10000) >> 10),
				    2, codec == C_UTF16BE);
				cp = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			}
			put_unit(out, cp, 2, codec == C_UTF16BE);
			break;
		default:
			put_unit(out, cp, 4, codec == C_UTF32BE);
			break;
		}
		at++;
	}
	return 0;
}

/* to_text(bytes, encoding, errors='surrogate_or_strict'). */
static void
decode_bytes(enum codec codec, const unsigned char *b, size_t n,
    struct strbuf *out)
{
	size_t i = 0;
	int size = 2;
	bool be = false;

	switch (codec) {
	case C_UTF8:
		sb_add(out, b, n);
		return;
	case C_ASCII:
	case C_LATIN1:
		for (i = 0; i < n; i++)
			if (codec == C_ASCII && b[i] >= 0x80)
				sb_addch(out, b[i]);	/* escaped */
			else
				utf8_put(out, b[i]);
		return;
	case C_UTF16:
	case C_UTF32:
		size = codec == C_UTF16 ? 2 : 4;
		/* A BOM picks the byte order; little endian without one. */
		if (n >= 2 && size == 2 && b[0] == 0xfe && b[1] == 0xff) {
			be = true;
			i = 2;
		} else if (n >= 2 && size == 2 && b[0] == 0xff &&
		    b[1] == 0xfe)
			i = 2;
		else if (n >= 4 && size == 4 && b[0] == 0 && b[1] == 0 &&
		    b[2] == 0xfe && b[3] == 0xff) {
			be = true;
			i = 4;
		} else if (n >= 4 && size == 4 && b[0] == 0xff &&
		    b[1] == 0xfe && b[2] == 0 && b[3] == 0)
			i = 4;
		break;
	case C_UTF16LE:
	case C_UTF16BE:
		be = codec == C_UTF16BE;
		break;
	case C_UTF32LE:
	case C_UTF32BE:
		size = 4;
		be = codec == C_UTF32BE;
		break;
	}
	while (i + (size_t)size <= n) {
		uint32_t u = 0;
		int k;

		for (k = 0; k < size; k++)
			u |= (uint32_t)b[i + (size_t)k] <<
			    (be ? 8 * (size - 1 - k) : 8 * k);
		i += (size_t)size;
		if (size == 2 && u >= 0xd800 && u < 0xdc00 &&
		    i + 2 <= n) {
			uint32_t lo = be ? (uint32_t)b[i] << 8 | b[i + 1] :
			    (uint32_t)b[i + 1] << 8 | b[i];

			if (lo >= 0xdc00 && lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 2;
			}
		}
		utf8_put(out, u);
	}
	sb_add(out, b + i, n - i);	/* a truncated unit, escaped */
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
f_b64encode(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { "encoding", NULL };
	struct value *v[MAXPARAMS];
	struct strbuf raw = STRBUF_INIT, sb = STRBUF_INIT;
	const unsigned char *b;
	const char *s;
	size_t n, i;
	enum codec codec;

	if (bind(c, params, 0, false, false, v, err) < 0 ||
	    find_codec(c, v[0], &codec, err) < 0)
		return -1;
	text_of(c, c->in, &s, &n);
	if (encode_text(c, codec, s, n, &raw, err) < 0) {
		sb_release(&raw);
		return -1;
	}
	b = (const unsigned char *)raw.buf;
	for (i = 0; i + 2 < raw.len; i += 3) {
		sb_addch(&sb, b64chars[b[i] >> 2]);
		sb_addch(&sb, b64chars[(b[i] & 3) << 4 | b[i + 1] >> 4]);
		sb_addch(&sb, b64chars[(b[i + 1] & 15) << 2 | b[i + 2] >> 6]);
		sb_addch(&sb, b64chars[b[i + 2] & 63]);
	}
	if (raw.len - i == 1) {
		sb_addch(&sb, b64chars[b[i] >> 2]);
		sb_addch(&sb, b64chars[(b[i] & 3) << 4]);
		sb_adds(&sb, "==");
	} else if (raw.len - i == 2) {
		sb_addch(&sb, b64chars[b[i] >> 2]);
		sb_addch(&sb, b64chars[(b[i] & 3) << 4 | b[i + 1] >> 4]);
		sb_addch(&sb, b64chars[(b[i + 1] & 15) << 2]);
		sb_addch(&sb, '=');
	}
	*out = new_str(c, &sb);
	sb_release(&raw);
	sb_release(&sb);
	return 0;
}

/* binascii.a2b_base64 in its default, non-strict mode. */
static int
f_b64decode(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { "encoding", NULL };
	struct value *v[MAXPARAMS];
	struct strbuf bin = STRBUF_INIT, sb = STRBUF_INIT;
	const unsigned char *s;
	const char *text;
	size_t n, i, ndata = 0;
	unsigned quad = 0, left = 0, pads = 0;
	enum codec codec;

	if (bind(c, params, 0, false, false, v, err) < 0 ||
	    find_codec(c, v[0], &codec, err) < 0)
		return -1;
	text_of(c, c->in, &text, &n);
	s = (const unsigned char *)text;
	for (i = 0; i < n; i++) {
		const char *p;
		unsigned d;

		if (s[i] == '=') {
			if (quad >= 2 && quad + ++pads >= 4)
				goto done;
			continue;
		}
		p = s[i] != 0 ? strchr(b64chars, s[i]) : NULL;
		if (p == NULL)
			continue;
		d = (unsigned)(p - b64chars);
		pads = 0;
		ndata++;
		switch (quad) {
		case 0:
			quad = 1;
			left = d;
			break;
		case 1:
			quad = 2;
			sb_addch(&bin, (int)((left << 2) | (d >> 4)));
			left = d & 0x0f;
			break;
		case 2:
			quad = 3;
			sb_addch(&bin, (int)(((left << 4) | (d >> 2)) & 0xff));
			left = d & 0x03;
			break;
		case 3:
			quad = 0;
			sb_addch(&bin, (int)(((left << 6) | d) & 0xff));
			left = 0;
			break;
		}
	}
	if (quad == 1) {
		err_set(err, &c->pos, "Invalid base64-encoded string: number "
		    "of data characters (%zu) cannot be 1 more than a multiple "
		    "of 4", ndata);
		goto fail;
	}
	if (quad != 0) {
		err_set(err, &c->pos, "Incorrect padding");
		goto fail;
	}
done:
	decode_bytes(codec, (const unsigned char *)bin.buf, bin.len, &sb);
	*out = new_str(c, &sb);
	sb_release(&bin);
	sb_release(&sb);
	return 0;
fail:
	sb_release(&bin);
	return -1;
}

/*
 * Hashes: hashlib.new(name) as Python 3.11 does it with OpenSSL 3: its
 * own names and aliases first, then whatever OpenSSL fetches by that name.
 * Ansible's process has OpenSSL's legacy provider loaded (the cryptography
 * package loads it), so md4 or whirlpool work there: they come from a
 * private library context here, which leaves the process's OpenSSL alone.
 */
static int
hexdigest(struct tmpl_call *c, const char *name, const struct value *in,
    struct value **out, struct err *err)
{
	static const struct {
		const char	*py, *ossl;
	} names[] = {
		{ "md5", "MD5" }, { "sha1", "SHA1" }, { "sha224", "SHA224" },
		{ "sha256", "SHA256" }, { "sha384", "SHA384" },
		{ "sha512", "SHA512" }, { "sha512_224", "SHA512-224" },
		{ "sha512_256", "SHA512-256" }, { "sha3_224", "SHA3-224" },
		{ "sha3_256", "SHA3-256" }, { "sha3_384", "SHA3-384" },
		{ "sha3_512", "SHA3-512" }, { "shake_128", "SHAKE128" },
		{ "shake_256", "SHAKE256" }, { "blake2b", "BLAKE2B-512" },
		{ "blake2s", "BLAKE2S-256" },
		{ "SHA512_224", "SHA512-224" }, { "SHA512_256", "SHA512-256" },
	};
	OSSL_LIB_CTX *lib = NULL;
	OSSL_PROVIDER *legacy = NULL, *dflt = NULL;
	const char *ossl = name, *s;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, k;
	struct strbuf sb = STRBUF_INIT;
	EVP_MD *type;
	EVP_MD_CTX *ctx;
	size_t i, n;
	int ok;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(names[i].py, name) == 0)
			ossl = names[i].ossl;
	type = EVP_MD_fetch(NULL, ossl, NULL);
	if (type == NULL) {
		lib = OSSL_LIB_CTX_new();
		if (lib != NULL) {
			legacy = OSSL_PROVIDER_load(lib, "legacy");
			dflt = OSSL_PROVIDER_load(lib, "default");
			type = EVP_MD_fetch(lib, ossl, NULL);
		}
	}
	ok = type != NULL && !(EVP_MD_get_flags(type) & EVP_MD_FLAG_XOF);
	if (ok) {
		text_of(c, in, &s, &n);
		ctx = EVP_MD_CTX_new();
		ok = ctx != NULL && EVP_DigestInit_ex(ctx, type, NULL) == 1 &&
		    EVP_DigestUpdate(ctx, s, n) == 1 &&
		    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
		EVP_MD_CTX_free(ctx);
	}
	if (type == NULL)
		err_set(err, &c->pos, "unsupported hash type %s", name);
	else if (EVP_MD_get_flags(type) & EVP_MD_FLAG_XOF)
		err_set(err, &c->pos, "hexdigest() missing required argument "
		    "'length' (pos 1)");
	else if (!ok)
		err_set(err, &c->pos, "hash '%s' failed", name);
	EVP_MD_free(type);
	if (legacy != NULL)
		OSSL_PROVIDER_unload(legacy);
	if (dflt != NULL)
		OSSL_PROVIDER_unload(dflt);
	OSSL_LIB_CTX_free(lib);
	ERR_clear_error();	/* the error queue is the thread's */
	if (!ok)
		return -1;
	for (k = 0; k < mdlen; k++)
		sb_addf(&sb, "%02x", md[k]);
	*out = new_str(c, &sb);
	sb_release(&sb);
	return 0;
}

static int
f_hash(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { "hashtype", NULL };
	struct value *v[MAXPARAMS];

	if (bind(c, params, 0, false, false, v, err) < 0)
		return -1;
	if (v[0] != NULL && v[0]->type != VAL_STR)
		return err_set(err, &c->pos, "unsupported hash type %s",
		    val_type_name(v[0]));
	return hexdigest(c, v[0] != NULL ? v[0]->u.str.s : "sha1", c->in,
	    out, err);
}

static int
f_md5(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { NULL };
	struct value *v[MAXPARAMS];

	if (bind(c, params, 0, false, false, v, err) < 0)
		return -1;
	return hexdigest(c, "md5", c->in, out, err);
}

static int
f_sha1(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { NULL };
	struct value *v[MAXPARAMS];

	if (bind(c, params, 0, false, false, v, err) < 0)
		return -1;
	return hexdigest(c, "sha1", c->in, out, err);
}

/*
 * YAML output: yaml.dump() with AnsibleDumper, which is PyYAML's
 * CSafeDumper, i.e. SafeRepresenter feeding libyaml's emitter.  The same
 * events into the same emitter give the same text: keys sorted when they
 * can be, collections of scalars in flow style when default_flow_style is
 * None, scalars that would read back as another type quoted (the
 * resolver's regular expressions below), and anchors (&id001) for a list
 * or dict that appears twice.
 */

enum { R_BOOL, R_FLOAT, R_INT, R_MERGE, R_NULL, R_TIMESTAMP, R_VALUE,
	R_YAML, R_COUNT };

static const char *const resolver_re[R_COUNT] = {
	[R_BOOL] = "^(?:yes|Yes|YES|no|No|NO\n"
	    "|true|True|TRUE|false|False|FALSE\n"
	    "|on|On|ON|off|Off|OFF)$",
	[R_FLOAT] = "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?\n"
	    "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?\n"
	    "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*\n"
	    "|[-+]?\\.(?:inf|Inf|INF)\n"
	    "|\\.(?:nan|NaN|NAN))$",
	[R_INT] = "^(?:[-+]?0b[0-1_]+\n"
	    "|[-+]?0[0-7_]+\n"
	    "|[-+]?(?:0|[1-9][0-9_]*)\n"
	    "|[-+]?0x[0-9a-fA-F_]+\n"
	    "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
	[R_MERGE] = "^(?:<<)$",
	[R_NULL] = "^(?: ~\n"
	    "|null|Null|NULL\n"
	    "| )$",
	[R_TIMESTAMP] = "^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]\n"
	    "|[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?\n"
	    "(?:[Tt]|[ \\t]+)[0-9][0-9]?\n"
	    ":[0-9][0-9] :[0-9][0-9] (?:\\.[0-9]*)?\n"
	    "(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
	[R_VALUE] = "^(?:=)$",
	[R_YAML] = "^(?:!|&|\\*)$",
};

/* The resolvers PyYAML tries for a scalar, by its first character. */
static const char *const resolver_first[R_COUNT] = {
	[R_BOOL] = "yYnNtTfFoO",
	[R_FLOAT] = "-+0123456789.",
	[R_INT] = "-+0123456789",
	[R_MERGE] = "<",
	[R_NULL] = "~nN",
	[R_TIMESTAMP] = "0123456789",
	[R_VALUE] = "=",
	[R_YAML] = "!&*",
};

struct yanchor {
	const struct value	*v;
	unsigned		 seen;
	int			 id;		/* 0: no anchor */
	bool			 emitted;
};

struct ydump {
	struct tmpl_call	*c;
	yaml_emitter_t		 em;
	struct strbuf		 out;
	int			 flow;		/* -1: None */
	bool			 sort_keys;
	bool			 styled;	/* default_style is set */
	yaml_scalar_style_t	 style;
	pcre2_code		*re[R_COUNT];
	pcre2_match_data	*md;
	struct yanchor		*tab;		/* open addressing */
	size_t			 cap, used;
	int			 last_id;
};

static int
ydump_write(void *data, unsigned char *buf, size_t size)
{
	sb_add(data, buf, size);
	return 1;
}

/* Python's resolve(ScalarNode, value, (True, False)) is the str tag. */
static bool
ydump_plain_is_str(struct ydump *d, const char *s, size_t n)
{
	int k, first = n > 0 ? (unsigned char)s[0] : -1;

	for (k = 0; k < R_COUNT; k++) {
		if (first < 0 ? k != R_NULL :
		    strchr(resolver_first[k], first) == NULL || first == 0)
			continue;
		if (d->re[k] == NULL) {
			int ecode;
			PCRE2_SIZE eoff;

			d->re[k] = pcre2_compile(
			    (PCRE2_SPTR)resolver_re[k], PCRE2_ZERO_TERMINATED,
			    PCRE2_EXTENDED, &ecode, &eoff, NULL);
			if (d->re[k] == NULL)
				BUG("resolver %d: pcre2 error %d", k, ecode);
		}
		if (pcre2_match(d->re[k], (PCRE2_SPTR)s, n, 0, 0, d->md,
		    NULL) >= 0)
			return false;
	}
	return true;
}

static bool
aliasable(const struct value *v)
{
	if (v->type == VAL_DICT)
		return true;
	/* SafeRepresenter.ignore_aliases: the empty tuple only. */
	return v->type == VAL_LIST &&
	    !((v->flags & VAL_TUPLE) && v->u.list->n == 0);
}

static struct yanchor *
ydump_slot(struct ydump *d, const struct value *v)
{
	size_t h, k;

	if (d->used * 2 >= d->cap) {
		struct yanchor *old = d->tab;
		size_t oldcap = d->cap;

		d->cap = d->cap ? d->cap * 2 : 64;
		d->tab = xcalloc(d->cap, sizeof(*d->tab));
		d->used = 0;
		for (k = 0; k < oldcap; k++)
			if (old[k].v != NULL) {
				struct yanchor *s = ydump_slot(d, old[k].v);

				*s = old[k];
			}
		free(old);
	}
	h = ((uintptr_t)v >> 4) * 0x9e3779b97f4a7c15ull;
	for (k = h & (d->cap - 1); ; k = (k + 1) & (d->cap - 1)) {
		if (d->tab[k].v == v)
			return &d->tab[k];
		if (d->tab[k].v == NULL) {
			d->tab[k].v = v;
			d->used++;
			return &d->tab[k];
		}
	}
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct val_entry *x = *(const struct val_entry *const *)a;
	const struct val_entry *y = *(const struct val_entry *const *)b;
	int r = 0;

	if (val_compare(x->key, y->key, &r, NULL) < 0)
		return 0;
	return r;
}

static int
key_group(const struct value *k)
{
	if (val_is_number(k))
		return 0;
	if (k->type == VAL_STR)
		return 1;
	return 2 + k->type;
}

/*
 * A dict's entries in the order the representer walks them: sorted()
 * when sort_keys is set and the keys can be ordered (a TypeError leaves
 * them as they are), else insertion order.  Caller frees.
 */
static const struct val_entry **
ydump_entries(struct ydump *d, const struct value *v)
{
	const struct val_dict *dict = v->u.dict;
	const struct val_entry **e;
	size_t i;
	bool sortable = d->sort_keys;

	e = xcalloc(dict->n + 1, sizeof(*e));
	for (i = 0; i < dict->n; i++) {
		e[i] = &dict->ent[i];
		if (i > 0 && key_group(e[i]->key) != key_group(e[0]->key))
			sortable = false;
	}
	if (dict->n > 1 && key_group(e[0]->key) >= 2)
		sortable = false;
	if (sortable && dict->n > 1)
		qsort(e, dict->n, sizeof(*e), entry_cmp);
	return e;
}

/* Pass one: _anchor_node() numbers what is reached a second time. */
static void
ydump_anchor(struct ydump *d, const struct value *v)
{
	const struct val_entry **e;
	struct yanchor *a;
	size_t i;

	if (v == NULL || (v->type != VAL_LIST && v->type != VAL_DICT))
		return;
	if (aliasable(v)) {
		a = ydump_slot(d, v);
		if (a->seen++ > 0) {
			if (a->id == 0)
				a->id = ++d->last_id;
			return;
		}
	}
	if (v->type == VAL_LIST) {
		for (i = 0; i < v->u.list->n; i++)
			ydump_anchor(d, v->u.list->items[i]);
		return;
	}
	e = ydump_entries(d, v);
	for (i = 0; e[i] != NULL; i++) {
		ydump_anchor(d, e[i]->key);
		ydump_anchor(d, e[i]->val);
	}
	free(e);
}

static int
ydump_emit(struct ydump *d, yaml_event_t *ev, int ok, struct err *err)
{
	if (!ok)
		return err_set(err, &d->c->pos, "%s - invalid UTF-8 in a "
		    "string", d->c->name);
	if (!yaml_emitter_emit(&d->em, ev))
		return err_set(err, &d->c->pos, "%s - %s", d->c->name,
		    d->em.problem != NULL ? d->em.problem : "emitter error");
	return 0;
}

static bool
is_scalar(const struct ydump *d, const struct value *v)
{
	/* A scalar node with no style: what keeps best_style true. */
	return v == NULL || (v->type != VAL_LIST && v->type != VAL_DICT &&
	    !d->styled);
}

static int ydump_node(struct ydump *, const struct value *, struct err *);

static int
ydump_scalar(struct ydump *d, const char *tag, const char *s, size_t n,
    bool plain_implicit, bool quoted_implicit, struct err *err)
{
	yaml_event_t ev;
	int ok;

	ok = yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag,
	    (yaml_char_t *)s, (int)n, plain_implicit, quoted_implicit,
	    d->styled ? d->style : YAML_PLAIN_SCALAR_STYLE);
	return ydump_emit(d, &ev, ok, err);
}

static int
ydump_node(struct ydump *d, const struct value *v, struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	yaml_event_t ev;
	yaml_char_t *anchor = NULL;
	char name[32];
	bool flow;
	size_t i;
	int rc;

	if (v == NULL || v->type == VAL_NULL)
		return ydump_scalar(d, YAML_NULL_TAG, "null", 4, true, false,
		    err);
	switch (v->type) {
	case VAL_BOOL:
		return ydump_scalar(d, YAML_BOOL_TAG, v->u.b ? "true" : "false",
		    v->u.b ? 4 : 5, true, false, err);
	case VAL_INT:
		snprintf(name, sizeof(name), "%" PRId64, v->u.i);
		return ydump_scalar(d, YAML_INT_TAG, name, strlen(name), true,
		    false, err);
	case VAL_FLOAT:
		if (isnan(v->u.f))
			sb_adds(&sb, ".nan");
		else if (isinf(v->u.f))
			sb_adds(&sb, v->u.f > 0 ? ".inf" : "-.inf");
		else {
			char *e;

			val_float_repr(&sb, v->u.f);
			for (i = 0; i < sb.len; i++)
				if (sb.buf[i] == 'E')
					sb.buf[i] = 'e';
			e = strchr(sb.buf, 'e');
			if (strchr(sb.buf, '.') == NULL && e != NULL) {
				struct strbuf t = STRBUF_INIT;

				sb_add(&t, sb.buf, (size_t)(e - sb.buf));
				sb_adds(&t, ".0");
				sb_adds(&t, e);
				sb_release(&sb);
				sb = t;
			}
		}
		rc = ydump_scalar(d, YAML_FLOAT_TAG, sb.buf, sb.len, true,
		    false, err);
		sb_release(&sb);
		return rc;
	case VAL_STR:
		return ydump_scalar(d, YAML_STR_TAG, v->u.str.s, v->u.str.len,
		    ydump_plain_is_str(d, v->u.str.s, v->u.str.len), true,
		    err);
	default:
		break;
	}
	if (aliasable(v)) {
		struct yanchor *a = ydump_slot(d, v);

		if (a->emitted) {
			snprintf(name, sizeof(name), "id%03d", a->id);
			rc = yaml_alias_event_initialize(&ev,
			    (yaml_char_t *)name);
			return ydump_emit(d, &ev, rc, err);
		}
		a->emitted = true;
		if (a->id > 0) {
			snprintf(name, sizeof(name), "id%03d", a->id);
			anchor = (yaml_char_t *)name;
		}
	}
	if (v->type == VAL_LIST) {
		const struct val_list *l = v->u.list;

		flow = d->flow >= 0 ? d->flow : true;
		for (i = 0; d->flow < 0 && i < l->n; i++)
			if (!is_scalar(d, l->items[i]))
				flow = false;
		rc = yaml_sequence_start_event_initialize(&ev, anchor,
		    (yaml_char_t *)YAML_SEQ_TAG, 1, flow ?
		    YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
		if (ydump_emit(d, &ev, rc, err) < 0)
			return -1;
		for (i = 0; i < l->n; i++)
			if (ydump_node(d, l->items[i], err) < 0)
				return -1;
		rc = yaml_sequence_end_event_initialize(&ev);
		return ydump_emit(d, &ev, rc, err);
	} else {
		const struct val_entry **e = ydump_entries(d, v);

		flow = d->flow >= 0 ? d->flow : true;
		for (i = 0; d->flow < 0 && e[i] != NULL; i++)
			if (!is_scalar(d, e[i]->key) ||
			    !is_scalar(d, e[i]->val))
				flow = false;
		rc = yaml_mapping_start_event_initialize(&ev, anchor,
		    (yaml_char_t *)YAML_MAP_TAG, 1, flow ?
		    YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
		if (ydump_emit(d, &ev, rc, err) < 0)
			goto fail;
		for (i = 0; e[i] != NULL; i++)
			if (ydump_node(d, e[i]->key, err) < 0 ||
			    ydump_node(d, e[i]->val, err) < 0)
				goto fail;
		free(e);
		rc = yaml_mapping_end_event_initialize(&ev);
		return ydump_emit(d, &ev, rc, err);
fail:
		free(e);
		return -1;
	}
}

/* yaml.dump()'s keyword arguments, with Python's complaints. */
static int
ydump_options(struct ydump *d, bool nice, bool *doc_start, bool *doc_end,
    struct err *err)
{
	struct tmpl_call *c = d->c;
	int64_t num = 0;
	size_t k;

	for (k = 0; k < c->nkw; k++) {
		const char *kw = c->kwnames[k];
		const struct value *v = c->kwargs[k];

		if (nice && strcmp(kw, "indent") == 0)
			continue;
		if (strcmp(kw, "allow_unicode") == 0 ||
		    (nice && strcmp(kw, "default_flow_style") == 0))
			return err_set(err, &c->pos, "%s - yaml.dump() got "
			    "multiple values for keyword argument '%s'",
			    c->name, kw);
		if (v == NULL)
			return err_set(err, &c->pos, "%s - argument '%s' is "
			    "undefined", c->name, kw);
		if (strcmp(kw, "default_flow_style") == 0) {
			d->flow = v->type == VAL_NULL ? -1 : val_truthy(v);
		} else if (strcmp(kw, "sort_keys") == 0) {
			d->sort_keys = val_truthy(v);
		} else if (strcmp(kw, "explicit_start") == 0) {
			*doc_start = val_truthy(v);
		} else if (strcmp(kw, "explicit_end") == 0) {
			*doc_end = val_truthy(v);
		} else if (strcmp(kw, "canonical") == 0) {
			if (val_truthy(v))
				yaml_emitter_set_canonical(&d->em, 1);
		} else if (strcmp(kw, "indent") == 0 ||
		    strcmp(kw, "width") == 0) {
			if (v->type == VAL_NULL)
				continue;
			if (int_arg(c, v, kw, &num, err) < 0)
				return -1;
			num = num < INT32_MIN ? INT32_MIN : num > INT32_MAX ?
			    INT32_MAX : num;
			if (kw[0] == 'i')
				yaml_emitter_set_indent(&d->em, (int)num);
			else
				yaml_emitter_set_width(&d->em, (int)num);
		} else if (strcmp(kw, "default_style") == 0) {
			d->styled = val_truthy(v);
			d->style = YAML_PLAIN_SCALAR_STYLE;
			if (val_is_str(v, "'"))
				d->style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
			else if (val_is_str(v, "\""))
				d->style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
			else if (val_is_str(v, "|"))
				d->style = YAML_LITERAL_SCALAR_STYLE;
			else if (val_is_str(v, ">"))
				d->style = YAML_FOLDED_SCALAR_STYLE;
		} else if (strcmp(kw, "line_break") == 0) {
			if (val_is_str(v, "\r"))
				yaml_emitter_set_break(&d->em, YAML_CR_BREAK);
			else if (val_is_str(v, "\r\n"))
				yaml_emitter_set_break(&d->em, YAML_CRLN_BREAK);
			else
				yaml_emitter_set_break(&d->em, YAML_LN_BREAK);
		} else if (strcmp(kw, "encoding") == 0) {
			if (v->type != VAL_NULL && !val_is_str(v, "utf-8") &&
			    !val_is_str(v, "utf8"))
				return err_set(err, &c->pos, "%s - encoding "
				    "'%s' is not supported", c->name,
				    v->type == VAL_STR ? v->u.str.s : "?");
		} else {
			return err_set(err, &c->pos, "%s - dump_all() got an "
			    "unexpected keyword argument '%s'", c->name, kw);
		}
	}
	return 0;
}

static int
yaml_dump(struct tmpl_call *c, bool nice, struct value **out,
    struct err *err)
{
	struct ydump d;
	yaml_event_t ev;
	bool doc_start = false, doc_end = false;
	int k, rc = -1;

	if (c->in == NULL)
		return tmpl_undefined(c, err);
	memset(&d, 0, sizeof(d));
	d.c = c;
	d.flow = nice ? 0 : -1;
	d.sort_keys = true;
	sb_init(&d.out);
	yaml_emitter_initialize(&d.em);
	yaml_emitter_set_output(&d.em, ydump_write, &d.out);
	yaml_emitter_set_unicode(&d.em, 1);
	if (nice) {
		struct value *indent = NULL;
		int64_t num = 4;

		for (size_t i = 0; i < c->nkw; i++)
			if (strcmp(c->kwnames[i], "indent") == 0)
				indent = c->kwargs[i];
		if (indent == NULL && c->nargs > 0) {
			indent = c->args[0];
			if (indent == NULL) {
				err_set(err, &c->pos, "an argument of '%s' is "
				    "undefined", c->name);
				goto done;
			}
		}
		if (indent != NULL && int_arg(c, indent, "indent", &num,
		    err) < 0)
			goto done;
		yaml_emitter_set_indent(&d.em, (int)(num < 0 ? 0 : num >
		    100 ? 100 : num));
	}
	if (ydump_options(&d, nice, &doc_start, &doc_end, err) < 0)
		goto done;
	d.md = pcre2_match_data_create(4, NULL);
	ydump_anchor(&d, c->in);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    ydump_emit(&d, &ev, 1, err) < 0)
		goto done;
	if (ydump_emit(&d, &ev, yaml_document_start_event_initialize(&ev,
	    NULL, NULL, NULL, !doc_start), err) < 0)
		goto done;
	if (ydump_node(&d, c->in, err) < 0)
		goto done;
	if (ydump_emit(&d, &ev, yaml_document_end_event_initialize(&ev,
	    !doc_end), err) < 0)
		goto done;
	if (ydump_emit(&d, &ev, yaml_stream_end_event_initialize(&ev),
	    err) < 0)
		goto done;
	*out = new_str(c, &d.out);
	rc = 0;
done:
	yaml_emitter_delete(&d.em);
	for (k = 0; k < R_COUNT; k++)
		pcre2_code_free(d.re[k]);
	pcre2_match_data_free(d.md);
	free(d.tab);
	sb_release(&d.out);
	return rc;
}

static int
f_to_yaml(struct tmpl_call *c, struct value **out, struct err *err)
{
	return yaml_dump(c, false, out, err);
}

static int
f_to_nice_yaml(struct tmpl_call *c, struct value **out, struct err *err)
{
	return yaml_dump(c, true, out, err);
}

/* from_yaml: yaml.load() with the SafeLoader; not a string: as is. */
static int
yaml_in(struct tmpl_call *c, bool all, struct value **out, struct err *err)
{
	static const char *const params[] = { NULL };
	struct value *v[MAXPARAMS], *docs;
	struct err e2 = ERR_INIT;

	if (bind(c, params, 0, false, false, v, err) < 0)
		return -1;
	if (c->in->type != VAL_STR) {
		*out = c->in;
		return 0;
	}
	docs = yaml_load_all(c->a, "<unicode string>", c->in->u.str.s,
	    c->in->u.str.len, &e2);
	if (docs == NULL) {
		char buf[ERR_MSG_MAX + 64];

		return err_set(err, &c->pos, "%s", err_format(&e2, buf,
		    sizeof(buf)));
	}
	if (all)
		*out = docs;
	else if (docs->u.list->n > 1)
		return err_set(err, &c->pos, "expected a single document in "
		    "the stream");
	else
		*out = docs->u.list->n ? docs->u.list->items[0] : &val_none;
	return 0;
}

static int
f_from_yaml(struct tmpl_call *c, struct value **out, struct err *err)
{
	return yaml_in(c, false, out, err);
}

static int
f_from_yaml_all(struct tmpl_call *c, struct value **out, struct err *err)
{
	return yaml_in(c, true, out, err);
}

/*
 * JSON in: Python's json.loads() (the C scanner), messages and positions
 * included: "Expecting value: line 1 column 4 (char 3)".
 */
struct pyjson {
	struct arena	*a;
	const char	*s;
	size_t		 n;
	const char	*msg;
	size_t		 at;		/* byte offset of the error */
	int		 depth;
};

static bool
pj_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
pj_skip(const struct pyjson *j, size_t i)
{
	while (i < j->n && pj_ws((unsigned char)j->s[i]))
		i++;
	return i;
}

static struct value *
pj_fail(struct pyjson *j, const char *msg, size_t at)
{
	j->msg = msg;
	j->at = at;
	return NULL;
}

static int
pj_hex4(const struct pyjson *j, size_t i, uint32_t *out)
{
	uint32_t u = 0;
	int k, h;

	for (k = 0; k < 4; k++) {
		h = hexval((unsigned char)j->s[i + (size_t)k]);
		if (h < 0)
			return -1;
		u = u * 16 + (uint32_t)h;
	}
	*out = u;
	return 0;
}

/* A string; s[i] is just past the opening quote. */
static struct value *
pj_string(struct pyjson *j, size_t i, size_t *next)
{
	struct strbuf sb = STRBUF_INIT;
	size_t begin = i - 1;
	struct value *v;

	for (;;) {
		size_t k = i;
		int ch = 0;

		while (k < j->n) {
			ch = (unsigned char)j->s[k];
			if (ch == '"' || ch == '\\')
				break;
			if (ch <= 0x1f) {
				sb_release(&sb);
				return pj_fail(j, "Invalid control character "
				    "at", k);
			}
			k++;
		}
		if (k >= j->n) {
			sb_release(&sb);
			return pj_fail(j, "Unterminated string starting at",
			    begin);
		}
		sb_add(&sb, j->s + i, k - i);
		if (ch == '"') {
			i = k + 1;
			break;
		}
		k++;			/* the backslash */
		if (k >= j->n) {
			sb_release(&sb);
			return pj_fail(j, "Unterminated string starting at",
			    begin);
		}
		ch = (unsigned char)j->s[k];
		if (ch != 'u') {
			static const char from[] = "\"\\/bfnrt";
			static const char to[] = "\"\\/\b\f\n\r\t";
			const char *p = strchr(from, ch);

			if (ch == 0 || p == NULL) {
				sb_release(&sb);
				return pj_fail(j, "Invalid \\escape", k - 1);
			}
			sb_addch(&sb, to[p - from]);
			i = k + 1;
			continue;
		} else {
			uint32_t u, lo;

			k++;
			if (k + 4 >= j->n || pj_hex4(j, k, &u) < 0) {
				sb_release(&sb);
				return pj_fail(j, "Invalid \\uXXXX escape",
				    k - 1);
			}
			k += 4;
			if (u >= 0xd800 && u < 0xdc00 && k + 6 < j->n &&
			    j->s[k] == '\\' && j->s[k + 1] == 'u') {
				if (pj_hex4(j, k + 2, &lo) < 0) {
					sb_release(&sb);
					return pj_fail(j, "Invalid \\uXXXX "
					    "escape", k + 1);
				}
				if (lo >= 0xdc00 && lo < 0xe000) {
					u = 0x10000 + ((u - 0xd800) << 10) +
					    (lo - 0xdc00);
					k += 6;
				}
			}
			if (u >= 0xd800 && u < 0xe000) {
				/* A lone surrogate: its CESU-8 bytes. */
				sb_addch(&sb, (int)(0xe0 | (u >> 12)));
				sb_addch(&sb, (int)(0x80 | ((u >> 6) & 0x3f)));
				sb_addch(&sb, (int)(0x80 | (u & 0x3f)));
			} else
				utf8_put(&sb, u);
			i = k;
		}
	}
	*next = i;
	v = val_new_strn(j->a, sb.buf, sb.len);
	sb_release(&sb);
	return v;
}

static struct value *pj_value(struct pyjson *, size_t, size_t *);

static struct value *
pj_number(struct pyjson *j, size_t i, size_t *next)
{
	size_t start = i, n = j->n, e;
	bool is_float = false;
	const char *s = j->s;
	char *num, *end;
	struct value *v;

	if (s[i] == '-') {
		i++;
		if (i >= n)
			return pj_fail(j, "Expecting value", start);
	}
	if (s[i] >= '1' && s[i] <= '9') {
		while (i < n && is_digit(s[i]))
			i++;
	} else if (s[i] == '0')
		i++;
	else
		return pj_fail(j, "Expecting value", start);
	if (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
		is_float = true;
		i += 2;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
		e = i++;
		if (i + 1 < n && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < n && is_digit(s[i]))
			i++;
		if (is_digit(s[i - 1]))
			is_float = true;
		else
			i = e;
	}
	*next = i;
	num = arena_strndup(j->a, s + start, i - start);
	errno = 0;
	if (is_float)
		return val_new_float(j->a, strtod(num, NULL));
	v = val_new_int(j->a, strtoll(num, &end, 10));
	if (errno == ERANGE)
		return pj_fail(j, "Integer out of range", start);
	return v;
}

static struct value *
pj_value(struct pyjson *j, size_t i, size_t *next)
{
	const char *s = j->s;
	size_t n = j->n;
	struct value *v, *k;

	if (i >= n)
		return pj_fail(j, "Expecting value", i);
	switch (s[i]) {
	case '"':
		return pj_string(j, i + 1, next);
	case '{':
	case '[':
		if (++j->depth > 1000)
			return pj_fail(j, "maximum recursion depth exceeded",
			    i);
		break;
	case 'n':
		if (i + 3 < n && memcmp(s + i, "null", 4) == 0) {
			*next = i + 4;
			return &val_none;
		}
		break;
	case 't':
		if (i + 3 < n && memcmp(s + i, "true", 4) == 0) {
			*next = i + 4;
			return val_new_bool(j->a, true);
		}
		break;
	case 'f':
		if (i + 4 < n && memcmp(s + i, "false", 5) == 0) {
			*next = i + 5;
			return val_new_bool(j->a, false);
		}
		break;
	case 'N':
		if (i + 2 < n && memcmp(s + i, "NaN", 3) == 0) {
			*next = i + 3;
			return val_new_float(j->a, NAN);
		}
		break;
	case 'I':
		if (i + 7 < n && memcmp(s + i, "Infinity", 8) == 0) {
			*next = i + 8;
			return val_new_float(j->a, INFINITY);
		}
		break;
	case '-':
		if (i + 8 < n && memcmp(s + i, "-Infinity", 9) == 0) {
			*next = i + 9;
			return val_new_float(j->a, -INFINITY);
		}
		break;
	}
	if (s[i] == '[') {
		v = val_new_list(j->a);
		i = pj_skip(j, i + 1);
		if (i < n && s[i] == ']') {
			*next = i + 1;
			j->depth--;
			return v;
		}
		for (;;) {
			k = pj_value(j, i, &i);
			if (k == NULL)
				return NULL;
			val_list_push(j->a, v, k);
			i = pj_skip(j, i);
			if (i < n && s[i] == ']')
				break;
			if (i >= n || s[i] != ',')
				return pj_fail(j, "Expecting ',' delimiter", i);
			i = pj_skip(j, i + 1);
		}
		*next = i + 1;
		j->depth--;
		return v;
	}
	if (s[i] == '{') {
		struct value *val;

		v = val_new_dict(j->a);
		i = pj_skip(j, i + 1);
		if (i < n && s[i] == '}') {
			*next = i + 1;
			j->depth--;
			return v;
		}
		for (;;) {
			if (i >= n || s[i] != '"')
				return pj_fail(j, "Expecting property name "
				    "enclosed in double quotes", i);
			k = pj_string(j, i + 1, &i);
			if (k == NULL)
				return NULL;
			i = pj_skip(j, i);
			if (i >= n || s[i] != ':')
				return pj_fail(j, "Expecting ':' delimiter", i);
			i = pj_skip(j, i + 1);
			val = pj_value(j, i, &i);
			if (val == NULL)
				return NULL;
			val_dict_setv(j->a, v, k, val);
			i = pj_skip(j, i);
			if (i < n && s[i] == '}')
				break;
			if (i >= n || s[i] != ',')
				return pj_fail(j, "Expecting ',' delimiter", i);
			i = pj_skip(j, i + 1);
		}
		*next = i + 1;
		j->depth--;
		return v;
	}
	return pj_number(j, i, next);
}

static int
f_from_json(struct tmpl_call *c, struct value **out, struct err *err)
{
	struct pyjson j;
	struct value *v;
	size_t i, end, ch, line = 1, col, k, lastnl = 0;
	bool nl = false;

	if (c->in == NULL)
		return tmpl_undefined(c, err);
	if (c->in->type != VAL_STR)
		return err_set(err, &c->pos, "the JSON object must be str, "
		    "bytes or bytearray, not %s", val_type_name(c->in));
	memset(&j, 0, sizeof(j));
	j.a = c->a;
	j.s = c->in->u.str.s;
	j.n = c->in->u.str.len;
	if (j.n >= 3 && memcmp(j.s, "\xef\xbb\xbf", 3) == 0) {
		j.msg = "Unexpected UTF-8 BOM (decode using utf-8-sig)";
		j.at = 0;
		goto fail;
	}
	v = pj_value(&j, pj_skip(&j, 0), &end);
	if (v == NULL)
		goto fail;
	i = pj_skip(&j, end);
	if (i != j.n) {
		j.msg = "Extra data";
		j.at = i;
		goto fail;
	}
	*out = v;
	return 0;
fail:
	/* Python counts characters, lines and columns from 1. */
	for (k = 0; k < j.at; k++)
		if (j.s[k] == '\n') {
			line++;
			lastnl = k;
			nl = true;
		}
	ch = pyre_utf8_len(j.s, j.at);
	col = nl ? pyre_utf8_len(j.s + lastnl, j.at - lastnl) : ch + 1;
	return err_set(err, &c->pos, "%s: line %zu column %zu (char %zu)",
	    j.msg, line, col, ch);
}

static bool
all_finite(const struct value *v)
{
	size_t i;

	switch (v->type) {
	case VAL_FLOAT:
		return isfinite(v->u.f);
	case VAL_LIST:
		for (i = 0; i < v->u.list->n; i++)
			if (!all_finite(v->u.list->items[i]))
				return false;
		return true;
	case VAL_DICT:
		for (i = 0; i < v->u.dict->n; i++)
			if (!all_finite(v->u.dict->ent[i].key) ||
			    !all_finite(v->u.dict->ent[i].val))
				return false;
		return true;
	default:
		return true;
	}
}

/* Python's x < y for dict keys; a TypeError for types that do not order. */
static int
key_lt(struct tmpl_call *c, const struct value *x, const struct value *y,
    bool *lt, struct err *err)
{
	int cmp = 0;

	if (key_group(x) != key_group(y) || key_group(x) >= 2)
		return err_set(err, &c->pos, "'<' not supported between "
		    "instances of '%s' and '%s'", val_type_name(x),
		    val_type_name(y));
	val_compare(x, y, &cmp, NULL);
	*lt = cmp < 0;
	return 0;
}

/*
 * json.dumps(sort_keys=True) sorts each dict's items with list.sort():
 * keys of types that do not order are a TypeError, named after the first
 * pair the sort compares.  The comparisons are timsort's for a short list
 * (count_run, then binary insertion), which is what dicts mostly are.
 */
static int
keys_sortable(struct tmpl_call *c, const struct value *v, struct err *err)
{
	const struct value **k;
	size_t i, n, run, l, r, m;
	bool lt, desc = false;
	int rc = -1;

	if (v->type == VAL_LIST) {
		for (i = 0; i < v->u.list->n; i++)
			if (keys_sortable(c, v->u.list->items[i], err) < 0)
				return -1;
		return 0;
	}
	if (v->type != VAL_DICT)
		return 0;
	n = v->u.dict->n;
	k = xcalloc(n + 1, sizeof(*k));
	for (i = 0; i < n; i++)
		k[i] = v->u.dict->ent[i].key;
	run = n;
	if (n > 1) {
		/* count_run */
		if (key_lt(c, k[1], k[0], &lt, err) < 0)
			goto done;
		desc = lt;
		for (run = 2; run < n; run++) {
			if (key_lt(c, k[run], k[run - 1], &lt, err) < 0)
				goto done;
			if (lt != desc)
				break;
		}
		for (i = 0; desc && i < run / 2; i++) {
			const struct value *t = k[i];

			k[i] = k[run - 1 - i];
			k[run - 1 - i] = t;
		}
	}
	/* binarysort of the rest */
	for (i = run; i < n; i++) {
		const struct value *pivot = k[i];

		l = 0;
		r = i;
		do {
			m = l + ((r - l) >> 1);
			if (key_lt(c, pivot, k[m], &lt, err) < 0)
				goto done;
			if (lt)
				r = m;
			else
				l = m + 1;
		} while (l < r);
		memmove(k + l + 1, k + l, (i - l) * sizeof(*k));
		k[l] = pivot;
	}
	for (i = 0; i < n; i++)
		if (keys_sortable(c, v->u.dict->ent[i].val, err) < 0)
			goto done;
	rc = 0;
done:
	free(k);
	return rc;
}

/* json.dumps(): the options json.c knows. */
static int
json_out(struct tmpl_call *c, bool nice, struct value **out,
    struct err *err)
{
	struct json_opts o = { -1, false, true };
	struct strbuf sb = STRBUF_INIT;
	const struct value *seps = NULL;
	bool allow_nan = true;
	int64_t num = 0;
	size_t k;

	if (nice) {
		static const char *const params[] = { "indent", "sort_keys",
		    NULL };
		struct value *v[MAXPARAMS];

		if (bind(c, params, 0, true, true, v, err) < 0)
			return -1;
		o.indent = 4;
		o.sort_keys = true;
		if (v[0] != NULL) {
			if (v[0]->type == VAL_NULL)
				o.indent = -1;
			else if (int_arg(c, v[0], "indent", &num, err) < 0)
				return -1;
			else
				o.indent = num < 0 ? 0 : (int)(num > 64 ? 64 :
				    num);
		}
		if (v[1] != NULL)
			o.sort_keys = val_truthy(v[1]);
	}
	if (c->in == NULL)
		return tmpl_undefined(c, err);
	/* json.dumps() takes its options by keyword only. */
	if (c->nargs > (nice ? 2u : 0u))
		return err_set(err, &c->pos, "dumps() takes 1 positional "
		    "argument but %zu were given", c->nargs - (nice ? 1 : 0));
	for (k = 0; k < c->nkw; k++) {
		const char *kw = c->kwnames[k];
		const struct value *v = c->kwargs[k];

		if (nice && (strcmp(kw, "indent") == 0 ||
		    strcmp(kw, "sort_keys") == 0))
			continue;
		if (v == NULL)
			return err_set(err, &c->pos, "argument '%s' of '%s' is "
			    "undefined", kw, c->name);
		if (strcmp(kw, "indent") == 0) {
			if (v->type == VAL_NULL)
				o.indent = -1;
			else if (int_arg(c, v, "indent", &num, err) < 0)
				return -1;
			else
				o.indent = num < 0 ? 0 : (int)(num > 64 ? 64 :
				    num);
		} else if (strcmp(kw, "sort_keys") == 0)
			o.sort_keys = val_truthy(v);
		else if (strcmp(kw, "ensure_ascii") == 0)
			o.ensure_ascii = val_truthy(v);
		else if (strcmp(kw, "allow_nan") == 0)
			allow_nan = val_truthy(v);
		else if (strcmp(kw, "separators") == 0)
			seps = v;
		else if (strcmp(kw, "skipkeys") != 0 &&
		    strcmp(kw, "check_circular") != 0 &&
		    strcmp(kw, "vault_to_text") != 0 &&
		    strcmp(kw, "preprocess_unsafe") != 0)
			return err_set(err, &c->pos, "__init__() got an "
			    "unexpected keyword argument '%s'", kw);
	}
	if (nice && seps != NULL)
		return err_set(err, &c->pos, "to_json() got multiple values "
		    "for keyword argument 'separators'");
	if (nice && o.indent < 0)
		return err_set(err, &c->pos, "%s: indent=None is not "
		    "supported", c->name);
	if (seps != NULL && seps->type != VAL_NULL) {
		/* Only the separators json.c writes anyway. */
		const struct value *a = val_list_get(seps, 0);
		const struct value *b = val_list_get(seps, 1);

		if (val_len(seps) != 2 || a == NULL || b == NULL ||
		    !val_is_str(a, o.indent >= 0 ? "," : ", ") ||
		    !val_is_str(b, ": "))
			return err_set(err, &c->pos, "%s: these separators "
			    "are not supported", c->name);
	}
	if (!allow_nan && !all_finite(c->in))
		return err_set(err, &c->pos, "Out of range float values are "
		    "not JSON compliant");
	if (o.sort_keys && keys_sortable(c, c->in, err) < 0)
		return -1;
	json_encode(&sb, c->in, &o);
	*out = new_str(c, &sb);
	sb_release(&sb);
	return 0;
}

static int
f_to_json(struct tmpl_call *c, struct value **out, struct err *err)
{
	return json_out(c, false, out, err);
}

static int
f_to_nice_json(struct tmpl_call *c, struct value **out, struct err *err)
{
	return json_out(c, true, out, err);
}

/*
 * Random: Python's random.Random (MT19937, init_by_array seeding,
 * getrandbits, _randbelow) so that a seeded result is Ansible's; without a
 * seed, SystemRandom (the kernel's random bytes).
 */
#define MT_N	624
#define MT_M	397

struct pyrandom {
	uint32_t	mt[MT_N];
	int		index;
	bool		system;
};

static void
mt_init(struct pyrandom *r, uint32_t s)
{
	int i;

	r->mt[0] = s;
	for (i = 1; i < MT_N; i++)
		r->mt[i] = 1812433253U * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) +
		    (uint32_t)i;
	r->index = MT_N;
}

static void
mt_init_by_array(struct pyrandom *r, const uint32_t *key, size_t len)
{
	size_t i = 1, j = 0, k;
	uint32_t *mt = r->mt;

	mt_init(r, 19650218U);
	for (k = MT_N > len ? MT_N : len; k > 0; k--) {
		mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525U)) +
		    key[j] + (uint32_t)j;
		i++;
		j++;
		if (i >= MT_N) {
			mt[0] = mt[MT_N - 1];
			i = 1;
		}
		if (j >= len)
			j = 0;
	}
	for (k = MT_N - 1; k > 0; k--) {
		mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) *
		    1566083941U)) - (uint32_t)i;
		i++;
		if (i >= MT_N) {
			mt[0] = mt[MT_N - 1];
			i = 1;
		}
	}
	mt[0] = 0x80000000U;
}

static uint32_t
mt_next(struct pyrandom *r)
{
	static const uint32_t mag01[2] = { 0x0U, 0x9908b0dfU };
	uint32_t *mt = r->mt, y;
	int kk;

	if (r->index >= MT_N) {
		for (kk = 0; kk < MT_N - MT_M; kk++) {
			y = (mt[kk] & 0x80000000U) | (mt[kk + 1] & 0x7fffffffU);
			mt[kk] = mt[kk + MT_M] ^ (y >> 1) ^ mag01[y & 1];
		}
		for (; kk < MT_N - 1; kk++) {
			y = (mt[kk] & 0x80000000U) | (mt[kk + 1] & 0x7fffffffU);
			mt[kk] = mt[kk + (MT_M - MT_N)] ^ (y >> 1) ^
			    mag01[y & 1];
		}
		y = (mt[MT_N - 1] & 0x80000000U) | (mt[0] & 0x7fffffffU);
		mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1];
		r->index = 0;
	}
	y = mt[r->index++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680U;
	y ^= (y << 15) & 0xefc60000U;
	y ^= y >> 18;
	return y;
}

/* Random.seed(n) for a non-negative integer: its 32-bit words. */
static void
seed_u64(struct pyrandom *r, uint64_t n)
{
	uint32_t key[2] = { (uint32_t)n, (uint32_t)(n >> 32) };

	mt_init_by_array(r, key, key[1] != 0 ? 2 : 1);
}

/* Version 2 seeding of a str: int.from_bytes(s + sha512(s), 'big'). */
static void
seed_bytes(struct pyrandom *r, const char *s, size_t n)
{
	unsigned char *buf, md[64];
	unsigned mdlen = 0;
	uint32_t *key;
	size_t len = n + 64, first = 0, nkey, w, b;

	buf = xmalloc(len);
	memcpy(buf, s, n);
	EVP_Digest(s, n, md, &mdlen, EVP_sha512(), NULL);
	memcpy(buf + n, md, 64);
	while (first < len && buf[first] == 0)
		first++;
	nkey = (len - first + 3) / 4;
	if (nkey == 0)
		nkey = 1;
	key = xcalloc(nkey, sizeof(*key));
	/* Little-endian words, least significant first. */
	for (w = 0; w < nkey; w++)
		for (b = 0; b < 4; b++) {
			size_t pos = len - 1 - (w * 4 + b);

			if (w * 4 + b < len - first)
				key[w] |= (uint32_t)buf[pos] << (8 * b);
		}
	mt_init_by_array(r, key, nkey);
	free(key);
	free(buf);
}

/* Python's hash() of a float (Random.seed of a float uses it). */
static uint64_t
py_hash_double(double v)
{
	const uint64_t mod = ((uint64_t)1 << 61) - 1;
	uint64_t x = 0, y;
	int e, sign = 1;
	double m;
	int64_t h;

	if (isinf(v))
		return v > 0 ? 314159 : (uint64_t)-314159;
	m = frexp(v, &e);
	if (m < 0) {
		sign = -1;
		m = -m;
	}
	while (m != 0) {
		x = ((x << 28) & mod) | x >> (61 - 28);
		m *= 268435456.0;
		e -= 28;
		y = (uint64_t)m;
		m -= (double)y;
		x += y;
		if (x >= mod)
			x -= mod;
	}
	e = e >= 0 ? e % 61 : 61 - 1 - ((-1 - e) % 61);
	x = ((x << e) & mod) | x >> (61 - e);
	h = (int64_t)x * sign;
	if (h == -1)
		h = -2;
	return (uint64_t)h;
}

static int
rnd_init(struct tmpl_call *c, struct pyrandom *r, const struct value *seed,
    struct err *err)
{
	memset(r, 0, sizeof(*r));
	if (seed == NULL || seed->type == VAL_NULL) {
		r->system = true;
		return 0;
	}
	switch (seed->type) {
	case VAL_BOOL:
		seed_u64(r, seed->u.b);
		return 0;
	case VAL_INT:
		seed_u64(r, seed->u.i < 0 ? -(uint64_t)seed->u.i :
		    (uint64_t)seed->u.i);
		return 0;
	case VAL_FLOAT:
		if (isnan(seed->u.f))
			break;
		seed_u64(r, py_hash_double(seed->u.f));
		return 0;
	case VAL_STR:
		seed_bytes(r, seed->u.str.s, seed->u.str.len);
		return 0;
	}
	return err_set(err, &c->pos, "The only supported seed types are: "
	    "None,\nint, float, str, bytes, and bytearray.");
}

static uint64_t
rnd_bits(struct pyrandom *r, int k)
{
	unsigned char buf[8];
	uint64_t x = 0;
	int nbytes, i;

	if (k == 0)
		return 0;
	if (r->system) {
		nbytes = (k + 7) / 8;
		while (getrandom(buf, (size_t)nbytes, 0) != nbytes)
			if (errno != EINTR)
				BUG("getrandom: %s", strerror(errno));
		for (i = 0; i < nbytes; i++)
			x = x << 8 | buf[i];
		return x >> (nbytes * 8 - k);
	}
	if (k <= 32)
		return mt_next(r) >> (32 - k);
	/* Words from the least significant; the last one shifted. */
	x = mt_next(r);
	return x | (uint64_t)(mt_next(r) >> (64 - k)) << 32;
}

/* _randbelow_with_getrandbits(n), n > 0. */
static uint64_t
rnd_below(struct pyrandom *r, uint64_t n)
{
	int k = 0;
	uint64_t x;

	for (x = n; x != 0; x >>= 1)
		k++;
	do
		x = rnd_bits(r, k);
	while (x >= n);
	return x;
}

/* A randrange() argument: an int, or a float that is one. */
static int
range_arg(struct tmpl_call *c, const struct value *v, const char *which,
    int64_t *out, struct err *err)
{
	if (v->type == VAL_FLOAT) {
		if (v->u.f != floor(v->u.f) || fabs(v->u.f) > 9e18)
			return err_set(err, &c->pos, "non-integer %s for "
			    "randrange()", which);
		*out = (int64_t)v->u.f;
		return 0;
	}
	if (v->type == VAL_INT || v->type == VAL_BOOL) {
		*out = v->type == VAL_INT ? v->u.i : v->u.b;
		return 0;
	}
	return err_set(err, &c->pos, "'%s' object cannot be interpreted as an "
	    "integer", val_type_name(v));
}

/* The characters of a string, as Python's list(str) gives them. */
static struct value *
str_chars(struct tmpl_call *c, const struct value *s)
{
	struct value *l = val_new_list(c->a);
	size_t i = 0, j;

	while (i < s->u.str.len) {
		j = i;
		pyre_utf8_next(s->u.str.s, s->u.str.len, &j);
		val_list_push(c->a, l, val_new_strn(c->a, s->u.str.s + i,
		    j - i));
		i = j;
	}
	return l;
}

static int
f_random(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { "start", "step", "seed", NULL };
	struct value *v[MAXPARAMS], *in = c->in, *seq;
	struct pyrandom r;
	int64_t start = 0, stop, step = 1, width, n;
	uint64_t pick;

	if (bind(c, params, 0, false, false, v, err) < 0)
		return -1;
	if (rnd_init(c, &r, v[2], err) < 0)
		return -1;
	if (in->type == VAL_INT || in->type == VAL_BOOL) {
		stop = in->type == VAL_INT ? in->u.i : in->u.b;
		if (truthy(v[0]) && range_arg(c, v[0], "arg 1", &start,
		    err) < 0)
			return -1;
		if (truthy(v[1]) && range_arg(c, v[1], "step", &step,
		    err) < 0)
			return -1;
		if (__builtin_sub_overflow(stop, start, &width))
			return err_set(err, &c->pos, "range too large");
		if (step == 1) {
			if (width <= 0)
				return err_set(err, &c->pos, "empty range for "
				    "randrange() (%" PRId64 ", %" PRId64 ", %"
				    PRId64 ")", start, stop, width);
			*out = val_new_int(c->a, start +
			    (int64_t)rnd_below(&r, (uint64_t)width));
			return 0;
		}
		if (step > 0)
			n = (width + step - 1) / step -
			    ((width + step - 1) % step < 0);
		else
			n = (width + step + 1) / step -
			    ((width + step + 1) % step > 0);
		if (n <= 0)
			return err_set(err, &c->pos, "empty range for "
			    "randrange()");
		*out = val_new_int(c->a, start + step *
		    (int64_t)rnd_below(&r, (uint64_t)n));
		return 0;
	}
	if (in->type != VAL_LIST && in->type != VAL_STR &&
	    in->type != VAL_DICT)
		return err_set(err, &c->pos, "random can only be used on "
		    "sequences and integers");
	if (truthy(v[0]) || truthy(v[1]))
		return err_set(err, &c->pos, "start and step can only be used "
		    "with integer values");
	seq = in->type == VAL_STR ? str_chars(c, in) : in;
	if (val_len(seq) == 0)
		return err_set(err, &c->pos, "Cannot choose from an empty "
		    "sequence");
	pick = rnd_below(&r, val_len(seq));
	if (seq->type == VAL_LIST) {
		*out = seq->u.list->items[pick];
		return 0;
	}
	/* choice(dict) indexes the dict with the number. */
	{
		struct value key = { .type = VAL_INT };

		key.u.i = (int64_t)pick;
		*out = val_dict_getv(seq, &key);
		if (*out == NULL)
			return err_set(err, &c->pos, "%" PRIu64, pick);
	}
	return 0;
}

static int
f_shuffle(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { "seed", NULL };
	struct value *v[MAXPARAMS], *in = c->in, *l;
	struct pyrandom r;
	struct err e2 = ERR_INIT;
	size_t i, n;

	if (bind(c, params, 0, false, false, v, err) < 0)
		return -1;
	/* list(mylist); what cannot be a list comes back as it is. */
	l = val_new_list(c->a);
	if (in->type == VAL_LIST) {
		for (i = 0; i < in->u.list->n; i++)
			val_list_push(c->a, l, in->u.list->items[i]);
	} else if (in->type == VAL_DICT) {
		for (i = 0; i < in->u.dict->n; i++)
			val_list_push(c->a, l, in->u.dict->ent[i].key);
	} else if (in->type == VAL_STR) {
		l = str_chars(c, in);
	} else {
		*out = in;
		return 0;
	}
	*out = l;
	/* A bad seed raises inside the try: the list comes back as is. */
	if (rnd_init(c, &r, truthy(v[0]) ? v[0] : NULL, &e2) < 0)
		return 0;
	n = l->u.list->n;
	for (i = n > 0 ? n - 1 : 0; i >= 1; i--) {
		size_t j = (size_t)rnd_below(&r, i + 1);
		struct value *t = l->u.list->items[i];

		l->u.list->items[i] = l->u.list->items[j];
		l->u.list->items[j] = t;
	}
	return 0;
}

/*
 * Paths and shell quoting.
 */
static int
path_arg(struct tmpl_call *c, const char **s, size_t *n, struct err *err)
{
	static const char *const params[] = { NULL };
	struct value *v[MAXPARAMS];

	if (bind(c, params, 0, false, false, v, err) < 0)
		return -1;
	if (c->in->type != VAL_STR)
		return err_set(err, &c->pos, "expected str, bytes or "
		    "os.PathLike object, not %s", val_type_name(c->in));
	*s = c->in->u.str.s;
	*n = c->in->u.str.len;
	return 0;
}

static int
f_basename(struct tmpl_call *c, struct value **out, struct err *err)
{
	const char *s, *slash;
	size_t n;

	if (path_arg(c, &s, &n, err) < 0)
		return -1;
	slash = memrchr(s, '/', n);
	if (slash == NULL)
		*out = c->in;
	else
		*out = val_new_strn(c->a, slash + 1, n - (size_t)(slash - s) -
		    1);
	return 0;
}

static int
f_dirname(struct tmpl_call *c, struct value **out, struct err *err)
{
	const char *s, *slash;
	size_t n, k, head;

	if (path_arg(c, &s, &n, err) < 0)
		return -1;
	slash = memrchr(s, '/', n);
	head = slash == NULL ? 0 : (size_t)(slash - s) + 1;
	/* Trailing slashes go unless the head is all slashes. */
	for (k = 0; k < head && s[k] == '/'; k++)
		;
	if (k < head)
		while (head > 0 && s[head - 1] == '/')
			head--;
	*out = val_new_strn(c->a, s, head);
	return 0;
}

/* shlex.quote(). */
static int
f_quote(struct tmpl_call *c, struct value **out, struct err *err)
{
	static const char *const params[] = { NULL };
	struct value *v[MAXPARAMS];
	struct strbuf sb = STRBUF_INIT;
	const char *s;
	size_t n, i;
	bool safe = true;

	if (bind(c, params, 0, false, false, v, err) < 0)
		return -1;
	if (c->in->type == VAL_NULL) {
		s = "";
		n = 0;
	} else
		text_of(c, c->in, &s, &n);
	if (n == 0) {
		*out = val_new_str(c->a, "''");
		return 0;
	}
	for (i = 0; i < n && safe; i++) {
		unsigned char ch = (unsigned char)s[i];

		safe = ch < 0x80 && (is_ascii_letter(ch) || is_digit(ch) ||
		    strchr("_@%+=:,./-", ch) != NULL) && ch != 0;
	}
	if (safe) {
		*out = val_new_strn(c->a, s, n);
		return 0;
	}
	sb_addch(&sb, '\'');
	for (i = 0; i < n; i++)
		if (s[i] == '\'')
			sb_adds(&sb, "'\"'\"'");
		else
			sb_addch(&sb, s[i]);
	sb_addch(&sb, '\'');
	*out = new_str(c, &sb);
	sb_release(&sb);
	return 0;
}

const struct tmpl_filter tmpl_filters_ext[] = {
	{ "b64decode",		f_b64decode,		0 },
	{ "b64encode",		f_b64encode,		0 },
	{ "basename",		f_basename,		0 },
	{ "checksum",		f_sha1,			0 },
	{ "dirname",		f_dirname,		0 },
	{ "from_json",		f_from_json,		0 },
	{ "from_yaml",		f_from_yaml,		0 },
	{ "from_yaml_all",	f_from_yaml_all,	0 },
	{ "hash",		f_hash,			0 },
	{ "md5",		f_md5,			0 },
	{ "quote",		f_quote,		0 },
	{ "random",		f_random,		0 },
	{ "regex_escape",	f_regex_escape,		0 },
	{ "regex_findall",	f_regex_findall,	0 },
	{ "regex_replace",	f_regex_replace,	0 },
	{ "regex_search",	f_regex_search,		0 },
	{ "sha1",		f_sha1,			0 },
	{ "shuffle",		f_shuffle,		0 },
	{ "to_json",		f_to_json,		0 },
	{ "to_nice_json",	f_to_nice_json,		0 },
	{ "to_nice_yaml",	f_to_nice_yaml,		0 },
	{ "to_yaml",		f_to_yaml,		0 },
	{ NULL, NULL, 0 },
};
