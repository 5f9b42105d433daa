#!/usr/bin/env bash
# 2,000 workloads under the open-file limit systemd gives a service by
# default (soft 1024; hard 524288, or what this host allows). A workload's
# links live on through their pins and hold no fd (a dozen each ran 1024
# out near 80 workloads), so all are governed and ticks stay on time.
. "$(dirname "$0")/lib.sh"

T=("2,000 workloads governed under a soft fd limit of 1024" "2,000 workloads: ticks stay on time")
need_root "${T[@]}"
WL=2000 TICK_MS=500
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make root fdwl
mkdir "$root"/w{1..2000} || exit 1
pins_make pins fdwl
{
	printf '[agent]\ntick = %dms\nmax_workloads = %d\nmax_tasks = 4096\nmodel = %s\n' $TICK_MS $WL "$TOP/models/default.omdl"
	printf 'ctl_socket = %s\npin_dir = %s\n' "$tmp/ctl.sock" "$pins"
	printf '[peer edge1]\naddress = 10.247.72.1\nkind = edge\nstatus_port = 0\ncapacity = 4\n'
	printf '[service api]\nvip = 10.247.72.9:7272\nprotocol = tcp\nlocal = 127.0.0.1:7272\n'
	for i in $(seq $WL); do printf '[workload w%d]\ncgroup = %s/w%d\nservices = api\n' "$i" "$root" "$i"; done
} >"$tmp/offloadd.conf"

hard=$(ulimit -Hn); [ "$hard" = unlimited ] || [ "$hard" -gt 524288 ] && hard=524288
prlimit --nofile=1024:"$hard" "$OFFLOADD" run --config "$tmp/offloadd.conf" 2>"$tmp/agent.log" &
AGENT=$!; on_exit "kill -9 $AGENT"
for _ in $(seq 1200); do
	grep -q governing "$tmp/agent.log" && break
	kill -0 $AGENT 2>/dev/null || break
	sleep 0.1
done
fds=$(ls /proc/$AGENT/fd 2>/dev/null | wc -l)
diag "$fds fds open after $SECONDS s; $(grep -m1 -E 'governing|Too many|cannot' "$tmp/agent.log")"
grep -q governing "$tmp/agent.log" || tail -n 5 "$tmp/agent.log" >&2
check "2,000 workloads governed under a soft fd limit of 1024" \
	sh -c "grep -q 'governing $WL workloads' '$tmp/agent.log' && [ $fds -lt 1024 ]"

sleep 1
# 5 s at 500 ms is 10 ticks: none late, the slowest inside half a tick.
check "2,000 workloads: ticks stay on time" ticks_over "$tmp/ctl.sock" 5 $TICK_MS
