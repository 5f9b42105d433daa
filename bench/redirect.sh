#!/usr/bin/env bash
# Redirect benchmark, in one run: connect() latency on loopback with no hook,
# with offloadd's connect hook rewriting a VIP, and with iptables DNAT (the
# nft backend) rewriting the same VIP, for 1, 100 and 1,000 services.
# Interleaved rounds; the VIP dialled is the last service's, the last rule
# iptables reaches. Writes bench/results/redirect.json and prints a summary.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
N=${N:-20000}
[ "$(id -u)" = 0 ] || { echo "bench-redirect: needs root" >&2; exit 1; }
for c in iptables-restore iptables-save nft; do
	command -v $c >/dev/null || { echo "bench-redirect: needs $c (make bench-deps)" >&2; exit 1; }
done
case $(iptables -V) in *nf_tables*) ;; *) echo "bench-redirect: iptables is not the nft backend" >&2; exit 1;; esac
CG=$CGROOT/offloadd-bench-redirect
PIN=/sys/fs/bpf/offloadd-bench-redirect
NET=10.250			# VIPs: 10.250.0.1 ..., a range no test uses
PORT=7401
out=bench/results/redirect.json
tmp=$(mktemp -d)
agent= ours= route=

# Undoes whatever the run got to, whichever step failed: each piece is
# flagged before it is made, and removing one that is not there is harmless.
cleanup() {
	set +e
	[ -z "$agent" ] || kill "$agent" 2>/dev/null
	wait 2>/dev/null
	[ -z "$ours" ] || nft delete table ip nat 2>/dev/null
	[ -z "$route" ] || ip route del $NET.0.0/16 dev lo 2>/dev/null
	rmdir "$CG"/*/ "$CG" 2>/dev/null
	rm -rf "$tmp" "$PIN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# only_ours: every rule in the ip nat table is one of this bench's DNATs, as
# a run killed before its cleanup (SIGKILL, a closed terminal) leaves it.
only_ours() {
	! iptables-save -t nat | grep '^-A' | grep -qvE \
		"^-A OUTPUT -d $NET\\.[0-9]+\\.[0-9]+/32 -p tcp -m tcp --dport $PORT -j DNAT --to-destination 127\\.0\\.0\\.1:$PORT\$"
}
# iptables' nat table is created and deleted per round: never someone else's.
if nft list table ip nat >/dev/null 2>&1; then
	only_ours || { echo "bench-redirect: this host has an ip nat table; not touching it" >&2; exit 1; }
	echo "bench-redirect: removing an earlier run's DNAT rules" >&2
	nft delete table ip nat
fi
mkdir -p "$CG/governed" "$CG/free"
# VIPs route to lo, so a connect() nothing rewrites fails fast instead of leaving.
route=1; ip route replace $NET.0.0/16 dev lo

vip() { echo "$NET.$(($1 / 250)).$(($1 % 250 + 1))"; }

conf() {
	cat <<CONF
[agent]
metrics_listen = off
tick = 1s
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
CONF
	for i in $(seq 0 $(($1 - 1))); do
		printf '[service s%d]\nvip = %s:%d\nprotocol = tcp\nlocal = 127.0.0.1:%d\n' "$i" "$(vip "$i")" $PORT $PORT
	done
	# It uses the service it dials: a decision applies to a workload's own.
	printf '[workload w]\ncgroup = %s/governed\nservices = s%d\npolicy = static:local\n' "$CG" $(($1 - 1))
}

# The same rewrites as iptables rules.
rules() {
	echo "*nat"
	echo ":OUTPUT ACCEPT [0:0]"
	for i in $(seq 0 $(($1 - 1))); do
		echo "-A OUTPUT -d $(vip "$i")/32 -p tcp --dport $PORT -j DNAT --to-destination 127.0.0.1:$PORT"
	done
	echo COMMIT
}

bench() {	# bench CGROUP CASE SERVICES ADDR
	in_cg "$CG/$1" taskset -c 0 "$BUILD/tools/connbench" "$4" $PORT "$N" | jq -c --arg c "$2" --argjson s "$3" '{case: $c, services: $s} + .'
}

for n in 1 100 1000; do
	conf $n >"$tmp/conf"
	rules $n >"$tmp/rules"
	start
	last=$(vip $((n - 1)))
	for _ in $(seq "$ROUNDS"); do
		bench free "no hook" $n 127.0.0.1
		bench governed "offloadd redirect" $n "$last"
		# Loaded for this case only: deleting the table takes conntrack's
		# hooks away again for the others.
		ours=1; iptables-restore --noflush <"$tmp/rules"
		bench free "iptables DNAT" $n "$last"
		nft delete table ip nat; ours=
	done >>"$tmp/connect.jsonl"
	stop
done

mkdir -p bench/results
jq -s --arg kernel "$(uname -r)" --arg ipt "$(iptables -V)" --argjson rounds "$ROUNDS" '
	def median: sort | .[length / 2 | floor];
	def order($c): ["no hook", "offloadd redirect", "iptables DNAT"] | index($c);
	{kernel: $kernel, iptables: $ipt, rounds: $rounds, connects_per_round: .[0].n,
	 connect: (group_by([.services, .case]) | sort_by(.[0].services, order(.[0].case)) | map({services: .[0].services, case: .[0].case,
		connect_ns_mean_median: (map(.connect_ns_mean) | median),
		connect_ns_p50_median: (map(.connect_ns_p50) | median)}))}' "$tmp/connect.jsonl" >"$out"
jq -r '"connect() on loopback, median of \(.rounds) rounds of \(.connects_per_round):",
	(.connect | group_by(.services)[] | "  \(.[0].services) service\(if .[0].services > 1 then "s" else "" end): " +
		(map("\(.case) \(.connect_ns_p50_median / 1000 * 10 | round / 10) us") | join(", ")))' "$out"
echo "wrote $out"
