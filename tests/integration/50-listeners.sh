#!/usr/bin/env bash
# Hostile clients: 200 connections that send half a request and hold it
# open. The agent keeps ticking and serving ctl; past the cap the extra ones
# are closed at once, at the deadline the slow ones are dropped, and then the
# status and metrics listeners answer again. Oversized and header-stuffed
# requests get 413 and 431.
. "$(dirname "$0")/lib.sh"

T=("the agent keeps ticking under 200 slow connections" "ctl still answers under them"
   "connections past the cap are refused and counted" "slow clients are dropped at their deadline"
   "status answers again afterwards" "an oversized request gets 413" "too many header lines get 431")
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

# 200 half requests, alternating status and metrics; each connect bounded
# (a shell's /dev/tcp is not), all held until slowcli is stopped.
"$TOOLS/slowcli" 200 2000 127.0.0.1 19400 19477 >"$tmp/slow" 2>&1 &
slow=$!; on_exit "kill -9 $slow"
for _ in $(seq 100); do grep -q '^open' "$tmp/slow" && break; sleep 0.1; done
diag "$(grep '^open' "$tmp/slow" || echo 'none') slow connections"
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
stop_pid "$slow"
check "status answers again afterwards" sh -c "curl -sf -m 2 http://127.0.0.1:19400/status | jq -e .node >/dev/null"
big=$(head -c 5000 /dev/zero | tr '\0' a)
check "an oversized request gets 413" sh -c "[ \"\$(curl -s -m 2 -o /dev/null -w '%{http_code}' -H 'X-Big: $big' http://127.0.0.1:19400/status)\" = 413 ]"
hdrs=(); for i in $(seq 70); do hdrs+=(-H "X-$i: 1"); done
check "too many header lines get 431" sh -c "[ \"\$(curl -s -m 2 -o /dev/null -w '%{http_code}' $(printf '%q ' "${hdrs[@]}") http://127.0.0.1:19400/status)\" = 431 ]"
