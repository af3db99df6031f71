/*
 * parse.c: the template lexer and parser, a recursive descent after
 * Jinja2's own (jinja2/lexer.py, jinja2/parser.py): the same delimiters,
 * whitespace control, trim_blocks, operator precedence and literal rules,
 * so that what Jinja2 accepts parses the same way here.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "filters.h"

enum tok_type {
	TK_END,		/* end of the tag ("}}" or "%}") */
	TK_EOF,		/* end of the text inside a tag */
	TK_NAME,
	TK_STRING,
	TK_INT,
	TK_FLOAT,
	TK_OP,
};

struct tok {
	enum tok_type	 type;
	char		 op[3];		/* TK_OP: the operator */
	const char	*s;		/* TK_NAME: the name; TK_STRING: value */
	size_t		 len;
	int64_t		 i;
	double		 f;
	unsigned	 line, col;
	bool		 strip;		/* TK_END: "-}}" */
};

enum { TAG_NONE, TAG_VAR, TAG_BLOCK };
#define MAX_DEPTH 200

struct parser {
	struct arena	*a;
	const struct tmpl_parse_opts *o;
	const char	*src;
	size_t		 len;
	size_t		 pos;
	unsigned	 line;
	size_t		 bol;		/* offset of the line's start */
	int		 tag;		/* TAG_VAR or TAG_BLOCK while in one */
	int		 brackets;	/* open ( [ { inside a tag */
	int		 depth;
	bool		 lstrip_next;	/* strip the next text's head */
	struct tok	 tok;		/* current token */
	bool		 have_peek;
	struct tok	 peek;
	struct err	*err;
};

struct pos
tmpl_pos(const struct tmpl_parse_opts *o, unsigned line, unsigned col)
{
	struct pos p = { o->name, line, col };

	if (o->base.file != NULL) {
		p.file = o->base.file;
		p.line = o->base.line + line - 1;
		p.col = line == 1 ? o->base.col + col - 1 : col;
	}
	return p;
}

static int
perr(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
perr(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
	struct pos pos = tmpl_pos(p->o, line, col);
	va_list ap;

	if (p->err->set)
		return -1;
	va_start(ap, fmt);
	err_vset(p->err, &pos, fmt, ap);
	va_end(ap);
	return -1;
}

static struct tnode *
node(struct parser *p, enum tnode_kind k, unsigned line, unsigned col)
{
	struct tnode *n = arena_alloc(p->a, sizeof(*n));

	n->kind = k;
	n->line = line;
	n->col = col;
	return n;
}

struct nodevec {
	struct tnode	**v;
	size_t		 n, alloc;
};

static void
nv_push(struct arena *a, struct nodevec *nv, struct tnode *n)
{
	if (nv->n == nv->alloc) {
		size_t na = nv->alloc ? nv->alloc * 2 : 4;

		nv->v = arena_realloc(a, nv->v, nv->alloc * sizeof(*nv->v),
		    na * sizeof(*nv->v));
		nv->alloc = na;
	}
	nv->v[nv->n++] = n;
}

static unsigned
col_of(struct parser *p, size_t off)
{
	return (unsigned)(off - p->bol) + 1;
}

static void
advance_to(struct parser *p, size_t to)
{
	for (; p->pos < to; p->pos++)
		if (p->src[p->pos] == '\n') {
			p->line++;
			p->bol = p->pos + 1;
		}
}

/* ---- the lexer inside a tag ---- */

static bool
is_name_start(int c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool
is_name_char(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* Decode a string literal's escapes as Python's unicode_escape does. */
static void
decode_escapes(struct strbuf *sb, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned long cp;
		int want;

		if (s[i] != '\\' || i + 1 == n) {
			sb_addch(sb, s[i]);
			continue;
		}
		i++;
		switch (s[i]) {
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
		case 'x': want = 2; goto hex;
		case 'u': want = 4; goto hex;
		case 'U': want = 8;
		hex:
			cp = 0;
			for (int k = 1; k <= want; k++) {
				if (i + k >= n || !isxdigit((unsigned char)s[i + k])) {
					want = -1;
					break;
				}
				cp = cp * 16 + (unsigned long)(isdigit(
				    (unsigned char)s[i + k]) ? s[i + k] - '0' :
				    (tolower((unsigned char)s[i + k]) - 'a' + 10));
			}
			if (want < 0 || cp > 0x10ffff) {
				sb_addch(sb, '\\');
				sb_addch(sb, s[i]);
				break;
			}
			i += (size_t)want;
		utf8:
			sb_addutf8(sb, cp);
			break;
		default:
			if (s[i] >= '0' && s[i] <= '7') {
				cp = 0;
				for (int k = 0; k < 3 && i < n &&
				    s[i] >= '0' && s[i] <= '7'; k++, i++)
					cp = cp * 8 + (unsigned long)(s[i] - '0');
				i--;
				goto utf8;
			}
			sb_addch(sb, '\\');
			sb_addch(sb, s[i]);
		}
	}
}

/* Is the text at pos the end of the current tag?  Sets *n to its length. */
static bool
at_tag_end(struct parser *p, size_t pos, size_t *n, bool *strip)
{
	const char *s = p->src + pos;
	size_t left = p->len - pos;
	char close = p->tag == TAG_VAR ? '}' : '%';

	*strip = false;
	if (left >= 3 && (s[0] == '-' || s[0] == '+') && s[1] == close &&
	    s[2] == '}') {
		*strip = s[0] == '-';
		*n = 3;
		return true;
	}
	if (left >= 2 && s[0] == close && s[1] == '}') {
		*n = 2;
		return true;
	}
	return false;
}

static int
lex(struct parser *p, struct tok *t)
{
	const char *s = p->src;
	size_t n;
	bool strip;

	memset(t, 0, sizeof(*t));
	while (p->pos < p->len && isspace((unsigned char)s[p->pos]))
		advance_to(p, p->pos + 1);
	t->line = p->line;
	t->col = col_of(p, p->pos);
	if (p->pos >= p->len) {
		t->type = TK_EOF;
		return 0;
	}
	if (p->brackets == 0 && at_tag_end(p, p->pos, &n, &strip)) {
		t->type = TK_END;
		t->strip = strip;
		advance_to(p, p->pos + n);
		return 0;
	}
	unsigned char c = (unsigned char)s[p->pos];
	if (is_name_start(c)) {
		size_t b = p->pos;

		while (p->pos < p->len && is_name_char((unsigned char)s[p->pos]))
			p->pos++;
		t->type = TK_NAME;
		t->s = arena_strndup(p->a, s + b, p->pos - b);
		t->len = p->pos - b;
		return 0;
	}
	if (c == '\'' || c == '"') {
		size_t b = ++p->pos;
		struct strbuf sb = STRBUF_INIT;

		while (p->pos < p->len && s[p->pos] != (char)c) {
			if (s[p->pos] == '\\' && p->pos + 1 < p->len)
				p->pos++;
			p->pos++;
		}
		if (p->pos >= p->len)
			return perr(p, t->line, t->col, "unexpected end of "
			    "template: unterminated string");
		size_t e = p->pos;
		advance_to(p, b);
		advance_to(p, e + 1);
		if (p->o->escape_backslashes && p->tag == TAG_VAR)
			sb_add(&sb, s + b, e - b);
		else
			decode_escapes(&sb, s + b, e - b);
		/* Jinja2 normalises newlines in string literals too. */
		size_t w = 0;
		for (size_t r = 0; r < sb.len; r++) {
			if (sb.buf[r] == '\r') {
				sb.buf[w++] = '\n';
				if (r + 1 < sb.len && sb.buf[r + 1] == '\n')
					r++;
			} else
				sb.buf[w++] = sb.buf[r];
		}
		sb_setlen(&sb, w);
		t->type = TK_STRING;
		t->s = arena_strndup(p->a, sb.buf, sb.len);
		t->len = sb.len;
		sb_release(&sb);
		return 0;
	}
	if (isdigit(c)) {
		size_t b = p->pos;
		struct strbuf nb = STRBUF_INIT;
		bool isfloat = false;
		int base = 10;

		if (c == '0' && p->pos + 1 < p->len &&
		    strchr("xXoObB", s[p->pos + 1]) != NULL) {
			base = strchr("xX", s[p->pos + 1]) ? 16 :
			    strchr("oO", s[p->pos + 1]) ? 8 : 2;
			p->pos += 2;
			while (p->pos < p->len && (isxdigit((unsigned char)
			    s[p->pos]) || s[p->pos] == '_')) {
				if (s[p->pos] != '_')
					sb_addch(&nb, s[p->pos]);
				p->pos++;
			}
		} else {
			while (p->pos < p->len && (isdigit((unsigned char)
			    s[p->pos]) || (s[p->pos] == '_' && p->pos + 1 <
			    p->len && isdigit((unsigned char)s[p->pos + 1])))) {
				if (s[p->pos] != '_')
					sb_addch(&nb, s[p->pos]);
				p->pos++;
			}
			if (p->pos + 1 < p->len && s[p->pos] == '.' &&
			    isdigit((unsigned char)s[p->pos + 1])) {
				isfloat = true;
				sb_addch(&nb, s[p->pos++]);
				while (p->pos < p->len && (isdigit((unsigned char)
				    s[p->pos]) || s[p->pos] == '_')) {
					if (s[p->pos] != '_')
						sb_addch(&nb, s[p->pos]);
					p->pos++;
				}
			}
			if (p->pos < p->len && (s[p->pos] == 'e' ||
			    s[p->pos] == 'E')) {
				size_t q = p->pos + 1;

				if (q < p->len && (s[q] == '+' || s[q] == '-'))
					q++;
				if (q < p->len && isdigit((unsigned char)s[q])) {
					isfloat = true;
					sb_addch(&nb, 'e');
					for (size_t k = p->pos + 1; k < q; k++)
						sb_addch(&nb, s[k]);
					p->pos = q;
					while (p->pos < p->len && isdigit(
					    (unsigned char)s[p->pos]))
						sb_addch(&nb, s[p->pos++]);
				}
			}
		}
		(void)b;
		errno = 0;
		if (isfloat) {
			t->type = TK_FLOAT;
			t->f = strtod(nb.buf, NULL);
		} else {
			t->type = TK_INT;
			t->i = (int64_t)strtoll(nb.buf, NULL, base);
		}
		sb_release(&nb);
		if (errno == ERANGE)
			return perr(p, t->line, t->col,
			    "integer literal too large");
		return 0;
	}
	static const char *ops[] = { "//", "**", "==", "!=", "<=", ">=",
		"+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
		"<", ">", "=", ".", ":", "|", ",", ";", NULL };
	for (const char **o = ops; *o != NULL; o++) {
		size_t ol = strlen(*o);

		if (p->pos + ol <= p->len && memcmp(s + p->pos, *o, ol) == 0) {
			t->type = TK_OP;
			memcpy(t->op, *o, ol);
			p->pos += ol;
			if (ol == 1 && strchr("([{", **o) != NULL)
				p->brackets++;
			else if (ol == 1 && strchr(")]}", **o) != NULL &&
			    p->brackets > 0)
				p->brackets--;
			return 0;
		}
	}
	return perr(p, t->line, t->col, "unexpected char '%c'", c);
}

static int
next(struct parser *p)
{
	if (p->have_peek) {
		p->tok = p->peek;
		p->have_peek = false;
		return 0;
	}
	return lex(p, &p->tok);
}

static struct tok *
peek(struct parser *p)
{
	if (!p->have_peek) {
		if (lex(p, &p->peek) < 0)
			return NULL;
		p->have_peek = true;
	}
	return &p->peek;
}

static bool
is_op(const struct tok *t, const char *op)
{
	return t->type == TK_OP && strcmp(t->op, op) == 0;
}

static bool
is_name(const struct tok *t, const char *name)
{
	return t->type == TK_NAME && strcmp(t->s, name) == 0;
}

static const char *
tok_desc(const struct tok *t)
{
	switch (t->type) {
	case TK_END: return "end of statement block";
	case TK_EOF: return "end of template";
	case TK_NAME: return t->s;
	case TK_STRING: return "string";
	case TK_INT: return "integer";
	case TK_FLOAT: return "float";
	default: return t->op;
	}
}

static int
unexpected(struct parser *p)
{
	if (p->tok.type == TK_EOF)
		return perr(p, p->tok.line, p->tok.col,
		    "unexpected end of template, expected '%s'",
		    p->tag == TAG_VAR ? "end of print statement" :
		    "end of statement block");
	return perr(p, p->tok.line, p->tok.col, "unexpected '%s'",
	    tok_desc(&p->tok));
}

static int
expect_op(struct parser *p, const char *op)
{
	if (!is_op(&p->tok, op)) {
		if (p->tok.type == TK_EOF || p->tok.type == TK_END)
			return perr(p, p->tok.line, p->tok.col,
			    "unexpected %s, expected '%s'",
			    tok_desc(&p->tok), op);
		return perr(p, p->tok.line, p->tok.col,
		    "expected token '%s', got '%s'", op, tok_desc(&p->tok));
	}
	return next(p);
}

/* ---- expressions ---- */

static struct tnode *parse_expr(struct parser *, bool with_cond);
static struct tnode *parse_or(struct parser *);
static struct tnode *parse_unary(struct parser *, bool with_filter);
static struct tnode *parse_primary(struct parser *);

static struct tnode *
constant(struct parser *p, struct value *v, unsigned line, unsigned col)
{
	struct tnode *n = node(p, E_CONST, line, col);

	n->val = v;
	return n;
}

/* Arguments of a call, filter or test: "(" already current. */
static int
parse_args(struct parser *p, struct tnode *n)
{
	struct nodevec args = { 0 }, kw = { 0 };
	struct nodevec kwn = { 0 };

	if (next(p) < 0)
		return -1;
	while (!is_op(&p->tok, ")")) {
		if (args.n + kw.n > 0 && expect_op(p, ",") < 0)
			return -1;
		if (is_op(&p->tok, ")"))
			break;
		struct tok *pk;
		if (p->tok.type == TK_NAME && (pk = peek(p)) != NULL &&
		    is_op(pk, "=")) {
			struct tnode *nm = node(p, E_NAME, p->tok.line,
			    p->tok.col);

			nm->name = p->tok.s;
			if (next(p) < 0 || next(p) < 0)
				return -1;
			struct tnode *v = parse_expr(p, true);
			if (v == NULL)
				return -1;
			nv_push(p->a, &kwn, nm);
			nv_push(p->a, &kw, v);
			continue;
		}
		if (p->err->set)
			return -1;
		if (is_op(&p->tok, "*") || is_op(&p->tok, "**"))
			return perr(p, p->tok.line, p->tok.col,
			    "*args and **kwargs are not supported");
		if (kw.n > 0)
			return perr(p, p->tok.line, p->tok.col,
			    "positional argument follows keyword argument");
		struct tnode *v = parse_expr(p, true);
		if (v == NULL)
			return -1;
		nv_push(p->a, &args, v);
	}
	n->kids = args.v;
	n->nkids = args.n;
	n->nkw = kw.n;
	n->kwargs = kw.v;
	if (kw.n > 0) {
		n->kwnames = arena_alloc(p->a, kw.n * sizeof(char *));
		for (size_t i = 0; i < kw.n; i++)
			n->kwnames[i] = kwn.v[i]->name;
	}
	return next(p);
}

static struct tnode *
parse_subscript(struct parser *p, struct tnode *obj)
{
	struct tnode *n, *parts[3] = { NULL, NULL, NULL };
	int np = 0;
	unsigned line = p->tok.line, col = p->tok.col;

	if (next(p) < 0)
		return NULL;
	for (;;) {
		if (is_op(&p->tok, ":")) {
			if (np >= 2)
				return perr(p, p->tok.line, p->tok.col,
				    "unexpected ':'"), NULL;
			np++;
			if (next(p) < 0)
				return NULL;
			continue;
		}
		if (is_op(&p->tok, "]") || is_op(&p->tok, ","))
			break;
		if (parts[np] != NULL)
			return unexpected(p), NULL;
		if ((parts[np] = parse_expr(p, true)) == NULL)
			return NULL;
	}
	if (is_op(&p->tok, ","))
		return perr(p, p->tok.line, p->tok.col,
		    "tuple subscripts are not supported"), NULL;
	if (np == 0) {
		if (parts[0] == NULL)
			return perr(p, p->tok.line, p->tok.col,
			    "expected an expression, got ']'"), NULL;
		n = node(p, E_ITEM, line, col);
		n->a = obj;
		n->b = parts[0];
	} else {
		n = node(p, E_SLICE, line, col);
		n->a = obj;
		n->b = parts[0];
		n->c = parts[1];
		n->d = parts[2];
	}
	if (next(p) < 0)
		return NULL;
	return n;
}

static struct tnode *
parse_postfix(struct parser *p, struct tnode *n)
{
	while (n != NULL) {
		if (is_op(&p->tok, ".")) {
			unsigned line = p->tok.line, col = p->tok.col;

			if (next(p) < 0)
				return NULL;
			if (p->tok.type == TK_NAME) {
				struct tnode *at = node(p, E_ATTR, line, col);

				at->a = n;
				at->name = p->tok.s;
				n = at;
			} else if (p->tok.type == TK_INT) {
				struct tnode *it = node(p, E_ITEM, line, col);

				it->a = n;
				it->b = constant(p, val_new_int(p->a, p->tok.i),
				    line, col);
				n = it;
			} else
				return perr(p, p->tok.line, p->tok.col,
				    "expected name or number"), NULL;
			if (next(p) < 0)
				return NULL;
		} else if (is_op(&p->tok, "[")) {
			n = parse_subscript(p, n);
		} else if (is_op(&p->tok, "(")) {
			struct tnode *c = node(p, E_CALL, p->tok.line, p->tok.col);

			c->a = n;
			if (parse_args(p, c) < 0)
				return NULL;
			n = c;
		} else
			break;
	}
	return n;
}

static int
dotted_name(struct parser *p, const char **out)
{
	if (p->tok.type != TK_NAME)
		return perr(p, p->tok.line, p->tok.col,
		    "expected a name, got '%s'", tok_desc(&p->tok));
	const char *name = p->tok.s;
	if (next(p) < 0)
		return -1;
	while (is_op(&p->tok, ".")) {
		if (next(p) < 0)
			return -1;
		if (p->tok.type != TK_NAME)
			return unexpected(p);
		name = arena_printf(p->a, "%s.%s", name, p->tok.s);
		if (next(p) < 0)
			return -1;
	}
	*out = name;
	return 0;
}

static struct tnode *
parse_filter_chain(struct parser *p, struct tnode *n, bool tests)
{
	while (n != NULL) {
		if (is_op(&p->tok, "|")) {
			struct tnode *f = node(p, E_FILTER, p->tok.line,
			    p->tok.col);
			unsigned line, col;

			if (next(p) < 0)
				return NULL;
			line = p->tok.line;
			col = p->tok.col;
			if (dotted_name(p, &f->name) < 0)
				return NULL;
			if ((f->impl = tmpl_find_filter(f->name)) == NULL)
				return perr(p, line, col,
				    "no filter named '%s'", f->name), NULL;
			f->a = n;
			if (is_op(&p->tok, "(") && parse_args(p, f) < 0)
				return NULL;
			n = f;
		} else if (tests && is_name(&p->tok, "is")) {
			struct tnode *t = node(p, E_TEST, p->tok.line,
			    p->tok.col);
			unsigned line, col;

			if (next(p) < 0)
				return NULL;
			if (is_name(&p->tok, "not")) {
				t->op = 1;
				if (next(p) < 0)
					return NULL;
			}
			line = p->tok.line;
			col = p->tok.col;
			if (p->tok.type == TK_NAME && (is_name(&p->tok, "none") ||
			    is_name(&p->tok, "true") || is_name(&p->tok, "false"))) {
				t->name = p->tok.s;
				if (next(p) < 0)
					return NULL;
			} else if (dotted_name(p, &t->name) < 0)
				return NULL;
			if ((t->impl = tmpl_find_test(t->name)) == NULL)
				return perr(p, line, col,
				    "no test named '%s'", t->name), NULL;
			t->a = n;
			if (is_op(&p->tok, "(")) {
				if (parse_args(p, t) < 0)
					return NULL;
			} else if ((p->tok.type == TK_NAME &&
			    !is_name(&p->tok, "else") && !is_name(&p->tok, "or") &&
			    !is_name(&p->tok, "and") && !is_name(&p->tok, "if") &&
			    !is_name(&p->tok, "in") && !is_name(&p->tok, "not") &&
			    !is_name(&p->tok, "is")) ||
			    p->tok.type == TK_STRING || p->tok.type == TK_INT ||
			    p->tok.type == TK_FLOAT || is_op(&p->tok, "[") ||
			    is_op(&p->tok, "{") || is_op(&p->tok, "-")) {
				struct tnode *arg;

				if (is_op(&p->tok, "-"))
					return unexpected(p), NULL;
				arg = parse_primary(p);
				arg = parse_postfix(p, arg);
				if (arg == NULL)
					return NULL;
				t->kids = arena_alloc(p->a, sizeof(*t->kids));
				t->kids[0] = arg;
				t->nkids = 1;
			}
			n = t;
		} else if (is_op(&p->tok, "(")) {
			struct tnode *c = node(p, E_CALL, p->tok.line, p->tok.col);

			c->a = n;
			if (parse_args(p, c) < 0)
				return NULL;
			n = c;
		} else
			break;
	}
	return n;
}

static struct tnode *
parse_seq(struct parser *p, enum tnode_kind k, const char *close,
    unsigned line, unsigned col)
{
	struct tnode *n = node(p, k, line, col);
	struct nodevec v = { 0 };

	while (!is_op(&p->tok, close)) {
		if (v.n > 0 && expect_op(p, ",") < 0)
			return NULL;
		if (is_op(&p->tok, close))
			break;
		struct tnode *e = parse_expr(p, true);
		if (e == NULL)
			return NULL;
		nv_push(p->a, &v, e);
		if (k == E_DICT) {
			if (expect_op(p, ":") < 0)
				return NULL;
			if ((e = parse_expr(p, true)) == NULL)
				return NULL;
			nv_push(p->a, &v, e);
		}
	}
	n->kids = v.v;
	n->nkids = v.n;
	if (next(p) < 0)
		return NULL;
	return n;
}

static struct tnode *
parse_primary(struct parser *p)
{
	struct tok t = p->tok;
	struct tnode *n;

	if (p->err->set)
		return NULL;
	if (++p->depth > MAX_DEPTH) {
		perr(p, t.line, t.col, "expression nested too deeply");
		return NULL;
	}
	switch (t.type) {
	case TK_NAME:
		if (!strcmp(t.s, "true") || !strcmp(t.s, "True"))
			n = constant(p, &val_true, t.line, t.col);
		else if (!strcmp(t.s, "false") || !strcmp(t.s, "False"))
			n = constant(p, &val_false, t.line, t.col);
		else if (!strcmp(t.s, "none") || !strcmp(t.s, "None"))
			n = constant(p, &val_none, t.line, t.col);
		else {
			n = node(p, E_NAME, t.line, t.col);
			n->name = t.s;
		}
		if (next(p) < 0)
			return NULL;
		break;
	case TK_STRING: {
		struct strbuf sb = STRBUF_INIT;

		/* Adjacent string literals are one string. */
		while (p->tok.type == TK_STRING) {
			sb_add(&sb, p->tok.s, p->tok.len);
			if (next(p) < 0) {
				sb_release(&sb);
				return NULL;
			}
		}
		n = constant(p, val_new_strn(p->a, sb.buf, sb.len), t.line,
		    t.col);
		sb_release(&sb);
		break;
	}
	case TK_INT:
		n = constant(p, val_new_int(p->a, t.i), t.line, t.col);
		if (next(p) < 0)
			return NULL;
		break;
	case TK_FLOAT:
		n = constant(p, val_new_float(p->a, t.f), t.line, t.col);
		if (next(p) < 0)
			return NULL;
		break;
	case TK_OP:
		if (is_op(&t, "(")) {
			if (next(p) < 0)
				return NULL;
			if (is_op(&p->tok, ")")) {
				n = node(p, E_TUPLE, t.line, t.col);
				if (next(p) < 0)
					return NULL;
				break;
			}
			struct tnode *e = parse_expr(p, true);
			if (e == NULL)
				return NULL;
			if (is_op(&p->tok, ",")) {
				struct nodevec v = { 0 };

				nv_push(p->a, &v, e);
				while (is_op(&p->tok, ",")) {
					if (next(p) < 0)
						return NULL;
					if (is_op(&p->tok, ")"))
						break;
					if ((e = parse_expr(p, true)) == NULL)
						return NULL;
					nv_push(p->a, &v, e);
				}
				n = node(p, E_TUPLE, t.line, t.col);
				n->kids = v.v;
				n->nkids = v.n;
			} else
				n = e;
			if (expect_op(p, ")") < 0)
				return NULL;
			break;
		}
		if (is_op(&t, "[")) {
			if (next(p) < 0)
				return NULL;
			n = parse_seq(p, E_LIST, "]", t.line, t.col);
			break;
		}
		if (is_op(&t, "{")) {
			if (next(p) < 0)
				return NULL;
			n = parse_seq(p, E_DICT, "}", t.line, t.col);
			break;
		}
		/* FALLTHROUGH */
	default:
		unexpected(p);
		return NULL;
	}
	p->depth--;
	return n;
}

static struct tnode *
parse_unary(struct parser *p, bool with_filter)
{
	struct tnode *n;
	unsigned line = p->tok.line, col = p->tok.col;

	if (++p->depth > MAX_DEPTH) {
		perr(p, line, col, "expression nested too deeply");
		return NULL;
	}
	if (is_op(&p->tok, "-") || is_op(&p->tok, "+")) {
		n = node(p, is_op(&p->tok, "-") ? E_NEG : E_POS, line, col);
		if (next(p) < 0 || (n->a = parse_unary(p, false)) == NULL)
			return NULL;
	} else
		n = parse_primary(p);
	n = parse_postfix(p, n);
	if (with_filter)
		n = parse_filter_chain(p, n, true);
	p->depth--;
	return n;
}

static struct tnode *
binary(struct parser *p, struct tnode *l, int op, struct tnode *r,
    unsigned line, unsigned col)
{
	struct tnode *n = node(p, E_BIN, line, col);

	n->op = (unsigned char)op;
	n->a = l;
	n->b = r;
	return n;
}

static struct tnode *
parse_pow(struct parser *p)
{
	struct tnode *l = parse_unary(p, true);

	while (l != NULL && is_op(&p->tok, "**")) {
		unsigned line = p->tok.line, col = p->tok.col;
		struct tnode *r;

		if (next(p) < 0 || (r = parse_unary(p, true)) == NULL)
			return NULL;
		l = binary(p, l, OP_POW, r, line, col);
	}
	return l;
}

static struct tnode *
parse_math2(struct parser *p)
{
	struct tnode *l = parse_pow(p);

	while (l != NULL) {
		int op;

		if (is_op(&p->tok, "*"))
			op = OP_MUL;
		else if (is_op(&p->tok, "/"))
			op = OP_DIV;
		else if (is_op(&p->tok, "//"))
			op = OP_FLOORDIV;
		else if (is_op(&p->tok, "%"))
			op = OP_MOD;
		else
			break;
		unsigned line = p->tok.line, col = p->tok.col;
		struct tnode *r;
		if (next(p) < 0 || (r = parse_pow(p)) == NULL)
			return NULL;
		l = binary(p, l, op, r, line, col);
	}
	return l;
}

static struct tnode *
parse_concat(struct parser *p)
{
	struct tnode *l = parse_math2(p);
	struct nodevec v = { 0 };
	unsigned line = p->tok.line, col = p->tok.col;

	if (l == NULL || !is_op(&p->tok, "~"))
		return l;
	nv_push(p->a, &v, l);
	while (is_op(&p->tok, "~")) {
		if (next(p) < 0 || (l = parse_math2(p)) == NULL)
			return NULL;
		nv_push(p->a, &v, l);
	}
	struct tnode *n = node(p, E_CONCAT, line, col);
	n->kids = v.v;
	n->nkids = v.n;
	return n;
}

static struct tnode *
parse_math1(struct parser *p)
{
	struct tnode *l = parse_concat(p);

	while (l != NULL && (is_op(&p->tok, "+") || is_op(&p->tok, "-"))) {
		int op = is_op(&p->tok, "+") ? OP_ADD : OP_SUB;
		unsigned line = p->tok.line, col = p->tok.col;
		struct tnode *r;

		if (next(p) < 0 || (r = parse_concat(p)) == NULL)
			return NULL;
		l = binary(p, l, op, r, line, col);
	}
	return l;
}

static struct tnode *
parse_compare(struct parser *p)
{
	struct tnode *l = parse_math1(p), *n;
	struct nodevec v = { 0 };
	unsigned char ops[64];
	size_t nops = 0;
	unsigned line = p->tok.line, col = p->tok.col;

	if (l == NULL)
		return NULL;
	nv_push(p->a, &v, l);
	for (;;) {
		int op;
		struct tok *pk;

		if (is_op(&p->tok, "=="))
			op = CMP_EQ;
		else if (is_op(&p->tok, "!="))
			op = CMP_NE;
		else if (is_op(&p->tok, "<"))
			op = CMP_LT;
		else if (is_op(&p->tok, "<="))
			op = CMP_LE;
		else if (is_op(&p->tok, ">"))
			op = CMP_GT;
		else if (is_op(&p->tok, ">="))
			op = CMP_GE;
		else if (is_name(&p->tok, "in"))
			op = CMP_IN;
		else if (is_name(&p->tok, "not") && (pk = peek(p)) != NULL &&
		    is_name(pk, "in")) {
			op = CMP_NOTIN;
			if (next(p) < 0)
				return NULL;
		} else
			break;
		if (p->err->set)
			return NULL;
		if (nops == sizeof(ops))
			return perr(p, p->tok.line, p->tok.col,
			    "too many comparisons"), NULL;
		ops[nops++] = (unsigned char)op;
		if (next(p) < 0 || (l = parse_math1(p)) == NULL)
			return NULL;
		nv_push(p->a, &v, l);
	}
	if (p->err->set)
		return NULL;
	if (nops == 0)
		return l;
	n = node(p, E_CMP, line, col);
	n->kids = v.v;
	n->nkids = v.n;
	n->ops = arena_alloc(p->a, nops);
	memcpy(n->ops, ops, nops);
	return n;
}

static struct tnode *
parse_not(struct parser *p)
{
	if (is_name(&p->tok, "not")) {
		struct tnode *n = node(p, E_NOT, p->tok.line, p->tok.col);

		if (++p->depth > MAX_DEPTH) {
			perr(p, p->tok.line, p->tok.col,
			    "expression nested too deeply");
			return NULL;
		}
		if (next(p) < 0 || (n->a = parse_not(p)) == NULL)
			return NULL;
		p->depth--;
		return n;
	}
	return parse_compare(p);
}

static struct tnode *
parse_and(struct parser *p)
{
	struct tnode *l = parse_not(p);

	while (l != NULL && is_name(&p->tok, "and")) {
		struct tnode *n = node(p, E_AND, p->tok.line, p->tok.col);

		n->a = l;
		if (next(p) < 0 || (n->b = parse_not(p)) == NULL)
			return NULL;
		l = n;
	}
	return l;
}

static struct tnode *
parse_or(struct parser *p)
{
	struct tnode *l = parse_and(p);

	while (l != NULL && is_name(&p->tok, "or")) {
		struct tnode *n = node(p, E_OR, p->tok.line, p->tok.col);

		n->a = l;
		if (next(p) < 0 || (n->b = parse_and(p)) == NULL)
			return NULL;
		l = n;
	}
	return l;
}

static struct tnode *
parse_expr(struct parser *p, bool with_cond)
{
	struct tnode *l;

	if (++p->depth > MAX_DEPTH) {
		perr(p, p->tok.line, p->tok.col, "expression nested too deeply");
		return NULL;
	}
	l = parse_or(p);
	while (with_cond && l != NULL && is_name(&p->tok, "if")) {
		struct tnode *n = node(p, E_COND, p->tok.line, p->tok.col);

		n->b = l;
		if (next(p) < 0 || (n->a = parse_or(p)) == NULL)
			return NULL;
		if (is_name(&p->tok, "else")) {
			if (next(p) < 0 || (n->c = parse_expr(p, true)) == NULL)
				return NULL;
		}
		l = n;
	}
	p->depth--;
	return l;
}

/* An expression or an implicit tuple ("a, b"), as in {{ }} and set. */
static struct tnode *
parse_tuple(struct parser *p)
{
	struct tnode *e = parse_expr(p, true);
	struct nodevec v = { 0 };
	unsigned line = p->tok.line, col = p->tok.col;

	if (e == NULL || !is_op(&p->tok, ","))
		return e;
	nv_push(p->a, &v, e);
	while (is_op(&p->tok, ",")) {
		if (next(p) < 0)
			return NULL;
		if (p->tok.type == TK_END || p->tok.type == TK_EOF)
			break;
		if ((e = parse_expr(p, true)) == NULL)
			return NULL;
		nv_push(p->a, &v, e);
	}
	struct tnode *n = node(p, E_TUPLE, line, col);
	n->kids = v.v;
	n->nkids = v.n;
	return n;
}

/* ---- statements ---- */

/* After "%}" or "#}": trim_blocks drops one newline. */
static void
trim_block_newline(struct parser *p)
{
	if (!p->o->trim_blocks || p->lstrip_next)
		return;
	if (p->pos < p->len && p->src[p->pos] == '\n')
		advance_to(p, p->pos + 1);
	else if (p->pos + 1 < p->len && p->src[p->pos] == '\r' &&
	    p->src[p->pos + 1] == '\n')
		advance_to(p, p->pos + 2);
	else if (p->pos < p->len && p->src[p->pos] == '\r')
		advance_to(p, p->pos + 1);
}


static int
expect_end(struct parser *p)
{
	if (p->tok.type != TK_END)
		return unexpected(p);
	p->tag = TAG_NONE;
	p->lstrip_next = p->tok.strip;
	trim_block_newline(p);
	return 0;
}

static struct tnode *parse_body(struct parser *, const char *const *ends,
    const char **endtag);

/* Assignment targets: "a", "a, b", "(a, b)", "ns.attr" (set only). */
static int
parse_targets(struct parser *p, struct tnode *n, bool allow_attr)
{
	struct nodevec v = { 0 };
	bool paren = false;

	if (is_op(&p->tok, "(")) {
		paren = true;
		if (next(p) < 0)
			return -1;
	}
	for (;;) {
		if (p->tok.type != TK_NAME)
			return perr(p, p->tok.line, p->tok.col,
			    "can't assign to '%s'", tok_desc(&p->tok));
		struct tnode *t = node(p, E_NAME, p->tok.line, p->tok.col);
		t->name = p->tok.s;
		if (next(p) < 0)
			return -1;
		if (allow_attr && is_op(&p->tok, ".")) {
			if (next(p) < 0)
				return -1;
			if (p->tok.type != TK_NAME)
				return unexpected(p);
			struct tnode *at = node(p, E_ATTR, t->line, t->col);
			at->a = t;
			at->name = p->tok.s;
			t = at;
			if (next(p) < 0)
				return -1;
		}
		nv_push(p->a, &v, t);
		if (!is_op(&p->tok, ","))
			break;
		if (next(p) < 0)
			return -1;
	}
	if (paren && expect_op(p, ")") < 0)
		return -1;
	n->kids = v.v;
	n->nkids = v.n;
	return 0;
}

static struct tnode *
parse_if(struct parser *p, unsigned line, unsigned col)
{
	static const char *const ends[] = { "elif", "else", "endif", NULL };
	struct tnode *n = node(p, T_IF, line, col), *cur = n;
	const char *end;

	for (;;) {
		if ((cur->a = parse_tuple(p)) == NULL || expect_end(p) < 0)
			return NULL;
		if ((cur->b = parse_body(p, ends, &end)) == NULL)
			return NULL;
		if (strcmp(end, "elif") == 0) {
			cur->c = node(p, T_IF, p->tok.line, p->tok.col);
			cur = cur->c;
			if (next(p) < 0)
				return NULL;
			continue;
		}
		if (strcmp(end, "else") == 0) {
			static const char *const e2[] = { "endif", NULL };

			if (next(p) < 0 || expect_end(p) < 0)
				return NULL;
			if ((cur->c = parse_body(p, e2, &end)) == NULL)
				return NULL;
		}
		break;
	}
	if (next(p) < 0 || expect_end(p) < 0)
		return NULL;
	return n;
}

static struct tnode *
parse_for(struct parser *p, unsigned line, unsigned col)
{
	static const char *const ends[] = { "else", "endfor", NULL };
	struct tnode *n = node(p, T_FOR, line, col);
	const char *end;

	if (parse_targets(p, n, false) < 0)
		return NULL;
	if (!is_name(&p->tok, "in"))
		return perr(p, p->tok.line, p->tok.col,
		    "expected token 'in', got '%s'", tok_desc(&p->tok)), NULL;
	if (next(p) < 0)
		return NULL;
	/* The iterable: a tuple without the conditional expression. */
	if ((n->a = parse_expr(p, false)) == NULL)
		return NULL;
	if (is_op(&p->tok, ",")) {
		struct nodevec v = { 0 };

		nv_push(p->a, &v, n->a);
		while (is_op(&p->tok, ",")) {
			if (next(p) < 0)
				return NULL;
			struct tnode *e = parse_expr(p, false);
			if (e == NULL)
				return NULL;
			nv_push(p->a, &v, e);
		}
		n->a = node(p, E_TUPLE, line, col);
		n->a->kids = v.v;
		n->a->nkids = v.n;
	}
	if (is_name(&p->tok, "if")) {
		if (next(p) < 0 || (n->d = parse_expr(p, true)) == NULL)
			return NULL;
	}
	if (is_name(&p->tok, "recursive"))
		return perr(p, p->tok.line, p->tok.col,
		    "recursive loops are not supported"), NULL;
	if (expect_end(p) < 0 || (n->b = parse_body(p, ends, &end)) == NULL)
		return NULL;
	if (strcmp(end, "else") == 0) {
		static const char *const e2[] = { "endfor", NULL };

		if (next(p) < 0 || expect_end(p) < 0)
			return NULL;
		if ((n->c = parse_body(p, e2, &end)) == NULL)
			return NULL;
	}
	if (next(p) < 0 || expect_end(p) < 0)
		return NULL;
	return n;
}

static struct tnode *
parse_set(struct parser *p, unsigned line, unsigned col)
{
	struct tnode *n = node(p, T_SET, line, col);

	if (parse_targets(p, n, true) < 0)
		return NULL;
	if (is_op(&p->tok, "=")) {
		if (next(p) < 0 || (n->a = parse_tuple(p)) == NULL)
			return NULL;
		if (expect_end(p) < 0)
			return NULL;
		return n;
	}
	/* {% set x %}...{% endset %}, optionally with filters. */
	static const char *const ends[] = { "endset", NULL };
	const char *end;
	n->kind = T_SETBLOCK;
	if (n->nkids != 1)
		return unexpected(p), NULL;
	if (is_op(&p->tok, "|")) {
		/* c: a placeholder the block's text goes into */
		n->c = node(p, E_CONST, p->tok.line, p->tok.col);
		n->c->val = &val_none;
		n->a = parse_filter_chain(p, n->c, false);
		if (n->a == NULL)
			return NULL;
	}
	if (expect_end(p) < 0 || (n->b = parse_body(p, ends, &end)) == NULL)
		return NULL;
	if (next(p) < 0 || expect_end(p) < 0)
		return NULL;
	return n;
}

static struct tnode *
parse_with(struct parser *p, unsigned line, unsigned col)
{
	static const char *const ends[] = { "endwith", NULL };
	struct tnode *n = node(p, T_WITH, line, col);
	struct nodevec names = { 0 }, vals = { 0 };
	const char *end;

	while (p->tok.type != TK_END) {
		if (names.n > 0 && expect_op(p, ",") < 0)
			return NULL;
		if (p->tok.type != TK_NAME)
			return unexpected(p), NULL;
		struct tnode *t = node(p, E_NAME, p->tok.line, p->tok.col);
		t->name = p->tok.s;
		if (next(p) < 0 || expect_op(p, "=") < 0)
			return NULL;
		struct tnode *v = parse_expr(p, true);
		if (v == NULL)
			return NULL;
		nv_push(p->a, &names, t);
		nv_push(p->a, &vals, v);
	}
	n->kids = names.v;
	n->nkids = names.n;
	n->kwargs = vals.v;
	n->nkw = vals.n;
	if (expect_end(p) < 0 || (n->b = parse_body(p, ends, &end)) == NULL)
		return NULL;
	if (next(p) < 0 || expect_end(p) < 0)
		return NULL;
	return n;
}

static struct tnode *
parse_macro(struct parser *p, unsigned line, unsigned col)
{
	static const char *const ends[] = { "endmacro", NULL };
	struct tnode *n = node(p, T_MACRO, line, col);
	struct nodevec params = { 0 };
	const char *end;

	if (p->tok.type != TK_NAME)
		return unexpected(p), NULL;
	n->name = p->tok.s;
	if (next(p) < 0 || expect_op(p, "(") < 0)
		return NULL;
	while (!is_op(&p->tok, ")")) {
		if (params.n > 0 && expect_op(p, ",") < 0)
			return NULL;
		if (p->tok.type != TK_NAME)
			return unexpected(p), NULL;
		struct tnode *t = node(p, E_NAME, p->tok.line, p->tok.col);
		t->name = p->tok.s;
		if (next(p) < 0)
			return NULL;
		if (is_op(&p->tok, "=")) {
			if (next(p) < 0 || (t->a = parse_expr(p, true)) == NULL)
				return NULL;
		}
		nv_push(p->a, &params, t);
	}
	if (next(p) < 0)
		return NULL;
	n->kids = params.v;
	n->nkids = params.n;
	if (expect_end(p) < 0 || (n->b = parse_body(p, ends, &end)) == NULL)
		return NULL;
	if (next(p) < 0 || expect_end(p) < 0)
		return NULL;
	return n;
}

/* Find "{{", "{%" or "{#" from pos; returns the offset or len. */
static size_t
find_open(const char *s, size_t len, size_t pos)
{
	while (pos + 1 < len) {
		const char *q = memchr(s + pos, '{', len - pos - 1);

		if (q == NULL)
			return len;
		pos = (size_t)(q - s);
		if (s[pos + 1] == '{' || s[pos + 1] == '%' || s[pos + 1] == '#')
			return pos;
		pos++;
	}
	return len;
}

/* Add text [b, e) as a T_TEXT node, honouring whitespace control. */
static void
add_text(struct parser *p, struct nodevec *body, size_t b, size_t e,
    bool rstrip)
{
	if (p->lstrip_next) {
		while (b < e && isspace((unsigned char)p->src[b]))
			b++;
		p->lstrip_next = false;
	}
	if (rstrip)
		while (e > b && isspace((unsigned char)p->src[e - 1]))
			e--;
	if (e <= b)
		return;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = b; i < e; i++) {
		if (p->src[i] == '\r') {
			sb_addch(&sb, '\n');
			if (i + 1 < e && p->src[i + 1] == '\n')
				i++;
		} else
			sb_addch(&sb, p->src[i]);
	}
	struct tnode *t = node(p, T_TEXT, 0, 0);
	t->val = val_new_strn(p->a, sb.buf, sb.len);
	sb_release(&sb);
	nv_push(p->a, body, t);
}

static int
parse_raw(struct parser *p, struct nodevec *body)
{
	/* Current token is "raw"; find "{%[-+]? endraw [-]?%}". */
	if (next(p) < 0)
		return -1;
	if (p->tok.type != TK_END)
		return unexpected(p);
	/* Jinja2 trims no newline after {% raw %}, only after endraw. */
	p->tag = TAG_NONE;
	p->lstrip_next = p->tok.strip;
	size_t b = p->pos;
	for (size_t q = b; (q = find_open(p->src, p->len, q)) < p->len; q++) {
		if (p->src[q + 1] != '%')
			continue;
		size_t r = q + 2;
		bool lstrip = r < p->len && p->src[r] == '-';
		if (r < p->len && (p->src[r] == '-' || p->src[r] == '+'))
			r++;
		while (r < p->len && isspace((unsigned char)p->src[r]))
			r++;
		if (p->len - r < 6 || memcmp(p->src + r, "endraw", 6) != 0)
			continue;
		r += 6;
		while (r < p->len && isspace((unsigned char)p->src[r]))
			r++;
		bool rstrip = r < p->len && p->src[r] == '-';
		if (r < p->len && (p->src[r] == '-' || p->src[r] == '+'))
			r++;
		if (p->len - r < 2 || p->src[r] != '%' || p->src[r + 1] != '}')
			continue;
		add_text(p, body, b, q, lstrip);
		advance_to(p, r + 2);
		p->lstrip_next = rstrip;
		trim_block_newline(p);
		return 0;
	}
	return perr(p, p->line, col_of(p, p->pos),
	    "missing end of raw directive");
}

/*
 * Parse statements until one of the end tags (when ends is not NULL);
 * *endtag is set to it and the current token is the tag's name.
 */
static struct tnode *
parse_body(struct parser *p, const char *const *ends, const char **endtag)
{
	struct nodevec body = { 0 };
	struct tnode *n = node(p, T_BODY, p->line, col_of(p, p->pos));

	if (++p->depth > MAX_DEPTH) {
		perr(p, p->line, col_of(p, p->pos), "blocks nested too deeply");
		return NULL;
	}
	for (;;) {
		size_t o = find_open(p->src, p->len, p->pos);
		bool rstrip = o + 2 < p->len && p->src[o + 2] == '-';

		add_text(p, &body, p->pos, o, rstrip);
		if (o >= p->len) {
			advance_to(p, p->len);
			if (ends != NULL)
				return perr(p, p->line, col_of(p, p->pos),
				    "unexpected end of template, expected "
				    "'%s'", ends[0]), NULL;
			break;
		}
		advance_to(p, o);
		unsigned line = p->line, col = col_of(p, o);
		char kind = p->src[o + 1];
		size_t skip = 2;
		if (o + 2 < p->len && (p->src[o + 2] == '-' ||
		    p->src[o + 2] == '+'))
			skip = 3;
		if (kind == '#') {
			size_t q = o + skip;
			const char *e;

			for (;;) {
				e = q + 1 < p->len ? memmem(p->src + q,
				    p->len - q, "#}", 2) : NULL;
				if (e == NULL)
					return perr(p, line, col,
					    "missing end of comment tag"), NULL;
				break;
			}
			size_t eo = (size_t)(e - p->src);
			p->lstrip_next = eo > o + skip && p->src[eo - 1] == '-';
			advance_to(p, eo + 2);
			trim_block_newline(p);
			continue;
		}
		advance_to(p, o + skip);
		p->tag = kind == '{' ? TAG_VAR : TAG_BLOCK;
		p->brackets = 0;
		p->have_peek = false;
		if (next(p) < 0)
			return NULL;
		if (kind == '{') {
			struct tnode *out = node(p, T_OUTPUT, line, col);

			if (p->tok.type == TK_END)
				return perr(p, p->tok.line, p->tok.col,
				    "expected an expression, got 'end of "
				    "print statement'"), NULL;
			if ((out->a = parse_tuple(p)) == NULL)
				return NULL;
			if (p->tok.type != TK_END)
				return unexpected(p), NULL;
			p->tag = TAG_NONE;
			p->lstrip_next = p->tok.strip;
			nv_push(p->a, &body, out);
			continue;
		}
		if (p->tok.type != TK_NAME)
			return perr(p, p->tok.line, p->tok.col,
			    "tag name expected"), NULL;
		const char *tag = p->tok.s;
		if (ends != NULL)
			for (const char *const *e = ends; *e != NULL; e++)
				if (strcmp(tag, *e) == 0) {
					*endtag = *e;
					goto done;
				}
		struct tnode *st = NULL;
		unsigned tl = p->tok.line, tc = p->tok.col;
		if (strcmp(tag, "raw") == 0) {
			if (parse_raw(p, &body) < 0)
				return NULL;
			continue;
		}
		if (next(p) < 0)
			return NULL;
		if (strcmp(tag, "if") == 0)
			st = parse_if(p, tl, tc);
		else if (strcmp(tag, "for") == 0)
			st = parse_for(p, tl, tc);
		else if (strcmp(tag, "set") == 0)
			st = parse_set(p, tl, tc);
		else if (strcmp(tag, "with") == 0)
			st = parse_with(p, tl, tc);
		else if (strcmp(tag, "macro") == 0)
			st = parse_macro(p, tl, tc);
		else if (strcmp(tag, "elif") == 0 || strcmp(tag, "else") == 0 ||
		    strncmp(tag, "end", 3) == 0)
			return perr(p, tl, tc, "encountered unknown tag '%s'%s",
			    tag, ends != NULL ? "" : " (no block is open)"),
			    NULL;
		else
			return perr(p, tl, tc, "encountered unknown tag '%s'",
			    tag), NULL;
		if (st == NULL)
			return NULL;
		nv_push(p->a, &body, st);
	}
done:
	n->kids = body.v;
	n->nkids = body.n;
	p->depth--;
	return n;
}

struct tnode *
tmpl_parse(struct arena *a, const struct tmpl_parse_opts *o,
    const char *text, size_t len, struct err *err)
{
	struct parser p = { 0 };

	p.a = a;
	p.o = o;
	p.src = text;
	p.len = len;
	p.line = 1;
	p.err = err;
	/* Jinja2 drops one trailing newline (keep_trailing_newline off). */
	if (p.len > 0 && p.src[p.len - 1] == '\n') {
		p.len--;
		if (p.len > 0 && p.src[p.len - 1] == '\r')
			p.len--;
	} else if (p.len > 0 && p.src[p.len - 1] == '\r')
		p.len--;
	return parse_body(&p, NULL, NULL);
}
