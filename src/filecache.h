/*
 * filecache.h: controller files read once per run.  A copy of one file to
 * 100 hosts used to read it, copy it and hash it (SHA-1 and MD5) 100
 * times; now the first host's task reads and hashes it, the others share
 * that immutable copy.  An entry is checked against the file's stat
 * (device, inode, size, mtime) on every use, so a file that changes during
 * the run (written by a local task) is read again.  Thread-safe; entries
 * live until the process ends.
 */
#ifndef MUSTER_FILECACHE_H
#define MUSTER_FILECACHE_H

#include <stddef.h>

struct cfile {
	const char	*data;		/* NUL-terminated, len bytes before it */
	size_t		 len;
	char		 sha1[41];	/* hex digests */
	char		 md5[33];
};

/* The file's cached contents, or NULL with errno set. */
const struct cfile *fcache_get(const char *path);

#endif
