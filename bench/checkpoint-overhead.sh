#!/usr/bin/env bash
# Cost of training checkpoints on the default letter run ('acr train --data letter.csv.gz --label lettr', 500 iterations):
#   1. the size of one checkpoint (the run is killed with SIGKILL once the first one is on disk),
#      and the write time of each checkpoint as 'acr train' reports it,
#   2. the wall time of the full run without checkpoints and with --checkpoint-every 50 (9 checkpoints), alternating,
#      REPEATS times each, in this one run of the script; the overhead ratio is median(with) / median(without), and
#      (median(with) - median(without)) / 9 is the cost of one checkpoint write,
#      and the share of the run spent writing checkpoints as acr times them (robust where the machine is loaded),
#   3. the model files of both runs are compared byte for byte (checkpointing must not change the model).
#   bench/checkpoint-overhead.sh [LETTER_CSV] [REPEATS]      (build Acr.Cli -c Release first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$root/../shared/data/letter.csv.gz}
repeats=${2:-3}
acr="dotnet $root/Acr.Cli/bin/Release/net10.0/acr.dll"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
uptime

# 1. Checkpoint size.
$acr train --data "$data" --label lettr --quiet --checkpoint-every 50 --out "$work/stopped.safetensors" >/dev/null 2>&1 &
pid=$!
while [ ! -f "$work/stopped.safetensors.ckpt" ]; do sleep 0.05; done
kill -KILL "$pid"
wait "$pid" || true
echo "checkpoint size: $(stat -c %s "$work/stopped.safetensors.ckpt") bytes"

# 2. Overhead.
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >"$work/last.txt"; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
none=(); with=(); direct=()
for i in $(seq "$repeats"); do
  none+=("$(seconds $acr train --data "$data" --label lettr --out "$work/none.safetensors")")
  with+=("$(seconds $acr train --data "$data" --label lettr --checkpoint-every 50 --out "$work/with.safetensors")")
  line=$(grep '^checkpoints:' "$work/last.txt")
  ms=$(echo "$line" | sed -E 's/.* ([0-9.]+) ms each.*/\1/')
  direct+=("$(echo "scale=6; 9 * $ms / 1000 / ${with[-1]}" | bc)")
  echo "repeat $i: none ${none[-1]} s, --checkpoint-every 50 ${with[-1]} s; $line; share of the run spent writing checkpoints: ${direct[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mn=$(median "${none[@]}"); mw=$(median "${with[@]}")
echo "median: none $mn s, --checkpoint-every 50 $mw s"
echo "overhead ratio (with / none): $(echo "scale=4; $mw / $mn" | bc)"
echo "per checkpoint from the medians (9 written): $(echo "scale=4; ($mw - $mn) / 9" | bc) s"
echo "median share of the run spent writing checkpoints (timed inside acr): $(median "${direct[@]}")"

# 3. Same model.
cmp "$work/none.safetensors" "$work/with.safetensors" && echo "model files identical"
