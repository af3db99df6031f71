/*
 * replace: replace all matches of a pattern in a file, optionally only
 * between two other patterns (Ansible 2.14's replace: a str pattern with
 * re.MULTILINE, the after/before section found with re.DOTALL).  The file
 * is fetched once, edited here and written back only if it changed; the
 * shared txe_* helpers (textedit.h) live in lineinfile.c.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "module.h"
#include "textedit.h"
#include "transfer.h"
#include "util.h"

static const char *const path_aliases[] = { "dest", "destfile", "name",
	NULL };

static const struct arg_spec replace_args[] = {
	{ .name = "path", .type = ARG_PATH, .flags = ARG_REQUIRED,
	    .aliases = path_aliases },
	{ .name = "regexp", .type = ARG_STR, .flags = ARG_REQUIRED },
	{ .name = "replace", .type = ARG_STR, .dflt = "" },
	{ .name = "after", .type = ARG_STR },
	{ .name = "before", .type = ARG_STR },
	{ .name = "backup", .type = ARG_BOOL, .dflt = "false" },
	{ .name = "validate", .type = ARG_STR },
	{ .name = "encoding", .type = ARG_STR, .dflt = "utf-8" },
	XFER_FILE_ARGS,
	{ .name = NULL },
};

enum text_codec {
	CODEC_UTF8,	/* the text is the bytes */
	CODEC_LATIN1,	/* one byte a character: through UTF-8 and back */
	CODEC_UNKNOWN,
};

/* Python's codec names for the encodings handled (codecs.lookup()). */
static enum text_codec
codec_of(const char *name)
{
	static const char *const utf8[] = { "utf-8", "utf8", "utf_8", "u8",
	    "utf", "ascii", "us-ascii", "us_ascii", NULL };
	static const char *const latin1[] = { "latin-1", "latin1", "latin_1",
	    "iso-8859-1", "iso8859-1", "iso_8859_1", "iso8859_1", "8859",
	    "cp819", "latin", "l1", NULL };
	size_t i;

	for (i = 0; utf8[i] != NULL; i++)
		if (strcasecmp(name, utf8[i]) == 0)
			return CODEC_UTF8;
	for (i = 0; latin1[i] != NULL; i++)
		if (strcasecmp(name, latin1[i]) == 0)
			return CODEC_LATIN1;
	return CODEC_UNKNOWN;
}

static void
latin1_to_utf8(struct strbuf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_addutf8(out, (unsigned char)s[i]);
}

/* -1 (at the character's byte offset) if a character is beyond U+00FF. */
static int
utf8_to_latin1(struct strbuf *out, const char *s, size_t n, size_t *bad)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n; i++) {
		if (u[i] < 0x80)
			sb_addch(out, u[i]);
		else if ((u[i] == 0xc2 || u[i] == 0xc3) && i + 1 < n &&
		    (u[i + 1] & 0xc0) == 0x80) {
			sb_addch(out, ((u[i] & 0x03) << 6) | (u[i + 1] & 0x3f));
			i++;
		} else {
			*bad = i;
			return -1;
		}
	}
	return 0;
}

static int
replace_run(struct task_ctx *ctx, const struct value *args,
    struct result *res, struct err *err)
{
	size_t rlen, plen, alen, blen, b = 0, e = 0, count = 0, bad;
	const char *regexp = txe_arg(args, "regexp", &rlen);
	const char *repl = txe_arg(args, "replace", &plen);
	const char *after = txe_arg(args, "after", &alen);
	const char *before = txe_arg(args, "before", &blen);
	const char *encoding = arg_str(args, "encoding");
	struct strbuf text = STRBUF_INIT, pat = STRBUF_INIT;
	struct strbuf sub = STRBUF_INIT, whole = STRBUF_INIT;
	struct strbuf bytes = STRBUF_INIT;
	enum text_codec codec = codec_of(encoding);
	const char *why = NULL, *msg = "";
	struct pyre *mre;
	struct txe_commit c;
	struct txe_file f;
	bool changed = false;
	int rc = 0;

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
		res_fail(ctx, res, "Path %s does not exist !", f.path);
		res_set(ctx, res, "rc", val_new_int(ctx->a, 257));
		return 0;
	}
	if (codec == CODEC_UNKNOWN)
		return txe_crash(ctx, res, "LookupError", arena_printf(ctx->a,
		    "unknown encoding: %s", encoding));
	if (codec == CODEC_LATIN1)
		latin1_to_utf8(&text, f.data, f.len);
	else
		sb_add(&text, f.data, f.len);

	/* The section between after and before (re.DOTALL). */
	if (alen > 0 && blen > 0) {
		sb_add(&pat, after, alen);
		sb_adds(&pat, "(?P<subsection>.*?)");
		sb_add(&pat, before, blen);
	} else if (alen > 0) {
		sb_add(&pat, after, alen);
		sb_adds(&pat, "(?P<subsection>.*)");
	} else if (blen > 0) {
		sb_adds(&pat, "(?P<subsection>.*)");
		sb_add(&pat, before, blen);
	}
	b = 0;
	e = text.len;
	if (pat.len > 0) {
		struct pyre *sre = pyre_compile(ctx->a, pat.buf, pat.len,
		    PYRE_DOTALL, &why);
		int hit, g;

		if (sre == NULL) {
			rc = txe_crash(ctx, res, "re.error", why);
			goto out;
		}
		hit = pyre_search(sre, text.buf, text.len, 0, PYRE_SEARCH,
		    &why);
		if (hit < 0) {
			rc = txe_crash(ctx, res, "re.error", why);
			goto out;
		}
		if (hit == 0) {
			res_set(ctx, res, "rc", val_new_int(ctx->a, 0));
			res_set(ctx, res, "msg", val_new_strf(ctx->a, "Pattern "
			    "for before/after params did not match the given "
			    "file: %s", pat.buf));
			goto out;
		}
		g = pyre_named(sre, "subsection");
		pyre_span(sre, g > 0 ? (unsigned)g : 0, &b, &e);
	}

	mre = pyre_compile(ctx->a, regexp, rlen, PYRE_MULTILINE, &why);
	if (mre == NULL || pyre_subn(ctx->a, mre, text.buf + b, e - b, repl,
	    plen, 0, &sub, &count, &why) < 0) {
		rc = txe_crash(ctx, res, "re.error", why);
		goto out;
	}
	if (count > 0 && (sub.len != e - b || memcmp(sub.buf, text.buf + b,
	    e - b) != 0)) {
		sb_add(&whole, text.buf, b);
		sb_add(&whole, sub.buf, sub.len);
		sb_add(&whole, text.buf + e, text.len - e);
		msg = arena_printf(ctx->a, "%zu replacements made", count);
		changed = true;
		if (ctx->diff) {
			struct value *d = val_new_dict(ctx->a);

			val_dict_set(ctx->a, d, "before_header",
			    val_new_str(ctx->a, f.path));
			val_dict_set(ctx->a, d, "before", val_new_strn(ctx->a,
			    text.buf, text.len));
			val_dict_set(ctx->a, d, "after_header",
			    val_new_str(ctx->a, f.path));
			val_dict_set(ctx->a, d, "after", val_new_strn(ctx->a,
			    whole.buf, whole.len));
			res_set(ctx, res, "diff", d);
		}
	}
	if (changed && codec == CODEC_LATIN1 &&
	    utf8_to_latin1(&bytes, whole.buf, whole.len, &bad) < 0) {
		rc = txe_crash(ctx, res, "UnicodeEncodeError", arena_printf(
		    ctx->a, "'latin-1' codec can't encode character in "
		    "position %zu: ordinal not in range(256)", bad));
		goto out;
	} else if (changed && codec != CODEC_LATIN1)
		sb_add(&bytes, whole.buf, whole.len);

	memset(&c, 0, sizeof(c));
	c.data = arena_strndup(ctx->a, bytes.buf, bytes.len);
	c.len = bytes.len;
	c.write = changed;
	c.backup = arg_bool(args, "backup");
	c.changed = changed;
	c.msg = msg;
	rc = txe_commit(ctx, args, &f, &c, res, err);
	if (rc < 0 || res->failed)
		goto out;
	res_set(ctx, res, "rc", val_new_int(ctx->a, 0));
	if (c.backup_file != NULL)
		res_set_str(ctx, res, "backup_file", c.backup_file);
	res->changed = c.changed;
	res_set_str(ctx, res, "msg", c.msg);
out:
	sb_release(&text);
	sb_release(&pat);
	sb_release(&sub);
	sb_release(&whole);
	sb_release(&bytes);
	return rc;
}

const struct module module_replace = {
	.name = "replace",
	.summary = "replace all matches of a pattern in a file",
	.args = replace_args,
	.flags = MODULE_CHECK_MODE | MODULE_DIFF,
	.run = replace_run,
};
