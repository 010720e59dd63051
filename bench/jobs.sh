#!/usr/bin/env bash
# Benchmark for `dfkd run --jobs`: on this machine, do N worker processes x 1 thread beat one
# process x N threads? Each configuration runs the same plan into a fresh store (teachers
# included), alone on the machine. Prints a Markdown table of wall times.
#   bash bench/jobs.sh [smoke] [quick] [cpu]      (default: all three; cpu is a 5-run subset)
set -euo pipefail
cd "$(dirname "$0")/.."
dfkd=$PWD/build/bin/dfkd
cores=$(nproc)
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(smoke quick cpu)
work=$(mktemp -d)
if [ -n "${BENCH_KEEP:-}" ]; then echo "stores and logs kept in $work"; else trap 'rm -rf "$work"' EXIT; fi

echo "| profile | plan | runs | 1 process x $cores threads | $cores processes x 1 thread | speed-up |"
echo "|---|---|---|---|---|---|"
for p in "${profiles[@]}"; do
  args=(experiments/table1.json --profile "$p")
  plan="table1.json, all rows, MNIST + Fashion-MNIST, 1 seed"
  if [ "$p" = cpu ]; then
    args+=(--only KD,DFAL --dataset MNIST --seeds 2)
    plan="table1.json --only KD,DFAL --dataset MNIST --seeds 2 (teacher + 4 runs)"
  elif [ "$p" = smoke ]; then
    plan="table1.json, all rows, both columns, 1 seed"
  fi
  declare -A secs=()
  for jobs in 1 "$cores"; do
    db="$work/$p-$jobs.db"
    t0=$(date +%s.%N)
    "$dfkd" run "${args[@]}" --jobs "$jobs" --threads "$cores" --db "$db" --no-table > "$work/$p-$jobs.log" 2>&1
    secs[$jobs]=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{print a-b}')
  done
  runs=$("$dfkd" query "SELECT count(*) AS n FROM run" --db "$work/$p-1.db" --format csv | tail -1)
  printf "| %s | %s | %s | %.1f s | %.1f s | %.2fx |\n" "$p" "$plan" "$runs" "${secs[1]}" "${secs[$cores]}" \
    "$(awk -v a="${secs[1]}" -v b="${secs[$cores]}" 'BEGIN{print a/b}')"
done
