#!/usr/bin/env bash
# Trains models/default.omdl deterministically: the same seed, scenarios and
# build give the same bytes. The six named scenarios are readable examples;
# the correction is learnt mostly on generated ones (offload-train --help),
# and the gate's margin is picked on validation seeds disjoint from both
# training and the test seeds bench/policy.sh reports on. A few minutes on
# 2 cores.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
args=()
for s in models/scenarios/*.ini; do args+=(--scenario "$s"); done
"$BUILD/offload-train" train "${args[@]}" --generated "${GENERATED:-400}" \
	--steps "${STEPS:-400000}" --seeds "${SEEDS:-3}" --seed "${SEED:-1}" --out models/default.omdl
"$BUILD/offload-train" show models/default.omdl
