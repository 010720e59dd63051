#!/usr/bin/python3
"""One supervised training step of the CIFAR ResNet-18 in plain PyTorch, written the way a user would
(NCHW fp32 unless --channels-last, the default allocator).

The network is the one plugins/model/resnet builds for depth 18 (DFAD/DAFL's resnet_8x): a 3x3 stem
(64 channels, stride 1, BN, ReLU; no max-pool), BasicBlocks [2, 2, 2, 2] at 64/128/256/512 channels
(strides 1/2/2/2, a 1x1 conv + BN shortcut where the shape changes), 4x4 average pool, Linear(512, 10);
convolutions without bias, kaiming_normal (fan_out, relu) init, BN 1/0. One step = forward, cross-entropy,
backward, SGD (lr 0.1, momentum 0.9, weight decay 5e-4) step, on a batch (default 128) drawn like
dfkd's batch source: index_select of a shuffled slice of an in-memory set of random 3x32x32 images
with labels in 0..9 (no augmentation; the dfkd side runs with augment: false). Reads the loss and the
batch accuracy back with .item(), as the `supervised` plugin does.
One warm-up step, then --iters timed ones. Prints
  pytorch_resnet18_step_seconds MEDIAN (min MIN … max MAX)
and the achieved GFLOP/s (3 x the forward MACs, from the layer shapes; the stem's input gradient is
not computed, which this ignores: 0.3 %).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, num_blocks=(2, 2, 2, 2), num_classes=10, nc=3):
        super().__init__()
        self.in_planes = 64
        self.conv1 = nn.Conv2d(nc, 64, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = self._make_layer(64, num_blocks[0], 1)
        self.layer2 = self._make_layer(128, num_blocks[1], 2)
        self.layer3 = self._make_layer(256, num_blocks[2], 2)
        self.layer4 = self._make_layer(512, num_blocks[3], 2)
        self.linear = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _make_layer(self, planes, num_blocks, stride):
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = self.layer4(out)
        out = F.avg_pool2d(out, 4)
        return self.linear(out.flatten(1))


def main():
    p = bench_common.parse_args(__doc__.splitlines()[0], batch=128)
    p.add_argument("--train-size", type=int, default=1280,
                   help="images in the in-memory random training set (default 1280)")
    args = p.parse_args()
    bench_common.setup(args)
    mf = bench_common.memory_format(args)

    model = ResNet()
    counter = bench_common.MacCounter(model)
    model.eval()
    with torch.no_grad():
        model(torch.randn(2, 3, 32, 32))
    counter.remove()
    forward_macs = sum(counter.by_module.values()) // 2 * args.batch

    model.to(memory_format=mf)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    images = torch.randn(args.train_size, 3, 32, 32).contiguous(memory_format=mf)
    labels = torch.randint(0, 10, (args.train_size,))
    state = {"order": torch.randperm(args.train_size), "cursor": 0}

    def next_batch():
        if state["cursor"] + args.batch > args.train_size:
            state["order"], state["cursor"] = torch.randperm(args.train_size), 0
        idx = state["order"][state["cursor"]:state["cursor"] + args.batch]
        state["cursor"] += args.batch
        return images.index_select(0, idx), labels.index_select(0, idx)

    def step():
        model.train()
        x, y = next_batch()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        logits.argmax(1).eq(y).double().mean().item()
        loss.item()

    bench_common.run(args, "pytorch_resnet18_step_seconds", step, gflop=3 * 2 * forward_macs / 1e9)


if __name__ == "__main__":
    main()
