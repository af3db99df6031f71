#include <stdlib.h>

#include "tap.h"
#include "shell.h"

static const char *
q(struct strbuf *sb, const char *s)
{
	sb_reset(sb);
	sh_quote(sb, s);
	return sb->buf;
}

int
main(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *emsg = NULL;
	char **argv;

	is_str(q(&sb, "abc/d-e.f:1@%+=,"), "abc/d-e.f:1@%+=,", "safe word bare");
	is_str(q(&sb, ""), "''", "empty word");
	is_str(q(&sb, "a b"), "'a b'", "space quoted");
	is_str(q(&sb, "it's"), "'it'\"'\"'s'", "quote as shlex.quote");
	is_str(q(&sb, "$(rm -rf /)"), "'$(rm -rf /)'", "no expansion");

	argv = sh_split("echo 'a b' \"c \\\"d\\\"\" e\\ f", &emsg);
	ok(argv != NULL && argv[0] && argv[1] && argv[2] && argv[3] &&
	    argv[4] == NULL, "shlex.split gives 4 words");
	if (argv != NULL && argv[3] != NULL) {
		is_str(argv[1], "a b", "single quotes");
		is_str(argv[2], "c \"d\"", "double quotes with escapes");
		is_str(argv[3], "e f", "backslash space");
	}
	sh_argv_free(argv);
	argv = sh_split("echo 'oops", &emsg);
	ok(argv == NULL && emsg != NULL, "unbalanced quote refused");
	sb_release(&sb);
	return tap_done();
}
