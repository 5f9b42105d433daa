#!/usr/bin/env bash
# One testbed run's raw files (clients' lines, phases, the agent's stamped
# stderr, samples of offloadctl, experience log, CPU) to that run's JSON.
# usage: testbed-analyse.sh DIR RUN NAME POLICY TICK_MS (WORKLOADS, TIMEOUTS in env)
set -eu
d=$1 r=$2
for w in $WORKLOADS; do
	awk -v w="$w" '
		$1 == "answer" { printf "{\"w\":\"%s\",\"at\":%s,\"lat\":%.3f,\"ok\":true,\"by\":\"%s\"}\n", w, $8, $4 / 1000, $2 }
		$1 == "error" { printf "{\"w\":\"%s\",\"at\":%s,\"ok\":false}\n", w, $NF }' "$d/$r.$w.out"
done >"$d/$r.req"
# Decision changes as the agent logged them:
# "US offloadd: tick N: workload W -> T (why)".
awk '$2 == "offloadd:" && $3 == "tick" && $5 == "workload" && $7 == "->" {
	printf "{\"ts\":%.0f,\"w\":\"%s\",\"target\":\"%s\"}\n", $1 / 1000, $6, $8 }' "$d/$r.log" >"$d/$r.dec"
awk '{ printf "{\"start\":%s,\"name\":\"%s\"}\n", $1, $2 }' "$d/$r.phases" >"$d/$r.ph"
touch "$d/$r.checks" "$d/$r.exp" "$d/$r.samples"
read -r cpu0 cpu1 secs <"$d/$r.cpu"

jq -n --arg name "$3" --arg policy "$4" --argjson tick "$5" --argjson to "$TIMEOUTS" \
	--argjson cpu "$(awk -v a="$cpu0" -v b="$cpu1" -v s="$secs" 'BEGIN { printf "%.4f", (b - a) / (s * 1e7) }')" \
	--arg wls "$WORKLOADS" \
	--slurpfile req "$d/$r.req" --slurpfile dec "$d/$r.dec" --slurpfile ph "$d/$r.ph" \
	--slurpfile smp "$d/$r.samples" --slurpfile exp "$d/$r.exp" --slurpfile chk "$d/$r.checks" '
def r1: if . == null then null else . * 10 | round / 10 end;
def pct(p): sort | if length == 0 then null else .[([(length * p | ceil) - 1, 0] | max)] end;
def mean: if length == 0 then null else add / length end;
# Latency stats of requests; a failed request counts as its timeout.
def stats($t): (map(if .ok then .lat else $t end)) as $l | (map(select(.ok)) | length) as $ok |
	{requests: length, failed: (length - $ok), p50_ms: ($l | pct(0.5) | r1), p99_ms: ($l | pct(0.99) | r1),
	 mean_ms: ($l | mean | r1),
	 share: (map(select(.ok)) | group_by(.by) | map({key: .[0].by, value: (length / $ok * 1000 | round / 1000)}) | from_entries)};
# Phases with their ends; the last line of the phases file is "end".
($ph | [range(0; length - 1) as $i | .[$i] + {end: $ph[$i + 1].start}]) as $phases |
($wls | split(" ")) as $ws |
{name: $name, policy: $policy,
 agent_cpu_pct: $cpu,
 phases: [$phases[] | . as $p | {name, start_s: ((.start - $phases[0].start) / 1000 | r1), end_s: ((.end - $phases[0].start) / 1000 | r1),
	peers: ([$smp[] | select(.peers and .ts >= $p.start and .ts < $p.end) | .peers[]] | group_by(.name) | map({key: .[0].name, value:
		{up_share: (map(if .up then 1 else 0 end) | mean | . * 100 | round / 100),
		 rtt_ms_mean: (map(select(.up) | .rtt_us / 1000) | mean | r1),
		 rtt_ms_max: (map(select(.up) | .rtt_us / 1000) | max | r1)}}) | from_entries),
	transfer_kbit: ([$chk[] | select(.phase == $p.name) | .transfer_kbit] | first)}],
 workloads: [$ws[] as $w | ($req | map(select(.w == $w))) as $rq | ($dec | map(select(.w == $w))) as $dc |
	($exp | map(select(.workload == $w))) as $ex |
	(($rq | stats($to[$w])) + {
	 name: $w,
	 decisions_changed: ($dc | length),
	 mean_reward: ($ex | map(.reward) | mean | if . == null then null else . * 1e4 | round / 1e4 end),
	 phases: [$phases[] as $p | $rq | map(select(.at >= $p.start and .at < $p.end)) | stats($to[$w]) + {name: $p.name,
		mean_reward: ([$ex[] | select(.ts * 1000 >= $p.start and .ts * 1000 < $p.end) | .reward] | mean |
			if . == null then null else . * 1e4 | round / 1e4 end)}],
	 # Ticks from each phase change to the first decision change within that phase.
	 reaction: ([$phases[1:][] as $p | {phase: $p.name, ticks: ([$dc[] | select(.ts >= $p.start and .ts < $p.end)] | first |
		if . == null then null else (.ts - $p.start) / $tick | ceil end)}]) }) |
	.reaction_ticks = ([.reaction[].ticks | select(. != null)] | {reacted: length, p50: pct(0.5), max: max})],
 targets: [$smp[] | select(.workloads) | {t: ((.ts - $phases[0].start) / 1000), w: .workloads | map({key: .name, value: .target}) | from_entries}]
}'
