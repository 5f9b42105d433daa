#!/usr/bin/env bash
# Files and permissions: a world- or group-writable config or model, or one
# not owned by root, is refused with a clear message; the ctl socket is 0600
# and refuses other users, or 0660 for a configured group, whose members may
# look but not change anything unless also in ctl_admin_group; the shipped
# unit's runtime directory lets the group reach the socket.
. "$(dirname "$0")/lib.sh"

T=("a world-writable config is refused" "a world-writable model is refused on reload"
   "the ctl socket is 0600 and refuses another user" "with ctl_group it is 0660 and serves the group"
   "an unknown ctl_group is a clear error"
   "a group-writable config is refused" "a config owned by another user is refused"
   "a group-writable model is refused on reload"
   "ctl_group may look but not pin, unpin or reload" "ctl_admin_group may pin"
   "the unit's runtime directory lets ctl_group reach the socket")
need_root "${T[@]}"
tmp=$(mktemp -d); chmod 0755 "$tmp"; on_exit "rm -rf $tmp"
cp "$TOP/models/default.omdl" "$tmp/m.omdl"
conf() {
	printf '[agent]\nmetrics_listen = off\ntick = 100ms\nmodel = %s\npin_dir = %s\nctl_socket = %s\n%s\n' \
		"$tmp/m.omdl" "$PIN" "$tmp/ctl.sock" "$1"
	printf '[service api]\nvip = 10.244.9.9:7300\nprotocol = tcp\nlocal = 127.0.0.1:7300\n'
}
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

conf "" >"$tmp/ww.conf"; chmod 0666 "$tmp/ww.conf"
# Bounded, here and below: if a refusal regresses, the agent would run on.
timeout 10 "$OFFLOADD" run --config "$tmp/ww.conf" 2>"$tmp/ww.log"
rc=$?
diag "$(cat "$tmp/ww.log")"
check "a world-writable config is refused" sh -c "[ $rc = 1 ] && grep -q '$tmp/ww.conf: world-writable, refused' '$tmp/ww.log'"

cg_make gov files
{ conf ""; printf '[workload app]\ncgroup = %s\nservices = api\n' "$gov"; } >"$tmp/a.conf"
agent_start "$tmp/agent.log" "$tmp/a.conf"
chmod 0666 "$tmp/m.omdl"
kill -HUP "$AGENT"; sleep 0.3
check "a world-writable model is refused on reload" \
	grep -q "reload refused, keeping the running configuration: $tmp/m.omdl: world-writable" "$tmp/agent.log"
chmod 0644 "$tmp/m.omdl"
mode=$(stat -c %a "$tmp/ctl.sock")
nobody "$BUILD/offloadctl" -s "$tmp/ctl.sock" status 2>"$tmp/nobody.err"
rc=$?
diag "mode $mode; nobody: $(cat "$tmp/nobody.err")"
check "the ctl socket is 0600 and refuses another user" sh -c "[ $mode = 600 ] && [ $rc = 1 ] &&
	grep -q 'Permission denied' '$tmp/nobody.err'"
stop_pid "$AGENT"

conf "ctl_group = nogroup" >"$tmp/g.conf"
agent_start "$tmp/agent2.log" "$tmp/g.conf"
check "with ctl_group it is 0660 and serves the group" sh -c "
	[ \"\$(stat -c '%a %G' '$tmp/ctl.sock')\" = '660 nogroup' ] &&
	setpriv --reuid=65534 --regid=65534 --clear-groups '$BUILD/offloadctl' -s '$tmp/ctl.sock' status >/dev/null"
stop_pid "$AGENT"

conf "ctl_group = nosuchgroupxyz" >"$tmp/bad.conf"
timeout 10 "$OFFLOADD" run --config "$tmp/bad.conf" 2>"$tmp/bad.log"
rc=$?
check "an unknown ctl_group is a clear error" sh -c "[ $rc = 1 ] && grep -q 'ctl_group: no such group \"nosuchgroupxyz\"' '$tmp/bad.log'"

refused() { timeout 5 "$OFFLOADD" run --config "$1" 2>"$1.log"; [ $? = 1 ] && grep -q "$2" "$1.log"; }
conf "" >"$tmp/gw.conf"; chmod 0664 "$tmp/gw.conf"
check "a group-writable config is refused" refused "$tmp/gw.conf" "$tmp/gw.conf: group-writable, refused (chmod g-w"
conf "" >"$tmp/own.conf"; chown 65534 "$tmp/own.conf"
check "a config owned by another user is refused" refused "$tmp/own.conf" "$tmp/own.conf: owned by uid 65534, refused"

agent_start "$tmp/agent3.log" "$tmp/a.conf"
chmod 0664 "$tmp/m.omdl"
kill -HUP "$AGENT"; sleep 0.3
check "a group-writable model is refused on reload" \
	grep -q "reload refused, keeping the running configuration: $tmp/m.omdl: group-writable" "$tmp/agent3.log"
chmod 0644 "$tmp/m.omdl"
stop_pid "$AGENT"

# nobody in nogroup may look; with the group "users" too, it may change.
{ conf "ctl_group = nogroup
ctl_admin_group = users"; printf '[workload app]\ncgroup = %s\nservices = api\n' "$gov"; } >"$tmp/roles.conf"
agent_start "$tmp/agent4.log" "$tmp/roles.conf"
as_nobody() { setpriv --reuid=65534 --regid=65534 --groups="$1" "$BUILD/offloadctl" -s "$tmp/ctl.sock" "${@:2}"; }
look=$(as_nobody 65534 -j status | jq -r .ok)
pin=$(as_nobody 65534 pin app local 2>&1); unpin=$(as_nobody 65534 unpin app 2>&1)
reload=$(as_nobody 65534 reload 2>&1)
diag "status: $look; pin: $pin"
check "ctl_group may look but not pin, unpin or reload" sh -c "[ '$look' = true ] &&
	[ \$(printf '%s\n' '$pin' '$unpin' '$reload' | grep -c 'permission denied') = 3 ]"
check "ctl_admin_group may pin" as_nobody 65534,100 pin app local
stop_pid "$AGENT"

# The runtime directory as the shipped unit makes it, root:root.
mode=$(sed -n 's/^RuntimeDirectoryMode=//p' "$TOP/dist/offloadd.service")
mkdir -m "$mode" "$tmp/run"
sed "s|^ctl_socket = .*|ctl_socket = $tmp/run/ctl.sock|" "$tmp/g.conf" >"$tmp/rd.conf"
agent_start "$tmp/agent5.log" "$tmp/rd.conf"
check "the unit's runtime directory lets ctl_group reach the socket" \
	setpriv --reuid=65534 --regid=65534 --groups=65534 "$BUILD/offloadctl" -s "$tmp/run/ctl.sock" status
