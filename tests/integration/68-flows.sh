#!/usr/bin/env bash
# The flows map driven to full and back: 300 held connections fill a map of
# 256; once they close the agent ages them out, the fill level comes down
# and a new flow to the target is measured (connections, srtt over a 5 ms
# link), with ticks on time throughout. A connection to another port on the
# peer's address is not a call to its service. A restart adopts a full map
# and ages the last run's flows; one with another max_flows and max_tasks
# makes the flows and per-task maps afresh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

T=("300 held connections fill the flows map, the drops counted"
   "after they close, a new flow to the target is measured (srtt 8-60 ms on a 10 ms link)"
   "the fill level comes back down"
   "ticks stay on time while the map is full and aged"
   "a connection to another port on the peer's address does not count toward it"
   "a restart adopts a full map and ages the last run's flows"
   "a restart with another max_flows and max_tasks makes those maps afresh and adopts the rest")
need_root "${T[@]}"
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov flw
ip route add unreachable 10.222.9.9/32 && on_exit "ip route del unreachable 10.222.9.9/32"
ns_make flwedge
delay_link "$NS_flwedge" 10.222.1.1 10.222.1.2 5
ns_bg "$NS_flwedge" "$TOOLS/reqsrv" -i edge 10.222.1.2 22300
ns_bg "$NS_flwedge" "$TOOLS/reqsrv" -i other 10.222.1.2 22301
# Every 127.x.y.z of the namespace reaches it: a flow per address dialled.
ns_bg "$NS_flwedge" "$TOOLS/reqsrv" -i fill 0.0.0.0 22500

cat >"$tmp/offloadd.conf" <<CONF
[agent]
tick = 200ms
lease = 50
max_flows = 256
max_tasks = 4096
flow_idle = 3s
metrics_listen = 127.0.0.1:22477
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
[peer edge1]
address = 10.222.1.2
kind = edge
status_port = 0
[service api]
vip = 10.222.9.9:22300
protocol = tcp
local = 127.0.0.1:22300
[workload app]
cgroup = $gov
services = api
policy = static:edge1
CONF

# metric NAME [MATCH]: the value of the first series NAME{...} whose labels
# contain MATCH, or nothing.
metric() {
	curl -sf http://127.0.0.1:22477/metrics |
		awk -v n="$1{" -v m="${2:-}" 'index($0, n) == 1 && index($0, m) { print $NF; exit }'
}
entries() { metric offloadd_map_entries 'map="flows"'; }
edge_conns() { metric offloadd_connections_total 'target="edge1"'; }
drops() { metric offloadd_kernel_drops_total 'reason="flow_full"'; }
# at_least / at_most VALUE BOUND: a number, and within the bound.
at_least() { [ -n "$1" ] && [ "${1%.*}" -ge "$2" ]; }
at_most() { [ -n "$1" ] && [ "${1%.*}" -le "$2" ]; }
# until_ok SECONDS CMD...: polls CMD every 100 ms until it succeeds.
until_ok() {
	local n=$(($1 * 10)); shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
CTL=("$BUILD/offloadctl" -s "$tmp/ctl.sock")
# in_gov OUT CMD...: CMD in the workload's cgroup, in the background, its
# output to OUT; BG is its own pid (a function's would be a subshell's).
in_gov() {
	local out=$1; shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$gov" "$@" >"$out" 2>&1 &
	BG=$!
	on_exit "kill $BG"
}
# fill HOLD_MS: 300 connections from the workload, held HOLD_MS or until
# SIGTERM to $FILL; returns once they are open.
fill() {
	in_gov "$tmp/fill" nsenter --net="/var/run/netns/$NS_flwedge" \
		"$TOOLS/flowfill" -n 300 -H "$1" 127.1.0.1 22500
	FILL=$BG
	until_ok 10 grep -q '^connected 300' "$tmp/fill"
}

agent_start "$tmp/agent.log" "$tmp/offloadd.conf" --keep-pinned

# 1. Full: 300 open connections, 256 entries.
fill 20000
until_ok 3 eval 'at_least "$(drops)" 44'
full=$(entries); dropped=$(drops)
diag "full: $full entries, $dropped drops; filler: $(head -n 1 "$tmp/fill")"
check "${T[0]}" eval 'at_least "$full" 254 && at_least "$dropped" 44'

# 2. And back: the filler closes while a client calls the service.
in_gov "$tmp/client" "$TOOLS/reqcli" -n 100000 -i 50 10.222.9.9 22300
client=$BG
sleep 0.5
kill -TERM "$FILL"
measured() { srtt=$(metric offloadd_srtt_seconds 'target="edge1"'); at_least "$(edge_conns)" 1 && [ -n "$srtt" ]; }
until_ok 5 measured
diag "after: edge1 connections $(edge_conns), srtt ${srtt:-none} s; $(grep -c '^answer edge' "$tmp/client") answers"
# The link's 10 ms is a floor; a shared CPU's scheduling only adds to it.
check "${T[1]}" awk -v s="${srtt:-0}" 'BEGIN { exit !(s >= 0.008 && s <= 0.06) }'
# Under 7/8 full within a tick or two (aged under pressure), the rest
# within flow_idle.
until_ok 8 eval 'at_most "$(entries)" 8'
st=$("${CTL[@]}" -j status)
diag "$(echo "$st" | jq -c '{flows, flows_capacity, flows_aged, ticks, late_ticks, tick_us_max}')"
check "${T[2]}" sh -c "echo '$st' | jq -e '.flows <= 8 and .flows_aged >= 250' >/dev/null"
check "${T[3]}" sh -c "echo '$st' | jq -e '.late_ticks == 0 and .tick_us_max < 100000' >/dev/null"
stop_pid "$client"
sleep 0.5	# its last calls counted

# 3. Ten calls through the VIP, twenty straight to another port of the peer.
before=$(edge_conns)
cg_exec "$gov" "$TOOLS/reqcli" -q -n 20 10.222.1.2 22301 >/dev/null 2>&1
cg_exec "$gov" "$TOOLS/reqcli" -q -n 10 10.222.9.9 22300 >/dev/null 2>&1
until_ok 3 eval 'at_least "$(( $(edge_conns) - before ))" 10'
sleep 0.5	# two more ticks: anything else counted would show
after=$(edge_conns)
diag "edge1 connections: $before before, $after after"
check "${T[4]}" test "$((after - before))" = 10

# 4. Full again; the agent stopped (pins kept) and the filler closed meanwhile.
fill 60000
until_ok 3 eval 'at_least "$(entries)" 250'
stop_pid "$AGENT"
kill -TERM "$FILL"
sleep 0.3
old=$(bpftool -j map dump pinned "$PIN/flows" | jq length)
agent_start "$tmp/agent2.log" "$tmp/offloadd.conf" --keep-pinned
aged() { st=$("${CTL[@]}" -j status) && echo "$st" | jq -e '.ticks >= 2 and .flows <= 8' >/dev/null; }
until_ok 8 aged
diag "adopted $old pinned flows; now $(echo "$st" | jq -c '{adopted, flows, flows_aged}')"
check "${T[5]}" sh -c "[ '$old' -ge 250 ] && echo '$st' | jq -e '.adopted and .flows <= 8 and .flows_aged >= 250' >/dev/null"

# 5. max_flows 256 -> 512 and max_tasks 4096 -> 8192 across a restart: those
# two maps alone are renewed.
stop_pid "$AGENT"
sed -i 's/^max_flows = 256$/max_flows = 512/; s/^max_tasks = 4096$/max_tasks = 8192/' "$tmp/offloadd.conf"
agent_start "$tmp/agent3.log" "$tmp/offloadd.conf"
st=$("${CTL[@]}" -j status)
diag "$(grep flows "$tmp/agent3.log" | head -n 1); $(echo "$st" | jq -c '{adopted, flows_capacity}')"
check "${T[6]}" sh -c "grep -q 'flows: pinned with another size or layout; made afresh' '$tmp/agent3.log' &&
	grep -q 'tasks: pinned with another size or layout; made afresh' '$tmp/agent3.log' &&
	echo '$st' | jq -e '.adopted and .flows_capacity == 512' >/dev/null"
