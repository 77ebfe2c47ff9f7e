#!/usr/bin/env python3
"""Measures torch.mm (fp32) throughput for the shapes Acr's GEMM benchmarks use.

Run with a real BLAS, e.g.:
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/torch_gemm.py
Options: --threads N (default: all logical cores), --min-time S (per shape, default 1.0),
         --shapes square|training|all (default all), --csv for machine-readable output.
Each shape reports the median over many timed runs (after warm-up) as GFLOP/s = 2·M·N·K / time.
"""
import argparse
import os
import statistics
import sys
import time

# (name, transA, transB, M, N, K): C[M×N] = op(A)·op(B), matching the C# GemmBenchmarks cases.
SQUARE = [
    ("nn-256", False, False, 256, 256, 256),
    ("nn-1024", False, False, 1024, 1024, 1024),
]
# Linear forward/backward of a 16->128->128 MLP on 8192 rows:
# fwd-16: x[8192x16] @ W[128x16]^T, fwd-128: x[8192x128] @ W[128x128]^T, dx-128: dy[8192x128] @ W[128x128],
# dw-128: dy[8192x128]^T @ x[8192x128], dw-16: dy[8192x128]^T @ x[8192x16].
TRAINING = [
    ("fwd-16", False, True, 8192, 128, 16),
    ("fwd-128", False, True, 8192, 128, 128),
    ("dx-128", False, False, 8192, 128, 128),
    ("dw-128", True, False, 128, 128, 8192),
    ("dw-16", True, False, 128, 16, 8192),
]


def operands(torch, ta, tb, m, n, k):
    g = torch.Generator().manual_seed(1234)
    a = torch.rand((k, m) if ta else (m, k), generator=g) * 2 - 1
    b = torch.rand((n, k) if tb else (k, n), generator=g) * 2 - 1
    return (a.t() if ta else a), (b.t() if tb else b)


def measure(torch, ta, tb, m, n, k, min_time):
    a, b = operands(torch, ta, tb, m, n, k)
    out = torch.empty((m, n))
    for _ in range(5):
        torch.mm(a, b, out=out)
    samples = []
    start = time.perf_counter()
    while len(samples) < 20 or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        torch.mm(a, b, out=out)
        samples.append(time.perf_counter() - t0)
        if len(samples) >= 100000:
            break
    median = statistics.median(samples)
    return 2.0 * m * n * k / median / 1e9, median, len(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--shapes", choices=["square", "training", "all"], default="all")
    parser.add_argument("--csv", action="store_true")
    args = parser.parse_args()
    try:
        import torch
    except ImportError as e:  # torch not installed (yet)
        print(f"torch is not importable: {e}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    shapes = (SQUARE if args.shapes in ("square", "all") else []) + (TRAINING if args.shapes in ("training", "all") else [])
    if not args.csv:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fp32, median of >= {args.min_time}s per shape")
    for name, ta, tb, m, n, k in shapes:
        gflops, median, runs = measure(torch, ta, tb, m, n, k, args.min_time)
        if args.csv:
            print(f"{name},{gflops:.2f},{median * 1e6:.2f},{runs}")
        else:
            print(f"{name:10s} {m:5d}x{n:5d}x{k:5d}  {gflops:8.1f} GFLOP/s  {median * 1e6:10.1f} us  ({runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
