// SPDX-License-Identifier: GPL-2.0
/* Rewards are compared as per-tick series, by batch means (a tick is not
 * independent of the next); lifetimes as the merged log2 histogram of every
 * connection that closed in the window. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon.h"
#include "agent/tick/abtest.h"
#include "lib/batchmeans.h"
#include "lib/hist.h"

void off_abtest_free(struct off_abtest *ab)
{
	free(ab->of_wl);
	free(ab->ring);
	memset(ab, 0, sizeof(*ab));
}

static int label_index(struct off_abtest *ab, const char *label)
{
	for (int p = 0; p < ab->npol; p++)
		if (!strcmp(ab->label[p], label))
			return p;
	if (ab->npol == OFF_ABTEST_POLICIES)
		return -1;
	snprintf(ab->label[ab->npol], sizeof(ab->label[0]), "%s", label);
	return ab->npol++;
}

int off_abtest_init(struct off_abtest *ab, const struct off_daemon *d)
{
	char label[96];

	off_abtest_free(ab);
	ab->nwl = d->cfg.nworkloads;
	ab->of_wl = calloc(ab->nwl ? ab->nwl : 1, sizeof(*ab->of_wl));
	if (!ab->of_wl)
		return -ENOMEM;
	for (int i = 0; i < ab->nwl; i++)
		ab->of_wl[i] = label_index(ab, off_daemon_policy_label(d, i, label, sizeof(label)));
	ab->ring = calloc((size_t)(ab->npol ? ab->npol : 1) * OFF_ABTEST_TICKS, sizeof(*ab->ring));
	if (!ab->ring) {
		off_abtest_free(ab);
		return -ENOMEM;
	}
	return 0;
}

void off_abtest_tick(struct off_abtest *ab, const struct off_daemon *d)
{
	size_t slot = ab->ticks++ % OFF_ABTEST_TICKS;

	for (int p = 0; p < ab->npol; p++)
		memset(&ab->ring[p * OFF_ABTEST_TICKS + slot], 0, sizeof(*ab->ring));
	for (int i = 0; i < ab->nwl; i++) {
		const struct off_wl_meas *w = &d->meas.wl[i];
		double r = d->rec.wl[i].reward;
		struct off_abtest_tick *t;

		if (ab->of_wl[i] < 0)
			continue;
		t = &ab->ring[ab->of_wl[i] * OFF_ABTEST_TICKS + slot];
		if (isfinite(r)) {
			t->sum += r;
			t->sq += r * r;
			t->n++;
		}
		/* After a tick, prev_sum holds the newest totals, sum the older. */
		for (int k = 0; k < d->meas.nused; k++)
			for (int h = 0; h < OFF_HIST_SLOTS; h++)
				if (w->prev_sum[k].life_us[h] > w->sum[k].life_us[h])
					t->life[h] += w->prev_sum[k].life_us[h] - w->sum[k].life_us[h];
	}
}

struct stats {
	double n, mean, var;	/* var: of a reward, not of the mean */
	struct off_mean_ci ci;
	uint64_t life[OFF_HIST_SLOTS], conns;
};

static void window(const struct off_abtest *ab, int p, uint64_t ticks, struct stats *s)
{
	/* Newest first: a batch is as contiguous in time either way. */
	double sum = 0, sq = 0, sums[OFF_ABTEST_TICKS], ns[OFF_ABTEST_TICKS];
	uint64_t k;

	memset(s, 0, sizeof(*s));
	for (k = 0; k < ticks && k < ab->ticks; k++) {
		const struct off_abtest_tick *t =
			&ab->ring[p * OFF_ABTEST_TICKS + (ab->ticks - 1 - k) % OFF_ABTEST_TICKS];

		sums[k] = t->sum;
		ns[k] = t->n;
		sum += t->sum;
		sq += t->sq;
		s->n += t->n;
		for (int h = 0; h < OFF_HIST_SLOTS; h++) {
			s->life[h] += t->life[h];
			s->conns += t->life[h];
		}
	}
	off_batch_means(sums, ns, k, &s->ci);
	s->mean = s->ci.mean;
	s->var = s->n > 1 ? (sq - sum * sum / s->n) / (s->n - 1) : NAN;
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *off_abtest_report(const struct off_abtest *ab, double window_s, uint32_t tick_ms)
{
	uint64_t ticks = (uint64_t)(window_s * 1000 / tick_ms);
	json_t *list = json_array();
	struct stats base, s;

	if (ticks > OFF_ABTEST_TICKS)
		ticks = OFF_ABTEST_TICKS;
	for (int p = 0; p < ab->npol; p++) {
		json_t *o;

		window(ab, p, ticks, &s);
		if (!p)
			base = s;
		o = json_pack("{s:s, s:I, s:o, s:o, s:I, s:o, s:o}", "policy", ab->label[p],
			"rewards", (json_int_t)s.n, "reward_mean", num(s.mean),
			"reward_sd", num(sqrt(s.var)), "connections", (json_int_t)s.conns,
			"lifetime_p50_ms", num(s.conns ? off_hist_quantile_us(s.life, OFF_HIST_SLOTS, 0.5) / 1e3 : NAN),
			"lifetime_p99_ms", num(s.conns ? off_hist_quantile_us(s.life, OFF_HIST_SLOTS, 0.99) / 1e3 : NAN));
		if (p) {
			double diff, half;

			off_diff_ci(&base.ci, &s.ci, &diff, &half);
			json_object_set_new(o, "vs", json_string(ab->label[0]));
			json_object_set_new(o, "reward_diff", num(diff));
			json_object_set_new(o, "reward_diff_ci95", json_pack("[o, o]", num(diff - half),
									     num(diff + half)));
		}
		json_array_append_new(list, o);
	}
	return json_pack("{s:b, s:f, s:I, s:o}", "ok", 1, "window_s",
			 (double)(ticks < ab->ticks ? ticks : ab->ticks) * tick_ms / 1000,
			 "ticks", (json_int_t)(ticks < ab->ticks ? ticks : ab->ticks), "policies", list);
}
