/*
 * blockinfile: insert, update or remove a block of lines between marker
 * lines (Ansible 2.14's blockinfile, decision for decision).  The file is
 * fetched once, edited here and written back only if it changed; the
 * shared txe_* helpers (textedit.h) live in lineinfile.c.
 */
#include <stdio.h>
#include <string.h>

#include "module.h"
#include "textedit.h"
#include "transfer.h"
#include "util.h"

static const char *const path_aliases[] = { "dest", "destfile", "name",
	NULL };
static const char *const block_aliases[] = { "content", NULL };
static const char *const state_choices[] = { "absent", "present", NULL };

static const struct arg_spec blockinfile_args[] = {
	{ .name = "path", .type = ARG_PATH, .flags = ARG_REQUIRED,
	    .aliases = path_aliases },
	{ .name = "state", .type = ARG_STR, .dflt = "present",
	    .choices = state_choices },
	{ .name = "marker", .type = ARG_STR,
	    .dflt = "# {mark} ANSIBLE MANAGED BLOCK" },
	{ .name = "block", .type = ARG_STR, .dflt = "",
	    .aliases = block_aliases },
	{ .name = "insertafter", .type = ARG_STR },
	{ .name = "insertbefore", .type = ARG_STR },
	{ .name = "create", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "backup", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "validate", .type = ARG_STR },
	{ .name = "marker_begin", .type = ARG_STR, .dflt = "BEGIN" },
	{ .name = "marker_end", .type = ARG_STR, .dflt = "END" },
	XFER_FILE_ARGS,
	{ .name = NULL },
};

/* A piece of the file: bytes.splitlines(True) keeps the ends. */
struct piece {
	const char	*s;
	size_t		 len;
};

/* Python's bytes.splitlines(True): lines end after \n, \r or \r\n. */
static struct piece *
split_lines(struct arena *a, const char *s, size_t n, size_t *count)
{
	struct piece *v = arena_alloc(a, (n + 1) * sizeof(*v));
	size_t i = 0, start = 0, k = 0;

	while (i < n) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			i += 2;
		else if (s[i] == '\n' || s[i] == '\r')
			i++;
		else {
			i++;
			if (i < n)
				continue;
		}
		v[k].s = s + start;
		v[k].len = i - start;
		k++;
		start = i;
	}
	*count = k;
	return v;
}

static bool
piece_is(const struct piece *p, const struct strbuf *sb)
{
	return p->len == sb->len && memcmp(p->s, sb->buf, sb->len) == 0;
}

/*
 * to_native(original).count('\n', 0, end): end counts characters of the
 * decoded text although the match gave a byte offset, as Ansible does.
 */
static size_t
count_nl_chars(const char *s, size_t n, size_t end)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, chars = 0, nl = 0;

	while (i < n && chars < end) {
		size_t need = u[i] >= 0xf0 && u[i] < 0xf5 ? 3 : u[i] >= 0xe0 &&
		    u[i] < 0xf0 ? 2 : u[i] >= 0xc2 && u[i] < 0xe0 ? 1 : 0;
		size_t k;

		if (u[i] == '\n')
			nl++;
		for (k = 1; k <= need; k++)
			if (i + k >= n || (u[i + k] & 0xc0) != 0x80)
				break;
		i += k <= need ? 1 : need + 1;
		chars++;
	}
	return nl;
}

/*
 * re.sub(b'{mark}', b(mark), marker) + os.linesep: six's b() encodes
 * mark in Latin-1, and re.sub() reads it as a template.
 */
static int
make_marker(struct task_ctx *ctx, const char *marker, size_t mlen,
    const char *mark, struct strbuf *out, const char **exc,
    const char **why)
{
	struct strbuf latin = STRBUF_INIT;
	const unsigned char *u = (const unsigned char *)mark;
	struct pyre *re;
	size_t i, count;

	for (i = 0; u[i] != '\0'; i++) {
		if (u[i] < 0x80)
			sb_addch(&latin, u[i]);
		else if ((u[i] == 0xc2 || u[i] == 0xc3) &&
		    (u[i + 1] & 0xc0) == 0x80) {
			sb_addch(&latin, ((u[i] & 0x03) << 6) |
			    (u[i + 1] & 0x3f));
			i++;
		} else {
			*exc = "UnicodeEncodeError";
			*why = arena_printf(ctx->a, "'latin-1' codec can't "
			    "encode characters in position %zu: ordinal not "
			    "in range(256)", i);
			sb_release(&latin);
			return -1;
		}
	}
	*exc = "re.error";
	re = pyre_compile(ctx->a, "\\{mark\\}", 8, PYRE_BYTES, why);
	if (re == NULL || pyre_subn(ctx->a, re, marker, mlen, latin.buf,
	    latin.len, 0, out, &count, why) < 0) {
		sb_release(&latin);
		return -1;
	}
	sb_addch(out, '\n');
	sb_release(&latin);
	return 0;
}

static int
blockinfile_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	const char *after = arg_str(args, "insertafter");
	const char *before = arg_str(args, "insertbefore");
	const char *exc = NULL, *why = NULL, *msg;
	bool present = strcmp(arg_str(args, "state"), "present") == 0;
	struct strbuf m0 = STRBUF_INIT, m1 = STRBUF_INIT, out = STRBUF_INIT;
	struct pyre *insertre = NULL;
	struct value *diff, *list;
	struct piece *lines;
	struct txe_commit c;
	struct txe_file f;
	size_t nlines, i, blen, mlen, n0, n1, del_from = 0, del_to = 0;
	const char *block = txe_arg(args, "block", &blen);
	const char *marker = txe_arg(args, "marker", &mlen);
	bool have0 = false, have1 = false, changed;
	int rc = 0;

	if (after != NULL && before != NULL)
		return res_fail(ctx, res, "parameters are mutually exclusive: "
		    "insertbefore|insertafter");
	if (txe_fetch(ctx, args, &f, res, err) < 0)
		return -1;
	if (res->failed)
		return 0;
	if (f.isdir) {
		res_fail(ctx, res, "Path %s is a directory !", f.path);
		res_set(ctx, res, "rc", val_new_int(ctx->a, 256));
		return 0;
	}
	if (!f.exists) {
		if (!arg_bool(args, "create")) {
			res_fail(ctx, res, "Path %s does not exist !", f.path);
			res_set(ctx, res, "rc", val_new_int(ctx->a, 257));
			return 0;
		}
		if (txe_mkparent(ctx, &f, res, err) < 0)
			return -1;
		if (res->failed)
			return 0;
	}
	if (!present && !f.exists) {
		res_set(ctx, res, "msg", val_new_strf(ctx->a, "File %s not "
		    "present", f.path));
		return 0;
	}
	lines = split_lines(ctx->a, f.data, f.len, &nlines);
	if (after == NULL && before == NULL)
		after = "EOF";
	if (after != NULL && strcmp(after, "EOF") != 0)
		insertre = pyre_compile(ctx->a, after, strlen(after),
		    PYRE_BYTES, &why);
	else if (before != NULL && strcmp(before, "BOF") != 0)
		insertre = pyre_compile(ctx->a, before, strlen(before),
		    PYRE_BYTES, &why);
	if (why != NULL)
		return txe_crash(ctx, res, "re.error", why);
	if (make_marker(ctx, marker, mlen, arg_str(args, "marker_begin"),
	    &m0, &exc, &why) < 0 || make_marker(ctx, marker, mlen,
	    arg_str(args, "marker_end"), &m1, &exc, &why) < 0) {
		rc = txe_crash(ctx, res, exc, why);
		goto out;
	}

	n0 = n1 = 0;
	for (i = 0; i < nlines; i++) {
		if (piece_is(&lines[i], &m0)) {
			n0 = i;
			have0 = true;
		}
		if (piece_is(&lines[i], &m1)) {
			n1 = i;
			have1 = true;
		}
	}
	if (!have0 || !have1) {
		bool found = false;

		if (insertre != NULL && pyre_multiline(insertre)) {
			/* A (?m) pattern is searched in the whole file. */
			int hit = pyre_search(insertre, f.data, f.len, 0,
			    PYRE_SEARCH, &why);
			size_t b, e;

			if (hit < 0) {
				rc = txe_crash(ctx, res, "re.error", why);
				goto out;
			}
			pyre_span(insertre, 0, &b, &e);
			if (hit > 0 && after != NULL) {
				n0 = count_nl_chars(f.data, f.len, e);
				found = true;
			} else if (hit > 0 && before != NULL) {
				n0 = count_nl_chars(f.data, f.len, b);
				found = true;
			}
		} else if (insertre != NULL) {
			for (i = 0; i < nlines; i++) {
				int hit = pyre_search(insertre, lines[i].s,
				    lines[i].len, 0, PYRE_SEARCH, &why);

				if (hit < 0) {
					rc = txe_crash(ctx, res, "re.error",
					    why);
					goto out;
				}
				if (hit > 0) {
					n0 = i;
					found = true;
				}
			}
		}
		if (insertre != NULL && !found)
			n0 = nlines;
		else if (insertre != NULL && after != NULL)
			n0++;
		else if (insertre == NULL)
			n0 = before != NULL ? 0 : nlines;	/* BOF : EOF */
	} else if (n0 < n1) {
		del_from = n0;
		del_to = n1 + 1;
	} else {
		del_from = n1;
		del_to = n0 + 1;
		n0 = n1;
	}
	if (n0 > nlines - (del_to - del_from))
		n0 = nlines - (del_to - del_from);

	/* The new contents: lines, the old block out, the new one at n0. */
	for (i = 0; i < nlines; i++) {
		size_t at = i < del_from ? i : i - (del_to - del_from);

		if (i >= del_from && i < del_to)
			continue;
		if (at == n0)
			break;
		sb_add(&out, lines[i].s, lines[i].len);
	}
	/* A line separator before the block. */
	if (out.len > 0 && out.buf[out.len - 1] != '\n')
		sb_addch(&out, '\n');
	if (present && blen > 0) {
		sb_add(&out, m0.buf, m0.len);
		sb_add(&out, block, blen);
		if (block[blen - 1] != '\n')
			sb_addch(&out, '\n');
		sb_add(&out, m1.buf, m1.len);
	}
	for (; i < nlines; i++)
		if (i < del_from || i >= del_to)
			sb_add(&out, lines[i].s, lines[i].len);

	if (f.exists && out.len == f.len && memcmp(out.buf, f.data,
	    f.len) == 0) {
		msg = "";
		changed = false;
	} else if (!f.exists) {
		msg = "File created";
		changed = true;
	} else if (!(present && blen > 0)) {
		msg = "Block removed";
		changed = true;
	} else {
		msg = "Block inserted";
		changed = true;
	}
	diff = val_new_dict(ctx->a);
	val_dict_set(ctx->a, diff, "before", val_new_strn(ctx->a, f.data,
	    ctx->diff ? f.len : 0));
	val_dict_set(ctx->a, diff, "after", val_new_strn(ctx->a, out.buf,
	    ctx->diff ? out.len : 0));
	val_dict_set(ctx->a, diff, "before_header", val_new_strf(ctx->a,
	    "%s (content)", f.path));
	val_dict_set(ctx->a, diff, "after_header", val_new_strf(ctx->a,
	    "%s (content)", f.path));
	if (ctx->check_mode && !f.exists) {
		res->changed = changed;
		res_set_str(ctx, res, "msg", msg);
		res_set(ctx, res, "diff", diff);
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.data = arena_strndup(ctx->a, out.buf, out.len);
	c.len = out.len;
	c.write = changed;
	c.backup = arg_bool(args, "backup");
	c.changed = changed;
	c.msg = msg;
	rc = txe_commit(ctx, args, &f, &c, res, err);
	if (rc < 0 || res->failed)
		goto out;
	val_dict_set(ctx->a, c.attr_diff, "before_header", val_new_strf(ctx->a,
	    "%s (file attributes)", f.path));
	val_dict_set(ctx->a, c.attr_diff, "after_header", val_new_strf(ctx->a,
	    "%s (file attributes)", f.path));
	list = val_new_list(ctx->a);
	val_list_push(ctx->a, list, diff);
	val_list_push(ctx->a, list, c.attr_diff);
	res->changed = c.changed;
	res_set_str(ctx, res, "msg", c.msg);
	res_set(ctx, res, "diff", list);
	if (c.backup_file != NULL)
		res_set_str(ctx, res, "backup_file", c.backup_file);
out:
	sb_release(&m0);
	sb_release(&m1);
	sb_release(&out);
	return rc;
}

const struct module module_blockinfile = {
	.name = "blockinfile",
	.summary = "insert, update or remove a block of marked lines",
	.args = blockinfile_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = blockinfile_run,
};
