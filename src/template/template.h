/*
 * template.h: the Jinja2 subset Ansible playbooks and templates use, with
 * Ansible's semantics (reentrant, no globals; positions in every error).
 *
 * Variables come from a resolver the caller gives: names are looked up on
 * use, and a variable whose value holds templates is rendered on first use
 * (lazily, with cycle detection), as Ansible's AnsibleJ2Vars does.
 */
#ifndef MUSTER_TEMPLATE_H
#define MUSTER_TEMPLATE_H

#include <stdbool.h>

#include "../value.h"

/*
 * The resolver: return a variable's raw value, or NULL if it does not
 * exist (err untouched).  Values are only read.
 */
typedef struct value *(*tmpl_getvar_fn)(void *ctx, const char *name,
    size_t len);

enum tmpl_flags {
	/*
	 * Ansible's Templar.template(): a string that is no template is
	 * returned as is; "{{ var }}" of a bool/number/null keeps its type;
	 * a single result that prints as a list, dict or bool becomes one
	 * (ast.literal_eval); None prints as ""; backslashes inside "{{ }}"
	 * string literals are kept (a playbook's '\1' stays a backreference).
	 */
	TMPL_ANSIBLE = 1 << 0,
	/* Ansible's template module: Ansible's environment, text result. */
	TMPL_TEXT = 1 << 1,
	/* Plain Jinja2 (python3-jinja2's defaults): for differential tests. */
	TMPL_JINJA = 1 << 2,
	/* Jinja2's trim_blocks (always on with TMPL_ANSIBLE/TMPL_TEXT). */
	TMPL_TRIM_BLOCKS = 1 << 3,
	/* Refuse lookup() and query() (Ansible's disable_lookups). */
	TMPL_NO_LOOKUPS = 1 << 4,
};

struct tmpl_env {
	tmpl_getvar_fn	 getvar;
	void		*ctx;
	unsigned	 flags;		/* enum tmpl_flags */
	const char	*basedir;	/* lookup('file') and friends */
};

/*
 * Template a value as Ansible's Templar.template() does: strings are
 * rendered, lists and dicts recursively, anything else (and !unsafe
 * strings) returned as is.  The result lives in arena a.  name names the
 * source in messages when the value has no position.
 */
int	tmpl_value(struct arena *a, const struct tmpl_env *,
	    const struct value *in, struct value **out, struct err *);

/*
 * Render template text (the template module, lookup('template')): the
 * result is always a string; trailing newlines are kept as Ansible does.
 */
int	tmpl_render_text(struct arena *a, const struct tmpl_env *,
	    const char *name, const char *text, size_t len,
	    struct value **out, struct err *);

/*
 * Evaluate a bare expression ("when:", "failed_when:", "until:") to its
 * truth as Ansible does.
 */
int	tmpl_condition(struct arena *a, const struct tmpl_env *,
	    const struct value *expr, bool *out, struct err *);

/* Could this string be a template ({{, {% or {#)? */
bool	tmpl_is_template(const char *s, size_t len);
/* Does templating v change anything (a template string inside)? */
bool	tmpl_value_needs(const struct value *v);

/* The value Ansible's `omit` placeholder has. */
#define TMPL_OMIT "__omit_place_holder__muster"

#endif
