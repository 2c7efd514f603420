# wal4j — see README.md. `make run` and `make test` do all the set-up a fresh
# machine needs, given a JDK >= 25, Maven, gcc and make.

SHELL := /bin/bash
.DEFAULT_GOAL := run

# The build targets Java 25 (pom.xml); FFM alone would need 22.
MIN_JDK := 25

# A JDK >= $(MIN_JDK): JAVA_HOME if it is new enough, else the newest under /usr/lib/jvm.
# A JDK's feature version is read from its `release` file (JAVA_VERSION="25.0.1").
JDK := $(shell \
  feature() { v=$$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$$1/release" 2>/dev/null); \
              [ -x "$$1/bin/javac" ] && [ -n "$$v" ] && [ "$$v" -ge $(MIN_JDK) ] && echo "$$v $$1"; }; \
  if [ -n "$$JAVA_HOME" ] && feature "$$JAVA_HOME" >/dev/null; then echo "$$JAVA_HOME"; \
  else for d in /usr/lib/jvm/*; do feature "$$d"; done | sort -rn | head -n 1 | cut -d' ' -f2-; fi)

ifeq ($(strip $(JDK)),)
$(error wal4j needs a JDK >= $(MIN_JDK) (the build targets Java 25). None found: JAVA_HOME='$(JAVA_HOME)' is not one, and none is under /usr/lib/jvm. Install one (e.g. Temurin 25) or set JAVA_HOME)
endif

export JAVA_HOME := $(JDK)
JAVA := $(JDK)/bin/java
# Maven's own guava touches sun.misc.Unsafe; silence the JDK 24+ warning about it.
export MAVEN_OPTS ?= --sun-misc-unsafe-memory-access=allow
MVN := mvn -B -ntp

CLI_JAR := cli/target/wal4j-cli.jar
DATA_DIR ?= ./data
ARGS ?=

JEXTRACT ?= jextract

.PHONY: run quiet-build-check test crash-total crash-test powercut-tools powercut-test fuzz bench bench-peers bindings native clean jdk

jdk:
	@echo "JDK: $(JDK)"

$(CLI_JAR): $(shell find pom.xml java/pom.xml java/src/main cli/pom.xml cli/src/main native bindings -type f 2>/dev/null)
	@echo "building $(CLI_JAR) (mvn package, no tests)"
	@$(MVN) -q -DskipTests -pl cli -am package

## run: build, then `wal4j fsync-test` on $(DATA_DIR) (extra flags: make run ARGS="--seconds 1")
run: $(CLI_JAR)
	@mkdir -p $(DATA_DIR)
	@$(JAVA) -jar $(CLI_JAR) fsync-test --dir $(DATA_DIR) $(ARGS)

## quiet-build-check: fails unless make run's build step runs no test and prints only its one line
## (.ci/run runs it first)
quiet-build-check:
	@rm -rf java/target/surefire-reports* cli/target/surefire-reports*
	@out=$$($(MAKE) -s -B $(CLI_JAR) 2>&1); rc=$$?; printf '%s\n' "$$out"; [ $$rc = 0 ] || exit $$rc; \
	  lines=$$(printf '%s\n' "$$out" | sed 's/\x1b\[[0-9;]*m//g' | grep -c .); \
	  if ls -d java/target/surefire-reports* cli/target/surefire-reports* >/dev/null 2>&1; then echo "make run's build step ran tests"; exit 1; fi; \
	  if [ "$$lines" != 1 ]; then echo "make run's build step printed $$lines lines, not 1"; exit 1; fi; \
	  echo "quiet build: no tests ran, one line printed"

## test: the whole suite, twice: with native access (PosixIo) and without it (JavaIo fallback);
## ends with the crash tests' total over both runs (each test adds a line to $(CRASH_TALLY))
CRASH_TALLY := java/target/crash-tally.txt
test: powercut-tools
	@rm -f $(CRASH_TALLY)
	$(MVN) verify; rc=$$?; $(MAKE) -s crash-total; exit $$rc

## powercut-tools: mkfs.xfs for the power-cut tests: installs xfsprogs when it is missing and this runs
## as root with apt-get; otherwise does nothing (the XFS power-cut tests then skip, or fail with CI=true)
powercut-tools:
	@if ! command -v mkfs.xfs >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq xfsprogs >/dev/null || echo "installing xfsprogs failed"; \
	  else echo "mkfs.xfs not found and not root: the XFS power-cut tests will not run"; fi; \
	fi

## powercut-test: the power-cut tests (docs/power-cut-tests.md) with CUTS power cuts per workload
## (make test runs 15 each), POWERCUT_SEED choosing the moments
CUTS ?= 100
POWERCUT_SEED ?= 1
powercut-test: powercut-tools
	$(MVN) -pl native,java test -Dtest='PowerCutTest' -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dwal4j.powercut.cuts=$(CUTS) -Dwal4j.powercut.seed=$(POWERCUT_SEED)

crash-total:
	@awk '{p += $$1; i += $$2; v += $$3} END {printf "crash points: %d, images: %d, violations: %d\n", p, i, v}' \
	  $(CRASH_TALLY) 2>/dev/null || echo "crash points: 0, images: 0, violations: 0 (no crash test ran)"

## crash-test: the crash-point explorations (journal, gohacks and go-wally ports) with more seeds (SEEDS=25 by default; make test runs 14),
## and long workloads of LONG_OPS operations (400 in make test) crashed at POINTS random calls each
## (300 in make test), LONG_SEED choosing the run; CONCURRENT=false leaves out the concurrent
## appenders and INTERVAL mode (see docs/test-suite.md). The tests' own timeouts, sized for make test, are off:
## CRASH_TIMEOUT (seconds, 6 hours by default) bounds each of the two test runs instead
SEEDS ?= 25
LONG_OPS ?= 2000
POINTS ?= 2000
LONG_SEED ?= 11
CONCURRENT ?= true
CRASH_TIMEOUT ?= 21600
crash-test:
	@rm -f $(CRASH_TALLY)
	$(MVN) -pl native,java test -Dtest='CrashPointExplorationTest,WriteAheadLogCrashTest,LogCrashTest' -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dwal4j.crash.seeds=$(SEEDS) -Dwal4j.crash.concurrent=$(CONCURRENT) -Dwal4j.crash.longOps=$(LONG_OPS) \
	  -Dwal4j.crash.randomPoints=$(POINTS) -Dwal4j.crash.longSeed=$(LONG_SEED) \
	  -Djunit.jupiter.execution.timeout.mode=disabled -Dsurefire.timeout=$(CRASH_TIMEOUT); rc=$$?; $(MAKE) -s crash-total; exit $$rc

## fuzz: Jazzer fuzzes each target of RecoveryFuzzTest for FUZZ_TIME (new inputs go to java/.cifuzz-corpus/)
FUZZ_TIME ?= 60s
FUZZ_TARGETS ?= frameDecoderNeverThrowsAndStaysInBounds headerDecoderGivesAHeaderOrAFormatException \
  journalRecoveryOfArbitraryFramesGivesAValidPrefixOrCorruption wallyLogOpensArbitraryBytesOrSaysInvalid \
  gohacksWalOpensArbitraryBytesOrSaysInvalid
fuzz:
	set -e; for t in $(FUZZ_TARGETS); do \
	  JAZZER_FUZZ=1 $(MVN) -q -pl native,java test -Dtest="RecoveryFuzzTest#$$t" -Dsurefire.failIfNoSpecifiedTests=false \
	    -Dwal4j.fuzz=true -Djazzer.max_duration=$(FUZZ_TIME) 2>&1 | grep -E '^#[0-9]+.*DONE|Done [0-9]+ runs|FAIL|Finding' || true; \
	done

## bench: the JMH benchmarks; results go to bench/results/
bench:
	$(MVN) -q -DskipTests package
	@mkdir -p bench/results
	$(JAVA) --sun-misc-unsafe-memory-access=allow -jar bench/target/wal4j-bench.jar \
	  -rf json -rff bench/results/jmh-$$(date +%Y%m%d-%H%M%S).json $(ARGS)

## bench-peers: wal4j side by side with RocksDB, SQLite, JRaft's log, Chronicle Queue and plain
## FileChannel logs (docs/measurements.md#peers); results, tables and charts go to bench/results/.
## PEERS_DIR: where the peers write (default: under ./data, the disk being measured).
PEERS_DIR ?= $(DATA_DIR)/peer-bench
bench-peers:
	$(MVN) -q -DskipTests -Dmaven.javadoc.skip=true package -pl native,java,jraft,bench -am
	@mkdir -p bench/results $(PEERS_DIR)
	stamp=$$(date +%Y%m%d); $(JAVA) --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
	  -Dchronicle.analytics.disable=true --add-exports=java.base/sun.nio.ch=ALL-UNNAMED \
	  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED \
	  -cp bench/target/wal4j-bench.jar org.wal4j.bench.peers.PeerBench --dir $(PEERS_DIR) \
	  --json bench/results/peers-$$stamp.json --markdown bench/results/peers-$$stamp.md \
	  --chart bench/results/peers-$$stamp.png $(ARGS)

## native: libwal4j.so alone (native/target/libwal4j.so)
native:
	$(MVN) -q -pl native package

## bindings: regenerate bindings/src with jextract (JEXTRACT=/path/to/jextract); see bindings/README.md
bindings:
	@command -v $(JEXTRACT) >/dev/null || { echo "jextract not found: set JEXTRACT=/path/to/bin/jextract (see bindings/README.md)"; exit 1; }
	rm -rf bindings/target && mkdir -p bindings/target/java
	cd bindings && $(JEXTRACT) @libc.args --output target/java libc.h
	cd bindings && $(JEXTRACT) @wal4j.args --output target/java ../native/include/wal4j.h
	rm -rf bindings/src/main/java && mkdir -p bindings/src/main && mv bindings/target/java bindings/src/main/java && rm -rf bindings/target

clean:
	$(MVN) -q clean
