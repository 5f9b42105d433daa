#!/usr/bin/env bash
# The Debian package: make deb builds it (from this test's build tree, as
# it is) and lintian finds no error in it; Build-Depends name every
# library linked; installed with dpkg, it runs --version at the package's version, its unit
# is enabled but not started and verifies, the installed model loads under
# the installed configuration; with the unit's agent running, remove stops
# it and detaches its hooks (its pins), keeps the edited conffile, and
# purge leaves the host as it was. Skipped where an offloadd is already installed.
. "$(dirname "$0")/lib.sh"

T=("make deb builds offloadd_VERSION_amd64.deb" "lintian reports no error"
   "Build-Depends name the package of every library linked and the BPF tools"
   "dpkg installs it with the files the package promises"
   "offloadd, offloadctl and offload-train --version print the package's version"
   "the unit is enabled and not started"
   "systemd-analyze verify passes on the installed unit"
   "the installed model loads under the installed configuration"
   "remove stops the unit's agent and detaches its hooks"
   "remove keeps the edited conffile and the enablement, nothing else"
   "purge leaves the host as it was")
need_root "${T[@]}"

# Anything of an offloadd this test did not put there: a package, or
# make install PREFIX=/usr. It is an operator's, and never overwritten.
OWNED="/usr/sbin/offloadd /usr/bin/offloadctl /usr/bin/offload-train /etc/offloadd
	/var/lib/offloadd /usr/share/offloadd /lib/systemd/system/offloadd.service
	/usr/lib/systemd/system/offloadd.service /etc/systemd/system/offloadd.service
	/etc/systemd/system/multi-user.target.wants/offloadd.service"
present=$(dpkg-query -W -f='${db:Status-Status}' offloadd 2>/dev/null | grep -v '^not-installed$')
for f in $OWNED; do [ -e "$f" ] || [ -L "$f" ] && present+=" $f"; done
if [ -n "$present" ]; then
	for n in "${T[@]}"; do skip "$n" "an offloadd is installed here ($present)"; done
	exit 0
fi

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
# Whatever fails below, the package goes: the host is left as it was.
on_exit "dpkg --purge offloadd"
# What of offloadd's the host holds, to compare after the purge.
leftovers() {
	find /etc /lib/systemd /usr/lib/systemd /usr/sbin /usr/bin /usr/share/offloadd \
		/usr/share/doc /usr/share/man /var/lib -xdev \( -path /var/lib/dpkg -prune \) -o \
		-name '*offload*' -print 2>/dev/null | sort
}
leftovers >"$tmp/before"

version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
deb=$tmp/out/offloadd_${version}_amd64.deb
t0=$SECONDS
make -s -C "$TOP" deb DEB_BUILD="$BUILD" DEB_OUT="$tmp/out" >"$tmp/deb.log" 2>&1
rc=$?
diag "make deb: $((SECONDS - t0)) s"
check "make deb builds offloadd_VERSION_amd64.deb" sh -c "[ $rc = 0 ] && [ -s '$deb' ] &&
	[ ! -e '$tmp/out/offloadd-$version' ]"
[ -s "$deb" ] || { tail -n 20 "$tmp/deb.log" >&2; exit 1; }

# make deb ran lintian on it, and fails on an error; the log shows the rest.
grep -v 'root privileges' "$tmp/out/lintian.log" 2>/dev/null | while read -r l; do diag "lintian: $l"; done
check "lintian reports no error" sh -c "[ $rc = 0 ] && [ -f '$tmp/out/lintian.log' ] &&
	! grep -q '^E:' '$tmp/out/lintian.log'"

# Each -lNAME's development link, and the BPF compiler and skeleton
# generator, belong to a package that Build-Depends names.
bdeps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$TOP/debian/control" | sed 's/^Build-Depends://; s/([^)]*)//g' |
	tr ',' '\n' | awk 'NF { print $1 }')
paths=() missing=""
for l in $(make -s -C "$TOP" --eval 'print-ldlibs: ; @echo $(LDLIBS)' print-ldlibs); do
	[ "$l" = -lm ] && continue	# libc6-dev, build-essential's
	so=$(ls /usr/lib/x86_64-linux-gnu/lib${l#-l}.so /usr/lib/lib${l#-l}.so 2>/dev/null | head -n 1)
	[ -n "$so" ] && paths+=("$so") || missing+=" $l(no lib${l#-l}.so)"
done
for tool in clang bpftool; do paths+=("$(readlink -f "$(command -v $tool)")"); done
# One dpkg -S for all: each call reads the whole file database.
owners=$(dpkg -S "${paths[@]}" 2>/dev/null)
for p in "${paths[@]}"; do grep -q ": $p\$" <<<"$owners" || missing+=" $p(no package)"; done
for pkg in $(cut -d: -f1 <<<"$owners" | sort -u); do
	case $pkg in clang-[0-9]*) pkg=clang ;; esac	# the versioned compiler, by its default
	grep -qx "$pkg" <<<"$bdeps" || missing+=" $pkg"
done
check "Build-Depends name the package of every library linked and the BPF tools" test -z "$missing"
[ -z "$missing" ] || diag "not in Build-Depends:$missing"

dpkg -i "$deb" >"$tmp/install.log" 2>&1
rc=$?
files=$(dpkg -L offloadd 2>/dev/null)
want="/usr/sbin/offloadd /usr/bin/offloadctl /usr/bin/offload-train /lib/systemd/system/offloadd.service
	/etc/offloadd/offloadd.conf /var/lib/offloadd/default.omdl /usr/share/offloadd/grafana/offloadd.json
	/usr/share/man/man8/offloadd.8.gz /usr/share/man/man8/offloadctl.8.gz
	/usr/share/man/man1/offload-train.1.gz /usr/share/man/man5/offloadd.conf.5.gz
	/usr/share/doc/offloadd/copyright"
absent=""
for f in $want; do grep -qx "$f" <<<"$files" && [ -f "$f" ] || absent+=" $f"; done
conffiles=$(dpkg-query -W -f='${Conffiles}' offloadd | awk 'NF { print $1 }')
check "dpkg installs it with the files the package promises" sh -c "[ $rc = 0 ] && [ -z '$absent' ] &&
	[ '$conffiles' = /etc/offloadd/offloadd.conf ] && cmp -s '$TOP/models/default.omdl' /var/lib/offloadd/default.omdl &&
	jq -e .panels /usr/share/offloadd/grafana/offloadd.json >/dev/null"
[ $rc = 0 ] || diag "$(tail -n 3 "$tmp/install.log")"
[ -z "$absent" ] || diag "missing:$absent"

v=$(dpkg-query -W -f='${Version}' offloadd)
check "offloadd, offloadctl and offload-train --version print the package's version" sh -c "
	[ \"\$(/usr/sbin/offloadd --version)\" = 'offloadd $v' ] && [ '$v' = '$version' ] &&
	[ \"\$(/usr/bin/offloadctl --version)\" = 'offloadctl $v' ] &&
	[ \"\$(/usr/bin/offload-train --version)\" = 'offload-train $v' ]"

# Enabled: the wants link. Not started: nothing runs the installed binary,
# and the maintainer scripts have no start, only an upgrade's try-restart
# of an agent the operator started.
running=$(for e in /proc/[0-9]*/exe; do readlink "$e"; done 2>/dev/null | grep -cx /usr/sbin/offloadd)
check "the unit is enabled and not started" sh -c "
	[ \"\$(readlink /etc/systemd/system/multi-user.target.wants/offloadd.service)\" = /lib/systemd/system/offloadd.service ] &&
	[ $running = 0 ] && ! grep -Eq 'deb-systemd-invoke (start|restart)' /var/lib/dpkg/info/offloadd.postinst &&
	grep -q 'try-restart' /var/lib/dpkg/info/offloadd.postinst"

out=$(systemd-analyze verify /lib/systemd/system/offloadd.service 2>&1)
check "systemd-analyze verify passes on the installed unit" test -z "$out"
[ -z "$out" ] || diag "$out"

# The shipped configuration as installed, with this test's cgroups for the
# example's, pins of its own, and one workload left to the model (policy
# dqn), so the check loads /var/lib/offloadd/default.omdl as a start would.
cg_make cga deb-a
cg_make cgb deb-b
sed -e "/camera.service/s|^cgroup = .*|cgroup = $cga|" -e "/reports.service/s|^cgroup = .*|cgroup = $cgb|" \
	-e "s|^\[agent\]\$|[agent]\npin_dir = $PIN|" -e 's|^policy = static:local$|policy = dqn|' \
	/etc/offloadd/offloadd.conf >"$tmp/offloadd.conf"
/usr/sbin/offloadd check --config "$tmp/offloadd.conf" >"$tmp/check" 2>&1
rc=$?
diag "$(tail -n 1 "$tmp/check")"
check "the installed model loads under the installed configuration" sh -c "[ $rc = 0 ] &&
	grep -q '^model = /var/lib/offloadd/default.omdl' '$tmp/offloadd.conf' &&
	grep -q 'ok: 2 workloads, 2 services, 2 peers, 1 models; the BPF programs load' '$tmp/check' &&
	/usr/bin/offload-train show /var/lib/offloadd/default.omdl >/dev/null"

# The unit's agent running under the test's configuration, installed as
# the conffile. systemd is not PID 1 here: the unit's ExecStart runs as
# another init would run it, --keep-pinned and all, which leaves the hooks
# attached at a stop; removal must stop it and detach them.
sed -e "s|^ctl_socket = .*|ctl_socket = $tmp/ctl.sock|" -e 's|^metrics_listen = .*|metrics_listen = off|' \
	"$tmp/offloadd.conf" >/etc/offloadd/offloadd.conf
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/offloadd.service)
$exec_start 2>"$tmp/agent.log" &
agent=$!
on_exit "kill -9 $agent 2>/dev/null"
for _ in $(seq 100); do grep -q governing "$tmp/agent.log" && break; sleep 0.1; done
hooks() { bpftool cgroup show "$1" 2>/dev/null | grep -c '^[0-9]'; }
before="$(hooks "$cga") hooks, pins $(ls "$PIN" 2>/dev/null | wc -l)"

kept_ok='^(/etc/offloadd(/offloadd\.conf)?|/etc/systemd/system/multi-user\.target\.wants/offloadd\.service|/var/lib/systemd/deb-systemd-helper-enabled/.*offloadd\.service(\.dsh-also)?)$'
# Policy: remove keeps the (edited) conffile, and the enablement, for a
# later install; purge takes them too.
echo '# edited by 67-deb' >>/etc/offloadd/offloadd.conf
dpkg -r offloadd >"$tmp/remove.log" 2>&1
rc=$?
running=$(for e in /proc/[0-9]*/exe; do readlink "$e"; done 2>/dev/null | grep -c '^/usr/sbin/offloadd')
after="$(hooks "$cga") hooks, pins $([ -e "$PIN" ] && ls "$PIN" | wc -l || echo gone)"
diag "the unit's agent: $before before remove, $after after; $running running"
check "remove stops the unit's agent and detaches its hooks" sh -c "[ $rc = 0 ] &&
	[ '${before%% *}' -gt 0 ] && [ $running = 0 ] && [ '$after' = '0 hooks, pins gone' ]"
leftovers >"$tmp/removed"
diff "$tmp/before" "$tmp/removed" | sed -n 's/^> //p' >"$tmp/kept"
check "remove keeps the edited conffile and the enablement, nothing else" sh -c "[ $rc = 0 ] &&
	tail -n 1 /etc/offloadd/offloadd.conf | grep -q 'edited by 67-deb' && [ ! -e /usr/sbin/offloadd ] &&
	[ ! -e /var/lib/offloadd ] && ! grep -Ev '$kept_ok' '$tmp/kept'"
diag "kept after remove: $(tr '\n' ' ' <"$tmp/kept")"
dpkg --purge offloadd >"$tmp/purge.log" 2>&1
rc=$?
leftovers >"$tmp/after"
check "purge leaves the host as it was" sh -c "[ $rc = 0 ] && diff -u '$tmp/before' '$tmp/after' &&
	[ \"\$(dpkg-query -W -f='\${db:Status-Status}' offloadd 2>/dev/null)\" != installed ]"
