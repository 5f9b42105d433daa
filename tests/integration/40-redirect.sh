#!/usr/bin/env bash
# offloadd run with a static policy: a governed client's TCP and UDP traffic
# to a service VIP lands on the decided peer, from the workload's cgroup and
# from a child cgroup made later, over IPv4 and IPv6; the application still
# sees the VIP, an ungoverned process is untouched, and when the agent dies
# the lease lapses and connections fail open to the local target.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

need_root "TCP to the VIP lands on the peer" "getpeername shows the VIP" "sockets tagged with mark_base + target" \
	"UDP to the VIP lands on the peer" "recvfrom shows the VIP" \
	"a child cgroup made after start is redirected too" \
	"ungoverned process untouched" "bpftool shows the decisions map" \
	"ctl socket is 0600" "offloadctl status" "pin takes effect at the next tick" \
	"unpin returns to the policy" "offloadctl names a bad workload" \
	"offloadctl without an agent says so" \
	"bad config refused with file:line" "fail-open to local after SIGKILL" \
	"IPv6: TCP to the VIP lands on the peer" "IPv6: getpeername shows the VIP"

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov redir
# The VIP is virtual: nothing may leave this machine for it. Unrewritten
# connections to it fail here, at once.
ip route add unreachable 10.232.9.9/32 && on_exit "ip route del unreachable 10.232.9.9/32"
ip -6 route add unreachable fd00:232:9::9/128 && on_exit "ip -6 route del unreachable fd00:232:9::9/128"
ns_make edge
veth_link "$NS_edge" 10.232.1.1 10.232.1.2 fd00:232:1::1 fd00:232:1::2
ns_bg "$NS_edge" "$TOOLS/reqsrv" -i edge 10.232.1.2 7100
ns_bg "$NS_edge" "$TOOLS/reqsrv" -u -i edge-udp 10.232.1.2 7101
"$TOOLS/reqsrv" -i local 127.0.0.1 7100 >/dev/null & on_exit "kill $!"
"$TOOLS/reqsrv" -u -i local-udp 127.0.0.1 7101 >/dev/null & on_exit "kill $!"
ns_bg "$NS_edge" "$TOOLS/reqsrv" -i edge6 fd00:232:1::2 7102
"$TOOLS/reqsrv" -i local6 ::1 7102 >/dev/null & on_exit "kill $!"

cat >"$tmp/offloadd.conf" <<CONF
[agent]
metrics_listen = off
tick = 100ms
lease = 3
pin_dir = $PIN
mark_base = 0x4f00
ctl_socket = $tmp/ctl.sock

[peer edge1]
address = 10.232.1.2
kind = edge
status_port = 0

[service api]
vip = 10.232.9.9:7100
protocol = tcp
local = 127.0.0.1:7100

[service api-udp]
vip = 10.232.9.9:7101
protocol = udp
local = 127.0.0.1:7101

[workload web]
cgroup = $gov
services = api, api-udp
policy = static:edge1
CONF

agent_start "$tmp/agent.log" "$tmp/offloadd.conf"
agent=$AGENT

cg_exec "$gov" "$TOOLS/reqcli" -n 3 10.232.9.9 7100 >"$tmp/tcp" 2>&1
cg_exec "$gov" "$TOOLS/reqcli" -u -n 3 10.232.9.9 7101 >"$tmp/udp" 2>&1
diag "tcp: $(head -1 "$tmp/tcp")"
check "TCP to the VIP lands on the peer" test "$(grep -c '^answer edge ' "$tmp/tcp")" = 3
check "getpeername shows the VIP" test "$(grep -c 'peer 10.232.9.9:7100 ' "$tmp/tcp")" = 3
# The tag: SO_MARK = mark_base + the decided target's index (edge1 is 1).
check "sockets tagged with mark_base + target" test "$(grep -c 'mark 0x4f01$' "$tmp/tcp")" = 3
check "UDP to the VIP lands on the peer" test "$(grep -c '^answer edge-udp ' "$tmp/udp")" = 3
check "recvfrom shows the VIP" test "$(grep -c 'peer 10.232.9.9:7101 ' "$tmp/udp")" = 3
# A workload is its cgroup and everything below it, made before or after.
mkdir "$gov/child"
cg_exec "$gov/child" "$TOOLS/reqcli" -n 3 10.232.9.9 7100 >"$tmp/child" 2>&1
check "a child cgroup made after start is redirected too" \
	test "$(grep -c '^answer edge .* peer 10.232.9.9:7100 ' "$tmp/child")" = 3
# Outside the workload nothing rewrites the VIP, so its route refuses it.
"$TOOLS/reqcli" -t 300 -n 1 10.232.9.9 7100 >"$tmp/outside" 2>&1
check "ungoverned process untouched" grep -q '^error No route to host' "$tmp/outside"
check "bpftool shows the decisions map" sh -c \
	"bpftool map dump pinned $PIN/decisions | grep -q '\"tidx\": 1'"

# offloadctl: pins take effect at the next tick (100 ms), unpin gives back.
CTL=("$BUILD/offloadctl" -s "$tmp/ctl.sock")
check "ctl socket is 0600" test "$(stat -c %a "$tmp/ctl.sock")" = 600
check "offloadctl status" sh -c "'${CTL[0]}' -s '$tmp/ctl.sock' status | grep -q '^offloadd [0-9]'"
"${CTL[@]}" pin web local >/dev/null; sleep 0.35
cg_exec "$gov" "$TOOLS/reqcli" -n 2 10.232.9.9 7100 >"$tmp/pinned" 2>&1
pinned=$("${CTL[@]}" -j workloads | jq -r '.workloads[0] | "\(.target) \(.pinned)"')
"${CTL[@]}" unpin web >/dev/null; sleep 0.35
cg_exec "$gov" "$TOOLS/reqcli" -n 2 10.232.9.9 7100 >"$tmp/unpinned" 2>&1
check "pin takes effect at the next tick" sh -c \
	"[ \"\$(grep -c '^answer local ' '$tmp/pinned')\" = 2 ] && [ '$pinned' = 'local true' ]"
check "unpin returns to the policy" test "$(grep -c '^answer edge ' "$tmp/unpinned")" = 2
out=$("${CTL[@]}" pin nosuch local 2>&1); rc=$?
check "offloadctl names a bad workload" sh -c \
	"[ $rc = 1 ] && [ '$out' = 'offloadctl: no such workload: \"nosuch\"' ]"
check "offloadctl without an agent says so" sh -c \
	"'${CTL[0]}' -s '$tmp/none.sock' status 2>&1 | grep -q 'cannot reach offloadd at $tmp/none.sock: No such file or directory (is it running?)'"

# A broken file on SIGHUP is refused; the agent keeps enforcing.
cp "$tmp/offloadd.conf" "$tmp/good.conf"
sed -i 's/^kind = edge/kind = egde/' "$tmp/offloadd.conf"
bad_line=$(grep -n '^kind = egde' "$tmp/offloadd.conf" | cut -d: -f1)
kill -HUP "$agent"; sleep 0.3
cg_exec "$gov" "$TOOLS/reqcli" -n 1 10.232.9.9 7100 >"$tmp/after-hup" 2>&1
if grep -q "reload refused, keeping the running configuration: $tmp/offloadd.conf:$bad_line: \[peer edge1\] kind: expected edge or cloud, got \"egde\"" "$tmp/agent.log" &&
   grep -q '^answer edge ' "$tmp/after-hup"; then
	ok "bad config refused with file:line"
else
	fail "bad config refused with file:line" "$(tail -n 2 "$tmp/agent.log")"
fi

# Fail-open: the pinned programs stay, the lease (3 x 100 ms) lapses.
kill -9 "$agent"; wait "$agent" 2>/dev/null
sleep 0.6
cg_exec "$gov" "$TOOLS/reqcli" -n 3 10.232.9.9 7100 >"$tmp/open" 2>&1
check "fail-open to local after SIGKILL" test "$(grep -c '^answer local ' "$tmp/open")" = 3

# IPv6: a VIP and its peers share one address family in a config, so a
# second agent, on its own cgroup and pins, sends an IPv6 VIP to the peer.
cg_make gov6 redir6
cat >"$tmp/v6.conf" <<CONF
[agent]
metrics_listen = off
tick = 100ms
pin_dir = $PIN-v6
ctl_socket = $tmp/ctl6.sock
[peer edge6]
address = fd00:232:1::2
kind = edge
status_port = 0
[service api6]
vip = [fd00:232:9::9]:7102
protocol = tcp
local = [::1]:7102
[workload web6]
cgroup = $gov6
services = api6
policy = static:edge6
CONF
agent_start "$tmp/agent6.log" "$tmp/v6.conf"
cg_exec "$gov6" "$TOOLS/reqcli" -n 3 fd00:232:9::9 7102 >"$tmp/tcp6" 2>&1
diag "tcp6: $(head -1 "$tmp/tcp6")"
check "IPv6: TCP to the VIP lands on the peer" test "$(grep -c '^answer edge6 ' "$tmp/tcp6")" = 3
check "IPv6: getpeername shows the VIP" test "$(grep -c 'peer \[fd00:232:9::9\]:7102 ' "$tmp/tcp6")" = 3
