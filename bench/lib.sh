# Shared by the benchmarks: the cgroup v2 root, running a command in a
# cgroup, and an agent on $tmp/conf ($agent while one runs, for cleanup).
CGROOT=/sys/fs/cgroup/unified
[ -e $CGROOT/cgroup.procs ] || CGROOT=/sys/fs/cgroup

# in_cg CG[:CG...] CMD...: CMD inside cgroup CG (and the others: a hybrid
# host's v1 hierarchies), in the foreground. bg_cg: in the background, with
# BGPID its pid (sh execs CMD; a backgrounded function would be a subshell
# whose death leaves CMD running).
_in_cg='IFS=:; for c in $0; do echo $$ >"$c/cgroup.procs" || exit 1; done; unset IFS; exec "$@"'
in_cg() { sh -c "$_in_cg" "$@"; }
bg_cg() { sh -c "$_in_cg" "$@" & BGPID=$!; }

# start: `offloadd run` on $tmp/conf, once it governs (at most a minute).
start() {
	"$BUILD/offloadd" run --config "$tmp/conf" 2>"$tmp/log" &
	agent=$!
	for _ in $(seq 600); do
		grep -q governing "$tmp/log" && return
		kill -0 "$agent" 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/log" >&2; exit 1
}
stop() { kill "$agent"; wait "$agent" 2>/dev/null || true; agent=; }
