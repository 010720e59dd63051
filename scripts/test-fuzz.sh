#!/usr/bin/env bash
# The fuzz stage of scripts/test.sh: the libFuzzer targets of tests/fuzz/ (IDX and CIFAR readers,
# experiment parser, plugin descriptor checks), built with clang-14 + ASan + UBSan into
# build-fuzz/. ctest replays every committed seed and regression input, then fuzzes each target
# for DFKD_FUZZ_SECONDS (default 30) and prints how many inputs each run executed.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S tests/fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 \
  -DDFKD_FUZZ_SECONDS="${DFKD_FUZZ_SECONDS:-30}" >/dev/null
cmake --build build-fuzz --parallel "$(nproc)"
status=0
(cd build-fuzz && ctest --output-on-failure -j "$(nproc)") || status=$?
# libFuzzer ends each run with "Done <N> runs in <S> second(s)".
awk '/ Testing: /{t=$3} /^Done [0-9]+ runs in/{printf "test-fuzz: %-20s %s runs in %s s\n", t, $2, $5}' \
  build-fuzz/Testing/Temporary/LastTest.log
if [ "$status" -ne 0 ]; then
  echo "test-fuzz: a crashing input is in build-fuzz/artifacts/<target>/: fix the bug, then commit" \
       "the input to tests/fuzz/regressions/<target>/ (ctest replays it from then on)" >&2
fi
exit $status
