#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS from its seed corpus, then replays
# the regression inputs of every crash found so far; TAP out.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${FUZZ_BUILD:-build-fuzz}
SECONDS_EACH=${SECONDS:-20}
declare -A MAXLEN=([fuzz_model]=65536 [fuzz_onnx]=16384 [fuzz_peerstatus]=70000)
status=0
for t in "$@"; do
	name=${t#fuzz_}
	work=$(mktemp -d)
	mkdir -p "$B/crashes/$name"
	# New inputs go to $work: the committed corpus is read, never written.
	"$B/$t" -max_total_time="$SECONDS_EACH" -max_len="${MAXLEN[$t]:-8192}" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$B/crashes/$name/" -print_final_stats=1 \
		"$work" "tests/fuzz/corpus/$name" >"$work.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
	if [ $rc = 0 ]; then
		echo "ok - fuzz $name: ${runs:-?} runs in ${SECONDS_EACH}s, no crash"
	else
		echo "not ok - fuzz $name: crashed, input in $B/crashes/$name/ (add it to tests/fuzz/regress/$name/)"
		grep -m 5 -E 'ERROR|SUMMARY|runtime error' "$work.log" | sed 's/^/# /'
		status=1
	fi
	if [ -d "tests/fuzz/regress/$name" ] && [ -n "$(ls -A "tests/fuzz/regress/$name")" ]; then
		if "$B/$t" "tests/fuzz/regress/$name"/* >"$work.reg" 2>&1; then
			echo "ok - fuzz $name: regression inputs pass"
		else
			echo "not ok - fuzz $name: a regression input fails again"
			status=1
		fi
	fi
	rm -rf "$work" "$work.log" "$work.reg"
done
exit $status
