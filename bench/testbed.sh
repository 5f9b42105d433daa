#!/usr/bin/env bash
# make bench-testbed (and make demo, its short form): is offloadd better than
# the best fixed placement? One deterministic schedule of link, load and
# failure phases runs on real packets for each policy; writes JSON, a table
# and a plot.
#
# Topology: network namespaces edge1, edge2 and cloud behind tundelay links,
# each with its own offloadd (status_listen) and its services in its own
# serve_cgroup; on this host two governed workloads, each in its cgroup with
# its own client: compute (12 ms of CPU, a few bytes) and payload (300 KB
# back, 20 KB out, 1 ms of CPU). Environment:
#   DURATION  seconds per policy run (default 180; the demo 30)
#   SEED      seed of the links' jitter and loss and of the fit (default 1)
#   SCHEDULE  full | demo (calm, local contention, calm)
#   POLICIES  default "dqn greedy static:local static:edge1 static:edge2 static:cloud"
#   FIT       1: fit the model on the dqn run's experience and run it again
#   OUT       the JSON (default bench/results/testbed.json; the PNG beside it)
#   TICK_MS   the agents' tick (default 500); LIVE seconds between live lines
#   NET       first two octets of the testbed's addresses (default 10.246)
#   STEP_MS   how often the schedule steps and offloadctl is sampled (1000)
#   PLOT      0: no plot (it needs gnuplot, from make bench-deps)
#   PEER_DOWN_AFTER, PROBE_TIMEOUT (e.g. 150ms): the governing agent's keys,
#             for short test runs; TRANSFER_KB the rate check's size (500)
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$PWD
. tests/integration/lib.sh
. tests/integration/netlib.sh
. bench/lib.sh
CTL=$BUILD/offloadctl
DURATION=${DURATION:-180} SEED=${SEED:-1} SCHEDULE=${SCHEDULE:-full} FIT=${FIT:-1}
POLICIES=${POLICIES:-dqn greedy static:local static:edge1 static:edge2 static:cloud}
OUT=${OUT:-bench/results/testbed.json} TICK_MS=${TICK_MS:-500} LIVE=${LIVE:-10}
NET=${NET:-10.246} MODEL=${MODEL:-$TOP/models/default.omdl}
STEP_MS=${STEP_MS:-1000} TRANSFER_KB=${TRANSFER_KB:-500}
STEPS=$((DURATION * 1000 / STEP_MS))
VIP=$NET.0.1
LOCAL_CPU=0 PEER_CPU=1
# Local targets listen on loopback, on ports of this run's own: other
# engineers' tests use 7300 there.
LPORT=$((30000 + $$ % 10000 * 2))
PEERS=(edge1 edge2 cloud)
declare -A ONEWAY=([edge1]=1.5 [edge2]=5 [cloud]=30) KIND=([edge1]=edge [edge2]=edge [cloud]=cloud)
declare -A CAP=([edge1]=1 [edge2]=1 [cloud]=8) COST=([edge1]=0.0001 [edge2]=0.00005 [cloud]=0.001)
declare -A IDX=([edge1]=1 [edge2]=2 [cloud]=3)
WORKLOADS=(compute payload)
declare -A PORT=([compute]=7300 [payload]=7301)
# Client arguments: the compute workload asks often for little; payload rarely for much.
declare -A CLIENT=([compute]="-t 3000 -i 100" [payload]="-t 5000 -i 200 -b 20000 -B 300000")
declare -A SRV=([compute]="-c 12000" [payload]="-c 1000")
# What a failed request counts as in the percentiles: its client's timeout.
TIMEOUTS='{"compute": 3000, "payload": 5000}'

die() { echo "testbed: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, cgroups, BPF)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs: one local, one for the peers"
[ "$DURATION" -ge 5 ] 2>/dev/null || die "DURATION must be at least 5 (seconds)"
PLOT=${PLOT:-1}
# Told now, not after the runs: the plot comes last.
[ "$PLOT" = 0 ] || command -v gnuplot >/dev/null || die "no gnuplot for the plot: make bench-deps, or PLOT=0"
for b in offloadd offloadctl offload-train tools/tundelay tools/reqcli tools/reqsrv; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b missing: make build"
done

tmp=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "testbed: raw files kept in $tmp" || on_exit "rm -rf '$tmp'"
on_exit "rm -rf /sys/fs/bpf/offloadd-tb-$$-*"

# Phases: "START_FRACTION NAME"; enter_phase applies each one's conditions.
case $SCHEDULE in
full) SCHED=("0 calm" "0.07 local-busy" "0.17 edge1-rtt-up" "0.27 edge1-rtt-down"
	     "0.35 edge2-tenant" "0.47 edge1-down" "0.57 edge1-back" "0.65 edge2-slow-link"
	     "0.77 cloud-jitter" "0.87 local-free") ;;
demo) SCHED=("0 calm" "0.2 local-busy" "0.7 local-free") ;;
*) die "SCHEDULE is full or demo" ;;
esac

# Each phase's first step.
BOUNDS=($(printf '%s\n' "${SCHED[@]}" | awk -v n="$STEPS" '{ print int($1 * n + 0.5) }'))

# --- topology ---------------------------------------------------------------

# Cgroups: v2 for what offloadd governs and measures; on a hybrid host the
# v1 cpu controller gives each peer a CPU share of its own, so the tenant on
# edge2 slows edge2, not every peer on the shared CPU.
cg_make CG tb || die "cannot create a cgroup under $CGROOT"
CPU1=/sys/fs/cgroup/cpu/offload-test.$$.tb
if [ -w /sys/fs/cgroup/cpu/cgroup.procs ] && mkdir "$CPU1" 2>/dev/null; then
	on_exit "cg_remove '$CPU1'"
else
	CPU1=
fi
# cgs NAME: the cgroups of peer NAME's services, for in_cg.
cgs() { echo "$CG/serve-$1${CPU1:+:$CPU1/$1}"; }

# link_set PEER KEY=VALUE...: the link's conditions from now on.
link_set() {
	local p=$1; shift
	printf '%s\n' "$@" >"$tmp/link-$p.ctl.new"
	mv "$tmp/link-$p.ctl.new" "$tmp/link-$p.ctl"	# whole, never half-written
	kill -HUP "${LINKPID[$p]}"
}
link_base() { link_set "$1" "delay_ms = ${ONEWAY[$1]}" "jitter_ms = 0" "loss_pct = 0" "rate_kbit = 0"; }

declare -A LINKPID PEERPIDS ADDR
peer_conf_tb() {
	local w
	cat <<CONF
[agent]
metrics_listen = off
tick = ${TICK_MS}ms
status_listen = ${ADDR[$1]}:7400
node = $1
local_cpus = $PEER_CPU
serve_cgroup = $CG/serve-$1
pin_dir = /sys/fs/bpf/offloadd-tb-$$-$1
ctl_socket = $tmp/$1.sock
CONF
	for w in "${WORKLOADS[@]}"; do
		printf '[service %s]\nvip = %s:%s\nprotocol = tcp\nlocal = %s:%s\n' \
			"$w" "$VIP" "${PORT[$w]}" "${ADDR[$1]}" "${PORT[$w]}"
	done
}

# peer_start NAME: its services and its offloadd, inside its namespace.
peer_start() {
	local ns=${NS[$1]} w p
	PEERPIDS[$1]=
	rm -rf "/sys/fs/bpf/offloadd-tb-$$-$1"
	for w in "${WORKLOADS[@]}"; do
		bg_cg "$(cgs "$1")" nsenter --net="/var/run/netns/$ns" taskset -c $PEER_CPU \
			"$BUILD/tools/reqsrv" ${SRV[$w]} -i "$1" "${ADDR[$1]}" "${PORT[$w]}" >/dev/null
		on_exit "kill -9 $BGPID"; PEERPIDS[$1]+=" $BGPID"
	done
	nsenter --net="/var/run/netns/$ns" "$OFFLOADD" run --config "$tmp/$1.conf" 2>>"$tmp/$1.log" &
	p=$!; on_exit "kill -9 $p"; PEERPIDS[$1]+=" $p"
}
peer_kill() { reap ${PEERPIDS[$1]}; }

declare -A NS
setup() {
	local p i w
	ip route add unreachable "$VIP/32" || die "cannot route $VIP"
	on_exit "ip route del unreachable $VIP/32"
	for p in "${PEERS[@]}"; do
		i=${IDX[$p]} ADDR[$p]=$NET.$i.2
		ns_make "$p" || die "cannot create a network namespace"
		local v=NS_$p; NS[$p]=${!v}
		mkdir -p "$CG/serve-$p" ${CPU1:+"$CPU1/$p"}
		printf 'delay_ms = %s\n' "${ONEWAY[$p]}" >"$tmp/link-$p.ctl"
		# The links run on the peers' CPU: local contention must not slow them.
		LINK_CMD="taskset -c $PEER_CPU" delay_link "${NS[$p]}" "$NET.$i.1" "${ADDR[$p]}" \
			"${ONEWAY[$p]}" -f "$tmp/link-$p.ctl" -s $((SEED * 10 + i)) ||
			die "cannot create the link to $p"
		LINKPID[$p]=$LINK_PID
		peer_conf_tb "$p" >"$tmp/$p.conf"
		peer_start "$p"
	done
	for w in "${WORKLOADS[@]}"; do
		mkdir -p "$CG/wl-$w"
		# The local target runs inside the workload, on the local CPU.
		bg_cg "$CG/wl-$w" taskset -c $LOCAL_CPU "$BUILD/tools/reqsrv" ${SRV[$w]} -i local \
			127.0.0.1 $((LPORT + ${PORT[$w]} - 7300)) >/dev/null
		on_exit "kill -9 $BGPID"
	done
	sleep 1
	for p in "${PEERS[@]}"; do
		grep -q governing "$tmp/$p.log" || { cat "$tmp/$p.log" >&2; die "$p's offloadd did not start"; }
	done
}

# host_conf POLICY MODEL EXPLOG: the governing agent's configuration.
host_conf() {
	local p w
	cat <<CONF
[agent]
metrics_listen = off
tick = ${TICK_MS}ms
lease = 4
local_cpus = $LOCAL_CPU
model = $2
pin_dir = /sys/fs/bpf/offloadd-tb-$$-host
ctl_socket = $tmp/host.sock
experience_log = $3
${PEER_DOWN_AFTER:+peer_down_after = $PEER_DOWN_AFTER}
${PROBE_TIMEOUT:+probe_timeout = $PROBE_TIMEOUT}
CONF
	for p in "${PEERS[@]}"; do
		printf '[peer %s]\naddress = %s\nkind = %s\nstatus_port = 7400\ncapacity = %s\ncost = %s\n' \
			"$p" "${ADDR[$p]}" "${KIND[$p]}" "${CAP[$p]}" "${COST[$p]}"
	done
	for w in "${WORKLOADS[@]}"; do
		printf '[service %s]\nvip = %s:%s\nprotocol = tcp\nlocal = 127.0.0.1:%s\n' \
			"$w" "$VIP" "${PORT[$w]}" $((LPORT + ${PORT[$w]} - 7300))
		printf '[workload %s]\ncgroup = %s/wl-%s\nservices = %s\npolicy = %s\nmin_dwell = 2s\nhysteresis = 0.1\n' \
			"$w" "$CG" "$w" "$w" "$1"
	done
}

# --- the schedule -----------------------------------------------------------

HOGS=() TENANT=()
hogs_on() {
	[ ${#HOGS[@]} = 0 ] || return
	for _ in 1 2 3 4; do taskset -c $LOCAL_CPU sh -c 'while :; do :; done' & HOGS+=($!); on_exit "kill -9 $!"; done
}
# reap PID...: kill and wait, so bash reports no "Killed" job.
reap() { kill -9 "$@" 2>/dev/null; wait "$@" 2>/dev/null; }
hogs_off() { [ ${#HOGS[@]} = 0 ] || reap "${HOGS[@]}"; HOGS=(); }
tenant_on() {
	[ ${#TENANT[@]} = 0 ] || return
	for _ in 1 2; do
		bg_cg "$(cgs edge2)" taskset -c $PEER_CPU sh -c 'while :; do :; done'
		TENANT+=($BGPID); on_exit "kill -9 $BGPID"
	done
}
tenant_off() { [ ${#TENANT[@]} = 0 ] || reap "${TENANT[@]}"; TENANT=(); }

# transfer PEER: kbit/s of one reply of TRANSFER_KB straight from PEER, not governed.
transfer() {
	"$BUILD/tools/reqcli" -t 8000 -B $((TRANSFER_KB * 1000)) "${ADDR[$1]}" 7301 |
		awk '$1 == "answer" { printf "%.0f", $6 * 8 / ($4 / 1000) }'
}

# enter_phase NAME: that phase's conditions, from the state the one before left.
enter_phase() {
	local p
	case $1 in
	calm) hogs_off; tenant_off; for p in "${PEERS[@]}"; do link_base "$p"; done ;;
	local-busy) hogs_on ;;
	edge2-tenant) link_base edge1; tenant_on ;;
	edge1-down) tenant_off; peer_kill edge1 ;;
	edge1-back) peer_start edge1 ;;
	edge2-slow-link) link_set edge2 "delay_ms = ${ONEWAY[edge2]}" "rate_kbit = 4000" "burst_kb = 16" "limit_kb = 128"
		# In the phase's own time, before the schedule moves on: measured
		# in the background, a short phase could end (and lift the limit)
		# mid-transfer on a busy host.
		sleep 0.1
		echo "{\"phase\":\"$1\",\"peer\":\"edge2\",\"transfer_kbit\":$(transfer edge2 || echo null)}" \
			>>"$tmp/$RUN.checks" ;;
	cloud-jitter) link_base edge2; link_set cloud "delay_ms = ${ONEWAY[cloud]}" "jitter_ms = 25" ;;
	local-free) hogs_off; link_base cloud ;;
	esac
}

# ramp FRACTION_OF_PHASE: edge1's one-way delay within the RTT phases,
# 1.5 -> 20 ms (RTT 3 -> 40) and back, a step at a time.
ramp() {
	local d
	case $PHASE in
	edge1-rtt-up) d=$(awk -v f="$1" 'BEGIN { printf "%.1f", 1.5 + f * 18.5 }') ;;
	edge1-rtt-down) d=$(awk -v f="$1" 'BEGIN { printf "%.1f", 20 - f * 18.5 }') ;;
	*) return ;;
	esac
	link_set edge1 "delay_ms = $d"
}

# --- one run ----------------------------------------------------------------

stamp() { while IFS= read -r l; do printf '%s %s\n' "${EPOCHREALTIME/./}" "$l"; done; }
ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }

# live T: one line of the peers as the agent sees them, then one per workload.
live() {
	local p
	p=$("$CTL" -s "$tmp/host.sock" -j peers 2>/dev/null | jq -r '[.peers[] |
		"\(.name) \(if .up then "\(.rtt_us / 100 | round / 10)ms \(.cpu_util * 100 | floor)%" else "DOWN" end)"] | join("  ")')
	printf '%5ss  %-15s peers: %s\n' "$1" "$PHASE" "$p"
	"$CTL" -s "$tmp/host.sock" -j workloads 2>/dev/null | jq -r '.workloads[] |
		"\(.name)\t\(.target)\t\(.features.local_util * 100 | floor)"' |
	while IFS=$'\t' read -r w t u; do
		printf '        %-8s -> %-6s local CPU %3s%%  latency %s\n' "$w" "$t" "$u" \
			"$(tail -n 10 "$tmp/$RUN.$w.out" | awk '$1 == "answer" { s += $4; n++ }
				END { if (n) printf "%.0f ms", s / n / 1000; else printf "-" }')"
	done
}

# run NAME POLICY MODEL [NEW]: the schedule once under POLICY; with NEW,
# the running agent is handed NEW in place of MODEL by SIGHUP first, as an
# operator would after a fit.
run() {
	local name=$1 t start now w i next=0 agent cpu0 cpu1 clients=() f
	RUN=${name//:/-}
	echo "== $name"
	enter_phase calm
	sleep 0.5	# the hogs gone and the links reset before the agent starts
	host_conf "$2" "$3" "$tmp/$RUN.exp" >"$tmp/$RUN.conf"
	"$OFFLOADD" run --config "$tmp/$RUN.conf" 2> >(stamp >"$tmp/$RUN.log") &
	agent=$!
	on_exit "kill -9 $agent"
	for _ in $(seq 100); do grep -q governing "$tmp/$RUN.log" 2>/dev/null && break; sleep 0.1; done
	grep -q governing "$tmp/$RUN.log" || { cat "$tmp/$RUN.log" >&2; die "offloadd did not start"; }
	if [ -n "${4:-}" ]; then
		cp "$4" "$3" && kill -HUP $agent
		for _ in $(seq 50); do grep -q reloaded "$tmp/$RUN.log" && break; sleep 0.1; done
		grep -q reloaded "$tmp/$RUN.log" || { cat "$tmp/$RUN.log" >&2; die "SIGHUP did not load $4"; }
	fi
	cpu0=$(cpu_ns $agent)
	for w in "${WORKLOADS[@]}"; do
		bg_cg "$CG/wl-$w" taskset -c $LOCAL_CPU "$BUILD/tools/reqcli" -n 100000000 ${CLIENT[$w]} \
			"$VIP" "${PORT[$w]}" >"$tmp/$RUN.$w.out"
		clients+=($BGPID); on_exit "kill -9 $BGPID"
	done
	: >"$tmp/$RUN.phases"
	start=$(ms)
	for ((t = 0; t < STEPS; t++)); do
		while [ $next -lt ${#BOUNDS[@]} ] && [ $t -ge ${BOUNDS[$next]} ]; do
			PHASE=${SCHED[$next]#* } PSTART=$t
			echo "$(ms) $PHASE" >>"$tmp/$RUN.phases"
			enter_phase "$PHASE"
			next=$((next + 1))
			PEND=$STEPS
			[ $next -ge ${#BOUNDS[@]} ] || PEND=${BOUNDS[$next]}
		done
		ramp "$(awk -v a=$PSTART -v b="$PEND" -v t=$t 'BEGIN { print (t - a + 1) / (b - a) }')"
		# What the agent sees and decides, each step.
		now=$(ms)
		{ "$CTL" -s "$tmp/host.sock" -j workloads | jq -c --argjson ts "$now" \
			'{ts: $ts, workloads: [.workloads[] | {name, target}]}'
		  "$CTL" -s "$tmp/host.sock" -j peers | jq -c --argjson ts "$now" \
			'{ts: $ts, peers: [.peers[] | {name, up, rtt_us}]}'; } >>"$tmp/$RUN.samples" 2>/dev/null
		[ $(((t + 1) * STEP_MS % (LIVE * 1000))) != 0 ] || live $(((t + 1) * STEP_MS / 1000))
		i=$(( (start + (t + 1) * STEP_MS) - $(ms) ))
		[ $i -le 0 ] || sleep "$(awk -v i=$i 'BEGIN { printf "%.3f", i / 1000 }')"
	done
	echo "$(ms) end" >>"$tmp/$RUN.phases"
	cpu1=$(cpu_ns $agent)
	kill "${clients[@]}" 2>/dev/null
	kill $agent; wait $agent 2>/dev/null
	wait "${clients[@]}" 2>/dev/null
	echo "$cpu0 $cpu1 $DURATION" >"$tmp/$RUN.cpu"
	WORKLOADS="${WORKLOADS[*]}" TIMEOUTS=$TIMEOUTS bench/testbed-analyse.sh "$tmp" "$RUN" "$name" \
		"$2" "$TICK_MS" >"$tmp/$RUN.json" ||
		die "cannot analyse run $name"
}

# --- main -------------------------------------------------------------------

echo "testbed: run $$"
setup
echo "testbed: edge1, edge2 and cloud behind links of RTT 3, 10 and 60 ms; workloads: compute" \
	"(12 ms of CPU per request) and payload (300 KB back, 20 KB out); ${DURATION}s per policy"
echo "schedule: $(printf '%s\n' "${SCHED[@]}" | awk -v n="$STEPS" -v s="$STEP_MS" '{ printf "%s%s %gs", (NR > 1 ? ", " : ""), $2, int($1 * n + 0.5) * s / 1000 }')"
runs=()
for pol in $POLICIES; do
	run "$pol" "$pol" "$MODEL"
	runs+=("$tmp/${pol//:/-}.json")
	if [ "$pol" = dqn ] && [ "$FIT" = 1 ]; then
		"$BUILD/offload-train" fit --log "$tmp/dqn.exp" --init "$MODEL" --out "$tmp/fitted.omdl" \
			--seed "$SEED" >"$tmp/fit.log" 2>&1 || { cat "$tmp/fit.log" >&2; die "offload-train fit failed"; }
		FITTED=1
	fi
done
if [ "${FITTED:-0}" = 1 ]; then
	cp "$MODEL" "$tmp/slot.omdl"
	run dqn-fitted dqn "$tmp/slot.omdl" "$tmp/fitted.omdl"
	runs+=("$tmp/dqn-fitted.json")
fi
mkdir -p "$(dirname "$OUT")"
jq -s --argjson d "$DURATION" --argjson seed "$SEED" --arg sched "$SCHEDULE" --argjson tick "$TICK_MS" \
	--arg host "$(nproc) vCPUs, $(uname -r)" -f bench/testbed.jq "${runs[@]}" >"$OUT" ||
	die "cannot write $OUT"
echo
bench/testbed-table.sh "$OUT"
if [ "$PLOT" = 1 ]; then
	bench/testbed-plot.sh "$OUT" "$tmp" "${OUT%.json}.png" && echo "plot: ${OUT%.json}.png"
fi
