#!/usr/bin/env bash
# Streaming 'acr score' against the in-memory reference scorer, CSV file to CSV file: rows/s and peak RSS for
# 200 k, 2 M and 20 M rows × 20 features (the 20 M-row file is ~3 GB and is deleted afterwards).
#   bench/score-streaming.sh [ROWS...]     (default: 200000 2000000 20000000; needs cc and /usr/bin/time;
#                                           build first: dotnet build Acr.Cli -c Release && dotnet build bench/Acr.Bench -c Release)
# The reference (bench/Acr.Bench score-memory: CsvDatasetReader + TrainedModel.Score + ScoreResult.WriteCsv, the same
# batches) runs where the file fits in memory: up to REFERENCE_MAX_ROWS (default 2000000) rows.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
acr="$root/Acr.Cli/bin/Release/net10.0/acr"
bench="$root/bench/Acr.Bench/bin/Release/net10.0/Acr.Bench"
plugins="$root/Acr.Cli/bin/Release/net10.0/plugins"
rows_list=("${@:-200000 2000000 20000000}")
read -r -a rows_list <<< "${rows_list[*]}"
reference_max=${REFERENCE_MAX_ROWS:-2000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A small fast generator: class label c0..c9, 20 features N(mean(class, j), 1) with 5 decimals (~150 bytes a row).
cat > "$work/gen.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <stdint.h>
static uint64_t s;
static double u(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return ((s >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
static char *fixed5(char *p, double v) {
  if (v < 0) { *p++ = '-'; v = -v; }
  long x = (long)(v * 100000 + 0.5), ip = x / 100000, fp = x % 100000;
  char t[24]; int n = 0; do { t[n++] = (char)('0' + ip % 10); ip /= 10; } while (ip);
  while (n) *p++ = t[--n];
  *p++ = '.'; for (int k = 10000; k; k /= 10) { *p++ = (char)('0' + (fp / k) % 10); }
  return p;
}
int main(int argc, char **argv) {
  long rows = atol(argv[1]); int d = 20; s = 0x9E3779B97F4A7C15ULL ^ (uint64_t)atol(argv[2]);
  static char buf[1 << 20]; char line[1024];
  setvbuf(stdout, buf, _IOFBF, sizeof buf);
  printf("cls"); for (int j = 0; j < d; j++) printf(",f%d", j); printf("\n");
  for (long r = 0; r < rows; r++) {
    int c = (int)(u() * 10); if (c > 9) c = 9;
    char *p = line; *p++ = 'c'; *p++ = (char)('0' + c);
    for (int j = 0; j < d; j++) {
      double z = sqrt(-2 * log(u())) * cos(6.283185307179586 * u());
      *p++ = ','; p = fixed5(p, z + ((c * 7 + j * 3) % 5));
    }
    *p++ = '\n'; fwrite(line, 1, (size_t)(p - line), stdout);
  }
  return 0;
}
C
cc -O2 -o "$work/gen" "$work/gen.c" -lm

echo "machine: $(nproc) cores, $(uptime)"
"$work/gen" 20000 2 > "$work/train.csv"
"$acr" train --data "$work/train.csv" --label cls --train-classes c0,c1,c2,c3,c4 --iterations 50 --out "$work/m.safetensors" --quiet > /dev/null

measure() { # label, command...: prints wall seconds and peak RSS (KB) from /usr/bin/time
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out.txt" 2>&1 || { cat "$work/out.txt"; exit 1; }
  read -r secs rss < "$work/time"
  echo "$label $secs $rss"
}

printf '%-10s %-10s %12s %12s %14s\n' rows scorer seconds rows/s "peak RSS MB"
for rows in "${rows_list[@]}"; do
  "$work/gen" "$rows" 1 > "$work/data.csv"
  size=$(du -m "$work/data.csv" | cut -f1)
  read -r _ secs rss < <(measure streamed "$acr" score --model "$work/m.safetensors" --data "$work/data.csv" --label cls --out "$work/s.csv" --quiet)
  printf '%-10s %-10s %12s %12.0f %14.0f   (%s MB of CSV)\n' "$rows" streamed "$secs" "$(echo "$rows / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$size"
  if [ "$rows" -le "$reference_max" ]; then
    read -r _ secs rss < <(measure in-memory "$bench" score-memory --plugins "$plugins" --model "$work/m.safetensors" --data "$work/data.csv" --label cls --out "$work/r.csv")
    printf '%-10s %-10s %12s %12.0f %14.0f   (%s)\n' "$rows" in-memory "$secs" "$(echo "$rows / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$(cat "$work/out.txt")"
    cmp -s "$work/s.csv" "$work/r.csv" && echo "           streamed and in-memory scores.csv are byte-identical" || { echo "streamed and in-memory scores differ"; exit 1; }
  fi
  rm -f "$work/data.csv" "$work/s.csv" "$work/r.csv"
done
