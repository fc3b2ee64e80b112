# Unified balloon frontend for QEMU: the top-level driver.
#
#   make            set up, build QEMU (ours), the test guest and the tools
#   make check      ... and run every test; last line "N passed, N failed"
#   make demo       ... and boot a 2-node guest and resize it
#   make baseline   stock QEMU from the same source, for benchmarks
#
# Every target installs what it needs first (scripts/setup.sh, as root).

B := build
QEMU_BIN := $(B)/bin/qemu-system-x86_64
BASELINE_BIN := $(B)/bin/qemu-system-x86_64-baseline
BASELINE_HV_BIN := $(B)/bin/qemu-system-x86_64-baseline-hv
GUEST := $(B)/guest
TOOLS := $(B)/tools
SUITES ?=

.PHONY: all setup qemu baseline baseline-hv guest tools fuzz bench check demo clean distclean

all: qemu guest tools

setup:
	@BUILD_DIR=$(B) scripts/setup.sh

$(B)/dl/qemu-src/.ubf-version: qemu/VERSION | setup
	@scripts/fetch-qemu.sh $(B)/dl

# QEMU's own ninja decides what to rebuild; these recipes always run and
# are cheap when nothing changed.
qemu: setup $(B)/dl/qemu-src/.ubf-version
	@scripts/prepare-qemu.sh $(B)/dl/qemu-src $(B)/qemu/src
	@scripts/build-qemu.sh $(B)/qemu/src $(B)/qemu/build
	@mkdir -p $(B)/bin
	@cmp -s $(B)/qemu/build/qemu-system-x86_64 $(QEMU_BIN) || \
	    install -m 755 $(B)/qemu/build/qemu-system-x86_64 $(QEMU_BIN)
	@cmp -s $(B)/qemu/build/ubf/tests/bench/bench-range $(B)/bin/bench-range || \
	    install -m 755 $(B)/qemu/build/ubf/tests/bench/bench-range $(B)/bin/bench-range
	@tests/fuzz/build-fuzz.sh $(B)/qemu/src $(B)/qemu/build $(B)/bin

baseline: setup $(B)/dl/qemu-src/.ubf-version
	@scripts/prepare-qemu.sh --baseline $(B)/dl/qemu-src $(B)/baseline/src
	@scripts/build-qemu.sh $(B)/baseline/src $(B)/baseline/build
	@mkdir -p $(B)/bin
	@cmp -s $(B)/baseline/build/qemu-system-x86_64 $(BASELINE_BIN) || \
	    install -m 755 $(B)/baseline/build/qemu-system-x86_64 $(BASELINE_BIN)

# Stock QEMU with only the Hyper-V-under-TCG series: stock hv-balloon runs.
baseline-hv: setup $(B)/dl/qemu-src/.ubf-version
	@scripts/prepare-qemu.sh --only hyperv-tcg $(B)/dl/qemu-src $(B)/baseline-hv/src
	@scripts/build-qemu.sh $(B)/baseline-hv/src $(B)/baseline-hv/build
	@mkdir -p $(B)/bin
	@cmp -s $(B)/baseline-hv/build/qemu-system-x86_64 $(BASELINE_HV_BIN) || \
	    install -m 755 $(B)/baseline-hv/build/qemu-system-x86_64 $(BASELINE_HV_BIN)

guest: setup $(GUEST)/initrd.img

$(GUEST)/initrd.img: tests/guest/agent.c tests/guest/init tests/guest/build-guest.sh \
		tests/guest/hvprobe.c tests/guest/hvprobe.ld tests/guest/hvdm.c \
		tests/guest/hvbare.c tests/guest/hvbare.h
	@tests/guest/build-guest.sh $(GUEST)

$(TOOLS)/build.ninja:
	@meson setup $(TOOLS) -Dqemu=$(CURDIR)/$(QEMU_BIN) \
	    -Dguest_dir=$(CURDIR)/$(GUEST) -Ddownloads=$(CURDIR)/$(B)/dl \
	    >$(B)/tools-setup.log 2>&1 || \
	    { tail -n 20 $(B)/tools-setup.log; exit 1; }

tools: setup $(TOOLS)/build.ninja
	@ninja -C $(TOOLS) >$(B)/tools-build.log 2>&1 || \
	    { grep -A5 -m5 'error\|FAILED' $(B)/tools-build.log; exit 1; }

# The RangeSet fuzzer for as long as FUZZ_SECONDS (make check runs it 30 s).
FUZZ_SECONDS ?= 600
fuzz: qemu
	@mkdir -p $(B)/fuzz-corpus
	$(B)/bin/fuzz-range-set -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz-corpus

# Benchmarks against the baseline (figures, not pass/fail; see
# docs/performance.md).  BENCH_REPS repetitions, medians reported.
BENCH_REPS ?= 3
bench: all baseline baseline-hv
	@scripts/bench.sh $(B) $(BENCH_REPS)

check: all baseline baseline-hv
	@scripts/run-tests.sh $(B) $(SUITES)

demo: all
	@UBF_ACCEL=$$(scripts/choose-accel.sh $(QEMU_BIN) $(GUEST) $(B)) \
	    $(TOOLS)/tools/ubf-demo --qemu $(QEMU_BIN) --guest $(GUEST)

clean:
	rm -rf $(B)/qemu/build $(B)/baseline/build $(TOOLS) $(B)/bin $(GUEST)/root

distclean:
	rm -rf $(B)
