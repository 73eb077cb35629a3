#!/usr/bin/env bash
# The churn soak under LeakSanitizer, before each release (docs/testing.md, "Churn soak under
# LeakSanitizer"): one tessera server under MINUTES of rooms, SIP calls and participants joining
# and leaving, impaired links and INVITE floods; RSS sampled; LeakSanitizer's report at exit.
#   bash scripts/soak.sh [MINUTES] [BUILD_DIR] [soak.py options...]    (defaults: 60, build-lsan)
# With BUILD_DIR build-lsan and its binaries missing, it configures and builds them first
# (RelWithDebInfo, -fsanitize=leak: LeakSanitizer alone, no shadow memory, so the RSS measured is
# the server's own). Any other BUILD_DIR (build: the release binaries) runs as it is; without
# LeakSanitizer in the binary the verdict says the leak check did not run.
# Exit status: 0 PASS, 1 FAIL, 2 INCOMPLETE (a check could not be made), 130 interrupted twice.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}
build=${2:-build-lsan}
shift $(($# < 2 ? $# : 2))
binaries=(tessera tessera-loadgen tessera-impair tessera-token)

missing=()
for b in "${binaries[@]}"; do [[ -x $build/$b ]] || missing+=("$b"); done
if ((${#missing[@]})); then
  if [[ $build != build-lsan ]]; then
    echo "soak: $build lacks ${missing[*]}: build them (cmake --build $build --target" \
      "${binaries[*]})" >&2
    exit 2
  fi
  echo "soak: building the LeakSanitizer binaries in build-lsan (missing: ${missing[*]})"
  cmake -S . -B build-lsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTESSERA_SANITIZER=leak \
    -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_BENCHES=OFF &&
    cmake --build build-lsan --target tessera tessera-loadgen tessera-impair tessera-token
else
  # Present: not rebuilt here, but an hour on a stale binary is an hour lost, so say so.
  newer=$(find src include tools -newer "$build/tessera" -type f -print -quit 2>/dev/null || true)
  if [[ -n $newer ]]; then
    echo "soak: warning: $newer is newer than $build/tessera; rebuild with" \
      "cmake --build $build --target ${binaries[*]}" >&2
  fi
fi
command -v sipp >/dev/null || {
  echo "soak: sipp is not installed (Debian: sip-tester; bash scripts/setup.sh)" >&2
  exit 2
}

# LeakSanitizer reports at exit: the server's own exit (SIGTERM, drain, return from main), and
# exitcode 23 tells a leak from any other failure (the default stack depth, 30 frames, reaches
# through FFmpeg's and the codecs' layers). ASAN_OPTIONS does the same for an ASan build given as
# BUILD_DIR. soak.py turns the check off for its helpers (load generator, relay, tessera-token):
# the verdict is about the server.
# No suppressions file: the soak's trial runs against build-lsan (the whole churn: rooms, SIP
# over UDP and TCP, floods, webhooks, H.264/VP8/Opus codecs, impaired links) ended with no leak
# report at all, so no library outside the project needs one. Should a system library's leak
# show up, put it in scripts/lsan.supp with a comment saying why it is not ours, and add
# suppressions=scripts/lsan.supp here.
lsan_defaults="detect_leaks=1:exitcode=23"
export LSAN_OPTIONS=${LSAN_OPTIONS:-$lsan_defaults}
export ASAN_OPTIONS=${ASAN_OPTIONS:-$lsan_defaults}

out=${SOAK_OUT:-/tmp/tessera-soak-$(date +%Y%m%d-%H%M%S)}
echo "soak: $minutes min with $build (LSAN_OPTIONS=$LSAN_OPTIONS); results in $out"
rc=0
python3 tests/soak/soak.py --minutes "$minutes" --build-dir "$build" --out "$out" "$@" || rc=$?
echo "soak: results in $out: result.json (the verdict), samples.csv (RSS, threads, fds every" \
  "10 s), tessera.stderr (the server's log and LeakSanitizer's report), errors.log"
exit "$rc"
