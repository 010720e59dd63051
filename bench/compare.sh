#!/usr/bin/env bash
# dfkd against the plain PyTorch scripts a user would otherwise write, back to back in one run.
#   bash bench/compare.sh [--batch 256] [--ngf 64] [--threads 2] [--iters 5]
#                         [--resnet-batch 128] [--kd-batch 128] [--conv-batch 256] [--no-bf16]
# For each workload (DFAD iteration at --batch/--ngf, ResNet-18 training step, KD step), runs
#   dfkd          bench/<workload>.sh (the real plugin + host engine path, build/bin/dfkd or $DFKD_BIN)
#   PyTorch       bench/pytorch/<workload>.py (NCHW, the default allocator)
#   PyTorch best  the same script with --channels-last under jemalloc with retained pages
#                 (LD_PRELOAD=libjemalloc.so.2 MALLOC_CONF=retain:true,dirty_decay_ms:-1,muzzy_decay_ms:-1)
# each one warm-up + --iters timed iterations, and prints a Markdown table (median, min … max seconds)
# with the ratios dfkd / PyTorch and dfkd / PyTorch best, then the measured fp32 conv peak
# (bench/pytorch/conv_peak.py, under jemalloc as PyTorch best) and dfkd's achieved GFLOP/s on the DFAD iteration (MACs from the layer
# shapes, bench/pytorch/dfad_iteration.py --macs) as a fraction of it. Then, unless --no-bf16, a
# second table for the DFAD iteration and the ResNet-18 step in bfloat16: dfkd with train.precision
# bf16 (--bf16) beside PyTorch best under torch.autocast("cpu", torch.bfloat16) (--bf16), with the
# ratios to each fp32 figure above, and the bf16 conv peak. Progress goes to stderr.
# Python: /usr/bin/python3 (Debian's, with python3-torch) or $PYTHON. Only ratios measured in the
# same run are meaningful: other processes on the machine change every figure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
PY=${PYTHON:-/usr/bin/python3}
dfkd=${DFKD_BIN:-$repo/build/bin/dfkd}
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
batch=256 ngf=64 threads=2 iters=5 resnet_batch=128 kd_batch=128 conv_batch=256 bf16=1
while [ $# -gt 0 ]; do
  case "$1" in
    --batch) batch=$2; shift 2 ;;
    --ngf) ngf=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --iters) iters=$2; shift 2 ;;
    --resnet-batch) resnet_batch=$2; shift 2 ;;
    --kd-batch) kd_batch=$2; shift 2 ;;
    --conv-batch) conv_batch=$2; shift 2 ;;
    --no-bf16) bf16=""; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
"$PY" -c 'import torch' 2> /dev/null || { echo "compare.sh: $PY cannot import torch (apt-get install python3-torch)" >&2; exit 2; }
[ -x "$dfkd" ] || { echo "compare.sh: no dfkd binary at $dfkd: build it or set DFKD_BIN" >&2; exit 2; }
export DFKD_BIN=$dfkd PYTHON=$PY
best_env=(env)
best_label="channels_last + jemalloc"
if [ -f "$jemalloc" ]; then
  best_env=(env LD_PRELOAD="$jemalloc" MALLOC_CONF=retain:true,dirty_decay_ms:-1,muzzy_decay_ms:-1)
else
  best_label="channels_last (jemalloc not installed: apt-get install libjemalloc2)"
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# measure KEY CMD...: runs CMD (its output to stderr as progress), sets $out to its KEY line's
# "MEDIAN (min … max …)" and $med to MEDIAN.
measure() {
  local key=$1; shift
  echo "compare.sh: $*" >&2
  "$@" > "$log" || { cat "$log" >&2; echo "compare.sh: failed: $*" >&2; exit 1; }
  cat "$log" >&2
  out=$(sed -n "s/^$key //p" "$log" | head -1)
  [ -n "$out" ] || { echo "compare.sh: no '$key' line from: $*" >&2; exit 1; }
  med=${out%% *}
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

model=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
cores=$(nproc)
commit=$(git -C "$repo" rev-parse --short HEAD)
git -C "$repo" diff --quiet HEAD -- 2> /dev/null || commit="$commit (with uncommitted changes)"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
torch_version=$("$PY" -c 'import torch; print(torch.__version__)')
dfkd_version=$("$dfkd" --version 2>&1 | head -1)

rows=()
row() {  # workload dfkd-cmd... -- python-script py-args...
  local name=$1 key=$2 pykey=$3 script=$4 pyargs=$5 dfkdargs=$6
  local d dm p pm b bm
  # shellcheck disable=SC2086
  measure "$key" bash "bench/$script.sh" $dfkdargs; d=$out; dm=$med
  # shellcheck disable=SC2086
  measure "$pykey" "$PY" "bench/pytorch/$script.py" $pyargs; p=$out; pm=$med
  # shellcheck disable=SC2086
  measure "$pykey" "${best_env[@]}" "$PY" "bench/pytorch/$script.py" $pyargs --channels-last; b=$out; bm=$med
  rows+=("| $name | $d | $p | $b | $(ratio "$dm" "$pm") | $(ratio "$dm" "$bm") |")
  eval "${script}_dfkd=$dm ${script}_py=$pm ${script}_best=$bm"
}
common="--threads $threads --iters $iters"
row "DFAD iteration (batch $batch, ngf $ngf)" dfad_iteration_seconds pytorch_dfad_iteration_seconds \
  dfad_iteration "--batch $batch --ngf $ngf $common" "--batch $batch --ngf $ngf $common"
row "ResNet-18 step (batch $resnet_batch)" resnet18_step_seconds pytorch_resnet18_step_seconds \
  resnet18_step "--batch $resnet_batch $common" "--batch $resnet_batch $common"
row "KD step LeNet-5 → half (batch $kd_batch)" kd_step_seconds pytorch_kd_step_seconds \
  kd_step "--batch $kd_batch $common" "--batch $kd_batch $common"
measure conv_peak_gflops "${best_env[@]}" "$PY" bench/pytorch/conv_peak.py --batch "$conv_batch" --threads "$threads" --iters "$iters"
peak=$med

# bf16: dfkd's train.precision bf16 beside PyTorch best under autocast; ratios to every fp32 figure.
bf16_rows=()
bf16_row() {  # name key pykey script args
  local name=$1 key=$2 pykey=$3 script=$4 args=$5 d dm b bm
  # shellcheck disable=SC2086
  measure "$key" bash "bench/$script.sh" $args --bf16; d=$out; dm=$med
  # shellcheck disable=SC2086
  measure "$pykey" "${best_env[@]}" "$PY" "bench/pytorch/$script.py" $args --channels-last --bf16; b=$out; bm=$med
  local py=${script}_py best=${script}_best
  bf16_rows+=("| $name | $d | $b | $(ratio "$dm" "${!py}") | $(ratio "$dm" "${!best}") | $(ratio "$dm" "$bm") |")
  eval "${script}_dfkd_bf16=$dm"
}
if [ -n "$bf16" ]; then
  bf16_row "DFAD iteration (batch $batch, ngf $ngf)" dfad_iteration_seconds pytorch_dfad_iteration_seconds \
    dfad_iteration "--batch $batch --ngf $ngf $common"
  bf16_row "ResNet-18 step (batch $resnet_batch)" resnet18_step_seconds pytorch_resnet18_step_seconds \
    resnet18_step "--batch $resnet_batch $common"
  measure conv_peak_gflops "${best_env[@]}" "$PY" bench/pytorch/conv_peak.py --batch "$conv_batch" --threads "$threads" --iters "$iters" --bf16
  peak_bf16=$med
fi
gmac=$("$PY" bench/pytorch/dfad_iteration.py --macs --batch "$batch" --ngf "$ngf" | sed -n 's/^dfad_iteration_gmac //p')
load1=$(cut -d' ' -f1-3 /proc/loadavg)

gflops() { awk -v g="$gmac" -v s="$1" 'BEGIN { printf "%.1f", 2 * g / s }'; }
frac() { awk -v g="$gmac" -v s="$1" -v p="$peak" 'BEGIN { printf "%.0f%%", 100 * 2 * g / s / p }'; }

echo
echo "machine: $model, $cores cores (lscpu/nproc); load average $load0 at the start, $load1 at the end"
echo "commit: $commit; dfkd: $dfkd ($dfkd_version); PyTorch $torch_version ($PY); --threads $threads; each figure: median (min … max) seconds of $iters iterations after one warm-up"
echo
echo "| workload | dfkd | PyTorch (NCHW) | PyTorch best ($best_label) | dfkd / PyTorch | dfkd / PyTorch best |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "DFAD iteration work (batch $batch, ngf $ngf, from the layer shapes): $gmac GMAC = $(awk -v g="$gmac" 'BEGIN { printf "%.1f", 2 * g }') GFLOP"
echo "measured fp32 conv peak (3x3 conv 128->128, 32x32, batch $conv_batch, forward, better layout): $peak GFLOP/s"
echo "DFAD iteration GFLOP/s at the median: dfkd $(gflops "$dfad_iteration_dfkd") ($(frac "$dfad_iteration_dfkd") of the conv peak), PyTorch $(gflops "$dfad_iteration_py") ($(frac "$dfad_iteration_py")), PyTorch best $(gflops "$dfad_iteration_best") ($(frac "$dfad_iteration_best"))"
if [ -n "$bf16" ]; then
  echo
  echo "bfloat16: dfkd with train.precision bf16; PyTorch best bf16 = the channels_last + jemalloc script under torch.autocast(\"cpu\", dtype=torch.bfloat16). Ratios are to the fp32 figures of the table above (fp32 PyTorch NCHW, fp32 PyTorch best) and to PyTorch best in bf16."
  echo
  echo "| workload | dfkd bf16 | PyTorch best bf16 | dfkd bf16 / PyTorch (NCHW fp32) | dfkd bf16 / PyTorch best (fp32) | dfkd bf16 / PyTorch best bf16 |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${bf16_rows[@]}"
  echo
  echo "measured bf16 conv peak (the same conv under autocast, better layout): $peak_bf16 GFLOP/s"
  echo "DFAD iteration GFLOP/s at the median, dfkd bf16: $(gflops "$dfad_iteration_dfkd_bf16") ($(frac "$dfad_iteration_dfkd_bf16") of the fp32 conv peak)"
fi
