// SPDX-License-Identifier: GPL-2.0
/* A fake peer for probe tests: answers GET /status on IP:PORT with a valid
 * reply, whole, or with -t MS one byte every MS milliseconds (a peer that
 * trickles and never quite fails); with -r FILE, FILE's bytes are the
 * reply (a spoofer's). Prints "ready" once listening. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockaddr.h"

static const char fixed[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	"Connection: close\r\n\r\n"
	"{\"node\":\"fake\",\"version\":\"0.1.0\",\"cpu_util\":0.25,\"rq_p99_us\":512.0,"
	"\"capacity_cores\":4.0,\"services\":[\"api\"]}";
static int trickle_ms;
static const char *reply = fixed;
static size_t reply_len = sizeof(fixed) - 1;

/* The whole file, once: the reply to every request. */
static int load_reply(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return -1;
	}
	reply_len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	reply = buf;
	return 0;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char req[4096];

	if (read(fd, req, sizeof(req)) > 0) {
		if (!trickle_ms) {
			if (write(fd, reply, reply_len) < 0)
				perror("write");
		}
		for (size_t i = 0; trickle_ms && i < reply_len; i++) {
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
	while ((o = getopt(argc, argv, "t:r:")) != -1) {
		if (o == 't')
			trickle_ms = atoi(optarg);
		else if (o != 'r' || load_reply(optarg))
			goto usage;
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
	fprintf(stderr, "usage: fakepeer [-t TRICKLE_MS] [-r REPLY_FILE] IP PORT\n");
	return 2;
}
