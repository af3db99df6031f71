/*
 * value.h: the dynamic value every layer shares: null, bool, int, float,
 * string, list and dict (insertion-ordered, O(1) lookup), with the source
 * position it came from.
 *
 * Ownership: values live in an arena (arena.h) and are never freed one by
 * one.  A value is built, then shared read-only: once a value is reachable
 * from more than one place (a variable scope, a result), nobody modifies it;
 * make a new one (val_copy() or a new list/dict) instead.  A value may point
 * into values of a longer-lived arena, never the other way round: copy a
 * scratch value with val_copy() into the long-lived arena before keeping it.
 *
 * Semantics follow Python's, as Ansible and Jinja2 see them: val_truthy() is
 * Python's bool(), val_equal() is ==, val_repr() is repr() and val_str() is
 * str().
 */
#ifndef MUSTER_VALUE_H
#define MUSTER_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "strbuf.h"

enum val_type {
	VAL_NULL,
	VAL_BOOL,
	VAL_INT,
	VAL_FLOAT,
	VAL_STR,
	VAL_LIST,
	VAL_DICT,
};

enum val_flags {
	VAL_UNSAFE = 1 << 0,	/* !unsafe: never templated */
	VAL_QUOTED = 1 << 1,	/* a YAML/INI scalar that was quoted */
	VAL_TUPLE = 1 << 2,	/* a list that is a Python tuple (repr) */
	/* Template engine marks (src/template/): */
	VAL_NTEXT = 1 << 3,	/* text a string-type filter made: kept text */
	VAL_MUTABLE = 1 << 4,	/* made by this render: .append() may change */
	VAL_NAMESPACE = 1 << 5,	/* namespace(): {% set ns.x %} may change */
	VAL_VARSCOPE = 1 << 6,	/* a host's variables (hostvars[h]): values
				   read from it are rendered with it */
};

struct val_list;
struct val_dict;

struct value {
	unsigned char	 type;		/* enum val_type */
	unsigned char	 flags;		/* enum val_flags */
	struct pos	 pos;
	union {
		bool		 b;
		int64_t		 i;
		double		 f;
		struct {
			char	*s;	/* NUL-terminated, may hold NULs */
			size_t	 len;
		} str;
		struct val_list	*list;
		struct val_dict	*dict;
	} u;
};

struct val_list {
	size_t		 n;
	size_t		 alloc;
	struct value	**items;
};

struct val_entry {
	struct value	*key;		/* almost always a string */
	struct value	*val;
	uint32_t	 hash;
};

struct val_dict {
	size_t		 n;
	size_t		 alloc;
	struct val_entry *ent;		/* insertion order */
	uint32_t	*index;		/* open addressing, slot = entry + 1 */
	size_t		 index_cap;	/* 0 while small: linear search */
};

/* Shared constants; never modify them. */
extern struct value val_none, val_true, val_false;

struct value	*val_new(struct arena *, enum val_type);
struct value	*val_new_bool(struct arena *, bool);
struct value	*val_new_int(struct arena *, int64_t);
struct value	*val_new_float(struct arena *, double);
struct value	*val_new_str(struct arena *, const char *);	/* copies */
struct value	*val_new_strn(struct arena *, const char *, size_t);
struct value	*val_new_strf(struct arena *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
struct value	*val_new_list(struct arena *);
struct value	*val_new_dict(struct arena *);
static inline struct value *
val_bool(bool b)
{
	return b ? &val_true : &val_false;
}

bool		 val_is_str(const struct value *, const char *);
size_t		 val_len(const struct value *);	/* str, list, dict; else 0 */

void		 val_list_push(struct arena *, struct value *list,
		    struct value *item);
struct value	*val_list_get(const struct value *list, size_t i);

/* Set (replace in place, keeping the order) or add a key. */
void		 val_dict_set(struct arena *, struct value *dict,
		    const char *key, struct value *val);
void		 val_dict_setn(struct arena *, struct value *dict,
		    const char *key, size_t keylen, struct value *val);
void		 val_dict_setv(struct arena *, struct value *dict,
		    struct value *key, struct value *val);
struct value	*val_dict_get(const struct value *dict, const char *key);
struct value	*val_dict_getn(const struct value *dict, const char *key,
		    size_t keylen);
struct value	*val_dict_getv(const struct value *dict,
		    const struct value *key);
/* Remove a key (keeps the order of the rest); returns 0 or -1 if absent. */
int		 val_dict_del(struct value *dict, const char *key);

bool		 val_truthy(const struct value *);
bool		 val_equal(const struct value *, const struct value *);
/*
 * Python's ordering (<): numbers with numbers, strings with strings, lists
 * element-wise.  Returns 0 and sets *cmp to -1/0/1, or -1 with an error if
 * the types cannot be ordered.
 */
int		 val_compare(const struct value *, const struct value *,
		    int *cmp, struct err *);
bool		 val_is_number(const struct value *);	/* int, float, bool */
double		 val_as_double(const struct value *);
uint32_t	 val_hash(const struct value *);

struct value	*val_copy(struct arena *, const struct value *);	/* deep */
const char	*val_type_name(const struct value *);	/* Python's names */

/* Python's repr() and str(). */
void		 val_repr(struct strbuf *, const struct value *);
void		 val_str(struct strbuf *, const struct value *);
/* repr() of a float as Python prints it (shortest round trip). */
void		 val_float_repr(struct strbuf *, double);
/* Python's repr() of a string, quotes included. */
void		 val_str_repr(struct strbuf *, const char *, size_t);

#endif
