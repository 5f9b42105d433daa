#!/usr/bin/env bash
# Kernel overhead, side by side in one run: ns per event of offloadd's
# scheduler programs against libbpf-tools' runqlat under the same
# `perf bench sched messaging` load, and that benchmark's wall time with
# nothing, offloadd or runqlat attached. Writes bench/results/bpf.json.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
LOAD=(perf bench sched messaging -g 10 -l 300)
out=bench/results/bpf.json
cg=$CGROOT/offload-bench-$$
pin=/sys/fs/bpf/offloadd-bench-bpf-$$	# never the installed unit's /sys/fs/bpf/offloadd
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
pids=() our_pid= rq_pid=

cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
	pids=() our_pid= rq_pid=
	sysctl -qw kernel.bpf_stats_enabled="$old_stats"
	rmdir "$cg" 2>/dev/null || true
	rm -rf "$pin"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# held_ids PID prog|link: the ids of the BPF programs or links PID holds,
# from its fds' fdinfo (bpftool 7.1 cannot show owning pids), a JSON array.
held_ids() { cat /proc/"$1"/fdinfo/* 2>/dev/null | awk -v k="$2_id:" '$1 == k { print $2 }' | sort -un | jq -sc .; }

attach_ours() {
	"$BUILD/offloadd" observe --cgroup "$cg" --interval-ms 1000 --pin-dir "$pin" >/dev/null &
	our_pid=$!; pids+=($!)
	for _ in $(seq 50); do [ -e "$pin/link_tp_switch" ] || [ -e "$pin/link_raw_switch" ] && return; sleep 0.1; done
	echo "offloadd observe did not attach" >&2; exit 1
}
attach_runqlat() {
	runqlat 3600 1 >/dev/null &
	rq_pid=$!; pids+=($!)
	for _ in $(seq 50); do [ "$(held_ids "$rq_pid" link)" != "[]" ] && return; sleep 0.1; done
	echo "runqlat did not attach" >&2; exit 1
}
detach() { cleanup; sysctl -qw kernel.bpf_stats_enabled=1; mkdir -p "$cg"; }

# load: run the benchmark inside the governed cgroup; prints seconds.
load() {
	in_cg "$cg" "${LOAD[@]}" 2>&1 |
		awk '/Total time/ {print $3}'
}

# progs: name, owner, run_cnt, run_time_ns of the programs our observe and
# runqlat hold, by id: another agent or tracer on the host is not counted.
progs() {
	bpftool prog show -j | jq -c --argjson o "$(held_ids "$our_pid" prog)" --argjson r "$(held_ids "$rq_pid" prog)" '
		[.[] | select(.run_cnt != null) | {id, name, run_cnt, run_time_ns,
		 owner: (if (.id | IN($o[])) then "offloadd" elif (.id | IN($r[])) then "runqlat" else null end)} |
		 select(.owner != null)]'
}

sysctl -qw kernel.bpf_stats_enabled=1
mkdir -p "$cg" bench/results

# 1. Both attached at once, one load: per-event cost from bpf_stats. The
# first program on a tracepoint takes the cache misses on the task, so the
# load runs once in each attach order and the two are summed.
measure() {
	local before after
	"$@"
	before=$(progs)
	load >/dev/null
	after=$(progs)
	detach
	jq -n --argjson a "$before" --argjson b "$after" '
		[$b[] as $x | ($a[] | select(.id == $x.id)) as $y |
		 {owner: $x.owner, name: $x.name, events: ($x.run_cnt - $y.run_cnt),
		  run_time_ns: ($x.run_time_ns - $y.run_time_ns)}]'
}
first=$(measure eval 'attach_ours; attach_runqlat')
second=$(measure eval 'attach_runqlat; attach_ours')
per_prog=$(jq -n --argjson a "$first" --argjson b "$second" '
	$a + $b | group_by(.owner + .name) | map({owner: .[0].owner, name: .[0].name,
	  events: (map(.events) | add), run_time_ns: (map(.run_time_ns) | add)}) |
	map(select(.events > 0) | . + {ns_per_event: (.run_time_ns / .events * 10 | round / 10)})')

# 2. Wall time of the load: rounds interleaved so noise hits all alike.
none=() ours=() rq=()
for r in $(seq "$ROUNDS"); do
	none+=("$(load)")
	attach_ours; ours+=("$(load)"); detach
	attach_runqlat; rq+=("$(load)"); detach
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

jq -n --argjson progs "$per_prog" --arg kernel "$(uname -r)" \
	--arg load "${LOAD[*]}" --argjson rounds "$ROUNDS" \
	--argjson none "$(median "${none[@]}")" --argjson ours "$(median "${ours[@]}")" \
	--argjson rq "$(median "${rq[@]}")" '
	def total(o; pat): [$progs[] | select(.owner == o and (.name | test(pat)))] |
		{events: (map(.events) | add // 0), run_time_ns: (map(.run_time_ns) | add // 0)} |
		. + {ns_per_event: (if .events > 0 then (.run_time_ns / .events * 10 | round / 10) else null end)};
	{kernel: $kernel, load: $load, programs: $progs,
	 switch: {offloadd: total("offloadd"; "switch"), runqlat: total("runqlat"; "switch")},
	 wakeup: {offloadd: total("offloadd"; "wakeup"), runqlat: total("runqlat"; "wakeup")},
	 all_events: {offloadd: total("offloadd"; "switch|wakeup"), runqlat: total("runqlat"; "switch|wakeup")},
	 wall_s: {rounds: $rounds, detached: $none, offloadd: $ours, runqlat: $rq,
		  offloadd_overhead_pct: (($ours / $none - 1) * 1000 | round / 10),
		  runqlat_overhead_pct: (($rq / $none - 1) * 1000 | round / 10)}}' >"$out"

jq -r '"kernel \(.kernel), load: \(.load)",
	"",
	"               ns/event offloadd   ns/event runqlat",
	"sched_switch   \(.switch.offloadd.ns_per_event)\t\t   \(.switch.runqlat.ns_per_event)",
	"sched_wakeup*  \(.wakeup.offloadd.ns_per_event)\t\t   \(.wakeup.runqlat.ns_per_event)",
	"all of them    \(.all_events.offloadd.ns_per_event)\t\t   \(.all_events.runqlat.ns_per_event)   (switch + wakeup + wakeup_new events)",
	"",
	"wall time (median of \(.wall_s.rounds)): detached \(.wall_s.detached) s, offloadd \(.wall_s.offloadd) s (\(.wall_s.offloadd_overhead_pct)%), runqlat \(.wall_s.runqlat) s (\(.wall_s.runqlat_overhead_pct)%)"' "$out"
echo "wrote $out"
