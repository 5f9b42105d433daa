#!/usr/bin/env bash
# The testbed's tables from its JSON: per run and workload, then the
# headline ratio (governed p99 / best fixed p99 in hindsight) per phase.
# usage: testbed-table.sh [bench/results/testbed.json]
set -eu
f=${1:-$(dirname "$0")/results/testbed.json}
[ -f "$f" ] || { echo "testbed: no $f (make bench-testbed)" >&2; exit 1; }
share='.share | to_entries | map("\(.key) \(.value * 100 | round)%") | join(" ")'
{
	printf 'RUN\tWORKLOAD\tP50 ms\tP99 ms\tMEAN ms\tREQS\tFAILED\tCHANGES\tREWARD\tAGENT CPU\tSHARE\n'
	jq -r ".runs[] | . as \$r | .workloads[] |
		[\$r.name, .name, .p50_ms, .p99_ms, .mean_ms, .requests, .failed, .decisions_changed,
		 .mean_reward, \"\(\$r.agent_cpu_pct)%\", ($share)] | @tsv" "$f"
} | column -t -s $'\t'
echo
echo "p99 / p99 of the best fixed placement in hindsight (per workload; per phase the best there)"
{
	printf 'RUN\tWORKLOAD\tOVERALL\tBEST FIXED\tREACTION p50/max ticks\t%s\n' \
		"$(jq -r '[.phases[].name] | join("\t")' "$f")"
	jq -r '.headline[] | [.run, .workload, "\(.p99_ratio)", (.best_fixed // "-" | sub("static:"; "")),
		"\(.reaction_ticks.p50 // "-")/\(.reaction_ticks.max // "-") (\(.reaction_ticks.reacted) of \(.phases | length - 1))",
		(.phases[] | "\(.p99_ratio // "-")")] | @tsv' "$f"
} | column -t -s $'\t'
jq -e '.closed_loop' "$f" >/dev/null 2>&1 && {
	echo
	echo "closed loop: dqn with the default model, then with it fitted on that run's experience"
	jq -r '.closed_loop[] | "  \(.workload): p99 \(.before.p99_ms) -> \(.after.p99_ms) ms, mean \(.before.mean_ms) -> \(.after.mean_ms) ms, reward \(.before.mean_reward) -> \(.after.mean_reward), changes \(.before.decisions_changed) -> \(.after.decisions_changed)"' "$f"
}
exit 0
