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

#include "lib/ctlcmd.h"
#include "offload/abi.h"

#define DEFAULT_SOCKET OFF_CTL_SOCKET

/* "  SYNOPSIS   help", the help's further lines under its first. */
static void usage_command(FILE *f, const struct off_ctl_cmd *c)
{
	const char *h = c->help;
	size_t len;

	fprintf(f, "  %-25s ", c->synopsis);
	while (h[len = strcspn(h, "\n")]) {
		fprintf(f, "%.*s\n%28s", (int)len, h, "");
		h += len + 1;
	}
	fprintf(f, "%s\n", h);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: offloadctl [-j] [-s SOCKET] COMMAND\n\n");
	for (int i = 0; i < OFF_CTL_CMDS; i++)
		usage_command(f, &off_ctl_cmds[i]);
	fprintf(f,
"\n"
"  -j, --json               print the agent's JSON reply\n"
"  -s, --socket PATH        control socket (default " DEFAULT_SOCKET ")\n"
"  -h, --help               this text\n"
"  -V, --version            print the version\n");
}

/* The request for argv, or NULL for a command the table does not have or
 * the wrong number of arguments. Arguments are strings but ab's seconds. */
static json_t *request(int argc, char **argv)
{
	int id = off_ctl_find(argv[0]);
	const struct off_ctl_cmd *c = id < 0 ? NULL : &off_ctl_cmds[id];
	json_t *req;

	if (!c || argc - 1 < c->min_args || argc - 1 > c->max_args)
		return NULL;
	if (id == OFF_CTL_AB) {
		char *end = NULL;
		double w = argc == 2 ? strtod(argv[1], &end) : 60;

		if (end && (*end || w <= 0))
			return NULL;
		return json_pack("{s:s, s:f}", "cmd", c->name, c->arg[0], w);
	}
	req = json_pack("{s:s}", "cmd", c->name);
	for (int a = 1; req && a < argc; a++) {
		/* NULL for a string that is not UTF-8, as json_pack refused it. */
		if (json_object_set_new(req, c->arg[a - 1], json_string(argv[a]))) {
			json_decref(req);
			req = NULL;
		}
	}
	return req;
}

/* One line out, one line back, read to EOF. */
static char *ask(const char *path, const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t got = 0, cap = 65536;
	char *reply = malloc(cap), *bigger;
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "offloadctl: cannot reach offloadd at %s: %s (is it running?)\n", path,
			strerror(errno));
		free(reply);
		return NULL;
	}
	if (!reply || write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0)
		goto broken;
	while ((n = read(fd, reply + got, cap - 1 - got)) > 0) {
		got += n;
		if (got == cap - 1) {
			if (!(bigger = realloc(reply, cap *= 2)))
				goto broken;
			reply = bigger;
		}
	}
	close(fd);
	fd = -1;
	reply[got] = '\0';
	if (!got || !strchr(reply, '\n'))
		goto broken;
	return reply;
broken:
	fprintf(stderr, "offloadctl: %s: the agent hung up without a reply\n", path);
	if (fd >= 0)
		close(fd);
	free(reply);
	return NULL;
}

static double num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "-";
}

static void print_workloads(json_t *r)
{
	json_t *w, *q, *v;
	const char *t;
	size_t i;

	printf("%-20s %-10s %-14s %8s %8s %10s  %s\n", "WORKLOAD", "TARGET", "POLICY", "REQ/S",
	       "CPU ms/r", "rq p99 us", "SCORES");
	json_array_foreach(json_object_get(r, "workloads"), i, w) {
		json_t *f = json_object_get(w, "features");

		printf("%-20s %-10s %-14s %8.1f %8.2f %10.0f ", str(w, "name"), str(w, "target"),
		       json_is_true(json_object_get(w, "pinned")) ? "pinned" : str(w, "policy"),
		       num(f, "req_rate"), num(f, "cpu_ms"), num(f, "rq_p99_us"));
		q = json_object_get(w, "q");
		json_object_foreach(q, t, v)
			printf(" %s=%.3f", t, json_number_value(v));
		printf("\n");
	}
	if (json_is_true(json_object_get(r, "dry_run")))
		printf("dry-run: decisions are computed and logged, not enforced\n");
}

static void print_ab(json_t *r)
{
	json_t *p, *ci;
	size_t i;

	printf("over the last %.0f s (%lld ticks)\n", num(r, "window_s"),
	       (long long)json_integer_value(json_object_get(r, "ticks")));
	printf("%-24s %8s %10s %8s %12s %12s  %s\n", "POLICY", "REWARDS", "MEAN", "SD", "LIFE p50 ms",
	       "LIFE p99 ms", "DIFFERENCE (95% CI)");
	json_array_foreach(json_object_get(r, "policies"), i, p) {
		printf("%-24s %8lld %10.4f %8.4f %12.1f %12.1f", str(p, "policy"),
		       (long long)json_integer_value(json_object_get(p, "rewards")), num(p, "reward_mean"),
		       num(p, "reward_sd"), num(p, "lifetime_p50_ms"), num(p, "lifetime_p99_ms"));
		ci = json_object_get(p, "reward_diff_ci95");
		if (ci)
			printf("  %+.4f (%+.4f, %+.4f) vs %s", num(p, "reward_diff"),
			       json_number_value(json_array_get(ci, 0)), json_number_value(json_array_get(ci, 1)),
			       str(p, "vs"));
		printf("\n");
	}
}

static void print_explain(json_t *r)
{
	json_t *f = json_object_get(r, "features"), *c;
	size_t i;

	printf("workload %s, policy %s, on %s (wanted %s)\n", str(r, "workload"), str(r, "policy"),
	       str(r, "target"), str(r, "wanted"));
	printf("why: %s\n", str(r, "why"));
	printf("score: %s%s%s%s%s; hysteresis %.3f, dwell left %.1f s, %lld changes\n", str(r, "score"),
	       json_is_string(json_object_get(r, "model")) ? " from " : "",
	       json_is_string(json_object_get(r, "model")) ? str(r, "model") : "",
	       json_is_string(json_object_get(r, "gate")) ? "; correction: " : "",
	       json_is_string(json_object_get(r, "gate")) ? str(r, "gate") : "",
	       num(r, "hysteresis"), num(r, "dwell_left_s"),
	       (long long)json_integer_value(json_object_get(r, "changes")));
	printf("workload: %.3f cores, rq p50/p99 %.0f/%.0f us, %.1f req/s, %.0f/%.0f B/req up/down,"
	       " %.2f CPU ms/req; local CPUs %.0f%% busy, rq p99 %.0f us\n", num(f, "cpu_cores"),
	       num(f, "rq_p50_us"), num(f, "rq_p99_us"), num(f, "req_rate"), num(f, "up_bytes"),
	       num(f, "down_bytes"), num(f, "cpu_ms"), 100 * num(f, "local_util"), num(f, "local_rq_p99_us"));
	printf("%-10s %-6s %-4s %9s %9s %9s %10s %9s %8s %6s %5s %6s %9s %8s %6s\n", "TARGET", "KIND",
	       "OK", "SCORE", "ESTIMATE", "CORR", "RTT us", "jitter us", "Mbit/s", "GHz", "cores", "util",
	       "cost/req", "herd ms", "others");
	json_array_foreach(json_object_get(r, "candidates"), i, c)
		printf("%-10s %-6s %-4s %9.3f %9.3f %+9.3f %10.0f %9.0f %8.0f %6.2f %5.1f %6.2f %9.5f %8.3f %6.0f\n",
		       str(c, "target"), str(c, "kind"),
		       json_is_true(json_object_get(c, "eligible")) ? "yes" : "no", num(c, "score"),
		       num(c, "estimate"), num(c, "correction"), num(c, "rtt_us"), num(c, "rtt_jitter_us"),
		       num(c, "bw_mbps"), num(c, "ghz"), num(c, "cores"), num(c, "util"),
		       num(c, "cost_per_req"), num(c, "herd_ms"), num(c, "clients"));
}

/* [edgex]'s line of status, if it is on. */
static void print_edgex(json_t *e)
{
	if (!json_is_object(e))
		return;
	printf("edgex %s, %lld events published, dropped %lld disconnected, %lld backlog, %lld refused\n",
	       json_is_true(json_object_get(e, "connected")) ? "connected" : "disconnected",
	       json_integer_value(json_object_get(e, "published")),
	       json_integer_value(json_object_get(e, "dropped_disconnected")),
	       json_integer_value(json_object_get(e, "dropped_backlog")),
	       json_integer_value(json_object_get(e, "dropped_error")));
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
		printf("flows map %lld of %lld entries, %lld idle flows aged out\n",
		       json_integer_value(json_object_get(r, "flows")),
		       json_integer_value(json_object_get(r, "flows_capacity")),
		       json_integer_value(json_object_get(r, "flows_aged")));
		printf("peers: %lld of %lld up, authenticated by %s\n",
		       json_integer_value(json_object_get(r, "peers_up")),
		       json_integer_value(json_object_get(r, "peers")),
		       json_string_value(json_object_get(r, "peer_auth")));
		print_edgex(json_object_get(r, "edgex"));
	} else if (!strcmp(cmd, "workloads")) {
		print_workloads(r);
	} else if (!strcmp(cmd, "ab")) {
		print_ab(r);
	} else if (!strcmp(cmd, "explain")) {
		print_explain(r);
	} else if (!strcmp(cmd, "peers")) {
		printf("%-16s %-6s %-5s %10s %9s %10s %7s %s\n", "PEER", "KIND", "STATE", "RTT us",
		       "CPU util", "rq p99 us", "CLIENTS", "LAST FAILURE");
		json_array_foreach(json_object_get(r, "peers"), i, w)
			printf("%-16s %-6s %-5s %10.0f %9.2f %10.0f %7lld %s\n",
			       json_string_value(json_object_get(w, "name")),
			       json_string_value(json_object_get(w, "kind")),
			       json_is_true(json_object_get(w, "up")) ? "up" : "down",
			       json_real_value(json_object_get(w, "rtt_us")),
			       json_real_value(json_object_get(w, "cpu_util")),
			       json_real_value(json_object_get(w, "rq_p99_us")),
			       json_integer_value(json_object_get(w, "clients")),
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
	char *reply, *line;
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
	if (line && (reply = ask(path, line))) {
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
		free(reply);
	}
	free(line);
	json_decref(req);
	return ret;
}
