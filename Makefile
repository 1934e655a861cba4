# Entry points of the verification harness; see README.md.
BASE ?= 7.3
RACE_BASELINE ?= 1
MEASURE ?= 1

.NOTPARALLEL:

.PHONY: help deps verify verify-arm64 verify-stable retest stress bench check ci export mail mail-stable mail-check

# This list: each target and the comment above it in the Makefile.
help:
	@echo "make TARGET [VARIABLE=value ...]; README.md has the details."
	@awk '/^# / { c = c "\n    " substr($$0, 3); next } \
		/^[a-z-]+:/ && c { sub(/:.*/, ""); printf "\n  make %s%s\n", $$0, c } \
		{ c = "" }' $(firstword $(MAKEFILE_LIST))

# Debian packages the harness needs (as root).
deps:
	harness/install-deps.sh

# Verify the series on BASE: table of baseline, patched and debug runs.
# ARCH=arm64: the arm64 guest (out/BASE-arm64); default x86_64.
verify:
	BASE=$(BASE) MEASURE=$(MEASURE) GUEST_ARCH=$(ARCH) harness/verify.sh

# The 7.3 series on the arm64 guest (make verify ARCH=arm64): out/7.3-arm64.
verify-arm64:
	BASE=7.3 MEASURE=$(MEASURE) GUEST_ARCH=arm64 harness/verify.sh

# The 6.12 stable backport: applies, builds, repro tests on both kernels.
verify-stable:
	BASE=6.12 RACE_BASELINE=$(RACE_BASELINE) harness/verify.sh

# Boot a kernel the last verify of BASE built once with one guest test,
# judge it, print the row; no download, no build:
#   make retest TEST=pud_page_walk STATE=patched [BASE=6.12]
retest:
	BASE=$(BASE) GUEST_ARCH=$(ARCH) harness/retest.sh "$(TEST)" "$(STATE)"

# A long race run on the kernels the last verify built: ROUNDS boots of
# SECONDS_PER_ROUND per type1 backend (default 4 x 75 s x 2 = 10 minutes
# of racing per kernel).
stress:
	BASE=$(BASE) harness/stress.sh

# Timings of the baseline, nowalkfix (control) and patched kernels of the
# last verify, booted in turn: MAP_DMA fast path, page-walk cost, KVM
# throughput under a monitor, per BAR size; a table of ratios and spreads
# (BENCH_SIZES="256M 1G 2G", BENCH_ROUNDS=3, BENCH_SECONDS=5,
# BENCH_CONTROL=0; 10 min, plus the control kernel's build the first time).
bench:
	BASE=$(BASE) harness/bench.sh

# The harness's own tests: no kernel, no VM.
check:
	tests/run.sh

# Prepare the mails of the mainline series into out/mail/, signed off by
# you (MAIL_FROM="Name <address>" or git's global identity); never sends.
mail:
	BASE=7.3 harness/mail.sh

# The same for the 6.12 backport, once its mainline commits exist:
#   make mail-stable UPSTREAM_COMMITS=file-of-"SHA SUBJECT"-lines
mail-stable:
	BASE=6.12 harness/mail.sh

# make mail and make mail-stable with a throw-away identity (and, for the
# backport, placeholder upstream ids): b4 checks, checkpatch, round trip.
mail-check:
	tests/mail-check.sh

# Everything CI checks.  The 6.12 baseline's race rows are measurements
# that cannot fail a run (7.3's table has the same rows): CI leaves them
# to make verify-stable.  So is the 7.3 depth kernel's retry count
# (MEASURE=0): make verify runs it.  The x86_64 verify cross-builds the
# series for arm64, s390, riscv64, i386 and x86_64 (cross-checks.sh);
# verify-arm64 runs the arm64 guest's tests.  One target at a time: two kernel builds or
# guests at once on the 2-core machines are slower than one after the
# other, and the races' floors assume an idle machine.
ci: RACE_BASELINE = 0
ci: MEASURE = 0
ci: check verify verify-arm64 verify-stable mail-check

# Export a kernel work tree's commits as a series directory:
#   make export KTREE=~/linux-work RANGE=base..my-branch DIR=series/NAME
export:
	harness/export-series.sh $(KTREE) $(RANGE) $(DIR)
