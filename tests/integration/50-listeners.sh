#!/usr/bin/env bash
# Hostile clients: 200 connections that send half a request and hold it
# open. The agent keeps ticking and serving ctl; past the cap the extra ones
# are closed at once, at the deadline the slow ones are dropped, and then the
# status and metrics listeners answer again. Oversized and header-stuffed
# requests get 413 and 431. Bursts of 240 connections whose requests arrive
# while the agent is stopped (SIGSTOP), so that all their reads complete at
# once: the agent survives and ticks on time. One source holding 100 slow
# connections gets 8; another is still served. 180 scrapers of /metrics cost
# at most one rendering per tick.
. "$(dirname "$0")/lib.sh"

T=("the agent keeps ticking under 200 slow connections" "ctl still answers under them"
   "connections past the cap are refused and counted" "slow clients are dropped at their deadline"
   "status answers again afterwards" "an oversized request gets 413" "too many header lines get 431"
   "bursts of 240 connections during a stall: the agent survives"
   "after the bursts it ticks on time and answers"
   "one source flooding /status cannot keep another from being served"
   "/metrics is rendered at most once per tick for 180 scrapes")
need_root "${T[@]}"
command -v curl >/dev/null || { for t in "${T[@]}"; do skip "$t" "no curl"; done; exit 0; }
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cat >"$tmp/offloadd.conf" <<CONF
[agent]
tick = 100ms
status_listen = 127.0.0.1:19400
metrics_listen = 127.0.0.1:19477
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
[service api]
vip = 10.243.9.9:7300
protocol = tcp
local = 127.0.0.1:7300
CONF
agent_start "$tmp/agent.log" "$tmp/offloadd.conf"
CTL=("$BUILD/offloadctl" -s "$tmp/ctl.sock")
ticks() { "${CTL[@]}" -j status | jq .ticks; }

# 200 half requests held open for 5 s, from 25 addresses (8 per address).
"$TOOLS/burst" -n 200 -k 25 -H 5 -P 19477 127.0.0.1 19400 >"$tmp/slow" &
slow=$!; on_exit "kill -9 $slow"
sleep 0.5
t0=$(ticks); sleep 1; t1=$(ticks)
check "the agent keeps ticking under 200 slow connections" test "$((t1 - t0))" -ge 7
check "ctl still answers under them" "${CTL[@]}" status
sleep 3	# past the deadline
m=$(curl -sf -m 2 http://127.0.0.1:19477/metrics)
refused=$(echo "$m" | awk '/^offloadd_listener_refused_total/ { s += $2 } END { print s + 0 }')
timed=$(echo "$m" | awk '/^offloadd_listener_timed_out_total/ { s += $2 } END { print s + 0 }')
diag "refused $refused, timed out $timed"
check "connections past the cap are refused and counted" test "$refused" -ge 70
check "slow clients are dropped at their deadline" test "$timed" -ge 100
# burst holds them 5 s, then reports; bounded all the same.
for _ in $(seq 100); do kill -0 "$slow" 2>/dev/null || break; sleep 0.1; done
stop_pid "$slow"; diag "slow: $(cat "$tmp/slow")"
check "status answers again afterwards" sh -c "curl -sf -m 2 http://127.0.0.1:19400/status | jq -e .node >/dev/null"
big=$(head -c 5000 /dev/zero | tr '\0' a)
check "an oversized request gets 413" sh -c "[ \"\$(curl -s -m 2 -o /dev/null -w '%{http_code}' -H 'X-Big: $big' http://127.0.0.1:19400/status)\" = 413 ]"
hdrs=(); for i in $(seq 70); do hdrs+=(-H "X-$i: 1"); done
check "too many header lines get 431" sh -c "[ \"\$(curl -s -m 2 -o /dev/null -w '%{http_code}' $(printf '%q ' "${hdrs[@]}") http://127.0.0.1:19400/status)\" = 431 ]"

for round in 1 2 3; do
	# Connected now (the agent arms a read on each), requests sent at 0.5 s
	# while the agent is stopped: their reads all complete at once.
	"$TOOLS/burst" -n 240 -k 30 -t 8 -d 500 -P 19477 127.0.0.1 19400 >"$tmp/burst$round" &
	b=$!
	sleep 0.3; kill -STOP "$AGENT"; sleep 0.4; kill -CONT "$AGENT"
	wait "$b"
	diag "round $round: $(cat "$tmp/burst$round")"
done
check "bursts of 240 connections during a stall: the agent survives" kill -0 "$AGENT"
t0=$(ticks); sleep 1; t1=$(ticks)
diag "$((t1 - t0)) ticks in 1 s after the bursts"
check "after the bursts it ticks on time and answers" sh -c "[ $((t1 - t0)) -ge 8 ] &&
	curl -sf -m 2 http://127.0.0.1:19400/status | jq -e .node >/dev/null"

"$TOOLS/burst" -n 100 -k 1 -H 3 127.0.0.1 19400 >"$tmp/flood" &
flood=$!
sleep 0.5
curl -sf -m 2 --interface 127.0.0.99 http://127.0.0.1:19400/status >"$tmp/other"
rc=$?
wait "$flood"
src=$(curl -sf -m 2 http://127.0.0.1:19477/metrics | awk '/^offloadd_listener_refused_source_total{listener="status"}/ { print $2 }')
diag "flood: $(cat "$tmp/flood"); another source: curl exit $rc; refused for their source: $src"
check "one source flooding /status cannot keep another from being served" sh -c "
	[ $rc = 0 ] && jq -e .node '$tmp/other' >/dev/null && [ '${src:-0}' -ge 90 ]"

renders() { curl -sf -m 2 http://127.0.0.1:19477/metrics | awk '/^offloadd_metrics_renders_total/ { print $2 }'; }
r0=$(renders); t0=$(ticks); sleep 0.2	# a tick later: one rendering due
for _ in 1 2 3; do "$TOOLS/burst" -n 60 -k 10 -p /metrics 127.0.0.1 19477 >>"$tmp/scrapes"; done
r1=$(renders); t1=$(ticks)
diag "$(jq -s 'map(.answered) | add' "$tmp/scrapes") scrapes answered, $((r1 - r0)) renderings in $((t1 - t0)) ticks"
check "/metrics is rendered at most once per tick for 180 scrapes" sh -c "
	[ \$(jq -s 'map(.answered) | add' '$tmp/scrapes') = 180 ] && [ -n '$r1' ] &&
	[ $((r1 - r0)) -ge 1 ] && [ $((r1 - r0)) -le $((t1 - t0 + 1)) ]"
