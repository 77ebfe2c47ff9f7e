#!/usr/bin/env bash
# Honest CPU comparison of Acr with PyTorch on one ACR meta-training iteration of the letter protocol
# (32 tasks x 256 rows) and on zero-shot scoring, all measured in ONE run of this script:
#   - PyTorch, tasks forwarded one by one (the authors' formulation);
#   - PyTorch, all tasks in one grouped pass ([n, T, C] layout, stock batch_norm on the [n, T*C] view), with
#     glibc's default malloc trimming and with trimming off (GLIBC_TUNABLES below), the strongest formulation;
#   - Acr ('acr bench').
# Each formulation runs at 1 and 2 threads, and the whole set is repeated R times (default 3, interleaved so a
# burst of load hits every formulation alike). The table gives min / median / max over the repeats of each run's
# median, the load average at the time, and Acr's ratio to the BEST PyTorch figure.
# Needs Debian's python3-torch with a real BLAS:  apt-get install -y python3-torch libopenblas0-openmp
# Usage: bench/compare-with-torch.sh [REPEATS] [-- extra 'acr bench' options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
repeats=${1:-3}
[ "$#" -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
case $repeats in ''|*[!0-9]*) echo "compare-with-torch: REPEATS must be a positive integer; got '$repeats'" >&2; exit 2 ;; esac
[ "$repeats" -ge 1 ] && [ "$repeats" -le 20 ] || { echo "compare-with-torch: REPEATS must be 1..20; got $repeats" >&2; exit 2; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "compare-with-torch: PyTorch not found; apt-get install -y python3-torch libopenblas0-openmp" >&2; exit 2; }
data=${ACR_LETTER:-Acr.Host/Resources/letter.csv.gz}   # the letter data embedded in acr
[ -s "$data" ] || { echo "compare-with-torch: $data not found; set ACR_LETTER=path/to/letter.csv.gz" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

dotnet build Acr.Cli -c Release -v q -nologo >/dev/null
dotnet build-server shutdown >/dev/null 2>&1 || true   # idle build servers would steal a core from the timings
sleep 2
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
no_trim='glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=4294967296'
for r in $(seq 1 "$repeats"); do
  cut -d' ' -f1-3 /proc/loadavg > "$out/load$r.txt"
  for t in 1 2; do
    OMP_NUM_THREADS=$t /usr/bin/python3 bench/torch_acr_iteration.py --data "$data" --threads $t --formulation per-task > "$out/r$r-per-task-$t.json"
    OMP_NUM_THREADS=$t /usr/bin/python3 bench/torch_acr_iteration.py --data "$data" --threads $t --formulation grouped > "$out/r$r-grouped-$t.json"
    GLIBC_TUNABLES=$no_trim OMP_NUM_THREADS=$t /usr/bin/python3 bench/torch_acr_iteration.py --data "$data" --threads $t --formulation grouped > "$out/r$r-grouped-notrim-$t.json"
  done
  dotnet Acr.Cli/bin/Release/net10.0/acr.dll bench --out "$out/r$r-acr.json" "$@" >/dev/null
done

/usr/bin/python3 - "$out" "$repeats" <<'PY'
import json, statistics, sys
d, R = sys.argv[1], int(sys.argv[2])
load = [open(f"{d}/load{r}.txt").read().strip() for r in range(1, R + 1)]
rows = [("PyTorch, tasks one by one", "per-task"), ("PyTorch, grouped one pass", "grouped"),
        ("PyTorch, grouped one pass, trimming off", "grouped-notrim")]
def mmm(v):
    return f"{min(v):.1f} / {statistics.median(v):.1f} / {max(v):.1f}"
def mmm_rate(v):
    return f"{min(v)/1e6:.2f} / {statistics.median(v)/1e6:.2f} / {max(v)/1e6:.2f} M"
torch_version = None
best_it, best_sc, best_seg = float("inf"), 0.0, 0.0
print("| formulation | threads | iteration ms (min / median / max) | scoring rows/s, 1 batch per call | 16 batches per call |")
print("| --- | --- | --- | --- | --- |")
for name, key in rows:
    for t in (1, 2):
        runs = [json.load(open(f"{d}/r{r}-{key}-{t}.json")) for r in range(1, R + 1)]
        torch_version = runs[0]["torch"]
        it = [x["iteration_ms_median"] for x in runs]
        sc = [x["score_rows_per_s"] for x in runs]
        seg = [x["score_rows_per_s_segmented"] for x in runs if x.get("score_rows_per_s_segmented")]
        best_it = min(best_it, statistics.median(it))
        best_sc = max(best_sc, statistics.median(sc))
        if seg:
            best_seg = max(best_seg, statistics.median(seg))
        print(f"| {name} | {t} | {mmm(it)} | {mmm_rate(sc)} | {mmm_rate(seg) if seg else '-'} |")
acr = [json.load(open(f"{d}/r{r}-acr.json")) for r in range(1, R + 1)]
a_it = [x["IterationMsMedian"] for x in acr]
a_sc = [x["ScoreRowsPerSecond"] for x in acr]
a_seg = [x["ScoreRowsPerSecondSegmented"] for x in acr]
print(f"| Acr | all cores | {mmm(a_it)} | {mmm_rate(a_sc)} | {mmm_rate(a_seg)} |")
grad = max(json.load(open(f"{d}/r1-grouped-1.json"))["grouped_vs_per_task_gradient_rel_diff"], 0)
print()
print(f"PyTorch {torch_version}; {R} repeats; load average (1/5/15 min) at the start of each repeat: " + "; ".join(load))
print(f"grouped vs per-task gradient, relative difference: {grad:.1e} (the same computation)")
print(f"Acr vs PyTorch's best (medians): iteration {best_it / statistics.median(a_it):.2f}x faster; "
      f"scoring {statistics.median(a_sc) / best_sc:.2f}x; segmented scoring {statistics.median(a_seg) / best_seg:.2f}x "
      f"(Acr's segmented vs its own single-batch: {statistics.median(a_seg) / statistics.median(a_sc):.2f}x)")
PY
