#include "tap.h"
#include "hostset.h"

static const char *
fold(struct strbuf *sb, const char *const *names, size_t n)
{
	sb_reset(sb);
	hostset_fold(sb, names, n);
	return sb->buf;
}

int
main(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *a[] = { "h3", "h1", "h2", "h5", "web", "h10" };
	const char *b[] = { "node01", "node02", "node10", "node03" };
	const char *c[] = { "h1" };
	const char *d[] = { "db1.example.com", "db2.example.com" };
	const char *names[100];
	char buf[100][8];
	int i;

	is_str(fold(&sb, a, 6), "h[1-3,5,10],web", "ranges and a plain name");
	is_str(fold(&sb, b, 4), "node[01-03,10]", "zero padding kept");
	is_str(fold(&sb, c, 1), "h1", "a single host is bare");
	is_str(fold(&sb, d, 2), "db1.example.com,db2.example.com",
	    "names with a suffix after the number stay apart");
	for (i = 0; i < 100; i++) {
		snprintf(buf[i], sizeof(buf[i]), "h%d", i + 1);
		names[i] = buf[i];
	}
	is_str(fold(&sb, names, 97), "h[1-97]", "h[1-97]");
	sb_release(&sb);
	return tap_done();
}
