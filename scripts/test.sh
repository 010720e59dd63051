#!/usr/bin/env bash
# The README's test command: set-up, Release build, the whole GoogleTest suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 -j "$(nproc)"
