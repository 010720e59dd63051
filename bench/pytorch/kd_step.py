#!/usr/bin/python3
"""One KD step LeNet-5 -> LeNet-5-half in plain PyTorch, written the way a user would (NCHW fp32
unless --channels-last, torch.no_grad() for the frozen teacher, the default allocator).

It mirrors dfkd's `kd` method plugin (plugins/method/kd/kd.cpp, kd_loss.cpp) with the settings of the
KD row of experiments/table1.json on its MNIST column: loss = gamma * CE(s, y) + alpha * T^2 *
KL(softmax(t/T) || softmax(s/T)) with T = 4, alpha = 0.9, gamma = 0.1 (the KL written as kd_loss.cpp
writes it: log_softmax of both, sum over classes of p_t (log p_t - log p_s), batch mean); SGD lr 0.01,
momentum 0.9, weight decay 1e-4. Batch size: 128 by default, the KD row's `cpu` (and `quick`) profile
batch (the row's own train block says 256; pass --batch 256 for that).
Networks as plugins/model/lenet5 (teacher width 1 in eval mode with frozen parameters, student width
0.5 in train mode). Batches are drawn like dfkd's batch source: index_select of a shuffled slice of an
in-memory set (8,000 random 1x32x32 images with labels in 0..9, the MNIST subset's size). Like the
plugin, it reads back the loss, the CE, the KD term and the batch accuracy with .item().
One warm-up step, then --iters timed ones. Prints
  pytorch_kd_step_seconds MEDIAN (min MIN … max MAX)
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402
from dfad_iteration import LeNet5  # noqa: E402


def kd_loss(student_logits, teacher_logits, temperature):
    log_ps = F.log_softmax(student_logits / temperature, dim=1)
    log_pt = F.log_softmax(teacher_logits.detach() / temperature, dim=1)
    kl = (log_pt.exp() * (log_pt - log_ps)).sum(1).mean()
    return temperature * temperature * kl


def main():
    p = bench_common.parse_args(__doc__.splitlines()[0], batch=128)
    p.add_argument("--train-size", type=int, default=8000,
                   help="images in the in-memory random training set (default 8000)")
    args = p.parse_args()
    bench_common.setup(args)
    mf = bench_common.memory_format(args)

    teacher = LeNet5(1.0).to(memory_format=mf)
    student = LeNet5(0.5).to(memory_format=mf)
    teacher.eval()
    for p_ in teacher.parameters():
        p_.requires_grad_(False)
    opt = torch.optim.SGD(student.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    temperature, alpha, gamma = 4.0, 0.9, 0.1
    images = torch.randn(args.train_size, 1, 32, 32).contiguous(memory_format=mf)
    labels = torch.randint(0, 10, (args.train_size,))
    state = {"order": torch.randperm(args.train_size), "cursor": 0}

    def next_batch():
        if state["cursor"] + args.batch > args.train_size:
            state["order"], state["cursor"] = torch.randperm(args.train_size), 0
        idx = state["order"][state["cursor"]:state["cursor"] + args.batch]
        state["cursor"] += args.batch
        return images.index_select(0, idx), labels.index_select(0, idx)

    def step():
        student.train()
        x, y = next_batch()
        with torch.no_grad():
            t = teacher(x)
        s = student(x)
        ce = F.cross_entropy(s, y)
        kd = kd_loss(s, t, temperature)
        loss = gamma * ce + alpha * kd
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        ce.item()
        kd.item()
        with torch.no_grad():
            s.argmax(1).eq(y).double().mean().item()

    bench_common.run(args, "pytorch_kd_step_seconds", step)


if __name__ == "__main__":
    main()
