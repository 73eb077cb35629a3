#!/usr/bin/env bash
# The ThreadSanitizer build (clang, -fsanitize=thread) of every unit test, and a run of them:
# the session, app and control tests join, leave, change layouts, create and delete rooms from
# several threads while the rooms tick (ServerRuntime.StormOf...), so a data race between the
# front ends, the rooms' ticks and the network shards shows here. Not in CI (its build alone
# takes about as long as CI's ASan build); run before each release (docs/testing.md).
#   bash scripts/tsan.sh            build build-tsan/ and run every unit test under TSan
#   bash scripts/tsan.sh TEST...    only these ctest names, e.g. unit.app unit.session
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
CC=clang CXX=clang++ cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DTESSERA_WERROR=ON \
  -DTESSERA_SANITIZER=thread -DTESSERA_BUILD_BENCHES=OFF -DTESSERA_WITH_CUDA=OFF >/dev/null
cmake --build build-tsan -j"$jobs" --target unit_tests
# halt_on_error=0: every race of a run is reported, and any report fails it (exitcode).
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan/suppressions.txt halt_on_error=0 exitcode=66 second_deadlock_stack=1 history_size=4"
regex=unit
if (($# > 0)); then regex="^($(IFS='|'; echo "$*"))\$"; fi
# One test executable at a time: TSan's shadow memory and slowdown are large.
ctest --test-dir build-tsan -L unit -R "$regex" --output-on-failure --timeout 1200
echo "tsan: no data race reported"
