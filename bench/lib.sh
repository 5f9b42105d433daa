# Shared by the benchmarks that run an agent: start it on $tmp/conf, stop it.
# Sets $agent while one runs, for the caller's cleanup.

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
