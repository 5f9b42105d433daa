// SPDX-License-Identifier: GPL-2.0
/* Every key is known and checked; cross references (a workload's services,
 * a static target, a per-peer port) are resolved after the whole file is
 * read. The first error wins and names file, line, section and key. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"
#include "lib/inifile.h"

/* Per-peer ports and references wait for the whole file. */
struct pending {
	char svc[OFF_CFG_NAME_LEN], peer[OFF_CFG_NAME_LEN];
	uint16_t port;
	int line;
};

struct parser {
	struct off_config *c;
	const char *file;
	char *err;
	size_t errlen;
	int failed;
	char static_target[OFF_CFG_MAX_WORKLOADS][OFF_CFG_NAME_LEN];
	char services[OFF_CFG_MAX_WORKLOADS][512];
	int services_line[OFF_CFG_MAX_WORKLOADS], policy_line[OFF_CFG_MAX_WORKLOADS];
	int npending;
	struct pending pending[OFF_CFG_MAX_SERVICES * OFF_CFG_MAX_PEERS];
};

static int bad(struct parser *p, int line, const char *section, const char *key,
	       const char *what, const char *value)
{
	if (!p->failed)
		snprintf(p->err, p->errlen, "%s:%d: [%s] %s: %s%s%s%s", p->file, line, section, key,
			 what, value ? " \"" : "", value ? value : "", value ? "\"" : "");
	p->failed = 1;
	return 1;	/* keep reading: the first error is the one reported */
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

static int parse_ip(const char *s, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr + 12) == 1) {
		addr[10] = addr[11] = 0xff;
		return 0;
	}
	return inet_pton(AF_INET6, s, addr) == 1 ? 0 : -EINVAL;
}

/* "ip:port" or "[ip6]:port". */
static int parse_endpoint(const char *s, struct off_endpoint *ep)
{
	char host[64];
	const char *colon;
	uint32_t port;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || close - s - 1 >= (long)sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(close - s - 1), s + 1);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || colon - s >= (long)sizeof(host) || strchr(s, ':') != colon)
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	}
	if (parse_ip(host, ep->addr) || parse_u32(colon + 1, 1, 65535, &port))
		return -EINVAL;
	ep->port = port;
	return 0;
}

static int is_v4(const uint8_t addr[16])
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(addr, prefix, 12);
}

static const char *named(const char *section, const char *kind)
{
	size_t n = strlen(kind);

	if (strncmp(section, kind, n) || section[n] != ' ' || !section[n + 1])
		return NULL;
	return section + n + 1;
}

static int agent_key(struct parser *p, const char *key, const char *v, int line)
{
	struct off_config *c = p->c;

	if (!strcmp(key, "tick_ms")) {
		if (parse_u32(v, 10, 60000, &c->tick_ms))
			return bad(p, line, "agent", key, "expected 10..60000 ms, got", v);
	} else if (!strcmp(key, "lease_ticks")) {
		if (parse_u32(v, 1, 1000, &c->lease_ticks))
			return bad(p, line, "agent", key, "expected 1..1000, got", v);
	} else if (!strcmp(key, "peer_down_after")) {
		if (parse_u32(v, 1, 100, &c->peer_down_after))
			return bad(p, line, "agent", key, "expected 1..100 failed probes, got", v);
	} else if (!strcmp(key, "probe_timeout_ms")) {
		if (parse_u32(v, 1, 60000, &c->probe_timeout_ms))
			return bad(p, line, "agent", key, "expected 1..60000 ms, got", v);
	} else if (!strcmp(key, "ctl_socket")) {
		if (v[0] != '/' || strlen(v) >= sizeof(c->ctl_socket))
			return bad(p, line, "agent", key, "expected an absolute path under 108 bytes, got", v);
		snprintf(c->ctl_socket, sizeof(c->ctl_socket), "%s", v);
	} else if (!strcmp(key, "status_listen")) {
		struct off_endpoint ep;

		if (parse_endpoint(v, &ep))
			return bad(p, line, "agent", key, "expected ip:port or [ip6]:port, got", v);
		snprintf(c->status_listen, sizeof(c->status_listen), "%s", v);
	} else if (!strcmp(key, "node")) {
		if (!v[0] || strlen(v) >= sizeof(c->node))
			return bad(p, line, "agent", key, "expected a name under 64 bytes, got", v);
		snprintf(c->node, sizeof(c->node), "%s", v);
	} else if (!strcmp(key, "pin_dir")) {
		if (strncmp(v, "/sys/fs/bpf/", 12) || strlen(v) >= sizeof(c->pin_dir))
			return bad(p, line, "agent", key, "expected a directory under /sys/fs/bpf/, got", v);
		snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", v);
	} else if (!strcmp(key, "mark_base")) {
		if (parse_u32(v, 0, 0xffff0000u, &c->mark_base))
			return bad(p, line, "agent", key, "expected a number up to 0xffff0000, got", v);
	} else {
		return bad(p, line, "agent", key, "unknown key, value", v);
	}
	return 1;
}

/* The entry named NAME in a table, added on first sight. */
static void *entry(struct parser *p, void *table, size_t size, size_t line_off, int *n, int max,
		   const char *name, int line, const char *section)
{
	char *e = table;

	for (int i = 0; i < *n; i++, e += size)
		if (!strcmp(e, name))
			return e;
	if (*n == max || strlen(name) >= OFF_CFG_NAME_LEN) {
		bad(p, line, section, "name", *n == max ? "too many sections like it" : "name too long", NULL);
		return NULL;
	}
	e = (char *)table + size * (*n)++;
	snprintf(e, OFF_CFG_NAME_LEN, "%s", name);
	*(int *)(e + line_off) = line;
	return e;
}

static int peer_key(struct parser *p, const char *sec, const char *name, const char *key,
		    const char *v, int line)
{
	struct off_cfg_peer *pe = entry(p, p->c->peers, sizeof(*pe), offsetof(struct off_cfg_peer, line), &p->c->npeers,
					OFF_CFG_MAX_PEERS, name, line, sec);

	if (!pe)
		return 1;
	if (!strcmp(key, "address")) {
		if (parse_ip(v, pe->addr))
			return bad(p, line, sec, key, "expected an IPv4 or IPv6 address, got", v);
	} else if (!strcmp(key, "status_port")) {
		if (parse_u32(v, 0, 65535, &pe->status_port))
			return bad(p, line, sec, key, "expected a port 1..65535, or 0 not to probe, got", v);
		pe->status_port_set = 1;
	} else if (!strcmp(key, "kind")) {
		if (strcmp(v, "edge") && strcmp(v, "cloud"))
			return bad(p, line, sec, key, "expected edge or cloud, got", v);
		pe->kind = strcmp(v, "edge") ? OFF_KIND_CLOUD : OFF_KIND_EDGE;
	} else {
		return bad(p, line, sec, key, "unknown key, value", v);
	}
	return 1;
}

static int service_key(struct parser *p, const char *sec, const char *name, const char *key,
		       const char *v, int line)
{
	struct off_cfg_service *s = entry(p, p->c->services, sizeof(*s), offsetof(struct off_cfg_service, line),
					  &p->c->nservices,
					  OFF_CFG_MAX_SERVICES, name, line, sec);
	uint32_t port;

	if (!s)
		return 1;
	if (!strcmp(key, "vip") || !strcmp(key, "local")) {
		struct off_endpoint *ep = key[0] == 'v' ? &s->vip : &s->local;
		uint8_t proto = ep->proto;

		if (parse_endpoint(v, ep))
			return bad(p, line, sec, key, "expected ip:port or [ip6]:port, got", v);
		ep->proto = proto;
	} else if (!strcmp(key, "protocol")) {
		if (strcmp(v, "tcp") && strcmp(v, "udp"))
			return bad(p, line, sec, key, "expected tcp or udp, got", v);
		s->vip.proto = s->local.proto = strcmp(v, "tcp") ? 17 : 6;
	} else if (!strncmp(key, "port.", 5) && key[5]) {
		struct pending *q = &p->pending[p->npending];

		if (parse_u32(v, 1, 65535, &port))
			return bad(p, line, sec, key, "expected a port 1..65535, got", v);
		if (p->npending == (int)(sizeof(p->pending) / sizeof(p->pending[0])))
			return bad(p, line, sec, key, "too many per-peer ports", NULL);
		snprintf(q->svc, sizeof(q->svc), "%s", name);
		snprintf(q->peer, sizeof(q->peer), "%s", key + 5);
		q->port = port;
		q->line = line;
		p->npending++;
	} else {
		return bad(p, line, sec, key, "unknown key, value", v);
	}
	return 1;
}

static int workload_key(struct parser *p, const char *sec, const char *name, const char *key,
			const char *v, int line)
{
	struct off_cfg_workload *w = entry(p, p->c->workloads, sizeof(*w), offsetof(struct off_cfg_workload, line),
					   &p->c->nworkloads,
					   OFF_CFG_MAX_WORKLOADS, name, line, sec);
	int i;

	if (!w)
		return 1;
	i = w - p->c->workloads;
	if (!strcmp(key, "cgroup")) {
		if (v[0] != '/' || strlen(v) >= sizeof(w->cgroup))
			return bad(p, line, sec, key, "expected an absolute path, got", v);
		snprintf(w->cgroup, sizeof(w->cgroup), "%s", v);
	} else if (!strcmp(key, "services")) {
		snprintf(p->services[i], sizeof(p->services[i]), "%s", v);
		p->services_line[i] = line;
	} else if (!strcmp(key, "policy")) {
		if (strncmp(v, "static:", 7) || !v[7])
			return bad(p, line, sec, key,
				   "this build enforces static:TARGET policies only (local or a peer name), got", v);
		snprintf(p->static_target[i], sizeof(p->static_target[i]), "%s", v + 7);
		p->policy_line[i] = line;
	} else {
		return bad(p, line, sec, key, "unknown key, value", v);
	}
	return 1;
}

static int on_key(void *user, const char *sec, const char *key, const char *v, int line)
{
	struct parser *p = user;
	const char *name;

	if (!strcmp(sec, "agent"))
		return agent_key(p, key, v, line);
	if ((name = named(sec, "peer")))
		return peer_key(p, sec, name, key, v, line);
	if ((name = named(sec, "service")))
		return service_key(p, sec, name, key, v, line);
	if ((name = named(sec, "workload")))
		return workload_key(p, sec, name, key, v, line);
	return bad(p, line, sec, key, "unknown section", NULL);
}

static int peer_index(const struct off_config *c, const char *name)
{
	if (!strcmp(name, "local"))
		return 0;
	for (int i = 0; i < c->npeers; i++)
		if (!strcmp(c->peers[i].name, name))
			return i + 1;
	return -1;
}

static int service_index(const struct off_config *c, const char *name)
{
	for (int i = 0; i < c->nservices; i++)
		if (!strcmp(c->services[i].name, name))
			return i;
	return -1;
}

static void check_service(struct parser *p, const struct off_cfg_service *s)
{
	char sec[64];
	int v4 = is_v4(s->vip.addr);

	snprintf(sec, sizeof(sec), "service %s", s->name);
	if (!s->vip.port)
		bad(p, s->line, sec, "vip", "missing", NULL);
	else if (!s->local.port)
		bad(p, s->line, sec, "local", "missing", NULL);
	else if (!s->vip.proto)
		bad(p, s->line, sec, "protocol", "missing", NULL);
	else if (is_v4(s->local.addr) != v4)
		bad(p, s->line, sec, "local", "must be of the VIP's address family", NULL);
	for (int i = 0; i < p->c->npeers; i++)
		if (is_v4(p->c->peers[i].addr) != v4)
			bad(p, s->line, sec, "vip", "a peer's address family differs from the VIP's:",
			    p->c->peers[i].name);
}

static void resolve_workload(struct parser *p, int i)
{
	struct off_cfg_workload *w = &p->c->workloads[i];
	char sec[64], list[512], *tok, *save;
	int t;

	snprintf(sec, sizeof(sec), "workload %s", w->name);
	if (!w->cgroup[0])
		bad(p, w->line, sec, "cgroup", "missing", NULL);
	if (!p->static_target[i][0])
		bad(p, w->line, sec, "policy", "missing (static:TARGET)", NULL);
	t = peer_index(p->c, p->static_target[i]);
	if (p->static_target[i][0] && t < 0)
		bad(p, p->policy_line[i], sec, "policy", "no such target:", p->static_target[i]);
	w->target = t < 0 ? 0 : t;
	snprintf(list, sizeof(list), "%s", p->services[i]);
	for (tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		int s = service_index(p->c, tok);

		if (s < 0)
			bad(p, p->services_line[i], sec, "services", "no such service:", tok);
		else
			w->services |= 1ULL << s;
	}
	if (!w->services)
		bad(p, w->line, sec, "services", "missing", NULL);
}

static void resolve(struct parser *p)
{
	struct off_config *c = p->c;

	for (int i = 0; i < c->npeers; i++) {
		static const uint8_t none[16];
		char sec[64];

		snprintf(sec, sizeof(sec), "peer %s", c->peers[i].name);
		if (!memcmp(c->peers[i].addr, none, 16))
			bad(p, c->peers[i].line, sec, "address", "missing", NULL);
		if (!strcmp(c->peers[i].name, "local"))
			bad(p, c->peers[i].line, sec, "name", "\"local\" is the local target's name", NULL);
	}
	for (int i = 0; i < p->npending; i++) {
		struct pending *q = &p->pending[i];
		int t = peer_index(c, q->peer), s = service_index(c, q->svc);
		char sec[64], key[64];

		snprintf(sec, sizeof(sec), "service %s", q->svc);
		snprintf(key, sizeof(key), "port.%s", q->peer);
		if (t <= 0)
			bad(p, q->line, sec, key, "no such peer:", q->peer);
		else
			c->services[s].port[t] = q->port;
	}
	for (int i = 0; i < c->nservices; i++)
		check_service(p, &c->services[i]);
	for (int i = 0; i < c->nworkloads; i++)
		resolve_workload(p, i);
}

/* Defaults that depend on other keys. */
static void settle(struct off_config *c)
{
	if (!c->probe_timeout_ms)
		c->probe_timeout_ms = c->tick_ms / 2 < 500 ? c->tick_ms / 2 : 500;
	for (int i = 0; i < c->npeers; i++)
		if (!c->peers[i].status_port_set)
			c->peers[i].status_port = 7400;
}

static int finish(struct parser *p, int ret, struct off_config *out)
{
	if (ret < 0) {
		snprintf(p->err, p->errlen, "%s: %s", p->file, strerror(-ret));
		return ret;
	}
	if (ret > 0 && !p->failed) {
		snprintf(p->err, p->errlen, "%s:%d: syntax error", p->file, ret);
		return -EINVAL;
	}
	if (!p->failed)
		resolve(p);
	if (p->failed)
		return -EINVAL;
	settle(p->c);
	*out = *p->c;
	return 0;
}

static struct parser *parser_new(const char *file, char *err, size_t errlen)
{
	struct parser *p = calloc(1, sizeof(*p) + sizeof(struct off_config));

	if (!p)
		return NULL;
	p->c = (struct off_config *)(p + 1);
	p->c->tick_ms = 1000;
	p->c->lease_ticks = 3;
	p->c->peer_down_after = 3;
	snprintf(p->c->ctl_socket, sizeof(p->c->ctl_socket), "/run/offloadd/ctl.sock");
	snprintf(p->c->pin_dir, sizeof(p->c->pin_dir), "%s", OFF_PIN_DIR);
	gethostname(p->c->node, sizeof(p->c->node) - 1);
	p->file = file;
	p->err = err;
	p->errlen = errlen;
	return p;
}

int off_config_load(const char *path, struct off_config *c, char *err, size_t errlen)
{
	struct parser *p = parser_new(path, err, errlen);
	int ret;

	if (!p)
		return -ENOMEM;
	ret = finish(p, off_ini_parse(path, on_key, p), c);
	free(p);
	return ret;
}

int off_config_parse_str(const char *text, const char *name, struct off_config *c,
			 char *err, size_t errlen)
{
	struct parser *p = parser_new(name, err, errlen);
	int ret;

	if (!p)
		return -ENOMEM;
	ret = finish(p, off_ini_parse_string(text, on_key, p), c);
	free(p);
	return ret;
}

const char *off_config_target_name(const struct off_config *c, uint32_t tidx)
{
	return tidx && tidx <= (uint32_t)c->npeers ? c->peers[tidx - 1].name : "local";
}
