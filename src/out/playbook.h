/*
 * out/playbook.h: the text sink, which prints the run's events (out/
 * sink.h) as ansible-playbook's default callback does (banners 80 columns
 * wide, one line a host result, loop items, "...ignoring", the PLAY
 * RECAP): sink_text_ops.  The pieces below format into a caller's strbuf
 * so that workers can format and the printing thread print.
 */
#ifndef MUSTER_OUT_PLAYBOOK_H
#define MUSTER_OUT_PLAYBOOK_H

#include "../strbuf.h"
#include "../value.h"
#include "sink.h"

/* "PLAY [name]", "TASK [name]", "RUNNING HANDLER [name]" banners. */
void	out_pb_banner(struct strbuf *, const char *kind, const char *name);
/*
 * One host's result (item: NULL, or the item's label for a loop item).
 * verbose: 0 prints no result, 1 prints it on one line (-v), 2 indented
 * (debug, or -vvv), as Ansible's _dump_results().
 */
void	out_pb_result(struct strbuf *, const char *host, enum host_status,
	    const char *item, const struct value *result, int verbose,
	    bool is_debug);
void	out_pb_ignoring(struct strbuf *);
/* A result's "diff" (a dict or a list of them) as --diff shows it. */
void	out_pb_diff(struct strbuf *, const struct value *diff);
void	out_pb_recap(struct strbuf *, struct host_stats *, size_t n);

#endif
