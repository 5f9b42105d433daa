// SPDX-License-Identifier: GPL-2.0
/* The keys of each section and their values' checks: a setter stores a
 * valid value or says what it expected; the parser adds file:line. */
#include <errno.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/config_parser.h"
#include "agent/config/parse.h"
#include "agent/tick/capacity.h"

static int expected(struct parser *p, const char *fmt, double a, double b)
{
	snprintf(p->expect, sizeof(p->expect), fmt, a, b);
	return -EINVAL;
}

static int set_u32(struct parser *p, const struct key *k, void *f, const char *v)
{
	if (off_parse_u32(v, k->min, k->max, f))
		return expected(p, "expected an integer in %.0f..%.0f", k->min, k->max);
	return 0;
}

/* A size in bytes, with an optional K, M or G (powers of 1024). */
static int set_size(struct parser *p, const struct key *k, void *f, const char *v)
{
	static const char units[] = "KMG";
	size_t n = strlen(v);
	const char *u = n ? strchr(units, v[n - 1]) : NULL;
	int shift = u && *u ? 10 * (int)(u - units + 1) : 0;
	char num[32];
	uint32_t x;

	snprintf(num, sizeof(num), "%.*s", (int)(shift ? n - 1 : n), v);
	if (n >= sizeof(num) || off_parse_u32(num, 0, UINT32_MAX, &x) ||
	    (double)((uint64_t)x << shift) > k->max) {
		snprintf(p->expect, sizeof(p->expect),
			 "expected a size up to %.0f bytes, like 64M or 512K", k->max);
		return -EINVAL;
	}
	*(uint64_t *)f = (uint64_t)x << shift;
	return 0;
}

static int duration(struct parser *p, const struct key *k, const char *v, uint32_t *ms)
{
	char lo[16], hi[16];

	if (!off_parse_duration_ms(v, k->min, k->max, ms))
		return 0;
	snprintf(p->expect, sizeof(p->expect), "expected a duration in %s..%s, like 500ms or 2s",
		 off_fmt_duration(k->min, lo, sizeof(lo)), off_fmt_duration(k->max, hi, sizeof(hi)));
	return -EINVAL;
}

static int set_ms(struct parser *p, const struct key *k, void *f, const char *v)
{
	return duration(p, k, v, f);
}

static int set_seconds(struct parser *p, const struct key *k, void *f, const char *v)
{
	uint32_t ms;

	if (duration(p, k, v, &ms))
		return -EINVAL;
	*(double *)f = ms / 1e3;
	return 0;
}

static int set_double(struct parser *p, const struct key *k, void *f, const char *v)
{
	if (off_parse_double(v, k->min, k->max, f))
		return expected(p, "expected a number in %g..%g", k->min, k->max);
	return 0;
}

static int set_bool(struct parser *p, const struct key *k, void *f, const char *v)
{
	(void)k;
	if (off_parse_bool(v, f))
		return expected(p, "expected true or false", 0, 0);
	return 0;
}

static int set_path(struct parser *p, const struct key *k, void *f, const char *v)
{
	if (v[0] != '/' || strlen(v) >= k->max)
		return expected(p, "expected an absolute path under %.0f bytes", k->max, 0);
	strcpy(f, v);
	return 0;
}

static int set_cpus(struct parser *p, const struct key *k, void *f, const char *v)
{
	uint8_t cpus[4096];

	if (strlen(v) >= k->max || off_cpulist_parse(v, cpus, sizeof(cpus)))
		return expected(p, "expected a CPU list such as 0-3,6", 0, 0);
	strcpy(f, v);
	return 0;
}

static int set_pin_dir(struct parser *p, const struct key *k, void *f, const char *v)
{
	if (strncmp(v, "/sys/fs/bpf/", 12) || !v[12] || strlen(v) >= k->max)
		return expected(p, "expected a directory under /sys/fs/bpf/", 0, 0);
	strcpy(f, v);
	return 0;
}

static int set_listen(struct parser *p, const struct key *k, void *f, const char *v)
{
	struct off_endpoint ep;

	(void)k;
	if (strcmp(v, "off") && off_parse_endpoint(v, &ep))
		return expected(p, "expected ip:port, [ip6]:port or off", 0, 0);
	strcpy(f, strcmp(v, "off") ? v : "");	/* an endpoint fits: its host fits INET6_ADDRSTRLEN */
	return 0;
}

static int set_name(struct parser *p, const struct key *k, void *f, const char *v)
{
	if (off_parse_name(v, k->max))
		return expected(p, "expected letters, digits, '.', '_' and '-', under %.0f bytes", k->max, 0);
	strcpy(f, v);
	return 0;
}

static int set_ip(struct parser *p, const struct key *k, void *f, const char *v)
{
	(void)k;
	if (off_parse_ip(v, f))
		return expected(p, "expected an IPv4 or IPv6 address", 0, 0);
	return 0;
}

static int set_endpoint(struct parser *p, const struct key *k, void *f, const char *v)
{
	(void)k;
	if (off_parse_endpoint(v, f))
		return expected(p, "expected ip:port or [ip6]:port with a port in 1..65535", 0, 0);
	return 0;
}

static int set_kind(struct parser *p, const struct key *k, void *f, const char *v)
{
	(void)k;
	if (strcmp(v, "edge") && strcmp(v, "cloud"))
		return expected(p, "expected edge or cloud", 0, 0);
	*(enum off_target_kind *)f = strcmp(v, "edge") ? OFF_KIND_CLOUD : OFF_KIND_EDGE;
	return 0;
}

/* A host name: dot-separated labels of letters, digits and '-', none
 * starting or ending with '-', 253 bytes at most. */
static bool hostname_ok(const char *s, size_t n)
{
	size_t label = 0;

	if (!n || n > 253 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (!label || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || (ch == '-' && label)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return s[n - 1] != '-';
}

static int set_peers_dns(struct parser *p, const struct key *k, void *f, const char *v)
{
	struct off_cfg_dns *d = f;
	const char *colon = strrchr(v, ':');
	uint32_t port;

	(void)k;
	if (!colon || !hostname_ok(v, colon - v) || off_parse_u32(colon + 1, 1, 65535, &port))
		return expected(p, "expected NAME:PORT, a host name and the peers' status port", 0, 0);
	memcpy(d->name, v, colon - v);
	d->name[colon - v] = '\0';
	d->port = port;
	return 0;
}

static int set_dns_server(struct parser *p, const struct key *k, void *f, const char *v)
{
	struct off_endpoint ep;
	uint8_t ip[16];

	if ((off_parse_endpoint(v, &ep) && off_parse_ip(v, ip)) || strlen(v) >= k->max)
		return expected(p, "expected ip, ip:port or [ip6]:port", 0, 0);
	strcpy(f, v);
	return 0;
}

static int set_protocol(struct parser *p, const struct key *k, void *f, const char *v)
{
	struct off_cfg_service *s = f;

	(void)k;
	if (strcmp(v, "tcp") && strcmp(v, "udp"))
		return expected(p, "expected tcp or udp", 0, 0);
	s->vip.proto = s->local.proto = strcmp(v, "tcp") ? IPPROTO_UDP : IPPROTO_TCP;
	return 0;
}

static int set_policy(struct parser *p, const struct key *k, void *f, const char *v)
{
	struct off_cfg_workload *w = f;
	struct wl_refs *r = &p->refs[w - p->c.workloads];

	(void)k;
	if (!strcmp(v, "dqn") || !strcmp(v, "greedy")) {
		w->policy = v[0] == 'd' ? OFF_POLICY_DQN : OFF_POLICY_GREEDY;
		return 0;
	}
	if (strncmp(v, "static:", 7) || off_parse_name(v + 7, OFF_CFG_NAME_LEN))
		return expected(p, "expected dqn, greedy or static:TARGET", 0, 0);
	w->policy = OFF_POLICY_STATIC;
	strcpy(r->target, v + 7);
	r->policy_line = p->key_line[k - p->keys];
	return 0;
}

static int set_services(struct parser *p, const struct key *k, void *f, const char *v)
{
	struct wl_refs *r = &p->refs[(struct off_cfg_workload *)f - p->c.workloads];

	if (!v[strspn(v, ", ")])
		return expected(p, "expected service names separated by commas or spaces", 0, 0);
	strcpy(r->services, v);		/* a line is shorter than the buffer */
	r->services_line = p->key_line[k - p->keys];
	return 0;
}

/* mqtt://IP:PORT or redis://IP:PORT: an address, never a name to resolve,
 * so that a reconnect cannot block the loop on DNS. */
static int set_bus_url(struct parser *p, const struct key *k, void *f, const char *v)
{
	struct off_cfg_edgex *e = f;
	const char *rest = NULL;
	struct off_endpoint ep;
	bool v4;

	(void)k;
	if (!strncmp(v, "mqtt://", 7))
		e->bus = OFF_EDGEX_MQTT, rest = v + 7;
	else if (!strncmp(v, "redis://", 8))
		e->bus = OFF_EDGEX_REDIS, rest = v + 8;
	if (!rest || off_parse_endpoint(rest, &ep))
		return expected(p, "expected mqtt://IP:PORT or redis://IP:PORT (an address, not a name)", 0, 0);
	v4 = off_ip_is_v4(ep.addr);
	inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? ep.addr + 12 : ep.addr, e->host, sizeof(e->host));
	e->port = ep.port;
	return 0;
}

/* Topic levels of names, joined by '/': no wildcard, no empty level. */
static int set_topic(struct parser *p, const struct key *k, void *f, const char *v)
{
	size_t n = strlen(v);

	if (!n || n >= k->max || v[0] == '/' || v[n - 1] == '/' || strstr(v, "//") ||
	    v[strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/")])
		return expected(p, "expected topic levels of letters, digits, '.', '_' and '-' "
			       "joined by '/', like edgex/events/device", 0, 0);
	strcpy(f, v);
	return 0;
}

static int set_mode(struct parser *p, const struct key *k, void *f, const char *v)
{
	(void)k;
	if (strcmp(v, "tick") && strcmp(v, "change"))
		return expected(p, "expected tick or change", 0, 0);
	*(bool *)f = !strcmp(v, "change");
	return 0;
}

#define A(n, fn, f, lo, hi) { n, fn, offsetof(struct off_config, f), lo, hi, false }
#define S(n, fn, f) A(n, fn, f, 0, sizeof(((struct off_config *)0)->f))

const struct key off_cfg_agent_keys[] = {
	A("tick", set_ms, tick_ms, 10, 60000), A("lease", set_u32, lease_ticks, 1, 1000),
	A("w_lat", set_double, reward.w_lat, 0, 100), A("w_energy", set_double, reward.w_energy, 0, 100),
	A("w_cost", set_double, reward.w_cost, 0, 100),
	A("lat_ref", set_seconds, reward.lat_ref_s, 1, 3600000),
	A("energy_ref", set_double, reward.energy_ref_j, 1e-9, 1e6),
	A("cost_ref", set_double, reward.cost_ref, 1e-12, 1e6),
	A("cpu_watts", set_double, cpu_watts, 0, 1000),
	A("net_nj_per_byte", set_double, net_nj_per_byte, 0, 1e6),
	A("tx_watts", set_double, tx_watts, 0, 1000), A("cpu_ghz", set_double, cpu_ghz, 0.05, 100),
	A("switch_rtts", set_double, switch_rtts, 0, 10),
	A("herd", set_double, herd, 0, 1),
	S("model", set_path, model), S("ctl_socket", set_path, ctl_socket),
	S("status_listen", set_listen, status_listen), S("metrics_listen", set_listen, metrics_listen),
	S("experience_log", set_path, experience_log), A("dry_run", set_bool, dry_run, 0, 0),
	A("experience_log_max", set_size, experience_log_max, 0, 1099511627776.0),
	S("serve_cgroup", set_path, serve_cgroup), S("local_cpus", set_cpus, local_cpus), A("mark_base", set_u32, mark_base, 0, 0xffff0000u),
	A("max_tasks", set_u32, max_tasks, 1024, 4194304), A("max_flows", set_u32, max_flows, 256, 1048576),
	A("flow_idle", set_ms, flow_idle_ms, 1000, 3600000),
	A("max_workloads", set_u32, max_workloads, 1, OFF_CFG_MAX_WORKLOADS),
	S("node", set_name, node), S("ctl_group", set_name, ctl_group),
	S("ctl_admin_group", set_name, ctl_admin_group), S("pin_dir", set_pin_dir, pin_dir),
	A("peer_down_after", set_u32, peer_down_after, 1, 100),
	A("probe_timeout", set_ms, probe_timeout_ms, 1, 60000),
	A("refusal_hold", set_ms, refusal_hold_ms, 0, 3600000),
	S("tls_ca", set_path, tls_ca), S("tls_cert", set_path, tls_cert), S("tls_key", set_path, tls_key),
	A("kind", set_kind, kind, 0, 0), A("peers_dns", set_peers_dns, dns, 0, 0),
	A("peers_dns_every", set_u32, dns.every, 1, 100000),
	S("peers_dns_server", set_dns_server, dns.server),
};
const size_t off_cfg_nagent_keys = sizeof(off_cfg_agent_keys) / sizeof(off_cfg_agent_keys[0]);
_Static_assert(sizeof(off_cfg_agent_keys) / sizeof(off_cfg_agent_keys[0]) <= OFF_CFG_AGENT_KEYS,
	       "struct off_config keeps a line per [agent] key");

#define P(n, fn, f, lo, hi, req) { n, fn, offsetof(struct off_cfg_peer, f), lo, hi, req }
const struct key off_cfg_peer_keys[] = {
	P("address", set_ip, addr, 0, 0, true), P("kind", set_kind, kind, 0, 0, true),
	P("status_port", set_u32, status_port, 0, 65535, false),
	P("capacity", set_double, capacity_cores, 0, 65536, false),
	P("cpu_ghz", set_double, cpu_ghz, 0, 100, false),
	P("bandwidth", set_double, bw_mbps, 0.001, 1e6, false),
	P("cost", set_double, cost_per_req, 0, 1e6, false),
	P("tls_name", set_name, tls_name, 0, sizeof(((struct off_cfg_peer *)0)->tls_name), false),
};
const size_t off_cfg_npeer_keys = sizeof(off_cfg_peer_keys) / sizeof(off_cfg_peer_keys[0]);

#define V(n, fn, f, req) { n, fn, offsetof(struct off_cfg_service, f), 0, 0, req }
const struct key off_cfg_service_keys[] = {
	V("vip", set_endpoint, vip, true), V("local", set_endpoint, local, true),
	V("protocol", set_protocol, name, true),
};
const size_t off_cfg_nservice_keys = sizeof(off_cfg_service_keys) / sizeof(off_cfg_service_keys[0]);

#define W(n, fn, f, lo, hi, req) { n, fn, offsetof(struct off_cfg_workload, f), lo, hi, req }
const struct key off_cfg_workload_keys[] = {
	W("cgroup", set_path, cgroup, 0, OFF_CFG_PATH_LEN, true),
	W("services", set_services, name, 0, 0, true), W("policy", set_policy, name, 0, 0, false),
	W("model", set_path, model, 0, OFF_CFG_PATH_LEN, false),
	W("min_dwell", set_ms, min_dwell_ms, 0, 3600000, false),
	W("hysteresis", set_double, hysteresis, 0, 10, false),
};
const size_t off_cfg_nworkload_keys = sizeof(off_cfg_workload_keys) / sizeof(off_cfg_workload_keys[0]);
_Static_assert(sizeof(off_cfg_workload_keys) / sizeof(off_cfg_workload_keys[0]) <= OFF_CFG_WORKLOAD_KEYS,
	       "struct off_cfg_workload keeps a line per key");

#define E(n, fn, f, lo, hi, req) { n, fn, offsetof(struct off_cfg_edgex, f), lo, hi, req }
#define ES(n, fn, f) E(n, fn, f, 0, sizeof(((struct off_cfg_edgex *)0)->f), false)
const struct key off_cfg_edgex_keys[] = {
	E("url", set_bus_url, line, 0, 0, true), ES("topic_prefix", set_topic, topic_prefix),
	ES("service", set_name, service), ES("profile", set_name, profile),
	ES("peer_profile", set_name, peer_profile), ES("device", set_name, device),
	E("mode", set_mode, on_change, 0, 0, false), E("version", set_u32, version, 3, 4, false),
	E("reconnect_max", set_ms, reconnect_max_ms, 100, 3600000, false),
};
const size_t off_cfg_nedgex_keys = sizeof(off_cfg_edgex_keys) / sizeof(off_cfg_edgex_keys[0]);
