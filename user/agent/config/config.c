// SPDX-License-Identifier: GPL-2.0
/* Every section and key is known and checked; cross references are
 * resolved after the whole file is read (config_resolve.c). The first error
 * wins and names file, line, section and key. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config/config_parser.h"
#include "agent/config/parse.h"
#include "lib/inifile.h"

int off_cfg_bad(struct parser *p, int line, const char *sec, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed++)
		return 1;
	p->err_at = p->now;
	n = snprintf(p->err, p->errlen, "%s:%d: %s%s%s%s%s", p->file, line, sec ? "[" : "",
		     sec ? sec : "", sec ? "] " : "", key ? key : "", key ? ": " : "");
	if (n < 0 || (size_t)n >= p->errlen)
		return 1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return 1;
}


static const char *named(const char *sec, const char *kind)
{
	size_t n = strlen(kind);

	if (strncmp(sec, kind, n) || sec[n] != ' ')
		return NULL;
	return sec + n + 1;
}

/* Adds the entry NAME to TABLE; its index, or -1 when refused. */
static int add(struct parser *p, const char *name, char *table, size_t size, size_t line_off,
	       int *n, int max, const char *what)
{
	char *e;

	if (off_parse_name(name, OFF_CFG_NAME_LEN)) {
		off_cfg_bad(p, p->sec_line, p->sec, NULL, "bad name: expected letters, digits, '.', '_' and '-', "
		    "under %d bytes", OFF_CFG_NAME_LEN);
		return -1;
	}
	for (int i = 0; i < *n; i++) {
		if (!strcmp(table + i * size, name)) {
			off_cfg_bad(p, p->sec_line, p->sec, NULL, "duplicate section (first at line %d)",
			    *(int *)(table + i * size + line_off));
			return -1;
		}
	}
	if (*n == max) {
		off_cfg_bad(p, p->sec_line, p->sec, NULL, "too many %s sections (at most %d)", what, max);
		return -1;
	}
	e = table + (*n) * size;
	strcpy(e, name);
	*(int *)(e + line_off) = p->sec_line;
	return (*n)++;
}

/* Workloads are many and large: their table grows as they come. */
static int grow(struct parser *p)
{
	int old = p->cap, cap = old ? 2 * old : 16;
	void *w, *r;

	if (p->c.nworkloads < old || old == OFF_CFG_MAX_WORKLOADS)
		return 0;
	cap = cap < OFF_CFG_MAX_WORKLOADS ? cap : OFF_CFG_MAX_WORKLOADS;
	w = realloc(p->c.workloads, cap * sizeof(*p->c.workloads));
	if (w)
		p->c.workloads = w;
	r = realloc(p->refs, cap * sizeof(*p->refs));
	if (r)
		p->refs = r;
	if (!w || !r)
		return -ENOMEM;
	memset(p->c.workloads + old, 0, (cap - old) * sizeof(*p->c.workloads));
	memset(p->refs + old, 0, (cap - old) * sizeof(*p->refs));
	p->cap = cap;
	return 0;
}

static void open_peer(struct parser *p, const char *name)
{
	struct off_config *c = &p->c;
	int i = add(p, name, (char *)c->peers, sizeof(c->peers[0]), offsetof(struct off_cfg_peer, line),
		    &c->npeers, OFF_CFG_MAX_PEERS, "peer");

	if (i < 0)
		return;
	if (!strcmp(name, "local")) {
		off_cfg_bad(p, p->sec_line, p->sec, NULL, "bad name: \"local\" is the local target's name");
		return;
	}
	c->peers[i].status_port = 7400;
	p->keys = off_cfg_peer_keys;
	p->nkeys = off_cfg_npeer_keys;
	p->base = &c->peers[i];
}

static void open_service(struct parser *p, const char *name)
{
	struct off_config *c = &p->c;
	int i = add(p, name, (char *)c->services, sizeof(c->services[0]),
		    offsetof(struct off_cfg_service, line), &c->nservices, OFF_CFG_MAX_SERVICES, "service");

	if (i < 0)
		return;
	p->keys = off_cfg_service_keys;
	p->nkeys = off_cfg_nservice_keys;
	p->base = &c->services[i];
}

static void open_workload(struct parser *p, const char *name)
{
	struct off_config *c = &p->c;
	struct off_cfg_workload *w;
	int i;

	if (grow(p)) {
		off_cfg_bad(p, p->sec_line, p->sec, NULL, "out of memory");
		return;
	}
	i = add(p, name, (char *)c->workloads, sizeof(*w), offsetof(struct off_cfg_workload, line),
		&c->nworkloads, OFF_CFG_MAX_WORKLOADS, "workload");
	if (i < 0)
		return;
	w = &c->workloads[i];
	w->policy = OFF_POLICY_DQN;
	w->min_dwell_ms = 5000;
	w->hysteresis = 0.05;
	p->keys = off_cfg_workload_keys;
	p->nkeys = off_cfg_nworkload_keys;
	p->base = w;
}

static void close_section(struct parser *p)
{
	for (size_t i = 0; p->keys && i < p->nkeys; i++)
		if (p->keys[i].required && !p->key_line[i])
			off_cfg_bad(p, p->sec_line, p->sec, p->keys[i].name, "required key missing");
	/* Kept for later messages about what the values name (offloadd check). */
	if (p->keys == off_cfg_agent_keys)
		memcpy(p->c.key_line, p->key_line, sizeof(p->c.key_line));
	else if (p->keys == off_cfg_workload_keys)
		memcpy(((struct off_cfg_workload *)p->base)->key_line, p->key_line,
		       sizeof(((struct off_cfg_workload *)p->base)->key_line));
	p->keys = NULL;
	memset(p->key_line, 0, sizeof(p->key_line));
}

static void on_section(void *user, const char *sec, int line)
{
	struct parser *p = user;
	const char *name;

	p->now = line;
	close_section(p);
	snprintf(p->sec, sizeof(p->sec), "%s", sec);
	p->sec_line = line;
	if (!strcmp(sec, "agent")) {
		if (p->agent_line) {
			off_cfg_bad(p, line, sec, NULL, "duplicate section (first at line %d)", p->agent_line);
			return;
		}
		p->agent_line = p->c.agent_line = line;
		p->keys = off_cfg_agent_keys;
		p->nkeys = off_cfg_nagent_keys;
		p->base = &p->c;
	} else if (!strcmp(sec, "edgex")) {
		if (p->c.edgex.line) {
			off_cfg_bad(p, line, sec, NULL, "duplicate section (first at line %d)", p->c.edgex.line);
			return;
		}
		p->keys = off_cfg_edgex_keys;
		p->nkeys = off_cfg_nedgex_keys;
		p->base = &p->c.edgex;
		p->c.edgex.line = line;
	} else if ((name = named(sec, "peer"))) {
		open_peer(p, name);
	} else if ((name = named(sec, "service"))) {
		open_service(p, name);
	} else if ((name = named(sec, "workload"))) {
		open_workload(p, name);
	} else {
		off_cfg_bad(p, line, sec, NULL, "unknown section: expected [agent], [peer NAME], [service NAME], "
		    "[workload NAME] or [edgex]");
	}
}

/* port.PEER: checked against the peers once all are known. */
static int port_key(struct parser *p, const char *key, const char *v, int line)
{
	int svc = (struct off_cfg_service *)p->base - p->c.services;
	struct port_ref *r = &p->ports[p->nports];
	uint32_t port;

	if (off_parse_name(key + 5, OFF_CFG_NAME_LEN))
		return off_cfg_bad(p, line, p->sec, key, "unknown key");
	for (int i = 0; i < p->nports; i++)
		if (p->ports[i].svc == svc && !strcmp(p->ports[i].peer, key + 5))
			return off_cfg_bad(p, line, p->sec, key, "given twice (first at line %d)", p->ports[i].line);
	if (off_parse_u32(v, 1, 65535, &port))
		return off_cfg_bad(p, line, p->sec, key, "expected a port in 1..65535, got \"%s\"", v);
	if (p->nports == (int)(sizeof(p->ports) / sizeof(p->ports[0])))
		return off_cfg_bad(p, line, p->sec, key, "too many per-peer ports");
	r->svc = svc;
	r->line = line;
	r->port = port;
	strcpy(r->peer, key + 5);
	p->nports++;
	return 1;
}

static int on_key(void *user, const char *sec, const char *key, const char *v, int line)
{
	struct parser *p = user;
	const struct key *k;
	size_t i;

	p->now = line;
	if (!sec[0])
		return off_cfg_bad(p, line, NULL, key, "outside any section");
	if (!p->keys)
		return 1;	/* the section itself was refused */
	if (p->keys == off_cfg_service_keys && !strncmp(key, "port.", 5))
		return port_key(p, key, v, line);
	for (i = 0; i < p->nkeys && strcmp(p->keys[i].name, key); i++)
		;
	if (i == p->nkeys)
		return off_cfg_bad(p, line, sec, key, "unknown key");
	if (p->key_line[i])
		return off_cfg_bad(p, line, sec, key, "given twice (first at line %d)", p->key_line[i]);
	p->key_line[i] = line;
	k = &p->keys[i];
	if (k->set(p, k, (char *)p->base + k->off, v))
		return off_cfg_bad(p, line, sec, key, "%s, got \"%s\"", p->expect, v);
	return 1;
}

static void resolve(struct parser *p)
{
	p->now = INT_MAX;
	close_section(p);
	off_cfg_resolve(p);
}

static void defaults(struct off_config *c)
{
	const struct off_reward_cfg reward = OFF_REWARD_DEFAULT;

	c->tick_ms = 1000;
	c->lease_ticks = 3;
	c->mark_base = 0x0ff10000;
	c->peer_down_after = 3;
	c->refusal_hold_ms = 5000;
	c->max_tasks = 65536;
	c->max_flows = 16384;
	c->flow_idle_ms = 60000;
	c->max_workloads = 256;
	c->reward = reward;
	c->cpu_watts = 1.0;
	c->net_nj_per_byte = 40;
	c->cpu_ghz = 1.0;
	c->experience_log_max = 256ull << 20;
	c->switch_rtts = 1;
	c->herd = OFF_HERD_DEFAULT;
	c->kind = OFF_KIND_EDGE;
	c->dns.every = 5;
	strcpy(c->model, "/var/lib/offloadd/default.omdl");
	strcpy(c->ctl_socket, OFF_CTL_SOCKET);
	strcpy(c->metrics_listen, "127.0.0.1:9477");
	strcpy(c->pin_dir, OFF_PIN_DIR);
	c->edgex = (struct off_cfg_edgex){ .topic_prefix = "edgex/events/device", .service = "offloadd",
					   .profile = "offloadd-workload", .peer_profile = "offloadd-peer",
					   .version = 3, .reconnect_max_ms = 30000, .on_change = true };
	if (gethostname(c->node, sizeof(c->node) - 1) || off_parse_name(c->node, sizeof(c->node)))
		strcpy(c->node, "localhost");
}

void off_config_est_env(const struct off_config *c, struct off_est_env *env)
{
	*env = (struct off_est_env){ .reward = c->reward, .local_ghz = c->cpu_ghz,
				     .cpu_watts = c->cpu_watts, .tx_watts = c->tx_watts,
				     .nj_per_byte = c->net_nj_per_byte, .switch_rtts = c->switch_rtts,
				     .herd = c->herd, .measured = 1 };
}

static int parse(const char *path, const char *text, const char *name, struct off_config *out,
		 char *err, size_t errlen)
{
	struct parser *p = calloc(1, sizeof(*p));
	struct off_ini_strict ini = { .on_key = on_key, .on_section = on_section, .user = p };
	int ret;

	if (!p)
		return -ENOMEM;
	defaults(&p->c);
	p->file = name;
	p->err = err;
	p->errlen = errlen;
	ret = path ? off_ini_parse_strict(path, &ini) : off_ini_parse_strict_string(text, &ini);
	if (ret < 0)
		snprintf(err, errlen, "%s: %s", name, strerror(-ret));
	else if (ret > 0 && p->failed && p->err_at < ret)
		;	/* an earlier error stands */
	else if (ret > 0 && ini.why && ini.why_line == ret)
		snprintf(err, errlen, "%s:%d: %s", name, ret, ini.why);
	else if (ret > 0)
		snprintf(err, errlen, "%s:%d: syntax error: expected [section], key = value or a comment",
			 name, ret);
	if (!ret && !p->failed)
		resolve(p);
	if (!ret && p->failed)
		ret = -EINVAL;
	if (ret > 0)
		ret = -EINVAL;
	if (ret)
		free(p->c.workloads);
	else
		*out = p->c;
	free(p->refs);
	free(p);
	return ret;
}

int off_config_load(const char *path, struct off_config *c, char *err, size_t errlen)
{
	struct stat st;

	/* Anyone could have rewritten it: what it governs is not to be trusted. */
	if (!stat(path, &st) && (st.st_mode & S_IWOTH)) {
		snprintf(err, errlen, "%s: world-writable, refused (chmod o-w %s)", path, path);
		return -EPERM;
	}
	return parse(path, NULL, path, c, err, errlen);
}

int off_config_parse_str(const char *text, const char *name, struct off_config *c,
			 char *err, size_t errlen)
{
	return parse(NULL, text, name, c, err, errlen);
}

void off_config_free(struct off_config *c)
{
	free(c->workloads);
	c->workloads = NULL;
	c->nworkloads = 0;
}

int off_config_line(const struct off_config *c, const struct off_cfg_workload *w, const char *key)
{
	const struct key *keys = w ? off_cfg_workload_keys : off_cfg_agent_keys;
	size_t n = w ? off_cfg_nworkload_keys : off_cfg_nagent_keys;
	const int *lines = w ? w->key_line : c->key_line;

	for (size_t i = 0; key && i < n; i++)
		if (!strcmp(keys[i].name, key) && lines[i])
			return lines[i];
	return w ? w->line : c->agent_line;
}

const char *off_config_target_name(const struct off_config *c, uint32_t tidx)
{
	return tidx && tidx <= (uint32_t)c->npeers ? c->peers[tidx - 1].name : "local";
}

const char *off_config_policy_name(const struct off_config *c, const struct off_cfg_workload *w,
				   char *buf, size_t len)
{
	static const char *const names[] = { [OFF_POLICY_DQN] = "dqn", [OFF_POLICY_GREEDY] = "greedy" };

	if (w->policy == OFF_POLICY_STATIC)
		snprintf(buf, len, "static:%s", off_config_target_name(c, w->target));
	else
		snprintf(buf, len, "%s", names[w->policy]);
	return buf;
}
