/*
 * tests_ext.c: library tests that need no evaluator service (regex,
 * version): Ansible 2.14's ansible/plugins/test/core.py.  The version test
 * compares as LooseVersion (the default), StrictVersion or SemanticVersion
 * do, Python 3's errors included ('<' between a number and a word).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "filters.h"
#include "util.h"

/* In filters_ext.c, beside the regex engine it shares. */
int	tmpl_ext_regex_test(struct tmpl_call *, const char *, bool *,
	    struct err *);

static int
t_regex(struct tmpl_call *c, bool *out, struct err *err)
{
	return tmpl_ext_regex_test(c, NULL, out, err);
}

static int
t_match(struct tmpl_call *c, bool *out, struct err *err)
{
	return tmpl_ext_regex_test(c, "match", out, err);
}

static int
t_search(struct tmpl_call *c, bool *out, struct err *err)
{
	return tmpl_ext_regex_test(c, "search", out, err);
}

/*
 * Version components.  Numbers are kept as their digits without leading
 * zeros, so any length compares as Python's int does.
 */
struct vpart {
	bool		 num;
	const char	*s;
	size_t		 len;
};

struct version {
	struct vpart	*p;
	size_t		 n;
	/* StrictVersion and SemanticVersion */
	struct vpart	 core[3];
	bool		 has_pre;
	char		 pre_letter;
};

static void
add_part(struct arena *a, struct version *v, bool num, const char *s,
    size_t len)
{
	struct vpart *np;

	if (num)
		while (len > 1 && s[0] == '0') {
			s++;
			len--;
		}
	np = arena_alloc(a, (v->n + 1) * sizeof(*np));
	if (v->n > 0)
		memcpy(np, v->p, v->n * sizeof(*np));
	np[v->n].num = num;
	np[v->n].s = s;
	np[v->n].len = len;
	v->p = np;
	v->n++;
}

static int
numcmp(const struct vpart *a, const struct vpart *b)
{
	int r;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	r = memcmp(a->s, b->s, a->len);
	return (r > 0) - (r < 0);
}

static int
strcmp_n(const struct vpart *a, const struct vpart *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int r = memcmp(a->s, b->s, n);

	if (r != 0)
		return (r > 0) - (r < 0);
	return (a->len > b->len) - (a->len < b->len);
}

static bool
part_eq(const struct vpart *a, const struct vpart *b)
{
	if (a->num != b->num)
		return false;
	return a->num ? numcmp(a, b) == 0 : strcmp_n(a, b) == 0;
}

/*
 * LooseVersion.parse: re.split(r'(\d+|[a-z]+|\.)') without the dots and
 * empty pieces; what lies between the matches is a component too.
 */
static void
loose_parse(struct arena *a, const char *s, size_t n, struct version *v)
{
	size_t i = 0, j;

	memset(v, 0, sizeof(*v));
	while (i < n) {
		int ch = (unsigned char)s[i];

		j = i + 1;
		if (ch == '.') {
			i = j;
			continue;
		}
		if (is_digit(ch)) {
			while (j < n && is_digit(s[j]))
				j++;
			add_part(a, v, true, s + i, j - i);
		} else if (ch >= 'a' && ch <= 'z') {
			while (j < n && s[j] >= 'a' && s[j] <= 'z')
				j++;
			add_part(a, v, false, s + i, j - i);
		} else {
			while (j < n && !is_digit(s[j]) && s[j] != '.' &&
			    !(s[j] >= 'a' && s[j] <= 'z'))
				j++;
			add_part(a, v, false, s + i, j - i);
		}
		i = j;
	}
}

/* Python's list comparison of two component lists: -1, 0, 1 or error. */
static int
loose_cmp(struct tmpl_call *c, const struct version *a,
    const struct version *b, int *cmp, struct err *err)
{
	size_t i;

	for (i = 0; i < a->n && i < b->n; i++) {
		if (part_eq(&a->p[i], &b->p[i]))
			continue;
		if (a->p[i].num != b->p[i].num)
			return err_set(err, &c->pos, "Version comparison "
			    "failed: '<' not supported between instances of "
			    "'%s' and '%s'", a->p[i].num ? "int" : "str",
			    b->p[i].num ? "int" : "str");
		*cmp = a->p[i].num ? numcmp(&a->p[i], &b->p[i]) :
		    strcmp_n(&a->p[i], &b->p[i]);
		return 0;
	}
	*cmp = (a->n > b->n) - (a->n < b->n);
	return 0;
}

static pcre2_code *
compile(const char *re)
{
	PCRE2_SIZE off;
	int code;

	return pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
	    PCRE2_EXTENDED, &code, &off, NULL);
}

static void
group(pcre2_match_data *md, const char *s, int g, struct vpart *p)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

	p->num = true;
	if (ov[2 * g] == PCRE2_UNSET) {
		p->s = NULL;
		p->len = 0;
		return;
	}
	p->s = s + ov[2 * g];
	p->len = ov[2 * g + 1] - ov[2 * g];
	while (p->len > 1 && p->s[0] == '0') {
		p->s++;
		p->len--;
	}
}

/* StrictVersion.parse. */
static int
strict_parse(struct tmpl_call *c, const char *s, size_t n,
    struct version *v, struct err *err)
{
	static const char re[] =
	    "^(\\d+) \\. (\\d+) (\\. (\\d+))? ([ab](\\d+))?$";
	pcre2_code *code = compile(re);
	pcre2_match_data *md = pcre2_match_data_create(8, NULL);
	int rc;

	memset(v, 0, sizeof(*v));
	rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
	if (rc >= 0) {
		group(md, s, 1, &v->core[0]);
		group(md, s, 2, &v->core[1]);
		group(md, s, 4, &v->core[2]);
		if (v->core[2].s == NULL) {
			v->core[2].s = "0";
			v->core[2].len = 1;
		}
		v->p = arena_alloc(c->a, sizeof(*v->p));
		group(md, s, 6, v->p);
		v->has_pre = v->p->s != NULL;
		if (v->has_pre)
			v->pre_letter = s[pcre2_get_ovector_pointer(md)[10]];
	}
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	if (rc < 0)
		return err_set(err, &c->pos, "Version comparison failed: "
		    "invalid version number '%.*s'", (int)n, s);
	return 0;
}

static int
strict_cmp(const struct version *a, const struct version *b)
{
	int k, r;

	for (k = 0; k < 3; k++) {
		r = numcmp(&a->core[k], &b->core[k]);
		if (r != 0)
			return r;
	}
	if (!a->has_pre || !b->has_pre)
		return a->has_pre ? -1 : b->has_pre ? 1 : 0;
	if (a->pre_letter != b->pre_letter)
		return a->pre_letter < b->pre_letter ? -1 : 1;
	return numcmp(a->p, b->p);
}

/* SemanticVersion.parse: core numbers and prerelease identifiers. */
static int
semver_parse(struct tmpl_call *c, const char *s, size_t n,
    struct version *v, struct err *err)
{
	static const char re[] =
	    "^(?P<major>0|[1-9]\\d*)\n"
	    "\\.\n"
	    "(?P<minor>0|[1-9]\\d*)\n"
	    "\\.\n"
	    "(?P<patch>0|[1-9]\\d*)\n"
	    "(?:\n"
	    "    -\n"
	    "    (?P<prerelease>\n"
	    "        (?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)\n"
	    "        (?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*\n"
	    "    )\n"
	    ")?\n"
	    "(?:\n"
	    "    \\+\n"
	    "    (?P<buildmetadata>[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)\n"
	    ")?\n"
	    "$";
	pcre2_code *code = compile(re);
	pcre2_match_data *md = pcre2_match_data_create(8, NULL);
	struct vpart pre;
	int rc;

	memset(v, 0, sizeof(*v));
	rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
	if (rc >= 0) {
		group(md, s, 1, &v->core[0]);
		group(md, s, 2, &v->core[1]);
		group(md, s, 3, &v->core[2]);
		group(md, s, 4, &pre);
		if (pre.s != NULL) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			const char *p = s + ov[8], *end = s + ov[9], *dot;

			/* The whole group, leading zeros and all. */
			v->has_pre = true;
			while (p <= end) {
				size_t len, k;
				bool digits = true;

				dot = memchr(p, '.', (size_t)(end - p));
				if (dot == NULL)
					dot = end;
				len = (size_t)(dot - p);
				for (k = 0; k < len && digits; k++)
					digits = is_digit(p[k]);
				add_part(c->a, v, digits && len > 0, p, len);
				p = dot + 1;
			}
		}
	}
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	if (rc < 0)
		return err_set(err, &c->pos, "Version comparison failed: "
		    "invalid semantic version '%.*s'", (int)n, s);
	return 0;
}

static int
semver_cmp(const struct version *a, const struct version *b)
{
	size_t i;
	int k, r;

	for (k = 0; k < 3; k++) {
		r = numcmp(&a->core[k], &b->core[k]);
		if (r != 0)
			return r;
	}
	if (!a->has_pre || !b->has_pre)
		return a->has_pre ? -1 : b->has_pre ? 1 : 0;
	/* Tuples of _Numeric and _Alpha: numbers sort before words. */
	for (i = 0; i < a->n && i < b->n; i++) {
		if (part_eq(&a->p[i], &b->p[i]))
			continue;
		if (a->p[i].num != b->p[i].num)
			return a->p[i].num ? -1 : 1;
		return a->p[i].num ? numcmp(&a->p[i], &b->p[i]) :
		    strcmp_n(&a->p[i], &b->p[i]);
	}
	return (a->n > b->n) - (a->n < b->n);
}

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

static int
t_version(struct tmpl_call *c, bool *out, struct err *err)
{
	static const char *const ops[][2] = {
		{ "==", "eq" }, { "=", "eq" }, { "eq", "eq" },
		{ "<", "lt" }, { "lt", "lt" }, { "<=", "le" }, { "le", "le" },
		{ ">", "gt" }, { "gt", "gt" }, { ">=", "ge" }, { "ge", "ge" },
		{ "!=", "ne" }, { "<>", "ne" }, { "ne", "ne" },
	};
	static const char *const params[] = { "version", "operator",
	    "strict", "version_type" };
	struct value *v[4] = { NULL, NULL, NULL, NULL };
	struct version va, vb;
	const char *op = "eq", *type = "loose", *s1, *s2;
	size_t k, i, n1, n2;
	int cmp = 0;

	if (c->in == NULL)
		return tmpl_undefined(c, err);
	if (c->nargs > 4)
		return err_set(err, &c->pos, "version_compare() takes from 2 "
		    "to 5 positional arguments but %zu were given",
		    c->nargs + 1);
	for (i = 0; i < c->nargs; i++)
		v[i] = c->args[i];
	for (k = 0; k < c->nkw; k++) {
		for (i = 0; i < 4; i++)
			if (strcmp(c->kwnames[k], params[i]) == 0)
				break;
		if (i == 4)
			return err_set(err, &c->pos, "version_compare() got an "
			    "unexpected keyword argument '%s'", c->kwnames[k]);
		if (i < c->nargs)
			return err_set(err, &c->pos, "version_compare() got "
			    "multiple values for argument '%s'", params[i]);
		v[i] = c->kwargs[k];
		if (v[i] == NULL)
			return err_set(err, &c->pos, "an argument of '%s' is "
			    "undefined", c->name);
	}
	for (i = 0; i < c->nargs; i++)
		if (v[i] == NULL)
			return err_set(err, &c->pos, "an argument of '%s' is "
			    "undefined", c->name);
	if (v[0] == NULL && c->nargs == 0)
		return err_set(err, &c->pos, "version_compare() missing 1 "
		    "required positional argument: 'version'");
	if (v[2] != NULL && v[2]->type != VAL_NULL && v[3] != NULL &&
	    v[3]->type != VAL_NULL)
		return err_set(err, &c->pos, "Cannot specify both 'strict' and "
		    "'version_type'");
	if (!val_truthy(c->in))
		return err_set(err, &c->pos, "Input version value cannot be "
		    "empty");
	if (!val_truthy(v[0]))
		return err_set(err, &c->pos, "Version parameter to compare "
		    "against cannot be empty");
	if (v[2] != NULL && val_truthy(v[2]))
		type = "strict";
	else if (v[3] != NULL && val_truthy(v[3])) {
		static const char *const types[] = { "loose", "strict",
		    "semver", "semantic" };

		type = NULL;
		for (i = 0; i < 4; i++)
			if (val_is_str(v[3], types[i]))
				type = types[i];
		if (type == NULL) {
			text_of(c, v[3], &s1, &n1);
			if (val_is_str(v[3], "pep440"))
				return err_set(err, &c->pos, "the pep440 "
				    "version_type is not supported");
			return err_set(err, &c->pos, "Invalid version type "
			    "(%s). Must be one of 'loose', 'strict', 'semver',"
			    " 'semantic', 'pep440'", s1);
		}
	}
	if (v[1] != NULL) {
		op = NULL;
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (val_is_str(v[1], ops[i][0]))
				op = ops[i][1];
		if (op == NULL) {
			text_of(c, v[1], &s1, &n1);
			return err_set(err, &c->pos, "Invalid operator type "
			    "(%s). Must be one of '==', '=', 'eq', '<', 'lt', "
			    "'<=', 'le', '>', 'gt', '>=', 'ge', '!=', '<>', "
			    "'ne'", s1);
		}
	}
	text_of(c, c->in, &s1, &n1);
	text_of(c, v[0], &s2, &n2);
	if (strcmp(type, "loose") == 0) {
		loose_parse(c->a, s1, n1, &va);
		loose_parse(c->a, s2, n2, &vb);
		if (loose_cmp(c, &va, &vb, &cmp, err) < 0)
			return -1;
	} else if (strcmp(type, "strict") == 0) {
		if (strict_parse(c, s1, n1, &va, err) < 0 ||
		    strict_parse(c, s2, n2, &vb, err) < 0)
			return -1;
		cmp = strict_cmp(&va, &vb);
	} else {
		if (semver_parse(c, s1, n1, &va, err) < 0 ||
		    semver_parse(c, s2, n2, &vb, err) < 0)
			return -1;
		cmp = semver_cmp(&va, &vb);
	}
	if (strcmp(op, "eq") == 0)
		*out = cmp == 0;
	else if (strcmp(op, "ne") == 0)
		*out = cmp != 0;
	else if (strcmp(op, "lt") == 0)
		*out = cmp < 0;
	else if (strcmp(op, "le") == 0)
		*out = cmp <= 0;
	else if (strcmp(op, "gt") == 0)
		*out = cmp > 0;
	else
		*out = cmp >= 0;
	return 0;
}

/*
 * truthy/falsy: Python's bool(), after boolean() when convert_bool is
 * set ('yes', 'off' ...; what it does not know stays as it is).
 */
static int
truthiness(struct tmpl_call *c, bool *out, struct err *err)
{
	static const char *const yes[] = { "y", "yes", "on", "1", "true", "t" };
	static const char *const no[] = { "n", "no", "off", "0", "false",
	    "f" };
	const struct value *in = c->in, *conv;
	size_t i;

	if (in == NULL)
		return tmpl_undefined(c, err);
	if (c->nargs > 1)
		return err_set(err, &c->pos, "%s() takes from 1 to 2 positional"
		    " arguments but %zu were given", c->name, c->nargs + 1);
	for (i = 0; i < c->nkw; i++) {
		if (strcmp(c->kwnames[i], "convert_bool") != 0)
			return err_set(err, &c->pos, "%s() got an unexpected "
			    "keyword argument '%s'", c->name, c->kwnames[i]);
		if (c->nargs > 0)
			return err_set(err, &c->pos, "%s() got multiple values "
			    "for argument 'convert_bool'", c->name);
	}
	conv = tmpl_arg(c, 0, "convert_bool");
	*out = val_truthy(in);
	if (conv == NULL || !val_truthy(conv))
		return 0;
	if (in->type == VAL_STR) {
		const char *s = in->u.str.s;
		size_t n = in->u.str.len, k;
		char low[8];

		while (n > 0 && strchr(" \t\n\r\f\v", s[0]) != NULL) {
			s++;
			n--;
		}
		while (n > 0 && strchr(" \t\n\r\f\v", s[n - 1]) != NULL)
			n--;
		if (n >= sizeof(low))
			return 0;
		for (k = 0; k < n; k++)
			low[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ?
			    s[k] - 'A' + 'a' : s[k]);
		low[n] = '\0';
		for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcmp(low, yes[i]) == 0)
				*out = true;
			if (strcmp(low, no[i]) == 0)
				*out = false;
		}
	}
	/* Other values boolean() knows convert to what bool() says. */
	return 0;
}

static int
t_truthy(struct tmpl_call *c, bool *out, struct err *err)
{
	return truthiness(c, out, err);
}

static int
t_falsy(struct tmpl_call *c, bool *out, struct err *err)
{
	if (truthiness(c, out, err) < 0)
		return -1;
	*out = !*out;
	return 0;
}

const struct tmpl_test tmpl_tests_ext[] = {
	{ "falsy",		t_falsy,	0 },
	{ "match",		t_match,	0 },
	{ "regex",		t_regex,	0 },
	{ "search",		t_search,	0 },
	{ "truthy",		t_truthy,	0 },
	{ "version",		t_version,	0 },
	{ "version_compare",	t_version,	0 },
	{ NULL, NULL, 0 },
};
