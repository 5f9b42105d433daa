#!/usr/bin/env bash
# One table of every benchmark in bench/results/*.json: offloadd's figure
# next to the one a user would otherwise get, from the same run.
set -eu
cd "$(dirname "$0")/results" 2>/dev/null || { echo "bench: no results yet (make bench)" >&2; exit 1; }

r1() { jq -r "$1" "$2"; }
rows() {
	[ -f bpf.json ] && r1 '
		("kernel\tsched_switch, ns/event\t\(.switch.offloadd.ns_per_event)\trunqlat (libbpf-tools)\t\(.switch.runqlat.ns_per_event)"),
		("kernel\tsched_wakeup, ns/event\t\(.wakeup.offloadd.ns_per_event)\trunqlat (libbpf-tools)\t\(.wakeup.runqlat.ns_per_event)"),
		("kernel\tall events, ns/event\t\(.all_events.offloadd.ns_per_event)\trunqlat (libbpf-tools)\t\(.all_events.runqlat.ns_per_event)"),
		("kernel\tperf bench sched messaging, wall vs detached\t\(.wall_s.offloadd_overhead_pct)%\trunqlat (libbpf-tools)\t\(.wall_s.runqlat_overhead_pct)%")' bpf.json
	[ -f policy.json ] && r1 '
		(.speed | map({(.impl): .results}) | add) as $s | range(0; 3) as $i |
		"inference\tns/decision, \($s.offloadd[$i].candidates) candidate\(if $s.offloadd[$i].candidates > 1 then "s" else "" end)\t\($s.offloadd[$i].ns_per_decision | round)\tlibtorch | PyTorch\t\($s.libtorch[$i].ns_per_decision | round) | \($s.pytorch[$i].ns_per_decision | round)"' policy.json
	[ -f policy.json ] && r1 '
		(.speed | map({(.impl): .results}) | add) as $s | range(0; 3) as $i | select($s.offloadd[$i].ns_network) |
		"inference\tns, the network alone, \($s.offloadd[$i].candidates) candidate\(if $s.offloadd[$i].candidates > 1 then "s" else "" end)\t\($s.offloadd[$i].ns_network | round)\tlibtorch | PyTorch\t\($s.libtorch[$i].ns_per_decision | round) | \($s.pytorch[$i].ns_per_decision | round)"' policy.json
	[ -f policy.json ] && r1 '.quality[] |
		"policy\treward/task, \(.scenario) (opt. ratio \(.opt_ratio_min * 1000 | round / 1000))\t\(.model_reward * 1e4 | round / 1e4)\tbest fixed | greedy\t\(.best_fixed_reward * 1e4 | round / 1e4) | \(.greedy_reward * 1e4 | round / 1e4)"' policy.json
	[ -f redirect.json ] && r1 '.connect | group_by(.services)[] | (map({(.case): (.connect_ns_p50_median / 100 | round / 10)}) | add) as $c |
		"redirect\tconnect() p50 µs, \(.[0].services) service\(if .[0].services > 1 then "s" else "" end) (no hook \($c["no hook"]))\t\($c["offloadd redirect"])\tiptables DNAT (nft)\t\($c["iptables DNAT"])"' redirect.json
	[ -f agent.json ] && r1 '
		(.tick_cost[] | "agent\ttick µs, \(.workloads) workloads x \(.candidates) candidates\t\(.tick_us_mean | round) (max \(.tick_us_max | round))\t\t"),
		(.footprint[] | "agent\tCPU % and RSS MiB, \(.workloads) workloads at 1 s\t\(.cpu_pct * 1000 | round / 1000)% \(.rss_mib * 10 | round / 10) MiB\t\t"),
		(.connect | map({(.case): (.connect_ns_p50_median / 100 | round / 10)}) | add |
		 "agent\tconnect() p50 µs, governed (VIP | not a VIP)\t\(.["hook, VIP rewritten"]) | \(.["hook, not a VIP"])\tno hook\t\(.["no hook"])")' agent.json
	[ -f flows.json ] && r1 '
		"agent\tflows map, \(.connections) connections into \(.capacity): ticks to room | to empty (1 s tick)\t\(.ticks_to_room) | \(.ticks_to_empty) (tick max \(.tick_us_max / 1000 | round) ms, \(.late_ticks) late)\t\t"' flows.json
	[ -f tls.json ] && r1 '(.runs | map({(.mode): .}) | add) as $r |
		"peers\tCPU µs per probe, prober | peer, mutual TLS 1.3\t\($r.tls.prober_us_per_probe) | \($r.tls.peer_us_per_probe)\tplain HTTP\t\($r.plain.prober_us_per_probe) | \($r.plain.peer_us_per_probe)"' tls.json
	[ -f testbed.json ] && r1 '.headline[] |
		"testbed\tp99 ms, \(.workload), \(.run) (ratio to best fixed \(.p99_ratio))\t\(.p99_ms)\t\(.best_fixed)\t\(.best_fixed_p99_ms)"' testbed.json
	return 0
}
{
	printf 'AREA\tMEASURE\tOFFLOADD\tSIDE BY SIDE\tTHEIRS\n'
	rows
} | column -t -s $'\t'
if [ -f testbed.json ]; then
	echo
	echo "testbed (make bench-testbed), per run and phase:"
	../testbed-table.sh testbed.json
fi
