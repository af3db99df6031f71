#include "tap.h"
#include "module.h"

int
main(void)
{
	struct arena a = ARENA_INIT;
	struct err e = ERR_INIT;
	const struct module *cmd = mod_find("ansible.builtin.command");
	const struct module *ping = mod_find("ping");
	struct value *kv, *checked, *args;
	struct pos p = { "site.yml", 12, 5 };

	ok(cmd != NULL && ping != NULL, "modules found, with the prefix");
	kv = mod_parse_kv(&a, cmd, "echo a=b chdir=/tmp 'x y'", &p, &e);
	ok(kv != NULL, "parse free form");
	is_str(arg_str(kv, "_raw_params"), "echo a=b 'x y'",
	    "unknown k=v stay in the raw params");
	is_str(arg_str(kv, "chdir"), "/tmp", "chdir taken out");

	kv = mod_parse_kv(&a, ping, "data=\"hello world\"", &p, &e);
	is_str(arg_str(kv, "data"), "hello world", "quoted value unquoted");
	checked = mod_check_args(&a, ping, kv, &e);
	ok(checked != NULL, "ping args valid");

	args = val_new_dict(&a);
	val_dict_set(&a, args, "dta", val_new_str(&a, "x"));
	val_dict_get(args, "dta")->pos = p;
	args->u.dict->ent[0].key->pos = p;
	err_init(&e);
	ok(mod_check_args(&a, ping, args, &e) == NULL, "unknown arg refused");
	{
		char buf[512];

		is_str(err_format(&e, buf, sizeof(buf)),
		    "site.yml:12:5: unknown argument 'dta' for module 'ping' "
		    "(did you mean 'data'?)", "message names file, line, "
		    "column and the likely argument");
	}
	args = val_new_dict(&a);
	val_dict_set(&a, args, "_raw_params", val_new_str(&a, "ls"));
	val_dict_set(&a, args, "stdin_add_newline", val_new_str(&a, "maybe"));
	err_init(&e);
	ok(mod_check_args(&a, cmd, args, &e) == NULL &&
	    strstr(e.msg, "not a valid boolean") != NULL, "bad bool refused");
	args = val_new_dict(&a);
	val_dict_set(&a, args, "_raw_params", val_new_str(&a, "ls"));
	val_dict_set(&a, args, "stdin_add_newline", val_new_str(&a, "no"));
	checked = mod_check_args(&a, cmd, args, &e);
	ok(checked != NULL && !arg_bool(checked, "stdin_add_newline") &&
	    arg_bool(checked, "strip_empty_ends"),
	    "'no' is false and defaults are filled");
	arena_release(&a);
	return tap_done();
}
