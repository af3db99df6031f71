/*
 * conn_driver: exercise conn_put/conn_get/conn_stat on one host, for the
 * lab tests.  conn_driver HOST ADDRESS KEY KNOWN_HOSTS USER BECOME PATH
 * writes "v1\n" then "v2\n" to PATH (mode 0640 the first time, kept the
 * second), reads it back and prints the stat.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"

int
main(int argc, char **argv)
{
	struct conn_opts o = { 0 };
	struct become b = { 0 };
	struct err err = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct conn_stat st;
	struct conn *c;
	const char *path;

	if (argc != 8) {
		fprintf(stderr, "usage: conn_driver HOST ADDRESS KEY "
		    "KNOWN_HOSTS USER BECOME PATH\n");
		return 2;
	}
	conn_global_init();
	o.name = argv[1];
	o.address = argv[2];
	o.identity_file = argv[3];
	o.known_hosts = argv[4];
	o.user = argv[5];
	b.enabled = strcmp(argv[6], "yes") == 0;
	path = argv[7];
	c = conn_new(&o);
	if (conn_put(c, path, "v1\n", 3, 0640, &b, &err) < 0 ||
	    conn_stat(c, path, &st, &b, &err) < 0)
		goto fail;
	printf("first: mode %04o size %lld uid %u\n", (unsigned)st.mode,
	    (long long)st.size, (unsigned)st.uid);
	if (conn_put(c, path, "v2\n", 3, -1, &b, &err) < 0 ||
	    conn_get(c, path, &sb, 1024, &b, &err) < 0 ||
	    conn_stat(c, path, &st, &b, &err) < 0)
		goto fail;
	printf("second: mode %04o content %s", (unsigned)st.mode, sb.buf);
	if (conn_stat(c, "/nonexistent/x", &st, &b, &err) < 0)
		goto fail;
	printf("missing: exists %d\n", st.exists);
	if (conn_get(c, path, &sb, 2, &b, &err) == 0)
		printf("cap: not enforced\n");
	else
		printf("cap: %s\n", err.msg);
	sb_release(&sb);
	conn_free(c);
	return 0;
fail:
	fprintf(stderr, "error: %s\n", err.msg);
	conn_free(c);
	return 1;
}
