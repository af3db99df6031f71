/*
 * pystr.c: Python's str behaviour on UTF-8 text (pystr.h).
 */
#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "pystr.h"

size_t
u8_decode(const char *s, size_t n, unsigned long *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0) {
		len = 2;
		*cp = u[0] & 0x1f;
	} else if ((u[0] & 0xf0) == 0xe0) {
		len = 3;
		*cp = u[0] & 0x0f;
	} else if ((u[0] & 0xf8) == 0xf0) {
		len = 4;
		*cp = u[0] & 0x07;
	} else {
		*cp = u[0];
		return 1;
	}
	if (len > n)
		goto bad;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto bad;
		*cp = (*cp << 6) | (u[i] & 0x3f);
	}
	return len;
bad:
	*cp = u[0];
	return 1;
}

void
u8_encode(struct strbuf *sb, unsigned long cp)
{
	sb_addutf8(sb, cp);
}

size_t
u8_len(const char *s, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; count++) {
		unsigned long cp;

		if ((unsigned char)s[i] < 0x80)
			i++;
		else
			i += u8_decode(s + i, n - i, &cp);
	}
	return count;
}

size_t
u8_off(const char *s, size_t n, size_t idx)
{
	size_t i = 0;

	while (idx > 0 && i < n) {
		unsigned long cp;

		i += (unsigned char)s[i] < 0x80 ? 1 : u8_decode(s + i, n - i, &cp);
		idx--;
	}
	return i;
}

static locale_t
utf8_locale(void)
{
	static locale_t loc;

	/* Benign race: newlocale() gives equal objects. */
	if (loc == (locale_t)0)
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	return loc;
}

bool
py_isspace(unsigned long cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c &&
	    cp <= 0x1f) || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

static unsigned long
map_case(unsigned long cp, bool upper)
{
	locale_t loc;

	if (cp < 0x80)
		return (unsigned long)(upper ? toupper((int)cp) :
		    tolower((int)cp));
	if ((loc = utf8_locale()) == (locale_t)0)
		return cp;
	return (unsigned long)(upper ? towupper_l((wint_t)cp, loc) :
	    towlower_l((wint_t)cp, loc));
}

static bool
is_cased_letter(unsigned long cp)
{
	return map_case(cp, true) != cp || map_case(cp, false) != cp;
}

void
py_case(struct strbuf *sb, const char *s, size_t n, enum py_case how)
{
	bool prev_cased = false, first = true;

	for (size_t i = 0; i < n;) {
		unsigned long cp, out;

		i += u8_decode(s + i, n - i, &cp);
		switch (how) {
		case PY_LOWER:
			out = map_case(cp, false);
			break;
		case PY_UPPER:
			out = map_case(cp, true);
			break;
		case PY_CAPITALIZE:
			out = map_case(cp, first);
			break;
		case PY_TITLE:
			out = map_case(cp, !prev_cased);
			prev_cased = is_cased_letter(cp) ||
			    (cp < 0x80 && isalpha((int)cp));
			break;
		default:
			out = map_case(cp, true) != cp ? map_case(cp, true) :
			    map_case(cp, false);
			break;
		}
		first = false;
		u8_encode(sb, out);
	}
}

static bool
in_chars(unsigned long cp, const char *chars, size_t nchars)
{
	if (chars == NULL)
		return py_isspace(cp);
	for (size_t i = 0; i < nchars;) {
		unsigned long c;

		i += u8_decode(chars + i, nchars - i, &c);
		if (c == cp)
			return true;
	}
	return false;
}

/* Start of the code point that ends at e. */
static size_t
u8_prev(const char *s, size_t e)
{
	size_t b = e - 1;

	while (b > 0 && ((unsigned char)s[b] & 0xc0) == 0x80 && e - b < 4)
		b--;
	return b;
}

void
py_strip(const char *s, size_t n, const char *chars, size_t nchars,
    int which, size_t *bp, size_t *ep)
{
	size_t b = 0, e = n;
	unsigned long cp;

	if (which & 1)
		while (b < e) {
			size_t l = u8_decode(s + b, e - b, &cp);

			if (!in_chars(cp, chars, nchars))
				break;
			b += l;
		}
	if (which & 2)
		while (e > b) {
			size_t p = u8_prev(s, e);

			u8_decode(s + p, e - p, &cp);
			if (!in_chars(cp, chars, nchars))
				break;
			e = p;
		}
	*bp = b;
	*ep = e;
}

static void
push_str(struct arena *a, struct value *l, const char *s, size_t n)
{
	val_list_push(a, l, val_new_strn(a, s, n));
}

struct value *
py_split(struct arena *a, const char *s, size_t n, const char *sep,
    size_t nsep, long maxsplit, bool right)
{
	struct value *l = val_new_list(a);

	l->flags |= VAL_MUTABLE;
	if (sep != NULL) {
		struct value *parts = val_new_list(a);
		size_t b = 0;
		long splits = 0;

		if (!right) {
			for (size_t i = 0; i + nsep <= n;) {
				if ((maxsplit < 0 || splits < maxsplit) &&
				    memcmp(s + i, sep, nsep) == 0) {
					push_str(a, l, s + b, i - b);
					i += nsep;
					b = i;
					splits++;
				} else
					i++;
			}
			push_str(a, l, s + b, n - b);
			return l;
		}
		size_t e = n;
		for (size_t i = n; i >= nsep && i - nsep >= b;) {
			if ((maxsplit < 0 || splits < maxsplit) &&
			    memcmp(s + i - nsep, sep, nsep) == 0) {
				push_str(a, parts, s + i, e - i);
				i -= nsep;
				e = i;
				splits++;
			} else
				i--;
			if (i == 0)
				break;
		}
		push_str(a, parts, s, e);
		for (size_t i = parts->u.list->n; i > 0; i--)
			val_list_push(a, l, parts->u.list->items[i - 1]);
		return l;
	}
	/* Runs of whitespace; leading and trailing ones ignored. */
	size_t i = 0;
	long splits = 0;
	unsigned long cp;
	if (right) {
		struct value *parts = val_new_list(a);
		size_t e = n;

		for (;;) {
			while (e > 0) {
				size_t p = u8_prev(s, e);

				u8_decode(s + p, e - p, &cp);
				if (!py_isspace(cp))
					break;
				e = p;
			}
			if (e == 0)
				break;
			if (maxsplit >= 0 && splits >= maxsplit) {
				push_str(a, parts, s, e);
				break;
			}
			size_t b = e;
			while (b > 0) {
				size_t p = u8_prev(s, b);

				u8_decode(s + p, b - p, &cp);
				if (py_isspace(cp))
					break;
				b = p;
			}
			push_str(a, parts, s + b, e - b);
			splits++;
			e = b;
		}
		for (size_t k = parts->u.list->n; k > 0; k--)
			val_list_push(a, l, parts->u.list->items[k - 1]);
		return l;
	}
	for (;;) {
		while (i < n) {
			size_t len = u8_decode(s + i, n - i, &cp);

			if (!py_isspace(cp))
				break;
			i += len;
		}
		if (i >= n)
			break;
		if (maxsplit >= 0 && splits >= maxsplit) {
			size_t e = n;

			while (e > i) {
				size_t p = u8_prev(s, e);

				u8_decode(s + p, e - p, &cp);
				if (!py_isspace(cp))
					break;
				e = p;
			}
			push_str(a, l, s + i, e - i);
			break;
		}
		size_t b = i;
		while (i < n) {
			size_t len = u8_decode(s + i, n - i, &cp);

			if (py_isspace(cp))
				break;
			i += len;
		}
		push_str(a, l, s + b, i - b);
		splits++;
	}
	return l;
}

struct value *
py_splitlines(struct arena *a, const char *s, size_t n, bool keepends)
{
	struct value *l = val_new_list(a);
	size_t b = 0, i = 0;

	l->flags |= VAL_MUTABLE;
	while (i < n) {
		unsigned long cp;
		size_t len = u8_decode(s + i, n - i, &cp);

		if (cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c ||
		    cp == 0x1c || cp == 0x1d || cp == 0x1e || cp == 0x85 ||
		    cp == 0x2028 || cp == 0x2029) {
			size_t e = i;

			if (cp == '\r' && i + 1 < n && s[i + 1] == '\n')
				len = 2;
			i += len;
			push_str(a, l, s + b, (keepends ? i : e) - b);
			b = i;
		} else
			i += len;
	}
	if (b < n)
		push_str(a, l, s + b, n - b);
	return l;
}

void
py_replace(struct strbuf *sb, const char *s, size_t n, const char *old,
    size_t nold, const char *new, size_t nnew, long count)
{
	size_t i = 0;

	if (nold == 0) {
		/* Python inserts new between every code point. */
		long done = 0;

		while (i <= n) {
			unsigned long cp;

			if (count < 0 || done < count) {
				sb_add(sb, new, nnew);
				done++;
			}
			if (i == n)
				break;
			size_t l = u8_decode(s + i, n - i, &cp);
			sb_add(sb, s + i, l);
			i += l;
		}
		return;
	}
	while (i < n) {
		if (count != 0 && i + nold <= n && memcmp(s + i, old, nold) == 0) {
			sb_add(sb, new, nnew);
			i += nold;
			if (count > 0)
				count--;
		} else
			sb_addch(sb, s[i++]);
	}
}

long
py_find(const char *s, size_t n, const char *sub, size_t nsub, bool right)
{
	if (nsub > n)
		return -1;
	if (!right) {
		const char *p = nsub == 0 ? s : memmem(s, n, sub, nsub);

		return p == NULL ? -1 : (long)u8_len(s, (size_t)(p - s));
	}
	for (size_t i = n - nsub + 1; i > 0; i--)
		if (memcmp(s + i - 1, sub, nsub) == 0)
			return (long)u8_len(s, i - 1);
	return -1;
}

/* ---- formatting ---- */

struct spec {
	char	 fill[5];	/* UTF-8 */
	char	 align;		/* < > ^ = or 0 */
	char	 sign;		/* + - space or 0 */
	bool	 alt;
	bool	 zero;
	long	 width;		/* -1: none */
	char	 group;		/* , _ or 0 */
	long	 prec;		/* -1: none */
	char	 type;		/* 0: none */
};

static void
pad(struct strbuf *sb, const struct spec *sp, const char *body, size_t n,
    char defalign, size_t signlen)
{
	size_t len = u8_len(body, n);
	char align = sp->align ? sp->align : defalign;
	const char *fill = sp->fill[0] ? sp->fill : " ";
	size_t w = sp->width > 0 ? (size_t)sp->width : 0;

	if (len >= w) {
		sb_add(sb, body, n);
		return;
	}
	size_t padn = w - len, left = 0, right = 0;
	switch (align) {
	case '<': right = padn; break;
	case '^': left = padn / 2; right = padn - left; break;
	case '=':
		sb_add(sb, body, signlen);
		for (size_t i = 0; i < padn; i++)
			sb_adds(sb, fill);
		sb_add(sb, body + signlen, n - signlen);
		return;
	default: left = padn; break;
	}
	for (size_t i = 0; i < left; i++)
		sb_adds(sb, fill);
	sb_add(sb, body, n);
	for (size_t i = 0; i < right; i++)
		sb_adds(sb, fill);
}

static void
group_digits(struct strbuf *out, const char *digits, size_t n, char sep,
    int every)
{
	for (size_t i = 0; i < n; i++) {
		sb_addch(out, digits[i]);
		if (sep && (n - i - 1) % (size_t)every == 0 && i + 1 < n)
			sb_addch(out, sep);
	}
}

static int
format_int(struct strbuf *sb, long long v, const struct spec *sp,
    struct err *err)
{
	struct strbuf body = STRBUF_INIT;
	char digits[80];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;
	const char *prefix = "";
	int every = 3;

	switch (sp->type) {
	case 'x': snprintf(digits, sizeof(digits), "%llx", u);
		prefix = "0x"; every = 4; break;
	case 'X': snprintf(digits, sizeof(digits), "%llX", u);
		prefix = "0X"; every = 4; break;
	case 'o': snprintf(digits, sizeof(digits), "%llo", u);
		prefix = "0o"; every = 4; break;
	case 'b': {
		size_t k = 0;
		char tmp[70];

		do {
			tmp[k++] = (char)('0' + (u & 1));
			u >>= 1;
		} while (u != 0);
		for (size_t i = 0; i < k; i++)
			digits[i] = tmp[k - 1 - i];
		digits[k] = '\0';
		prefix = "0b"; every = 4;
		break;
	}
	case 'c':
		u8_encode(&body, u);
		pad(sb, sp, body.buf, body.len, '<', 0);
		sb_release(&body);
		return 0;
	default:
		snprintf(digits, sizeof(digits), "%llu", u);
	}
	if (v < 0)
		sb_addch(&body, '-');
	else if (sp->sign == '+' || sp->sign == ' ')
		sb_addch(&body, sp->sign);
	if (sp->alt)
		sb_adds(&body, prefix);
	size_t signlen = body.len;
	struct spec s2 = *sp;
	if (sp->zero && !sp->align) {
		s2.align = '=';
		s2.fill[0] = '0';
		s2.fill[1] = '\0';
	}
	group_digits(&body, digits, strlen(digits), sp->group, every);
	pad(sb, &s2, body.buf, body.len, '>', signlen);
	sb_release(&body);
	(void)err;
	return 0;
}

static int
format_float(struct strbuf *sb, double v, const struct spec *sp,
    struct err *err)
{
	struct strbuf body = STRBUF_INIT;
	char buf[512];
	char type = sp->type;
	long prec = sp->prec;
	bool neg = signbit(v) && !isnan(v);
	double a = fabs(v);

	if (isinf(a) || isnan(a)) {
		snprintf(buf, sizeof(buf), "%s", isnan(a) ? "nan" : "inf");
		if (type && isupper((unsigned char)type))
			for (char *p = buf; *p; p++)
				*p = (char)toupper((unsigned char)*p);
	} else if (type == 0 && prec < 0) {
		struct strbuf r = STRBUF_INIT;

		val_float_repr(&r, a);
		snprintf(buf, sizeof(buf), "%s", r.buf);
		sb_release(&r);
	} else {
		if (prec < 0)
			prec = 6;
		if (prec > 100)
			prec = 100;
		if (type == '%') {
			a *= 100;
			type = 'f';
		}
		if (type == 0) {
			/* Like 'g' but at least one digit after the point. */
			snprintf(buf, sizeof(buf), "%.*g", (int)(prec ? prec : 1), a);
			if (strpbrk(buf, ".e") == NULL)
				strcat(buf, ".0");
		} else {
			char t = type == 'n' ? 'g' : type;
			int p = (int)prec;

			switch (t) {
			case 'f': snprintf(buf, sizeof(buf), sp->alt ? "%#.*f" :
			    "%.*f", p, a); break;
			case 'F': snprintf(buf, sizeof(buf), sp->alt ? "%#.*F" :
			    "%.*F", p, a); break;
			case 'e': snprintf(buf, sizeof(buf), sp->alt ? "%#.*e" :
			    "%.*e", p, a); break;
			case 'E': snprintf(buf, sizeof(buf), sp->alt ? "%#.*E" :
			    "%.*E", p, a); break;
			case 'G': snprintf(buf, sizeof(buf), sp->alt ? "%#.*G" :
			    "%.*G", p, a); break;
			default: snprintf(buf, sizeof(buf), sp->alt ? "%#.*g" :
			    "%.*g", p, a); break;
			}
		}
		if (sp->type == '%')
			strcat(buf, "%");
	}
	if (neg)
		sb_addch(&body, '-');
	else if (sp->sign == '+' || sp->sign == ' ')
		sb_addch(&body, sp->sign);
	size_t signlen = body.len;
	if (sp->group) {
		size_t intlen = strspn(buf, "0123456789");

		group_digits(&body, buf, intlen, sp->group, 3);
		sb_adds(&body, buf + intlen);
	} else
		sb_adds(&body, buf);
	struct spec s2 = *sp;
	if (sp->zero && !sp->align) {
		s2.align = '=';
		s2.fill[0] = '0';
		s2.fill[1] = '\0';
	}
	pad(sb, &s2, body.buf, body.len, '>', signlen);
	sb_release(&body);
	(void)err;
	return 0;
}

static int
parse_spec(const char *s, size_t n, struct spec *sp, struct err *err)
{
	size_t i = 0;

	memset(sp, 0, sizeof(*sp));
	sp->width = sp->prec = -1;
	if (n > 0) {
		unsigned long cp;
		size_t l = u8_decode(s, n, &cp);

		if (l < n && strchr("<>^=", s[l]) != NULL && s[l] != '\0') {
			memcpy(sp->fill, s, l);
			sp->fill[l] = '\0';
			sp->align = s[l];
			i = l + 1;
		} else if (strchr("<>^=", s[0]) != NULL && s[0] != '\0') {
			sp->align = s[0];
			i = 1;
		}
	}
	if (i < n && (s[i] == '+' || s[i] == '-' || s[i] == ' '))
		sp->sign = s[i++];
	if (i < n && s[i] == '#') {
		sp->alt = true;
		i++;
	}
	if (i < n && s[i] == '0') {
		sp->zero = true;
		i++;
	}
	if (i < n && isdigit((unsigned char)s[i])) {
		sp->width = 0;
		while (i < n && isdigit((unsigned char)s[i]))
			if ((sp->width = sp->width * 10 + (s[i++] - '0')) >
			    10000000)
				return err_set(err, NULL, "Too many decimal "
				    "digits in format string");
	}
	if (i < n && (s[i] == ',' || s[i] == '_'))
		sp->group = s[i++];
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !isdigit((unsigned char)s[i]))
			return err_set(err, NULL, "format specifier missing "
			    "precision");
		sp->prec = 0;
		while (i < n && isdigit((unsigned char)s[i]))
			if ((sp->prec = sp->prec * 10 + (s[i++] - '0')) >
			    10000000)
				return err_set(err, NULL, "Too many decimal "
				    "digits in format string");
	}
	if (i < n)
		sp->type = s[i++];
	if (i < n)
		return err_set(err, NULL, "invalid format specifier");
	return 0;
}

int
py_format_spec(struct strbuf *sb, const struct value *v, const char *s,
    size_t n, struct err *err)
{
	struct spec sp;

	if (parse_spec(s, n, &sp, err) < 0)
		return -1;
	if (v != NULL && (v->type == VAL_INT || v->type == VAL_BOOL)) {
		long long i = v->type == VAL_BOOL ? v->u.b : v->u.i;

		if (v->type == VAL_BOOL && sp.type == 0 && n == 0) {
			sb_adds(sb, v->u.b ? "True" : "False");
			return 0;
		}
		if (sp.type && strchr("eEfFgG%", sp.type) != NULL)
			return format_float(sb, (double)i, &sp, err);
		if (sp.type && strchr("dxXobcn", sp.type) == NULL)
			return err_set(err, NULL, "unknown format code '%c' for "
			    "object of type 'int'", sp.type);
		return format_int(sb, i, &sp, err);
	}
	if (v != NULL && v->type == VAL_FLOAT) {
		if (sp.type && strchr("eEfFgGn%", sp.type) == NULL)
			return err_set(err, NULL, "unknown format code '%c' for "
			    "object of type 'float'", sp.type);
		return format_float(sb, v->u.f, &sp, err);
	}
	struct strbuf tmp = STRBUF_INIT;
	val_str(&tmp, v);
	if (sp.type && sp.type != 's') {
		sb_release(&tmp);
		return err_set(err, NULL, "unknown format code '%c' for object "
		    "of type '%s'", sp.type, v ? val_type_name(v) : "str");
	}
	size_t len = tmp.len;
	if (sp.prec >= 0)
		len = u8_off(tmp.buf, tmp.len, (size_t)sp.prec);
	pad(sb, &sp, tmp.buf, len, '<', 0);
	sb_release(&tmp);
	return 0;
}

static bool
as_number(const struct value *v, double *d, long long *i, bool *isint)
{
	if (v == NULL)
		return false;
	switch (v->type) {
	case VAL_BOOL: *i = v->u.b; *d = v->u.b; *isint = true; return true;
	case VAL_INT: *i = v->u.i; *d = (double)v->u.i; *isint = true;
		return true;
	case VAL_FLOAT: *d = v->u.f; *i = (long long)v->u.f; *isint = false;
		return true;
	default: return false;
	}
}

int
py_percent(struct strbuf *sb, const char *fmt, size_t n,
    const struct value *args, struct err *err)
{
	size_t argi = 0, nargs;
	const struct value *const *argv;
	const struct value *single = args;
	bool tuple = args != NULL && args->type == VAL_LIST &&
	    (args->flags & VAL_TUPLE);
	bool mapping = args != NULL && args->type == VAL_DICT;

	if (tuple) {
		argv = (const struct value *const *)args->u.list->items;
		nargs = args->u.list->n;
	} else {
		argv = &single;
		nargs = 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (fmt[i] != '%') {
			sb_addch(sb, fmt[i]);
			continue;
		}
		if (++i >= n)
			return err_set(err, NULL, "incomplete format");
		const struct value *v;
		if (fmt[i] == '(') {
			size_t b = ++i;

			while (i < n && fmt[i] != ')')
				i++;
			if (i >= n)
				return err_set(err, NULL, "incomplete format "
				    "key");
			if (!mapping)
				return err_set(err, NULL, "format requires a "
				    "mapping");
			v = val_dict_getn(args, fmt + b, i - b);
			if (v == NULL)
				return err_set(err, NULL, "'%.*s'",
				    (int)(i - b), fmt + b);
			i++;
		} else
			v = NULL;
		struct spec sp;
		memset(&sp, 0, sizeof(sp));
		sp.width = sp.prec = -1;
		for (; i < n && strchr("-+ #0", fmt[i]) != NULL; i++)
			switch (fmt[i]) {
			case '-': sp.align = '<'; break;
			case '+': sp.sign = '+'; break;
			case ' ': if (!sp.sign) sp.sign = ' '; break;
			case '#': sp.alt = true; break;
			case '0': sp.zero = true; break;
			}
		if (i < n && isdigit((unsigned char)fmt[i])) {
			sp.width = 0;
			while (i < n && isdigit((unsigned char)fmt[i]))
				if ((sp.width = sp.width * 10 + (fmt[i++] -
				    '0')) > 10000000)
					return err_set(err, NULL, "width too "
					    "big");
		}
		if (i < n && fmt[i] == '.') {
			sp.prec = 0;
			for (i++; i < n && isdigit((unsigned char)fmt[i]); i++)
				if ((sp.prec = sp.prec * 10 + (fmt[i] - '0')) >
				    10000000)
					return err_set(err, NULL, "precision "
					    "too big");
		}
		while (i < n && strchr("hlL", fmt[i]) != NULL)
			i++;
		if (i >= n)
			return err_set(err, NULL, "incomplete format");
		char t = fmt[i];
		if (t == '%') {
			sb_addch(sb, '%');
			continue;
		}
		if (v == NULL && !mapping) {
			if (argi >= nargs)
				return err_set(err, NULL, "not enough arguments "
				    "for format string");
			v = argv[argi++];
		} else if (v == NULL)
			v = args;
		if (sp.align == '<')
			sp.zero = false;
		double d;
		long long iv;
		bool isint;
		switch (t) {
		case 's': case 'r': case 'a': {
			struct strbuf tmp = STRBUF_INIT;

			if (t == 's')
				val_str(&tmp, v);
			else
				val_repr(&tmp, v);
			size_t len = tmp.len;
			if (sp.prec >= 0)
				len = u8_off(tmp.buf, tmp.len, (size_t)sp.prec);
			pad(sb, &sp, tmp.buf, len, '>', 0);
			sb_release(&tmp);
			break;
		}
		case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
		case 'c':
			if (!as_number(v, &d, &iv, &isint) ||
			    (!isint && strchr("xXoc", t) != NULL))
				return err_set(err, NULL, "%%%c format: %s is "
				    "required, not %s", t, strchr("xXo", t) ?
				    "an integer" : "a real number",
				    v ? val_type_name(v) : "NoneType");
			if (!isint) {
				if (isnan(d) || isinf(d))
					return err_set(err, NULL, "cannot convert "
					    "float %s to integer", isnan(d) ?
					    "NaN" : "infinity");
				iv = (long long)trunc(d);
			}
			sp.type = (t == 'i' || t == 'u') ? 'd' : t;
			if (sp.alt && t == 'o')
				sp.alt = true;
			if (sp.prec >= 0 && sp.type == 'd') {
				char digits[64];
				struct strbuf body = STRBUF_INIT;
				unsigned long long u = iv < 0 ?
				    0ULL - (unsigned long long)iv :
				    (unsigned long long)iv;

				snprintf(digits, sizeof(digits), "%0*llu",
				    (int)sp.prec, u);
				if (iv < 0)
					sb_addch(&body, '-');
				else if (sp.sign)
					sb_addch(&body, sp.sign);
				sb_adds(&body, digits);
				pad(sb, &sp, body.buf, body.len, '>', 0);
				sb_release(&body);
			} else
				format_int(sb, iv, &sp, err);
			break;
		case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
			if (!as_number(v, &d, &iv, &isint))
				return err_set(err, NULL, "must be real number, "
				    "not %s", v ? val_type_name(v) : "NoneType");
			sp.type = t;
			if (sp.prec < 0)
				sp.prec = 6;
			format_float(sb, d, &sp, err);
			break;
		default:
			return err_set(err, NULL, "unsupported format character "
			    "'%c' (0x%x) at index %zu", t, (unsigned char)t, i);
		}
	}
	if (tuple && argi < nargs)
		return err_set(err, NULL, "not all arguments converted during "
		    "string formatting");
	if (!tuple && !mapping && argi == 0 && args != NULL)
		return err_set(err, NULL, "not all arguments converted during "
		    "string formatting");
	return 0;
}

int
py_format(struct strbuf *sb, const char *fmt, size_t n, struct value **args,
    size_t nargs, const char **kwnames, struct value **kwargs, size_t nkw,
    struct err *err)
{
	size_t autoi = 0;

	for (size_t i = 0; i < n; i++) {
		if (fmt[i] == '}') {
			if (i + 1 < n && fmt[i + 1] == '}') {
				sb_addch(sb, '}');
				i++;
				continue;
			}
			return err_set(err, NULL, "single '}' encountered in "
			    "format string");
		}
		if (fmt[i] != '{') {
			sb_addch(sb, fmt[i]);
			continue;
		}
		if (i + 1 < n && fmt[i + 1] == '{') {
			sb_addch(sb, '{');
			i++;
			continue;
		}
		size_t b = ++i;
		int nest = 0;
		while (i < n && (fmt[i] != '}' || nest > 0)) {
			if (fmt[i] == '{')
				nest++;
			else if (fmt[i] == '}')
				nest--;
			i++;
		}
		if (i >= n)
			return err_set(err, NULL, "expected '}' before end of "
			    "string");
		const char *f = fmt + b;
		size_t fl = i - b, nl = 0;
		while (nl < fl && f[nl] != '.' && f[nl] != '[' && f[nl] != '!' &&
		    f[nl] != ':')
			nl++;
		struct value *v = NULL;
		if (nl == 0) {
			if (autoi >= nargs)
				return err_set(err, NULL, "Replacement index %zu "
				    "out of range for positional args tuple",
				    autoi);
			v = args[autoi++];
		} else if (isdigit((unsigned char)f[0])) {
			size_t idx = (size_t)strtoul(f, NULL, 10);

			if (idx >= nargs)
				return err_set(err, NULL, "Replacement index %zu "
				    "out of range for positional args tuple",
				    idx);
			v = args[idx];
		} else {
			for (size_t k = 0; k < nkw; k++)
				if (strlen(kwnames[k]) == nl &&
				    memcmp(kwnames[k], f, nl) == 0)
					v = kwargs[k];
			if (v == NULL)
				return err_set(err, NULL, "'%.*s'", (int)nl, f);
		}
		size_t k = nl;
		while (k < fl && (f[k] == '.' || f[k] == '[')) {
			size_t kb = k + 1, ke;

			if (f[k] == '.') {
				ke = kb;
				while (ke < fl && f[ke] != '.' && f[ke] != '[' &&
				    f[ke] != '!' && f[ke] != ':')
					ke++;
				k = ke;
			} else {
				ke = kb;
				while (ke < fl && f[ke] != ']')
					ke++;
				k = ke + 1;
			}
			struct value *nv = NULL;
			if (v != NULL && v->type == VAL_DICT)
				nv = val_dict_getn(v, f + kb, ke - kb);
			else if (v != NULL && v->type == VAL_LIST &&
			    isdigit((unsigned char)f[kb])) {
				size_t idx = (size_t)strtoul(f + kb, NULL, 10);

				nv = val_list_get(v, idx);
			}
			if (nv == NULL)
				return err_set(err, NULL, "'%.*s'",
				    (int)(ke - kb), f + kb);
			v = nv;
		}
		char conv = 0;
		if (k + 1 < fl && f[k] == '!') {
			conv = f[k + 1];
			k += 2;
		}
		const char *spec = "";
		size_t specl = 0;
		if (k < fl && f[k] == ':') {
			spec = f + k + 1;
			specl = fl - k - 1;
		}
		if (conv == 'r' || conv == 's' || conv == 'a') {
			struct strbuf tmp = STRBUF_INIT;
			struct value sv;

			if (conv == 's')
				val_str(&tmp, v);
			else
				val_repr(&tmp, v);
			memset(&sv, 0, sizeof(sv));
			sv.type = VAL_STR;
			sv.u.str.s = tmp.buf;
			sv.u.str.len = tmp.len;
			int rc = py_format_spec(sb, &sv, spec, specl, err);
			sb_release(&tmp);
			if (rc < 0)
				return -1;
		} else if (py_format_spec(sb, v, spec, specl, err) < 0)
			return -1;
	}
	return 0;
}
