#!/usr/bin/env bash
# Scale: 1,000 governed cgroups holding 10,000 tasks, with a tasks map far
# smaller than that. Ticks stay on time, every workload gets a decision, the
# maps keep their configured sizes, and what did not fit is counted and
# exported.
. "$(dirname "$0")/lib.sh"

T=("scale: 1,000 workloads governed, each decided" "scale: ticks stay on time"
   "scale: the maps keep their configured sizes" "scale: tasks that did not fit are counted and exported")
need_root "${T[@]}"
WL=1000 TASKS_PER=10 MAX_TASKS=4096 TICK_MS=200
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make root scale
mkdir "$root"/w{1..1000} || exit 1
ip route add unreachable 10.247.9.9/32 && on_exit "ip route del unreachable 10.247.9.9/32"
{
	cat <<CONF
[agent]
tick = ${TICK_MS}ms
max_workloads = $WL
max_tasks = $MAX_TASKS
model = $TOP/models/default.omdl
metrics_listen = 127.0.0.1:19478
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
[peer edge1]
address = 10.247.1.1
kind = edge
status_port = 0
capacity = 4
[service api]
vip = 10.247.9.9:7557
protocol = tcp
local = 127.0.0.1:7557
CONF
	for i in $(seq $WL); do printf '[workload w%d]\ncgroup = %s/w%d\nservices = api\n' "$i" "$root" "$i"; done
} >"$tmp/offloadd.conf"

# One process per cgroup, ten tasks each, all waking once a second.
"$TOOLS/tasks" "$root" w $WL $WL $TASKS_PER 1000 >"$tmp/tasks" &
on_exit "kill $!"
for _ in $(seq 300); do grep -q ready "$tmp/tasks" && break; sleep 0.1; done
diag "$(cat "$tmp/tasks") tasks after $SECONDS s"
AGENT_WAIT=1200 agent_start "$tmp/agent.log" "$tmp/offloadd.conf" || exit 1
diag "governing after $SECONDS s"
ctl() { "$BUILD/offloadctl" -s "$tmp/ctl.sock" -j "$@"; }
sleep 2
# 10 s at 200 ms is 50 ticks: none late, none lost, and the slowest well inside one.
ticks_over "$tmp/ctl.sock" 10 $TICK_MS
on_time=$?

# Decided for real: a choice starts as "local" with no reason and no
# scores, so each needs the policy's reason, a score per candidate, and the
# kernel's decisions entry (index i + 1) holding the target it enforces.
ctl workloads >"$tmp/workloads.json"
bpftool -j map dump pinned "$PIN/decisions" >"$tmp/decisions.json"
decided=$(jq -n --slurpfile w "$tmp/workloads.json" --slurpfile m "$tmp/decisions.json" '
	($m[0] | map({key: (.formatted.key | tostring), value: .formatted.value.tidx}) | from_entries) as $tidx |
	{local: 0, edge1: 1} as $index |
	[$w[0].workloads | to_entries[] | .key as $i | .value |
	 select((.why | length) > 0 and (.q | length) == 2 and .target == .enforced and
		$tidx[$i + 1 | tostring] == $index[.enforced])] | length')
diag "$decided workloads decided; $(jq -c '.workloads[0] | {target, why}' "$tmp/workloads.json")"
check "scale: 1,000 workloads governed, each decided" test "$decided" = $WL
check "scale: ticks stay on time" test "$on_time" = 0

maxent() { bpftool -j map show pinned "$PIN/$1" | jq .max_entries; }
# Distinct keys: a dump walks a map that tasks churn meanwhile, and can meet
# an entry twice (seen: 4097 of 4096).
ntasks=$(bpftool -j map dump pinned "$PIN/tasks" | jq 'map(.key | tostring) | unique | length')
diag "tasks map: $ntasks of $(maxent tasks); wl_stats $(maxent wl_stats), governed $(maxent governed)"
check "scale: the maps keep their configured sizes" sh -c "[ $(maxent tasks) = $MAX_TASKS ] &&
	[ $ntasks -le $MAX_TASKS ] && [ $ntasks -ge $((MAX_TASKS * 9 / 10)) ] &&
	[ $(maxent governed) -ge $WL ] && [ $(maxent wl_stats) -ge $((WL + 1)) ]"

curl -sf http://127.0.0.1:19478/metrics >"$tmp/metrics"
diag "$(grep -E '^offloadd_(kernel_drops_total\{reason="task_full"\}|map_capacity|map_entries)' "$tmp/metrics" | tr '\n' ' ')"
check "scale: tasks that did not fit are counted and exported" sh -c "
	grep -q '^offloadd_map_capacity{map=\"tasks\"} $MAX_TASKS\$' $tmp/metrics &&
	grep -q '^offloadd_map_entries{map=\"workloads\"} $WL\$' $tmp/metrics &&
	awk '/^offloadd_kernel_drops_total\\{reason=\"task_full\"\\}/ { exit !(\$2 > 0) }' $tmp/metrics"
