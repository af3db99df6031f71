/*
 * pylit.c: Python's ast.literal_eval() over text, as Ansible applies it to
 * a rendered template that looks like a list, dict or bool (with JSON's
 * true/false/null accepted, Ansible's Json2Python).  Whatever literal_eval
 * would refuse (names, calls, sets, bytes, complex numbers, bad syntax)
 * makes pylit_eval() return NULL, and the caller keeps the text.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pylit.h"
#include "pystr.h"

struct lit {
	struct arena	*a;
	const char	*s;
	size_t		 n, i;
	int		 nest;		/* open brackets: newlines are blanks */
	int		 depth;
};

static void
blanks(struct lit *l)
{
	while (l->i < l->n) {
		char c = l->s[l->i];

		if (c == ' ' || c == '\t' || c == '\f')
			l->i++;
		else if (c == '\\' && l->i + 1 < l->n && l->s[l->i + 1] == '\n')
			l->i += 2;
		else if ((c == '\n' || c == '\r') && l->nest > 0)
			l->i++;
		else if (c == '#') {
			while (l->i < l->n && l->s[l->i] != '\n')
				l->i++;
		} else
			break;
	}
}

static bool
peekc(struct lit *l, char c)
{
	blanks(l);
	return l->i < l->n && l->s[l->i] == c;
}

static struct value *lit_expr(struct lit *);

static int
string_piece(struct lit *l, struct strbuf *sb)
{
	bool raw = false;
	size_t i = l->i;

	while (i < l->n && strchr("rRuU", l->s[i]) != NULL && l->s[i] != '\0') {
		if (l->s[i] == 'r' || l->s[i] == 'R')
			raw = true;
		i++;
	}
	if (i >= l->n || (l->s[i] != '\'' && l->s[i] != '"') || i - l->i > 2)
		return -1;
	char q = l->s[i];
	bool triple = i + 2 < l->n && l->s[i + 1] == q && l->s[i + 2] == q;
	i += triple ? 3 : 1;
	for (;;) {
		if (i >= l->n)
			return -1;
		char c = l->s[i];
		if (c == q && (!triple || (i + 2 < l->n && l->s[i + 1] == q &&
		    l->s[i + 2] == q))) {
			i += triple ? 3 : 1;
			break;
		}
		if (c == '\n' && !triple)
			return -1;
		if (c != '\\') {
			sb_addch(sb, c);
			i++;
			continue;
		}
		if (i + 1 >= l->n)
			return -1;
		char e = l->s[i + 1];
		if (raw) {
			sb_addch(sb, '\\');
			sb_addch(sb, e);
			i += 2;
			continue;
		}
		i += 2;
		unsigned long cp = 0;
		int want = 0;
		switch (e) {
		case '\n': break;
		case '\\': sb_addch(sb, '\\'); break;
		case '\'': sb_addch(sb, '\''); break;
		case '"': sb_addch(sb, '"'); break;
		case 'a': sb_addch(sb, '\a'); break;
		case 'b': sb_addch(sb, '\b'); break;
		case 'f': sb_addch(sb, '\f'); break;
		case 'n': sb_addch(sb, '\n'); break;
		case 'r': sb_addch(sb, '\r'); break;
		case 't': sb_addch(sb, '\t'); break;
		case 'v': sb_addch(sb, '\v'); break;
		case 'x': want = 2; break;
		case 'u': want = 4; break;
		case 'U': want = 8; break;
		case 'N': return -1;
		default:
			if (e >= '0' && e <= '7') {
				cp = (unsigned long)(e - '0');
				for (int k = 0; k < 2 && i < l->n && l->s[i] >= '0' &&
				    l->s[i] <= '7'; k++)
					cp = cp * 8 + (unsigned long)(l->s[i++] - '0');
				u8_encode(sb, cp);
			} else {
				sb_addch(sb, '\\');
				sb_addch(sb, e);
			}
		}
		if (want > 0) {
			for (int k = 0; k < want; k++, i++) {
				if (i >= l->n || !isxdigit((unsigned char)l->s[i]))
					return -1;
				char h = l->s[i];
				cp = cp * 16 + (unsigned long)(isdigit((unsigned char)h) ?
				    h - '0' : tolower((unsigned char)h) - 'a' + 10);
			}
			if (cp > 0x10ffff)
				return -1;
			u8_encode(sb, cp);
		}
	}
	l->i = i;
	return 0;
}

static struct value *
lit_string(struct lit *l)
{
	struct strbuf sb = STRBUF_INIT;
	struct value *v = NULL;

	for (;;) {
		if (string_piece(l, &sb) < 0)
			goto out;
		blanks(l);
		if (l->i >= l->n)
			break;
		char c = l->s[l->i];
		if (c != '\'' && c != '"' && !(strchr("rRuU", c) && c &&
		    l->i + 1 < l->n && strchr("'\"rR", l->s[l->i + 1])))
			break;
	}
	v = val_new_strn(l->a, sb.buf, sb.len);
out:
	sb_release(&sb);
	return v;
}

static struct value *
lit_number(struct lit *l)
{
	const char *s = l->s + l->i;
	size_t n = l->n - l->i, i = 0;
	char buf[256];
	size_t bl = 0;
	int base = 10;
	bool isfloat = false;

	if (n >= 2 && s[0] == '0' && strchr("xXoObB", s[1]) && s[1]) {
		base = strchr("xX", s[1]) ? 16 : strchr("oO", s[1]) ? 8 : 2;
		i = 2;
		while (i < n && (isxdigit((unsigned char)s[i]) || s[i] == '_')) {
			if (s[i] != '_' && bl < sizeof(buf) - 1)
				buf[bl++] = s[i];
			i++;
		}
		if (bl == 0)
			return NULL;
	} else {
		while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '_' ||
		    s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
		    ((s[i] == '+' || s[i] == '-') && i > 0 &&
		    (s[i - 1] == 'e' || s[i - 1] == 'E')))) {
			if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
				isfloat = true;
			if (s[i] != '_' && bl < sizeof(buf) - 1)
				buf[bl++] = s[i];
			i++;
		}
	}
	if (i < n && (s[i] == 'j' || s[i] == 'J' || isalpha((unsigned char)s[i])
	    || s[i] == '_'))
		return NULL;
	buf[bl] = '\0';
	/* Python refuses leading zeros in decimal integers ("01"). */
	if (base == 10 && !isfloat && bl > 1 && buf[0] == '0' &&
	    strspn(buf, "0") != bl)
		return NULL;
	char *end;
	errno = 0;
	l->i += i;
	if (isfloat) {
		double d = strtod(buf, &end);

		if (*end != '\0')
			return NULL;
		return val_new_float(l->a, d);
	}
	long long v = strtoll(buf, &end, base);
	if (*end != '\0' || errno == ERANGE)
		return NULL;
	return val_new_int(l->a, v);
}

static struct value *
lit_seq(struct lit *l, char close, bool dict, bool *is_tuple)
{
	struct value *v = dict ? val_new_dict(l->a) : val_new_list(l->a);
	bool comma = false, first = true;

	l->nest++;
	for (;;) {
		if (peekc(l, close)) {
			l->i++;
			break;
		}
		if (!first && !comma)
			return NULL;
		struct value *k = lit_expr(l);
		if (k == NULL)
			return NULL;
		if (dict) {
			if (!peekc(l, ':'))
				return NULL;
			l->i++;
			struct value *x = lit_expr(l);
			if (x == NULL || k->type == VAL_LIST ||
			    k->type == VAL_DICT)
				return NULL;
			val_dict_setv(l->a, v, k, x);
		} else {
			if (!first && peekc(l, ':'))
				return NULL;
			if (first && dict == false && close == '}')
				return NULL;
			val_list_push(l->a, v, k);
		}
		first = false;
		comma = peekc(l, ',');
		if (comma)
			l->i++;
	}
	l->nest--;
	if (is_tuple != NULL)
		*is_tuple = comma || v->u.list->n != 1;
	return v;
}

static struct value *
lit_atom(struct lit *l)
{
	blanks(l);
	if (l->i >= l->n || ++l->depth > 200)
		return NULL;
	const char *s = l->s + l->i;
	size_t n = l->n - l->i;
	char c = s[0];
	struct value *v = NULL;

	if (c == '[') {
		l->i++;
		v = lit_seq(l, ']', false, NULL);
	} else if (c == '(') {
		bool tuple;

		l->i++;
		v = lit_seq(l, ')', false, &tuple);
		if (v != NULL && tuple)
			v->flags |= VAL_TUPLE;
		else if (v != NULL)
			v = v->u.list->items[0];
	} else if (c == '{') {
		/* A dict, or (refused) a set. */
		size_t save = l->i;

		l->i++;
		v = lit_seq(l, '}', true, NULL);
		if (v == NULL)
			l->i = save;
	} else if (c == '\'' || c == '"' || ((c == 'r' || c == 'R' ||
	    c == 'u' || c == 'U') && n > 1 && (s[1] == '\'' || s[1] == '"' ||
	    s[1] == 'r' || s[1] == 'R'))) {
		v = lit_string(l);
	} else if (isdigit((unsigned char)c) || (c == '.' && n > 1 &&
	    isdigit((unsigned char)s[1]))) {
		v = lit_number(l);
	} else if (c == '-' || c == '+') {
		l->i++;
		struct value *x = lit_atom(l);

		if (x == NULL || (x->type != VAL_INT && x->type != VAL_FLOAT))
			return NULL;
		if (c == '+')
			v = x;
		else if (x->type == VAL_INT)
			v = val_new_int(l->a, -x->u.i);
		else
			v = val_new_float(l->a, -x->u.f);
	} else if (isalpha((unsigned char)c) || c == '_') {
		size_t k = 0;

		while (k < n && (isalnum((unsigned char)s[k]) || s[k] == '_'))
			k++;
		if ((k == 4 && memcmp(s, "True", 4) == 0) ||
		    (k == 4 && memcmp(s, "true", 4) == 0))
			v = &val_true;
		else if ((k == 5 && memcmp(s, "False", 5) == 0) ||
		    (k == 5 && memcmp(s, "false", 5) == 0))
			v = &val_false;
		else if ((k == 4 && memcmp(s, "None", 4) == 0) ||
		    (k == 4 && memcmp(s, "null", 4) == 0))
			v = &val_none;
		else
			return NULL;
		l->i += k;
	}
	l->depth--;
	return v;
}

static struct value *
lit_expr(struct lit *l)
{
	struct value *v = lit_atom(l);

	/* literal_eval allows only complex "a+bj" as a binary operation. */
	if (v != NULL && (peekc(l, '+') || peekc(l, '-') || peekc(l, '*') ||
	    peekc(l, '/') || peekc(l, '%') || peekc(l, '(') ||
	    peekc(l, '[') || peekc(l, '.')))
		return NULL;
	return v;
}

struct value *
pylit_eval(struct arena *a, const char *s, size_t n)
{
	struct lit l = { a, s, n, 0, 0, 0 };
	struct value *v;

	/* A leading blank is an IndentationError in ast.parse(). */
	if (n == 0 || s[0] == ' ' || s[0] == '\t')
		return NULL;
	v = lit_expr(&l);
	if (v == NULL)
		return NULL;
	/* Trailing blanks, comments and newlines only. */
	for (;;) {
		blanks(&l);
		if (l.i < l.n && (l.s[l.i] == '\n' || l.s[l.i] == '\r'))
			l.i++;
		else
			break;
	}
	if (l.i < l.n && l.s[l.i] == ',') {
		/* "1, 2" is a tuple in mode="eval". */
		return NULL;
	}
	return l.i == l.n ? v : NULL;
}
