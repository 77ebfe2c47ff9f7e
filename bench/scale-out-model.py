#!/usr/bin/env python3
"""Data-parallel meta-training across ranks (GPUs or machines), on paper: the cost of one step from a model file.

ACR's meta-training step is T tasks, each forwarded and back-propagated with its OWN batch-norm statistics. So the
tasks split across P ranks with no communication inside the step (no SyncBN: a task's statistics never leave its
rank); what must be reduced is the gradient of the shared weights, once per step (ring all-reduce: each rank sends
and receives 2(P-1)/P of the gradient bytes in 2(P-1) rounds), plus the running statistics for B1 (2 values per
batch-norm channel, averaged; negligible). Adam's state is updated identically on every rank from the reduced
gradient, so it is replicated, not communicated.

Usage: bench/scale-out-model.py MODEL.safetensors [--iteration-ms 10] [--tasks 32] [--gbps 10] [--latency-us 50]
The iteration time is one step on one rank with all T tasks (measure it: acr bench, or docs/benchmarks.md).
"""
import argparse, json, math, struct

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("--iteration-ms", type=float, default=10.0, help="one step with all tasks on one rank (ms)")
p.add_argument("--tasks", type=int, default=32, help="tasks per step")
p.add_argument("--gbps", type=float, default=10.0, help="link bandwidth per rank (Gbit/s)")
p.add_argument("--latency-us", type=float, default=50.0, help="per message latency (µs)")
a = p.parse_args()

raw = open(a.model, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
trainable = sum(math.prod(v["shape"]) for k, v in header.items()
                if k != "__metadata__" and not k.endswith(("running_mean", "running_var")) and k != "center")
stats = sum(math.prod(v["shape"]) for k, v in header.items() if k.endswith(("running_mean", "running_var")))
grad_bytes = 4 * trainable
print(f"model: {trainable} trainable parameters ({grad_bytes / 1024:.0f} KiB of fp32 gradient per step), "
      f"{stats} running-statistic values; step: {a.tasks} tasks in {a.iteration_ms} ms on one rank; "
      f"links {a.gbps} Gbit/s, {a.latency_us} µs per message")
print("| ranks | tasks per rank | compute ms | all-reduce ms | step ms | speed-up | communication share |")
print("| --- | --- | --- | --- | --- | --- | --- |")
bw = a.gbps * 1e9 / 8  # bytes/s
for ranks in (1, 2, 4, 8, 16, 32):
    if ranks > a.tasks:
        break
    per_rank = math.ceil(a.tasks / ranks)
    compute = a.iteration_ms * per_rank / a.tasks
    if ranks == 1:
        comm = 0.0
    else:
        sent = 2 * (ranks - 1) / ranks * (grad_bytes + 4 * stats)
        comm = 1e3 * sent / bw + 2 * (ranks - 1) * a.latency_us / 1e3
    step = compute + comm
    print(f"| {ranks} | {per_rank} | {compute:.2f} | {comm:.3f} | {step:.2f} | {a.iteration_ms / step:.1f}× | {comm / step:.0%} |")
