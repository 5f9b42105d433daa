#!/usr/bin/env bash
# Trains models/default.omdl from the shipped scenarios, deterministically:
# the same seed and scenarios give the same bytes. About 90 s on 2 cores.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
args=()
for s in models/scenarios/*.ini; do args+=(--scenario "$s"); done
"$BUILD/offload-train" train "${args[@]}" --steps "${STEPS:-200000}" --seed "${SEED:-1}" \
	--out models/default.omdl
"$BUILD/offload-train" show models/default.omdl
