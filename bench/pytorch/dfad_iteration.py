#!/usr/bin/python3
"""One DFAD iteration in plain PyTorch, written the way a user would (NCHW fp32 unless
--channels-last, torch.no_grad() for the frozen teacher, the default allocator).

It mirrors dfkd's `dfad` method plugin (plugins/method/dfad/dfad.cpp) with its defaults:
  - GeneratorA as plugins/generator/conv_generator (DFAD's network/gan.py): Linear(nz, 2ngf*8*8)
    -> BN -> [nearest x2 upsample, conv3x3, BN(eps), LeakyReLU(0.2, inplace)] x 2 -> conv3x3 -> tanh
    -> BN(affine=False), for 1x32x32 images; nz 100, ngf --ngf; train mode throughout.
  - teacher LeNet-5 and student LeNet-5-half as plugins/model/lenet5 (conv5/relu/maxpool x2,
    conv5/relu, fc/relu, fc); teacher in eval mode with its parameters frozen (as dfkd's host does),
    student in train mode.
  - one iteration = 5 student steps (a new z each; x = G(z) and t = T(x) under no_grad; L1 (mean) of
    the logits; SGD lr 0.1, momentum 0.9, wd 5e-4) + 1 generator step (a new z; x = G(z), t = T(x)
    with autograd, s = S(x) with the student's parameters not requiring grad; loss -L1; Adam lr 1e-3).
    Like the plugin, it reads each loss back with .item().
One warm-up iteration, then --iters timed ones. Prints
  pytorch_dfad_iteration_seconds MEDIAN (min MIN … max MAX)
and the achieved GFLOP/s from the MAC count of the iteration (computed from the layer shapes, see
iteration_macs). `--macs` prints only `dfad_iteration_gmac N` (for bench/compare.sh) and exits.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402


class GeneratorA(nn.Module):
    def __init__(self, nz=100, ngf=64, nc=1, img_size=32, bn_eps=1e-5,
                 memory_format=torch.contiguous_format):
        super().__init__()
        self.init_size = img_size // 4
        self.memory_format = memory_format
        self.l1 = nn.Linear(nz, 2 * ngf * self.init_size ** 2)
        self.conv_blocks0 = nn.BatchNorm2d(2 * ngf)
        self.conv_blocks1 = nn.Sequential(
            nn.Conv2d(2 * ngf, 2 * ngf, 3, stride=1, padding=1),
            nn.BatchNorm2d(2 * ngf, eps=bn_eps),
            nn.LeakyReLU(0.2, inplace=True),
        )
        self.conv_blocks2 = nn.Sequential(
            nn.Conv2d(2 * ngf, ngf, 3, stride=1, padding=1),
            nn.BatchNorm2d(ngf, eps=bn_eps),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ngf, nc, 3, stride=1, padding=1),
            nn.Tanh(),
            nn.BatchNorm2d(nc, affine=False),
        )

    def forward(self, z):
        out = self.l1(z.view(z.shape[0], -1))
        img = out.view(out.shape[0], -1, self.init_size, self.init_size)
        img = img.contiguous(memory_format=self.memory_format)
        img = self.conv_blocks0(img)
        img = F.interpolate(img, scale_factor=2)
        img = self.conv_blocks1(img)
        img = F.interpolate(img, scale_factor=2)
        return self.conv_blocks2(img)


def lround(x):
    return int(math.floor(x + 0.5))


class LeNet5(nn.Module):
    """LeNet-5 (width 1) / LeNet-5-half (width 0.5) for Cx32x32 images."""

    def __init__(self, width=1.0, nc=1, num_classes=10):
        super().__init__()
        c1, c2, c3, f1 = lround(6 * width), lround(16 * width), lround(120 * width), lround(84 * width)
        self.conv1 = nn.Conv2d(nc, c1, 5)
        self.conv2 = nn.Conv2d(c1, c2, 5)
        self.conv3 = nn.Conv2d(c2, c3, 5)
        self.fc1 = nn.Linear(c3, f1)
        self.fc2 = nn.Linear(f1, num_classes)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = F.relu(self.conv3(h))
        h = F.relu(self.fc1(h.flatten(1)))
        return self.fc2(h)


def layer_macs(module, make_input, batch):
    """Forward MACs per layer (Conv2d/Linear, in module order) for a batch of `batch`."""
    counter = bench_common.MacCounter(module)
    was_training = module.training
    module.eval()
    with torch.no_grad():
        module(make_input(2))
    module.train(was_training)
    counter.remove()
    return [counter.by_module[m] // 2 * batch for m in module.modules() if m in counter.by_module]


def iteration_macs(generator, teacher, student, nz, batch, student_steps=5):
    """MACs of one DFAD iteration from the layer shapes. A layer's backward costs one forward for the
    input gradient (when its input needs one) and one for the weight gradient (when its weights are
    trained): the first layer of G and of S in a student step gets no input gradient; T's and, in the
    generator step, S's parameters are frozen, so they get input gradients only."""
    g = layer_macs(generator, lambda n: torch.randn(n, nz), batch)
    t = layer_macs(teacher, lambda n: torch.randn(n, 1, 32, 32), batch)
    s = layer_macs(student, lambda n: torch.randn(n, 1, 32, 32), batch)
    G, T, S = sum(g), sum(t), sum(s)
    student_step = G + T + S + (S + (S - s[0]))            # forward x3, S backward
    generator_step = G + T + S + (G + (G - g[0])) + T + S  # forward x3, G/T/S backward
    return student_steps * student_step + generator_step


def main():
    p = bench_common.parse_args(__doc__.splitlines()[0], batch=256)
    p.add_argument("--ngf", type=int, default=64, help="generator width (default 64)")
    p.add_argument("--nz", type=int, default=100, help="latent dimension (default 100)")
    p.add_argument("--macs", action="store_true", help="print the MAC count of one iteration and exit")
    args = p.parse_args()
    bench_common.setup(args)
    mf = bench_common.memory_format(args)

    generator = GeneratorA(nz=args.nz, ngf=args.ngf, memory_format=mf)
    teacher = LeNet5(1.0)
    student = LeNet5(0.5)
    macs = iteration_macs(generator, teacher, student, args.nz, args.batch)
    if args.macs:
        print(f"dfad_iteration_gmac {macs / 1e9:.3f}")
        return
    generator.to(memory_format=mf)
    teacher.to(memory_format=mf)
    student.to(memory_format=mf)
    teacher.eval()
    for p_ in teacher.parameters():
        p_.requires_grad_(False)
    opt_s = torch.optim.SGD(student.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3)

    def iteration():
        student.train()
        generator.train()
        for _ in range(5):
            z = torch.randn(args.batch, args.nz)
            with torch.no_grad():
                x = generator(z)
                t = teacher(x)
            s = student(x)
            loss = F.l1_loss(s, t)
            opt_s.zero_grad()
            loss.backward()
            opt_s.step()
            loss.item()
        z = torch.randn(args.batch, args.nz)
        x = generator(z)
        t = teacher(x)
        for p_ in student.parameters():
            p_.requires_grad_(False)
        s = student(x)
        for p_ in student.parameters():
            p_.requires_grad_(True)
        loss = -F.l1_loss(s, t)
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        loss.item()

    bench_common.run(args, "pytorch_dfad_iteration_seconds", iteration, gflop=2 * macs / 1e9)


if __name__ == "__main__":
    main()
