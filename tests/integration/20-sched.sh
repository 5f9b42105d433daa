#!/usr/bin/env bash
# Scheduler telemetry against the kernel's own accounting: cgroup cpu.stat
# and /proc/PID/schedstat; plus the governance boundary and what bpftool
# shows of the pinned maps.
. "$(dirname "$0")/lib.sh"
HOOKS=${HOOKS:-auto}	# 21-sched-raw-tp.sh runs this again with the raw_tp twins

need_root "$HOOKS picks the hooks" "cpu time matches cpu.stat" "task cpu time matches schedstat" \
	"run-queue wait matches schedstat" "histogram sums to waits" \
	"ungoverned process leaves no trace" "bpftool shows field names" \
	"clean exit unpins everything"

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov gov
cg_make other other
mkfifo "$tmp/hold"
exec 9<>"$tmp/hold"	# keeps the fifo open, so readers block until we write

# spin CG SECS [CPU]: a task in CG that burns SECS of wall time, then blocks
# (alive, not running) until the test writes to the fifo. Prints its pid.
spin() {
	local cg=$1 secs=$2 cpu=${3:-}
	local pin=${cpu:+taskset -c $cpu}
	$pin bash -c 'echo $$ > "$1/cgroup.procs"; while ((SECONDS < $2)); do :; done; read -r _ < "$3"' \
		spin "$cg" "$secs" "$tmp/hold" >/dev/null 2>&1 &
	echo $!
}

# until_sleeping PID: wait for the spin loop to end (state S).
until_sleeping() {
	local i
	for i in $(seq 200); do
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = S ] && return 0
		sleep 0.05
	done
	return 1
}

observe_start "$tmp/out" --hooks "$HOOKS" --cgroup "$gov"
# auto must pick tp_btf on a kernel with BTF tracepoints, as this one has.
want=$([ "$HOOKS" = raw_tp ] && echo raw || echo tp)
check "$HOOKS picks the ${want} hooks" test -e "$PIN/link_${want}_switch"

# 1. CPU time: one task burns ~2 s; an ungoverned one burns alongside.
p=$(spin "$gov" 2)
q=$(spin "$other" 1)
until_sleeping "$p"; until_sleeping "$q"

# 2. Run-queue wait: two CPU-bound tasks share CPU 0.
a=$(spin "$gov" 2 0); b=$(spin "$gov" 2 0)
until_sleeping "$a"; until_sleeping "$b"

bpftool map dump pinned "$PIN/wl_stats" >"$tmp/wl.dump" 2>&1
bpftool map dump pinned "$PIN/tasks" >"$tmp/tasks.dump" 2>&1
observe_stop; rc=$?
line=$(last_of "$tmp/out" "$gov")

usage_ns=$(awk '/^usage_usec/ {print $2 * 1000}' "$gov/cpu.stat")
diag "workload cpu_ns $(echo "$line" | jq .cpu_ns), cpu.stat $usage_ns"
# Both charge the tasks' sum_exec_runtime: equal but for cpu.stat's microseconds.
check "cpu time matches cpu.stat" within "$(echo "$line" | jq .cpu_ns)" "$usage_ns" 1

exec_ns=$(awk '{print $1}' "/proc/$p/schedstat")
task_ns=$(echo "$line" | jq ".tasks[] | select(.pid == $p) | .cpu_ns")
diag "task cpu_ns ${task_ns:-none}, schedstat $exec_ns"
check "task cpu time matches schedstat" within "${task_ns:-0}" "$exec_ns" 1

res=ok
for t in $a $b; do
	want=$(awk '{print $2}' "/proc/$t/schedstat")
	got=$(echo "$line" | jq ".tasks[] | select(.pid == $t) | .rq_wait_ns")
	diag "task $t rq_wait_ns ${got:-none}, schedstat $want"
	within "${got:-0}" "$want" 5 >/dev/null || res="task $t: ${got:-none} vs schedstat $want"
done
[ "$res" = ok ] && ok "run-queue wait matches schedstat" || fail "run-queue wait matches schedstat" "$res"

# Two tasks shared a CPU, so there were waits: an empty line proves nothing.
hist_sums() { echo "$line" | jq -e '.rq_waits > 0 and ([.rq_hist_us[]] | add) == .rq_waits' >/dev/null; }
check "histogram sums to waits" hist_sums

# 5. The ungoverned task burned a second of CPU, but is nowhere in the
# workload, whose task list does hold the governed one.
if [ -z "$(echo "$line" | jq ".tasks[] | select(.pid == $p)")" ]; then
	fail "ungoverned process leaves no trace" "no task list to look in: governed pid $p missing"
elif [ -n "$(echo "$line" | jq ".tasks[] | select(.pid == $q)")" ]; then
	fail "ungoverned process leaves no trace" "pid $q listed"
else
	ok "ungoverned process leaves no trace"
fi

if grep -q '"cpu_ns":' "$tmp/wl.dump" && grep -q '"rq_hist_us":' "$tmp/wl.dump" &&
   grep -q '"comm":' "$tmp/tasks.dump"; then
	ok "bpftool shows field names"
else
	fail "bpftool shows field names" "$(head -c 300 "$tmp/wl.dump")"
fi
check "clean exit unpins everything" sh -c "[ $rc = 0 ] && [ ! -e '$PIN' ]"
