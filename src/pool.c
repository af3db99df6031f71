#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "pool.h"
#include "util.h"

/* libssh's key exchange and our modules need far less than 8 MiB. */
#define POOL_STACK (512 * 1024)

/*
 * One pool_run() call: items 0..n-1, at most `limit` workers at once.
 */
struct job {
	size_t		 n;
	size_t		 next;		/* next item to hand out */
	size_t		*finished;	/* completion order */
	size_t		 nfinished;
	size_t		 limit;		/* forks for this call */
	size_t		 joined;	/* workers inside this job now */
	pool_work_fn	 work;
	void		*ud;
};

/*
 * The workers live for the whole run: a task on 100 hosts used to start
 * and end 100 threads, and at 20 tasks that was a third of the
 * controller's page faults.  One job at a time uses them; a pool_run()
 * that comes while they are busy (a nested or concurrent call) gets
 * threads of its own, as before.
 */
static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 work_cv;	/* a job was posted */
	pthread_cond_t	 done_cv;	/* an item finished, or a worker left */
	pthread_t	*threads;
	size_t		 nthreads;
	struct job	*job;		/* the current job, or NULL */
	bool		 busy;
	bool		 quit;
} P = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work_cv = PTHREAD_COND_INITIALIZER,
	.done_cv = PTHREAD_COND_INITIALIZER,
};

/* Runs items of j until none is left; called and returns with P.lock held. */
static void
drain(struct job *j)
{
	while (j->next < j->n) {
		size_t item = j->next++;

		pthread_mutex_unlock(&P.lock);
		j->work(j->ud, item);
		pthread_mutex_lock(&P.lock);
		j->finished[j->nfinished++] = item;
		pthread_cond_signal(&P.done_cv);
	}
}

static void *
resident(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&P.lock);
	for (;;) {
		struct job *j = P.job;

		if (P.quit)
			break;
		if (j == NULL || j->joined >= j->limit || j->next >= j->n) {
			pthread_cond_wait(&P.work_cv, &P.lock);
			continue;
		}
		j->joined++;
		drain(j);
		j->joined--;
		pthread_cond_signal(&P.done_cv);
	}
	pthread_mutex_unlock(&P.lock);
	return NULL;
}

/* Grows the resident set to n workers (P.lock held); returns how many run. */
static size_t
grow(size_t n)
{
	pthread_attr_t attr;

	if (n <= P.nthreads)
		return P.nthreads;
	P.threads = xrealloc(P.threads, n * sizeof(*P.threads));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, POOL_STACK);
	while (P.nthreads < n &&
	    pthread_create(&P.threads[P.nthreads], &attr, resident, NULL) == 0)
		P.nthreads++;
	pthread_attr_destroy(&attr);
	return P.nthreads;
}

/* Waits for j's items, calling done() in completion order (P.lock held). */
static void
report(struct job *j, pool_done_fn done, void *ud, pthread_mutex_t *lock,
    pthread_cond_t *cv)
{
	size_t reported = 0;

	while (reported < j->n) {
		while (reported == j->nfinished)
			pthread_cond_wait(cv, lock);
		while (reported < j->nfinished) {
			size_t item = j->finished[reported++];

			pthread_mutex_unlock(lock);
			if (done != NULL)
				done(ud, item);
			pthread_mutex_lock(lock);
		}
	}
}

/* A job with threads of its own, for a call while the residents are busy. */
struct own {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cv;
	struct job	*job;
};

static void *
own_worker(void *arg)
{
	struct own *o = arg;
	struct job *j = o->job;

	pthread_mutex_lock(&o->lock);
	while (j->next < j->n) {
		size_t item = j->next++;

		pthread_mutex_unlock(&o->lock);
		j->work(j->ud, item);
		pthread_mutex_lock(&o->lock);
		j->finished[j->nfinished++] = item;
		pthread_cond_signal(&o->cv);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

static int
run_own(struct job *j, pool_done_fn done, void *ud)
{
	struct own o = { .job = j };
	pthread_attr_t attr;
	pthread_t *threads = xcalloc(j->limit, sizeof(*threads));
	size_t started = 0;

	pthread_mutex_init(&o.lock, NULL);
	pthread_cond_init(&o.cv, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, POOL_STACK);
	while (started < j->limit &&
	    pthread_create(&threads[started], &attr, own_worker, &o) == 0)
		started++;
	pthread_attr_destroy(&attr);
	if (started > 0) {
		pthread_mutex_lock(&o.lock);
		report(j, done, ud, &o.lock, &o.cv);
		pthread_mutex_unlock(&o.lock);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	pthread_mutex_destroy(&o.lock);
	pthread_cond_destroy(&o.cv);
	if (started == 0) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

int
pool_run(size_t nitems, unsigned forks, pool_work_fn work, pool_done_fn done,
    void *ud)
{
	struct job j = { .n = nitems, .work = work, .ud = ud };
	int rc = 0;

	if (nitems == 0)
		return 0;
	j.limit = forks == 0 ? 1 : forks;
	if (j.limit > nitems)
		j.limit = nitems;
	j.finished = xcalloc(nitems, sizeof(*j.finished));
	pthread_mutex_lock(&P.lock);
	if (P.busy || P.quit) {
		pthread_mutex_unlock(&P.lock);
		rc = run_own(&j, done, ud);
		free(j.finished);
		return rc;
	}
	if (grow(j.limit) == 0) {
		pthread_mutex_unlock(&P.lock);
		free(j.finished);
		errno = EAGAIN;
		return -1;
	}
	P.busy = true;
	P.job = &j;
	pthread_cond_broadcast(&P.work_cv);
	report(&j, done, ud, &P.lock, &P.done_cv);
	/* Every item is reported; wait for the workers to let go of j. */
	while (j.joined > 0)
		pthread_cond_wait(&P.done_cv, &P.lock);
	P.job = NULL;
	P.busy = false;
	pthread_mutex_unlock(&P.lock);
	free(j.finished);
	return 0;
}

void
pool_shutdown(void)
{
	pthread_mutex_lock(&P.lock);
	P.quit = true;
	pthread_cond_broadcast(&P.work_cv);
	pthread_mutex_unlock(&P.lock);
	for (size_t i = 0; i < P.nthreads; i++)
		pthread_join(P.threads[i], NULL);
	free(P.threads);
	P.threads = NULL;
	P.nthreads = 0;
}
