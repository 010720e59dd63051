#!/usr/bin/env bash
# The sanitizer stage of scripts/test.sh: dfkd (host, SDK, every plugin, dfkd_tests) built with
# AddressSanitizer + UndefinedBehaviorSanitizer (-DDFKD_SANITIZE=ON, -O1) into build-asan/, then
# every GoogleTest test, the CLI end-to-end tests included: they spawn the instrumented `dfkd`,
# which loads the instrumented plugins. The suite runs as 4 x $(nproc) gtest shards, $(nproc) at a
# time, one process each, not one process per test as ctest would: LibTorch + plugin start-up under
# ASan costs ~2.5 s per process (289 processes: 11 min here; two shards: 4), while shards that many
# keep both cores busy to the end (two shards of ~270 tests once ended 4.5 min apart: gtest deals
# tests out by index, not by cost). Any report fails the stage, also one from a
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
shards=$((4 * $(nproc)))
rm -f build-asan/shard-*.log build-asan/shard-*.rc
# Each shard writes its exit code beside its log; xargs keeps nproc of them running.
seq 0 $((shards - 1)) | (cd build-asan/tests && xargs -P "$(nproc)" -I{} sh -c \
  'GTEST_TOTAL_SHARDS=$0 GTEST_SHARD_INDEX={} ../bin/dfkd_tests --gtest_brief=1 \
     >../shard-{}.log 2>&1; echo $? >../shard-{}.rc' "$shards")
for ((i = 0; i < shards; i++)); do
  if [ "$(cat "build-asan/shard-$i.rc" 2>/dev/null)" = 0 ]; then
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
