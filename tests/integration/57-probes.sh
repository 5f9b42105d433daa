#!/usr/bin/env bash
# Probes and broken pipes: a peer that trickles its status one byte every
# 400 ms (each step within the probe timeout) goes down, since a whole probe
# must end within a tick; an experience log that is a pipe whose reader goes
# away costs counted write errors, not the agent (SIGPIPE).
. "$(dirname "$0")/lib.sh"

T=("a peer trickling its status goes down within peer_down_after ticks"
   "a pipe's reader going away does not kill the agent")
need_root "${T[@]}"
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
pins_make pins pr
"$TOOLS/fakepeer" -t 400 127.0.0.1 19740 >"$tmp/peer.out" & on_exit "kill $!"
for _ in $(seq 50); do grep -q ready "$tmp/peer.out" && break; sleep 0.1; done
conf() {
	printf '[agent]\ntick = 100ms\nmetrics_listen = off\nctl_socket = %s\npin_dir = %s\n' "$tmp/ctl.sock" "$pins"
	printf 'peer_down_after = 3\nprobe_timeout = 500ms\nmodel = %s\n%s\n' "$TOP/models/default.omdl" "$1"
	printf '[peer edge1]\naddress = 127.0.0.1\nkind = edge\nstatus_port = 19740\n'
	printf '[service api]\nvip = 10.243.57.9:7300\nprotocol = tcp\nlocal = 127.0.0.1:19757\n'
}

conf "" >"$tmp/trickle.conf"
agent_start "$tmp/trickle.log" "$tmp/trickle.conf"
for _ in $(seq 30); do grep -q 'peer edge1 is down' "$tmp/trickle.log" && break; sleep 0.1; done
diag "$(grep 'peer edge1' "$tmp/trickle.log" | head -n 1)"
check "a peer trickling its status goes down within peer_down_after ticks" \
	grep -q 'peer edge1 is down after 3 failed probes: timed out' "$tmp/trickle.log"
kill "$AGENT"; wait "$AGENT" 2>/dev/null

# The experience log is a FIFO; its reader leaves while lines are written.
cg_make gov probes
mkfifo "$tmp/fifo"
cat "$tmp/fifo" >/dev/null &
reader=$!
# Rewards, hence lines, come from a peer's connections: one on 127.0.0.2.
{
	conf "experience_log = $tmp/fifo"
	printf '[peer edge2]\naddress = 127.0.0.2\nkind = edge\nstatus_port = 0\n'
	printf '[workload app]\ncgroup = %s\nservices = api\npolicy = static:edge2\n' "$gov"
} >"$tmp/pipe.conf"
"$TOOLS/reqsrv" -i edge 127.0.0.2 7300 >/dev/null & on_exit "kill $!"
agent_start "$tmp/pipe.log" "$tmp/pipe.conf"
cg_exec "$gov" "$TOOLS/reqcli" -n 300 -i 10 10.243.57.9 7300 >/dev/null 2>&1 &
client=$!
lines() { "$BUILD/offloadctl" -s "$tmp/ctl.sock" -j status | jq .experience_lines; }
for _ in $(seq 30); do [ "$(lines)" -ge 3 ] && break; sleep 0.1; done
kill "$reader"
wait "$client"
diag "$(lines) lines; $(grep 'experience log' "$tmp/pipe.log" | head -n 2 | tr '\n' ' ')"
check "a pipe's reader going away does not kill the agent" sh -c "
	kill -0 $AGENT && '$BUILD/offloadctl' -s '$tmp/ctl.sock' -j status | jq -e '.experience_write_errors >= 1' >/dev/null"
