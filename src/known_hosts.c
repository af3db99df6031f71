#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "known_hosts.h"
#include "strbuf.h"
#include "util.h"

/* The name known_hosts files use: "addr", or "[addr]:port". */
static char *
kh_hostname(ssh_session s)
{
	char *host = NULL;
	unsigned port = 22;
	char *name;

	ssh_options_get(s, SSH_OPTIONS_HOST, &host);
	ssh_options_get_port(s, &port);
	if (port == 22)
		name = xstrdup(host != NULL ? host : "");
	else
		name = xasprintf("[%s]:%u", host != NULL ? host : "", port);
	ssh_string_free_char(host);
	return name;
}

static char *
kh_file(ssh_session s)
{
	char *path = NULL, *copy;

	if (ssh_options_get(s, SSH_OPTIONS_KNOWNHOSTS, &path) == SSH_OK &&
	    path != NULL) {
		copy = xstrdup(path);
		ssh_string_free_char(path);
		return copy;
	}
	return xasprintf("%s/.ssh/known_hosts", getenv("HOME") ? getenv("HOME") :
	    "/root");
}

/* Does one comma-separated host field (or a hashed one) name `host`? */
static bool
field_matches(const char *field, size_t flen, const char *host)
{
	const char *p = field, *end = field + flen;

	if (flen > 3 && strncmp(field, "|1|", 3) == 0) {
		unsigned char salt[64], want[64], got[EVP_MAX_MD_SIZE];
		const char *bar = memchr(field + 3, '|', flen - 3);
		char b64[128];
		unsigned gotlen = 0;
		int sl, wl;

		if (bar == NULL || (size_t)(bar - field - 3) >= sizeof(b64) ||
		    (size_t)(end - bar - 1) >= sizeof(b64))
			return false;
		memcpy(b64, field + 3, (size_t)(bar - field - 3));
		b64[bar - field - 3] = '\0';
		sl = EVP_DecodeBlock(salt, (unsigned char *)b64,
		    (int)strlen(b64));
		memcpy(b64, bar + 1, (size_t)(end - bar - 1));
		b64[end - bar - 1] = '\0';
		wl = EVP_DecodeBlock(want, (unsigned char *)b64,
		    (int)strlen(b64));
		if (sl < 20 || wl < 20)
			return false;
		HMAC(EVP_sha1(), salt, 20, (const unsigned char *)host,
		    strlen(host), got, &gotlen);
		return gotlen == 20 && memcmp(got, want, 20) == 0;
	}
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n;

		if (comma == NULL)
			comma = end;
		n = (size_t)(comma - p);
		if (n == strlen(host) && strncmp(p, host, n) == 0)
			return true;
		p = comma + 1;
	}
	return false;
}

/* The first line of file that names host; 0 if none. */
static unsigned
find_line(const char *file, const char *host)
{
	char *buf, *line, *next;
	unsigned lineno = 0, found = 0;
	size_t len;

	if (read_file(file, &buf, &len) < 0)
		return 0;
	for (line = buf; line != NULL && *line != '\0' && !found; line = next) {
		const char *f = line;
		size_t flen;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		while (*f == ' ' || *f == '\t')
			f++;
		if (*f == '#' || *f == '\0' || *f == '@')
			continue;
		flen = strcspn(f, " \t");
		if (field_matches(f, flen, host))
			found = lineno;
	}
	free(buf);
	return found;
}

static int
append_key(ssh_session s, const char *file, const char *name, struct err *err)
{
	char *entry = NULL, *dir, *slash;
	size_t len;
	int fd, rc = -1;

	dir = xstrdup(file);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700);
	}
	free(dir);
	fd = open(file, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_set(err, NULL, "cannot open '%s' to add the key of '%s': "
		    "%s", file, name, strerror(errno));
		return -1;
	}
	/* Another connection may have added it while we waited. */
	flock(fd, LOCK_EX);
	if (ssh_session_is_known_server(s) == SSH_KNOWN_HOSTS_OK) {
		rc = 0;
		goto out;
	}
	if (ssh_session_export_known_hosts_entry(s, &entry) != SSH_OK) {
		err_set(err, NULL, "cannot export the host key of '%s'", name);
		goto out;
	}
	len = strlen(entry);
	if ((len == 0 || entry[len - 1] != '\n'))
		rc = (write(fd, entry, len) == (ssize_t)len &&
		    write(fd, "\n", 1) == 1) ? 0 : -1;
	else
		rc = write(fd, entry, len) == (ssize_t)len ? 0 : -1;
	if (rc < 0)
		err_set(err, NULL, "cannot add the key of '%s' to '%s': %s",
		    name, file, strerror(errno));
out:
	ssh_string_free_char(entry);
	flock(fd, LOCK_UN);
	close(fd);
	return rc;
}

int
kh_verify(ssh_session s, const char *name, bool accept_new, struct err *err)
{
	enum ssh_known_hosts_e st = ssh_session_is_known_server(s);
	char *host, *file;
	unsigned line;
	int rc = 0;

	if (st == SSH_KNOWN_HOSTS_OK)
		return 0;
	host = kh_hostname(s);
	file = kh_file(s);
	switch (st) {
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		line = find_line(file, host);
		rc = err_set(err, NULL, "host key for '%s' (%s) has CHANGED: "
		    "the key on record is at %s:%u; if the host was "
		    "reinstalled, remove that line (ssh-keygen -R '%s'), "
		    "else someone may be in the middle", name, host, file,
		    line, host);
		break;
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		if (accept_new)
			rc = append_key(s, file, name, err);
		else
			rc = err_set(err, NULL, "host key for '%s' (%s) is not "
			    "known: add it to %s or use --host-key-checking "
			    "accept-new", name, host, file);
		break;
	default:
		rc = err_set(err, NULL, "cannot check the host key of '%s' "
		    "(%s): %s", name, host, ssh_get_error(s));
		break;
	}
	free(host);
	free(file);
	return rc;
}
