#!/usr/bin/env bash
# Runs the libFuzzer targets built in build-fuzz/ (tests/fuzz/<name>_fuzzer.cc) over their corpora
# in tests/fuzz/corpus/<name>/.
#   bash scripts/fuzz.sh smoke          every target for 5 s over its corpus (what CI does)
#   bash scripts/fuzz.sh run NAME SECS  one target (NAME without _fuzzer) for SECS seconds
# Crash reproducers are written to .fuzz-artifacts/; add them to the target's corpus when fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-smoke}
mkdir -p .fuzz-artifacts
run_one() {
  local name=$1 secs=$2 corpus=tests/fuzz/corpus/$1
  mkdir -p "$corpus"
  local scratch
  scratch=$(mktemp -d)
  echo "fuzz: $name for ${secs}s"
  local rc=0
  build-fuzz/tests/fuzz/"${name}_fuzzer" -max_total_time="$secs" -max_len=4096 -print_final_stats=0 \
    -artifact_prefix=.fuzz-artifacts/"$name"- "$scratch" "$corpus" 2>&1 | tail -n 2 || rc=$?
  rm -rf "$scratch"
  if ((rc != 0)); then echo "fuzz: $name FAILED (exit $rc): see .fuzz-artifacts/$name-*"; fi
  return "$rc"
}
case "$mode" in
  smoke)
    # One target per core at a time; each one's lines are printed together when it ends, and a
    # crash in any of them fails the run.
    export -f run_one
    ls build-fuzz/tests/fuzz/ | sed -n 's/_fuzzer$//p' |
      xargs -P "$(nproc)" -I{} bash -c 'set -o pipefail; out=$(run_one {} 5 2>&1); rc=$?
                                        printf "%s\n" "$out"; exit "$rc"' ;;
  run)
    run_one "$2" "$3" ;;
  *)
    echo "usage: fuzz.sh smoke | run NAME SECONDS" >&2; exit 2 ;;
esac
