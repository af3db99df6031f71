#include <math.h>

#include "tap.h"
#include "json.h"
#include "value.h"

static const char *
repr(struct strbuf *sb, const struct value *v)
{
	sb_reset(sb);
	val_repr(sb, v);
	return sb->buf;
}

static const char *
frepr(struct strbuf *sb, double f)
{
	sb_reset(sb);
	val_float_repr(sb, f);
	return sb->buf;
}

int
main(void)
{
	struct arena a = ARENA_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct value *d, *l, *v;
	struct json_opts nice = { 4, true, true };
	char key[32];
	int i, cmp;

	d = val_new_dict(&a);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		val_dict_set(&a, d, key, val_new_int(&a, i));
	}
	ok(val_len(d) == 1000, "dict holds 1000 keys");
	v = val_dict_get(d, "k777");
	ok(v != NULL && v->u.i == 777, "hash lookup finds k777");
	val_dict_set(&a, d, "k3", val_new_str(&a, "x"));
	ok(val_len(d) == 1000 && val_is_str(val_dict_get(d, "k3"), "x"),
	    "set replaces in place");
	ok(val_is_str(d->u.dict->ent[3].val, "x"), "replace keeps the order");
	ok(val_dict_del(d, "k0") == 0 && val_dict_get(d, "k0") == NULL &&
	    val_dict_get(d, "k999") != NULL && val_len(d) == 999,
	    "delete keeps the others reachable");

	l = val_new_list(&a);
	val_list_push(&a, l, val_new_str(&a, "a"));
	val_list_push(&a, l, val_new_str(&a, "it's"));
	val_list_push(&a, l, &val_true);
	val_list_push(&a, l, &val_none);
	val_list_push(&a, l, val_new_float(&a, 1.0));
	is_str(repr(&sb, l), "['a', \"it's\", True, None, 1.0]",
	    "repr of a list as Python prints it");
	is_str(frepr(&sb, 0.1), "0.1", "repr 0.1");
	is_str(frepr(&sb, 1e16), "1e+16", "repr 1e16");
	is_str(frepr(&sb, 123456789012345.0), "123456789012345.0",
	    "repr large integral float");
	is_str(frepr(&sb, 1e-5), "1e-05", "repr 1e-5");
	is_str(frepr(&sb, 0.0001), "0.0001", "repr 0.0001");
	is_str(frepr(&sb, -2.5), "-2.5", "repr -2.5");
	is_str(frepr(&sb, 1.0 / 3), "0.3333333333333333", "repr 1/3");
	is_str(frepr(&sb, INFINITY), "inf", "repr inf");

	ok(val_equal(val_new_int(&a, 1), val_new_float(&a, 1.0)), "1 == 1.0");
	ok(val_equal(&val_true, val_new_int(&a, 1)), "True == 1");
	ok(!val_equal(val_new_str(&a, "1"), val_new_int(&a, 1)), "'1' != 1");
	ok(val_compare(val_new_str(&a, "a"), val_new_str(&a, "b"), &cmp,
	    NULL) == 0 && cmp < 0, "'a' < 'b'");
	{
		struct err e = ERR_INIT;

		ok(val_compare(val_new_str(&a, "a"), val_new_int(&a, 1), &cmp,
		    &e) < 0 && strstr(e.msg, "'str' and 'int'") != NULL,
		    "str < int is an error");
	}
	ok(!val_truthy(val_new_str(&a, "")) && val_truthy(l), "truthiness");

	v = val_new_dict(&a);
	val_dict_set(&a, v, "b", val_new_list(&a));
	val_dict_set(&a, v, "a", val_new_str(&a, "h\xc3\xa9\"\n"));
	sb_reset(&sb);
	json_encode(&sb, v, NULL);
	is_str(sb.buf, "{\"b\": [], \"a\": \"h\\u00e9\\\"\\n\"}",
	    "json.dumps default");
	sb_reset(&sb);
	json_encode(&sb, v, &nice);
	is_str(sb.buf, "{\n    \"a\": \"h\\u00e9\\\"\\n\",\n    \"b\": []\n}",
	    "json.dumps indent=4 sort_keys");
	v = val_copy(&a, l);
	ok(v != l && val_equal(v, l), "deep copy is equal");

	sb_release(&sb);
	arena_release(&a);
	return tap_done();
}
