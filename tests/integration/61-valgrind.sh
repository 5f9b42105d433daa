#!/usr/bin/env bash
# Every unit test binary under valgrind memcheck: no invalid access, no use
# of uninitialised memory, no leak. No root needed.
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || { skip "unit tests under valgrind" "no valgrind"; exit 0; }
# ASan and valgrind both own the allocator: a sanitized build is checked by ASan.
if nm "$BUILD/tests/test_mlp" 2>/dev/null | grep -q __asan_init; then
	skip "unit tests under valgrind" "a sanitized build"
	exit 0
fi
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	log=$(mktemp)
	if CMOCKA_MESSAGE_OUTPUT=TAP valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect "$t" >/dev/null 2>"$log"; then
		ok "valgrind ${t##*/}"
	else
		fail "valgrind ${t##*/}" "$(grep -m 3 -E '==[0-9]+== (Invalid|Conditional|.*definitely)' "$log")"
	fi
	rm -f "$log"
done
