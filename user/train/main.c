// SPDX-License-Identifier: GPL-2.0
/* offload-train: trains, fine-tunes, evaluates and shows offloadd models. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/eval.h"
#include "lib/explog.h"
#include "lib/train.h"

#define MAX_SCENARIOS 16

static void usage(FILE *f)
{
	fprintf(f,
"usage: offload-train COMMAND [options]\n"
"\n"
"  train --scenario FILE [--scenario FILE ...] [--steps N] [--seed K] --out MODEL\n"
"        train a model in the simulator (Double DQN), deterministically for a seed\n"
"  fit   --log EXPERIENCE --init MODEL --out MODEL [--steps N] [--seed K]\n"
"        fine-tune a model on transitions logged by offloadd\n"
"  eval  --model MODEL --scenario FILE [--episodes N] [--seed K] [--json]\n"
"        compare the model with the baselines and, on small instances, the optimum\n"
"  show  MODEL\n"
"        print a model's schema and metadata\n"
"\n"
"  -h, --help       this text\n"
"  -V, --version    print the version\n");
}

struct args {
	const char *scenarios[MAX_SCENARIOS];
	int nsc, episodes, json;
	const char *out, *model, *log, *init;
	uint64_t steps, seed;
};

static int parse_u64(const char *opt, const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end || end == s || s[0] == '-') {
		fprintf(stderr, "offload-train: --%s: expected a whole number, got \"%s\"\n", opt, s);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, NULL, 's' }, { "steps", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 'k' }, { "out", required_argument, NULL, 'o' },
		{ "model", required_argument, NULL, 'm' }, { "log", required_argument, NULL, 'l' },
		{ "init", required_argument, NULL, 'i' }, { "episodes", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, {}
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (a->nsc == MAX_SCENARIOS) {
				fprintf(stderr, "offload-train: at most %d scenarios\n", MAX_SCENARIOS);
				return -E2BIG;
			}
			a->scenarios[a->nsc++] = optarg;
			break;
		case 'n': if (parse_u64("steps", optarg, &a->steps)) return -EINVAL; break;
		case 'k': if (parse_u64("seed", optarg, &a->seed)) return -EINVAL; break;
		case 'e':
			if (parse_u64("episodes", optarg, &v) || v < 1 || v > 100000) {
				fprintf(stderr, "offload-train: --episodes: expected 1..100000\n");
				return -EINVAL;
			}
			a->episodes = v;
			break;
		case 'o': a->out = optarg; break;
		case 'm': a->model = optarg; break;
		case 'l': a->log = optarg; break;
		case 'i': a->init = optarg; break;
		case 'j': a->json = 1; break;
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
	}
	return 0;
}

static int need(const char *v, const char *cmd, const char *opt)
{
	if (v)
		return 0;
	fprintf(stderr, "offload-train %s: %s is required (see --help)\n", cmd, opt);
	return -EINVAL;
}

static int load_scenarios(const struct args *a, struct off_scenario *sc)
{
	char err[512];

	for (int i = 0; i < a->nsc; i++) {
		if (off_scenario_load(a->scenarios[i], &sc[i], err, sizeof(err))) {
			fprintf(stderr, "offload-train: %s\n", err);
			return -EINVAL;
		}
	}
	return 0;
}

static int cmd_train(struct args *a)
{
	static struct off_scenario sc[MAX_SCENARIOS];
	struct off_train_opts o = { .sc = sc, .nsc = a->nsc, .steps = a->steps ? a->steps : 200000,
				    .seed = a->seed, .dqn = OFF_DQN_CFG_DEFAULT };
	struct off_model m;
	char err[512];

	if (need(a->nsc ? "" : NULL, "train", "--scenario") || need(a->out, "train", "--out") ||
	    load_scenarios(a, sc))
		return 1;
	o.dqn.eps_steps = o.steps / 2;
	if (off_train_sim(&m, &o, stderr)) {
		fprintf(stderr, "offload-train: training failed: out of memory\n");
		return 1;
	}
	if (off_model_save(a->out, &m, err, sizeof(err))) {
		fprintf(stderr, "offload-train: %s\n", err);
		off_model_free(&m);
		return 1;
	}
	fprintf(stderr, "offload-train: wrote %s (crc32 %08x)\n", a->out, m.crc);
	off_model_free(&m);
	return 0;
}

static void to_rows(const struct off_norm *norm, const struct off_exp_state *s,
		    float rows[][OFF_FEATURES])
{
	off_policy_rows(norm, &s->wl, s->cand, s->ncand, &rows[0][0]);
}

static int fill_replay(struct off_dqn *d, const struct off_model *m, FILE *f, const char *name)
{
	static struct off_transition t;
	struct off_experience e;
	char *line = NULL, err[512];
	size_t cap = 0;
	int lineno = 0, n = 0;

	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if (off_explog_parse(line, name, lineno, &e, err, sizeof(err))) {
			fprintf(stderr, "offload-train: %s\n", err);
			free(line);
			return -EINVAL;
		}
		memset(&t, 0, sizeof(t));
		to_rows(&m->norm, &e.s, t.s);
		t.n = e.s.ncand;
		t.action = e.action;
		t.reward = e.reward;
		t.done = e.done;
		if (!e.done) {
			to_rows(&m->norm, &e.next, t.s_next);
			t.n_next = e.next.ncand;
			t.mask_next = e.next.mask;
		}
		off_dqn_observe(d, &t);
		n++;
	}
	free(line);
	return n;
}

static int cmd_fit(struct args *a)
{
	struct off_dqn_cfg cfg = OFF_DQN_CFG_DEFAULT;
	struct off_model m;
	struct off_dqn d;
	char err[512];
	FILE *f;
	int n, ret = 1;

	if (need(a->log, "fit", "--log") || need(a->init, "fit", "--init") ||
	    need(a->out, "fit", "--out"))
		return 1;
	if (off_model_load(a->init, &m, err, sizeof(err))) {
		fprintf(stderr, "offload-train: %s\n", err);
		return 1;
	}
	f = fopen(a->log, "r");
	if (!f) {
		fprintf(stderr, "offload-train: %s: %s\n", a->log, strerror(errno));
		goto out_model;
	}
	cfg.warmup = UINT32_MAX;	/* fill first, then train */
	cfg.replay = 200000;
	if (off_dqn_init(&d, &cfg, &m.mlp, a->seed))
		goto out_file;
	n = fill_replay(&d, &m, f, a->log);
	if (n <= 0) {
		if (!n)
			fprintf(stderr, "offload-train: %s: no experience in it\n", a->log);
		goto out_dqn;
	}
	for (uint64_t i = 0; i < (a->steps ? a->steps : 2000); i++)
		off_dqn_update(&d);
	off_mlp_copy(&m.mlp, &d.online);
	m.meta.steps += d.updates;
	if (off_model_save(a->out, &m, err, sizeof(err)))
		fprintf(stderr, "offload-train: %s\n", err);
	else {
		fprintf(stderr, "offload-train: fitted on %d transitions, wrote %s\n", n, a->out);
		ret = 0;
	}
out_dqn:
	off_dqn_free(&d);
out_file:
	fclose(f);
out_model:
	off_model_free(&m);
	return ret;
}

static int cmd_eval(struct args *a)
{
	static struct off_scenario sc;
	struct off_model m;
	char err[512];

	if (need(a->model, "eval", "--model") || need(a->nsc ? "" : NULL, "eval", "--scenario"))
		return 1;
	a->nsc = 1;
	if (load_scenarios(a, &sc))
		return 1;
	if (off_model_load(a->model, &m, err, sizeof(err))) {
		fprintf(stderr, "offload-train: %s\n", err);
		return 1;
	}
	if (a->json)
		printf("{\"scenario\":\"%s\",\"seed\":%llu,\"results\":[", sc.name,
		       (unsigned long long)a->seed);
	else
		printf("scenario %s, %d episodes, seed %llu\n", sc.name, a->episodes,
		       (unsigned long long)a->seed);
	for (int k = 0; k < OFF_POL_KINDS; k++) {
		struct off_eval r;

		if (off_eval_run(&sc, &m, k, a->episodes, a->seed, k == OFF_POL_MODEL, &r)) {
			fprintf(stderr, "offload-train: out of memory\n");
			off_model_free(&m);
			return 1;
		}
		if (a->json) {
			printf("%s", k ? "," : "");
			off_eval_json(stdout, &r);
		} else {
			off_eval_print(stdout, &r, k == 0);
		}
	}
	if (a->json)
		printf("]}\n");
	off_model_free(&m);
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	struct off_model m;
	char err[512];

	if (argc != 2) {
		fprintf(stderr, "usage: offload-train show MODEL\n");
		return 1;
	}
	if (off_model_load(argv[1], &m, err, sizeof(err))) {
		fprintf(stderr, "offload-train: %s\n", err);
		return 1;
	}
	printf("model       %s\n", argv[1]);
	off_model_print(stdout, &m);
	off_model_free(&m);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { .episodes = 10, .seed = 1 };
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("offload-train %s\n", OFFLOAD_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "show"))
		return cmd_show(argc - 1, argv + 1);
	if (strcmp(cmd, "train") && strcmp(cmd, "fit") && strcmp(cmd, "eval")) {
		fprintf(stderr, "offload-train: %s \"%s\" (try --help)\n",
			*cmd ? "unknown command" : "no command", cmd);
		return 1;
	}
	if (parse_args(argc - 1, argv + 1, &a))
		return 1;
	if (optind < argc - 1) {
		fprintf(stderr, "offload-train %s: unexpected argument \"%s\"\n", cmd, argv[optind + 1]);
		return 1;
	}
	if (!strcmp(cmd, "train"))
		return cmd_train(&a);
	if (!strcmp(cmd, "fit"))
		return cmd_fit(&a);
	return cmd_eval(&a);
}
