/* SPDX-License-Identifier: GPL-2.0 */
/* The experience log: one JSON line per decision, (s, c, r, s'), in raw
 * measurements, so any model's normalisation can read it. The agent writes
 * it; `offload-train fit` reads it. */
#ifndef OFFLOAD_LIB_EXPLOG_H
#define OFFLOAD_LIB_EXPLOG_H

#include <stdint.h>
#include <stdio.h>
#include "lib/policy.h"

struct off_exp_state {
	struct off_wl_raw wl;
	int ncand;
	struct off_cand_raw cand[OFF_MAX_CANDS];
	uint32_t mask;
};

struct off_experience {
	struct off_est_env env;	/* the weights and energy model it was decided under */
	struct off_exp_state s;
	int action;
	double reward;
	int done;		/* no s' */
	struct off_exp_state next;
};

int off_explog_write(FILE *f, const struct off_experience *e);
/* The line as a jansson object, for writers that add fields of their own
 * (the parser ignores fields it does not know). */
struct json_t;
struct json_t *off_explog_json(const struct off_experience *e);
/* Parses one line; on error writes "name:line: what" into err. */
int off_explog_parse(const char *line, const char *name, int lineno, struct off_experience *e,
		     char *err, size_t errlen);

#endif
