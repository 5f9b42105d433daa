#!/usr/bin/env bash
# offload-train as a user meets it: the same seeds train the same bytes; a
# model whose gate is closed decides exactly as the estimate does; a
# generated scenario is written in the scenario format and evaluates; the
# docs' feature table is the binary's. No root needed.
. "$(dirname "$0")/lib.sh"

T=$BUILD/offload-train
d=$(mktemp -d)
on_exit "rm -rf '$d'"
for i in 1 2; do
	"$T" train --scenario "$TOP/models/scenarios/bursty.ini" --generated 10 --steps 20000 \
		--seed 3 --seeds 2 --out "$d/m$i.omdl" 2>"$d/train$i.log"
done
check "the same seeds train the same bytes" cmp "$d/m1.omdl" "$d/m2.omdl"
check "--seeds 2 trains two networks" test "$(grep -c 'training seed' "$d/train1.log")" = 2
o=$("$T" train --generated 1 --seeds 0 --out "$d/x.omdl" 2>&1); rc=$?
check "--seeds 0 is refused" sh -c 'test "$0" = 1 && case "$1" in *--seeds*) ;; *) exit 1;; esac' "$rc" "$o"

"$T" eval --model "$d/m1.omdl" --scenario "$TOP/models/scenarios/flaky-edge.ini" --episodes 2 \
	--margin 1e9 --json >"$d/closed.json"
check "a closed gate decides as the estimate" test "$(jq '[.results[] |
	select(.policy == "model" or .policy == "greedy") | .reward_mean] | unique | length' "$d/closed.json")" = 1

check "gen writes a scenario that loads" sh -c '"$0" gen --seed 42 --effects --out "$1/g.ini" &&
	"$0" eval --model "$2" --scenario "$1/g.ini" --episodes 1 >/dev/null' "$T" "$d" "$d/m1.omdl"
if "$T" gen --seed 42 | cmp -s - <("$T" gen --seed 42) && ! "$T" gen --seed 43 | cmp -s - <("$T" gen --seed 42); then
	ok "gen is a function of the seed"
else
	fail "gen is a function of the seed"
fi
"$T" features >"$d/features.md"
# Every line of the table, word for word, in the design document.
check "docs/ARCHITECTURE.md has the feature table" sh -c '[ -f "$1" ] && ! grep -vxFf "$1" "$0"' \
	"$d/features.md" "$TOP/docs/ARCHITECTURE.md"
o=$("$T" eval --model "$d/m1.omdl" --generated 0 2>&1); rc=$?
check "eval without scenarios is refused" test "$rc" = 1 -a -n "$o"
