#!/usr/bin/env bash
# What mutual TLS costs a probe: one agent probing another's GET /status
# every 10 ms for SECONDS (default 10), over plain HTTP and then over mutual
# TLS 1.3 (EC P-256 certificates from a test CA, a full handshake per probe).
# CPU per probe of the prober (its 10 ms tick included) and of the peer (one
# served status, its own tick at 1 s); the peer must stay up throughout.
# Writes bench/results/tls.json and prints a summary.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "bench-tls: needs root" >&2; exit 1; }
SECONDS_RUN=${SECONDS_RUN:-10}
out=bench/results/tls.json
tmp=$(mktemp -d)
pids=()
cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp" /sys/fs/bpf/offloadd-bench-tls-*
}
trap cleanup EXIT

ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
(
	cd "$tmp" && umask 077
	openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 1 -subj /CN=bench-ca
	for n in prober peer; do
		openssl req "${ec[@]}" -keyout $n.key -out $n.csr -subj /CN=$n
		printf 'subjectAltName = DNS:%s\nextendedKeyUsage = serverAuth, clientAuth\n' $n >$n.ext
		openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
			-extfile $n.ext -out $n.crt
	done
) >/dev/null 2>&1

# conf NAME MODE TICK [PEER_PORT]: an agent of no workloads; with PEER_PORT
# it probes the peer there, else it serves status on 127.0.0.1:23491.
conf() {
	printf '[agent]\ntick = %s\nmetrics_listen = off\nmodel = %s\n' "$3" "$PWD/models/default.omdl"
	printf 'ctl_socket = %s\npin_dir = /sys/fs/bpf/offloadd-bench-tls-%s\n' "$tmp/$1.sock" "$1"
	[ "$2" = tls ] && printf 'tls_ca = %s\ntls_cert = %s\ntls_key = %s\n' "$tmp/ca.crt" "$tmp/$1.crt" "$tmp/$1.key"
	[ -n "${4:-}" ] || printf 'status_listen = 127.0.0.1:23491\n'
	printf '[service api]\nvip = 10.241.91.9:7300\nprotocol = tcp\nlocal = 127.0.0.1:23492\n'
	[ -z "${4:-}" ] || printf '[peer peer]\naddress = 127.0.0.1\nkind = edge\nstatus_port = %s\n' "$4"
}
launch() {	# launch NAME: its agent, once it governs; pid in $launched
	"$BUILD/offloadd" run --config "$tmp/$1.conf" 2>"$tmp/$1.log" &
	launched=$!
	pids+=("$launched")
	for _ in $(seq 100); do grep -q governing "$tmp/$1.log" && return; sleep 0.1; done
	cat "$tmp/$1.log" >&2; exit 1
}
cpu_s() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }
ctl() { "$BUILD/offloadctl" -s "$tmp/prober.sock" -j "$@"; }

run() {	# run MODE: one JSON object
	conf peer "$1" 1s >"$tmp/peer.conf"
	conf prober "$1" 10ms 23491 >"$tmp/prober.conf"
	launch peer; local peer=$launched
	launch prober; local prober=$launched
	sleep 1
	local a0 b0 t0 a1 b1 t1 p
	a0=$(cpu_s "$prober"); b0=$(cpu_s "$peer"); t0=$(ctl status | jq .ticks)
	sleep "$SECONDS_RUN"
	a1=$(cpu_s "$prober"); b1=$(cpu_s "$peer"); t1=$(ctl status | jq .ticks)
	p=$(ctl peers | jq -c '.peers[0] | {up, failed_probes}')
	kill "$prober" "$peer"; wait "$prober" "$peer" 2>/dev/null || true
	jq -n --arg mode "$1" --argjson probes $((t1 - t0)) --argjson a "$a1" --argjson a0 "$a0" \
		--argjson b "$b1" --argjson b0 "$b0" --argjson peer "$p" \
		'{mode: $mode, probes: $probes, peer_state: $peer,
		  prober_us_per_probe: (($a - $a0) * 1e6 / $probes | round),
		  peer_us_per_probe: (($b - $b0) * 1e6 / $probes | round)}'
}

mkdir -p bench/results

{ run plain; run tls; } | jq -s '{seconds: '"$SECONDS_RUN"', tick_ms: 10, runs: .}' >"$out"
jq -r '.runs[] | "\(.mode): \(.probes) probes, CPU per probe \(.prober_us_per_probe) µs prober, \(.peer_us_per_probe) µs peer; peer \(.peer_state)"' "$out"
jq -e '[.runs[].peer_state.up] | all' "$out" >/dev/null || { echo "bench-tls: the peer went down" >&2; exit 1; }
