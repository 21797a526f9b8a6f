# ovacts: `make run` and `make test` do everything on a fresh Debian 12 machine (root).
SHELL := /bin/bash
GO    ?= go
BIN   := bin/ovacts
OUT   := out
GOTESTSUM := $(GO) tool gotestsum --format testname
export CGO_ENABLED := 1
comma := ,

# The libguestfs Go binding, when golang-guestfs-dev is installed:
# scripts/guestfs-module.sh makes it a module under out/ and prints the
# -modfile flag that builds with it (nothing when absent: ovacts then builds
# without libguestfs and skips that area with the reason). Recursive (=), so it
# is evaluated when a recipe runs, after setup has installed the packages.
GFS_MODFLAG = $(shell bash scripts/guestfs-module.sh)
GFS_TAGS = $(if $(GFS_MODFLAG),guestfs)

# The suite version stamped into the binary (and every report): the release
# tag, else a pseudo-version of the commit (scripts/version.sh).
VERSION ?= $(shell bash scripts/version.sh)
LDFLAGS = $(if $(VERSION),-ldflags '-X main.version=$(VERSION)')

.PHONY: baselines service-release release coverage catalogue all setup stop packages guest build run test vet unit fuzz docs generate check-docs bench bench-guest bench-guestfs bench-run bench-migration clean

all: build

# Packages only: enough to build and run against test:///default.
packages:
	@bash scripts/setup.sh --packages

# Packages, /dev/kvm for the kvm group, virtlogd and libvirtd, the peer libvirtd,
# the Debian 13 stack (scripts/trixie.sh) and the loopback sshd (idempotent).
setup:
	@bash scripts/setup.sh

# Stops what setup started besides the host's libvirtd: the peer, the Debian 13
# stack (its root stays cached) and the sshd.
stop:
	@bash scripts/peer.sh stop
	@bash scripts/trixie.sh stop
	@bash scripts/sshd.sh stop

# The tiny guest OS of the guest scenarios, built from Debian packages and cached
# under /var/cache/ovacts/guest by package versions (rebuilt only when they change).
guest:
	@bash scripts/setup.sh --guest
	@bash fixtures/guest/build.sh >/dev/null

build: packages
	$(GO) build $(GFS_MODFLAG) -tags '$(GFS_TAGS)' $(LDFLAGS) -o $(BIN) ./cmd/ovacts

# The released binary (libvirt_dlopen: loads libvirt.so.0 at run time), its
# .deb and .rpm, a CycloneDX SBOM and SHA256SUMS, in out/dist (scripts/release.sh).
release:
	DIST=$(OUT)/dist VERSION=$(VERSION) bash scripts/release.sh

# The main job: the core profile on libvirt's built-in test driver (no daemon).
# A run on the test driver is a rehearsal: it never exits 0; exit 4 says it
# would be conformant, the only outcome this target accepts (README, "Exit codes").
run: build
	@./$(BIN) run --uri test:///default --profile core --junit $(OUT)/junit.xml; rc=$$?; \
	  if [ $$rc -ne 4 ]; then echo "make run: ovacts exited $$rc, want 4 (a rehearsal that would be conformant)"; exit 1; fi

# Everything: vet, the catalogue check, unit tests, and the conformance runs on
# test:///default and on the real libvirtd + QEMU stack of this machine.
# GOFLAGS carries the tags and the libguestfs modfile into the binaries tests build.
# The oVirt engine steps' self-test against an HTTPS stub writes its own report,
# labelled a self-test, to out/selftest (never a conformance result).
test: setup guest vet check-docs fuzz
	GOFLAGS='$(GFS_MODFLAG) -tags=realstack$(if $(GFS_TAGS),$(comma)guestfs)' OVACTS_SELFTEST_DIR=$(CURDIR)/$(OUT)/selftest OVACTS_SCREENSHOT_DIR=$(CURDIR)/$(OUT)/screenshots \
	  $(GOTESTSUM) --junitfile $(OUT)/go-tests.xml -- -race -count=1 -timeout 45m ./...

# Short fuzz runs of every reader of untrusted input (longer: make fuzz FUZZTIME=2000000x).
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can fail a
# target with a bare "context deadline exceeded" and no crasher when the clock
# runs out mid-execution (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 20000x
FUZZ_TARGETS := catalogue:FuzzParseTagExpr catalogue:FuzzLoadFeature harness:FuzzRedactURI harness:FuzzCheckURI harness:FuzzParseOwner reports:FuzzReadJUnit reports:FuzzReadProduct reports:FuzzReadManifest reports:FuzzReadWaivers reports:FuzzReadHistory
fuzz: packages
	@mkdir -p $(OUT)
	@for t in $(FUZZ_TARGETS); do \
	  p=$${t%%:*}; f=$${t#*:}; \
	  $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./$$p > $(OUT)/fuzz-$$f.log 2>&1 \
	    || { echo "fuzz $$f failed:"; cat $(OUT)/fuzz-$$f.log; exit 1; }; \
	  echo "fuzz $$f: ok ($(FUZZTIME))"; \
	done

vet: packages
	$(GO) vet ./...
	$(GO) vet -tags realstack ./...
	@if [ -n "$(GFS_MODFLAG)" ]; then echo "go vet -tags guestfs,realstack ./..."; $(GO) vet $(GFS_MODFLAG) -tags guestfs,realstack ./...; fi
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

# Unit tests only (no daemon needed).
unit: packages
	GOFLAGS='$(GFS_MODFLAG) -tags=$(GFS_TAGS)' $(GOTESTSUM) -- -count=1 ./...

docs: build
	./$(BIN) list --format markdown > docs/requirements.md

# The requirement set (features/sets/<set>.json), generated from the features:
# regenerates the draft set; SET=YYYY.MM starts the next one after a released
# set; RELEASE=YYYY-MM-DD releases it (then it never changes), and with
# EVIDENCE=a.xml,b.xml (the full runs on the reference stacks) refuses a
# release whose new requirements neither passed there nor carry a finding
# in docs/findings.md (docs/certification.md, "The release step"). Refuses steps
# changed under an existing ID without @revised:<set>, and a requirement gone
# without @deprecated in the set before (see docs/certification.md, "Requirement sets").
# Then docs/requirements.md, by setgen built anew (it embeds the set just written).
# Go alone: no cgo, no libvirt-dev, so no packages target unless Go is missing.
catalogue: $(if $(shell command -v $(GO)),,packages)
	CGO_ENABLED=0 $(GO) run ./cmd/setgen $(if $(SET),-set $(SET)) $(if $(RELEASE),-release $(RELEASE)) $(if $(EVIDENCE),-evidence $(EVIDENCE))
	CGO_ENABLED=0 $(GO) run ./cmd/setgen -requirements docs/requirements.md

# The reference baselines (docs/certification.md, "Reference baselines and
# triage"): the full profile BASELINE_RUNS times on each reference generation
# (Debian 12's qemu:///system with the peer; the Debian 13 daemons of
# scripts/trixie.sh), each run a bundle signed with the project's key
# PROJECT_KEY (never a vendor's), under baselines/<set>/libvirt-<x.y>/run-N,
# which ovacts triage reads with baselines/project.pub (scripts/baselines.sh).
BASELINE_RUNS ?= 3
PROJECT_KEY ?= $(HOME)/.config/ovacts/project.key
baselines: setup guest build
	BIN=$(BIN) RUNS=$(BASELINE_RUNS) PROJECT_KEY=$(PROJECT_KEY) OUT=baselines bash scripts/baselines.sh

# A service release of a released set after an accepted challenge
# (docs/certification.md, "Challenges and service releases"): SET=YYYY.MM
# EXCLUDE=REQ-ID REASON="..." LINK=https://... writes
# features/services/<set>.<n>.json (the previous release's exclusions and
# this one, a new digest); then make build, and commit it.
service-release:
	$(GO) run ./cmd/servicegen -set '$(SET)' -exclude '$(EXCLUDE)' -reason '$(REASON)' -link '$(LINK)' $(if $(RELEASED),-released $(RELEASED))

# Generated code: libvirt's error code names, from the pinned Go binding.
generate:
	$(GO) generate ./harness

# The generated files are current: the catalogue and the error code names.
check-docs: build
	@./$(BIN) list --format markdown | diff -u docs/requirements.md - \
	  || { echo "docs/requirements.md is stale: run 'make docs'"; exit 1; }
	@bash scripts/gen-errcodes.sh $(OUT)/errcodes_gen.go.new && diff -u harness/errcodes_gen.go $(OUT)/errcodes_gen.go.new \
	  || { echo "harness/errcodes_gen.go is stale: run 'make generate'"; exit 1; }

bench: packages
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Boot-to-agent time of the guest OS on the real stack (median of 5 boots).
bench-guest: setup guest
	$(GO) test -tags realstack -run '^$$' -bench BenchmarkGuestBoot -benchtime 5x ./harness

# Launch and shutdown of the libguestfs appliance through the Go binding (median of 5).
bench-guestfs: setup
	GOFLAGS='$(GFS_MODFLAG) -tags=realstack,guestfs' $(GO) test -run '^$$' -bench BenchmarkGuestfsLaunch -benchtime 5x ./steps

# The full profile's wall time, probe time, scenario time per area and the
# concurrency used, on the real stack (with the peer) and on the test driver;
# the median of 3 runs each.
bench-run: setup guest build
	$(GO) run ./cmd/benchrun -bin $(BIN) -runs 3 -peer-uri qemu+tcp://127.0.0.1:16509/system qemu:///system test:///default

# The share of libvirt's public API the scenarios enter (not the harness), on
# the test driver and on this machine's stack: docs/api-coverage.md and .json.
coverage: setup guest build
	@bash scripts/coverage.sh

# Migration times to the peer per kind (median of 3 migrations each).
bench-migration: setup
	$(GO) test -tags realstack -run '^$$' -bench BenchmarkMigration -benchtime 3x ./harness

clean:
	rm -rf bin $(OUT)
