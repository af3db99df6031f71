/*
 * ast.h: the parsed form of a template, shared by the parser (parse.c) and
 * the evaluator (eval.c).  Nodes live in the render's arena.
 */
#ifndef MUSTER_TEMPLATE_AST_H
#define MUSTER_TEMPLATE_AST_H

#include <stddef.h>

#include "../value.h"

enum tnode_kind {
	/* statements */
	T_BODY,		/* kids: statements */
	T_TEXT,		/* val: the text */
	T_OUTPUT,	/* a: the expression */
	T_IF,		/* a: condition, b: body, c: else (body or T_IF) */
	T_FOR,		/* kids: targets (E_NAME), a: iterable, b: body,
			   c: else body, d: filter condition */
	T_SET,		/* kids: targets (E_NAME or E_ATTR), a: value */
	T_SETBLOCK,	/* kids: target, b: body, a: filters on c */
	T_WITH,		/* kids: E_NAME targets, kwargs: values, b: body */
	T_MACRO,	/* name, kids: parameters (E_NAME, c default in a),
			   b: body */
	/* expressions */
	E_CONST,	/* val */
	E_NAME,		/* name (a: default value for a macro parameter) */
	E_LIST,		/* kids */
	E_TUPLE,	/* kids */
	E_DICT,		/* kids: key, value, key, value... */
	E_ATTR,		/* a.name */
	E_ITEM,		/* a[b] */
	E_SLICE,	/* a[b:c:d], any of b c d NULL */
	E_CALL,		/* a(kids..., kwnames=kwargs...) */
	E_FILTER,	/* a | name(kids..., kw...); a NULL in a filter block */
	E_TEST,		/* a is [not] name(kids...); op: negated */
	E_NEG,
	E_POS,
	E_NOT,
	E_BIN,		/* a op b, op: enum tbinop */
	E_CMP,		/* kids: operands, ops: operators (n - 1) */
	E_AND,
	E_OR,
	E_COND,		/* b if a else c (c NULL: undefined) */
	E_CONCAT,	/* kids joined with ~ */
};

enum tbinop { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW };
enum tcmpop { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_IN,
	CMP_NOTIN };

struct tnode {
	unsigned char	 kind;		/* enum tnode_kind */
	unsigned char	 op;
	unsigned	 line, col;	/* in the template, 1-based */
	const char	*name;
	struct value	*val;
	struct tnode	*a, *b, *c, *d;
	struct tnode	**kids;
	size_t		 nkids;
	unsigned char	*ops;		/* E_CMP */
	const char	**kwnames;
	struct tnode	**kwargs;
	size_t		 nkw;
	const void	*impl;		/* E_FILTER/E_TEST: the table entry */
};

struct tmpl_parse_opts {
	const char	*name;		/* for messages: file or "template" */
	struct pos	 base;		/* where the text starts, if known */
	bool		 trim_blocks;
	bool		 escape_backslashes;	/* playbook strings (Ansible) */
};

/*
 * Parse a template into a T_BODY; NULL with err (position included) on a
 * syntax error, an unknown filter or test (like Jinja2, at compile time).
 */
struct tnode	*tmpl_parse(struct arena *, const struct tmpl_parse_opts *,
		    const char *text, size_t len, struct err *);
/* A position in the template as a struct pos for messages. */
struct pos	 tmpl_pos(const struct tmpl_parse_opts *, unsigned line,
		    unsigned col);

#endif
