#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "filecache.h"
#include "util.h"

struct entry {
	struct entry	*next;
	char		*path;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	struct cfile	 f;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *entries;

static void
hex_digest(const EVP_MD *md, const void *data, size_t len, char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(data, len, d, &n, md, NULL);
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static bool
same(const struct entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino &&
	    e->size == st->st_size &&
	    e->mtime.tv_sec == st->st_mtim.tv_sec &&
	    e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

const struct cfile *
fcache_get(const char *path)
{
	struct entry *e;
	struct stat st;
	char *buf;
	size_t n;

	if (stat(path, &st) < 0)
		return NULL;
	pthread_mutex_lock(&lock);
	for (e = entries; e != NULL; e = e->next)
		if (strcmp(e->path, path) == 0 && same(e, &st))
			break;
	if (e == NULL) {
		if (read_file(path, &buf, &n) < 0) {
			int saved = errno;

			pthread_mutex_unlock(&lock);
			errno = saved;
			return NULL;
		}
		e = xcalloc(1, sizeof(*e));
		e->path = xstrdup(path);
		/* what was read is what the stat said, or the next use rereads */
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		e->size = (off_t)n == st.st_size ? st.st_size : -1;
		e->mtime = st.st_mtim;
		e->f.data = buf;
		e->f.len = n;
		hex_digest(EVP_sha1(), buf, n, e->f.sha1);
		hex_digest(EVP_md5(), buf, n, e->f.md5);
		e->next = entries;
		entries = e;
	}
	pthread_mutex_unlock(&lock);
	return &e->f;
}
