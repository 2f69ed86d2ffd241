# The two commands a newcomer types: `make run` and `make test`.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
# Each tree's S3 tests get their own throwaway Ceph RGW (scripts/rgw.sh) on
# these ports (the mon on PORT-690), so the two trees never share one.
RGW_PORT      ?= 17480
ASAN_RGW_PORT ?= 17490
# ... and their own etcd (scripts/etcd.sh): client port, peer port +1, and
# +2..+9 for instances tests start themselves (tests/CMakeLists.txt).
ETCD_PORT      ?= 17380
ASAN_ETCD_PORT ?= 17390
# ... and their own Azurite (scripts/azurite.sh) for the azure tests.
AZURITE_PORT      ?= 17460
ASAN_AZURITE_PORT ?= 17465
CTEST_ARGS ?=
# make run [DATA=./data] [PORT=3200]: the demo's bucket and HTTP port
# (scripts/run-demo.sh); `rm -rf data` resets it.
DATA       ?= ./data
PORT       ?= 3200
# make bench [SCALE=4] [BIG=1] [RUNS=3] [PERF=1] (bench/README.md)
SCALE      ?= 1
BIG        ?= 0
RUNS       ?= 3
PERF       ?= 0

# make install [PREFIX=/usr/local] [DESTDIR=] [STRIP=1]: after a build, the
# binary to PREFIX/bin, the unit to PREFIX/lib/systemd/system and the example
# config to /etc/tracecompactor (cmake -DTC_SYSCONFDIR=... at build time to
# move it); an existing config there is kept (README "Installing with systemd").
PREFIX     ?= /usr/local
DESTDIR    ?=
STRIP      ?= 0

.PHONY: all deps deps-s3 deps-etcd deps-prometheus deps-compose deps-chromium deps-azurite build compile install build-asan run test test-plain test-asan test-tsan bench bench-ring bench-poll fuzz clean

all: build

deps:
	@scripts/install-deps.sh

# The S3 tests' Ceph RGW (mon, osd, radosgw); only `make test` needs it.
deps-s3:
	@scripts/install-deps.sh --s3

# The ring tests' etcd (etcd-server, etcdctl); only `make test` needs it.
deps-etcd:
	@scripts/install-deps.sh --etcd

# The mixin tests' prometheus and promtool (no service is left running);
# only `make test` needs them.
deps-prometheus:
	@scripts/install-deps.sh --prometheus

# docker-compose for tests/deploy (`docker-compose config`); only `make test` needs it.
deps-compose:
	@scripts/install-deps.sh --compose

# The bucket page's browser test (label browser): headless Chromium; only `make test` needs it.
deps-chromium:
	@scripts/install-deps.sh --chromium

# The azure tests' Azurite and Microsoft's @azure/storage-blob (npm, into
# .deps/azure); only `make test` needs them.
deps-azurite:
	@scripts/install-deps.sh --azurite

build: deps compile

# The build alone, packages assumed: the Dockerfile's build stage runs this
# after `install-deps.sh --only build`.
compile:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTC_RGW_PORT=$(RGW_PORT) -DTC_ETCD_PORT=$(ETCD_PORT) -DTC_AZURITE_PORT=$(AZURITE_PORT) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Installs what `make build` built, building nothing, so `make && sudo make
# install` leaves no root-owned files in the build tree.
install:
	@test -x $(BUILD)/tracecompactor || { echo "make install: no $(BUILD)/tracecompactor; run make build first" >&2; exit 1; }
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)" $(if $(filter 1,$(STRIP)),--strip)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTC_SANITIZE=ON -DTC_RGW_PORT=$(ASAN_RGW_PORT) -DTC_ETCD_PORT=$(ASAN_ETCD_PORT) -DTC_AZURITE_PORT=$(ASAN_AZURITE_PORT) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

run: build
	@BIN=$(BUILD)/tracecompactor DATA=$(DATA) PORT=$(PORT) scripts/run-demo.sh

test: test-plain test-asan

# ctest starts the RGW, etcd and Azurite once per run (fixtures "rgw", "etcd", "azurite") and stops
# them at the end.
test-plain: build deps-s3 deps-etcd deps-prometheus deps-compose deps-chromium deps-azurite
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-asan: build-asan deps-s3 deps-etcd deps-prometheus deps-compose deps-chromium deps-azurite
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-tsan: deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTC_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -L tsan $(CTEST_ARGS)

bench: build
	@scripts/install-deps.sh --bench
	@BUILD=$(BUILD) SCALE=$(SCALE) BIG=$(BIG) RUNS=$(RUNS) PERF=$(PERF) bench/run.sh

# make bench-ring [TENANTS=24] [TRACES=1500]: drain time with 1, 2, 3 replicas on an etcd ring.
TENANTS ?= 24
TRACES  ?= 1500
bench-ring: build deps-etcd
	@BUILD=$(BUILD) TENANTS=$(TENANTS) TRACES=$(TRACES) bench/ring.sh

# make bench-poll [SIZES="100000 1000000"] [S3_SIZE=100000]: blocklist polls of big buckets,
# incremental against a full re-read (bench/README.md, "Blocklist polling").
SIZES   ?= 100000 1000000
S3_SIZE ?= 100000
bench-poll: build
	@cmake --build $(BUILD) --target plan >/dev/null
	@BUILD=$(BUILD) SIZES="$(SIZES)" S3_SIZE=$(S3_SIZE) bench/poll.sh

clean:
	@for d in $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD); do scripts/rgw.sh stop $$d/rgw; scripts/etcd.sh stop $$d/etcd; scripts/azurite.sh stop $$d/azurite; done
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)

# Fuzzing (clang + libFuzzer): builds FUZZ_BUILD with TC_FUZZ=ON, seeds
# corpora from the fixtures, runs every target FUZZ_SECONDS (FUZZ_JOBS at
# once; FUZZ_TARGETS to pick some) and copies crashes to tests/fuzz/crashers/.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
FUZZ_TARGETS ?=

fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTC_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	@scripts/fuzz-seed.sh $(FUZZ_BUILD)/corpus
	@FUZZ_JOBS=$(FUZZ_JOBS) scripts/fuzz-run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
