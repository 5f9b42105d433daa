// SPDX-License-Identifier: GPL-2.0
/* A fake peer for probe tests: answers GET /status on IP:PORT with a valid
 * reply, whole, or with -t MS one byte every MS milliseconds (a peer that
 * trickles and never quite fails). Prints "ready" once listening. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockaddr.h"

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	"Connection: close\r\n\r\n"
	"{\"node\":\"fake\",\"version\":\"0.1.0\",\"cpu_util\":0.25,\"rq_p99_us\":512.0,"
	"\"capacity_cores\":4.0,\"services\":[\"api\"]}";
static int trickle_ms;

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char req[4096];

	if (read(fd, req, sizeof(req)) > 0) {
		if (!trickle_ms) {
			if (write(fd, reply, sizeof(reply) - 1) < 0)
				perror("write");
		}
		for (size_t i = 0; trickle_ms && i < sizeof(reply) - 1; i++) {
			if (write(fd, reply + i, 1) != 1)
				break;
			usleep(trickle_ms * 1000);
		}
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd, one = 1, o;

	signal(SIGPIPE, SIG_IGN);	/* a probe that gave up closed its end */
	while ((o = getopt(argc, argv, "t:")) != -1) {
		if (o != 't')
			goto usage;
		trickle_ms = atoi(optarg);
	}
	if (argc - optind != 2 || sa_parse(argv[optind], argv[optind + 1], &ss, &len))
		goto usage;
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 64)) {
		perror("listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;

		if (fd >= 0 && pthread_create(&t, NULL, serve, (void *)(long)fd) == 0)
			pthread_detach(t);
		else if (fd >= 0)
			close(fd);
	}
usage:
	fprintf(stderr, "usage: fakepeer [-t TRICKLE_MS] IP PORT\n");
	return 2;
}
