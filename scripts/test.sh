#!/usr/bin/env bash
# Sets up everything and runs every test: the release build's integration tests, the unit tests
# under ASan+UBSan (clang, in the fuzz build), a smoke run of every fuzz target, and the format
# check.
# Usage: bash scripts/test.sh        (CI runs exactly this through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

# Each step says how long the run has taken so far, so a slow step shows in the CI log.
step() { printf '\n==> %s (%dm%02ds so far)\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }

step "installing Debian packages"
bash scripts/setup.sh

step "format check (clang-format)"
mapfile -t sources < <(git ls-files '*.h' '*.cc' '*.cu' '*.cuh')
clang-format --dry-run -Werror "${sources[@]}"

step "release build"
# Release: the build type a packager makes (-O3 finds warnings -O2 does not). Its tests are the
# integration tests: the unit tests run in the ASan+UBSan build below, and building them twice
# cost CI four minutes.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTESSERA_WERROR=ON \
  -DTESSERA_BUILD_UNIT_TESTS=OFF >/dev/null
cmake --build build -j"$jobs"

step "integration tests"
ctest --test-dir build --output-on-failure

step "sanitizer build (clang, ASan+UBSan): the unit tests and the fuzz targets"
# One build for both: every module with ASan+UBSan and the fuzzers' coverage instrumentation.
# -O0: the quickest to compile (CI runs the fuzzers for seconds only); -g1: line tables for the
# sanitizers' reports.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS_DEBUG="-O0 -g1" -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DTESSERA_WERROR=ON \
  -DTESSERA_FUZZ=ON -DTESSERA_BUILD_BENCHES=OFF >/dev/null
cmake --build build-fuzz -j"$jobs" --target sanitizer_checks

step "unit tests under ASan+UBSan"
# The unit tests share nothing (no fixed ports, no files), so both cores run them.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-fuzz -L unit --output-on-failure -j"$jobs"

step "fuzz targets: a smoke run over the committed corpora"
bash scripts/fuzz.sh smoke

step "all tests passed"
