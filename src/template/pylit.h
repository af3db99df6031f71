/*
 * pylit.h: Python's ast.literal_eval() over text (with JSON's true, false
 * and null), as Ansible applies it to rendered templates.
 */
#ifndef MUSTER_TEMPLATE_PYLIT_H
#define MUSTER_TEMPLATE_PYLIT_H

#include "../value.h"

/* The value the text is a literal of, or NULL if literal_eval refuses it. */
struct value	*pylit_eval(struct arena *, const char *s, size_t n);

#endif
