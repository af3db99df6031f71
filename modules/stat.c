/*
 * stat: what a path is, as Ansible 2.14's stat module reports it (keys,
 * types and quirks of modules/stat.py), read with one command: stat(1),
 * test -r/-w/-x, readlink/realpath, a checksum tool, file(1) for the MIME
 * type and lsattr(1) for attributes when they are installed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "module.h"
#include "shell.h"

static const char *const path_aliases[] = { "dest", "name", NULL };
static const char *const mime_aliases[] = { "mime", "mime_type", "mime-type",
	NULL };
static const char *const attr_aliases[] = { "attr", "attributes", NULL };
static const char *const algo_aliases[] = { "checksum", "checksum_algo",
	NULL };
static const char *const algo_choices[] = { "md5", "sha1", "sha224",
	"sha256", "sha384", "sha512", NULL };

static const struct arg_spec stat_args[] = {
	{ .name = "path", .type = ARG_PATH, .flags = ARG_REQUIRED,
	  .aliases = path_aliases },
	{ .name = "follow", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "get_md5", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "get_checksum", .type = ARG_BOOL, .dflt = "true" },
	{ .name = "get_mime", .type = ARG_BOOL, .dflt = "true",
	  .aliases = mime_aliases },
	{ .name = "get_attributes", .type = ARG_BOOL, .dflt = "true",
	  .aliases = attr_aliases },
	{ .name = "checksum_algorithm", .type = ARG_STR, .dflt = "sha1",
	  .choices = algo_choices, .aliases = algo_aliases },
	{ .name = NULL },
};

/* FILE_ATTRIBUTES of module_utils/common/file.py: lsattr flag -> name. */
static const struct {
	char		 flag;
	const char	*name;
} attr_names[] = {
	{ 'A', "noatime" }, { 'a', "append" }, { 'c', "compressed" },
	{ 'C', "nocow" }, { 'd', "nodump" }, { 'D', "dirsync" },
	{ 'e', "extents" }, { 'E', "encrypted" }, { 'h', "blocksize" },
	{ 'i', "immutable" }, { 'I', "indexed" }, { 'j', "journalled" },
	{ 'N', "inline" }, { 's', "zero" }, { 'S', "synchronous" },
	{ 't', "notail" }, { 'T', "blockroot" }, { 'u', "undelete" },
	{ 'X', "compressedraw" }, { 'Z', "compresseddirty" },
};


/*
 * Output: "P path", then "M" (missing) or "S <stat>", "r"/"w"/"x" lines,
 * "K"/"R" for a link, "C"/"5" checksums, "T" file(1)'s answer, "A" lsattr's.
 */
static void
build_script(struct strbuf *sb, const struct value *args)
{
	bool follow = arg_bool(args, "follow");
	const char *algo = arg_str(args, "checksum_algorithm");
	const char *L = follow ? "-L " : "";

	sb_adds(sb, "p=");
	sh_quote_path(sb, arg_str(args, "path"));
	sb_adds(sb, "\nprintf 'P %s\\n' \"$p\"\n");
	/* os.stat()/os.lstat() failing with ENOENT: exists false */
	sb_addf(sb, "if ! [ -e \"$p\" ] && { %s! [ -L \"$p\" ]; }; then "
	    "echo M; exit 0; fi\n", follow ? "true || " : "");
	sb_addf(sb, "stat %s-c 'S %%f %%u %%g %%s %%i %%d %%h %%.9X %%.9Y "
	    "%%.9Z %%b %%o %%t %%T %%U %%G' -- \"$p\" || exit 1\n", L);
	sb_adds(sb, "[ -r \"$p\" ] && echo r; [ -w \"$p\" ] && echo w; "
	    "[ -x \"$p\" ] && echo x\n");
	if (!follow)
		sb_adds(sb, "if [ -L \"$p\" ]; then printf 'K %s\\nR %s\\n' "
		    "\"$(readlink -- \"$p\")\" \"$(realpath -m -- \"$p\")\"; "
		    "fi\n");
	/* checksums of a readable regular file (not a link unless followed) */
	sb_addf(sb, "if %s[ -f \"$p\" ] && [ -r \"$p\" ]; then :\n",
	    follow ? "" : "! [ -L \"$p\" ] && ");
	if (arg_bool(args, "get_md5"))
		sb_adds(sb, "printf '5 %s\\n' \"$(md5sum < \"$p\")\"\n");
	if (arg_bool(args, "get_checksum"))
		sb_addf(sb, "printf 'C %%s\\n' \"$(%ssum < \"$p\")\"\n", algo);
	sb_adds(sb, "fi\n");
	if (arg_bool(args, "get_mime"))
		sb_adds(sb, "if command -v file >/dev/null 2>&1 && "
		    "o=$(file --mime-type --mime-encoding -- \"$p\" "
		    "2>/dev/null); then printf 'T %s\\n' \"$o\"; fi\n");
	if (arg_bool(args, "get_attributes"))
		sb_adds(sb, "if command -v lsattr >/dev/null 2>&1 && "
		    "o=$(lsattr -vd -- \"$p\" 2>/dev/null); then "
		    "printf 'A %s\\n' \"$o\"; fi\n");
	sb_adds(sb, "exit 0\n");
}

static double
parse_time(const char **pp)
{
	char *end;
	long long sec = strtoll(*pp, &end, 10);
	long nsec = 0;
	int digits = 0;
	const char *p = end;

	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			if (digits < 9) {
				nsec = nsec * 10 + (*p - '0');
				digits++;
			}
	while (digits++ < 9)
		nsec *= 10;
	*pp = p;
	/* CPython's st_mtime: sec + nsec * 1e-9 */
	return (double)sec + (double)nsec * 1e-9;
}

static void
put(struct task_ctx *ctx, struct value *d, const char *k, struct value *v)
{
	val_dict_set(ctx->a, d, k, v);
}

static void
put_bool(struct task_ctx *ctx, struct value *d, const char *k, bool b)
{
	put(ctx, d, k, val_bool(b));
}

static void
put_int(struct task_ctx *ctx, struct value *d, const char *k, int64_t i)
{
	put(ctx, d, k, val_new_int(ctx->a, i));
}

/* stat.py's format_output() from the "S" line. */
static int
format_output(struct task_ctx *ctx, struct value *st, const char *path,
    const char *s)
{
	unsigned long raw, uid, gid, ino, dev, nlink, blocks, blksize, maj, mn;
	long long size;
	double at, mt, ct;
	int used = 0;
	unsigned m;

	if (sscanf(s, "%lx %lu %lu %lld %lu %lu %lu %n", &raw, &uid, &gid,
	    &size, &ino, &dev, &nlink, &used) < 7)
		return -1;
	s += used;
	at = parse_time(&s);
	mt = parse_time(&s);
	ct = parse_time(&s);
	if (sscanf(s, " %lu %lu %lx %lx", &blocks, &blksize, &maj, &mn) < 4)
		return -1;
	m = (unsigned)raw;
	put_bool(ctx, st, "exists", true);
	put(ctx, st, "path", val_new_str(ctx->a, path));
	put(ctx, st, "mode", val_new_strf(ctx->a, "%04o", m & 07777));
	put_bool(ctx, st, "isdir", S_ISDIR(m));
	put_bool(ctx, st, "ischr", S_ISCHR(m));
	put_bool(ctx, st, "isblk", S_ISBLK(m));
	put_bool(ctx, st, "isreg", S_ISREG(m));
	put_bool(ctx, st, "isfifo", S_ISFIFO(m));
	put_bool(ctx, st, "islnk", S_ISLNK(m));
	put_bool(ctx, st, "issock", S_ISSOCK(m));
	put_int(ctx, st, "uid", (int64_t)uid);
	put_int(ctx, st, "gid", (int64_t)gid);
	put_int(ctx, st, "size", size);
	put_int(ctx, st, "inode", (int64_t)ino);
	put_int(ctx, st, "dev", (int64_t)dev);
	put_int(ctx, st, "nlink", (int64_t)nlink);
	put(ctx, st, "atime", val_new_float(ctx->a, at));
	put(ctx, st, "mtime", val_new_float(ctx->a, mt));
	put(ctx, st, "ctime", val_new_float(ctx->a, ct));
	put_bool(ctx, st, "wusr", m & S_IWUSR);
	put_bool(ctx, st, "rusr", m & S_IRUSR);
	put_bool(ctx, st, "xusr", m & S_IXUSR);
	put_bool(ctx, st, "wgrp", m & S_IWGRP);
	put_bool(ctx, st, "rgrp", m & S_IRGRP);
	put_bool(ctx, st, "xgrp", m & S_IXGRP);
	put_bool(ctx, st, "woth", m & S_IWOTH);
	put_bool(ctx, st, "roth", m & S_IROTH);
	put_bool(ctx, st, "xoth", m & S_IXOTH);
	put_bool(ctx, st, "isuid", m & S_ISUID);
	put_bool(ctx, st, "isgid", m & S_ISGID);
	put_int(ctx, st, "blocks", (int64_t)blocks);
	put_int(ctx, st, "block_size", (int64_t)blksize);
	put_int(ctx, st, "device_type", (int64_t)makedev(maj, mn));
	return 0;
}

static const char *
word_before(const char *start, const char *end, size_t *len)
{
	const char *p = end;

	while (p > start && p[-1] != ' ')
		p--;
	*len = (size_t)(end - p);
	return p;
}

/* The last two words of the "S" line ("UNKNOWN": no such id). */
static void
put_owner_names(struct task_ctx *ctx, struct value *st, const char *line)
{
	const char *end = line + strlen(line), *g, *u;
	size_t gl, ul;

	g = word_before(line, end, &gl);
	if (g <= line)
		return;
	u = word_before(line, g - 1, &ul);
	if (!(ul == 7 && memcmp(u, "UNKNOWN", 7) == 0))
		put(ctx, st, "pw_name", val_new_strn(ctx->a, u, ul));
	if (!(gl == 7 && memcmp(g, "UNKNOWN", 7) == 0))
		put(ctx, st, "gr_name", val_new_strn(ctx->a, g, gl));
}

/* The first word of a checksum tool's "hash  -". */
static struct value *
first_word(struct task_ctx *ctx, const char *s)
{
	size_t n = strcspn(s, " ");

	return val_new_strn(ctx->a, s, n);
}

/* stat.py: out.rsplit(':', 1)[1].split(';'), else 'unknown'. */
static void
put_mime(struct task_ctx *ctx, struct value *st, const char *out)
{
	const char *colon, *semi, *eq, *a, *b;
	size_t n;

	put(ctx, st, "mimetype", val_new_str(ctx->a, "unknown"));
	put(ctx, st, "charset", val_new_str(ctx->a, "unknown"));
	if (out == NULL || (colon = strrchr(out, ':')) == NULL)
		return;
	semi = strchr(colon + 1, ';');
	if (semi == NULL || strchr(semi + 1, ';') != NULL)
		return;
	eq = strchr(semi + 1, '=');
	if (eq == NULL)
		return;
	/* mimetype.strip(), charset.split('=')[1].strip() */
	for (a = colon + 1; a < semi && isspace((unsigned char)*a); a++)
		;
	for (b = semi; b > a && isspace((unsigned char)b[-1]); b--)
		;
	put(ctx, st, "mimetype", val_new_strn(ctx->a, a, (size_t)(b - a)));
	a = eq + 1;
	n = strcspn(a, "=");
	while (n > 0 && isspace((unsigned char)*a)) {
		a++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)a[n - 1]))
		n--;
	put(ctx, st, "charset", val_new_strn(ctx->a, a, n));
}

/* basic.py's get_file_attributes() from "version flags path". */
static void
put_attrs(struct task_ctx *ctx, struct value *st, const char *out)
{
	struct value *names = val_new_list(ctx->a);
	struct strbuf flags = STRBUF_INIT;
	const char *p, *sp;

	put(ctx, st, "version", &val_none);
	put(ctx, st, "attributes", names);
	put(ctx, st, "attr_flags", val_new_str(ctx->a, ""));
	if (out == NULL || (sp = strchr(out, ' ')) == NULL)
		return;
	put(ctx, st, "version", val_new_strn(ctx->a, out, (size_t)(sp - out)));
	for (p = sp; *p == ' '; p++)
		;
	for (; *p != '\0' && *p != ' '; p++)
		if (*p != '-')
			sb_addch(&flags, *p);
	put(ctx, st, "attr_flags", val_new_strn(ctx->a, flags.buf,
	    flags.len));
	for (size_t i = 0; i < flags.len; i++)
		for (size_t j = 0; j < sizeof(attr_names) /
		    sizeof(attr_names[0]); j++)
			if (attr_names[j].flag == flags.buf[i])
				val_list_push(ctx->a, names, val_new_str(ctx->a,
				    attr_names[j].name));
	sb_release(&flags);
}

static int
stat_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct strbuf script = STRBUF_INIT;
	struct value *st = val_new_dict(ctx->a);
	struct conn_result cr;
	const char *path = NULL, *sline = NULL, *mime = NULL, *attrs = NULL;
	const char *p, *nl, *line;
	bool r = false, w = false, x = false, missing = false;
	struct value *lsrc = NULL, *ltgt = NULL, *sum = NULL, *md5 = NULL;
	int rc;

	build_script(&script, args);
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, script.buf, ctx->become, NULL, 0, &cr, err);
	sb_release(&script);
	if (rc < 0)
		goto out;
	for (p = cr.out.buf; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		line = arena_strndup(ctx->a, p, (size_t)(nl - p));
		if (line[0] == '\0' || (line[1] != ' ' && line[1] != '\0'))
			continue;
		switch (line[0]) {
		case 'P': path = line + 2; break;
		case 'M': missing = true; break;
		case 'S': sline = line + 2; break;
		case 'r': r = true; break;
		case 'w': w = true; break;
		case 'x': x = true; break;
		case 'K': ltgt = val_new_str(ctx->a, line + 2); break;
		case 'R': lsrc = val_new_str(ctx->a, line + 2); break;
		case 'C': sum = first_word(ctx, line + 2); break;
		case '5': md5 = first_word(ctx, line + 2); break;
		case 'T': mime = line + 2; break;
		case 'A': attrs = line + 2; break;
		}
	}
	if (missing) {
		put_bool(ctx, st, "exists", false);
		res_set(ctx, res, "stat", st);
		goto out;
	}
	if (cr.rc != 0 || path == NULL || sline == NULL ||
	    format_output(ctx, st, path, sline) < 0) {
		const char *colon;

		sb_rtrim(&cr.err);
		/* stat: cannot statx 'p': Permission denied -> e.strerror */
		colon = strrchr(cr.err.buf, ':');
		res_fail(ctx, res, "%s", colon != NULL ? colon + 2 :
		    cr.err.len > 0 ? cr.err.buf : "stat failed");
		goto out;
	}
	put_bool(ctx, st, "readable", r);
	put_bool(ctx, st, "writeable", w);
	put_bool(ctx, st, "executable", x);
	if (val_truthy(val_dict_get(st, "islnk"))) {
		put(ctx, st, "lnk_source", lsrc != NULL ? lsrc : &val_none);
		put(ctx, st, "lnk_target", ltgt != NULL ? ltgt : &val_none);
	}
	put_owner_names(ctx, st, sline);
	if (md5 != NULL)
		put(ctx, st, "md5", md5);
	if (sum != NULL)
		put(ctx, st, "checksum", sum);
	if (arg_bool(args, "get_mime"))
		put_mime(ctx, st, mime);
	if (arg_bool(args, "get_attributes"))
		put_attrs(ctx, st, attrs);
	res_set(ctx, res, "stat", st);
out:
	conn_result_release(&cr);
	return rc;
}

const struct module module_stat = {
	.name = "stat",
	.summary = "report what a path is: type, mode, owner, checksum",
	.args = stat_args,
	.flags = MODULE_CHECK_MODE,
	.run = stat_run,
};
