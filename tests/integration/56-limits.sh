#!/usr/bin/env bash
# File descriptors: 12 workloads under a soft limit of 64 (the agent raises
# it to the hard limit; 72-fd-default governs 2,000 under systemd's); at its fd limit a failed accept waits for the next
# tick instead of spinning, and a probe that cannot open its socket counts
# as a failed probe, so the peer goes down rather than staying up on stale
# status.
. "$(dirname "$0")/lib.sh"

T=("12 workloads start under a soft fd limit of 64, raised to the hard one"
   "at the fd limit, failed accepts do not spin"
   "at the fd limit, probes that cannot open a socket take the peer down"
   "below the limit again, the listener serves")
need_root "${T[@]}"
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
pins_make pins fd
"$TOOLS/fakepeer" 127.0.0.1 19640 >"$tmp/peer.out" & on_exit "kill $!"
for _ in $(seq 50); do grep -q ready "$tmp/peer.out" && break; sleep 0.1; done

{
	printf '[agent]\ntick = 100ms\nstatus_listen = 127.0.0.1:19600\nmetrics_listen = 127.0.0.1:19677\n'
	printf 'ctl_socket = %s\npin_dir = %s\npeer_down_after = 3\nprobe_timeout = 50ms\n' "$tmp/ctl.sock" "$pins"
	printf '[peer edge1]\naddress = 127.0.0.1\nkind = edge\nstatus_port = 19640\n'
	printf '[service api]\nvip = 10.243.56.9:7300\nprotocol = tcp\nlocal = 127.0.0.1:7300\n'
	for i in $(seq 12); do
		cg_make cg "fd$i"
		printf '[workload w%d]\ncgroup = %s\nservices = api\npolicy = static:local\n' "$i" "$cg"
	done
} >"$tmp/offloadd.conf"

(ulimit -Sn 64 && exec "$OFFLOADD" run --config "$tmp/offloadd.conf") 2>"$tmp/agent.log" &
AGENT=$!; on_exit "kill -9 $AGENT"
for _ in $(seq 50); do grep -q governing "$tmp/agent.log" && break; sleep 0.1; done
fds=$(ls /proc/$AGENT/fd 2>/dev/null | wc -l)
lim=$(awk '/^Max open files/ { print $4, $5 }' /proc/$AGENT/limits)
diag "$fds fds open, limit (soft hard) $lim; $(grep -m1 -E 'governing|Too many' "$tmp/agent.log")"
check "12 workloads start under a soft fd limit of 64, raised to the hard one" \
	sh -c "grep -q 'governing 12 workloads' '$tmp/agent.log' && [ \"\$(echo $lim | cut -d' ' -f1)\" = \"\$(echo $lim | cut -d' ' -f2)\" ]"

cpu() { awk '{ print $14 + $15 }' /proc/$AGENT/stat; }
fds=$(ls /proc/$AGENT/fd | wc -l)
prlimit --pid "$AGENT" --nofile=$fds:	# the soft limit: raising a hard one needs CAP_SYS_RESOURCE
"$TOOLS/burst" -n 16 -k 4 -H 3 127.0.0.1 19600 >/dev/null &
c0=$(cpu); sleep 3; c1=$(cpu)
hz=$(getconf CLK_TCK)
diag "at the limit ($fds fds): $((c1 - c0)) of $((3 * hz)) clock ticks of CPU in 3 s"
check "at the fd limit, failed accepts do not spin" test $((c1 - c0)) -le $((3 * hz / 10))
check "at the fd limit, probes that cannot open a socket take the peer down" \
	grep -q 'peer edge1 is down after 3 failed probes: cannot open a probe socket' "$tmp/agent.log"
hard=$(prlimit --pid "$AGENT" --nofile --raw --noheadings | awk "{ print \$3 }")
prlimit --pid "$AGENT" --nofile=$hard:
sleep 0.3
check "below the limit again, the listener serves" sh -c "
	curl -sf -m 2 http://127.0.0.1:19600/status | jq -e .node >/dev/null &&
	curl -sf -m 2 http://127.0.0.1:19677/metrics | grep -q '^offloadd_listener_accept_errors_total{listener=\"status\"} [1-9]'"
