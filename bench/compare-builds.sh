#!/usr/bin/env bash
# Compares `acr bench` of two builds and the PyTorch reference in one run, interleaved, so drift of a
# shared machine hits all of them alike. Usage: bench/compare-builds.sh OLD_ACR_DLL NEW_ACR_DLL [rounds]
# (e.g. an earlier commit built in a worktree: git worktree add /tmp/old REV && dotnet build /tmp/old/Acr.Cli -c Release).
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
data=${ACR_LETTER:-$root/Acr.Host/Resources/letter.csv.gz}
[ -f "$data" ] || data=$root/data/fetched/letter.csv.gz
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
for r in $(seq 1 "$rounds"); do
  dotnet "$old" bench --out "$out/old$r.json" >/dev/null
  dotnet "$new" bench --out "$out/new$r.json" >/dev/null
  OMP_NUM_THREADS=1 /usr/bin/python3 "$root/bench/torch_acr_iteration.py" --data "$data" --threads 1 > "$out/torch1_$r.json"
  OMP_NUM_THREADS=2 /usr/bin/python3 "$root/bench/torch_acr_iteration.py" --data "$data" --threads 2 > "$out/torch2_$r.json"
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, sys, statistics as st
d, n = sys.argv[1], int(sys.argv[2])
load = lambda name: [json.load(open(f"{d}/{name}{r}.json")) for r in range(1, n + 1)]
old, new, t1, t2 = load("old"), load("new"), load("torch1_"), load("torch2_")
it = lambda xs, k: [x[k] for x in xs]
torch_it = [min(a["iteration_ms_median"], b["iteration_ms_median"]) for a, b in zip(t1, t2)]
torch_sc = [max(a["score_rows_per_s"], b["score_rows_per_s"]) for a, b in zip(t1, t2)]
print("| round | old iteration ms | new iteration ms | new/old | PyTorch best ms | PyTorch/new | old score rows/s | new score rows/s | new/old | new/PyTorch |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in range(n):
    o, w = old[r], new[r]
    print(f"| {r+1} | {o['IterationMsMedian']:.2f} | {w['IterationMsMedian']:.2f} | {w['IterationMsMedian']/o['IterationMsMedian']:.3f} | {torch_it[r]:.2f} | {torch_it[r]/w['IterationMsMedian']:.2f}x | "
          f"{o['ScoreRowsPerSecond']:,.0f} | {w['ScoreRowsPerSecond']:,.0f} | {w['ScoreRowsPerSecond']/o['ScoreRowsPerSecond']:.3f} | {w['ScoreRowsPerSecond']/torch_sc[r]:.2f}x |")
ri = st.median(w['IterationMsMedian']/o['IterationMsMedian'] for o, w in zip(old, new))
rs = st.median(w['ScoreRowsPerSecond']/o['ScoreRowsPerSecond'] for o, w in zip(old, new))
print(f"\nmedian new/old: iteration time {ri:.3f}, scoring throughput {rs:.3f}; allocation per iteration old {old[0]['AllocatedBytesPerIteration']:.0f} B, new {new[0]['AllocatedBytesPerIteration']:.0f} B")
PY
