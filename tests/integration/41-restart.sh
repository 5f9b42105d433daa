#!/usr/bin/env bash
# A restart with --keep-pinned: the new agent adopts the same maps and cgroup
# links, and a client connecting all the while never misses its target.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

need_root "restart adopts the pinned maps" "links switched to the new programs" \
	"no connection misses its target" \
	"a dropped workload is detached on adoption" "clean exit removes the pins" \
	"clean exit detaches every program from the cgroup"

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov keep
cg_make other dropped
ip route add unreachable 10.233.9.9/32 && on_exit "ip route del unreachable 10.233.9.9/32"
ns_make edge
veth_link "$NS_edge" 10.233.1.1 10.233.1.2
ns_bg "$NS_edge" "$TOOLS/reqsrv" -i edge 10.233.1.2 7200
"$TOOLS/reqsrv" -i local 127.0.0.1 7200 >/dev/null & on_exit "kill $!"

conf() {
	cat <<CONF
[agent]
metrics_listen = off
tick = 100ms
lease = 50
pin_dir = $PIN
[peer edge1]
address = 10.233.1.2
kind = edge
status_port = 0
[service api]
vip = 10.233.9.9:7200
protocol = tcp
local = 127.0.0.1:7200
[workload keep]
cgroup = $gov
services = api
policy = static:edge1
CONF
}
conf >"$tmp/one.conf"
{ conf; printf '[workload dropped]\ncgroup = %s\nservices = api\npolicy = static:edge1\n' "$other"; } >"$tmp/two.conf"

start() { agent_start "$tmp/agent.log" "$@"; agent=$AGENT; }

# connect4 KEY CG: the connect4 program attached to CG, its KEY (id or name).
connect4() { bpftool -j cgroup show "$2" | jq -r ".[] | select(.attach_type == \"cgroup_inet4_connect\") | .$1"; }
# holds PID PROG_ID: PID has the program open (fdinfo; bpftool 7.1 shows no pids).
holds() { grep -qx "prog_id:[[:space:]]*$2" /proc/"$1"/fdinfo/* 2>/dev/null; }

start "$tmp/two.conf" --keep-pinned
ids_before=$(bpftool map show pinned "$PIN/decisions" -j | jq .id)
old_prog=$(connect4 id "$gov")
other_progs=$(bpftool cgroup show "$other" | wc -l)	# attached while governed
cg_exec "$gov" "$TOOLS/reqcli" -n 40 -i 25 10.233.9.9 7200 >"$tmp/during" 2>&1 &
client=$!
sleep 0.3
stop_pid "$agent"
start "$tmp/one.conf"	# restarted without the second workload
wait "$client"

check "restart adopts the pinned maps" sh -c \
	"grep -q 'adopted the pinned state' '$tmp/agent.log' &&
	 [ \"\$(bpftool map show pinned '$PIN/decisions' -j | jq .id)\" = '$ids_before' ]"
# The cgroup's link now runs the new agent's program; the old one, referenced
# by nothing, is gone. Only this test's cgroup is looked at, not the host.
new_prog=$(connect4 id "$gov")
diag "connect4 on the cgroup: program $old_prog, then ${new_prog:-none} ($(connect4 name "$gov"))"
switched() {
	[ -n "$new_prog" ] && [ "$new_prog" != "$old_prog" ] && [ "$(echo "$new_prog" | wc -w)" = 1 ] &&
		! bpftool prog show id "$old_prog" >/dev/null 2>&1 && holds "$agent" "$new_prog"
}
check "links switched to the new programs" switched
diag "$(tail -n 1 "$tmp/during")"
check "no connection misses its target" test "$(grep -c '^answer edge ' "$tmp/during")" = 40
# Detached means the kernel runs nothing of ours on its cgroup, whatever is pinned.
check "a dropped workload is detached on adoption" \
	test "$other_progs" -gt 0 -a -z "$(bpftool cgroup show "$other")"
stop_pid "$agent"
check "clean exit removes the pins" test ! -e "$PIN"
# The links hold no fd of the agent's: their pins alone keep them, so
# removing the pins must detach them.
check "clean exit detaches every program from the cgroup" test -z "$(bpftool cgroup show "$gov")"
