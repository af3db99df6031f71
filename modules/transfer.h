/*
 * transfer.h: what the transfer and network modules share (slurp, fetch,
 * script, wait_for, get_url, uri, copy, template; implemented in
 * transfer.c): remote paths with ~ left to the target, digests and base64
 * in C, Ansible's add_path_info(), the lookup of a controller file, and one
 * HTTP request made on the host with curl(1); and the arguments of every
 * module that writes a file (XFER_FILE_ARGS).
 *
 * Memory: results live in the task's arena (ctx->a); strbufs are the
 * caller's.
 */
#ifndef MUSTER_MODULES_TRANSFER_H
#define MUSTER_MODULES_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>

#include "module.h"

/*
 * Append a path for the right side of a shell assignment: a leading ~ or
 * ~user stays bare so the target's shell expands it (expanduser()).
 */
void		 xfer_path(struct strbuf *, const char *path);
/* The hex digest ("sha1", "md5", "sha256"...) of data; NULL if unknown. */
const char	*xfer_digest(struct arena *, const char *algo, const void *,
		    size_t);
/* Base64 (RFC 4648, no line breaks) of data. */
struct value	*xfer_base64(struct arena *, const void *, size_t);
/*
 * A shell fragment that prints "I uid gid user group mode size nlink type"
 * for the path in shell variable var when it exists (the lstat of
 * add_path_info()); xfer_path_info() reads that line into res.
 */
void		 xfer_path_info_sh(struct strbuf *, const char *var);
void		 xfer_path_info(struct task_ctx *, struct result *,
		    const char *out);
/* The loader's path_dwim(): ~ expanded, relative to the play's dir. */
const char	*xfer_dwim(struct task_ctx *, const char *path);
/*
 * _find_needle('files', name): an absolute path as is, else the play's
 * files/NAME then NAME beside it.  NULL when missing, with the places
 * searched appended to searched ("\n\t/a/files/x\n\t/a/x").
 */
const char	*xfer_find_file(struct task_ctx *, const char *name,
		    struct strbuf *searched);
/*
 * _find_needle(dirname, name) as the copy and template actions call it
 * (dirname "files" or "templates"): an absolute or ~ path as is, else the
 * play's DIRNAME/NAME (unless NAME starts with DIRNAME/) then NAME beside
 * it.  NULL when missing, with the places searched appended to searched.
 */
const char	*xfer_find_needle(struct task_ctx *, const char *dirname,
		    const char *name, struct strbuf *searched);
/* Ansible's message for a controller file that is not there. */
int		 xfer_not_found(struct task_ctx *, struct result *,
		    const char *name, const struct strbuf *searched);
/* The line after "TAG " in tagged output, or NULL; tag is one char. */
const char	*xfer_tagged(struct arena *, const char *out, char tag);

/* url_argument_spec()'s common arguments, for get_url and uri. */
#define XFER_URL_ARGS \
	{ .name = "force", .type = ARG_BOOL, .dflt = "false" }, \
	{ .name = "http_agent", .type = ARG_STR, .dflt = "ansible-httpget" }, \
	{ .name = "use_proxy", .type = ARG_BOOL, .dflt = "true" }, \
	{ .name = "validate_certs", .type = ARG_BOOL, .dflt = "true" }, \
	{ .name = "force_basic_auth", .type = ARG_BOOL, .dflt = "false" }, \
	{ .name = "client_cert", .type = ARG_PATH }, \
	{ .name = "client_key", .type = ARG_PATH }, \
	{ .name = "use_gssapi", .type = ARG_BOOL, .dflt = "false" }, \
	{ .name = "unredirected_headers", .type = ARG_LIST, \
	  .elem = ARG_STR }, \
	{ .name = "decompress", .type = ARG_BOOL, .dflt = "true" }, \
	{ .name = "ciphers", .type = ARG_LIST, .elem = ARG_STR }, \
	{ .name = "use_netrc", .type = ARG_BOOL, .dflt = "true" }

/*
 * add_file_common_args: mode, owner, group (SELinux ones accepted), for
 * every module that writes a file.
 */
#define XFER_FILE_ARGS \
	{ .name = "mode", .type = ARG_MODE }, \
	{ .name = "owner", .type = ARG_STR }, \
	{ .name = "group", .type = ARG_STR }, \
	{ .name = "seuser", .type = ARG_STR }, \
	{ .name = "serole", .type = ARG_STR }, \
	{ .name = "setype", .type = ARG_STR }, \
	{ .name = "selevel", .type = ARG_STR }, \
	{ .name = "attributes", .type = ARG_STR, \
	  .aliases = xfer_attr_aliases }, \
	{ .name = "unsafe_writes", .type = ARG_BOOL, .dflt = "false" }

extern const char *const xfer_attr_aliases[];

/* One HTTP request made on the host with curl (xfer_http_sh()). */
struct xfer_http {
	const char		*url;
	const char		*method;	/* "GET", "HEAD", ... */
	const struct value	*headers;	/* dict, or NULL */
	const char		*body;		/* or NULL: none */
	size_t			 body_len;
	const char		*user, *password;	/* or NULL */
	bool			 force_basic_auth;
	bool			 follow;	/* follow redirects */
	bool			 validate_certs;
	bool			 no_cache;	/* force: Cache-Control */
	const char		*if_modified;	/* shell var of a file */
	int			 timeout;	/* seconds */
	const char		*agent;		/* User-Agent */
};

/*
 * A request for url with method ("GET"...), its fields from the arguments
 * get_url and uri share: headers, url_username, url_password, timeout and
 * url_argument_spec()'s force_basic_auth, validate_certs and http_agent.
 * The rest (body, follow, no_cache, if_modified) is zero.
 */
void		 xfer_http_init(struct xfer_http *, const struct value *args,
		    const char *url, const char *method);

/* What came back (xfer_http_parse()). */
struct xfer_resp {
	int			 curl_rc;
	int			 status;	/* -1: no HTTP response */
	const char		*url;		/* after redirects */
	const char		*reason;	/* the status line's phrase */
	const char		*error;		/* curl's complaint, or NULL */
	struct value		*headers;	/* dict, keys lower-cased */
	const char		*body;		/* when asked for */
	size_t			 body_len;
	const char		*sha1;		/* of the body file, or NULL */
	const char		*tmp;		/* the body's temporary file */
};

/*
 * Append to cmd a shell fragment that makes the request with the body
 * saved in a new temporary file in directory tmpdir_sh (shell text, e.g.
 * "\"$d\"", or NULL for /tmp), and prints "X rc", "W status url" and the
 * curl error, the last response's header block (each section prefixed by
 * its length), "T tmpfile", "S sha1" and, when print_body, the body.  The
 * request's secrets and body go in *cfg, a curl config fed on stdin.
 */
void		 xfer_http_sh(struct strbuf *cmd, struct strbuf *cfg,
		    const struct xfer_http *, const char *tmpdir_sh,
		    bool print_body);
/*
 * Run cmd on the host with the curl config cfg on its stdin, and release
 * both.  0 with cr filled (the caller releases it), or -1 when the host is
 * unreachable.
 */
int		 xfer_http_run(struct task_ctx *, struct strbuf *cmd,
		    struct strbuf *cfg, struct conn_result *cr, struct err *);
/*
 * Parse what xfer_http_sh() printed, from its first line at or after *pos
 * of out (lines before it are skipped); *pos is left after it.  0, or -1
 * when the output is not what it printed.
 */
int		 xfer_http_parse(struct task_ctx *, const struct strbuf *out,
		    size_t *pos, struct xfer_resp *);
/*
 * Append to cmd a shell fragment that sets D to dest and TD to where a
 * download for it goes first: dest when it is a directory (printing
 * "K dir"), else dest's directory, else /tmp.
 */
void		 xfer_dest_sh(struct strbuf *cmd, const char *dest);
/* dir/name, or dir + name when dir ends with a slash. */
const char	*xfer_join(struct arena *, const char *dir, const char *name);
/* Append to cmd the setting of F to path and t to tmp, for xfer_commit_sh(). */
void		 xfer_commit_vars_sh(struct strbuf *cmd, const char *path,
		    const char *tmp);
/*
 * Append to cmd the move of the downloaded file (shell var t) over the
 * file in var F when their contents differ: into F's directory first (so
 * the rename is atomic), F's mode and owner kept (a new file gets 0666
 * less the umask), a backup first when asked.  Prints "C sha1" of the old
 * F, "M moved" (or in check mode "M would"), "K backup".
 */
void		 xfer_commit_sh(struct strbuf *cmd, bool backup, bool check);
/*
 * set_fs_attributes_if_different(): the mode, owner and group of args
 * applied to path by the file module; *changed set when they changed.
 * 0 (res->failed set on failure), or -1 when the host is unreachable.
 */
int		 xfer_attrs(struct task_ctx *, const struct value *args,
		    const char *path, bool *changed, struct result *,
		    struct err *);
/* fetch_url()'s msg: "OK (N bytes)", "HTTP Error 404: Not Found", ... */
const char	*xfer_http_msg(struct task_ctx *, const struct xfer_resp *);

#endif
