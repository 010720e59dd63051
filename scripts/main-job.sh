#!/usr/bin/env bash
# The README's main job: build, run the two-moons experiment (paper Fig. 1), print its table and
# draw the figure. Completed runs in results/results.db are reused, so a second call is instant.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/bin/dfkd run experiments/two_moons.json
echo
echo "Figures (PNG, with their CSV data and gnuplot scripts beside them):"
./build/bin/dfkd plot experiments/two_moons.json
