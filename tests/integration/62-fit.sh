#!/usr/bin/env bash
# Learning from experience pays: a peer that reports 8 GHz but delivers 2
# draws the estimate (and the shipped model) to it; offload-train fit on a
# logged run learns the difference, and the fitted model beats both the
# unfitted one and greedy there, beyond the 95% CI, while it stays as good
# as before on generated test scenarios. No root needed.
. "$(dirname "$0")/lib.sh"

T=$BUILD/offload-train
MODEL=$TOP/models/default.omdl
d=$(mktemp -d)
on_exit "rm -rf '$d'"
cat >"$d/liar.ini" <<'INI'
[scenario]
name = liar
observe = agent
epochs = 100
ghz = 1.5
cores = 2
bg_load = 0.7
bg_vol = 0.02
rate = 20
kb_min = 20
kb_max = 40
cycles_per_bit_min = 300
cycles_per_bit_max = 400
w_lat = 0.8
w_energy = 0.1
w_cost = 0.1
lat_ref_ms = 50

[edge liar]
ghz = 8
actual_ghz = 1.6
cores = 4
rtt_ms = 4
bw_mbps = 200
load = 0.1
cost = 0.0001

[edge honest]
ghz = 4
cores = 4
rtt_ms = 8
bw_mbps = 200
load = 0.1
cost = 0.0001
INI

check "a run is logged in the agent's format" \
	"$T" log --model "$MODEL" --scenario "$d/liar.ini" --episodes 4 --seed 7 --out "$d/exp.log"
check "fit learns from it" "$T" fit --log "$d/exp.log" --init "$MODEL" --out "$d/fitted.omdl" --seed 1

# reward and paired difference per policy, on seeds the log never saw
reward() { jq -r --arg p "$2" '.results[] | select(.policy == $p) | .reward_mean' "$1"; }
"$T" eval --model "$MODEL" --scenario "$d/liar.ini" --episodes 10 --seed 100 --json >"$d/before.json"
"$T" eval --model "$d/fitted.omdl" --scenario "$d/liar.ini" --episodes 10 --seed 100 --json >"$d/after.json"
before=$(reward "$d/before.json" model) after=$(reward "$d/after.json" model)
greedy=$(reward "$d/before.json" greedy)
ci=$(jq -r '.results[] | select(.policy == "model") | .reward_ci95' "$d/after.json")
diag "liar: unfitted $before, greedy $greedy, fitted $after (95% CI +-$ci)"
check "fitted beats the unfitted model there" \
	awk -v a="$after" -v b="$before" -v c="$ci" 'BEGIN { exit !(a - c > b) }'
check "fitted beats greedy there" \
	awk -v a="$after" -v b="$greedy" -v c="$ci" 'BEGIN { exit !(a - c > b) }'

# Elsewhere the fitted correction is no worse: on generated test scenarios
# it falls behind greedy no more often than the model it came from.
"$T" eval --model "$MODEL" --generated 24 --episodes 3 --json >"$d/gen-before.json"
"$T" eval --model "$d/fitted.omdl" --generated 24 --episodes 3 --json >"$d/gen-after.json"
wb=$(jq .summary.worse_than_greedy "$d/gen-before.json")
wa=$(jq .summary.worse_than_greedy "$d/gen-after.json")
diag "generated: behind greedy on $wb before, $wa after"
check "no worse on generated scenarios" test "$wa" -le "$wb"
