// SPDX-License-Identifier: GPL-2.0
/* Fitting on logged experience: each line's reward minus what the estimate
 * predicted for the chosen candidate, under the weights it was decided with,
 * is a sample for the correction, exactly as in simulated training. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/explog.h"
#include "lib/resid.h"
#include "lib/sim.h"
#include "lib/train.h"
#include "train/fit.h"

/* The chosen candidate's row learns what it earned over its estimate; the
 * others, which the log has no outcome for, are anchored at no correction:
 * without evidence the estimate stands, and the contrast is what lets one
 * peer's surprise stay that peer's. */
static int add_line(struct off_model *m, struct off_resid *r, const struct off_experience *e)
{
	float rows[OFF_MAX_CANDS * OFF_FEATURES], est[OFF_MAX_CANDS], scale, y;

	off_policy_rows(&e->env, &m->norm, &e->s.wl, e->s.cand, e->s.ncand, rows, est);
	scale = off_policy_scale(est[off_policy_best(est, e->s.ncand, e->s.mask)]);
	for (int k = 0; k < e->s.ncand; k++) {
		if (!(e->s.mask >> k & 1))
			continue;
		off_train_range(m, rows + (size_t)k * OFF_FEATURES);
		y = k == e->action ? ((float)e->reward - est[k]) / scale : 0;
		off_resid_add(r, rows + (size_t)k * OFF_FEATURES, y);
	}
	return 0;
}

static int read_log(struct off_model *m, struct off_resid *r, const char *log)
{
	static struct off_experience e;
	char *line = NULL, err[512];
	size_t cap = 0;
	int lineno = 0, n = 0;
	FILE *f = fopen(log, "r");

	if (!f) {
		fprintf(stderr, "offload-train: %s: %s\n", log, strerror(errno));
		return -errno;
	}
	while (getline(&line, &cap, f) > 0) {
		if (off_explog_parse(line, log, ++lineno, &e, err, sizeof(err))) {
			fprintf(stderr, "offload-train: %s\n", err);
			n = -EINVAL;
			break;
		}
		add_line(m, r, &e);
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

int off_fit_log(struct off_model *m, const char *log, uint64_t steps, uint64_t seed, int own_range)
{
	struct off_resid_cfg cfg = OFF_RESID_CFG_DEFAULT;
	struct off_resid r;
	int n;

	cfg.cap = 400000;
	for (int f = 0; own_range && f < OFF_FEATURES; f++) {
		m->lo[f] = INFINITY;
		m->hi[f] = -INFINITY;
	}
	if (off_resid_init(&r, &cfg, &m->mlp, seed))
		return -ENOMEM;
	n = read_log(m, &r, log);
	if (n > 0) {
		for (uint64_t i = 0; i < steps; i++)
			off_resid_update(&r);
		off_mlp_copy(&m->mlp, &r.net);
		m->meta.steps += r.updates;
	}
	off_resid_free(&r);
	return n;
}

static void state(const struct off_sim *s, int i, struct off_exp_state *st)
{
	st->ncand = s->ntargets;
	off_sim_observe(s, i, &st->wl, st->cand, &st->mask);
}

int off_fit_simlog(const struct off_model *m, const struct off_scenario *sc, int episodes,
		   uint64_t seed, const char *out)
{
	static struct off_experience e;
	static struct off_sim s;
	struct off_rng rng;
	FILE *f = fopen(out, "w");
	int ret = 0, have = 0;

	if (!f)
		return -errno;
	off_rng_seed(&rng, seed);
	for (int ep = 0; ep < episodes && !ret; ep++) {
		off_sim_reset(&s, sc, seed + 104729 * ep);
		while (off_sim_next_epoch(&s) >= 0 && !ret) {
			for (int i = 0; i < s.ntasks && !ret; i++) {
				struct off_outcome o;

				state(&s, i, &e.next);
				if (have && (ret = off_explog_write(f, &e)))
					break;
				e.env = s.env;
				e.s = e.next;
				e.action = off_policy_sim_choose(OFF_POL_MODEL, 0, m, &s, i, &rng);
				o = off_sim_assign(&s, i, e.action, NULL);
				e.reward = off_sim_reward(&s, &o);
				have = 1;
			}
		}
	}
	e.done = 1;
	if (have && !ret)
		ret = off_explog_write(f, &e);
	if (fclose(f) && !ret)
		ret = -EIO;
	return ret;
}
