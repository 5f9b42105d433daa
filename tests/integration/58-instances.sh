#!/usr/bin/env bash
# The pin directory and second instances: a pin directory that is not
# root's 0700 is refused with the fix in the message; a second agent with
# the same pin_dir and its own ctl socket refuses to start, and the first
# keeps governing with its pins intact.
. "$(dirname "$0")/lib.sh"

T=("a pin directory of mode 0755 is refused with the fix"
   "a pin directory owned by another user is refused"
   "a second agent on the same pin_dir refuses with a clear message"
   "the first agent keeps governing with its pins intact")
need_root "${T[@]}"
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
pins_make pins in
cg_make gov inst
conf() {
	printf '[agent]\ntick = 100ms\nmetrics_listen = off\nctl_socket = %s\npin_dir = %s\n' "$1" "$pins"
	printf 'model = %s\n' "$TOP/models/default.omdl"
	printf '[service api]\nvip = 10.243.58.9:7300\nprotocol = tcp\nlocal = 127.0.0.1:19858\n'
	printf '[workload app]\ncgroup = %s\nservices = api\n' "$gov"
}
conf "$tmp/a.sock" >"$tmp/a.conf"
conf "$tmp/b.sock" >"$tmp/b.conf"

mkdir -p "$pins"; chmod 0755 "$pins"
timeout 5 "$OFFLOADD" run --config "$tmp/a.conf" 2>"$tmp/mode.log"; rc=$?
diag "$(tail -n 1 "$tmp/mode.log")"
check "a pin directory of mode 0755 is refused with the fix" sh -c "[ $rc = 1 ] &&
	grep -q '$pins: owned by uid 0 with mode 0755; refused: .*chmod 0700 $pins' '$tmp/mode.log'"
chmod 0700 "$pins"; chown 65534 "$pins"
timeout 5 "$OFFLOADD" run --config "$tmp/a.conf" 2>"$tmp/owner.log"; rc=$?
check "a pin directory owned by another user is refused" sh -c "[ $rc = 1 ] &&
	grep -q '$pins: owned by uid 65534 with mode 0700; refused' '$tmp/owner.log'"
rmdir "$pins"

agent_start "$tmp/a.log" "$tmp/a.conf"
first=$AGENT
before=$(ls "$pins" | sort | tr '\n' ' ')
"$OFFLOADD" run --config "$tmp/b.conf" 2>"$tmp/b.log" &
second=$!; on_exit "kill -9 $second"
sleep 2
kill -0 "$second" 2>/dev/null && second_up=1 || second_up=0
kill "$second" 2>/dev/null; wait "$second" 2>/dev/null
diag "second: $(grep -v '^offloadd: model' "$tmp/b.log" | tail -n 1)"
check "a second agent on the same pin_dir refuses with a clear message" sh -c "[ $second_up = 0 ] &&
	grep -q '$pins: in use by another running offloadd' '$tmp/b.log'"
t0=$("$BUILD/offloadctl" -s "$tmp/a.sock" -j status | jq .ticks); sleep 0.5
t1=$("$BUILD/offloadctl" -s "$tmp/a.sock" -j status | jq .ticks)
after=$(ls "$pins" | sort | tr '\n' ' ')
check "the first agent keeps governing with its pins intact" sh -c "kill -0 $first &&
	[ $((t1 - t0)) -ge 4 ] && [ '$before' = '$after' ] && [ -n '$before' ]"
