// SPDX-License-Identifier: GPL-2.0
/* offloadd's entry point: picks the mode from the first argument. */
#include <stdio.h>
#include <string.h>

#include "agent/check.h"
#include "agent/kernel/observe.h"
#include "agent/run.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: offloadd COMMAND [options]\n"
"\n"
"offloadd decides, per workload (a cgroup v2), where its work should run:\n"
"locally, on an edge peer or in the cloud, from eBPF telemetry.\n"
"\n"
"commands:\n"
"  run        govern the workloads of a configuration file (see run --help)\n"
"  check      test a configuration file and its models, cgroups and BPF\n"
"             programs, changing nothing (see check --help)\n"
"  observe    attach telemetry to cgroups and print JSON lines (see observe --help)\n"
"\n"
"  -h, --help       this text\n"
"  -V, --version    print the version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("offloadd %s\n", OFFLOAD_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return off_run_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return off_check_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "observe"))
		return off_observe_main(argc - 1, argv + 1);
	fprintf(stderr, "offloadd: unknown command \"%s\" (try offloadd --help)\n", argv[1]);
	return 1;
}
