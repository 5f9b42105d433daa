#!/usr/bin/env bash
# offloadd check: a good configuration passes and lists what would be
# governed; a bad key, a missing cgroup and a corrupt model each fail with
# the line that names them, all of them in one run; the BPF programs are
# loaded and verified, yet nothing is attached to the cgroup nor pinned;
# a stopped agent's pins are loaded against, as a restart adopts them, and
# left as they were, and map sizes they cannot take are a problem.
. "$(dirname "$0")/lib.sh"

T=("a good configuration exits 0 and lists workloads, services and peers"
   "check passes beside the running agent"
   "an unknown key exits 1 naming file and line" "a missing cgroup exits 1 naming file and line"
   "a corrupt model exits 1 naming the line that references it"
   "every problem is reported in one run" "check attaches and pins nothing"
   "a stopped agent's pins pass and are left as they were"
   "map sizes the pinned state cannot take exit 1"
   "a missing configuration file exits 1")
need_root "${T[@]}"

PIN=${PIN:-/sys/fs/bpf/offload-test-$$}
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov check
cp "$TOP/models/default.omdl" "$tmp/m.omdl"

# conf CGROUP-OF-b: two workloads, one on the [agent] model, one static.
conf() {
	cat <<CONF
[agent]
metrics_listen = off
model = $tmp/m.omdl
ctl_socket = $tmp/ctl.sock
pin_dir = $PIN
[peer edge1]
address = 10.243.1.2
kind = edge
[service api]
vip = 10.243.9.9:7300
protocol = tcp
local = 127.0.0.1:7300
[workload app]
cgroup = $gov
services = api
[workload b]
cgroup = $1
services = api
policy = static:edge1
CONF
}
# run_check NAME CONF: check's exit status in RC, its output in $tmp/NAME.out.
run_check() {
	timeout 60 "$OFFLOADD" check --config "$2" >"$tmp/$1.out" 2>&1
	RC=$?
	diag "$1: exit $RC: $(tail -n 1 "$tmp/$1.out")"
}

mkdir "$gov/b"
conf "$gov/b" >"$tmp/good.conf"
before=$(bpftool -j cgroup show "$gov")
run_check good "$tmp/good.conf"
after=$(bpftool -j cgroup show "$gov")
check "a good configuration exits 0 and lists workloads, services and peers" sh -c "[ $RC = 0 ] &&
	grep -qx 'workload app: cgroup $gov, services api, policy dqn, model $tmp/m.omdl' '$tmp/good.out' &&
	grep -qx 'workload b: cgroup $gov/b, services api, policy static:edge1' '$tmp/good.out' &&
	grep -qx 'service api: tcp vip 10.243.9.9:7300, local 127.0.0.1:7300' '$tmp/good.out' &&
	grep -qx 'peer edge1: edge 10.243.1.2, status port 7400' '$tmp/good.out' &&
	grep -q 'ok: 2 workloads, 1 services, 1 peers, 1 models; the BPF programs load' '$tmp/good.out'"
check "check attaches and pins nothing" sh -c "[ '$before' = '$after' ] && [ ! -e '$PIN' ]"

# A stopped --keep-pinned agent's state: what the next start would adopt.
on_exit "rm -rf $PIN"
agent_start "$tmp/agent.log" "$tmp/good.conf" --keep-pinned
# The unit runs check before every reload, while the agent holds its lock.
run_check live "$tmp/good.conf"
check "check passes beside the running agent" sh -c "[ $RC = 0 ] && kill -0 $AGENT"
stop_pid "$AGENT"
pins=$(ls "$PIN"); before=$(bpftool -j cgroup show "$gov")
run_check kept "$tmp/good.conf"
check "a stopped agent's pins pass and are left as they were" sh -c "[ $RC = 0 ] &&
	[ -n '$pins' ] && [ \"\$(ls '$PIN')\" = '$pins' ] && [ '$before' != '[]' ] &&
	[ \"\$(bpftool -j cgroup show '$gov')\" = '$before' ]"
conf "$gov/b" | sed 's/^metrics_listen = off$/metrics_listen = off\nmax_workloads = 512/' >"$tmp/sizes.conf"
run_check sizes "$tmp/sizes.conf"
check "map sizes the pinned state cannot take exit 1" sh -c "[ $RC = 1 ] &&
	grep -q '^$PIN: cannot adopt this pinned state' '$tmp/sizes.out' && [ \"\$(ls '$PIN')\" = '$pins' ]"
rm -rf "$PIN"

conf "$gov/b" | sed 's/^metrics_listen = off$/metrics_lisen = off/' >"$tmp/key.conf"
run_check key "$tmp/key.conf"
check "an unknown key exits 1 naming file and line" sh -c "[ $RC = 1 ] &&
	grep -qx '$tmp/key.conf:2: \[agent\] metrics_lisen: unknown key' '$tmp/key.out'"

conf "$gov/gone" >"$tmp/cg.conf"
run_check cg "$tmp/cg.conf"
check "a missing cgroup exits 1 naming file and line" sh -c "[ $RC = 1 ] &&
	grep -qx '$tmp/cg.conf:17: \[workload b\] cgroup: $gov/gone: no such cgroup (path does not exist)' '$tmp/cg.out'"

truncate -s 100 "$tmp/m.omdl"
run_check model "$tmp/good.conf"
check "a corrupt model exits 1 naming the line that references it" sh -c "[ $RC = 1 ] &&
	grep -q '^$tmp/good.conf:3: \[agent\] model: $tmp/m.omdl: truncated' '$tmp/model.out'"

run_check all "$tmp/cg.conf"
check "every problem is reported in one run" sh -c "[ $RC = 1 ] &&
	grep -q '^$tmp/cg.conf:3: \[agent\] model: ' '$tmp/all.out' &&
	grep -q '^$tmp/cg.conf:17: \[workload b\] cgroup: ' '$tmp/all.out' &&
	grep -qx 'offloadd check: $tmp/cg.conf: 2 problems' '$tmp/all.out'"

run_check none "$tmp/nonexistent.conf"
check "a missing configuration file exits 1" sh -c "[ $RC = 1 ] &&
	grep -qx '$tmp/nonexistent.conf: No such file or directory' '$tmp/none.out'"
