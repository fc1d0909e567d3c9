# Convenience wrapper around CMake so the common jobs run from the repo root:
#   make          build build/parity and build/plugins/*.so
#   make parity   build, then run the default parity job (parity.json) and render reports
#   make test     build, then run every test with ctest
#   make asan     build with ASan+UBSan into build-asan and run the unit tests there
#   make bench    build and run the benchmarks
#   make bench-summary  run every benchmark once and print one table of their ratios
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps configure parity test asan bench bench-summary clean

all: configure
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@scripts/install-deps.sh

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

parity: all
	./$(BUILD)/parity run

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan: deps
	@test -f build-asan/CMakeCache.txt || cmake -S . -B build-asan -DPARITY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -L unit

bench: all
	cmake --build $(BUILD) --target bench -j $(JOBS)

bench-summary: all
	cmake --build $(BUILD) --target bench_summary

clean:
	rm -rf $(BUILD) build-asan
