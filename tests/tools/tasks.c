// SPDX-License-Identifier: GPL-2.0
/* Many tasks in many cgroups, fast: forks P processes, the i-th joining
 * cgroup DIR/PREFIX(i % G + 1), each with T threads that wake every PERIOD
 * ms. Prints "ready N" once all N tasks run; they die with it (SIGTERM). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long period_ms;

static void *waker(void *arg)
{
	struct timespec ts = { period_ms / 1000, period_ms % 1000 * 1000000L };

	(void)arg;
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

static int join_cgroup(const char *dir, const char *prefix, int idx)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s%d/cgroup.procs", dir, prefix, idx);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "tasks: %s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = fprintf(f, "%d\n", getpid()) > 0;
	if (fclose(f) || !ok) {
		fprintf(stderr, "tasks: %s: cannot join\n", path);
		return -1;
	}
	return 0;
}

/* The child: its cgroup, T-1 more threads, then one byte up the pipe. */
static void child(const char *dir, const char *prefix, int idx, int threads, int wfd)
{
	pthread_attr_t a;
	pthread_t t;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (join_cgroup(dir, prefix, idx))
		_exit(1);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 << 10);
	for (int i = 1; i < threads; i++)
		if (pthread_create(&t, &a, waker, NULL)) {
			fprintf(stderr, "tasks: thread %d of %d: cannot create\n", i, threads);
			_exit(1);
		}
	if (write(wfd, "+", 1) != 1)
		_exit(1);
	waker(NULL);
}

int main(int argc, char **argv)
{
	int procs, groups, threads, pfd[2];
	char c;

	if (argc != 7) {
		fprintf(stderr, "usage: tasks DIR PREFIX GROUPS PROCS THREADS PERIOD_MS\n");
		return 2;
	}
	groups = atoi(argv[3]), procs = atoi(argv[4]), threads = atoi(argv[5]);
	period_ms = atol(argv[6]);
	if (groups < 1 || procs < 1 || threads < 1 || period_ms < 1 || pipe(pfd))
		return 2;
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("tasks: fork");
			return 1;
		}
		if (!pid) {
			close(pfd[0]);
			child(argv[1], argv[2], i % groups + 1, threads, pfd[1]);
		}
	}
	close(pfd[1]);
	for (int i = 0; i < procs; i++)
		if (read(pfd[0], &c, 1) != 1) {
			fprintf(stderr, "tasks: only %d of %d processes started\n", i, procs);
			return 1;
		}
	printf("ready %d\n", procs * threads);
	fflush(stdout);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
