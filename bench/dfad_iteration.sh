#!/usr/bin/env bash
# Times one DFAD iteration on the real dfkd path: the `dfad` method plugin driven by the host engine
# (5 student steps + 1 generator step; GeneratorA nz 100 -> LeNet-5 teacher / LeNet-5-half student on
# the MNIST subset column, as table1.json's DFAL row, with the dfad plugin's default optimizer
# settings, the same as bench/pytorch/dfad_iteration.py).
#   bash bench/dfad_iteration.sh [--batch 256] [--ngf 64] [--threads 2] [--iters 5] [--profile-ops STEP] [--bf16] [--keep]
# Writes a temporary experiment (teacher: `supervised`, 1 epoch x 2 iterations; accuracy is irrelevant
# here), runs `dfkd run --time-iterations` into a temporary store, drops the first DFAD iteration
# (warm-up) and prints `dfad_iteration_seconds MEDIAN (min MIN … max MAX)` over the other iters.
# --profile-ops STEP: also print dfkd's top LibTorch operators of DFAD global step STEP (0-based;
# 0 is the warm-up; with --profile-ops one more iteration runs, and the profiled step is left out of
# the timing). Run from anywhere; the binary is
# $DFKD_BIN or build/bin/dfkd; the MNIST subset is data/mnist (bash scripts/mnist-subset.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse 256 "$@"
bench_mnist_dir
bench_tmpdir
cat > "$tmp/dfad.json" <<JSON
{
  "experiment": "bench_dfad_iteration",
  "title": "bench/dfad_iteration.sh: DFAD iterations, batch $batch, ngf $ngf",
  "metric": {"key": "test_accuracy", "selection": "final"},
  "seeds": 1,
  "train": {"iterations_per_epoch": 0, "eval_batch_size": 1000, "save_generated": 0$precision_json},
  "columns": [
    {
      "name": "MNIST",
      "dataset": {"plugin": "mnist", "options": {"dir": "$mnist_dir"}},
      "student": {"plugin": "lenet5", "options": {"width": 0.5}},
      "teacher": {
        "model": {"plugin": "lenet5", "options": {"width": 1.0}},
        "method": {"plugin": "supervised", "options": {"student_optimizer": "sgd", "student_lr": 0.01, "student_momentum": 0.9, "student_weight_decay": 0.0001}},
        "train": {"epochs": 1, "iterations_per_epoch": 2, "batch_size": 64}
      }
    }
  ],
  "rows": [
    {"name": "Teacher", "teacher": true},
    {
      "name": "DFAD",
      "method": {
        "plugin": "dfad",
        "options": {"student_steps": 5, "student_optimizer": "sgd", "student_lr": 0.1, "student_momentum": 0.9,
                    "student_weight_decay": 0.0005, "generator_lr": 0.001}
      },
      "generator": {"plugin": "conv_generator", "options": {"nz": 100, "ngf": $ngf}},
      "train": {"epochs": 1, "iterations_per_epoch": $(bench_iterations), "batch_size": $batch, "save_generated": 0}
    }
  ],
  "default_profile": "bench",
  "profiles": {"bench": {"description": "one epoch of iters + 1 iterations"}}
}
JSON
bench_run "$tmp/dfad.json" DFAD
bench_report dfad_iteration_seconds DFAD
