#!/usr/bin/env bash
# Adaptation under the default model: a workload whose requests cost ~12 ms
# of CPU stays local while its CPU is free, moves to the edge peer within 3
# ticks once four CPU hogs share that CPU, and comes back when the load goes; never
# more than one change per dwell period. The host's local CPU is CPU 0, the
# peer's CPU 1 (local_cpus), as two hosts sharing one kernel would split it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

T=("stays local while its CPU is free" "moves to the edge within 3 ticks of saturation"
   "its requests land on the edge" "returns local when the load goes"
   "at most one change per dwell period" "offloadctl explain gives the reason"
   "the experience log feeds offload-train fit")
need_root "${T[@]}"
if [ "$(nproc)" -lt 2 ]; then
	for t in "${T[@]}"; do skip "$t" "needs 2 CPUs"; done
	exit 0
fi

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov adapt
ip route add unreachable 10.237.9.9/32 && on_exit "ip route del unreachable 10.237.9.9/32"
ns_make edge
delay_link "$NS_edge" 10.237.1.1 10.237.1.2 5

peer_conf 10.237 250ms "$tmp/peer.sock" "local_cpus = 1" >"$tmp/peer.conf"
nsenter --net="/var/run/netns/$NS_edge" "$OFFLOADD" run --config "$tmp/peer.conf" 2>"$tmp/peer.log" &
on_exit "kill -9 $!"
nsenter --net="/var/run/netns/$NS_edge" taskset -c 1 "$TOOLS/reqsrv" -c 12000 -i edge 10.237.1.2 7300 &
on_exit "kill -9 $!"
# The local target computes inside the workload, as a sidecar would.
cg_exec "$gov" taskset -c 0 "$TOOLS/reqsrv" -c 12000 -i local 127.0.0.1 7300 &
on_exit "kill -9 $!"

cat >"$tmp/offloadd.conf" <<CONF
[agent]
metrics_listen = off
tick = 500ms
lease = 5
local_cpus = 0
model = $TOP/models/default.omdl
experience_log = $tmp/experience.log
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
[peer edge1]
address = 10.237.1.2
kind = edge
status_port = 7400
capacity = 1
cost = 0.0001
[service api]
vip = 10.237.9.9:7300
protocol = tcp
local = 127.0.0.1:7300
[workload app]
cgroup = $gov
services = api
policy = dqn
min_dwell = 2s
hysteresis = 0.02
CONF
agent_start "$tmp/agent.log" "$tmp/offloadd.conf"
CTL=("$BUILD/offloadctl" -s "$tmp/ctl.sock")
cg_exec "$gov" taskset -c 0 "$TOOLS/reqcli" -n 100000 -i 100 10.237.9.9 7300 >"$tmp/client" 2>&1 &
on_exit "kill $!"

# watch: one line per 100 ms, "TICKS TARGET", into $tmp/watch.
"${CTL[@]}" -j status >/dev/null
( while :; do
	printf '%s %s\n' "$("${CTL[@]}" -j status | jq .ticks)" \
		"$("${CTL[@]}" -j workloads | jq -r '.workloads[0].target')"
	sleep 0.1
done ) >"$tmp/watch" 2>/dev/null &
on_exit "kill $!"

target() { tail -n 1 "$tmp/watch" | cut -d' ' -f2; }
ticks() { "${CTL[@]}" -j status | jq .ticks; }
# wait_for TARGET SECONDS: until the decision is TARGET.
wait_for() { for _ in $(seq $(($2 * 10))); do [ "$(target)" = "$1" ] && return 0; sleep 0.1; done; return 1; }

sleep 5
"${CTL[@]}" explain app >"$tmp/explain.idle"
check "stays local while its CPU is free" test "$(target)" = local
diag "idle: $(grep -E '^(why|workload:)' "$tmp/explain.idle" | tr '\n' ' ')"

hogs=()
for _ in 1 2 3 4; do taskset -c 0 sh -c 'while :; do :; done' & hogs+=($!); done
on_exit "kill ${hogs[*]} 2>/dev/null"
t0=$(ticks)
wait_for edge1 10
t1=$(ticks)
diag "moved after $((t1 - t0)) ticks"
"${CTL[@]}" explain app >"$tmp/explain.busy"
diag "busy: $(grep -E '^(why|workload:)' "$tmp/explain.busy" | tr '\n' ' ')"
check "moves to the edge within 3 ticks of saturation" \
	test "$(target)" = edge1 -a $((t1 - t0)) -le 3
sleep 1
n0=$(grep -c '^answer edge ' "$tmp/client")
sleep 1
check "its requests land on the edge" test "$(grep -c '^answer edge ' "$tmp/client")" -gt "$n0"

kill "${hogs[@]}"
wait_for local 10
check "returns local when the load goes" test "$(target)" = local
# The peer by name: "local scores best" is a reason too, not this one.
check "offloadctl explain gives the reason" grep -q '^why: edge1 scores best' "$tmp/explain.busy"
sleep 1

# Changes seen by the watcher, as tick numbers: none closer than the dwell
# (2 s = 4 ticks) to the one before.
awk 'prev != "" && $2 != prev { print $1 } { prev = $2 }' "$tmp/watch" >"$tmp/changes"
diag "changes at ticks: $(tr '\n' ' ' <"$tmp/changes")"
check "at most one change per dwell period" awk 'NR > 1 && $1 - last < 4 { bad = 1 } { last = $1 } END { exit bad }' "$tmp/changes"

"$BUILD/offload-train" fit --log "$tmp/experience.log" --init "$TOP/models/default.omdl" \
	--out "$tmp/fitted.omdl" --steps 200 >"$tmp/fit.out" 2>&1
diag "$(tail -n 1 "$tmp/fit.out"), $(wc -l <"$tmp/experience.log") lines"
check "the experience log feeds offload-train fit" test -s "$tmp/fitted.omdl"
