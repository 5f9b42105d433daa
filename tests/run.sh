#!/usr/bin/env bash
# Runs every unit binary and integration script, reads their TAP lines, and
# ends with the one line CI reads: "N passed, N failed, N skipped".
# --unit: the unit binaries only. Each test gets TEST_TIMEOUT seconds (300).
set -u
BUILD=${BUILD:-build}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
cd "$(dirname "$0")/.." || exit 2
export BUILD TOP=$PWD
unit_only=0
[ "${1:-}" = --unit ] && unit_only=1

pass=0 fail=0 skip=0
failed_names=()

# tally NAME: reads TAP on stdin, echoes it, and counts results.
tally() {
	local name=$1 line seen=0
	while IFS= read -r line; do
		printf '  %s\n' "$line"
		case $line in
		"not ok"*) fail=$((fail + 1)); seen=1; failed_names+=("$name: ${line#not ok }") ;;
		"ok"*"# SKIP"*|"ok"*"# skip"*) skip=$((skip + 1)); seen=1 ;;
		"ok"*) pass=$((pass + 1)); seen=1 ;;
		esac
	done
	return $((seen == 0))
}

# run_one NAME CMD...: one test, bounded. timeout makes itself the leader of
# a process group the test's children inherit, so at the deadline the whole
# group gets SIGTERM (the test's cleanups run), then SIGKILL 30 s later.
run_one() {
	local name=$1; shift
	local out rc t0=$SECONDS
	echo "== $name"
	out=$(mktemp)
	timeout -k 30 "$TEST_TIMEOUT" "$@" </dev/null >"$out" 2>&1
	rc=$?
	if ! tally "$name" <"$out"; then
		sed 's/^/  | /' "$out" | tail -n 20
	fi
	if [ "$rc" = 124 ] || { [ "$rc" = 137 ] && [ $((SECONDS - t0)) -ge "$TEST_TIMEOUT" ]; }; then
		# What it printed before the deadline counts; the hang is one failure more.
		fail=$((fail + 1)); failed_names+=("$name: timed out after ${TEST_TIMEOUT} s")
		echo "  timed out after ${TEST_TIMEOUT} s"
	elif [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$out"; then
		# A crash or a failed setup is a failure even when no test said so.
		fail=$((fail + 1)); failed_names+=("$name: exited $rc")
		sed 's/^/  | /' "$out" | tail -n 20
	fi
	rm -f "$out"
	echo "  ($((SECONDS - t0)) s)"
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/${t##*/}" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
done
for t in tests/integration/[0-9]*.sh; do
	[ "$unit_only" = 0 ] && [ -f "$t" ] || continue
	run_one "integration/${t##*/}" bash "$t"
done

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failures:"
	printf '  %s\n' "${failed_names[@]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
