// SPDX-License-Identifier: GPL-2.0
/* `offloadd check`: finds what would stop `run` from starting, or from
 * governing as the file says, without governing anything: the file, its
 * models, cgroups, local scope and addresses, and the BPF programs loaded
 * through the verifier and unloaded again (nothing attached, nothing pinned). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/ssl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "agent/check.h"
#include "agent/config/config.h"
#include "agent/config/parse.h"
#include "agent/kernel/cgroup.h"
#include "agent/kernel/loader.h"
#include "agent/serve/tls.h"
#include "agent/tick/capacity.h"
#include "agent/tick/models.h"

struct check {
	const char *path;
	struct off_config cfg;
	bool verbose;
	int problems;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: offloadd check [--config FILE] [-v]\n"
"\n"
"Test FILE as `run` would use it, changing nothing: the file itself, every\n"
"model it names (schema, feature table, weights), every workload's cgroup\n"
"(exists, on cgroup v2), serve_cgroup and local_cpus, the listen addresses,\n"
"ctl_group and the TLS files (tls_ca, tls_cert, tls_key); then load the BPF\n"
"programs through the verifier with the file's map sizes and unload them,\n"
"attaching and pinning nothing. Prints one line per workload, service and\n"
"peer that would be governed; each problem goes to standard error as\n"
"FILE:LINE: [section] key: what. Exits 0 when there is none, 1 otherwise.\n"
"Loading BPF programs needs root (or CAP_BPF, CAP_PERFMON and\n"
"CAP_NET_ADMIN, as the unit grants).\n"
"\n"
"  -c, --config FILE   configuration (default /etc/offloadd/offloadd.conf)\n"
"  -v, --verbose       print libbpf's debug output\n"
"  -h, --help          this text\n");
}

/* "FILE:LINE: [SEC] KEY: what", as the configuration's own messages are;
 * LINE 0 (no line to blame) leaves the line out. */
static void problem(struct check *k, int line, const char *sec, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void problem(struct check *k, int line, const char *sec, const char *key,
		    const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);		/* in order with the listing when both go to one file */
	fprintf(stderr, "%s:", k->path);
	if (line)
		fprintf(stderr, "%d:", line);
	fprintf(stderr, " %s%s%s%s%s", sec ? "[" : "", sec ? sec : "", sec ? "] " : "",
		key ? key : "", key ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	k->problems++;
}

static const char *wl_section(const struct off_cfg_workload *w, char *buf, size_t len)
{
	snprintf(buf, len, "workload %s", w->name);
	return buf;
}

static bool model_used_before(const struct off_config *c, int i, const char *path)
{
	for (int j = 0; j < i; j++)
		if (c->workloads[j].policy == OFF_POLICY_DQN &&
		    !strcmp(off_models_path(c, &c->workloads[j]), path))
			return true;
	return false;
}

/* Blames the line that makes workload w use the model: its own model key,
 * else [agent] model, else (the default) the workload's section. */
static void model_problem(struct check *k, const struct off_cfg_workload *w, const char *err)
{
	const struct off_config *c = &k->cfg;
	int agent_line = off_config_line(c, NULL, "model");
	char sec[64];

	wl_section(w, sec, sizeof(sec));
	if (w->model[0])
		problem(k, off_config_line(c, w, "model"), sec, "model", "%s", err);
	else if (agent_line && agent_line != c->agent_line)	/* a key is never on its section's line */
		problem(k, agent_line, "agent", "model", "%s", err);
	else
		problem(k, w->line, sec, NULL, "uses the default model ([agent] model): %s", err);
}

/* Each file once, as run loads them. */
static int check_models(struct check *k)
{
	const struct off_config *c = &k->cfg;
	char err[1024];
	int n = 0;

	for (int i = 0; i < c->nworkloads; i++) {
		const struct off_cfg_workload *w = &c->workloads[i];
		const char *path = off_models_path(c, w);
		struct off_model m;

		if (w->policy != OFF_POLICY_DQN || model_used_before(c, i, path))
			continue;
		n++;
		if (off_models_load_one(path, &m, err, sizeof(err)))
			model_problem(k, w, err);
		else
			off_model_free(&m);
	}
	return n;
}

/* The kernel keys workloads by cgroup id: two spellings of one directory
 * would be one workload. */
static void check_cgroups(struct check *k)
{
	const struct off_config *c = &k->cfg;
	uint64_t *ids = calloc(c->nworkloads ? c->nworkloads : 1, sizeof(*ids));
	char err[1024], sec[64];

	if (!ids) {
		problem(k, 0, NULL, NULL, "out of memory");
		return;
	}
	for (int i = 0; i < c->nworkloads; i++) {
		const struct off_cfg_workload *w = &c->workloads[i];
		int line = off_config_line(c, w, "cgroup");
		int fd = off_cgroup_open(w->cgroup, &ids[i], err, sizeof(err));

		wl_section(w, sec, sizeof(sec));
		if (fd < 0) {
			ids[i] = 0;
			problem(k, line, sec, "cgroup", "%s", err);
			continue;
		}
		close(fd);
		for (int j = 0; j < i; j++)
			if (ids[j] == ids[i])
				problem(k, line, sec, "cgroup", "%s: the same cgroup as workload %s's (%s)",
					w->cgroup, c->workloads[j].name, c->workloads[j].cgroup);
	}
	free(ids);
}

/* The CPUs local work is measured over, resolved as run resolves them. */
static void check_scope(struct check *k)
{
	const struct off_config *c = &k->cfg;
	struct off_local scope = { .stat_fd = -1 };
	int nr_cpus = libbpf_num_possible_cpus();
	uint8_t *cpus = calloc(nr_cpus > 0 ? nr_cpus : 1, 1);
	const char *key;
	char err[1024];

	if (!cpus || nr_cpus <= 0) {
		problem(k, 0, NULL, NULL, "cannot count this host's CPUs");
		free(cpus);
		return;
	}
	if (!off_local_scope(c->serve_cgroup, c->local_cpus, cpus, nr_cpus, &scope, err, sizeof(err))) {
		printf("local: %d CPUs, %.2f cores of capacity%s%s\n", scope.ncpus, scope.capacity,
		       c->serve_cgroup[0] ? ", serve_cgroup " : "", c->serve_cgroup);
	} else {
		key = c->local_cpus[0] && !strncmp(err, "local_cpus", 10) ? "local_cpus" : "serve_cgroup";
		problem(k, off_config_line(c, NULL, key), "agent", key, "%s", err);
	}
	off_local_close(&scope);
	free(cpus);
}

/* Bound, not listened on: one in use may well be the running agent's (a
 * check before reload), but an address not of this host, or a port below
 * 1024 without CAP_NET_BIND_SERVICE (the unit has none), stops a start. */
static void check_listen(struct check *k, const char *key, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, ret = 0;

	if (!addr[0])
		return;
	if (off_parse_sockaddr(addr, &ss, &len)) {
		problem(k, off_config_line(&k->cfg, NULL, key), "agent", key,
			"%s: expected ip:port or [ip6]:port", addr);
		return;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len))
		ret = errno;
	if (fd >= 0)
		close(fd);
	if (ret && ret != EADDRINUSE)
		problem(k, off_config_line(&k->cfg, NULL, key), "agent", key, "%s: cannot listen: %s",
			addr, strerror(ret));
}

/* run only warns when it cannot open the log; a check says so outright. */
static void check_files(struct check *k)
{
	const struct off_config *c = &k->cfg;
	char dir[OFF_CFG_PATH_LEN], *slash;

	if (c->ctl_group[0] && !getgrnam(c->ctl_group))
		problem(k, off_config_line(c, NULL, "ctl_group"), "agent", "ctl_group",
			"%s: no such group", c->ctl_group);
	if (!c->experience_log[0])
		return;
	snprintf(dir, sizeof(dir), "%s", c->experience_log);
	slash = strrchr(dir, '/');
	if (slash != dir)
		*slash = '\0';
	else
		dir[1] = '\0';
	if (access(c->experience_log, W_OK) && (errno != ENOENT || access(dir, W_OK)))
		problem(k, off_config_line(c, NULL, "experience_log"), "agent", "experience_log",
			"%s: cannot be written: %s", c->experience_log, strerror(errno));
}

/* Mutual TLS's files as run and reload load them; its message is already
 * FILE:LINE: [section] key: what. */
static void check_tls(struct check *k)
{
	char err[1024];
	SSL_CTX *tls;

	if (off_tls_load(&k->cfg, k->path, &tls, err, sizeof(err))) {
		fflush(stdout);
		fprintf(stderr, "%s\n", err);
		k->problems++;
		return;
	}
	printf("peers: %s\n", tls ? "mutual TLS 1.3" : "plain HTTP, unauthenticated");
	SSL_CTX_free(tls);
}

/* As run loads them (the same objects, map sizes and hooks, and a previous
 * agent's pinned maps, as --keep-pinned restarts adopt them), then
 * unloaded: the verifier's verdict on this kernel, leaving nothing behind. */
static void check_bpf(struct check *k)
{
	struct off_bpf_opts o = OFF_BPF_OPTS_DEFAULT;
	struct off_bpf b;
	char err[4096];
	size_t n;
	int ret;

	o.redirect = true;
	o.load_only = true;
	o.adopt = true;
	o.pin_dir = k->cfg.pin_dir;
	o.verbose = k->verbose;
	o.max_workloads = k->cfg.max_workloads;
	o.max_tasks = k->cfg.max_tasks;
	o.max_flows = k->cfg.max_flows;
	ret = off_bpf_load(&b, &o, err, sizeof(err));
	if (!ret) {
		off_bpf_destroy(&b, false);
		return;
	}
	n = strlen(err);
	if (n && err[n - 1] == '\n')
		err[n - 1] = '\0';	/* libbpf's log ends its lines */
	problem(k, 0, NULL, NULL, "cannot load the BPF programs: %s%s", err,
		ret == -EPERM ? " (loading them needs root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)" : "");
}

static void print_workload(const struct off_config *c, const struct off_cfg_workload *w)
{
	char policy[64];
	const char *sep = "";

	printf("workload %s: cgroup %s, services ", w->name, w->cgroup);
	for (int s = 0; s < c->nservices; s++) {
		if (!off_cfg_uses(w, s))
			continue;
		printf("%s%s", sep, c->services[s].name);
		sep = ",";
	}
	printf(", policy %s", off_config_policy_name(c, w, policy, sizeof(policy)));
	if (w->policy == OFF_POLICY_DQN)
		printf(", model %s", off_models_path(c, w));
	printf("\n");
}

static const char *fmt_ep(const uint8_t addr[16], uint16_t port, char *buf, size_t len)
{
	bool v4 = off_ip_is_v4(addr);
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? addr + 12 : addr, ip, sizeof(ip));
	if (!port)
		snprintf(buf, len, "%s", ip);
	else
		snprintf(buf, len, v4 ? "%s:%u" : "[%s]:%u", ip, port);
	return buf;
}

/* One line each: what run would govern, and with whom. */
static void print_governed(const struct off_config *c)
{
	char a[64], b[64];

	for (int i = 0; i < c->nworkloads; i++)
		print_workload(c, &c->workloads[i]);
	for (int i = 0; i < c->nservices; i++) {
		const struct off_cfg_service *s = &c->services[i];

		printf("service %s: %s vip %s, local %s\n", s->name,
		       s->vip.proto == IPPROTO_UDP ? "udp" : "tcp", fmt_ep(s->vip.addr, s->vip.port, a, sizeof(a)),
		       fmt_ep(s->local.addr, s->local.port, b, sizeof(b)));
	}
	if (c->edgex.line)
		printf("edgex: %s %s:%u, EdgeX %u (%s payload), topics %s/%s/{%s,%s}/%s/NAME, %s\n",
		       c->edgex.bus == OFF_EDGEX_MQTT ? "mqtt" : "redis", c->edgex.host, c->edgex.port,
		       c->edgex.version, c->edgex.version == 3 ? "base64" : "plain", c->edgex.topic_prefix,
		       c->edgex.service, c->edgex.profile, c->edgex.peer_profile, c->edgex.device,
		       c->edgex.on_change ? "on change" : "every tick");
	for (int i = 0; i < c->npeers; i++) {
		const struct off_cfg_peer *p = &c->peers[i];

		printf("peer %s: %s %s, ", p->name, p->kind == OFF_KIND_EDGE ? "edge" : "cloud",
		       fmt_ep(p->addr, 0, a, sizeof(a)));
		if (p->status_port && c->tls_ca[0])
			printf("status port %u, TLS name %s\n", p->status_port,
			       p->tls_name[0] ? p->tls_name : p->name);
		else if (p->status_port)
			printf("status port %u\n", p->status_port);
		else
			printf("not probed\n");
	}
	if (c->dns.name[0])
		printf("peers by DNS: %s:%u, looked up every %u ticks through %s\n", c->dns.name,
		       c->dns.port, c->dns.every, c->dns.server[0] ? c->dns.server : "/etc/resolv.conf's servers");
}

static int parse_args(struct check *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, {}
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': k->path = optarg; break;
		case 'v': k->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "offloadd check: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int off_check_main(int argc, char **argv)
{
	static struct check k = { .path = "/etc/offloadd/offloadd.conf" };
	const struct off_config *c = &k.cfg;
	char err[1024];
	int models;

	if (parse_args(&k, argc, argv))
		return 1;
	if (off_config_load(k.path, &k.cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\noffloadd check: %s: refused\n", err, k.path);
		return 1;
	}
	print_governed(c);
	models = check_models(&k);
	check_cgroups(&k);
	check_scope(&k);
	check_listen(&k, "status_listen", c->status_listen);
	check_listen(&k, "metrics_listen", c->metrics_listen);
	check_files(&k);
	check_tls(&k);
	check_bpf(&k);
	fflush(stdout);
	if (k.problems)
		fprintf(stderr, "offloadd check: %s: %d problem%s\n", k.path, k.problems,
			k.problems == 1 ? "" : "s");
	else
		printf("offloadd check: %s: ok: %d workloads, %d services, %d peers, %d models; "
		       "the BPF programs load\n", k.path, c->nworkloads, c->nservices, c->npeers, models);
	off_config_free(&k.cfg);
	return k.problems ? 1 : 0;
}
