#!/usr/bin/env bash
# The README's main job after the build, timed step by step into a fresh store, for one checkout
# or several side by side (issue 15: "the quick main job at least 2x faster than before").
#   bash bench/main_job.sh [--profile P] [CHECKOUT...]
#     CHECKOUT: default this one; each needs its build/ and data/ (this one's binary: $DFKD_BIN if set)
#     --profile: table1's profile (default quick, the main job's; smoke also runs two_moons at smoke)
# Every checkout runs the steps every version of the main job has had: `dfkd run
# experiments/table1.json --profile quick`, `dfkd run experiments/two_moons.json` and `dfkd plot`
# of both (the HTML report, added later, is timed apart where the checkout has it). They run one
# after the other, never at once: give them a quiet machine, and compare only figures of one call.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
profile=quick
if [ "${1:-}" = --profile ]; then profile=$2; shift 2; fi
moons=()  # the main job runs two_moons at its default profile
[ "$profile" = quick ] || moons=(--profile "$profile")
checkouts=("$@")
[ ${#checkouts[@]} -gt 0 ] || checkouts=("$here")
work=$(mktemp -d)
if [ -n "${BENCH_KEEP:-}" ]; then echo "stores and logs kept in $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

seconds_of() {  # COMMAND...: runs it, prints its wall seconds
  local t0
  t0=$(date +%s.%N)
  "$@" > "$work/step.log" 2>&1 || { cat "$work/step.log" >&2; return 1; }
  awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.1f", a-b}'
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| checkout | commit | table1 $profile | two_moons | plots | main job (these three) | report |"
echo "|---|---|---|---|---|---|---|"
i=0
for dir in "${checkouts[@]}"; do
  dir=$(cd "$dir" && pwd)
  i=$((i + 1))
  dfkd=$dir/build/bin/dfkd
  [ "$dir" != "$here" ] || [ -z "${DFKD_BIN:-}" ] || dfkd=$DFKD_BIN
  [ -x "$dfkd" ] || { echo "bench/main_job.sh: $dfkd not built (run scripts/build.sh there)" >&2; exit 2; }
  export DFKD_DB=$work/$i/results.db
  mkdir -p "$work/$i"
  cd "$dir"
  t1=$(seconds_of "$dfkd" run experiments/table1.json --profile "$profile" --no-table)
  t2=$(seconds_of "$dfkd" run experiments/two_moons.json "${moons[@]}" --no-table)
  t3=$(seconds_of bash -c "'$dfkd' plot experiments/table1.json --profile $profile && '$dfkd' plot experiments/two_moons.json ${moons[*]}")
  report="–"
  if "$dfkd" --help | grep -q "^  report "; then  # the HTML report came later
    report="$(seconds_of "$dfkd" report experiments/table1.json experiments/two_moons.json --out "$work/$i/report") s"
  fi
  total=$(awk -v a="$t1" -v b="$t2" -v c="$t3" 'BEGIN{printf "%.1f", a+b+c}')
  echo "| $dir | $(git -C "$dir" rev-parse --short HEAD) | $t1 s | $t2 s | $t3 s | **$total s** | $report |"
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
