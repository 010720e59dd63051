#!/usr/bin/env bash
# The README's main job: build, then Table 1 at the `quick` budget (every row on MNIST and
# Fashion-MNIST, printed beside the paper's numbers), the two-moons experiment (paper Fig. 1) and
# the figures of both, and the HTML report of both (results/report/index.html). Completed runs in results/results.db are reused, so a second call takes
# seconds; an interrupted one resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
dfkd=./build/bin/dfkd
start=$(date +%s)
$dfkd run experiments/table1.json --profile quick
echo
$dfkd run experiments/two_moons.json
echo
echo "Figures (PNG, each with its CSV data and gnuplot script beside it):"
$dfkd plot experiments/table1.json --profile quick
$dfkd plot experiments/two_moons.json
echo
echo "HTML report (tables, figures, every run with its curves and generated samples; open it from disk):"
$dfkd report experiments/table1.json experiments/two_moons.json --out results/report
echo
echo "Main job done in $(( $(date +%s) - start )) s (after the build). Store: results/results.db;"
echo "more: build/bin/dfkd table table1 --profile quick --format latex|csv|json, build/bin/dfkd status."
