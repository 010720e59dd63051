#!/usr/bin/env bash
# Times one supervised training step of the CIFAR ResNet-18 on the real dfkd path: the `supervised`
# method plugin with the `resnet` model plugin (depth 18) on a `cifar10` column, driven by the host
# engine (forward, cross-entropy, backward, SGD lr 0.1 momentum 0.9 wd 5e-4; as
# bench/pytorch/resnet18_step.py).
#   bash bench/resnet18_step.sh [--batch 128] [--threads 2] [--iters 5] [--profile-ops STEP] [--bf16] [--keep]
# CIFAR-10 cannot be downloaded here: the script writes a small random fixture in the official binary
# format (data_batch_1..5.bin of 256 records and test_batch.bin of 100; a record is 1 label byte +
# 3072 pixel bytes, R, G, B planes of 32x32) into a temporary directory and points the dataset's `dir`
# option there, with augment false (the step alone, as the PyTorch script). Runs `dfkd run
# --time-iterations` (1 epoch of iters + 1 iterations), drops the first (warm-up) and prints
# `resnet18_step_seconds MEDIAN (min MIN … max MAX)`. --profile-ops STEP: dfkd's top LibTorch operators
# of global step STEP (0 is the warm-up; with --profile-ops one more iteration runs, and the profiled step is
# left out of the timing).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_parse 128 "$@"
bench_tmpdir
cifar=$tmp/cifar-10-batches-bin
"$PY" - "$cifar" <<'PYEOF'
import os, random, sys
out = sys.argv[1]
os.makedirs(out)
rng = random.Random(0)
for name, n in [(f"data_batch_{i}.bin", 256) for i in range(1, 6)] + [("test_batch.bin", 100)]:
    with open(os.path.join(out, name), "wb") as f:
        for i in range(n):
            f.write(bytes([i % 10]) + rng.randbytes(3072))
PYEOF
cat > "$tmp/resnet18.json" <<JSON
{
  "experiment": "bench_resnet18_step",
  "title": "bench/resnet18_step.sh: supervised ResNet-18 steps, batch $batch, random CIFAR-10 fixture",
  "metric": {"key": "test_accuracy", "selection": "final"},
  "seeds": 1,
  "train": {"iterations_per_epoch": 0, "eval_batch_size": 100, "save_generated": 0$precision_json},
  "columns": [
    {
      "name": "CIFAR-10",
      "dataset": {"plugin": "cifar10", "options": {"dir": "$cifar", "augment": false}},
      "student": {"plugin": "resnet", "options": {"depth": 18}},
      "teacher": {
        "model": {"plugin": "lenet5", "options": {"width": 0.5}},
        "method": {"plugin": "supervised"},
        "train": {"epochs": 1, "iterations_per_epoch": 1, "batch_size": 16}
      }
    }
  ],
  "rows": [
    {"name": "Teacher", "teacher": true},
    {
      "name": "ResNet18",
      "method": {"plugin": "supervised", "options": {"student_optimizer": "sgd", "student_lr": 0.1, "student_momentum": 0.9, "student_weight_decay": 0.0005}},
      "train": {"epochs": 1, "iterations_per_epoch": $(bench_iterations), "batch_size": $batch}
    }
  ],
  "default_profile": "bench",
  "profiles": {"bench": {"description": "one epoch of iters + 1 iterations"}}
}
JSON
bench_run "$tmp/resnet18.json" ResNet18 no-teacher
bench_report resnet18_step_seconds ResNet18
