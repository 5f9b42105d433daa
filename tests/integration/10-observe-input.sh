#!/usr/bin/env bash
# offloadd observe refuses bad input with one clear line, exit 1, and leaves
# nothing attached or pinned.
. "$(dirname "$0")/lib.sh"

need_root "missing cgroup" "cgroup v1 path" "non-cgroup path" "no kernel BTF" \
	"failed program load" "nothing left attached" "--help and --version" "full map is reported" "existing pins refused and kept"

cg_make cg input

# expect NAME PATTERN CMD...: exit status 1 and stderr matching PATTERN.
expect() {
	local name=$1 pattern=$2 out rc; shift 2
	out=$("$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" = 1 ] && echo "$out" | grep -qE "$pattern" && pinned_clean; then
		ok "$name"
	else
		fail "$name" "rc=$rc: $out"
	fi
}

expect "missing cgroup" '^offloadd: /nonexistent/cg: no such cgroup' \
	"$OFFLOADD" observe --cgroup /nonexistent/cg --count 1 --pin-dir "$PIN"
v1=$(awk '$3 == "cgroup" {print $2; exit}' /proc/mounts)
if [ -n "$v1" ]; then
	expect "cgroup v1 path" "^offloadd: $v1: not on cgroup v2 \(it is a cgroup v1 hierarchy\)" \
		"$OFFLOADD" observe --cgroup "$v1" --count 1 --pin-dir "$PIN"
else
	skip "cgroup v1 path" "no cgroup v1 hierarchy mounted"
fi
expect "non-cgroup path" '^offloadd: /tmp: not on cgroup v2 \(not a cgroup filesystem\)' \
	"$OFFLOADD" observe --cgroup /tmp --count 1 --pin-dir "$PIN"
# A private mount namespace hides the kernel's BTF from offloadd only.
expect "no kernel BTF" 'this kernel has no BTF: /sys/kernel/btf/vmlinux is missing' \
	unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$@"' sh \
	"$OFFLOADD" observe --cgroup "$cg" --count 1 --pin-dir "$PIN"
# BTF from an unrelated object: CO-RE cannot relocate, the verifier refuses.
expect "failed program load" "BPF program '[a-z_]+' failed to load: .*verifier log \(last lines\):.*CO-RE" \
	bash -c '"$@" 2>&1 | tr "\n" " " >&2; exit ${PIPESTATUS[0]}' sh \
	"$OFFLOADD" observe --cgroup "$cg" --count 1 --btf "$BUILD/bpf/net.bpf.o" --pin-dir "$PIN"

# The refused runs have exited, so what they attached lives on only if it
# was pinned or attached to the cgroup: our pins and our cgroup, not every
# link on a host where other agents come and go.
nothing_attached() { [ -z "$(bpftool cgroup show "$cg")" ] && pinned_clean; }
check "nothing left attached" nothing_attached

if "$OFFLOADD" --help | grep -q '^usage: offloadd' &&
   "$OFFLOADD" observe --help | grep -q -- '--interval-ms' &&
   "$OFFLOADD" --version | grep -qE '^offloadd [0-9]+\.[0-9]+'; then
	ok "--help and --version"
else
	fail "--help and --version"
fi

# A full map is counted and said, never silent: 4 task slots cannot hold a host.
"$OFFLOADD" observe --cgroup "$cg" --count 3 --interval-ms 300 --max-tasks 4 --pin-dir "$PIN" \
	>/dev/null 2>"$BUILD/full.err"
if grep -q 'tasks map full: tasks went untracked (raise --max-tasks)' "$BUILD/full.err"; then
	ok "full map is reported"
else
	fail "full map is reported" "$(cat "$BUILD/full.err")"
fi
rm -f "$BUILD/full.err"

# Another agent's pins are refused and left as they are.
mkdir -p -m 0700 "$PIN"
bpftool map create "$PIN/other" type array key 4 value 4 entries 1 name other
out=$("$OFFLOADD" observe --cgroup "$cg" --count 1 --pin-dir "$PIN" 2>&1 >/dev/null); rc=$?
if [ "$rc" = 1 ] && echo "$out" | grep -q 'pinned state already there' &&
   [ "$(ls "$PIN")" = other ]; then
	ok "existing pins refused and kept"
else
	fail "existing pins refused and kept" "rc=$rc: $out"
fi
