/*
 * pool.h: a fixed pool of `forks` worker threads (curl's thread pool
 * contract).  pool_run() hands items 0..n-1 to the workers in order; each
 * item is one host running one step, and its outcome lives in the caller's
 * per-item storage, never in shared state.  The calling (main) thread waits
 * and calls done() for each item as it completes, in completion order: only
 * the main thread prints, so done() is where output happens.
 *
 * The worker threads are started once and serve every later call (up to
 * the largest forks seen); pool_shutdown() ends them at exit.
 */
#ifndef MUSTER_POOL_H
#define MUSTER_POOL_H

#include <stddef.h>

typedef void	(*pool_work_fn)(void *ud, size_t item);
typedef void	(*pool_done_fn)(void *ud, size_t item);

/* Returns 0, or -1 if no thread could be started (errno set). */
int	pool_run(size_t nitems, unsigned forks, pool_work_fn work,
	    pool_done_fn done, void *ud);

/* Ends the resident workers (idle by then); later calls start their own. */
void	pool_shutdown(void);

#endif
