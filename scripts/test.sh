#!/usr/bin/env bash
# The README's test command: set-up, Release build, the whole GoogleTest suite through ctest; then
# the same tests built with ASan + UBSan (scripts/test-sanitize.sh) and the libFuzzer targets
# (scripts/test-fuzz.sh). Prints how long each stage took (CI allows 90 minutes in all).
set -euo pipefail
cd "$(dirname "$0")/.."
timings=()
stage() {  # stage NAME COMMAND...: runs COMMAND, records its wall time under NAME
  local name=$1 start=$SECONDS
  shift
  "$@"
  timings+=("$(printf '%-10s %5d s' "$name" $((SECONDS - start)))")
}
ctest_release() {
  (cd build && ctest --output-on-failure --timeout 900 -j "$(nproc)")
  # A test skipped inside a suite's entry does not show in ctest's summary: list it.
  grep -hE '^\[  SKIPPED \] [^0-9]' build/Testing/Temporary/LastTest.log | sed 's/ ([0-9]* ms)$//' |
    sort -u | sed 's/^\[  SKIPPED \]/ctest: skipped inside its suite:/' || true
}
stage build bash scripts/build.sh
stage ctest ctest_release
stage sanitize bash scripts/test-sanitize.sh
stage fuzz bash scripts/test-fuzz.sh
echo "test.sh: stage wall times ($(nproc) cores):"
printf '  %s\n' "${timings[@]}"
