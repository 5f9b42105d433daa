#!/usr/bin/env bash
# Every libFuzzer target for FUZZ_SECONDS (default 20) from its seed corpus,
# and every regression input of a crash found before. No root needed.
. "$(dirname "$0")/lib.sh"

if ! make -s -C "$TOP" fuzz-build >"${TMPDIR:-/tmp}/fuzz-build.$$" 2>&1; then
	fail "fuzz targets build" "$(tail -n 5 "${TMPDIR:-/tmp}/fuzz-build.$$")"
	rm -f "${TMPDIR:-/tmp}/fuzz-build.$$"
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/fuzz-build.$$"
ok "fuzz targets build"
cd "$TOP" && SECONDS=${FUZZ_SECONDS:-20} FUZZ_BUILD=build-fuzz tests/fuzz/run.sh \
	$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
