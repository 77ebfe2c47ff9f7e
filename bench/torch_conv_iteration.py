#!/usr/bin/env python3
"""PyTorch reference for the image protocol's training iteration: Deep SVDD with the protocol's convolutional
network (4 x [Conv 3x3 stride 2 pad 1 -> BatchNorm2d(64) -> ReLU] -> global average pool -> Linear(64->32) ->
BatchNorm(32)), 32 tasks x 60 images of 1x28x28 (30 normal + 30 anomalous), the ACR loss, Adam; random pixels (the
cost does not depend on them). Two formulations, as bench/torch_acr_iteration.py:

  --formulation per-task  forwards the tasks one by one (the authors' way: one batch-norm segment per pass);
  --formulation grouped   ONE pass over all T*60 images for the convolutions, and batch norm per task on the
                          [60, T*C, H, W] view (stock batch_norm, gamma/beta repeated T times), so every task keeps
                          its own statistics; the view costs a transpose copy per layer.

Usage: python3 bench/torch_conv_iteration.py --threads 2 [--formulation grouped] [--iterations 20]
Prints one JSON object: median / min / max milliseconds per iteration.
"""
import argparse, json, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=32)
    ap.add_argument("--task-size", type=int, default=60)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--formulation", choices=["per-task", "grouped"], default="grouped")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    c, t, n = args.channels, args.tasks, args.task_size
    convs = nn.ModuleList([nn.Conv2d(1 if i == 0 else c, c, 3, stride=2, padding=1) for i in range(4)])
    norms = nn.ModuleList([nn.BatchNorm2d(c) for _ in range(4)])
    head, head_bn = nn.Linear(c, 32), nn.BatchNorm1d(32)
    center = nn.Parameter(torch.randn(32))
    params = list(convs.parameters()) + list(norms.parameters()) + list(head.parameters()) + list(head_bn.parameters()) + [center]
    opt = torch.optim.Adam(params, lr=1e-3)
    eps = 1e-6
    y = torch.zeros(t, n)
    y[:, n // 2:] = 1

    def per_task(x):  # x: [T, n, 1, 28, 28]
        loss = 0.0
        for k in range(t):
            h = x[k]
            for conv, bn in zip(convs, norms):
                h = F.relu(bn(conv(h)))
            z = head_bn(head(h.mean((2, 3))))
            d = ((z - center) ** 2).sum(1)
            loss = loss + torch.where(y[k] == 0, d, 1.0 / (d + eps)).mean()
        return loss / t

    def grouped(x):
        h = x.reshape(t * n, *x.shape[2:])
        for conv, bn in zip(convs, norms):
            h = conv(h)
            ch, hh, ww = h.shape[1:]
            v = h.view(t, n, ch, hh, ww).transpose(0, 1).reshape(n, t * ch, hh, ww)
            v = F.batch_norm(v, None, None, bn.weight.repeat(t), bn.bias.repeat(t), training=True, momentum=0.0, eps=bn.eps)
            h = F.relu(v.view(n, t, ch, hh, ww).transpose(0, 1).reshape(t * n, ch, hh, ww))
        z = head(h.mean((2, 3)))  # [T*n, 32]
        zg = z.view(t, n, 32).transpose(0, 1).reshape(n, t * 32)
        zg = F.batch_norm(zg, None, None, head_bn.weight.repeat(t), head_bn.bias.repeat(t), training=True, momentum=0.0, eps=head_bn.eps)
        z = zg.view(n, t, 32).transpose(0, 1)  # [T, n, 32]
        d = ((z - center) ** 2).sum(2)
        return torch.where(y == 0, d, 1.0 / (d + eps)).mean()

    loss_fn = grouped if args.formulation == "grouped" else per_task
    times = []
    for i in range(args.warmup + args.iterations):
        x = torch.rand(t, n, 1, 28, 28)
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(x)
        loss.backward()
        opt.step()
        elapsed = time.perf_counter() - start
        if i >= args.warmup:
            times.append(elapsed * 1e3)
    print(json.dumps({"framework": f"torch {torch.__version__}", "formulation": args.formulation, "threads": args.threads,
                      "tasks": t, "task_size": n, "iterations": args.iterations,
                      "ms_median": round(statistics.median(times), 1), "ms_min": round(min(times), 1), "ms_max": round(max(times), 1)}))


if __name__ == "__main__":
    main()
