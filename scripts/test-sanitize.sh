#!/usr/bin/env bash
# The sanitizer stage of scripts/test.sh: dfkd (host, SDK, every plugin, dfkd_tests) built with
# AddressSanitizer + UndefinedBehaviorSanitizer (-DDFKD_SANITIZE=ON, -O1) into build-asan/, then
# every GoogleTest test, the CLI end-to-end tests included: they spawn the instrumented `dfkd`,
# which loads the instrumented plugins. The suite runs as $(nproc) gtest shards, one process each,
# not one process per test as ctest would: LibTorch + plugin start-up under ASan costs ~1 s per
# process (289 processes: 11 min here; two shards: 4). Any report fails the stage, also one from a
# child process whose stderr a test swallowed: reports go to build-asan/sanitizer-logs/.
# Not run here: sdk_install (packaging of an out-of-tree build, no dfkd code of its own) and
# slurm_e2e (a Slurm daemon runs the workers; the Release stage covers both).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -G Ninja -DDFKD_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" >/dev/null
cmake --build build-asan --parallel "$(nproc)" --target dfkd_tests

logs="$PWD/build-asan/sanitizer-logs"
rm -rf "$logs" && mkdir -p "$logs"
# Reports name files and lines through llvm-symbolizer (llvm-14, scripts/setup.sh).
if symbolizer=$(command -v llvm-symbolizer-14); then export ASAN_SYMBOLIZER_PATH=$symbolizer; fi
export ASAN_OPTIONS="log_path=$logs/asan:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1"
status=0
shards=$(nproc)
pids=()
for ((i = 0; i < shards; i++)); do
  (cd build-asan/tests && GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i \
     ../bin/dfkd_tests --gtest_brief=1 >"../shard-$i.log" 2>&1) &
  pids+=($!)
done
for ((i = 0; i < shards; i++)); do
  if wait "${pids[$i]}"; then
    grep -E '^\[ +(PASSED|SKIPPED) +\] [0-9]+ test' "build-asan/shard-$i.log" | sed "s/^/shard $i: /"
  else
    echo "test-sanitize: shard $i failed (build-asan/shard-$i.log):" >&2
    tail -n 60 "build-asan/shard-$i.log" >&2
    status=1
  fi
done
if compgen -G "$logs/*" >/dev/null; then
  echo "test-sanitize: sanitizer reports:" >&2
  for f in "$logs"/*; do echo "== $f" >&2; cat "$f" >&2; done
  status=1
fi
exit $status
