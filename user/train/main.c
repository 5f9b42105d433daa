// SPDX-License-Identifier: GPL-2.0
/* offload-train: trains, fine-tunes, evaluates and shows offloadd models. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/eval.h"
#include "lib/gen.h"
#include "lib/train.h"
#include "train/convert.h"
#include "train/fit.h"
#include "train/suite.h"

#define MAX_SCENARIOS 16

static void usage(FILE *f)
{
	fprintf(f,
"usage: offload-train COMMAND [options]\n"
"\n"
"  train [--scenario FILE ...] [--generated N] [--steps N] [--seed K] [--seeds N] --out MODEL\n"
"        learn the correction to the estimate on named and N generated scenarios\n"
"        (default 400, half with switching cost, a slow peer and stale views),\n"
"        then pick the gate's margin on validation scenarios; with --seeds N,\n"
"        N networks from seeds K.. and the best on validation; deterministic\n"
"  fit   --log EXPERIENCE --init MODEL --out MODEL [--steps N] [--seed K] [--margin REL]\n"
"        fit the correction on transitions logged by offloadd; a closed gate\n"
"        opens at --margin (default 0.1)\n"
"  eval  --model MODEL --scenario FILE [--episodes N] [--seed K] [--json]\n"
"        compare the model with the estimate, the baselines, every fixed target\n"
"        and, on small instances, the per-epoch optimum\n"
"  eval  --model MODEL --generated N [--seed-from K] [--effects] [--episodes N] [--json]\n"
"        the same over N generated test scenarios: counts and the worst five\n"
"        (--margin REL overrides the model's gate margin, for either eval)\n"
"  log   --model MODEL --scenario FILE --out LOG [--episodes N] [--seed K]\n"
"        run the model in the simulator and write its experience as offloadd does\n"
"  gen   --seed K [--effects] [--out FILE]\n"
"        write a generated scenario in the scenario format\n"
"  import MODEL.onnx --out MODEL\n"
"        read an MLP as torch.onnx.export writes it (Gemm or MatMul+Add, Relu),\n"
"        its feature names, normalisation, range and gate in metadata_props\n"
"  export MODEL --out MODEL.onnx\n"
"        write a model as ONNX; import gives back the same bytes\n"
"  score --model MODEL [--normalised]\n"
"        the network's output for each row of features read from stdin\n"
"        (normalised by the model unless --normalised)\n"
"  show  MODEL\n"
"        print a model's schema, ranges, gate and metadata\n"
"  features\n"
"        print the feature table (name, unit, meaning)\n"
"\n"
"  -h, --help       this text\n"
"  -V, --version    print the version\n");
}

struct args {
	const char *scenarios[MAX_SCENARIOS];
	int nsc, episodes, json, effects, generated;
	const char *out, *model, *log, *init;
	uint64_t steps, seed, seed_from, seeds;
	double margin;			/* < 0: the model's own */
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
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ "generated", required_argument, NULL, 'g' }, { "effects", no_argument, NULL, 'x' },
		{ "seed-from", required_argument, NULL, 'f' }, { "margin", required_argument, NULL, 'M' },
		{ "seeds", required_argument, NULL, 'S' }, {}
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
		case 'S':
			if (parse_u64("seeds", optarg, &a->seeds) || a->seeds < 1 || a->seeds > 64) {
				fprintf(stderr, "offload-train: --seeds: expected 1..64\n");
				return -EINVAL;
			}
			break;
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
		case 'x': a->effects = 1; break;
		case 'M':
			a->margin = strtod(optarg, NULL);
			if (!(a->margin >= 0 && a->margin <= 1e12)) {
				fprintf(stderr, "offload-train: --margin: expected 0..1e12\n");
				return -EINVAL;
			}
			break;
		case 'f': if (parse_u64("seed-from", optarg, &a->seed_from)) return -EINVAL; break;
		case 'g':
			if (parse_u64("generated", optarg, &v) || v > 100000) {
				fprintf(stderr, "offload-train: --generated: expected 0..100000\n");
				return -EINVAL;
			}
			a->generated = v;
			break;
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
	struct off_train_opts o = OFF_TRAIN_DEFAULT;
	struct off_model m;
	char err[512];

	o.sc = sc;
	o.nsc = a->nsc;
	o.seed = a->seed;
	o.nseeds = a->seeds;
	if (a->steps)
		o.steps = a->steps;
	if (a->generated >= 0)
		o.ngen = a->generated;
	if (need(a->out, "train", "--out") || load_scenarios(a, sc))
		return 1;
	if (!o.nsc && !o.ngen) {
		fprintf(stderr, "offload-train train: no scenarios (--scenario or --generated)\n");
		return 1;
	}
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

static int cmd_fit(struct args *a)
{
	struct off_model m;
	char err[512];
	int n, ret = 1, closed;

	if (need(a->log, "fit", "--log") || need(a->init, "fit", "--init") ||
	    need(a->out, "fit", "--out"))
		return 1;
	if (off_model_load(a->init, &m, err, sizeof(err))) {
		fprintf(stderr, "offload-train: %s\n", err);
		return 1;
	}
	/* A deployment's own experience is trusted where the simulator's was
	 * not: a closed gate opens at --margin (default 0.1). */
	closed = m.gate.margin_rel >= OFF_GATE_CLOSED;
	if (closed)
		off_resid_fresh(&m.mlp, a->seed);
	if (a->margin >= 0)
		m.gate.margin_rel = a->margin;
	else if (closed)
		m.gate.margin_rel = 0.1;
	n = off_fit_log(&m, a->log, a->steps ? a->steps : 3000, a->seed, closed);
	if (!n)
		fprintf(stderr, "offload-train: %s: no experience in it\n", a->log);
	else if (n == -ENOMEM)
		fprintf(stderr, "offload-train: out of memory\n");
	else if (n > 0 && off_model_save(a->out, &m, err, sizeof(err)))
		fprintf(stderr, "offload-train: %s\n", err);
	else if (n > 0) {
		fprintf(stderr, "offload-train: fitted on %d transitions, wrote %s\n", n, a->out);
		ret = 0;
	}
	off_model_free(&m);
	return ret;
}

static int cmd_log(struct args *a)
{
	static struct off_scenario sc;
	struct off_model m;
	char err[512];
	int ret;

	if (need(a->model, "log", "--model") || need(a->nsc ? "" : NULL, "log", "--scenario") ||
	    need(a->out, "log", "--out"))
		return 1;
	a->nsc = 1;
	if (load_scenarios(a, &sc))
		return 1;
	if (off_model_load(a->model, &m, err, sizeof(err))) {
		fprintf(stderr, "offload-train: %s\n", err);
		return 1;
	}
	ret = off_fit_simlog(&m, &sc, a->episodes, a->seed, a->out);
	if (ret)
		fprintf(stderr, "offload-train: %s: %s\n", a->out, strerror(-ret));
	off_model_free(&m);
	return !!ret;
}

static int cmd_gen(struct args *a)
{
	struct off_scenario sc;
	FILE *f = a->out ? fopen(a->out, "w") : stdout;
	int ret;

	if (!f) {
		fprintf(stderr, "offload-train: %s: %s\n", a->out, strerror(errno));
		return 1;
	}
	off_scenario_generate(&sc, a->seed, a->effects ? OFF_GEN_EFFECTS : 0);
	ret = off_scenario_write(f, &sc);
	if (a->out && fclose(f))
		ret = -EIO;
	if (ret)
		fprintf(stderr, "offload-train: %s: cannot write\n", a->out ? a->out : "stdout");
	return !!ret;
}

static int cmd_features(void)
{
	printf("| # | feature | unit | meaning |\n|---|---|---|---|\n");
	for (int i = 0; i < OFF_FEATURES; i++)
		printf("| %d | `%s` | %s | %s |\n", i, off_features[i].name, off_features[i].unit,
		       off_features[i].doc);
	return 0;
}

static void eval_one(const struct args *a, const struct off_scenario *sc, const struct off_eval *r,
		     int *first)
{
	if (a->json) {
		printf("%s", *first ? "" : ",");
		off_eval_json(stdout, sc, r);
	} else {
		off_eval_print(stdout, sc, r, *first);
	}
	*first = 0;
}

/* Every policy, then every fixed target: the best of those in hindsight is
 * what a user pinning the workload would get at best. */
static int eval_scenario(const struct args *a, const struct off_scenario *sc, const struct off_model *m)
{
	struct off_eval r;
	int first = 1;

	if (a->json)
		printf("{\"scenario\":\"%s\",\"seed\":%llu,\"results\":[", sc->name,
		       (unsigned long long)a->seed);
	else
		printf("scenario %s, %d episodes, seed %llu\n", sc->name, a->episodes,
		       (unsigned long long)a->seed);
	for (int k = 0; k <= OFF_POL_KINDS + sc->npeers; k++) {
		int kind = k < OFF_POL_KINDS ? k : OFF_POL_FIXED;

		if (off_eval_run(sc, m, kind, k - OFF_POL_KINDS, a->episodes, a->seed,
				 kind != OFF_POL_RANDOM, &r))
			return -ENOMEM;
		eval_one(a, sc, &r, &first);
	}
	if (a->json)
		printf("]}\n");
	return 0;
}

static int cmd_eval(struct args *a)
{
	static struct off_scenario sc;
	struct off_suite_opts so = { .seed_from = a->seed_from ? a->seed_from : OFF_SEEDS_TEST,
				     .count = a->generated, .episodes = a->episodes,
				     .flags = a->effects ? OFF_GEN_EFFECTS : 0, .seed = a->seed,
				     .json = a->json };
	struct off_model m;
	char err[512];
	int ret;

	if (need(a->model, "eval", "--model") ||
	    need(a->nsc || a->generated > 0 ? "" : NULL, "eval", "--scenario or --generated"))
		return 1;
	a->nsc = a->nsc ? 1 : 0;
	if (load_scenarios(a, &sc))
		return 1;
	if (off_model_load(a->model, &m, err, sizeof(err))) {
		fprintf(stderr, "offload-train: %s\n", err);
		return 1;
	}
	if (a->margin >= 0)
		m.gate.margin_rel = a->margin;
	ret = a->nsc ? eval_scenario(a, &sc, &m) : off_suite_run(&m, &so, stdout);
	if (ret)
		fprintf(stderr, "offload-train: out of memory\n");
	off_model_free(&m);
	return !!ret;
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
	struct args a = { .episodes = 10, .seed = 1, .generated = -1, .margin = -1 };
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
	if (!strcmp(cmd, "features"))
		return cmd_features();
	if (!strcmp(cmd, "import"))
		return off_train_import(argc - 1, argv + 1);
	if (!strcmp(cmd, "export"))
		return off_train_export(argc - 1, argv + 1);
	if (!strcmp(cmd, "score"))
		return off_train_score(argc - 1, argv + 1);
	if (strcmp(cmd, "train") && strcmp(cmd, "fit") && strcmp(cmd, "eval") &&
	    strcmp(cmd, "log") && strcmp(cmd, "gen")) {
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
	if (!strcmp(cmd, "log"))
		return cmd_log(&a);
	if (!strcmp(cmd, "gen"))
		return cmd_gen(&a);
	return cmd_eval(&a);
}
