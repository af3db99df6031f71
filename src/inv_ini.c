/*
 * inv_ini.c: INI inventories, as Ansible's ini inventory plugin reads them:
 * sections [g], [g:vars], [g:children]; host lines split like
 * shlex.split(line, comments=True); values typed by ast.literal_eval (so
 * a=1 is an int, a=yes a string, a=[1,2] a list); host ranges and ports.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "inv_parse.h"
#include "util.h"

/* ---- Python literals (ast.literal_eval), enough for inventories ---- */

struct lit {
	struct arena	*a;
	const char	*p;
	const char	*end;
};

static void
lit_ws(struct lit *l)
{
	while (l->p < l->end && isspace((unsigned char)*l->p))
		l->p++;
}

static struct value *lit_value(struct lit *, int depth);

static struct value *
lit_string(struct lit *l)
{
	struct strbuf sb = STRBUF_INIT;
	struct value *v;
	char q = *l->p++;
	bool triple = false;

	if (l->end - l->p >= 2 && l->p[0] == q && l->p[1] == q) {
		triple = true;
		l->p += 2;
	}
	for (;;) {
		if (l->p >= l->end) {
			sb_release(&sb);
			return NULL;
		}
		if (*l->p == q && (!triple || (l->end - l->p >= 3 &&
		    l->p[1] == q && l->p[2] == q))) {
			l->p += triple ? 3 : 1;
			break;
		}
		if (*l->p == '\n' && !triple) {
			sb_release(&sb);
			return NULL;
		}
		if (*l->p == '\\' && l->p + 1 < l->end) {
			char c = l->p[1];

			l->p += 2;
			switch (c) {
			case 'n': sb_addch(&sb, '\n'); break;
			case 't': sb_addch(&sb, '\t'); break;
			case 'r': sb_addch(&sb, '\r'); break;
			case '0': sb_addch(&sb, '\0'); break;
			case '\\': sb_addch(&sb, '\\'); break;
			case '\'': sb_addch(&sb, '\''); break;
			case '"': sb_addch(&sb, '"'); break;
			case '\n': break;
			default:
				sb_addch(&sb, '\\');
				sb_addch(&sb, c);
				break;
			}
			continue;
		}
		sb_addch(&sb, *l->p++);
	}
	v = val_new_strn(l->a, sb.buf, sb.len);
	sb_release(&sb);
	/* Adjacent literals concatenate, as in Python. */
	lit_ws(l);
	if (l->p < l->end && (*l->p == '\'' || *l->p == '"')) {
		struct value *w = lit_string(l);
		struct strbuf cat = STRBUF_INIT;

		if (w == NULL)
			return NULL;
		sb_add(&cat, v->u.str.s, v->u.str.len);
		sb_add(&cat, w->u.str.s, w->u.str.len);
		v = val_new_strn(l->a, cat.buf, cat.len);
		sb_release(&cat);
	}
	return v;
}

static bool
digits_ok(const char *s, size_t n, const char *set)
{
	size_t i;

	if (n == 0 || s[0] == '_' || s[n - 1] == '_')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '_' && i + 1 < n && s[i + 1] == '_')
			return false;
		if (s[i] != '_' && strchr(set, s[i]) == NULL)
			return false;
	}
	return true;
}

static struct value *
lit_number(struct lit *l)
{
	const char *s = l->p;
	char buf[128];
	size_t n = 0, j = 0, i;
	bool isfloat = false;

	while (s + n < l->end && (isalnum((unsigned char)s[n]) || s[n] == '_' ||
	    s[n] == '.' || ((s[n] == '+' || s[n] == '-') && n > 0 &&
	    (s[n - 1] == 'e' || s[n - 1] == 'E'))))
		n++;
	if (n == 0 || n >= sizeof(buf))
		return NULL;
	l->p += n;
	if (n > 1 && s[0] == '0' && strchr("xXoObB", s[1]) != NULL) {
		int base = strchr("xX", s[1]) ? 16 : strchr("oO", s[1]) ? 8 : 2;
		const char *set = base == 16 ? "0123456789abcdefABCDEF" :
		    base == 8 ? "01234567" : "01";

		if (!digits_ok(s + 2, n - 2, set))
			return NULL;
		for (i = 2; i < n; i++)
			if (s[i] != '_')
				buf[j++] = s[i];
		buf[j] = '\0';
		errno = 0;
		{
			unsigned long long v = strtoull(buf, NULL, base);

			if (errno != 0 || v > INT64_MAX)
				return NULL;
			return val_new_int(l->a, (int64_t)v);
		}
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			isfloat = true;
		else if (!isdigit((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '+' && s[i] != '-')
			return NULL;
		if (s[i] != '_')
			buf[j++] = s[i];
	}
	buf[j] = '\0';
	if (!isfloat) {
		long long v;

		/* Python 3 refuses leading zeros: 0755 is a syntax error. */
		if (buf[0] == '0' && buf[1] != '\0' &&
		    strspn(buf, "0") != strlen(buf))
			return NULL;
		if (!digits_ok(s, n, "0123456789"))
			return NULL;
		errno = 0;
		v = strtoll(buf, NULL, 10);
		if (errno != 0)
			return NULL;
		return val_new_int(l->a, v);
	} else {
		char *end;
		double f = strtod(buf, &end);

		if (*end != '\0' || strstr(s, "__") != NULL)
			return NULL;
		return val_new_float(l->a, f);
	}
}

static struct value *
lit_seq(struct lit *l, char close, int depth, bool *tuple)
{
	struct value *list = val_new_list(l->a), *v;
	bool comma = false;

	l->p++;
	for (;;) {
		lit_ws(l);
		if (l->p >= l->end)
			return NULL;
		if (*l->p == close) {
			l->p++;
			break;
		}
		v = lit_value(l, depth + 1);
		if (v == NULL)
			return NULL;
		val_list_push(l->a, list, v);
		lit_ws(l);
		if (l->p < l->end && *l->p == ',') {
			l->p++;
			comma = true;
			continue;
		}
		comma = false;
		if (l->p >= l->end || *l->p != close)
			return NULL;
	}
	/* (x) is x; (x,) and () are tuples. */
	*tuple = comma || list->u.list->n != 1;
	return list;
}

static struct value *
lit_dict(struct lit *l, int depth)
{
	struct value *d = val_new_dict(l->a), *k, *v;

	l->p++;
	for (;;) {
		lit_ws(l);
		if (l->p >= l->end)
			return NULL;
		if (*l->p == '}') {
			l->p++;
			return d;
		}
		k = lit_value(l, depth + 1);
		lit_ws(l);
		if (k == NULL || k->type == VAL_LIST || k->type == VAL_DICT ||
		    l->p >= l->end || *l->p != ':')
			return NULL;
		l->p++;
		v = lit_value(l, depth + 1);
		if (v == NULL)
			return NULL;
		val_dict_setv(l->a, d, k, v);
		lit_ws(l);
		if (l->p < l->end && *l->p == ',') {
			l->p++;
			continue;
		}
		lit_ws(l);
		if (l->p >= l->end || *l->p != '}')
			return NULL;
	}
}

static struct value *
lit_value(struct lit *l, int depth)
{
	static const struct { const char *w; int kind; } words[] = {
		{ "True", 1 }, { "False", 2 }, { "None", 3 },
	};
	struct value *v;
	bool tuple;
	size_t i;

	if (depth > 64)
		return NULL;
	lit_ws(l);
	if (l->p >= l->end)
		return NULL;
	switch (*l->p) {
	case '\'':
	case '"':
		return lit_string(l);
	case '[':
		return lit_seq(l, ']', depth, &tuple);
	case '(':
		v = lit_seq(l, ')', depth, &tuple);
		if (v != NULL && !tuple)
			return v->u.list->items[0];
		if (v != NULL)
			v->flags |= VAL_TUPLE;
		return v;
	case '{':
		return lit_dict(l, depth);
	case '-':
	case '+': {
		char sign = *l->p++;

		lit_ws(l);
		v = lit_value(l, depth + 1);
		if (v == NULL || (v->type != VAL_INT && v->type != VAL_FLOAT))
			return NULL;
		if (sign == '-') {
			if (v->type == VAL_INT)
				v->u.i = -v->u.i;
			else
				v->u.f = -v->u.f;
		}
		return v;
	}
	}
	if (isdigit((unsigned char)*l->p) || *l->p == '.')
		return lit_number(l);
	for (i = 0; i < ARRAY_SIZE(words); i++) {
		size_t n = strlen(words[i].w);

		if ((size_t)(l->end - l->p) >= n &&
		    strncmp(l->p, words[i].w, n) == 0 &&
		    (l->p + n == l->end || !(isalnum((unsigned char)l->p[n]) ||
		    l->p[n] == '_'))) {
			l->p += n;
			return words[i].kind == 3 ? val_new(l->a, VAL_NULL) :
			    val_new_bool(l->a, words[i].kind == 1);
		}
	}
	return NULL;
}

/* Ansible's _parse_value: a Python literal, or else the text itself. */
static struct value *
ini_value(struct arena *a, const char *s, size_t n, const struct pos *pos)
{
	struct lit l = { a, s, s + n };
	struct value *v = lit_value(&l, 0);

	if (v != NULL) {
		lit_ws(&l);
		if (l.p != l.end)
			v = NULL;
	}
	if (v == NULL)
		v = val_new_strn(a, s, n);
	if (pos != NULL)
		v->pos = *pos;
	return v;
}

/* ---- host patterns with ranges ---- */

/* More than this from one line is a typo, not a cluster. */
#define RANGE_MAX_HOSTS 100000

static int
expand_ranges(struct arena *a, const char *pat, struct value *out,
    struct err *err)
{
	const char *lb = strchr(pat, '['), *rb, *c1, *c2;
	char beg[64], end[64], *head;
	long step = 1;
	size_t blen, elen;

	if (lb == NULL || (rb = strchr(lb, ']')) == NULL) {
		if (val_len(out) >= RANGE_MAX_HOSTS)
			return err_set(err, NULL, "host pattern expands to more "
			    "than %d hosts", RANGE_MAX_HOSTS);
		val_list_push(a, out, val_new_str(a, pat));
		return 0;
	}
	c1 = memchr(lb, ':', (size_t)(rb - lb));
	if (c1 == NULL) {
		/* Not a range: brackets are part of the name. */
		val_list_push(a, out, val_new_str(a, pat));
		return 0;
	}
	c2 = memchr(c1 + 1, ':', (size_t)(rb - c1 - 1));
	blen = (size_t)(c1 - lb - 1);
	elen = (size_t)((c2 != NULL ? c2 : rb) - c1 - 1);
	if (blen >= sizeof(beg) || elen >= sizeof(end))
		return err_set(err, NULL, "host range too long in '%s'", pat);
	memcpy(beg, lb + 1, blen);
	beg[blen] = '\0';
	memcpy(end, c1 + 1, elen);
	end[elen] = '\0';
	if (c2 != NULL) {
		step = strtol(c2 + 1, NULL, 10);
		if (step <= 0)
			step = 1;
	}
	if (elen == 0)
		return err_set(err, NULL, "host range must specify end value "
		    "in '%s'", pat);
	head = arena_strndup(a, pat, (size_t)(lb - pat));
	if (blen == 0)
		beg[0] = '0', beg[1] = '\0';
	if (isdigit((unsigned char)beg[0]) && isdigit((unsigned char)end[0])) {
		long b = strtol(beg, NULL, 10), e = strtol(end, NULL, 10), i;
		int width = 0;

		if (beg[0] == '0' && strlen(beg) > 1) {
			if (strlen(beg) != strlen(end))
				return err_set(err, NULL, "host range must "
				    "specify equal-length begin and end formats "
				    "in '%s'", pat);
			width = (int)strlen(beg);
		}
		if (b > e)
			return err_set(err, NULL, "host range must be begin <= "
			    "end in '%s'", pat);
		if ((unsigned long)e - (unsigned long)b > 1000000UL *
		    (unsigned long)step)
			return err_set(err, NULL, "host range too large in '%s'",
			    pat);
		for (i = b;; i += step) {
			char *name = arena_printf(a, "%s%0*ld%s", head, width,
			    i, rb + 1);

			if (expand_ranges(a, name, out, err) < 0)
				return -1;
			if (e - i < step)
				break;
		}
		return 0;
	}
	if (isalpha((unsigned char)beg[0]) && isalpha((unsigned char)end[0]) &&
	    blen == 1 && elen == 1) {
		static const char letters[] =
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
		const char *pb = strchr(letters, beg[0]);
		const char *pe = strchr(letters, end[0]);
		long i;

		if (pb > pe)
			return err_set(err, NULL, "host range must be begin <= "
			    "end in '%s'", pat);
		for (i = pb - letters; i <= pe - letters; i += step) {
			char *name = arena_printf(a, "%s%c%s", head,
			    letters[i], rb + 1);

			if (expand_ranges(a, name, out, err) < 0)
				return -1;
		}
		return 0;
	}
	return err_set(err, NULL, "invalid host range in '%s'", pat);
}

int
inv_expand_host_pattern(struct arena *a, const char *pattern,
    struct value **names, int *port, struct err *err)
{
	const char *p, *colon = NULL;
	int depth = 0, ncolons = 0;
	char *base;

	*port = 0;
	*names = val_new_list(a);
	/* The port is after the one colon outside brackets ("h[1:3]:22"). */
	for (p = pattern; *p != '\0'; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (*p == ':' && depth == 0) {
			ncolons++;
			colon = p;
		}
	}
	base = arena_strdup(a, pattern);
	if (ncolons == 1 && colon[1] != '\0' &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		*port = atoi(colon + 1);
		base[colon - pattern] = '\0';
	} else if (ncolons == 1)
		return err_set(err, NULL, "invalid host pattern '%s'", pattern);
	return expand_ranges(a, base, *names, err);
}

int
inv_populate_hosts(struct inventory *inv, const char *pattern,
    struct inv_group *g, const struct value *vars, const struct pos *pos,
    struct err *err)
{
	struct value *names;
	size_t i, j;
	int port;

	if (inv_expand_host_pattern(inv->a, pattern, &names, &port, err) < 0) {
		err_locate(err, pos);
		return -1;
	}
	for (i = 0; i < names->u.list->n; i++) {
		struct inv_host *h = inv_add_host(inv,
		    names->u.list->items[i]->u.str.s);

		if (h->implicit) {
			/* Defined after all: no longer the implicit one. */
			h->implicit = false;
			inv->localhost = NULL;
		}
		inv_group_add_host(g, h);
		if (port > 0)
			val_dict_set(inv->a, h->vars, "ansible_port",
			    val_new_int(inv->a, port));
		for (j = 0; vars != NULL && j < vars->u.dict->n; j++)
			val_dict_setv(inv->a, h->vars, vars->u.dict->ent[j].key,
			    vars->u.dict->ent[j].val);
	}
	return 0;
}

/* ---- the INI file ---- */

/* shlex.split(line, comments=True) in POSIX mode. */
static int
ini_split(const char *line, struct strbuf *words, size_t max, size_t *n)
{
	const char *p = line;
	bool in = false;

	*n = 0;
	for (;;) {
		char c = *p;

		if (c == '\0' || c == ' ' || c == '\t' || c == '#') {
			if (in) {
				(*n)++;
				in = false;
			}
			if (c == '\0' || c == '#')
				return 0;
			p++;
			continue;
		}
		if (*n >= max)
			return -1;
		if (!in) {
			sb_reset(&words[*n]);
			in = true;
		}
		if (c == '\'') {
			const char *e = strchr(p + 1, '\'');

			if (e == NULL)
				return -2;
			sb_add(&words[*n], p + 1, (size_t)(e - p - 1));
			p = e + 1;
		} else if (c == '"') {
			p++;
			while (*p != '"') {
				if (*p == '\0')
					return -2;
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				sb_addch(&words[*n], *p++);
			}
			p++;
		} else if (c == '\\' && p[1] != '\0') {
			sb_addch(&words[*n], p[1]);
			p += 2;
		} else
			sb_addch(&words[*n], *p++);
	}
}

static bool
section_header(const char *line, char **group, char **kind)
{
	const char *p = line + 1, *colon, *close;
	size_t glen;

	if (line[0] != '[')
		return false;
	close = strchr(p, ']');
	if (close == NULL)
		return false;
	glen = strcspn(p, ":] \t");
	if (glen == 0 || p + glen > close)
		return false;
	colon = p[glen] == ':' ? p + glen : NULL;
	if (colon == NULL && p + glen != close)
		return false;
	if (colon != NULL) {
		const char *k = colon + 1;

		if (k == close)
			return false;
		for (; k < close; k++)
			if (!isalnum((unsigned char)*k) && *k != '_')
				return false;
	}
	/* Only a comment may follow. */
	p = close + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0' && *p != '#')
		return false;
	*group = xstrndup(line + 1, glen);
	*kind = colon != NULL ? xstrndup(colon + 1,
	    (size_t)(close - colon - 1)) : xstrdup("hosts");
	return true;
}

struct pending {
	char	*name;
	char	*state;		/* "vars" or "children" */
	char	*parent;
	unsigned line;
};

int
inv_parse_ini(struct inventory *inv, const char *path, const char *text,
    size_t len, struct err *err)
{
	struct strbuf words[64], line = STRBUF_INIT;
	struct pending *pend = NULL;
	size_t npend = 0, apend = 0, i, nw;
	const char *p = text, *end = text + len;
	char *group = xstrdup("ungrouped"), *state = xstrdup("hosts");
	const char *file = arena_strdup(inv->a, path);
	unsigned lineno = 0;
	int rc = 0;

	for (i = 0; i < ARRAY_SIZE(words); i++)
		sb_init(&words[i]);
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct pos pos = { file, ++lineno, 1 };
		char *g, *k, *s;

		if (nl == NULL)
			nl = end;
		sb_reset(&line);
		sb_add(&line, p, (size_t)(nl - p));
		p = nl + 1;
		s = line.buf;
		while (isspace((unsigned char)*s))
			s++;
		pos.col = (unsigned)(s - line.buf) + 1;
		while (line.len > 0 && isspace((unsigned char)
		    line.buf[line.len - 1]))
			line.buf[--line.len] = '\0';
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (section_header(s, &g, &k)) {
			free(group);
			free(state);
			group = g;
			state = k;
			if (strcmp(state, "hosts") != 0 &&
			    strcmp(state, "vars") != 0 &&
			    strcmp(state, "children") != 0) {
				rc = err_set(err, &pos, "section [%s:%s] has "
				    "unknown type: %s", group, state, state);
				break;
			}
			if (inv_find_group(inv, group) == NULL) {
				bool found = false;

				for (i = 0; i < npend; i++)
					found |= strcmp(pend[i].name,
					    group) == 0;
				if (strcmp(state, "vars") == 0 && !found) {
					pend = xgrow(pend, npend + 1, &apend,
					    sizeof(*pend));
					pend[npend++] = (struct pending){
					    xstrdup(group), xstrdup("vars"),
					    NULL, lineno };
				}
				inv_add_group(inv, group);
			}
			if (strcmp(state, "vars") != 0) {
				/* Declared: no longer pending. */
				for (i = 0; i < npend; i++)
					if (strcmp(pend[i].name, group) == 0) {
						free(pend[i].name);
						free(pend[i].state);
						free(pend[i].parent);
						pend[i] = pend[--npend];
						i--;
					}
			}
			continue;
		}
		if (*s == '[' && line.buf[line.len - 1] == ']') {
			rc = err_set(err, &pos, "invalid section entry: '%s': "
			    "make sure there are no spaces in the section "
			    "entry, and no other invalid characters", s);
			break;
		}
		if (strcmp(state, "hosts") == 0) {
			struct value *vars = val_new_dict(inv->a);
			int r = ini_split(s, words, ARRAY_SIZE(words), &nw);

			if (r < 0) {
				rc = err_set(err, &pos, "error parsing host "
				    "definition '%s': %s", s, r == -2 ?
				    "No closing quotation" :
				    "too many words");
				break;
			}
			if (nw == 0)
				continue;
			for (i = 1; i < nw; i++) {
				char *eq = strchr(words[i].buf, '=');

				if (eq == NULL) {
					rc = err_set(err, &pos, "expected "
					    "key=value host variable "
					    "assignment, got: %s",
					    words[i].buf);
					break;
				}
				val_dict_setn(inv->a, vars, words[i].buf,
				    (size_t)(eq - words[i].buf),
				    ini_value(inv->a, eq + 1,
				    words[i].len - (size_t)(eq + 1 -
				    words[i].buf), &pos));
			}
			if (rc == 0)
				rc = inv_populate_hosts(inv, words[0].buf,
				    inv_add_group(inv, group), vars, &pos, err);
		} else if (strcmp(state, "vars") == 0) {
			char *eq = strchr(s, '='), *ke, *vs;

			if (eq == NULL) {
				rc = err_set(err, &pos, "expected key=value, "
				    "got: %s", s);
				break;
			}
			ke = eq;
			while (ke > s && isspace((unsigned char)ke[-1]))
				ke--;
			vs = eq + 1;
			while (isspace((unsigned char)*vs))
				vs++;
			inv_set_group_var(inv, inv_add_group(inv, group),
			    val_new_strn(inv->a, s, (size_t)(ke - s)),
			    ini_value(inv->a, vs, strlen(vs), &pos));
		} else {
			size_t glen = strcspn(s, ": \t#]");
			char *child;
			struct inv_group *cg;
			const char *rest = s + glen;

			while (*rest == ' ' || *rest == '\t')
				rest++;
			if (glen == 0 || (*rest != '\0' && *rest != '#')) {
				rc = err_set(err, &pos, "expected group name, "
				    "got: %s", s);
				break;
			}
			child = xstrndup(s, glen);
			cg = inv_find_group(inv, child);
			if (cg == NULL) {
				pend = xgrow(pend, npend + 1, &apend,
				    sizeof(*pend));
				pend[npend++] = (struct pending){
				    xstrdup(child), xstrdup("children"),
				    xstrdup(group), lineno };
				cg = inv_add_group(inv, child);
			}
			rc = inv_add_child(inv, inv_add_group(inv, group), cg,
			    err);
			if (rc < 0)
				err_locate(err, &pos);
			free(child);
		}
	}
	for (i = 0; rc == 0 && i < npend; i++) {
		struct pos pos = { file, pend[i].line, 1 };

		if (strcmp(pend[i].state, "vars") == 0)
			rc = err_set(err, &pos, "section [%s:vars] not valid "
			    "for undefined group: %s", pend[i].name,
			    pend[i].name);
		else
			rc = err_set(err, &pos, "section [%s:children] "
			    "includes undefined group: %s", pend[i].parent,
			    pend[i].name);
	}
	for (i = 0; i < npend; i++) {
		free(pend[i].name);
		free(pend[i].state);
		free(pend[i].parent);
	}
	free(pend);
	for (i = 0; i < ARRAY_SIZE(words); i++)
		sb_release(&words[i]);
	sb_release(&line);
	free(group);
	free(state);
	return rc;
}
