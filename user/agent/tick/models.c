// SPDX-License-Identifier: GPL-2.0
/* Loading the workloads' models: distinct paths once each, all checked
 * (schema, CRC, input width) before any replaces the running set. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tick/models.h"

const char *off_models_path(const struct off_config *c, const struct off_cfg_workload *w)
{
	return w->model[0] ? w->model : c->model;
}

static int find(const struct off_models *ms, const char *path)
{
	for (int i = 0; i < ms->n; i++)
		if (!strcmp(ms->m[i].path, path))
			return i;
	return -1;
}

int off_models_load_one(const char *path, struct off_model *m, char *err, size_t errlen)
{
	int ret = off_model_load(path, m, err, errlen);

	if (ret)
		return ret;
	if (m->mlp.in != OFF_FEATURES) {
		snprintf(err, errlen, "%s: the model takes %d features, this build makes %d",
			 path, m->mlp.in, OFF_FEATURES);
		off_model_free(m);
		return -EINVAL;
	}
	return 0;
}

static int add(struct off_models *ms, const char *path, char *err, size_t errlen)
{
	struct off_loaded_model *lm = &ms->m[ms->n];
	int ret = off_models_load_one(path, &lm->m, err, errlen);

	if (ret)
		return ret;
	snprintf(lm->path, sizeof(lm->path), "%s", path);
	if (off_mlp_scratch(&lm->m.mlp) > ms->scratch)
		ms->scratch = off_mlp_scratch(&lm->m.mlp);
	return ms->n++;
}

int off_models_load(struct off_models *out, const struct off_config *c, char *err, size_t errlen)
{
	struct off_models ms = {};
	int ret = -ENOMEM;

	ms.m = calloc(c->nworkloads ? c->nworkloads : 1, sizeof(*ms.m));
	ms.of_wl = calloc(c->nworkloads ? c->nworkloads : 1, sizeof(*ms.of_wl));
	if (!ms.m || !ms.of_wl) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (int i = 0; i < c->nworkloads; i++) {
		const struct off_cfg_workload *w = &c->workloads[i];
		const char *path = off_models_path(c, w);

		ms.of_wl[i] = -1;
		if (w->policy != OFF_POLICY_DQN)
			continue;
		ms.of_wl[i] = find(&ms, path);
		if (ms.of_wl[i] < 0 && (ret = ms.of_wl[i] = add(&ms, path, err, errlen)) < 0)
			goto fail;
	}
	*out = ms;
	return 0;
fail:
	off_models_free(&ms);
	return ret;
}

void off_models_free(struct off_models *ms)
{
	for (int i = 0; ms->m && i < ms->n; i++)
		off_model_free(&ms->m[i].m);
	free(ms->m);
	free(ms->of_wl);
	memset(ms, 0, sizeof(*ms));
}

void off_models_log(const struct off_models *ms)
{
	for (int i = 0; i < ms->n; i++)
		fprintf(stderr, "offloadd: model %s (crc %08x, %llu steps on %s)\n", ms->m[i].path,
			ms->m[i].m.crc, (unsigned long long)ms->m[i].m.meta.steps,
			ms->m[i].m.meta.scenario);
}
