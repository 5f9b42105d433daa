#!/usr/bin/env bash
# make demo, shortened: it runs, the governed run moves off the contended
# CPU and beats the pinned-local run while contended, and it leaves nothing
# behind (namespaces, links, cgroups, pins, routes).
. "$(dirname "$0")/lib.sh"

T=("the demo runs to its summary" "governed traffic leaves the contended CPU"
   "governed beats pinned-local while contended" "the demo cleans up after itself")
need_root "${T[@]}"
if [ "$(nproc)" -lt 2 ]; then
	for t in "${T[@]}"; do skip "$t" "needs 2 CPUs"; done
	exit 0
fi
out=$(mktemp); on_exit "rm -f $out"
DURATION=44 BUILD=$BUILD "$TOP/demo/run.sh" >"$out" 2>&1
rc=$?
sed -n '/== summary/,$p' "$out" | sed 's/^/# /'
check "the demo runs to its summary" sh -c "[ $rc = 0 ] && grep -q '^pinned-local ' '$out'"
check "governed traffic leaves the contended CPU" grep -Eq '^governed .*(edge1|edge2|cloud) [1-9]' "$out"
# p50 while contended: governed below pinned-local.
g=$(awk '$1 == "governed" { for (i = 1; i < NF; i++) if ($i == "contended:") print $(i + 2) }' "$out")
p=$(awk '$1 == "pinned-local" { for (i = 1; i < NF; i++) if ($i == "contended:") print $(i + 2) }' "$out")
diag "contended p50: governed $g ms, pinned-local $p ms"
check "governed beats pinned-local while contended" awk -v g="$g" -v p="$p" 'BEGIN { exit !(g + 0 > 0 && g + 0 < p + 0) }'
check "the demo cleans up after itself" sh -c '! ip netns list | grep -q "^od-" &&
	! ip link show odt1 >/dev/null 2>&1 && [ ! -e /sys/fs/bpf/offloadd-demo ] &&
	[ ! -e /sys/fs/cgroup/unified/offloadd-demo ] && ! ip route show | grep -q 10.240.0.1'
