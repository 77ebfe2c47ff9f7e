#!/usr/bin/env bash
# The image protocol's training iteration, Acr against PyTorch on the same work, in one run: Deep SVDD with the
# protocol's convolutional network (4 x [conv 3x3 stride 2 -> BatchNorm2d(64) -> ReLU] -> GAP -> Linear(64->32) ->
# BatchNorm(32)), 32 tasks x 60 images of 1x28x28, the ACR loss, Adam; 2 threads each.
#   Acr:     `acr train --data mnist:test --recipe paper` with LONG and SHORT iteration counts; per iteration =
#            (time(LONG) - time(SHORT)) / (LONG - SHORT), so start-up, data loading and saving cancel out.
#   PyTorch: bench/torch_conv_iteration.py, grouped (one pass, per-task batch norm on a view) and per-task.
# Rounds alternate the three, so machine load hits each alike. Needs `acr fetch mnist` and python3-torch.
# Usage: bash bench/image-iteration.sh [rounds]   (env: PYTHON, the interpreter with torch; LONG, SHORT iteration counts)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; long=${LONG:-40}; short=${SHORT:-5}
acr="dotnet Acr.Cli/bin/Release/net10.0/acr.dll"
py=${PYTHON:-/usr/bin/python3} # Debian's python3-torch lives in the system interpreter
dotnet build Acr.Cli -c Release -v q -nologo > /dev/null
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
train() { $acr train --data mnist:test --recipe paper --iterations "$1" --task-size 60 --anomaly-ratio 0.5 --threads 2 \
  --option network=conv --option hidden=64 --option layers=4 --option embedding=32 --out "$out/m.safetensors" -q > /dev/null; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $($py -c 'import torch; print("torch", torch.__version__)')"
acr_ms=(); grouped_ms=(); pertask_ms=()
for r in $(seq "$rounds"); do
  t0=$EPOCHREALTIME; train "$long"; t1=$EPOCHREALTIME; train "$short"; t2=$EPOCHREALTIME
  acr_ms+=("$(awk -v a=$t0 -v b=$t1 -v c=$t2 -v l=$long -v s=$short 'BEGIN { printf "%.1f", ((b - a) - (c - b)) / (l - s) * 1000 }')")
  grouped_ms+=("$($py bench/torch_conv_iteration.py --threads 2 --formulation grouped --iterations 10 | python3 -c 'import json,sys; print(json.load(sys.stdin)["ms_median"])')")
  pertask_ms+=("$($py bench/torch_conv_iteration.py --threads 2 --formulation per-task --iterations 10 | python3 -c 'import json,sys; print(json.load(sys.stdin)["ms_median"])')")
  echo "round $r: acr ${acr_ms[-1]} ms, torch grouped ${grouped_ms[-1]} ms, torch per-task ${pertask_ms[-1]} ms"
done
python3 - "${acr_ms[*]}" "${grouped_ms[*]}" "${pertask_ms[*]}" <<'PY'
import statistics, sys
a, g, p = ([float(v) for v in s.split()] for s in sys.argv[1:])
m = lambda v: statistics.median(v)
print(f"median ms per iteration: acr {m(a):.1f} (min {min(a):.1f}, max {max(a):.1f}); torch grouped {m(g):.1f} ({min(g):.1f}-{max(g):.1f}); torch per-task {m(p):.1f} ({min(p):.1f}-{max(p):.1f})")
best = min(m(g), m(p))
print(f"acr speed relative to PyTorch's best formulation: {best / m(a):.2f}x (>1: acr faster)")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
