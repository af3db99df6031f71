/*
 * out/playbook.h: playbook events and the text sink that prints them as
 * ansible-playbook's default callback does (banners 80 columns wide, one
 * line a host result, loop items, "...ignoring", the PLAY RECAP).  The
 * executor only emits events; another sink (a live view, a JSON journal)
 * would implement the same calls.  Text is appended to a strbuf so that
 * workers can format and the main thread print.
 */
#ifndef MUSTER_OUT_PLAYBOOK_H
#define MUSTER_OUT_PLAYBOOK_H

#include "../strbuf.h"
#include "../value.h"

enum host_status {
	HS_OK,
	HS_CHANGED,
	HS_SKIPPED,
	HS_FAILED,
	HS_UNREACHABLE,
};

struct host_stats {
	const char	*host;
	int		 ok, changed, unreachable, failed, skipped, rescued,
			 ignored;
};

/* "PLAY [name]", "TASK [name]", "RUNNING HANDLER [name]" banners. */
void	out_pb_banner(struct strbuf *, const char *kind, const char *name);
/*
 * One host's result (item: NULL, or the item's label for a loop item).
 * verbose: print the result as debug does (or -v).
 */
void	out_pb_result(struct strbuf *, const char *host, enum host_status,
	    const char *item, const struct value *result, bool verbose,
	    bool is_debug);
void	out_pb_ignoring(struct strbuf *);
/* A result's "diff" (a dict or a list of them) as --diff shows it. */
void	out_pb_diff(struct strbuf *, const struct value *diff);
void	out_pb_recap(struct strbuf *, struct host_stats *, size_t n);

#endif
