#!/usr/bin/env bash
# make demo: the testbed benchmark's short form (bench/testbed.sh): edge1,
# edge2 and cloud behind delay links, two governed workloads, and CPU
# contention on this host that comes and goes; governed by the default model,
# then pinned local, a live line per workload each second, and a summary
# per run, workload and phase. DURATION= seconds in all (default 60).
set -u
cd "$(dirname "$0")/.." || exit 1
DURATION=${DURATION:-60}
[ "$DURATION" -ge 20 ] 2>/dev/null || { echo "make demo: DURATION must be at least 20 (seconds)" >&2; exit 1; }
out=${DEMO_OUT:-$(mktemp)}
[ -n "${DEMO_OUT:-}" ] || trap 'rm -f "$out"' EXIT
SCHEDULE=demo POLICIES="dqn static:local" FIT=0 PLOT=0 LIVE=1 DURATION=$((DURATION / 2)) OUT=$out \
	bench/testbed.sh || exit 1
echo
echo "per phase (p50 / p99 ms, share):"
jq -r '.runs[] | . as $r | .workloads[] | . as $w | .phases[] |
	"  \($r.name)\t\($w.name)\t\(.name)\t\(.p50_ms) / \(.p99_ms)\t\(.share | to_entries | map("\(.key) \(.value * 100 | round)%") | join(" "))"' \
	"$out" | column -t -s $'\t'
