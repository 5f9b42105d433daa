#!/usr/bin/env bash
# Model reload: SIGHUP with a corrupt model keeps the running one, says why
# and keeps deciding; SIGHUP with a good model switches to it; `offloadctl
# reload` reports a refusal to its caller.
. "$(dirname "$0")/lib.sh"

T=("a corrupt model is refused, naming the file" "the old model stays in force"
   "the agent keeps ticking after a refusal" "offloadctl reload reports the refusal"
   "a good model replaces the old one" "a missing model at start is a clear error"
   "dry-run decides without enforcing")
need_root "${T[@]}"

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov reload
cp "$TOP/models/default.omdl" "$tmp/m.omdl"
# A second model: the default fine-tuned on a few logged transitions.
e='{"w_lat":0.5,"w_energy":0.3,"w_cost":0.2,"lat_ref_s":0.1,"energy_ref_j":0.5,"cost_ref":0.001,"local_ghz":1,"cpu_watts":1,"tx_watts":0,"nj_per_byte":40,"switch_rtts":1}'
s='{"wl":{"cpu_cores":0.1,"rq_p50_us":50,"rq_p99_us":900,"host_util":0.4,"host_rq_p99_us":900,"req_rate":8,"up_bytes":100,"down_bytes":100,"cpu_ms":5},"cands":[{"kind":"local","current":true,"rtt_us":20,"rtt_jitter_us":0,"bw_mbps":0,"ghz":1,"cores":1,"util":0.4,"wait_us":0,"rq_p99_us":900,"cost_per_req":0}],"mask":1}'
for _ in $(seq 20); do printf '{"env":%s,"s":%s,"action":0,"reward":-0.2,"next":%s}\n' "$e" "$s" "$s"; done >"$tmp/exp.log"
"$BUILD/offload-train" fit --log "$tmp/exp.log" --init "$tmp/m.omdl" --out "$tmp/new.omdl" --steps 50 2>/dev/null

conf() {
	cat <<CONF
[agent]
metrics_listen = off
tick = 100ms
model = $1
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
[service api]
vip = 10.238.9.9:7300
protocol = tcp
local = 127.0.0.1:7300
[workload app]
cgroup = $gov
services = api
CONF
}
crc() { "$BUILD/offloadctl" -s "$tmp/ctl.sock" -j status | jq -r '.models[0].crc32'; }

conf /nonexistent/m.omdl >"$tmp/missing.conf"
# Bounded: if the refusal regresses, the agent would run on.
timeout 10 "$OFFLOADD" run --config "$tmp/missing.conf" 2>"$tmp/missing.log"
rc=$?
diag "$(cat "$tmp/missing.log")"
check "a missing model at start is a clear error" sh -c \
	"[ $rc = 1 ] && grep -q '^offloadd: /nonexistent/m.omdl: No such file or directory' '$tmp/missing.log'"

conf "$tmp/m.omdl" >"$tmp/offloadd.conf"
agent_start "$tmp/agent.log" "$tmp/offloadd.conf"
old=$(crc)
cp "$tmp/m.omdl" "$tmp/good.omdl"
printf '\xff' | dd of="$tmp/m.omdl" bs=1 seek=200 conv=notrunc 2>/dev/null
kill -HUP "$AGENT"; sleep 0.3
diag "$(grep refused "$tmp/agent.log" | tail -n 1)"
check "a corrupt model is refused, naming the file" \
	grep -q "reload refused, keeping the running configuration: $tmp/m.omdl: " "$tmp/agent.log"
check "the old model stays in force" test "$(crc)" = "$old"
t0=$("$BUILD/offloadctl" -s "$tmp/ctl.sock" -j status | jq .ticks); sleep 0.3
t1=$("$BUILD/offloadctl" -s "$tmp/ctl.sock" -j status | jq .ticks)
check "the agent keeps ticking after a refusal" test "$t1" -gt "$t0"
"$BUILD/offloadctl" -s "$tmp/ctl.sock" reload 2>"$tmp/ctl.err"
rc=$?
check "offloadctl reload reports the refusal" sh -c "[ $rc = 1 ] && grep -q '$tmp/m.omdl' '$tmp/ctl.err'"

cp "$tmp/new.omdl" "$tmp/m.omdl"
kill -HUP "$AGENT"; sleep 0.3
new=$(crc)
diag "crc $old -> $new"
check "a good model replaces the old one" sh -c "[ '$new' != '$old' ] && [ '$new' != null ] &&
	grep -q 'model $tmp/m.omdl (crc $new' '$tmp/agent.log'"

# Dry-run: a pin moves the decision, not the kernel's.
stop_pid "$AGENT"
{ conf "$tmp/m.omdl" | sed 's/^\[agent\]$/[agent]\ndry_run = true/'
  printf '[peer edge1]\naddress = 10.238.1.2\nkind = edge\nstatus_port = 0\n'; } >"$tmp/dry.conf"
agent_start "$tmp/dry.log" "$tmp/dry.conf"
"$BUILD/offloadctl" -s "$tmp/ctl.sock" pin app edge1 >/dev/null
sleep 0.4
"$BUILD/offloadctl" -s "$tmp/ctl.sock" -j workloads >"$tmp/dry.json"
diag "$(jq -c '.workloads[0] | {target, enforced}' "$tmp/dry.json")"
check "dry-run decides without enforcing" sh -c "
	jq -e '.dry_run and .workloads[0].target == \"edge1\" and .workloads[0].enforced == \"local\"' '$tmp/dry.json' >/dev/null &&
	grep -q 'dry-run, not enforced: workload app -> edge1' '$tmp/dry.log' &&
	bpftool -j map lookup pinned $PIN/decisions key 1 0 0 0 | jq -e '.formatted.value.tidx == 0' >/dev/null"
