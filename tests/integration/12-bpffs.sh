#!/usr/bin/env bash
# A host without bpffs (containers, BusyBox or OpenRC images, CI runners):
# offloadd mounts it on /sys/fs/bpf itself, mode 0700, and says so. Run in
# a private mount namespace, so the host's own bpffs is never touched.
. "$(dirname "$0")/lib.sh"

need_root "bpffs mounted when missing" "mounted mode 0700" "pins land on it" \
	"elsewhere refused with the fix"

cg_make cg bpffs
out=$BUILD/bpffs.$$
on_exit "rm -rf '$out' '$out.err'"
# In a private namespace: drop every bpffs mount, then run observe once.
unshare -m --propagation private sh -c '
	while grep -q " /sys/fs/bpf bpf " /proc/mounts; do umount /sys/fs/bpf || exit 9; done
	"$0" observe --cgroup "$1" --count 2 --interval-ms 200 --pin-dir /sys/fs/bpf/offload-test-$$ \
		>"$2" 2>"$2.err" &
	pid=$!
	for _ in $(seq 50); do [ -s "$2" ] && break; sleep 0.1; done
	{ grep " /sys/fs/bpf bpf " /proc/mounts; ls /sys/fs/bpf/offload-test-*; } >"$2.mnt" 2>&1
	wait $pid' "$OFFLOADD" "$cg" "$out"
rc=$?
if [ "$rc" = 0 ] && grep -q 'bpffs was not mounted; mounted it on /sys/fs/bpf (mode 0700)' "$out.err"; then
	ok "bpffs mounted when missing"
else
	fail "bpffs mounted when missing" "rc=$rc: $(cat "$out.err")"
fi
check "mounted mode 0700" grep -q " /sys/fs/bpf bpf .*mode=700" "$out.mnt"
check "pins land on it" grep -qx wl_stats "$out.mnt"
rm -f "$out.mnt"

# A pin directory on another filesystem names a mount the operator chose:
# refused, with the command that fixes it, not mounted over.
d=$(mktemp -d)
on_exit "rmdir '$d'"
o=$("$OFFLOADD" observe --cgroup "$cg" --count 1 --pin-dir "$d/pins" 2>&1 >/dev/null); rc=$?
if [ "$rc" = 1 ] && echo "$o" | grep -qF "$d: not on bpffs (mount -t bpf bpf $d" &&
   ! grep -q " $d bpf " /proc/mounts; then
	ok "elsewhere refused with the fix"
else
	fail "elsewhere refused with the fix" "rc=$rc: $o"
fi
