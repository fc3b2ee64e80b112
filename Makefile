# Unified balloon frontend for QEMU: the top-level driver.
#
#   make            set up, build QEMU (ours), the test guest and the tools
#   make check      ... and run every test; last line "N passed, N failed"
#   make demo       ... and boot a 2-node guest and resize it
#   make deb        ... and the Debian packages, in build/deb
#   make baseline   stock QEMU from the same source, for benchmarks
#
# Every target installs what it needs first (scripts/setup.sh, as root).

# BB holds the downloads, the guest and the stock QEMU builds; B our
# QEMU and tools.  "make check SANITIZE=1" builds ours with ASan and
# UBSan in build-san/ and runs the suite on it (docs/building.rst).
BB := build
B := $(BB)
SANITIZE ?=
ifeq ($(SANITIZE),1)
B := build-san
export UBF_SANITIZE := 1
endif
QEMU_BIN := $(B)/bin/qemu-system-x86_64
BASELINE_BIN := $(BB)/bin/qemu-system-x86_64-baseline
BASELINE_HV_BIN := $(BB)/bin/qemu-system-x86_64-baseline-hv
GUEST := $(BB)/guest
TOOLS := $(B)/tools
SUITES ?=

.PHONY: all setup qemu baseline baseline-hv guest tools fuzz bench deb docs check demo clean distclean

all: qemu guest tools

setup:
	@BUILD_DIR=$(B) scripts/setup.sh

$(BB)/dl/qemu-src/.ubf-version: qemu/VERSION | setup
	@scripts/fetch-qemu.sh $(BB)/dl

# QEMU's own ninja decides what to rebuild; these recipes always run and
# are cheap when nothing changed.
qemu: setup $(BB)/dl/qemu-src/.ubf-version
	@scripts/prepare-qemu.sh $(BB)/dl/qemu-src $(B)/qemu/src
	@scripts/build-qemu.sh $(B)/qemu/src $(B)/qemu/build
	@mkdir -p $(B)/bin
	@cmp -s $(B)/qemu/build/qemu-system-x86_64 $(QEMU_BIN) || \
	    install -m 755 $(B)/qemu/build/qemu-system-x86_64 $(QEMU_BIN)
	@for b in bench-range bench-plan; do \
	    cmp -s $(B)/qemu/build/ubf/tests/bench/$$b $(B)/bin/$$b || \
	    install -m 755 $(B)/qemu/build/ubf/tests/bench/$$b $(B)/bin/$$b; done
	@tests/fuzz/build-fuzz.sh $(B)/qemu/src $(B)/qemu/build $(B)/bin

baseline: setup $(BB)/dl/qemu-src/.ubf-version
	@scripts/prepare-qemu.sh --baseline $(BB)/dl/qemu-src $(BB)/baseline/src
	@UBF_SANITIZE= scripts/build-qemu.sh $(BB)/baseline/src $(BB)/baseline/build
	@mkdir -p $(BB)/bin
	@cmp -s $(BB)/baseline/build/qemu-system-x86_64 $(BASELINE_BIN) || \
	    install -m 755 $(BB)/baseline/build/qemu-system-x86_64 $(BASELINE_BIN)

# Stock QEMU with only the Hyper-V-under-TCG series: stock hv-balloon runs.
baseline-hv: setup $(BB)/dl/qemu-src/.ubf-version
	@scripts/prepare-qemu.sh --only hyperv-tcg $(BB)/dl/qemu-src $(BB)/baseline-hv/src
	@UBF_SANITIZE= scripts/build-qemu.sh $(BB)/baseline-hv/src $(BB)/baseline-hv/build
	@mkdir -p $(BB)/bin
	@cmp -s $(BB)/baseline-hv/build/qemu-system-x86_64 $(BASELINE_HV_BIN) || \
	    install -m 755 $(BB)/baseline-hv/build/qemu-system-x86_64 $(BASELINE_HV_BIN)

# The test guest with each kernel of tests/guest/kernels: build/guest
# ("main"), build/guest-linux6.1 (Debian 12's own kernel).
GUEST_SRC := tests/guest/agent.c tests/guest/init tests/guest/build-guest.sh \
	tests/guest/hvprobe.c tests/guest/hvprobe.ld tests/guest/hvdm.c \
	tests/guest/hvbare.c tests/guest/hvbare.h tests/guest/kernels
guest: setup $(GUEST)/initrd.img $(GUEST)-linux6.1/initrd.img

$(GUEST)/initrd.img: $(GUEST_SRC)
	@tests/guest/build-guest.sh $(GUEST) main

$(GUEST)-linux6.1/initrd.img: $(GUEST_SRC)
	@tests/guest/build-guest.sh $(GUEST)-linux6.1 linux6.1

, := ,
TOOLS_SANITIZE := $(if $(filter 1,$(SANITIZE)),-Db_sanitize=address$(,)undefined -Db_lundef=false)
$(TOOLS)/build.ninja:
	@mkdir -p $(B)
	@meson setup $(TOOLS) -Dqemu=$(CURDIR)/$(QEMU_BIN) $(TOOLS_SANITIZE) \
	    -Dguest_dir=$(CURDIR)/$(GUEST) -Ddownloads=$(CURDIR)/$(BB)/dl \
	    >$(B)/tools-setup.log 2>&1 || \
	    { tail -n 20 $(B)/tools-setup.log; exit 1; }

tools: setup $(TOOLS)/build.ninja
	@ninja -C $(TOOLS) >$(B)/tools-build.log 2>&1 || \
	    { grep -A5 -m5 'error\|FAILED' $(B)/tools-build.log; exit 1; }

# The RangeSet fuzzer for as long as FUZZ_SECONDS (make check runs it 30 s).
# Then QEMU's generic-fuzz over virtio-balloon, virtio-mem and hv-balloon
# with the frontend in (scripts/fuzz-qemu.sh, a clang build of its own),
# FUZZ_SECONDS each.  Then migration streams (scripts/fuzz-streams.py):
# FUZZ_STREAM_LOADS mutated streams of each configuration, each loaded
# into a fresh QEMU (about 0.3 s a load here), or FUZZ_STREAM_SECONDS
# per configuration if set and shorter.
FUZZ_SECONDS ?= 600
FUZZ_STREAM_LOADS ?= 10000
fuzz: qemu guest
	@mkdir -p $(B)/fuzz-corpus
	$(B)/bin/fuzz-range-set -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz-corpus
	@scripts/fuzz-qemu.sh $(B) $(FUZZ_SECONDS)
	@scripts/fuzz-streams.py $(B) $(FUZZ_STREAM_LOADS)

# Benchmarks against the baseline (figures, not pass/fail; see
# docs/performance.rst).  BENCH_REPS repetitions, medians reported.
BENCH_REPS ?= 3
bench: all baseline baseline-hv
	@scripts/bench.sh $(B) $(BENCH_REPS)

# The documentation, with Sphinx: $(B)/docs/html and $(B)/docs/man.
docs: setup
	@scripts/build-docs.sh $(B)/docs

# Debian packages of our QEMU, the tools and the docs, in $(B)/deb
# (scripts/build-deb.sh; lintian's report in $(B)/deb/lintian.txt).
deb: all
	@scripts/build-deb.sh $(B) $(B)/deb

check: all baseline baseline-hv
	@UBF_BASELINE_QEMU=$(CURDIR)/$(BASELINE_BIN) \
	    UBF_BASELINE_HV_QEMU=$(CURDIR)/$(BASELINE_HV_BIN) \
	    scripts/run-tests.sh $(B) $(SUITES)

demo: all
	@UBF_ACCEL=$$(scripts/choose-accel.sh $(QEMU_BIN) $(GUEST) $(B)) \
	    $(TOOLS)/tools/ubf-demo --qemu $(QEMU_BIN) --guest $(GUEST)

clean:
	rm -rf $(B)/qemu/build $(B)/baseline/build $(TOOLS) $(B)/bin $(GUEST)/root $(GUEST)/root-kexec \
	    $(GUEST)-linux6.1

distclean:
	rm -rf $(B)
