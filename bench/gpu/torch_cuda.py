#!/usr/bin/env python3
"""PyTorch on CUDA, on the work of Acr's GPU benchmark table (docs/benchmarks.md), for a same-run comparison:

  * one letter-protocol meta-training iteration: 32 tasks x 256 rows, TabDSVDD 16->128->128->128->32 with batch norm
    and ReLU, the ACR objective (normal rows pull to the centre, anomalies 1/(d + eps)), Adam; timed three ways:
    tasks one by one (the reference implementation), all tasks in one segmented pass (per-task batch-norm statistics
    on a [tasks, rows, channels] view), and that segmented step captured in a CUDA graph;
  * zero-shot scoring of 1000-row x 570-feature batches copied from pinned host memory (batch-mode batch norm, no grad);
  * fp32 SGEMM 4096^3 (torch.mm, TF32 off).

Synthetic data of the letter shapes (timing does not depend on the values). Prints one JSON object.
usage: python3 bench/gpu/torch_cuda.py [--iterations N] [--warmup N] [--device cuda|cpu]
(--device cpu only checks the script where there is no GPU: no CUDA graph, no pinned memory, wall-clock timing.)
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


def network(features, hidden=128, layers=3, embedding=32):
    blocks, width = [], features
    for _ in range(layers):
        blocks += [nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.ReLU()]
        width = hidden
    blocks += [nn.Linear(width, embedding), nn.BatchNorm1d(embedding)]
    return nn.Sequential(*blocks)


def segmented_forward(net, x, tasks):
    """The network with every batch norm using each task's own statistics (x: [tasks * rows, features])."""
    h = x
    for layer in net:
        if isinstance(layer, nn.BatchNorm1d):
            v = h.view(tasks, -1, h.shape[1])
            mean = v.mean(dim=1, keepdim=True)
            var = v.var(dim=1, unbiased=False, keepdim=True)
            v = (v - mean) * torch.rsqrt(var + layer.eps) * layer.weight + layer.bias
            h = v.reshape(-1, h.shape[1])
        else:
            h = layer(h)
    return h


def objective(z, center, is_anomaly, eps=1e-6):
    d = ((z - center) ** 2).sum(dim=1)
    return torch.where(is_anomaly, 1.0 / (d + eps), d).mean()


def median_ms(step, iterations, warmup, cuda=True):
    for _ in range(warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
    times = []
    for _ in range(iterations):
        if cuda:
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            step()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        else:
            t0 = time.perf_counter()
            step()
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    args = ap.parse_args()
    cuda = args.device == "cuda"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(args.device)
    torch.manual_seed(0)
    tasks, rows, features = 32, 256, 16
    net = network(features).to(dev)
    center = torch.randn(32, device=dev, requires_grad=True)
    opt = torch.optim.Adam(list(net.parameters()) + [center], lr=1e-3, capturable=cuda)  # capturable: the graph replays its step
    x = torch.randn(tasks * rows, features, device=dev)
    is_anomaly = torch.rand(tasks * rows, device=dev) < 0.2

    def one_by_one():
        opt.zero_grad(set_to_none=True)
        loss = 0
        for t in range(tasks):
            part = slice(t * rows, (t + 1) * rows)
            loss = loss + objective(net(x[part]), center, is_anomaly[part]) / tasks
        loss.backward()
        opt.step()

    def segmented():
        opt.zero_grad(set_to_none=False)
        loss = objective(segmented_forward(net, x, tasks), center, is_anomaly)
        loss.backward()
        opt.step()

    result = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0) if cuda else "cpu"}
    result["iteration_ms_tasks_one_by_one"] = median_ms(one_by_one, args.iterations, args.warmup, cuda)
    result["iteration_ms_segmented"] = median_ms(segmented, args.iterations, args.warmup, cuda)

    # The segmented step in a CUDA graph (warm-up on a side stream first, as CUDA graphs require).
    if cuda:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                segmented()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            segmented()
        result["iteration_ms_segmented_graph"] = median_ms(graph.replay, args.iterations, args.warmup)
    else:
        result["iteration_ms_segmented_graph"] = None

    # Zero-shot scoring from pinned host memory: 1000-row x 570-feature batches, 16 per timed call.
    score_net = network(570).to(dev).eval()
    for m in score_net:
        if isinstance(m, nn.BatchNorm1d):
            m.train()  # batch-mode statistics, as ACR scores
    batches = 16
    host = torch.randn(batches, 1000, 570)
    if cuda:
        host = host.pin_memory()
    score_center = torch.randn(32, device=dev)

    def score():
        with torch.no_grad():
            for b in range(batches):
                xb = host[b].to(dev, non_blocking=True)
                ((score_net(xb) - score_center) ** 2).sum(dim=1)

    ms = median_ms(score, max(5, args.iterations // 5), 3, cuda)
    result["score_rows_per_s_pinned"] = batches * 1000 / (ms / 1000)

    n = 4096 if cuda else 1024
    a = torch.randn(n, n, device=dev)
    b = torch.randn(n, n, device=dev)
    ms = median_ms(lambda: torch.mm(a, b), 20, 5, cuda)
    result["sgemm_size"] = n
    result["sgemm_tflops"] = 2 * n ** 3 / (ms / 1000) / 1e12
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
