#!/usr/bin/env bash
# HTTP load test of `acr serve` on loopback, bounded in count and time: 1, 8 and 64 concurrent clients sending
# 256-row CSV batches of the letter data, with dynamic segment batching on and off, plus the in-process ZeroShotScorer
# bound (one batch per pass, and 64 batches per pass as segments). A fresh server per run, so its peak memory (VmHWM)
# belongs to that run alone. Prints `uptime` before and after: the machine may be shared.
# Usage: bench/serve-load.sh [requests-per-client-count-scale]   (env: ACR_LETTER=path/to/letter.csv.gz, ITERATIONS=30)
set -euo pipefail
scale=${1:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
data=${ACR_LETTER:-$root/../shared/data/letter.csv.gz}
[ -f "$data" ] || data=$root/data/fetched/letter.csv.gz
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

nice -n 10 dotnet build "$root/Acr.Cli" -c Release -v q -nologo >/dev/null
nice -n 10 dotnet build "$root/bench/Acr.ServeLoad" -c Release -v q -nologo >/dev/null
acr="$root/Acr.Cli/bin/Release/net10.0/acr.dll"
load="$root/bench/Acr.ServeLoad/bin/Release/net10.0/Acr.ServeLoad.dll"

dotnet "$acr" train --data "$data" --label lettr --iterations "${ITERATIONS:-30}" --out "$work/letter.safetensors" -q >/dev/null
zcat -f "$data" | tail -n +2 | cut -d, -f2- > "$work/rows.csv"   # features only, in the model's order

echo "uptime before: $(uptime)"
echo "| batching | clients | rows per request | requests | errors | req/s | rows/s | p50 ms | p99 ms | mean requests per pass | server peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
run() { # batching clients requests rows
  local batching=$1 clients=$2 requests=$3 rows=$4
  local flags=(); [ "$batching" = off ] && flags=(--no-batching)
  dotnet "$acr" serve --model "letter=$work/letter.safetensors" --urls http://127.0.0.1:0 --no-watch "${flags[@]}" > "$work/serve.out" 2> "$work/serve.err" &
  server_pid=$!
  for _ in $(seq 1 300); do grep -q '^listening on' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^listening on \(\S*\).*/\1/p' "$work/serve.out" | head -1)
  [ -n "$url" ] || { cat "$work/serve.out" "$work/serve.err"; exit 1; }
  json=$(dotnet "$load" load --url "$url" --model letter --rows-file "$work/rows.csv" --clients "$clients" --requests "$requests" --rows "$rows" --max-seconds 120)
  peak=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$server_pid/status")
  kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=
  python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(f\"| $batching | {r['clients']} | $rows | {r['requests']} | {r['errors']} | {r['requests_per_s']} | {r['rows_per_s']} | {r['p50_ms']} | {r['p99_ms']} | {r['mean_segments_per_pass']} | $peak |\")" "$json"
}
for batching in on off; do
  for clients in 1 8 64; do
    run "$batching" "$clients" $(( scale * (clients == 1 ? 300 : clients == 8 ? 1200 : 2560) )) 256
  done
done
# Small batches, where a forward pass is dominated by its fixed cost and merging pays most on a CPU.
for batching in on off; do
  run "$batching" 64 $(( scale * 2560 )) 16
done
echo
echo "In-process bound (ZeroShotScorer, same model and 256-row batches, no HTTP):"
for segments in 1 16; do  # 16 × 256 = the default --max-pass-rows
  dotnet "$load" bound --model-file "$work/letter.safetensors" --rows-file "$work/rows.csv" --plugins "$root/Acr.Cli/bin/Release/net10.0/plugins" --segments "$segments" --seconds 5
done
echo "uptime after: $(uptime)"
