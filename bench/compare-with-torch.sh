#!/usr/bin/env bash
# Runs Acr's end-to-end benchmark and the PyTorch reference on this machine, one after the other,
# and prints the ratios. Needs Debian's python3-torch with a real BLAS:
#   apt-get install -y python3-torch libopenblas0-openmp
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
data=${ACR_LETTER:-Acr.Host/Resources/letter.csv.gz}   # the letter data acr embeds (acr ... --data letter)
[ -f "$data" ] || { echo "compare-with-torch: $data not found (set ACR_LETTER, or run scripts/fetch-data.sh letter)" >&2; exit 2; }

dotnet build Acr.Host -c Release -v q -nologo >/dev/null
dotnet build-server shutdown >/dev/null 2>&1 || true   # idle build servers would steal a core from the timings
sleep 2
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
for t in 1 2; do
  OMP_NUM_THREADS=$t /usr/bin/python3 bench/torch_acr_iteration.py --data "$data" --threads $t > "$out/torch$t.json"
done
dotnet Acr.Host/bin/Release/net10.0/acr.dll bench --out "$out/acr.json" "$@" >/dev/null

/usr/bin/python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
acr = json.load(open(f"{d}/acr.json"))
t = [json.load(open(f"{d}/torch{n}.json")) for n in (1, 2)]
best_it = min(x["iteration_ms_median"] for x in t)
best_sc = max(x["score_rows_per_s"] for x in t)
print(f"| measure | PyTorch {t[0]['torch']} 1 thread | PyTorch 2 threads | Acr | Acr vs PyTorch's best |")
print("| --- | --- | --- | --- | --- |")
print(f"| meta-training iteration, 32 tasks x 256 rows (median ms) | {t[0]['iteration_ms_median']:.1f} | {t[1]['iteration_ms_median']:.1f} | {acr['IterationMsMedian']:.1f} | {best_it / acr['IterationMsMedian']:.2f}x faster |")
print(f"| zero-shot scoring, 1000-row batches, one batch per call (rows/s) | {t[0]['score_rows_per_s']:,.0f} | {t[1]['score_rows_per_s']:,.0f} | {acr['ScoreRowsPerSecond']:,.0f} | {acr['ScoreRowsPerSecond'] / best_sc:.2f}x faster |")
print(f"| zero-shot scoring, 16 batches per call as segments (rows/s) | - | - | {acr['ScoreRowsPerSecondSegmented']:,.0f} | {acr['ScoreRowsPerSecondSegmented'] / best_sc:.2f}x faster |")
print(f"\nAcr managed allocation per steady-state iteration: {acr['AllocatedBytesPerIteration']:.0f} bytes")
PY
