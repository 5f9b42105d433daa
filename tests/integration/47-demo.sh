#!/usr/bin/env bash
# make demo, shortened: it runs, the governed run sends work to a peer while
# the local CPU is contended (that phase's share, not the whole run's), beats
# pinned-local there, and leaves nothing behind (namespaces, links, cgroups,
# pins, routes).
. "$(dirname "$0")/lib.sh"

T=("the demo runs to its summary" "governed traffic leaves the contended CPU while contended"
   "governed beats pinned-local while contended" "the demo cleans up after itself")
need_root "${T[@]}"
if [ "$(nproc)" -lt 2 ]; then
	for t in "${T[@]}"; do skip "$t" "needs 2 CPUs"; done
	exit 0
fi
d=$(mktemp -d); on_exit "rm -rf $d"
DURATION=40 DEMO_OUT=$d/demo.json BUILD=$BUILD "$TOP/demo/run.sh" >"$d/out" 2>&1
rc=$?
sed -n '/^per phase/,$p' "$d/out" | sed 's/^/# /'
run=$(sed -n 's/^testbed: run //p' "$d/out")
check "the demo runs to its summary" sh -c "[ $rc = 0 ] && grep -q '^per phase' '$d/out'"
# busy RUN: the compute workload while the local CPU was contended.
busy='.runs[] | select(.name == $r) | .workloads[] | select(.name == "compute") | .phases[] | select(.name == "local-busy")'
off=$(jq -r --arg r dqn "$busy | 1 - (.share.local // 0)" "$d/demo.json")
diag "share of compute sent to a peer while contended: $off"
check "governed traffic leaves the contended CPU while contended" awk -v s="$off" 'BEGIN { exit !(s + 0 >= 0.5) }'
g=$(jq -r --arg r dqn "$busy | .p50_ms" "$d/demo.json")
p=$(jq -r --arg r static:local "$busy | .p50_ms" "$d/demo.json")
diag "contended p50: governed $g ms, pinned-local $p ms"
check "governed beats pinned-local while contended" awk -v g="$g" -v p="$p" 'BEGIN { exit !(g + 0 > 0 && g + 0 < p + 0) }'
check "the demo cleans up after itself" sh -c "[ -n '$run' ] && ! ip netns list | grep -q '^ot${run}' &&
	! ip link show ta${run}ge1 >/dev/null 2>&1 && ! ls -d /sys/fs/bpf/offloadd-tb-${run}-* 2>/dev/null | grep -q . &&
	[ ! -e $CGROOT/offload-test.${run}.tb ] && ! ip route show | grep -q '10.246.0.1 '"
