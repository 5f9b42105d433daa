#!/usr/bin/env bash
# Tests and benches leave a live agent alone: none names the installed unit's
# pin directory, /sys/fs/bpf/offloadd (agent_start refuses a config that does
# not pin under the test's own $PIN). No root needed.
. "$(dirname "$0")/lib.sh"

# Code only (comments may name it to say it is never used), this file aside.
hits=$(cd "$TOP" && grep -rn --exclude="${0##*/}" /sys/fs/bpf/offloadd tests/integration bench |
	sed 's/[[:space:]]#.*//; /^[^:]*:[0-9]*:[[:space:]]*#/d' | grep -E '/sys/fs/bpf/offloadd($|[^-a-z])')
check "no test or bench uses /sys/fs/bpf/offloadd" test -z "$hits"
[ -z "$hits" ] || diag "$hits"
