#!/usr/bin/env bash
# make test-fresh: the README's `make test`, as root, on a fresh minimal Debian 12
# root (debootstrap --variant=minbase, then only make and git), in a chroot.
# What a host provides (/proc, /sys with its cgroup and BTF, /dev) is bound in;
# everything mounted here is unmounted at exit, whatever failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
TOP=$PWD
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# The make commands run inside, one after another, separated by ';': the
# README's `make test` under gcc, then under clang in its own tree (a minimal
# host's cc may be either). FRESH_RUNS=unit is a quick look; FRESH_RUNS=bench
# proves the benchmarks' dependencies (a run that prints no test summary
# passes on its exit status alone).
RUNS=${FRESH_RUNS:-test;test CC=clang BUILD=build-clang}
[ "$(id -u)" = 0 ] || { echo "test-fresh: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "test-fresh: needs debootstrap (make test-fresh installs it)" >&2; exit 2; }

root=$(mktemp -d "${FRESH_DIR:-/var/tmp}/offload-fresh-XXXXXX") || exit 2
chmod 0755 "$root"	# a root's /: apt's _apt and the tests' nobody walk it
log=$root.log

# mounted_under DIR: every mount point at or below DIR, deepest first.
mounted_under() { awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r; }

# in_chroot: the pids of every process whose root is ours.
in_chroot() {
	local pid
	for pid in /proc/[0-9]*; do
		[ "$(readlink "$pid/root" 2>/dev/null)" = "$root" ] && echo "${pid#/proc/}"
	done
}

cleanup() {
	local m i
	# Whatever still runs in the root (a test we were interrupted in, a
	# daemon a package started) holds the mounts: SIGTERM first, so the
	# tests' own cleanups remove their cgroups and namespaces, then SIGKILL.
	kill -TERM $(in_chroot) 2>/dev/null
	for ((i = 0; i < 100; i++)); do [ -z "$(in_chroot)" ] && break; sleep 0.1; done
	kill -9 $(in_chroot) 2>/dev/null
	sleep 0.5
	for m in $(mounted_under "$root"); do umount "$m" 2>/dev/null || umount -l "$m"; done
	# Never delete through a mount that is still there: the host's /sys or /dev.
	if [ -n "$(mounted_under "$root")" ]; then
		echo "test-fresh: still mounted, $root kept:" >&2
		mounted_under "$root" >&2
		return
	fi
	rm -rf --one-file-system "$root" "$root.bundle" "$root.rc" "$root.out" "$root.sums"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# step NAME CMD...: a timed step, its output in $log; on failure, the tail.
step() {
	local name=$1 t0=$SECONDS; shift
	echo "== $name"
	if ! "$@" >>"$log" 2>&1; then
		tail -n 30 "$log" | sed 's/^/  | /'
		echo "test-fresh: $name failed after $((SECONDS - t0)) s"
		exit 1
	fi
	echo "   $((SECONDS - t0)) s"
}

in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# A host's own mounts. rslave: unmounting ours never propagates to the host's.
bind_host() {
	local d
	# The root a mount point, as a host's / is: unshare -m and ip -n set
	# its propagation, which fails (EINVAL) on a plain directory.
	mount --bind "$root" "$root" && mount --make-rslave "$root" || return 1
	for d in proc sys dev; do
		mount --rbind "/$d" "$root/$d" && mount --make-rslave "$root/$d" || return 1
	done
	# A host has its own /run (ip netns keeps its namespaces there).
	mount -t tmpfs -o mode=0755 tmpfs "$root/run"
}

setup_root() {
	# As a host's installer leaves it: the point releases and security updates.
	printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
		"$MIRROR" "$MIRROR" >"$root/etc/apt/sources.list"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	# A chroot has no init: packages (prometheus) must not start daemons in it.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 0755 "$root/usr/sbin/policy-rc.d"
	in_root apt-get update -qq &&
		in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make git
}

clone_head() {
	git -C "$TOP" bundle create "$root.bundle" HEAD &&
		cp "$root.bundle" "$root/root/offloadd.bundle" &&
		in_root git -c advice.detachedHead=false clone -q /root/offloadd.bundle /root/offloadd
}

echo "test-fresh: Debian 12 minbase in $root (log $log), HEAD $(git -C "$TOP" rev-parse --short HEAD)"
step "debootstrap --variant=minbase bookworm" debootstrap --variant=minbase bookworm "$root" "$MIRROR"
step "make and git, nothing else" setup_root
step "clone HEAD" clone_head
step "bind /proc, /sys, /dev; a fresh /run" bind_host

# run_make ARGS: one make inside, its output in $log and its own $root.out;
# prints its summary line, if any, to $root.sums.
run_make() {
	local t0=$SECONDS rc
	echo "== make $1 (inside)"
	# In the background: a signal to this script is handled at once (wait
	# returns), not when the whole test run ends.
	{ in_root bash -c "cd /root/offloadd && make $1"; echo $? >"$root.rc"; } 2>&1 |
		tee "$root.out" | tee -a "$log" | sed 's/^/  /' &
	wait $!
	rc=$(cat "$root.rc")
	echo "   $((SECONDS - t0)) s"
	sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$root.out" | tail -n 1)
	[ -n "$sum" ] && echo "$sum" >>"$root.sums"
	if [ "$rc" != 0 ]; then
		echo "test-fresh: make $1 exited $rc; the whole log is $log"
		# A failure that counted nothing is one failure.
		[ "$(awk -F'[ ,]+' '{ print $3 }' <<<"${sum:-0 passed, 0 failed}")" -gt 0 ] ||
			echo "0 passed, 1 failed, 0 skipped" >>"$root.sums"
		return 1
	fi
}

rc=0
: >"$root.sums"
IFS=';' read -ra runs <<<"$RUNS"
for r in "${runs[@]}"; do
	run_make "$r" || rc=1
done
summary=$(awk '{ p += $1; f += $3; s += $5 } END { if (NR) printf "%d passed, %d failed, %d skipped", p, f, s }' \
	FS='[ ,]+' "$root.sums")
[ "$rc" = 0 ] && rm -f "$log"
rm -f "$root.out" "$root.rc" "$root.sums"
[ -n "$summary" ] && echo "fresh: $summary"
exit "$rc"
