#!/usr/bin/env bash
# Policy benchmark, in one run: (1) the default model against the shared
# estimate ("greedy"), every fixed target and the per-epoch optimum: on each
# named scenario over several seeds, and on generated test scenarios (seeds
# no training or validation run used), plain and with the effects a one-step
# estimate cannot see; (2) ns per decision for 1, 4 and 16 candidates, ours
# (estimate, rows, correction and gate) against libtorch (C++) and PyTorch
# (Python) running the same network on one thread.
# Writes bench/results/policy.json and prints the tables.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MODEL=${MODEL:-models/default.omdl}
SEEDS=${SEEDS:-5}
GENERATED=${GENERATED:-300}
ITERS=${ITERS:-200000}
out=bench/results/policy.json
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# 1. Quality. Results are found by policy name: fixed targets are "fixed:NAME".
for s in models/scenarios/*.ini; do
	for seed in $(seq "$SEEDS"); do
		"$BUILD/offload-train" eval --model "$MODEL" --scenario "$s" --episodes 5 --seed "$seed" --json
	done
done >"$tmp/quality.jsonl"
jq -s 'def pol($n): .results[] | select(.policy == $n);
	def fixed: [.results[] | select(.policy | startswith("fixed:"))] | max_by(.reward_mean);
	group_by(.scenario) | map(. as $runs | {
	scenario: $runs[0].scenario, seeds: ($runs | length),
	model_reward: ($runs | map(pol("model").reward_mean) | add / length),
	greedy_reward: ($runs | map(pol("greedy").reward_mean) | add / length),
	best_fixed_reward: ($runs | map(fixed.reward_mean) | add / length),
	opt_ratio_min: ($runs | map(pol("model").optimum.ratio) | min),
	opt_ratio_mean: ($runs | map(pol("model").optimum.ratio) | add / length),
	greedy_opt_ratio_mean: ($runs | map(pol("greedy").optimum.ratio) | add / length),
	best_fixed_opt_ratio_mean: ($runs | map(fixed.optimum.ratio) | add / length),
	at_least_best_fixed: ($runs | map(select(pol("model").reward_mean >= fixed.reward_mean)) | length),
	runs: $runs})' "$tmp/quality.jsonl" >"$tmp/quality.json"
"$BUILD/offload-train" eval --model "$MODEL" --generated "$GENERATED" --episodes 5 --json >"$tmp/gen.json"
"$BUILD/offload-train" eval --model "$MODEL" --generated "$GENERATED" --episodes 5 --effects \
	--json >"$tmp/genfx.json"

# 2. Speed, side by side on the same weights, pinned to one core.
cc -O2 -std=gnu11 -D_GNU_SOURCE -Iuser -Iinclude bench/infer_bench.c "$BUILD/liboffload.a" \
	-ljansson -linih -lz -lm -o "$tmp/infer_bench"
g++ -O2 -std=c++17 -I/usr/include/torch/csrc/api/include bench/infer_torch.cpp \
	-ltorch -ltorch_cpu -lc10 -o "$tmp/infer_torch"
# Three alternating rounds, medians: a noisy moment hits every implementation.
# Each round libtorch and PyTorch score offloadd's 16 rows again and stop the
# run unless they agree with its outputs: the same network, computed alike.
for round in 1 2 3; do
	taskset -c 0 "$tmp/infer_bench" "$MODEL" "$ITERS" "$tmp/check.bin"
	taskset -c 0 "$tmp/infer_torch" "$MODEL" $((ITERS / 4)) "$tmp/check.bin"
	taskset -c 0 /usr/bin/python3 bench/infer_torch.py "$MODEL" $((ITERS / 8)) "$tmp/check.bin"
done | jq -s 'group_by(.impl) | map({impl: .[0].impl, rounds: length, results:
	[range(0; 3) as $i | (map(.results[$i].ns_per_decision) | sort | .[1]) as $med |
	 {candidates: .[0].results[$i].candidates, ns_per_decision: $med,
	  ns_per_row: ($med / .[0].results[$i].candidates)} +
	 (if .[0].results[$i].ns_network then
		{ns_network: (map(.results[$i].ns_network) | sort | .[1])} else {} end)]}) |
	sort_by({"offloadd": 0, "libtorch": 1, "pytorch": 2}[.impl])' >"$tmp/speed.json"

jq -n --slurpfile q "$tmp/quality.json" --slurpfile s "$tmp/speed.json" \
	--slurpfile g "$tmp/gen.json" --slurpfile x "$tmp/genfx.json" \
	--arg model "$MODEL" '{model: $model, quality: $q[0], generated: $g[0], generated_effects: $x[0],
	speed: $s[0],
	ratios_at_1: ($s[0] | (map({(.impl): .results[0].ns_per_decision}) | add) as $n |
		{libtorch: ($n.libtorch / $n.offloadd), pytorch: ($n.pytorch / $n.offloadd)}),
	ratios: ($s[0] | (map({(.impl): .results}) | add) as $r | [range(0; 3) as $i |
		{candidates: $r.offloadd[$i].candidates,
		 libtorch: ($r.libtorch[$i].ns_per_decision / $r.offloadd[$i].ns_per_decision),
		 pytorch: ($r.pytorch[$i].ns_per_decision / $r.offloadd[$i].ns_per_decision)}]),
	ratios_network: ($s[0] | (map({(.impl): .results}) | add) as $r | [range(0; 3) as $i |
		{candidates: $r.offloadd[$i].candidates,
		 libtorch: ($r.libtorch[$i].ns_per_decision / $r.offloadd[$i].ns_network),
		 pytorch: ($r.pytorch[$i].ns_per_decision / $r.offloadd[$i].ns_network)}])}' >"$out"

echo "named scenarios ($MODEL, $SEEDS seeds x 5 episodes; reward per task, higher is better;"
echo "opt: mean ratio to the per-epoch optimum, searched on small epochs from each policy's own state)"
jq -r '.quality[] | [.scenario, (.model_reward * 1e4 | round / 1e4), (.greedy_reward * 1e4 | round / 1e4),
	(.best_fixed_reward * 1e4 | round / 1e4), (.opt_ratio_mean * 1e3 | round / 1e3),
	(.opt_ratio_min * 1e3 | round / 1e3), (.greedy_opt_ratio_mean * 1e3 | round / 1e3),
	(.best_fixed_opt_ratio_mean * 1e3 | round / 1e3), "\(.at_least_best_fixed)/\(.seeds)"] | @tsv' "$out" |
	(echo -e "scenario\tmodel\tgreedy\tbest-fixed\topt\topt(min)\tgreedy-opt\tfixed-opt\t>=fixed"; cat) |
	column -t
echo
for k in generated generated_effects; do
	jq -r --arg k "$k" '.[$k] | .summary as $s | "\($k): \($s.scenarios) test scenarios; worse than greedy beyond the 95% CI: \($s.worse_than_greedy), better: \($s.better_than_greedy); at least the best fixed target: \($s.at_least_best_fixed_share * 1000 | round / 10)%; optimum ratio (\($s.optimum.scenarios) computable) model \($s.optimum.model), greedy \($s.optimum.greedy), best fixed \($s.optimum.best_fixed)"' "$out"
done
echo
echo "inference, ns per decision (one core)"
jq -r '.speed as $s | [1, 4, 16] | to_entries[] | .key as $i | [.value,
	($s[] | .results[$i].ns_per_decision | round)] | @tsv' "$out" |
	(echo -e "candidates\toffloadd\tlibtorch\tpytorch"; cat) | column -t
jq -r '.ratios[] | "a whole decision is \(.libtorch * 10 | round / 10)x faster than libtorch'"'"'s network and \(.pytorch * 10 | round / 10)x faster than PyTorch'"'"'s at \(.candidates) candidate\(if .candidates > 1 then "s" else "" end)"' "$out"
jq -r '.ratios_network[] | "the network alone is \(.libtorch * 10 | round / 10)x faster than libtorch'"'"'s and \(.pytorch * 10 | round / 10)x faster than PyTorch'"'"'s at \(.candidates) candidate\(if .candidates > 1 then "s" else "" end)"' "$out"
echo "wrote $out"
