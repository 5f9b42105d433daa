#!/usr/bin/env bash
# A restart with --keep-pinned: the new agent adopts the same maps and cgroup
# links, and a client connecting all the while never misses its target.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

need_root "restart adopts the pinned maps" "links switched to the new programs" \
	"no connection misses its target" \
	"a dropped workload is detached on adoption" "clean exit removes the pins"

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
on_exit "rm -rf /sys/fs/bpf/offloadd"
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

start "$tmp/two.conf" --keep-pinned
ids_before=$(bpftool map show pinned /sys/fs/bpf/offloadd/decisions -j | jq .id)
cg_exec "$gov" "$TOOLS/reqcli" -n 40 -i 25 10.233.9.9 7200 >"$tmp/during" 2>&1 &
client=$!
sleep 0.3
kill -TERM "$agent"; wait "$agent"
start "$tmp/one.conf"	# restarted without the second workload
wait "$client"

check "restart adopts the pinned maps" sh -c \
	"grep -q 'adopted the pinned state' '$tmp/agent.log' &&
	 [ \"\$(bpftool map show pinned /sys/fs/bpf/offloadd/decisions -j | jq .id)\" = '$ids_before' ]"
# The links now run the new programs: the old ones, referenced by nothing, are gone.
check "links switched to the new programs" test \
	"$(bpftool prog show -j | jq '[.[] | select(.name == "redir_connect4")] | length')" = 1
diag "$(tail -n 1 "$tmp/during")"
check "no connection misses its target" test "$(grep -c '^answer edge ' "$tmp/during")" = 40
check "a dropped workload is detached on adoption" sh -c \
	"! ls /sys/fs/bpf/offloadd | grep -q '_$(stat -c %i "$other")\$'"
kill -TERM "$agent"; wait "$agent"
check "clean exit removes the pins" test ! -e /sys/fs/bpf/offloadd
