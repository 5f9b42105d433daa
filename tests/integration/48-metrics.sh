#!/usr/bin/env bash
# GET /metrics: promtool accepts the live output; a real Prometheus scrapes
# it and answers a PromQL query for a workload's series; every metric the
# Grafana dashboard queries is exported; and `offloadctl ab` tells two
# static policies apart (local against an edge 20 ms away).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

T=("promtool check metrics passes" "connections are counted per workload and target"
   "Prometheus scrapes it and PromQL finds the workload" "the dashboard queries only exported metrics"
   "offloadctl ab shows the edge policy's longer lifetimes" "offloadctl ab's reward difference excludes 0")
need_root "${T[@]}"
for tool in promtool prometheus curl; do
	command -v $tool >/dev/null || { for t in "${T[@]}"; do skip "$t" "no $tool"; done; exit 0; }
done

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make ga ab-local
cg_make gb ab-edge
ip route add unreachable 10.239.9.9/32 && on_exit "ip route del unreachable 10.239.9.9/32"
ns_make edge
delay_link "$NS_edge" 10.239.1.1 10.239.1.2 10
nsenter --net="/var/run/netns/$NS_edge" "$TOOLS/reqsrv" -i edge 10.239.1.2 7300 & on_exit "kill $!"
"$TOOLS/reqsrv" -i local 127.0.0.1 7300 & on_exit "kill $!"

cat >"$tmp/offloadd.conf" <<CONF
[agent]
tick = 200ms
metrics_listen = 127.0.0.1:19477
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
[peer edge1]
address = 10.239.1.2
kind = edge
status_port = 0
cost = 0.0002
[service api]
vip = 10.239.9.9:7300
protocol = tcp
local = 127.0.0.1:7300
[workload a]
cgroup = $ga
services = api
policy = static:local
[workload b]
cgroup = $gb
services = api
policy = static:edge1
CONF
agent_start "$tmp/agent.log" "$tmp/offloadd.conf"
cg_exec "$ga" "$TOOLS/reqcli" -q -n 40 -i 30 10.239.9.9 7300 >/dev/null &
cg_exec "$gb" "$TOOLS/reqcli" -q -n 40 -i 30 10.239.9.9 7300 >/dev/null
wait $!
sleep 0.5

curl -sf http://127.0.0.1:19477/metrics >"$tmp/metrics"
out=$(promtool check metrics <"$tmp/metrics" 2>&1)
check "promtool check metrics passes" sh -c "[ -s '$tmp/metrics' ] && [ -z '$out' ]"
[ -z "$out" ] || diag "$out"
count() { awk -v s="$1" 'index($0, s) == 1 { print $2 }' "$tmp/metrics"; }
a=$(count 'offloadd_connections_total{workload="a",policy="static:local",target="local"}')
b=$(count 'offloadd_connections_total{workload="b",policy="static:edge1",target="edge1"}')
diag "connections: a on local $a, b on edge1 $b"
check "connections are counted per workload and target" test "${a:-0}" -ge 40 -a "${b:-0}" -ge 40

cat >"$tmp/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: offloadd
    static_configs:
      - targets: ['127.0.0.1:19477']
YML
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address=127.0.0.1:19090 >"$tmp/prometheus.log" 2>&1 &
on_exit "kill $!"
q='offloadd_workload_target{workload="a",target="local"}'
found=
for _ in $(seq 40); do
	sleep 0.5
	r=$(curl -sf --get --data-urlencode "query=$q" http://127.0.0.1:19090/api/v1/query) || continue
	if echo "$r" | jq -e '.status == "success" and (.data.result | length) == 1 and .data.result[0].value[1] == "1"' >/dev/null; then
		found=1; break
	fi
done
check "Prometheus scrapes it and PromQL finds the workload" test -n "$found"

# Metric names in the dashboard's expressions, each exported as a series.
jq -r '.panels[].targets[].expr' "$TOP/dist/grafana/offloadd.json" | grep -o 'offloadd_[a-z0-9_]*' | sort -u >"$tmp/used"
missing=$(while read -r m; do grep -q "^$m[{ ]" "$tmp/metrics" || echo "$m"; done <"$tmp/used")
diag "dashboard uses $(wc -l <"$tmp/used") metrics${missing:+; missing: $missing}"
check "the dashboard queries only exported metrics" test -z "$missing"

"$BUILD/offloadctl" -s "$tmp/ctl.sock" -j ab 60 >"$tmp/ab.json"
"$BUILD/offloadctl" -s "$tmp/ctl.sock" ab 60 | sed 's/^/# /'
check "offloadctl ab shows the edge policy's longer lifetimes" jq -e '
	(.policies[] | select(.policy == "static:local")) as $l |
	(.policies[] | select(.policy == "static:edge1")) as $e |
	$l.connections >= 40 and $e.connections >= 40 and $e.lifetime_p50_ms >= 16 and $l.lifetime_p50_ms < 8' "$tmp/ab.json"
check "offloadctl ab's reward difference excludes 0" jq -e '
	.policies[] | select(.policy == "static:edge1") | .vs == "static:local" and .reward_diff_ci95[1] < 0' "$tmp/ab.json"
