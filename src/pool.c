#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "pool.h"
#include "util.h"

/* libssh's key exchange and our modules need far less than 8 MiB. */
#define POOL_STACK (512 * 1024)

struct pool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	size_t		 n;
	size_t		 next;		/* next item to hand out */
	size_t		*finished;	/* completion order */
	size_t		 nfinished;
	pool_work_fn	 work;
	void		*ud;
};

static void *
worker(void *arg)
{
	struct pool *p = arg;
	size_t item;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->next >= p->n) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		item = p->next++;
		pthread_mutex_unlock(&p->lock);

		p->work(p->ud, item);

		pthread_mutex_lock(&p->lock);
		p->finished[p->nfinished++] = item;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
}

int
pool_run(size_t nitems, unsigned forks, pool_work_fn work, pool_done_fn done,
    void *ud)
{
	struct pool p = { .n = nitems, .work = work, .ud = ud };
	pthread_attr_t attr;
	pthread_t *threads;
	size_t nthreads, started = 0, reported = 0, i;

	if (nitems == 0)
		return 0;
	nthreads = forks == 0 ? 1 : forks;
	if (nthreads > nitems)
		nthreads = nitems;
	p.finished = xcalloc(nitems, sizeof(*p.finished));
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	threads = xcalloc(nthreads, sizeof(*threads));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, POOL_STACK);
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&threads[i], &attr, worker, &p) != 0)
			break;
		started++;
	}
	pthread_attr_destroy(&attr);
	if (started == 0) {
		free(threads);
		free(p.finished);
		errno = EAGAIN;
		return -1;
	}
	pthread_mutex_lock(&p.lock);
	while (reported < nitems) {
		while (reported == p.nfinished)
			pthread_cond_wait(&p.cond, &p.lock);
		while (reported < p.nfinished) {
			size_t item = p.finished[reported++];

			pthread_mutex_unlock(&p.lock);
			if (done != NULL)
				done(ud, item);
			pthread_mutex_lock(&p.lock);
		}
	}
	pthread_mutex_unlock(&p.lock);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	free(p.finished);
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.cond);
	return 0;
}
