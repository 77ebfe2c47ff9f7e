#!/usr/bin/env bash
# Stream scoring throughput on NATS JetStream: batches/s through submit → N workers → collect, for N = 1 and 2.
# A loopback nats-server with file storage; the letter data (20 000 rows) repeated 10×, cut into 256-row batches
# (782 batches). Two measures per worker count:
#   pipeline: workers started and ready first; the clock runs from the first publish to the written scores.csv
#             (submit, workers and collect at the same time, as in use);
#   drain:    the batches submitted first; the clock runs from launching the workers (their ~1 s start included) to
#             the written scores.csv.
# Also prints `acr score` on the same file and batch size in one process (no broker) as the bound.
# Usage: bash bench/stream-throughput.sh [repeats]   (needs nats-server: apt-get install nats-server)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
acr="dotnet Acr.Cli/bin/Release/net10.0/acr.dll"
nats=$(command -v nats-server || echo /usr/sbin/nats-server)
[ -x "$nats" ] || { echo "needs nats-server (apt-get install nats-server)" >&2; exit 2; }
dotnet build Acr.Cli -c Release -v q -nologo >/dev/null
work=$(mktemp -d); port=$((20000 + RANDOM % 20000)); url=nats://127.0.0.1:$port
cleanup() { pkill -f "acr.dll worker --nats $url" 2>/dev/null || true; kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$nats" -a 127.0.0.1 -p $port -js -sd "$work/store" > "$work/nats.log" 2>&1 & server=$!
sleep 1
$acr train --data letter --recipe paper --iterations 200 --out "$work/m.safetensors" -q > /dev/null
python3 - "$work" <<'PY'
import gzip, sys, csv, io, pathlib, subprocess
work = pathlib.Path(sys.argv[1])
# the embedded letter data (the resource acr embeds), repeated 10 times
src = next(pathlib.Path('Acr.Host/Resources').glob('letter*.csv.gz'))
rows = gzip.open(src, 'rt').read().splitlines()
with open(work / 'big.csv', 'w') as f:
    f.write(rows[0] + '\n')
    for _ in range(10):
        f.write('\n'.join(rows[1:]) + '\n')
PY
echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $("$nats" --version)"
t0=$EPOCHREALTIME; $acr score --model "$work/m.safetensors" --data "$work/big.csv" --label lettr --batch-size 256 --order file --out "$work/ref.csv" -q 2>/dev/null; t1=$EPOCHREALTIME
awk -v a=$t0 -v b=$t1 'BEGIN { printf "in process (acr score, no broker): 782 batches in %.2f s = %.0f batches/s\n", b - a, 782 / (b - a) }'
for workers in 1 2; do
  for r in $(seq "$repeats"); do
    stream=B${workers}r$r
    pids=()
    for w in $(seq "$workers"); do
      $acr worker --nats $url --stream $stream --model "$work/m.safetensors" --name w$w > "$work/w$w.log" 2>&1 & pids+=($!)
    done
    for w in $(seq "$workers"); do until grep -q "pulling from stream" "$work/w$w.log" 2>/dev/null; do sleep 0.1; done; done
    t0=$EPOCHREALTIME
    $acr submit --nats $url --stream $stream --run r --data "$work/big.csv" --label lettr --batch-size 256 > "$work/submit.log" & submit=$!
    $acr collect --nats $url --stream $stream --run r --out "$work/scores-$stream.csv" --timeout 300 > "$work/collect.log"
    t1=$EPOCHREALTIME
    wait "$submit"
    kill -TERM "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
    same=$(python3 -c "import csv,sys; a=[r['score'] for r in csv.DictReader(open(sys.argv[1]))]; b=[r['score'] for r in csv.DictReader(open(sys.argv[2]))]; print('scores identical to acr score' if a==b else 'SCORES DIFFER')" "$work/scores-$stream.csv" "$work/ref.csv")
    awk -v n=$workers -v a=$t0 -v b=$t1 -v s="$same" -v per="$(sed -n 's/.*batches per worker: //p' "$work/collect.log")" \
      'BEGIN { printf "pipeline, %d worker(s): 782 batches in %.2f s = %.0f batches/s (%s; per worker: %s)\n", n, b - a, 782 / (b - a), s, per }'
  done
done
for workers in 1 2; do
  for r in $(seq "$repeats"); do
    stream=D${workers}r$r
    $acr submit --nats $url --stream $stream --run r --data "$work/big.csv" --label lettr --batch-size 256 > "$work/submit.log"
    pids=()
    t0=$EPOCHREALTIME
    for w in $(seq "$workers"); do
      $acr worker --nats $url --stream $stream --model "$work/m.safetensors" --name w$w > "$work/w$w.log" 2>&1 & pids+=($!)
    done
    $acr collect --nats $url --stream $stream --run r --out "$work/scores-$stream.csv" --timeout 300 > "$work/collect.log"
    t1=$EPOCHREALTIME
    kill -TERM "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
    awk -v n=$workers -v a=$t0 -v b=$t1 -v per="$(sed -n 's/.*batches per worker: //p' "$work/collect.log")" \
      'BEGIN { printf "drain, %d worker(s): 782 batches in %.2f s = %.0f batches/s (per worker: %s)\n", n, b - a, 782 / (b - a), per }'
  done
done
