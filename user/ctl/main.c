// SPDX-License-Identifier: GPL-2.0
/* offloadctl: asks a running offloadd over its control socket. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/offloadd/ctl.sock"

static void usage(FILE *f)
{
	fprintf(f,
"usage: offloadctl [-j] [-s SOCKET] COMMAND\n"
"\n"
"  status                    the agent: version, tick, lease, uptime\n"
"  workloads                 each workload's policy, target in force and pin\n"
"  peers                     each peer's health, RTT and reported load\n"
"  pin WORKLOAD TARGET       hold WORKLOAD on TARGET (local or a peer) from the next tick\n"
"  unpin WORKLOAD            give WORKLOAD back to its policy\n"
"  reload                    reread the configuration (a bad file is refused)\n"
"\n"
"  -j, --json               print the agent's JSON reply\n"
"  -s, --socket PATH        control socket (default " DEFAULT_SOCKET ")\n"
"  -h, --help               this text\n"
"  -V, --version            print the version\n");
}

static json_t *request(int argc, char **argv)
{
	const char *cmd = argv[0];

	if (!strcmp(cmd, "status") || !strcmp(cmd, "workloads") || !strcmp(cmd, "peers") ||
	    !strcmp(cmd, "reload"))
		return argc == 1 ? json_pack("{s:s}", "cmd", cmd) : NULL;
	if (!strcmp(cmd, "pin"))
		return argc == 3 ? json_pack("{s:s, s:s, s:s}", "cmd", cmd, "workload", argv[1],
					     "target", argv[2]) : NULL;
	if (!strcmp(cmd, "unpin"))
		return argc == 2 ? json_pack("{s:s, s:s}", "cmd", cmd, "workload", argv[1]) : NULL;
	return NULL;
}

/* One line out, one line back. */
static int ask(const char *path, const char *line, char *reply, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t got = 0;
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "offloadctl: cannot reach offloadd at %s: %s (is it running?)\n", path,
			strerror(errno));
		return -1;
	}
	if (write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0)
		goto broken;
	while (got < len - 1 && (n = read(fd, reply + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	reply[got] = '\0';
	if (!got || !strchr(reply, '\n'))
		goto broken;
	return 0;
broken:
	fprintf(stderr, "offloadctl: %s: the agent hung up without a reply\n", path);
	return -1;
}

static void print_human(const char *cmd, json_t *r)
{
	json_t *w;
	size_t i;

	if (!strcmp(cmd, "status")) {
		printf("offloadd %s, config %s\n", json_string_value(json_object_get(r, "version")),
		       json_string_value(json_object_get(r, "config")));
		printf("tick %lld ms, lease %lld ticks, %lld workloads, up %.0f s, %lld ticks (%lld late)%s\n",
		       json_integer_value(json_object_get(r, "tick_ms")),
		       json_integer_value(json_object_get(r, "lease_ticks")),
		       json_integer_value(json_object_get(r, "workloads")),
		       json_real_value(json_object_get(r, "uptime_s")),
		       json_integer_value(json_object_get(r, "ticks")),
		       json_integer_value(json_object_get(r, "late_ticks")),
		       json_is_true(json_object_get(r, "adopted")) ? ", adopted pinned state" : "");
	} else if (!strcmp(cmd, "workloads")) {
		printf("%-20s %-10s %-20s %s\n", "WORKLOAD", "TARGET", "POLICY", "CGROUP");
		json_array_foreach(json_object_get(r, "workloads"), i, w)
			printf("%-20s %-10s %-20s %s\n", json_string_value(json_object_get(w, "name")),
			       json_string_value(json_object_get(w, "target")),
			       json_is_true(json_object_get(w, "pinned")) ? "pinned" :
			       json_string_value(json_object_get(w, "policy")),
			       json_string_value(json_object_get(w, "cgroup")));
	} else if (!strcmp(cmd, "peers")) {
		printf("%-16s %-6s %-5s %10s %9s %10s %s\n", "PEER", "KIND", "STATE", "RTT us",
		       "CPU util", "rq p99 us", "LAST FAILURE");
		json_array_foreach(json_object_get(r, "peers"), i, w)
			printf("%-16s %-6s %-5s %10.0f %9.2f %10.0f %s\n",
			       json_string_value(json_object_get(w, "name")),
			       json_string_value(json_object_get(w, "kind")),
			       json_is_true(json_object_get(w, "up")) ? "up" : "down",
			       json_real_value(json_object_get(w, "rtt_us")),
			       json_real_value(json_object_get(w, "cpu_util")),
			       json_real_value(json_object_get(w, "rq_p99_us")),
			       json_string_value(json_object_get(w, "last_failure")));
	} else if (json_object_get(r, "applies")) {
		printf("ok, %s\n", json_string_value(json_object_get(r, "applies")));
	} else {
		printf("ok\n");
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, {}
	};
	const char *path = DEFAULT_SOCKET;
	char reply[65536], *line;
	int c, json = 0, ret = 1;
	json_t *req, *r;

	while ((c = getopt_long(argc, argv, "+js:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 's': path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("offloadctl %s\n", OFFLOAD_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	req = optind < argc ? request(argc - optind, argv + optind) : NULL;
	if (!req) {
		usage(stderr);
		return 1;
	}
	line = json_dumps(req, JSON_COMPACT);
	if (line && !ask(path, line, reply, sizeof(reply))) {
		r = json_loads(reply, JSON_DISABLE_EOF_CHECK, NULL);
		if (json)
			fputs(reply, stdout);
		if (!json_is_true(json_object_get(r, "ok")))
			fprintf(stderr, "offloadctl: %s\n", r ? json_string_value(json_object_get(r, "error")) :
				"the agent's reply is not JSON");
		else {
			if (!json)
				print_human(argv[optind], r);
			ret = 0;
		}
		json_decref(r);
	}
	free(line);
	json_decref(req);
	return ret;
}
