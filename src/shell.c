#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"
#include "util.h"

static int
is_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("_@%+=:,./-", c) != NULL;
}

void
sh_quoten(struct strbuf *sb, const char *s, size_t n)
{
	size_t i;

	if (n == 0) {
		sb_adds(sb, "''");
		return;
	}
	for (i = 0; i < n; i++)
		if (s[i] == '\0' || !is_safe((unsigned char)s[i]))
			break;
	if (i == n) {
		sb_add(sb, s, n);
		return;
	}
	sb_addch(sb, '\'');
	for (i = 0; i < n; i++) {
		if (s[i] == '\'')
			sb_adds(sb, "'\"'\"'");
		else
			sb_addch(sb, s[i]);
	}
	sb_addch(sb, '\'');
}

void
sh_quote(struct strbuf *sb, const char *s)
{
	sh_quoten(sb, s, strlen(s));
}

void
sh_join(struct strbuf *sb, const char *const *argv)
{
	size_t i;

	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			sb_addch(sb, ' ');
		sh_quote(sb, argv[i]);
	}
}

void
sh_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* POSIX-mode shlex: quotes, backslash escapes, whitespace splits. */
char **
sh_split(const char *s, const char **errmsg)
{
	struct strbuf word = STRBUF_INIT;
	char **argv = NULL;
	size_t n = 0, alloc = 0;
	int inword = 0;

	for (;;) {
		char c = *s;

		if (c == '\0' || c == ' ' || c == '\t' || c == '\n' ||
		    c == '\r') {
			if (inword) {
				argv = xgrow(argv, n + 2, &alloc,
				    sizeof(*argv));
				argv[n++] = sb_detach(&word, NULL);
				inword = 0;
			}
			if (c == '\0')
				break;
			s++;
			continue;
		}
		inword = 1;
		if (c == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (end == NULL)
				goto unbalanced;
			sb_add(&word, s + 1, (size_t)(end - s - 1));
			s = end + 1;
		} else if (c == '"') {
			s++;
			while (*s != '"') {
				if (*s == '\0')
					goto unbalanced;
				if (*s == '\\' && (s[1] == '"' ||
				    s[1] == '\\' || s[1] == '$' ||
				    s[1] == '`' || s[1] == '\n')) {
					sb_addch(&word, s[1]);
					s += 2;
					continue;
				}
				sb_addch(&word, *s++);
			}
			s++;
		} else if (c == '\\') {
			if (s[1] == '\0')
				goto unbalanced;
			if (s[1] != '\n')
				sb_addch(&word, s[1]);
			s += 2;
		} else {
			sb_addch(&word, c);
			s++;
		}
	}
	argv = xgrow(argv, n + 1, &alloc, sizeof(*argv));
	argv[n] = NULL;
	return argv;
unbalanced:
	sb_release(&word);
	if (argv != NULL) {
		argv[n] = NULL;
		sh_argv_free(argv);
	}
	if (errmsg != NULL)
		*errmsg = "No closing quotation";
	return NULL;
}

/*
 * A path as the right side of a shell assignment: a leading ~ or ~user
 * stays bare so the target's shell expands it (Python's expanduser());
 * the rest is quoted.
 */
void
sh_quote_path(struct strbuf *sb, const char *path)
{
	const char *slash = strchr(path, '/'), *p;
	size_t n = slash != NULL ? (size_t)(slash - path) : strlen(path);

	if (path[0] == '~') {
		for (p = path + 1; p < path + n; p++)
			if (!isalnum((unsigned char)*p) && *p != '_' &&
			    *p != '-' && *p != '.')
				break;
		if (p == path + n) {
			sb_add(sb, path, n);
			if (slash != NULL) {
				sb_addch(sb, '/');
				if (slash[1] != '\0')
					sh_quote(sb, slash + 1);
			}
			return;
		}
	}
	sh_quote(sb, path);
}
