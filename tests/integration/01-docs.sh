#!/usr/bin/env bash
# The man pages render without warnings; every binary answers --help and
# --version. No root needed.
. "$(dirname "$0")/lib.sh"

for page in "$TOP"/docs/*.[0-9]; do
	out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	if [ -z "$out" ] && MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q '^NAME'; then
		ok "man page ${page##*/} renders"
	else
		fail "man page ${page##*/} renders" "$out"
	fi
done
for bin in offloadd offloadctl offload-train; do
	if "$BUILD/$bin" --help | grep -q "^usage: $bin" && "$BUILD/$bin" --version | grep -q "^$bin [0-9]"; then
		ok "$bin --help and --version"
	else
		fail "$bin --help and --version"
	fi
done
