"""Shared by the plain-PyTorch benchmark scripts: options, the timing loop, the result line and a
MAC counter. Standard library + torch only."""
import argparse
import statistics
import sys
import time

import torch


def parse_args(description, batch):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--batch", type=int, default=batch, help=f"batch size (default {batch})")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    p.add_argument("--iters", type=int, default=5, help="timed iterations after one warm-up (default 5)")
    p.add_argument("--channels-last", action="store_true",
                   help="modules and inputs in channels_last (the best PyTorch configuration on CPU)")
    p.add_argument("--bf16", action="store_true",
                   help="run each step under torch.autocast('cpu', dtype=torch.bfloat16): convolutions "
                        "and linear layers in bfloat16, the rest in fp32 (dfkd's train.precision bf16)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile-ops", action="store_true",
                   help="after the timing, run one more iteration under the autograd profiler and print "
                        "the top operators by self CPU time (to stderr)")
    return p


def setup(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)


def memory_format(args):
    return torch.channels_last if args.channels_last else torch.contiguous_format


def time_iterations(step, iters):
    """One untimed warm-up call of step(), then iters timed calls; returns the seconds of each."""
    step()
    seconds = []
    for _ in range(iters):
        t0 = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - t0)
    return seconds


def profile_ops(step, top=25):
    """One call of step() under the autograd profiler; its top operators by self time to stderr."""
    with torch.autograd.profiler.profile() as prof:
        step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top), file=sys.stderr)


def run(args, name, step, gflop=None):
    """The timing (time_iterations), the result line (report) and, with --profile-ops, one profiled call."""
    if args.bf16:
        fp32_step = step

        def step():
            # cache_enabled=False: the step includes optimizer updates, and autocast's cached bf16
            # weight copies would otherwise outlive them (later forwards would use stale weights).
            with torch.autocast("cpu", dtype=torch.bfloat16, cache_enabled=False):
                fp32_step()
    seconds = time_iterations(step, args.iters)
    report(name, seconds, gflop)
    if args.profile_ops:
        profile_ops(step)


def report(name, seconds, gflop=None):
    """The result line (`NAME MEDIAN (min MIN … max MAX)`) and, given the work, the achieved GFLOP/s."""
    med = statistics.median(seconds)
    print(f"{name} {med:.3f} (min {min(seconds):.3f} … max {max(seconds):.3f})", flush=True)
    if gflop is not None:
        print(f"{name.replace('_seconds', '')}_gflops {gflop / med:.1f} ({gflop:.1f} GFLOP per iteration,"
              f" at the median)", flush=True)


class MacCounter:
    """Forward MACs of every Conv2d and Linear of the given modules for one call, from the layer shapes
    (hooks on the modules; per-module totals in .by_module)."""

    def __init__(self, *modules):
        self.by_module = {}
        self._handles = []
        for m in modules:
            for layer in m.modules():
                if isinstance(layer, (torch.nn.Conv2d, torch.nn.Linear)):
                    self._handles.append(layer.register_forward_hook(self._hook))

    def _hook(self, layer, inputs, output):
        if isinstance(layer, torch.nn.Conv2d):
            kh, kw = layer.kernel_size
            macs = output.numel() * (layer.in_channels // layer.groups) * kh * kw
        else:
            macs = output.numel() * layer.in_features
        self.by_module[layer] = self.by_module.get(layer, 0) + macs

    def remove(self):
        for h in self._handles:
            h.remove()
