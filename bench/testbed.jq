# The testbed's runs (one JSON each, slurped) to bench/results/testbed.json:
# every run, and the headline: each governed run's p99 over the p99 of the
# best fixed placement in hindsight, chosen per workload (and per phase).
def ratio($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b * 1000 | round / 1000 end;
def wl($n): .workloads[] | select(.name == $n);
. as $runs |
[$runs[] | select(.policy | startswith("static:"))] as $fixed |
[$runs[] | select(.policy | startswith("static:") | not)] as $gov |
{bench: "testbed", host: $host, duration_s: $d, seed: $seed, schedule: $sched, tick_ms: $tick,
 phases: [$runs[0].phases[] | {name, start_s, end_s}],
 runs: $runs,
 headline: [$gov[] as $g | $g.workloads[] as $w | ($fixed | map({policy, s: wl($w.name)})) as $f |
	($f | map(select(.s.p99_ms != null)) | min_by(.s.p99_ms)) as $best |
	($f | map(select(.s.p99_ms != null)) | max_by(.s.p99_ms)) as $worst |
	{run: $g.name, workload: $w.name, p99_ms: $w.p99_ms,
	 best_fixed: $best.policy, best_fixed_p99_ms: $best.s.p99_ms, p99_ratio: ratio($w.p99_ms; $best.s.p99_ms),
	 worst_fixed: $worst.policy, worst_fixed_p99_ms: $worst.s.p99_ms,
	 beats_worst_fixed: ($w.p99_ms != null and $worst.s.p99_ms != null and $w.p99_ms < $worst.s.p99_ms),
	 reaction_ticks: $w.reaction_ticks,
	 phases: [$w.phases[] as $p | ($f | map({policy, p: (.s.phases[] | select(.name == $p.name))}) |
		map(select(.p.p99_ms != null)) | min_by(.p.p99_ms)) as $b |
		{name: $p.name, p99_ms: $p.p99_ms, best_fixed: $b.policy, best_fixed_p99_ms: $b.p.p99_ms,
		 p99_ratio: ratio($p.p99_ms; $b.p.p99_ms)}]}],
 closed_loop: ([$runs[] | select(.name == "dqn")][0] as $a | [$runs[] | select(.name == "dqn-fitted")][0] as $b |
	if $a == null or $b == null then null else
	[$a.workloads[] as $w | ($b | wl($w.name)) as $v |
	 {workload: $w.name,
	  before: ($w | {p50_ms, p99_ms, mean_ms, failed, mean_reward, decisions_changed}),
	  after: ($v | {p50_ms, p99_ms, mean_ms, failed, mean_reward, decisions_changed})}] end)}
