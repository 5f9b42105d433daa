// SPDX-License-Identifier: GPL-2.0
/* Parses scenario INI files with libinih. Every key is known and range
 * checked; an error names file:line, the section and the key. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/inifile.h"
#include "lib/scenario.h"

struct ctx {
	struct off_scenario *s;
	const char *path;
	char *err;
	size_t errlen;
	int line;
	int failed;
};

struct key {
	const char *name;
	size_t off;
	double min, max;
};

#define K(n, f, lo, hi) { n, offsetof(struct off_scenario, f), lo, hi }
#define P(n, f, lo, hi) { n, offsetof(struct off_sim_peer, f), lo, hi }

static const struct key scenario_keys[] = {
	K("epoch_ms", epoch_s, 1, 60000), K("deadline_ms", deadline_s, 1, 600000),
	K("ghz", ghz, 0.1, 10), K("cores", cores, 1, OFF_SIM_MAX_CORES),
	K("kappa", kappa, 1e-30, 1e-24), K("p_tx_w", p_tx_w, 0, 10),
	K("bg_load", bg_load, 0, 0.99), K("bg_vol", bg_vol, 0, 0.5),
	K("rate", rate, 0.01, 10000), K("kb_min", kb_min, 0.01, 1e6), K("kb_max", kb_max, 0.01, 1e6),
	K("pareto_alpha", pareto_alpha, 1.01, 10),
	K("cycles_per_bit_min", cpb_min, 1, 1e5), K("cycles_per_bit_max", cpb_max, 1, 1e5),
	K("w_lat", reward.w_lat, 0, 100), K("w_energy", reward.w_energy, 0, 100),
	K("w_cost", reward.w_cost, 0, 100), K("lat_ref_ms", reward.lat_ref_s, 1e-3, 1e6),
	K("energy_ref_j", reward.energy_ref_j, 1e-9, 1e6), K("cost_ref", reward.cost_ref, 1e-12, 1e6),
	K("switch_rtts", switch_rtts, 0, 10), K("down_ratio", down_ratio, 0, 1000),
};

static const struct key peer_keys[] = {
	P("ghz", ghz, 0.1, 1000), P("actual_ghz", actual_ghz, 0, 1000),
	P("cores", cores, 0, OFF_SIM_MAX_CORES),
	P("rtt_ms", rtt_ms, 0, 10000), P("rtt_vol_ms", rtt_vol_ms, 0, 1000),
	P("bw_mbps", bw_mbps, 0.01, 1e6), P("load", load, 0, 0.99), P("load_vol", load_vol, 0, 0.5),
	P("fail_prob", fail_prob, 0, 1), P("recover_prob", recover_prob, 0, 1), P("cost", cost, 0, 1e3),
};

static int error(struct ctx *c, const char *section, const char *name, const char *fmt, const char *v)
{
	if (!c->failed)
		snprintf(c->err, c->errlen, "%s:%d: [%s] %s: %s \"%s\"", c->path, c->line, section,
			 name, fmt, v);
	c->failed = 1;
	return 0;
}

static int set_number(struct ctx *c, const struct key *keys, size_t n, void *base,
		      const char *section, const char *name, const char *value)
{
	for (size_t i = 0; i < n; i++) {
		char *end;
		double v;

		if (strcmp(keys[i].name, name))
			continue;
		errno = 0;
		v = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(v))
			return error(c, section, name, "expected a number, got", value);
		if (v < keys[i].min || v > keys[i].max) {
			char range[96];

			snprintf(range, sizeof(range), "out of range [%g, %g]:", keys[i].min, keys[i].max);
			return error(c, section, name, range, value);
		}
		/* Times are written in ms and kept in s. */
		if (strstr(name, "_ms") && keys == scenario_keys)
			v /= 1000;
		*(double *)((char *)base + keys[i].off) = v;
		return 1;
	}
	return error(c, section, name, "unknown key, value", value);
}

static int set_int(struct ctx *c, const char *section, const char *name, const char *value,
		   long max, int *out)
{
	char *end, range[64];
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (!errno && end != value && !*end && v >= 1 && v <= max) {
		*out = (int)v;
		return 1;
	}
	snprintf(range, sizeof(range), "expected an integer 1..%ld, got", max);
	return error(c, section, name, range, value);
}

static struct off_sim_peer *peer(struct ctx *c, const char *section)
{
	const char *name = strchr(section, ' ');
	enum off_target_kind kind = strncmp(section, "cloud", 5) ? OFF_KIND_EDGE : OFF_KIND_CLOUD;
	struct off_sim_peer *p;

	if (!name || !name[1])
		return NULL;
	for (int i = 0; i < c->s->npeers; i++)
		if (!strcmp(c->s->peers[i].name, name + 1))
			return &c->s->peers[i];
	if (c->s->npeers == OFF_SIM_MAX_PEERS)
		return NULL;
	p = &c->s->peers[c->s->npeers++];
	*p = (struct off_sim_peer){ .kind = kind, .ghz = 10, .cores = kind == OFF_KIND_CLOUD ? 0 : 4,
				    .rtt_ms = 10, .bw_mbps = 100 };
	snprintf(p->name, sizeof(p->name), "%s", name + 1);
	return p;
}

static int on_key(void *user, const char *section, const char *name, const char *value, int line)
{
	struct ctx *c = user;
	struct off_sim_peer *p;

	c->line = line;
	if (c->failed)
		return 0;
	if (!strcmp(section, "scenario")) {
		if (!strcmp(name, "name")) {
			snprintf(c->s->name, sizeof(c->s->name), "%s", value);
			return 1;
		}
		if (!strcmp(name, "epochs"))
			return set_int(c, section, name, value, 1000000, &c->s->epochs);
		if (!strcmp(name, "fleet"))
			return set_int(c, section, name, value, OFF_SIM_MAX_FLEET, &c->s->fleet);
		if (!strcmp(name, "observe")) {
			if (strcmp(value, "exact") && strcmp(value, "agent"))
				return error(c, section, name, "expected exact or agent, got", value);
			c->s->agent_view = !strcmp(value, "agent");
			return 1;
		}
		if (!strcmp(name, "sizes")) {
			if (strcmp(value, "uniform") && strcmp(value, "pareto"))
				return error(c, section, name, "expected uniform or pareto, got", value);
			c->s->pareto = !strcmp(value, "pareto");
			return 1;
		}
		return set_number(c, scenario_keys, sizeof(scenario_keys) / sizeof(*scenario_keys),
				  c->s, section, name, value);
	}
	if (!strncmp(section, "edge ", 5) || !strncmp(section, "cloud ", 6)) {
		p = peer(c, section);
		if (!p)
			return error(c, section, name, "too many peers, or a peer without a name; key", name);
		return set_number(c, peer_keys, sizeof(peer_keys) / sizeof(*peer_keys), p, section,
				  name, value);
	}
	return error(c, section, name, "unknown section; key", name);
}

void off_scenario_defaults(struct off_scenario *s)
{
	*s = (struct off_scenario){
		.epoch_s = 0.1, .deadline_s = 0.5, .epochs = 200, .fleet = 1, .ghz = 2, .cores = 1,
		.kappa = 1.28e-28, .p_tx_w = 0.5, .bg_load = 0.3, .bg_vol = 0.05, .rate = 40,
		.kb_min = 10, .kb_max = 500, .pareto_alpha = 1.5, .cpb_min = 500, .cpb_max = 1000,
		.reward = OFF_REWARD_DEFAULT,
	};
}

int off_scenario_load(const char *path, struct off_scenario *s, char *err, size_t errlen)
{
	struct off_scenario sc;
	struct ctx c = { .s = &sc, .path = path, .err = err, .errlen = errlen };
	int ret;

	off_scenario_defaults(&sc);
	ret = off_ini_parse(path, on_key, &c);
	if (ret < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	if (c.failed)
		return -EINVAL;
	if (ret > 0) {
		snprintf(err, errlen, "%s:%d: syntax error", path, ret);
		return -EINVAL;
	}
	if (sc.kb_max < sc.kb_min || sc.cpb_max < sc.cpb_min) {
		snprintf(err, errlen, "%s: kb_max and cycles_per_bit_max must be >= their minimums", path);
		return -EINVAL;
	}
	if (!sc.name[0])
		snprintf(sc.name, sizeof(sc.name), "%s", path);
	*s = sc;
	return 0;
}

/* %.17g: a written scenario reads back to the same doubles. */
static void put(FILE *f, const struct key *k, const void *base, double scale)
{
	fprintf(f, "%s = %.17g\n", k->name, *(const double *)((const char *)base + k->off) * scale);
}

int off_scenario_write(FILE *f, const struct off_scenario *s)
{
	fprintf(f, "[scenario]\nname = %s\nepochs = %d\nsizes = %s\nobserve = %s\nfleet = %d\n",
		s->name, s->epochs, s->pareto ? "pareto" : "uniform", s->agent_view ? "agent" : "exact",
		s->fleet);
	for (size_t i = 0; i < sizeof(scenario_keys) / sizeof(*scenario_keys); i++)
		put(f, &scenario_keys[i], s, strstr(scenario_keys[i].name, "_ms") ? 1000 : 1);
	for (int p = 0; p < s->npeers; p++) {
		fprintf(f, "\n[%s %s]\n", off_kind_names[s->peers[p].kind], s->peers[p].name);
		for (size_t i = 0; i < sizeof(peer_keys) / sizeof(*peer_keys); i++)
			put(f, &peer_keys[i], &s->peers[p], 1);
	}
	return ferror(f) ? -EIO : 0;
}
