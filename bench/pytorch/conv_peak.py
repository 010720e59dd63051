#!/usr/bin/python3
"""A measured fp32 convolution peak of this machine with this LibTorch (the one dfkd links: Debian's
1.13): the forward of one large 3x3 convolution (default 128 -> 128 channels, 32x32, padding 1, batch
256, under no_grad), in channels_last and in NCHW. One warm-up call per layout, then --iters timed.
Prints, per layout, `conv_peak_gflops_<layout> GFLOPS (median of N; min … max … s per call)` and then
`conv_peak_gflops BEST` (the better layout's median), 2 x MACs / seconds. With --bf16, the same
convolution under torch.autocast("cpu", dtype=torch.bfloat16): the bfloat16 peak.
"""
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402


def main():
    p = bench_common.parse_args(__doc__.splitlines()[0], batch=256)
    p.add_argument("--channels", type=int, default=128, help="input = output channels (default 128)")
    p.add_argument("--size", type=int, default=32, help="height = width (default 32)")
    args = p.parse_args()
    bench_common.setup(args)
    c, s = args.channels, args.size
    gflop = 2 * args.batch * c * c * 9 * s * s / 1e9
    best = 0.0
    for name, mf in [("channels_last", torch.channels_last), ("nchw", torch.contiguous_format)]:
        conv = torch.nn.Conv2d(c, c, 3, padding=1).to(memory_format=mf)
        x = torch.randn(args.batch, c, s, s).contiguous(memory_format=mf)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            seconds = bench_common.time_iterations(lambda: conv(x), args.iters)
        med = statistics.median(seconds)
        best = max(best, gflop / med)
        print(f"conv_peak_gflops_{name} {gflop / med:.1f} (median of {len(seconds)}; min {min(seconds):.3f}"
              f" … max {max(seconds):.3f} s per call of {gflop:.1f} GFLOP)", flush=True)
    print(f"conv_peak_gflops {best:.1f}")


if __name__ == "__main__":
    main()
