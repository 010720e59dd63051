# Shared by bench/*_step.sh, bench/dfad_iteration.sh and bench/compare.sh (sourced, not run).
# Options: --batch B --ngf N --threads T --iters I --profile-ops STEP --bf16 --keep (each script
# documents which it reads); the dfkd binary: $DFKD_BIN, else build/bin/dfkd.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
PY=${PYTHON:-/usr/bin/python3}
dfkd=${DFKD_BIN:-$repo/build/bin/dfkd}

bench_usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

# bench_parse DEFAULT_BATCH "$@": sets batch ngf threads iters profile_ops keep, and precision_json
# (the experiment's train-block entry: empty for fp32, `, "precision": "bf16"` with --bf16).
bench_parse() {
  batch=$1; shift
  ngf=64 threads=2 iters=5 profile_ops="" keep="" precision_json=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --batch) batch=$2; shift 2 ;;
      --ngf) ngf=$2; shift 2 ;;
      --threads) threads=$2; shift 2 ;;
      --iters) iters=$2; shift 2 ;;
      --profile-ops) profile_ops=$2; shift 2 ;;
      --keep) keep=1; shift ;;
      --bf16) precision_json=', "precision": "bf16"'; shift ;;
      -h|--help) bench_usage 0 ;;
      *) echo "$(basename "$0"): unknown option $1" >&2; bench_usage ;;
    esac
  done
  for v in "$batch" "$ngf" "$threads" "$iters"; do
    [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "$(basename "$0"): expected positive integers, found '$v'" >&2; exit 2; }
  done
  [ -z "$profile_ops" ] || [[ "$profile_ops" =~ ^[0-9]+$ ]] ||
    { echo "$(basename "$0"): --profile-ops: expected a step number, found '$profile_ops'" >&2; exit 2; }
  if [ ! -x "$dfkd" ]; then
    echo "$(basename "$0"): no dfkd binary at $dfkd: build it (cmake --build build) or set DFKD_BIN" >&2
    exit 2
  fi
}

# bench_iterations: the main-loop iterations to run: a warm-up, iters timed ones and, with
# --profile-ops, one more (the profiled step is left out of the timing).
bench_iterations() { echo $((iters + 1 + (${#profile_ops} > 0 ? 1 : 0))); }

# bench_tmpdir: $tmp, removed on exit unless --keep.
bench_tmpdir() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/dfkd-bench.XXXXXX")
  if [ -n "$keep" ]; then echo "$(basename "$0"): files kept in $tmp" >&2; else trap 'rm -rf "$tmp"' EXIT; fi
}

# bench_mnist_dir: the dataset `dir` option for the MNIST subset (small: loads in a blink; the
# step times do not depend on the dataset's size) ("" = $DFKD_DATA/mnist).
bench_mnist_dir() {
  if [ -f "$repo/data/mnist-subset/train-images-idx3-ubyte.gz" ]; then
    mnist_dir=$repo/data/mnist-subset
  elif [ -n "${DFKD_DATA:-}" ]; then
    mnist_dir=""
  else
    echo "$(basename "$0"): no MNIST subset in $repo/data/mnist-subset: run bash scripts/mnist-subset.sh (or scripts/setup.sh)" >&2
    exit 2
  fi
}

# bench_run JSON ROW [no-teacher]: runs the experiment's ROW (and the teacher it needs) in this
# process into a fresh store, appending each main-loop iteration's seconds to $tmp/it.jsonl. With
# --profile-ops the teacher (unless no-teacher) is trained first without it, so that the step
# profiled is ROW's.
bench_run() {
  local json=$1 row=$2 teacher=${3:-}
  local common=(run "$json" --profile bench --seeds 1 --threads "$threads" --no-table
                --db "$tmp/bench.db" --time-iterations "$tmp/it.jsonl")
  if [ -n "$profile_ops" ]; then
    [ "$teacher" = no-teacher ] ||
    "$dfkd" "${common[@]}" --only Teacher > "$tmp/teacher.log" 2>&1 ||
      { cat "$tmp/teacher.log" >&2; echo "$(basename "$0"): the teacher run failed" >&2; exit 1; }
    "$dfkd" "${common[@]}" --only "$row" --profile-ops "$profile_ops" > "$tmp/run.log" 2>&1 ||
      { cat "$tmp/run.log" >&2; echo "$(basename "$0"): dfkd run failed" >&2; exit 1; }
    # The operator table: from its heading to the next line that is not part of it.
    awk '/operators of .* by self time/ {on = 1} on && /^\[/ && !/operators of/ {on = 0} on' "$tmp/run.log" >&2
  else
    "$dfkd" "${common[@]}" --only "$row" > "$tmp/run.log" 2>&1 ||
      { cat "$tmp/run.log" >&2; echo "$(basename "$0"): dfkd run failed" >&2; exit 1; }
  fi
}

# bench_report NAME ROW: NAME MEDIAN (min … max …) of ROW's iterations in $tmp/it.jsonl, the first
# (warm-up) dropped, and the --profile-ops step (it ran under the profiler).
bench_report() {
  "$PY" - "$tmp/it.jsonl" "$1" "$2" "${profile_ops:--1}" <<'PYEOF'
import json, statistics, sys
path, name, row, profiled = sys.argv[1:]
lines = [json.loads(l) for l in open(path) if l.strip()]
steps = sorted((l for l in lines if l["row"] == row), key=lambda l: l["step"])[1:]
secs = [l["seconds"] for l in steps if l["step"] != int(profiled)]
if not secs:
    sys.exit(f"{name}: no timed iterations of row {row!r} in {path} (need iters >= 1 after the warm-up)")
print(f"{name} {statistics.median(secs):.3f} (min {min(secs):.3f} … max {max(secs):.3f})")
PYEOF
}
