// SPDX-License-Identifier: GPL-2.0
/* `offloadd observe`: the agent's collection path on its own. Loads and
 * attaches, prints one JSON line per workload each interval, then detaches. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/kernel/cgroup.h"
#include "agent/kernel/collect.h"
#include "agent/kernel/jsonout.h"
#include "agent/kernel/loader.h"
#include "agent/kernel/observe.h"

#define MAX_CGROUPS 4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: offloadd observe --cgroup PATH [--cgroup PATH ...] [options]\n"
"\n"
"Attach offloadd's telemetry to cgroup v2 workloads and print, every interval,\n"
"one JSON line per workload with counters cumulative since attach.\n"
"\n"
"  -c, --cgroup PATH      govern this cgroup v2 directory (repeatable)\n"
"  -i, --interval-ms N    print every N ms (default 1000)\n"
"  -n, --count K          stop after K intervals (default: until SIGINT/SIGTERM)\n"
"      --host             also print a line for the whole host (\"workload\":\"host\")\n"
"      --max-tasks N      size of the per-task map (default 65536, capped by pid_max)\n"
"      --max-flows N      size of the per-flow map (default 16384)\n"
"      --hooks KIND       auto, tp_btf or raw_tp (default auto)\n"
"      --btf FILE         kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
"      --pin-dir DIR      where to pin maps and links (default /sys/fs/bpf/offloadd)\n"
"  -v, --verbose          print libbpf's debug output\n"
"  -h, --help             this text\n");
}

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < min || v > UINT32_MAX) {
		fprintf(stderr, "offloadd: --%s: expected a whole number >= %u, got \"%s\"\n", opt, min, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

struct observe {
	const char *paths[MAX_CGROUPS];
	uint64_t ids[MAX_CGROUPS];
	int fds[MAX_CGROUPS];
	uint32_t n, interval_ms, count;
	int host;
	struct off_bpf_opts opts;
};

static int parse_args(struct observe *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "host", no_argument, NULL, 'H' },
		{ "max-tasks", required_argument, NULL, 'T' },
		{ "max-flows", required_argument, NULL, 'F' },
		{ "hooks", required_argument, NULL, 'k' },
		{ "btf", required_argument, NULL, 'b' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:i:n:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (o->n == MAX_CGROUPS) {
				fprintf(stderr, "offloadd: at most %d cgroups\n", MAX_CGROUPS);
				return -E2BIG;
			}
			o->paths[o->n++] = optarg;
			break;
		case 'i': if (parse_u32("interval-ms", optarg, 1, &o->interval_ms)) return -EINVAL; break;
		case 'n': if (parse_u32("count", optarg, 1, &o->count)) return -EINVAL; break;
		case 'T': if (parse_u32("max-tasks", optarg, 1, &o->opts.max_tasks)) return -EINVAL; break;
		case 'F': if (parse_u32("max-flows", optarg, 1, &o->opts.max_flows)) return -EINVAL; break;
		case 'H': o->host = 1; break;
		case 'b': o->opts.btf_path = optarg; break;
		case 'p': o->opts.pin_dir = optarg; break;
		case 'v': o->opts.verbose = true; break;
		case 'k':
			if (!strcmp(optarg, "auto"))
				o->opts.hooks = OFF_HOOKS_AUTO;
			else if (!strcmp(optarg, "tp_btf"))
				o->opts.hooks = OFF_HOOKS_TP_BTF;
			else if (!strcmp(optarg, "raw_tp"))
				o->opts.hooks = OFF_HOOKS_RAW_TP;
			else {
				fprintf(stderr, "offloadd: --hooks: expected auto, tp_btf or raw_tp, got \"%s\"\n", optarg);
				return -EINVAL;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "offloadd observe: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->n) {
		fprintf(stderr, "offloadd observe: no --cgroup given\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static int open_cgroups(struct observe *o)
{
	char err[512];

	for (uint32_t i = 0; i < o->n; i++) {
		int fd = off_cgroup_open(o->paths[i], &o->ids[i], err, sizeof(err));

		if (fd < 0) {
			fprintf(stderr, "offloadd: %s\n", err);
			while (i--)
				close(o->fds[i]);
			return fd;
		}
		o->fds[i] = fd;
	}
	return 0;
}

/* A full map is never silent: say so once per growth of each counter. */
static void warn_drops(const struct off_snapshot *s, uint64_t *seen)
{
	static const char *const what[] = {
		[OFF_CNT_TASK_FULL] = "tasks map full: tasks went untracked (raise --max-tasks)",
		[OFF_CNT_FLOW_FULL] = "flows map full: flows went untracked (raise --max-flows)",
		[OFF_CNT_SOCK_NOMEM] = "socket storage could not be allocated: sockets went untracked",
		[OFF_CNT_WIDX_RANGE] = "a workload index was past the stats map",
	};

	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		if (s->counters[i] > seen[i])
			fprintf(stderr, "offloadd: %s (%llu so far)\n", what[i],
				(unsigned long long)s->counters[i]);
		seen[i] = s->counters[i];
	}
}

static void sleep_until(struct timespec *next, uint32_t ms)
{
	next->tv_nsec += (long)(ms % 1000) * 1000000;
	next->tv_sec += ms / 1000 + next->tv_nsec / 1000000000;
	next->tv_nsec %= 1000000000;
	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

static int run(struct observe *o, struct off_bpf *b)
{
	uint64_t seen[OFF_CNT_MAX] = {};
	struct off_snapshot snap;
	struct timespec next;
	int ret;

	ret = off_snapshot_init(&snap, b);
	if (ret) {
		fprintf(stderr, "offloadd: %s\n", strerror(-ret));
		return ret;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (uint32_t tick = 0; !stop && (!o->count || tick < o->count); tick++) {
		sleep_until(&next, o->interval_ms);
		if (stop)
			break;
		ret = off_collect(b, &snap);
		if (ret) {
			fprintf(stderr, "offloadd: reading maps: %s\n", strerror(-ret));
			break;
		}
		warn_drops(&snap, seen);
		if (o->host)
			off_json_workload(stdout, &snap, 0, "host", 0);
		for (uint32_t i = 0; i < o->n; i++)
			off_json_workload(stdout, &snap, i + 1, o->paths[i], o->ids[i]);
		fflush(stdout);
	}
	off_snapshot_free(&snap);
	return ret;
}

int off_observe_main(int argc, char **argv)
{
	struct observe o = { .interval_ms = 1000, .opts = OFF_BPF_OPTS_DEFAULT };
	struct sigaction sa = { .sa_handler = on_signal };
	struct off_bpf b;
	char err[4096];
	uint32_t i;
	int ret;

	if (parse_args(&o, argc, argv) || open_cgroups(&o))
		return 1;
	o.opts.max_workloads = o.n;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = off_bpf_load(&b, &o.opts, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "offloadd: %s\n", err);
		for (i = 0; i < o.n; i++)
			close(o.fds[i]);
		return 1;
	}
	for (i = 0; i < o.n; i++) {
		ret = off_bpf_govern(&b, o.fds[i], o.ids[i], i + 1, err, sizeof(err));
		if (ret)
			break;
	}
	if (ret) {
		fprintf(stderr, "offloadd: %s: %s\n", o.paths[i], err);
		for (i++; i < o.n; i++)
			close(o.fds[i]);
	} else {
		ret = run(&o, &b);
	}
	off_bpf_destroy(&b, true);
	return ret ? 1 : 0;
}
