/*
 * shell.h: the one way to build a remote command line.  Every word that
 * reaches a remote shell goes through sh_quote(); nothing pastes strings into
 * a command line by hand.  Output is appended to a caller-owned strbuf.
 */
#ifndef MUSTER_SHELL_H
#define MUSTER_SHELL_H

#include "strbuf.h"

/* Python's shlex.quote(): bare if safe, else '...' with '"'"' for quotes. */
void	sh_quote(struct strbuf *, const char *);
void	sh_quoten(struct strbuf *, const char *, size_t);
/*
 * A path as the right side of a shell assignment: a leading ~ or ~user
 * stays bare so the target's shell expands it (Python's expanduser()),
 * the rest quoted.
 */
void	sh_quote_path(struct strbuf *, const char *path);
/* Quote each word of a NULL-terminated argv, separated by spaces. */
void	sh_join(struct strbuf *, const char *const *argv);
/*
 * Split a command line the way Python's shlex.split() does (what Ansible's
 * command module does with a free-form string).  Returns a NULL-terminated
 * malloc'd argv (free each word, then the array), or NULL with a message in
 * *errmsg (static) on unbalanced quotes.
 */
char	**sh_split(const char *, const char **errmsg);
void	 sh_argv_free(char **);

#endif
