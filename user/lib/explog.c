// SPDX-License-Identifier: GPL-2.0
/* Experience lines with jansson: written compactly, read strictly (every
 * field present, typed, finite, in range). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "lib/explog.h"

#define OFF_STR_(x) #x
#define OFF_STR(x) OFF_STR_(x)

#define WL_FIELDS(X) X(cpu_cores) X(rq_p50_us) X(rq_p99_us) X(host_util) \
	X(host_rq_p99_us) X(req_rate) X(up_bytes) X(down_bytes) X(cpu_ms)
#define CAND_FIELDS(X) X(rtt_us) X(rtt_jitter_us) X(bw_mbps) X(ghz) X(cores) X(util) \
	X(wait_us) X(rq_p99_us) X(cost_per_req)
#define ENV_FIELDS(X) X(reward.w_lat, w_lat) X(reward.w_energy, w_energy) \
	X(reward.w_cost, w_cost) X(reward.lat_ref_s, lat_ref_s) X(reward.energy_ref_j, energy_ref_j) \
	X(reward.cost_ref, cost_ref) X(local_ghz, local_ghz) X(cpu_watts, cpu_watts) \
	X(tx_watts, tx_watts) X(nj_per_byte, nj_per_byte) X(switch_rtts, switch_rtts)

static json_t *state_json(const struct off_exp_state *s)
{
	json_t *wl = json_object(), *cands = json_array();

#define PUT(f) json_object_set_new(wl, #f, json_real(s->wl.f));
	WL_FIELDS(PUT)
#undef PUT
	for (int i = 0; i < s->ncand; i++) {
		json_t *c = json_object();

		json_object_set_new(c, "kind", json_string(off_kind_names[s->cand[i].kind]));
		json_object_set_new(c, "current", json_boolean(s->cand[i].current));
#define PUT(f) json_object_set_new(c, #f, json_real(s->cand[i].f));
		CAND_FIELDS(PUT)
#undef PUT
		json_object_set_new(c, "clients", json_real(s->cand[i].clients));
		json_array_append_new(cands, c);
	}
	return json_pack("{s:o, s:o, s:I}", "wl", wl, "cands", cands, "mask", (json_int_t)s->mask);
}

static json_t *env_json(const struct off_est_env *env)
{
	json_t *o = json_object();

#define PUT(f, name) json_object_set_new(o, #name, json_real(env->f));
	ENV_FIELDS(PUT)
#undef PUT
	json_object_set_new(o, "herd", json_real(env->herd));
	return o;
}

json_t *off_explog_json(const struct off_experience *e)
{
	return json_pack("{s:o, s:o, s:i, s:f, s:o}", "env", env_json(&e->env), "s", state_json(&e->s),
			 "action", e->action, "reward", e->reward,
			 "next", e->done ? json_null() : state_json(&e->next));
}

int off_explog_write(FILE *f, const struct off_experience *e)
{
	json_t *o = off_explog_json(e);
	int ret = o ? json_dumpf(o, f, JSON_COMPACT) : -1;

	json_decref(o);
	if (ret || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}

struct where {
	const char *name;
	int line;
	char *err;
	size_t len;
};

static int bad(struct where *w, const char *field, const char *what)
{
	snprintf(w->err, w->len, "%s:%d: %s: %s", w->name, w->line, field, what);
	return -EINVAL;
}

static int number(struct where *w, json_t *o, const char *field, double *v)
{
	json_t *x = json_object_get(o, field);

	if (!json_is_number(x))
		return bad(w, field, x ? "not a number" : "missing");
	*v = json_number_value(x);
	if (!isfinite(*v) || *v < -1e12 || *v > 1e12)
		return bad(w, field, "out of range");
	return 0;
}

static int parse_cand(struct where *w, json_t *c, struct off_cand_raw *out)
{
	const char *kind = json_string_value(json_object_get(c, "kind"));
	int k;

	for (k = 0; k < OFF_KINDS && (!kind || strcmp(kind, off_kind_names[k])); k++)
		;
	if (k == OFF_KINDS)
		return bad(w, "cands[].kind", "expected local, edge or cloud");
	out->kind = k;
	if (!json_is_boolean(json_object_get(c, "current")))
		return bad(w, "cands[].current", "expected true or false");
	out->current = json_is_true(json_object_get(c, "current"));
#define GET(f) if (number(w, c, #f, &out->f)) return -EINVAL;
	CAND_FIELDS(GET)
#undef GET
	/* Logs from before the fleet was measured saw no other agents. */
	out->clients = 0;
	if (json_object_get(c, "clients") && number(w, c, "clients", &out->clients))
		return -EINVAL;
	return 0;
}

static int parse_state(struct where *w, json_t *o, struct off_exp_state *s)
{
	json_t *wl = json_object_get(o, "wl"), *cands = json_object_get(o, "cands"), *m, *c;
	size_t i;

	if (!json_is_object(wl))
		return bad(w, "wl", "missing");
#define GET(f) if (number(w, wl, #f, &s->wl.f)) return -EINVAL;
	WL_FIELDS(GET)
#undef GET
	if (!json_is_array(cands) || json_array_size(cands) < 1 ||
	    json_array_size(cands) > OFF_MAX_CANDS)
		return bad(w, "cands", "expected 1 to " OFF_STR(OFF_MAX_CANDS) " candidates");
	s->ncand = json_array_size(cands);
	json_array_foreach(cands, i, c)
		if (parse_cand(w, c, &s->cand[i]))
			return -EINVAL;
	m = json_object_get(o, "mask");
	if (!json_is_integer(m) || json_integer_value(m) < 1 ||
	    json_integer_value(m) >= (1 << s->ncand))
		return bad(w, "mask", "expected a bitmask of the candidates");
	s->mask = json_integer_value(m);
	return 0;
}

static int parse_env(struct where *w, json_t *o, struct off_est_env *env)
{
	if (!json_is_object(o))
		return bad(w, "env", "missing");
#define GET(f, name) if (number(w, o, #name, &env->f)) return -EINVAL;
	ENV_FIELDS(GET)
#undef GET
	if (env->local_ghz <= 0 || env->reward.lat_ref_s <= 0 || env->reward.energy_ref_j <= 0 ||
	    env->reward.cost_ref <= 0)
		return bad(w, "env", "speeds and references must be positive");
	/* Logs from before the estimate priced the herd priced none. */
	env->herd = 0;
	if (json_object_get(o, "herd") && number(w, o, "herd", &env->herd))
		return -EINVAL;
	if (env->herd < 0 || env->herd > 1)
		return bad(w, "herd", "expected 0 to 1");
	env->measured = 1;	/* logged by an agent */
	return 0;
}

int off_explog_parse(const char *line, const char *name, int lineno, struct off_experience *e,
		     char *err, size_t errlen)
{
	struct where w = { name, lineno, err, errlen };
	json_error_t jerr;
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr), *a, *next;
	int ret = -EINVAL;

	if (!o) {
		snprintf(err, errlen, "%s:%d: not JSON: %s", name, lineno, jerr.text);
		return -EINVAL;
	}
	memset(e, 0, sizeof(*e));
	if (parse_env(&w, json_object_get(o, "env"), &e->env) ||
	    parse_state(&w, json_object_get(o, "s"), &e->s))
		goto out;
	a = json_object_get(o, "action");
	if (!json_is_integer(a) || json_integer_value(a) < 0 || json_integer_value(a) >= e->s.ncand) {
		bad(&w, "action", "expected a candidate index");
		goto out;
	}
	e->action = json_integer_value(a);
	if (number(&w, o, "reward", &e->reward))
		goto out;
	next = json_object_get(o, "next");
	e->done = json_is_null(next);
	if (!e->done && parse_state(&w, next, &e->next))
		goto out;
	ret = 0;
out:
	json_decref(o);
	return ret;
}
