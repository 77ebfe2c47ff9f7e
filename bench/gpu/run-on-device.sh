#!/usr/bin/env bash
# The GPU benchmark table of docs/benchmarks.md, on an NVIDIA machine, from the self-contained bundle that
# ../shared/tools/device-bundle.sh builds (acr with its plugins, in .device/; no .NET needed there):
#
#   here:            ../shared/tools/device-bundle.sh            # publishes .device/acr and .device/plugins/
#   on the machine:  bash bench/gpu/run-on-device.sh [BUNDLE]    # BUNDLE defaults to .device
#
# It checks nvidia-smi and the driver libraries, then runs acr devices, acr selftest --backend cuda, acr bench on cuda
# and on cpu (the same-run reference), the single-op timings with the SGEMM 4096^3 and the 570-feature scoring
# (acr bench --kernels, on cuda and cpu), and
# PyTorch's figures (bench/gpu/torch_cuda.py) where `python3 -c 'import torch'` works with CUDA. Everything goes under
# $OUT (default ./bench-out): one log per step, the JSON figures, summary.txt (each step's exit code and seconds) and
# table.md (the table, filled in from the JSON). A step that fails is recorded and the next one runs; the exit code is
# that of the selftest (0: every op passed on cuda). Each step is capped (STEP_TIMEOUT seconds, default 240), so the
# whole run stays within a short device session.
set -uo pipefail
cd "$(dirname "$0")/../.."
bundle=${1:-.device}
OUT=${OUT:-$PWD/bench-out}
STEP_TIMEOUT=${STEP_TIMEOUT:-240}
mkdir -p "$OUT"
export DOTNET_BUNDLE_EXTRACT_BASE_DIR=${DOTNET_BUNDLE_EXTRACT_BASE_DIR:-/tmp}
acr="$bundle/acr"
# A single-file acr looks for plugins/ in its extraction folder, not beside the executable: point it at the bundle's.
export ACR_PLUGIN_PATH="$(cd "$bundle" 2>/dev/null && pwd)/plugins${ACR_PLUGIN_PATH:+:$ACR_PLUGIN_PATH}"
summary="$OUT/summary.txt"
: >"$summary"

# step NAME CMD...: runs CMD with its output in $OUT/NAME.log, records the exit code and the time.
step() {
  local name=$1 start rc
  shift
  echo "== $name: $*"
  start=$(date +%s%N)
  timeout "$STEP_TIMEOUT" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  printf '%-16s rc=%-3s %6d ms  %s\n' "$name" "$rc" "$(( ($(date +%s%N) - start) / 1000000 ))" "$*" | tee -a "$summary"
  tail -n 25 "$OUT/$name.log"
  return $rc
}

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -a)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) cores)"
} >"$OUT/machine.txt"

if command -v nvidia-smi >/dev/null; then
  step nvidia-smi nvidia-smi
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv >"$OUT/gpu.csv" 2>&1 || true
else
  echo "nvidia-smi: not found (no NVIDIA driver on this machine?)" | tee -a "$summary"
fi
{
  echo "# driver libraries known to the loader"
  ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libnvidia-ptxjitcompiler|libOpenCL\.so' || echo "(none in the ldconfig cache)"
  echo "# in the usual folders"
  ls /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/cuda/lib64 /usr/local/nvidia/lib64 2>/dev/null | grep -E '^lib(cuda|nvidia-ptxjitcompiler|OpenCL)\.so' | sort -u || true
} >"$OUT/driver-libraries.txt" 2>&1
cat "$OUT/driver-libraries.txt"

if [ ! -x "$acr" ]; then
  chmod +x "$acr" 2>/dev/null || { echo "run-on-device: no acr bundle at $bundle (build it with ../shared/tools/device-bundle.sh)" | tee -a "$summary"; exit 2; }
fi

step devices "$acr" devices
step selftest "$acr" selftest --backend cuda
selftest=$?
step bench-cuda "$acr" bench --backend cuda --out "$OUT/bench-cuda.json"
step bench-cpu "$acr" bench --backend cpu --iterations 20 --warmup 3 --out "$OUT/bench-cpu.json"
step kernels-cuda "$acr" bench --backend cuda --kernels --gemm-size 4096 --out "$OUT/kernels-cuda.json"
step kernels-cpu "$acr" bench --backend cpu --kernels --gemm-size 4096 --out "$OUT/kernels-cpu.json"

if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
  step torch python3 bench/gpu/torch_cuda.py
  sed -n '/^{/,/^}/p' "$OUT/torch.log" >"$OUT/torch.json"
else
  echo "torch: PyTorch with CUDA is not importable here; the table uses the issue's H100 figures" | tee -a "$summary"
fi

# The table, from whatever JSON the steps left.
if command -v python3 >/dev/null; then
  python3 - "$OUT" >"$OUT/table.md" <<'PY'
import json, os, sys
out = sys.argv[1]
def load(name):
    path = os.path.join(out, name)
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
cuda, cpu, kernels, kernels_cpu, torch = (load(n) for n in ("bench-cuda.json", "bench-cpu.json", "kernels-cuda.json", "kernels-cpu.json", "torch.json"))
def fmt(v, unit, digits=2):
    return "not measured" if v is None else f"{v:,.{digits}f} {unit}"
def case(rows, name, field, scale=1.0):
    k = next((k for k in (rows or []) if k["Name"] == name), None)
    return None if k is None or k.get(field) is None else k[field] * scale
sgemm, sgemm_cpu = (case(r, "gemm NN (square)", "GigaflopsPerSecond", 1e-3) for r in (kernels, kernels_cpu))
wide, wide_cpu = (case(r, "zero-shot scoring from host memory", "RowsPerSecond") for r in (kernels, kernels_cpu))
if torch:
    graph = torch.get("iteration_ms_segmented_graph")
    t_iter = (f"{torch['iteration_ms_tasks_one_by_one']:.2f} ms one by one; {torch['iteration_ms_segmented']:.2f} ms segmented; "
              f"{'not measured' if graph is None else f'{graph:.2f} ms'} segmented in a CUDA graph ({torch['device']}, torch {torch['torch']})")
    t_score = f"{torch['score_rows_per_s_pinned']:,.0f} rows/s pinned"
    t_gemm = f"{torch['sgemm_tflops']:.1f} TFLOP/s (torch.mm, {torch['sgemm_size']}^3)"
else:
    t_iter = "50 ms one by one; 5.0 ms segmented; 0.96 ms segmented in a CUDA graph (H100, from the issue)"
    t_score = "2.1 M rows/s pinned (H100, from the issue)"
    t_gemm = "51 TFLOP/s cuBLAS (H100, from the issue)"
print("| work | PyTorch | target | Acr cuda (this run) | Acr cpu (this run) |")
print("| --- | --- | --- | --- | --- |")
print(f"| one letter-protocol meta-training iteration | {t_iter} | <= 0.5 ms | {fmt(cuda and cuda['IterationMsMedian'], 'ms')} | {fmt(cpu and cpu['IterationMsMedian'], 'ms')} |")
print(f"| zero-shot scoring of 1000-row x 570-feature batches from host memory (16 per call) | {t_score} | >= 10 M rows/s | "
      f"{fmt(wide, 'rows/s', 0)} | {fmt(wide_cpu, 'rows/s', 0)} |")
print(f"| fp32 SGEMM 4096^3 | {t_gemm} | >= 0.6x cuBLAS | {fmt(sgemm, 'TFLOP/s')} | {fmt(sgemm_cpu, 'TFLOP/s')} |")
print()
print("Letter-data scoring (16 features, 1000-row batches): cuda "
      f"{fmt(cuda and cuda['ScoreRowsPerSecondSegmented'], 'rows/s', 0)} 16 per call, {fmt(cuda and cuda['ScoreRowsPerSecond'], 'rows/s', 0)} one per call; "
      f"cpu {fmt(cpu and cpu['ScoreRowsPerSecondSegmented'], 'rows/s', 0)} 16 per call.")
if kernels:
    print()
    print("| op (acr bench --kernels, cuda) | shape | median | rate |")
    print("| --- | --- | --- | --- |")
    for k in kernels:
        rate = f"{k['GigaflopsPerSecond']:.1f} GFLOP/s" if k.get("GigaflopsPerSecond") else f"{k['GigabytesPerSecond']:.1f} GB/s"
        print(f"| {k['Name']} | {k['Shape']} | {k['MicrosecondsMedian']:.1f} us | {rate} |")
PY
  cat "$OUT/table.md"
fi
echo "everything is under $OUT"
exit "$selftest"
