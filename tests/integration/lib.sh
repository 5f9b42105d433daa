# Shared by integration tests: TAP output, root checks, cleanup that runs even on failure.
# Source it first thing: `. "$(dirname "$0")/lib.sh"`.
set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
OFFLOADD=$BUILD/offloadd
TOOLS=$BUILD/tools
CGROOT=/sys/fs/cgroup/unified
[ -d "$CGROOT" ] || CGROOT=/sys/fs/cgroup

_cleanups=()
_cleanup_run() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1
	done
}
trap _cleanup_run EXIT
trap 'exit 130' INT TERM

# on_exit CMD: run CMD when the script exits, last registered first.
on_exit() { _cleanups+=("$*"); }

# This test's pin directories: $PIN for its agent or observe, "$PIN-NAME"
# for others (a peer's agent). Never the installed unit's /sys/fs/bpf/offloadd,
# a live agent's state; no '.' in the name, which bpffs refuses. Removed
# at exit, after everything else.
PIN=/sys/fs/bpf/offload-test-$$
on_exit "rm -rf $PIN $PIN-*"

ok()   { echo "ok - $1"; }
fail() { echo "not ok - $1${2:+: $2}"; }
diag() { echo "# $*"; }
skip() { echo "ok - $1 # SKIP $2"; }

# check NAME COND...: ok when the command succeeds, else not ok with its output.
check() {
	local name=$1 out; shift
	if out=$("$@" 2>&1); then ok "$name"; else fail "$name" "$(echo "$out" | tail -n 3 | tr '\n' ' ')"; fi
}

# within ACTUAL EXPECTED PCT [FLOOR]: |actual - expected| <= pct% of
# expected, or <= FLOOR, the resolution of what EXPECTED was read from.
within() {
	awk -v a="$1" -v e="$2" -v p="$3" -v f="${4:-0}" 'BEGIN {
		d = a - e; if (d < 0) d = -d;
		if (e != 0 && (d <= e * p / 100 || d <= f)) exit 0;
		printf "%s is not within %s%% of %s\n", a, p, e; exit 1 }'
}

# need_root NAME...: when not root, mark every named test skipped and exit.
need_root() {
	[ "$(id -u)" = 0 ] && return 0
	local n
	for n in "$@"; do skip "$n" "needs root"; done
	exit 0
}

# cg_make VAR NAME: a fresh cgroup v2 directory, path stored in VAR, removed
# (with its children and processes) at exit. Not for $(...): a subshell's
# cleanups would be lost.
cg_make() {
	local d=$CGROOT/offload-test.$$.$2
	mkdir -p "$d" || return 1
	on_exit "cg_remove '$d'"
	printf -v "$1" %s "$d"
}

cg_remove() {
	local d=$1 c p
	[ -d "$d" ] || return 0
	for c in "$d"/*/; do [ -d "$c" ] && cg_remove "${c%/}"; done
	for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$d" 2>/dev/null && return 0; sleep 0.1; done
}

# cg_exec CG CMD...: run CMD inside cgroup CG, in the foreground.
cg_exec() { local cg=$1; shift; sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@"; }

# cg_run CG CMD...: run CMD in the background inside cgroup CG; prints its
# pid (sh execs CMD, so $! is CMD itself, which a function would not be).
cg_run() {
	local cg=$1; shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@" &
	echo $!
}

# pins_make VAR NAME: another pin directory of this test's own, "$PIN-NAME",
# path in VAR; removed at exit with $PIN's.
pins_make() { printf -v "$1" %s "$PIN-$2"; }

# pinned_clean: nothing left pinned under $PIN.
pinned_clean() { [ ! -e "$PIN" ] || [ -z "$(ls -A "$PIN")" ]; }

# stop_pid PID [SECONDS]: SIGTERM, then PID's exit status; one that has not
# exited within SECONDS (5) is SIGKILLed and returns 124, so a hang fails
# its test instead of hanging it.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < ${2:-5} * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return; }
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 124
}

# observe_start OUT ARGS...: `offloadd observe` in the background, pinned
# under $PIN, JSON lines to OUT; returns once the first line is out
# (programs attached).
observe_start() {
	local out=$1 i; shift
	"$OFFLOADD" observe --interval-ms 200 --pin-dir "$PIN" "$@" >"$out" 2>"$out.err" &
	OBSERVE_PID=$!
	on_exit "kill -9 $OBSERVE_PID"
	for i in $(seq 100); do
		[ -s "$out" ] && return 0
		kill -0 "$OBSERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$out.err" >&2
	return 1
}

# observe_stop: SIGTERM, then its exit status (0 expected).
observe_stop() {
	sleep 0.5	# one more interval, so the last line has everything
	stop_pid "$OBSERVE_PID"
}

# last_of OUT CGROUP: the newest JSON line for that workload.
last_of() { grep -F "\"workload\":\"$2\"" "$1" | tail -n 1; }

# agent_start LOG CONF [ARGS...]: `offloadd run` in the background, stderr to
# LOG, killed at exit; sets AGENT to its pid and returns once it governs
# (within AGENT_WAIT tenths of a second, default 50). CONF must pin under
# $PIN: the default pin_dir is the installed unit's.
agent_start() {
	local log=$1 conf=$2; shift 2
	grep -q "^pin_dir = $PIN" "$conf" || { echo "agent_start: $conf sets no pin_dir under $PIN" >&2; return 1; }
	"$OFFLOADD" run --config "$conf" "$@" 2>"$log" &
	AGENT=$!
	on_exit "kill -9 $AGENT"
	for _ in $(seq "${AGENT_WAIT:-50}"); do
		grep -q governing "$log" && return 0
		kill -0 $AGENT 2>/dev/null || break
		sleep 0.1
	done
	cat "$log" >&2
	return 1
}

# ticks_over SOCK SECONDS TICK_MS: the agent's ticks over SECONDS, sampled
# through its control socket: a diag line, and true if at most two ticks
# were missed (sampling edges), none was late and the slowest took under half a tick.
ticks_over() {
	local a b
	a=$("$BUILD/offloadctl" -s "$1" -j status) || return 1
	sleep "$2"
	b=$("$BUILD/offloadctl" -s "$1" -j status) || return 1
	diag "$(jq -nc --argjson a "$a" --argjson b "$b" '{ticks: ($b.ticks - $a.ticks),
		late: ($b.late_ticks - $a.late_ticks), tick_us_mean: ($b.tick_us_mean | round),
		tick_us_max: ($b.tick_us_max | round)}')"
	jq -en --argjson a "$a" --argjson b "$b" --argjson due $(($2 * 1000 / $3)) --argjson half $(($3 * 500)) \
		'($b.ticks - $a.ticks) >= $due - 2 and ($b.late_ticks - $a.late_ticks) == 0 and
		 $b.tick_us_max < $half' >/dev/null
}
