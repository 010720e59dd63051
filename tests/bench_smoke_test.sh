#!/usr/bin/env bash
# bench_smoke: bench/compare.sh (hence the three dfkd bench scripts and the four plain-PyTorch
# scripts) at tiny sizes, --profile-ops passthrough, and the DFAD MAC count. No timing is asserted:
# only that every script runs and prints its result line in the documented format.
# Skipped (77) when the Python interpreter cannot import torch (scripts/setup.sh installs
# python3-torch) or the MNIST subset is missing.
#   bash tests/bench_smoke_test.sh SOURCE_DIR DFKD_BINARY
set -euo pipefail
src=$1
export DFKD_BIN=$2
PY=${PYTHON:-/usr/bin/python3}
if ! "$PY" -c 'import torch' 2> /dev/null; then
  echo "bench_smoke: skipped: $PY cannot import torch (apt-get install python3-torch)"
  exit 77
fi
if [ ! -f "$src/data/mnist-subset/train-images-idx3-ubyte.gz" ] && [ -z "${DFKD_DATA:-}" ]; then
  echo "bench_smoke: skipped: no MNIST subset in $src/data/mnist-subset (bash scripts/mnist-subset.sh)"
  exit 77
fi
cd "$src"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { echo "bench_smoke: FAILED: $*"; cat "$out"; exit 1; }
num='[0-9]+\.[0-9]{3}'
line_re() { echo "^$1 $num \\(min $num … max $num\\)\$"; }

bash bench/compare.sh --batch 16 --ngf 4 --iters 1 --threads 1 --resnet-batch 2 --kd-batch 16 --conv-batch 2 \
  > "$out" 2> /dev/null || fail "bench/compare.sh"
cat "$out"
for w in "DFAD iteration" "ResNet-18 step" "KD step"; do
  grep -Eq "^\| $w .*\| [0-9]+\.[0-9]{2} \| [0-9]+\.[0-9]{2} \|\$" "$out" || fail "compare.sh: no table row for $w"
done
for w in "DFAD iteration" "ResNet-18 step"; do  # the bf16 table: train.precision bf16 end to end
  grep -Eq "^\| $w .*\| [0-9]+\.[0-9]{2} \| [0-9]+\.[0-9]{2} \| [0-9]+\.[0-9]{2} \|\$" "$out" ||
    fail "compare.sh: no bf16 table row for $w"
done
grep -Eq "^measured bf16 conv peak .*: [0-9.]+ GFLOP/s" "$out" || fail "compare.sh: no bf16 conv peak"
grep -q "^machine: " "$out" || fail "compare.sh: no machine line"
grep -q "^commit: " "$out" || fail "compare.sh: no commit line"
grep -Eq "^DFAD iteration GFLOP/s at the median: dfkd [0-9.]+ \([0-9]+% of the conv peak\)" "$out" ||
  fail "compare.sh: no GFLOP/s line"

# --profile-ops: the operator table of the DFAD step on stderr, the result line on stdout.
bash bench/dfad_iteration.sh --batch 8 --ngf 4 --iters 2 --threads 1 --profile-ops 1 > "$out" 2>&1 ||
  fail "bench/dfad_iteration.sh --profile-ops 1"
grep -Eq "$(line_re dfad_iteration_seconds)" "$out" || fail "dfad_iteration.sh: no result line"
grep -q "operators of DFAD / MNIST / seed 0 at global step 1 by self time" "$out" || fail "no operator table"
grep -q "aten::" "$out" || fail "no operators in the table"

# The DFAD MAC count of the issue (one iteration at batch 256, ngf 64: about 236 GMAC).
"$PY" bench/pytorch/dfad_iteration.py --macs > "$out" || fail "dfad_iteration.py --macs"
grep -qx "dfad_iteration_gmac 235.857" "$out" || fail "dfad_iteration.py --macs: expected 235.857 GMAC"
# The main job's steps timed (bench/main_job.sh) at the smoke profile: one table row, report timed.
bash bench/main_job.sh --profile smoke > "$out" 2>&1 || fail "bench/main_job.sh --profile smoke"
s='[0-9]+\.[0-9] s'
grep -Eq "^\| $src \| [0-9a-f]+ \| $s \| $s \| $s \| \*\*$s\*\* \| $s \|\$" "$out" ||
  fail "main_job.sh: no table row"
echo "bench_smoke: ok"
