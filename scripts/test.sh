#!/usr/bin/env bash
# The README's test command: set-up, Release build, the whole GoogleTest suite through ctest; then
# the same tests built with ASan + UBSan (scripts/test-sanitize.sh) and the libFuzzer targets
# (scripts/test-fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
(cd build && ctest --output-on-failure --timeout 900 -j "$(nproc)")
bash scripts/test-sanitize.sh
bash scripts/test-fuzz.sh
