#!/usr/bin/env bash
# The systemd unit verifies and scores no worse than 5.0; it runs offloadd
# check before start and before reload's signal, and check passes with only
# the unit's capabilities; offloadd runs with exactly those and still loads,
# attaches, redirects and serves ctl; it tells a notify socket READY after
# its first tick, with a STATUS line and watchdog pings; make
# install/uninstall with DESTDIR.
# systemd is not PID 1 on development hosts: the unit is checked offline.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

T=("systemd-analyze verify passes" "systemd-analyze security scores 5.0 or better"
   "the unit runs check before start and before reload's signal"
   "check passes with only the unit's capabilities"
   "runs with only the unit's capabilities: loads, attaches, serves ctl"
   "with only those capabilities, traffic to the VIP is redirected"
   "READY, STATUS and WATCHDOG reach the notify socket"
   "make install DESTDIR produces the expected tree" "the installed offloadd runs --version"
   "make uninstall removes what install put")
need_root "${T[@]}"
tmp=$(mktemp -d); on_exit "rm -rf $tmp"

# Installed under a prefix that exists on this host, so verify finds the
# binary and the man pages the unit names.
make -s -C "$TOP" install BUILD="$BUILD" PREFIX="$tmp/usr" SYSCONFDIR="$tmp/etc" \
	STATEDIR="$tmp/var/lib/offloadd" >/dev/null
unit=$tmp/usr/lib/systemd/system/offloadd.service
out=$(MANPATH=$tmp/usr/share/man systemd-analyze verify "$unit" 2>&1)
check "systemd-analyze verify passes" test -z "$out"
[ -z "$out" ] || diag "$out"
score=$(systemd-analyze security --offline=yes "$TOP/dist/offloadd.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for offloadd.service: \([0-9.]*\).*/\1/p')
diag "exposure $score"
check "systemd-analyze security scores 5.0 or better" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 5.0) }'

# The unit's capabilities, less any this host's bounding set lacks.
caps=-all want=0
for c in $(sed -n 's/^AmbientCapabilities=//p' "$TOP/dist/offloadd.service"); do
	n=$(capsh --explain="${c,,}" 2>/dev/null | sed -n "1s/^[a-z_]* (\([0-9]*\)).*/\1/p")
	bnd=$((16#$(awk '/^CapBnd/ { print $2 }' /proc/self/status)))
	if [ -n "$n" ] && (( bnd >> n & 1 )); then caps+=",+${c#CAP_}" want=$((want | 1 << n)); else diag "this host lacks $c"; fi
done
caps=${caps,,}
cg_make gov caps
ip route add unreachable 10.242.9.9/32 && on_exit "ip route del unreachable 10.242.9.9/32"
"$TOOLS/reqsrv" -i local 127.0.0.1 7300 >/dev/null & on_exit "kill $!"
cat >"$tmp/offloadd.conf" <<CONF
[agent]
metrics_listen = off
tick = 100ms
model = $TOP/models/default.omdl
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
[service api]
vip = 10.242.9.9:7300
protocol = tcp
local = 127.0.0.1:7300
[workload app]
cgroup = $gov
services = api
policy = static:local
CONF
reload=$(grep '^ExecReload=' "$unit" | tr '\n' '|')
check "the unit runs check before start and before reload's signal" sh -c "
	grep -qx 'ExecStartPre=$tmp/usr/sbin/offloadd check --config $tmp/etc/offloadd/offloadd.conf' '$unit' &&
	[ '$reload' = 'ExecReload=$tmp/usr/sbin/offloadd check --config $tmp/etc/offloadd/offloadd.conf|ExecReload=/bin/kill -HUP \$MAINPID|' ]"
setpriv --securebits +noroot,+noroot_locked --bounding-set "$caps" --inh-caps "$caps" \
	--ambient-caps "$caps" "$OFFLOADD" check --config "$tmp/offloadd.conf" >"$tmp/check.out" 2>&1
rc=$?
diag "check: $(tail -n 1 "$tmp/check.out")"
check "check passes with only the unit's capabilities" sh -c "[ $rc = 0 ] && grep -q 'the BPF programs load' '$tmp/check.out'"
"$TOOLS/notifysock" "$tmp/notify" 5 >"$tmp/notify.out" & ns=$!
for _ in $(seq 20); do grep -q ready "$tmp/notify.out" && break; sleep 0.1; done
NOTIFY_SOCKET=$tmp/notify WATCHDOG_USEC=10000000 WATCHDOG_PID= \
	setpriv --securebits +noroot,+noroot_locked --bounding-set "$caps" --inh-caps "$caps" \
	--ambient-caps "$caps" "$OFFLOADD" run --config "$tmp/offloadd.conf" 2>"$tmp/agent.log" &
AGENT=$!; on_exit "kill -9 $AGENT"
for _ in $(seq 50); do grep -q governing "$tmp/agent.log" && break; sleep 0.1; done
sleep 0.3
eff=$(awk '/^CapEff/ { print $2 }' /proc/$AGENT/status)
diag "CapEff $(capsh --decode="$eff" 2>/dev/null | cut -d= -f2)"
check "runs with only the unit's capabilities: loads, attaches, serves ctl" sh -c "
	grep -q governing '$tmp/agent.log' && [ $((16#$eff)) = $want ] &&
	'$BUILD/offloadctl' -s '$tmp/ctl.sock' status >/dev/null"
cg_exec "$gov" "$TOOLS/reqcli" -n 5 10.242.9.9 7300 >"$tmp/client" 2>&1
diag "$(tail -n 2 "$tmp/client" | head -n 1)"
check "with only those capabilities, traffic to the VIP is redirected" \
	test "$(grep -c '^answer local ' "$tmp/client")" = 5
wait $ns
diag "$(head -n 2 "$tmp/notify.out" | tail -n 1 | cut -c1-150)"
check "READY, STATUS and WATCHDOG reach the notify socket" sh -c "
	grep -q '^READY=1|WATCHDOG=1|STATUS=1 workloads, 0 on peers' '$tmp/notify.out' &&
	[ \$(grep -c '^WATCHDOG=1|STATUS=' '$tmp/notify.out') -ge 5 ]"
stop_pid "$AGENT"

dest=$tmp/dest
make -s -C "$TOP" install BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr >/dev/null
(cd "$dest" && find . -type f | sort) >"$tmp/tree"
cat >"$tmp/want" <<TREE
./etc/offloadd/offloadd.conf
./usr/bin/offload-train
./usr/bin/offloadctl
./usr/lib/systemd/system/offloadd.service
./usr/sbin/offloadd
./usr/share/man/man1/offload-train.1
./usr/share/man/man5/offloadd.conf.5
./usr/share/man/man8/offloadctl.8
./usr/share/man/man8/offloadd.8
./usr/share/offloadd/grafana/offloadd.json
./var/lib/offloadd/default.omdl
TREE
check "make install DESTDIR produces the expected tree" diff -u "$tmp/want" "$tmp/tree"
check "the installed offloadd runs --version" sh -c "'$dest/usr/sbin/offloadd' --version | grep -q '^offloadd [0-9]' &&
	grep -q '^ExecStart=/usr/sbin/offloadd run --config /etc/offloadd/offloadd.conf' '$dest/usr/lib/systemd/system/offloadd.service'"
make -s -C "$TOP" uninstall BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr >/dev/null
check "make uninstall removes what install put" test -z "$(find "$dest" -type f)"
