# offloadd: one entry point for build, test, bench, demo, install, deb, vmlinux, model, deps.
# `make` only builds; `make deps` installs the Debian 12 packages, and the targets
# that run things (test, unit, fuzz, demo, model, bench*, test-fresh) install theirs first.

# Sanitized builds live apart, so flags never mix within one tree.
ifeq ($(SAN),1)
BUILD	?= build-san
endif
BUILD	?= build
ARCH	?= x86
CLANG	?= clang
BPFTOOL	?= bpftool
CC	?= cc
# The version's one source is debian/changelog's newest entry: the binaries'
# --version, /status, /metrics and the package all read it from there.
VERSION	:= $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)

# Every Debian 12 package that building and testing needs: both compilers
# (CI builds with each), and libclang-rt-dev for the libFuzzer runtime the
# fuzz targets link. offload-train's ONNX import and export need onnx.proto
# (libonnx-dev) compiled by protoc-c at build time, and their tests build
# models with python3-onnx and check scores with numpy. The EdgeX buses'
# clients (libmosquitto, hiredis), and the brokers and Python clients its
# test runs. Benchmark-only packages (PyTorch, libtorch, libbpf-tools, perf,
# iptables and nft for the DNAT comparison, gnuplot for the testbed's
# picture) are in BENCH_PKGS, and the testbed needs only TESTBED_PKGS of
# them; test-fresh's debootstrap (and git, which clones HEAD) in FRESH_PKGS.
DEPS_PKGS := gcc clang llvm libclang-rt-dev make pkg-config libbpf-dev bpftool \
	liburing-dev libelf-dev zlib1g-dev libcmocka-dev libinih-dev libjansson-dev \
	libsystemd-dev libssl-dev openssl iproute2 jq util-linux procps libcap2-bin man-db curl \
	prometheus systemd valgrind libonnx-dev protobuf-c-compiler libprotobuf-c-dev \
	python3-onnx python3-numpy libmosquitto-dev libhiredis-dev mosquitto \
	redis-server python3-paho-mqtt python3-redis \
	libc-ares-dev dnsmasq-base python3-jsonschema python3-yaml python3-kubernetes
TESTBED_PKGS := gnuplot-nox
BENCH_PKGS := libbpf-tools linux-perf libtorch-dev python3-torch g++ iptables nftables $(TESTBED_PKGS)
FRESH_PKGS := debootstrap git
# make deb's tools; it installs the package's Build-Depends (debian/control,
# all among DEPS_PKGS) with apt-get build-dep.
DEB_PKGS := debhelper dpkg-dev build-essential lintian

CFLAGS	?= -O2 -g
SAN	?=
ifeq ($(SAN),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=address,undefined
endif
# Libraries for libFuzzer targets: clang instruments, the targets link it.
ifeq ($(SAN),fuzz)
CC	:= clang
CFLAGS	+= -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=address,undefined
endif
# clang 14 writes DWARF 5, which Debian 12's valgrind (3.19) cannot read:
# the unit tests run under valgrind, so debug info stays at version 4.
ifneq ($(findstring clang,$(shell $(CC) --version 2>/dev/null | head -n 1)),)
override CFLAGS += -gdwarf-4
endif
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-DOFFLOAD_VERSION='"$(VERSION)"' -Iinclude -Iuser -I$(BUILD)
# OpenSSL 3 (mutual TLS between peers) as pkg-config describes it.
OPENSSL_CFLAGS	:= $(shell pkg-config --cflags openssl 2>/dev/null)
OPENSSL_LIBS	:= $(or $(shell pkg-config --libs openssl 2>/dev/null),-lssl -lcrypto)
override CFLAGS += $(OPENSSL_CFLAGS)
LDLIBS	:= -lbpf -luring -lelf -lz -linih -ljansson -lsystemd -lmosquitto -lhiredis -lcares $(OPENSSL_LIBS) -lm
# The skeletons embed the objects, debug info and all: no build path in it.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-Ivmlinux/$(ARCH) -Iinclude -Wall -Werror -fdebug-prefix-map=$(CURDIR)=.

BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_OBJS	:= $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS		:= $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
LIB_OBJS	:= $(patsubst %.c,$(BUILD)/%.o,$(wildcard user/lib/*.c))
# The agent: main.c and the top level, then kernel/, tick/, serve/, config/.
AGENT_SRCS	:= $(filter-out user/agent/main.c,$(wildcard user/agent/*.c user/agent/*/*.c))
AGENT_OBJS	:= $(patsubst %.c,$(BUILD)/%.o,$(AGENT_SRCS))
TRAIN_OBJS	:= $(patsubst %.c,$(BUILD)/%.o,$(wildcard user/train/*.c))
CTL_OBJS	:= $(patsubst %.c,$(BUILD)/%.o,$(wildcard user/ctl/*.c))
# ONNX in and out (offload-train only): C generated from libonnx-dev's
# onnx.proto into $(BUILD)/gen at build time, never committed.
ONNX_PROTO	?= /usr/include/onnx/onnx.proto
ONNX_GEN	:= $(BUILD)/gen/onnx.pb-c
ONNX_OBJS	:= $(patsubst %.c,$(BUILD)/%.o,$(wildcard user/onnx/*.c)) $(ONNX_GEN).o
UNIT_BINS	:= $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
TOOL_BINS	:= $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))
BINS		:= $(BUILD)/offloadd $(if $(TRAIN_OBJS),$(BUILD)/offload-train) \
		   $(if $(CTL_OBJS),$(BUILD)/offloadctl)

.PHONY: all build bin deps test unit test-fresh check bench bench-deps bench-bpf bench-policy \
	bench-redirect bench-agent bench-flows bench-tls bench-testbed demo model vmlinux install uninstall clean fuzz fuzz-build deb

# A recipe that fails leaves no half-written target behind (an empty
# skeleton header from a failed `bpftool gen skeleton > $@`, say).
.DELETE_ON_ERROR:

# Builds only: installing packages is for `make deps` and the targets that run.
all: build

build: $(BINS) $(UNIT_BINS) $(TOOL_BINS)

# The programs alone, what the Debian package builds.
bin: $(BINS)

deps:
	@missing=""; for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "missing packages:$$missing (run 'make deps' as root)" >&2; exit 1; fi; \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test: deps
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) tests/run.sh

# The cmocka unit tests alone: what CI runs again with the other compiler.
unit: deps
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) tests/run.sh --unit

# `make test` as root on a fresh minimal Debian 12 root (debootstrap, then
# only make and git), a clone of this repository's HEAD; catches missing deps.
test-fresh: deps
	@$(MAKE) --no-print-directory deps DEPS_PKGS="$(FRESH_PKGS)"
	@tests/fresh/run.sh

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

# BPF objects and skeletons. The skeleton embeds the object, BTF included,
# so pinned maps print field names in bpftool.
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/offload/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# Stated outright: as a pattern prerequisite, make would not chain to them.
$(AGENT_OBJS) $(BUILD)/user/agent/main.o: $(SKELS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# protoc-c writes both files at once; the header is what others wait for.
$(ONNX_GEN).c $(ONNX_GEN).h &: $(ONNX_PROTO)
	@mkdir -p $(@D)
	protoc-c --proto_path=$(dir $(ONNX_PROTO)) --c_out=$(@D) $(ONNX_PROTO)

$(ONNX_GEN).o: $(ONNX_GEN).c
	$(CC) $(CFLAGS) -c $< -o $@

$(filter-out $(ONNX_GEN).o,$(ONNX_OBJS)): $(ONNX_GEN).h

# Archives are made afresh: `ar r` would keep the member of a file since
# moved or removed.
$(BUILD)/liboffload.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libagent.a: $(AGENT_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/offloadd: $(BUILD)/user/agent/main.o $(BUILD)/libagent.a $(BUILD)/liboffload.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/libonnx.a: $(ONNX_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/offload-train: $(TRAIN_OBJS) $(BUILD)/libonnx.a $(BUILD)/liboffload.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lprotobuf-c -o $@

$(BUILD)/offloadctl: $(CTL_OBJS) $(BUILD)/liboffload.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libagent.a $(BUILD)/liboffload.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -lcmocka $(LDLIBS) -o $@

# Test tools are helpers, not the code under test: never sanitized, so their
# own exit reports cannot garble the output tests read.
$(BUILD)/tools/%: tests/tools/%.c $(wildcard tests/tools/*.h)
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize=% -fno-omit-frame-pointer,$(CFLAGS)) $< -lpthread -lm -o $@

# libFuzzer targets (tests/fuzz/fuzz_*.c) over every parser of untrusted
# input; make fuzz SECONDS=N runs each from its corpus in tests/fuzz/corpus.
FUZZ_BUILD	:= build-fuzz
FUZZ_TARGETS	:= $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
SECONDS		?= 20

fuzz-build: deps
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) SAN=fuzz \
		$(FUZZ_BUILD)/libagent.a $(FUZZ_BUILD)/libonnx.a $(FUZZ_BUILD)/liboffload.a
	@for t in $(FUZZ_TARGETS); do \
		clang $(filter-out -fsanitize=%,$(CFLAGS)) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser \
			-I$(FUZZ_BUILD) -fsanitize=fuzzer,address,undefined tests/fuzz/$$t.c \
			$(FUZZ_BUILD)/libagent.a $(FUZZ_BUILD)/libonnx.a $(FUZZ_BUILD)/liboffload.a \
			$(LDLIBS) -lprotobuf-c -o $(FUZZ_BUILD)/$$t || exit 1; \
	done

fuzz: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) SECONDS=$(SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)

# Benchmarks write bench/results/*.json and print a table; not tests.
bench-deps: deps
	@$(MAKE) --no-print-directory deps DEPS_PKGS="$(BENCH_PKGS)"

# One after another, never in parallel: each measures the whole machine.
BENCHES := bpf policy redirect agent flows tls

bench: bench-deps
	@$(MAKE) --no-print-directory build
	@mkdir -p bench/results
	@for b in $(BENCHES); do echo "== bench-$$b"; BUILD=$(BUILD) bench/$$b.sh || exit 1; echo; done
	@bench/report.sh

$(addprefix bench-,$(BENCHES)): bench-deps
	@$(MAKE) --no-print-directory build
	@mkdir -p bench/results
	BUILD=$(BUILD) bench/$(patsubst bench-%,%,$@).sh

# The proof on real packets: one schedule of load, link and failure phases
# for each policy (dqn, greedy, every fixed placement), then dqn again with
# its model fitted on its own run; DURATION= seconds per policy (default
# 180), SEED=. Writes bench/results/testbed.json and testbed.png. Not in
# `make bench`: it takes about 25 minutes.
bench-testbed: deps
	@$(MAKE) --no-print-directory deps DEPS_PKGS="$(TESTBED_PKGS)"
	@$(MAKE) --no-print-directory build
	@mkdir -p bench/results
	BUILD=$(BUILD) bench/testbed.sh

# The testbed's short form: local contention comes and goes, dqn against
# pinned local, a live line per workload; about a minute (DURATION=seconds).
demo: deps
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) demo/run.sh

# The default model, trained deterministically from the shipped scenarios.
model: deps
	@$(MAKE) --no-print-directory build
	BUILD=$(BUILD) models/train.sh

# make install [DESTDIR=...] [PREFIX=/usr/local]: binaries, the unit, a
# commented config (kept if present), the default model, man pages and the
# Grafana dashboard. make uninstall removes them (the config only if unedited).
PREFIX		?= /usr/local
SYSCONFDIR	?= /etc
STATEDIR	?= /var/lib/offloadd
UNITDIR		?= $(PREFIX)/lib/systemd/system
MANDIR		?= $(PREFIX)/share/man
DATADIR		?= $(PREFIX)/share/offloadd
INSTALLED	:= $(PREFIX)/sbin/offloadd $(PREFIX)/bin/offloadctl $(PREFIX)/bin/offload-train \
		   $(UNITDIR)/offloadd.service $(STATEDIR)/default.omdl \
		   $(MANDIR)/man8/offloadd.8 $(MANDIR)/man8/offloadctl.8 \
		   $(MANDIR)/man1/offload-train.1 $(MANDIR)/man5/offloadd.conf.5 \
		   $(DATADIR)/grafana/offloadd.json

install: $(BINS)
	install -D -m 0755 $(BUILD)/offloadd $(DESTDIR)$(PREFIX)/sbin/offloadd
	install -D -m 0755 $(BUILD)/offloadctl $(DESTDIR)$(PREFIX)/bin/offloadctl
	install -D -m 0755 $(BUILD)/offload-train $(DESTDIR)$(PREFIX)/bin/offload-train
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/offloadd|$(PREFIX)/sbin/offloadd|; s|/etc/offloadd/|$(SYSCONFDIR)/offloadd/|' \
		dist/offloadd.service >$(DESTDIR)$(UNITDIR)/offloadd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/offloadd.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/offloadd/offloadd.conf ] || \
		install -D -m 0644 dist/offloadd.conf $(DESTDIR)$(SYSCONFDIR)/offloadd/offloadd.conf
	install -D -m 0644 models/default.omdl $(DESTDIR)$(STATEDIR)/default.omdl
	install -D -m 0644 docs/offloadd.8 $(DESTDIR)$(MANDIR)/man8/offloadd.8
	install -D -m 0644 docs/offloadctl.8 $(DESTDIR)$(MANDIR)/man8/offloadctl.8
	install -D -m 0644 docs/offload-train.1 $(DESTDIR)$(MANDIR)/man1/offload-train.1
	install -D -m 0644 docs/offloadd.conf.5 $(DESTDIR)$(MANDIR)/man5/offloadd.conf.5
	install -D -m 0644 dist/grafana/offloadd.json $(DESTDIR)$(DATADIR)/grafana/offloadd.json

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	! cmp -s dist/offloadd.conf $(DESTDIR)$(SYSCONFDIR)/offloadd/offloadd.conf || \
		rm -f $(DESTDIR)$(SYSCONFDIR)/offloadd/offloadd.conf
	-rmdir $(DESTDIR)$(SYSCONFDIR)/offloadd $(DESTDIR)$(STATEDIR) $(DESTDIR)$(DATADIR)/grafana \
		$(DESTDIR)$(DATADIR) 2>/dev/null

# make deb: offloadd_VERSION_amd64.deb (with its -dbgsym, .buildinfo and
# .changes) in DEB_OUT, by dpkg-buildpackage and debhelper from debian/,
# whose rules run `make bin` and `make install DESTDIR=`; it fails if
# lintian finds an error in the package. The source is
# staged in a fresh copy (DEB_OUT/offloadd-VERSION, removed after) so the
# tree stays clean; the copy's build/ is DEB_BUILD: build-deb by default,
# a tree of its own built with Debian's hardening flags. DEB_BUILD=build
# packages the programs already built there as they are (67-deb does).
DEB_BUILD	?= build-deb
DEB_OUT		?= $(DEB_BUILD)
DEB_STAGE	= $(DEB_OUT)/offloadd-$(VERSION)

# Only what the package needs: the tools, then debian/control's Build-Depends.
deb:
	@$(MAKE) --no-print-directory deps DEPS_PKGS="$(DEB_PKGS)"
	@dpkg-checkbuilddeps 2>/dev/null || [ "$$(id -u)" != 0 ] || \
		DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq ./ >/dev/null
	dpkg-checkbuilddeps
	rm -rf $(DEB_STAGE)
	mkdir -p $(DEB_STAGE) $(DEB_BUILD)
	tar -c --exclude-vcs --exclude=./build --exclude='./build-*' --exclude=./bench/results \
		--exclude=./$(DEB_OUT) . | tar -x -C $(DEB_STAGE)
	ln -s $(abspath $(DEB_BUILD)) $(DEB_STAGE)/build
	cd $(DEB_STAGE) && dpkg-buildpackage -b -nc --no-sign
	rm -rf $(DEB_STAGE)
	lintian --fail-on error $(DEB_OUT)/offloadd_$(VERSION)_amd64.deb >$(DEB_OUT)/lintian.log 2>&1; \
		rc=$$?; grep -v 'root privileges' $(DEB_OUT)/lintian.log; exit $$rc
	@ls $(DEB_OUT)/offloadd_$(VERSION)_amd64.deb

clean:
	rm -rf $(BUILD)

.SECONDARY:

# $(BUILD)/, so that a build tree reached through a symlink (make deb's) is searched.
-include $(shell find $(BUILD)/ -name '*.d' 2>/dev/null)

# The inference loops want the vectoriser at full strength.
$(BUILD)/user/lib/mlp.o: override CFLAGS += -O3 -ffp-contract=off
$(BUILD)/user/lib/mlp_infer.o: override CFLAGS += -O3
