# Entry points of the verification harness: make help; README.md and docs/.

.NOTPARALLEL:

.PHONY: help deps verify verify-arm64 verify-stable verify-one retest stress bench check ci export mail mail-stable mail-check clean

# The knobs (harness/knobs, the one list of them): each is taken from this
# command line or, as PFNMAP_NAME, from the environment, and handed to
# the scripts in theirs.  A plain NAME in the environment (the ARCH of a
# shell set up for kernel cross work, say) is not read.  PFNMAP_CACHE is
# the cache directory itself, so CACHE has no environment form.  ARCH
# reaches the scripts as GUEST_ARCH: kernel makes read ARCH.
KNOBS := $(shell awk '/^[A-Z]/ { print $$1 }' harness/knobs)
unexport $(KNOBS)
env_name = $(if $(filter PFNMAP_%,$1),$1,$(if $(filter CACHE,$1),,PFNMAP_$1))
given = $(or $(filter command line,$(origin $1)),$(if $(call env_name,$1),$(filter environment%,$(origin $(call env_name,$1)))))
knob = $(if $(filter command line,$(origin $1)),$($1),$(if $(call given,$1),$($(call env_name,$1))))
quote = '$(subst ','\'',$1)'
knobs = $(strip $(foreach k,$(KNOBS),$(if $(call given,$k),$(if $(filter ARCH,$k),GUEST_ARCH,$k)=$(call quote,$(call knob,$k)))))
# A harness script's environment: the knobs given, none of make's own.
run = env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(knobs)
# fixed KNOB VALUE: this target runs KNOB=VALUE; another is refused.
fixed = $(if $(filter-out $2,$(call knob,$1)),$(error make $@ runs $1=$2, not $1=$(call knob,$1)$(if $3,: $3)))
# none KNOB...: this target sets these itself; any given is refused.
none = $(foreach k,$1,$(if $(call given,$k),$(error make $@ sets $k itself: $k=$(call knob,$k) given; $2)))

# This list: each target and the comment above it, then the knobs.
help:
	@echo "make TARGET [NAME=value ...]; README.md and docs/ have the details."
	@awk '/^# / { c = c "\n    " substr($$0, 3); next } \
		/^[a-z-]+:/ && c { sub(/:.*/, ""); printf "\n  make %s%s\n", $$0, c } \
		{ c = "" }' $(firstword $(MAKEFILE_LIST))
	@echo
	@bash -c '. harness/lib.sh && knob_help'

# Debian packages the harness needs (as root).
deps:
	@harness/install-deps.sh

# Verify the series on BASE: table of baseline, patched and debug runs.
# ARCH=arm64: the arm64 guest (out/BASE-arm64); default x86_64.
verify:
	@$(run) harness/verify.sh

# The 7.3 series on the arm64 guest (make verify ARCH=arm64): out/7.3-arm64.
verify-arm64:
	$(call fixed,BASE,7.3,make verify ARCH=arm64 BASE=... runs another)$(call fixed,ARCH,arm64)
	@$(run) BASE=7.3 GUEST_ARCH=arm64 harness/verify.sh

# The 6.12 stable backport: applies, builds, repro tests on both kernels.
verify-stable:
	$(call fixed,BASE,6.12,make verify BASE=... runs another)$(call fixed,ARCH,x86_64,the 6.12 guests are x86_64)
	@$(run) BASE=6.12 harness/verify.sh

# Build only the kernel STATE and run only TEST on it (out/BASE-one):
#   make verify-one TEST=pud_page_walk STATE=patched [BASE=6.12]
verify-one:
	@$(run) VERIFY_ONE=1 harness/verify.sh

# Boot a kernel the last verify (or verify-one) of BASE built once with one guest test,
# judge it, print the row; no download, no build:
#   make retest TEST=pud_page_walk STATE=patched [BASE=6.12]
retest:
	@$(run) harness/retest.sh

# A long race run on the kernels the last verify built: ROUNDS boots of
# SECONDS_PER_ROUND per type1 backend (knobs and defaults: make help).
stress:
	@$(run) harness/stress.sh

# Timings of the baseline, nowalkfix (control) and patched kernels of the
# last verify, booted in turn: MAP_DMA fast path, page-walk cost, KVM
# throughput under a monitor, per BAR size; a table of ratios and spreads
# (knobs BENCH_SIZES, BENCH_ROUNDS, BENCH_SECONDS, BENCH_CONTROL).
bench:
	@$(run) harness/bench.sh

# The harness's own tests: no kernel, no VM (KUNIT_TREE=a kernel tree adds
# the tests that parse with its kunit.py).
check:
	@$(run) tests/run.sh

# Prepare the mails of the mainline series into out/mail/, signed off by
# you (MAIL_FROM="Name <address>" or git's global identity); never sends.
mail:
	$(call fixed,BASE,7.3,make mail-stable prepares the 6.12 backport)$(call fixed,ARCH,x86_64,mails have no ARCH)
	@$(run) BASE=7.3 harness/mail.sh

# The same for the 6.12 backport, once its mainline commits exist:
#   make mail-stable UPSTREAM_COMMITS=file-of-"SHA SUBJECT"-lines
mail-stable:
	$(call fixed,BASE,6.12,make mail prepares the mainline series)$(call fixed,ARCH,x86_64,mails have no ARCH)
	@$(run) BASE=6.12 harness/mail.sh

# make mail and make mail-stable with a throw-away identity (and, for the
# backport, placeholder upstream ids): b4 checks, checkpatch, round trip.
mail-check:
	$(call none,BASE ARCH,it prepares both bases' mails)
	@$(run) tests/mail-check.sh

# Everything CI checks: make check, the 7.3 series on x86_64 (with the
# cross builds for arm64, s390, riscv64, i386 and x86_64), the 6.12
# backport, make mail-check.  The arm64 guest (make verify-arm64) is left
# out of CI since the v3 series: its KASAN debug kernel, never run with
# v3 yet, would not fit CI's 90 minutes beside the rest on a cold cache
# (docs/results.md).  The 6.12 baseline's race rows are
# measurements that cannot fail a run (7.3's table has the same rows),
# and so is the 7.3 depth kernel's retry count: CI leaves them out
# (RACE_BASELINE=0 MEASURE=0; make verify and make verify-stable run
# them).  One target at a time: two kernel builds or guests at once on
# the 2-core machines are slower than one after the other, and the races'
# floors assume an idle machine.
ci:
	$(call none,BASE ARCH TESTS RACE_BASELINE MEASURE,it runs what CI runs (make verify and friends run one))
	@$(run) tests/run.sh
	@$(run) BASE=7.3 RACE_BASELINE=0 MEASURE=0 harness/verify.sh
	@$(run) BASE=6.12 RACE_BASELINE=0 MEASURE=0 harness/verify.sh
	@$(run) tests/mail-check.sh

# Remove what any run makes again, naming it and its size: each base's
# results in out/ and the kernel build directories in PFNMAP_CACHE.
# Keeps the Debian sources, ccache and the results cache (and says so).
clean:
	@$(run) harness/clean.sh

# Export a kernel work tree's commits as a series directory:
#   make export KTREE=~/linux-work RANGE=base..my-branch DIR=series/NAME
export:
	@$(run) harness/export-series.sh $(call quote,$(call knob,KTREE)) $(call quote,$(call knob,RANGE)) $(call quote,$(call knob,DIR))
