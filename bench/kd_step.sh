#!/usr/bin/env bash
# Times one KD step LeNet-5 -> LeNet-5-half on the real dfkd path: the `kd` method plugin driven by
# the host engine on the MNIST subset column, with the KD row of experiments/table1.json (T 4,
# alpha 0.9, gamma 0.1; SGD lr 0.01, momentum 0.9, wd 1e-4) and its cpu-profile batch size 128; as
# bench/pytorch/kd_step.py.
#   bash bench/kd_step.sh [--batch 128] [--threads 2] [--iters 5] [--profile-ops STEP] [--bf16] [--keep]
# Writes a temporary experiment (teacher: `supervised`, 1 epoch x 2 iterations), runs `dfkd run
# --time-iterations` (1 epoch of iters + 1 KD iterations), drops the first (warm-up) and prints
# `kd_step_seconds MEDIAN (min MIN … max MAX)`. --profile-ops STEP: dfkd's top LibTorch operators of KD
# global step STEP (0 is the warm-up; with --profile-ops one more iteration runs, and the profiled step is
# left out of the timing).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse 128 "$@"
bench_mnist_dir
bench_tmpdir
cat > "$tmp/kd.json" <<JSON
{
  "experiment": "bench_kd_step",
  "title": "bench/kd_step.sh: KD steps LeNet-5 -> LeNet-5-half, batch $batch",
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
      "name": "KD",
      "method": {
        "plugin": "kd",
        "options": {"student_optimizer": "sgd", "student_lr": 0.01, "student_momentum": 0.9, "student_weight_decay": 0.0001,
                    "temperature": 4.0, "alpha": 0.9, "gamma": 0.1}
      },
      "train": {"epochs": 1, "iterations_per_epoch": $(bench_iterations), "batch_size": $batch}
    }
  ],
  "default_profile": "bench",
  "profiles": {"bench": {"description": "one epoch of iters + 1 iterations"}}
}
JSON
bench_run "$tmp/kd.json" KD
bench_report kd_step_seconds KD
