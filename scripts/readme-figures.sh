#!/usr/bin/env bash
# Re-measures the figures of README.md and prints each one next to the README's, so a reader can check them on
# their own machine. Nothing here reads ../shared: letter is embedded in acr (--data letter), digits comes from
# 'acr fetch digits'.
#
#   scripts/readme-figures.sh [SECTION...]     sections: demo letter digits speed fetch clone, or all
#                                              (default: demo letter, about 2 minutes on 2 cores)
#
#   demo    acr demo: the table of the set-up section and its run time
#   letter  acr evaluate --data letter --seeds 5: the letter table, seconds per seed and in all
#   digits  acr fetch digits, then acr evaluate --data digits with 5 seeds, 20 seeds and 5 seeds x 100 test draws;
#           the PyTorch re-implementation's row when python3-torch is installed (bench/torch_zero_shot_digits.py)
#   speed   bench/compare-with-torch.sh (needs python3-torch), the GEMM suite (bench/Acr.Bench gemm-quick) and
#           acr bench's managed allocation per training iteration
#   fetch   bench/fetch-timing.sh: acr fetch all into a fresh cache (network)
#   clone   the demo from a fresh clone, build included (git clone of this checkout's HEAD)
#
# Rows marked "quoted" are the published PyTorch reference implementation's own figures: the README quotes them,
# nothing here can re-measure them. Set ACR to use another acr (a command line, e.g. "dotnet path/acr.dll").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(demo letter)
[ "${sections[0]}" = all ] && sections=(demo letter digits speed fetch clone)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "${ACR:-}" ]; then
  dotnet build Acr.Cli -c Release -v q -nologo >/dev/null
  ACR="dotnet $root/Acr.Cli/bin/Release/net10.0/acr.dll"
fi

echo "machine: $(nproc) cores, $(uptime | sed 's/.*load average/load average/') (times scale with the load)"
now() { date +%s.%N; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$1" "$2"; }

# figure LABEL README MEASURED: one line of the comparison.
figure() { printf '%-58s | README: %-52s | measured: %s\n' "$1" "$2" "$3"; }

# readme_row LABEL: the cells after LABEL in README's markdown table row "| LABEL | a | b | ... |", joined by " | ".
readme_row() {
  python3 - "$1" <<'PY'
import sys
label = sys.argv[1]
for line in open("README.md", encoding="utf-8"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) > 1 and cells[0] == label:
        print(" | ".join(c.replace("**", "") for c in cells[1:]))
        break
else:
    print("(row not in README)")
PY
}

# readme_box LABEL: the same for the demo's box-drawn table ("│ LABEL │ a │ ...").
readme_box() {
  python3 - "$1" <<'PY'
import sys
label = sys.argv[1]
for line in open("README.md", encoding="utf-8"):
    cells = [c.strip() for c in line.strip().strip("│").split("│")]
    if len(cells) > 1 and cells[0] == label:
        print(" | ".join(cells[1:]))
        break
else:
    print("(row not in README)")
PY
}

# readme_phrase REGEX: the first match of REGEX in README (for figures in running text).
readme_phrase() { grep -oE "$1" README.md | head -1 || echo "(not in README)"; }

# summary METRICS METHOD [draws]: "mean ± std" of the mean AUROC per π, as the README's tables give it.
summary() {
  python3 - "$1" "$2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
rows = sorted((s for s in m["summary"] if s["method"] == sys.argv[2]), key=lambda s: s["contamination"])
print(" | ".join(f"{s['aurocMean']:.3f} ± {s['aurocStd']:.3f}" for s in rows))
PY
}

seed_seconds() {
  python3 - "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
t = [s["trainingSeconds"] for s in m["seeds"]]
print(f"{sum(t) / len(t):.1f} s per seed (min {min(t):.1f}, max {max(t):.1f})")
PY
}

for section in "${sections[@]}"; do
  echo
  echo "== $section"
  case $section in
    demo)
      t0=$(now); $ACR demo --out "$work/demo" > "$work/demo.txt"; t1=$(now)
      for row in "ACR" "B1 (running stats)" "B2 (raw batch norm)"; do
        measured=$(python3 - "$work/demo.txt" "$row" <<'PY'
import sys
for line in open(sys.argv[1], encoding="utf-8"):
    cells = [c.strip() for c in line.strip().strip("│").split("│")]
    if len(cells) > 1 and cells[0] == sys.argv[2]:
        print(" | ".join(cells[1:]))
        break
PY
)
        figure "demo, $row, AUROC at π = 0.01 | 0.05 | 0.1 | 0.2" "$(readme_box "$row")" "$measured"
      done
      figure "demo run time (3 seeds × 500 iterations)" "$(readme_phrase 'about [0-9]+ s on 2 cores')" "$(secs "$t0" "$t1") on $(nproc) cores"
      ;;
    letter)
      t0=$(now); $ACR evaluate --data letter --seeds 5 --quiet --out "$work/letter" > /dev/null; t1=$(now)
      m=$work/letter/metrics.json
      figure "letter, ACR (Acr)" "$(readme_row 'ACR (Acr)')" "$(summary "$m" ACR)"
      figure "letter, ACR (PyTorch reference)" "$(readme_row 'ACR (PyTorch reference)')" "quoted (the reference implementation's figure)"
      figure "letter, B1 running statistics" "$(readme_row 'B1 running statistics')" "$(summary "$m" B1)"
      figure "letter, B2 raw batch norm" "$(readme_row 'B2 raw batch norm')" "$(summary "$m" B2)"
      figure "letter, training time per seed" "$(readme_phrase 'Each seed trains in about [0-9.]+ s')" "$(seed_seconds "$m")"
      figure "letter, whole 5-seed evaluation" "$(readme_phrase 'evaluation takes [0-9.]+ s')" "$(secs "$t0" "$t1")"
      ;;
    digits)
      $ACR fetch digits > /dev/null
      $ACR evaluate --data digits --seeds 5 --quiet --out "$work/d5" > /dev/null
      $ACR evaluate --data digits --seeds 20 --quiet --out "$work/d20" > /dev/null
      $ACR evaluate --data digits --seeds 5 --test-draws 100 --quiet --out "$work/d5x100" > /dev/null
      figure "digits, ACR (Acr, 5 seeds)" "$(readme_row 'ACR (Acr, 5 seeds)')" "$(summary "$work/d5/metrics.json" ACR)"
      figure "digits, ACR (Acr, 20 seeds)" "$(readme_row 'ACR (Acr, 20 seeds)')" "$(summary "$work/d20/metrics.json" ACR)"
      figure "digits, ACR (Acr, 5 seeds × 100 test draws)" "$(readme_row 'ACR (Acr, 5 seeds × 100 test draws, `--test-draws 100`)')" "$(summary "$work/d5x100/metrics.json" ACR)"
      figure "digits, B2 raw batch norm (Acr, 5 seeds)" "$(readme_row 'B2 raw batch norm (Acr, 5 seeds)')" "$(summary "$work/d5/metrics.json" B2)"
      figure "digits, ACR (PyTorch reference)" "$(readme_row 'ACR (PyTorch reference)' | tail -1)" "quoted (the reference implementation's figure)"
      figure "digits, B2 (PyTorch reference)" "$(readme_row 'B2 raw batch norm (PyTorch reference)')" "quoted (the reference implementation's figure)"
      if python3 -c "import torch" 2>/dev/null; then
        python3 bench/torch_zero_shot_digits.py --seeds 0-9 > "$work/torch-digits.txt"
        figure "digits, PyTorch re-implementation (10 seeds)" \
          "$(readme_row 'ACR (`bench/torch_zero_shot_digits.py`: PyTorch re-implementation of this protocol, 10 seeds)')" \
          "$(tr '\n' ' ' < "$work/torch-digits.txt" | cut -c1-300)"
      else
        figure "digits, PyTorch re-implementation (10 seeds)" "(see README)" "skipped: python3-torch is not installed (apt-get install python3-torch)"
      fi
      ;;
    speed)
      echo "README's speed table:"
      sed -n '/^| measure | PyTorch/,/^$/p' README.md
      if /usr/bin/python3 -c "import torch" 2>/dev/null; then
        echo "measured (bench/compare-with-torch.sh):"
        bench/compare-with-torch.sh
      else
        echo "bench/compare-with-torch.sh skipped: python3-torch is not installed (apt-get install python3-torch libopenblas0-openmp)"
      fi
      echo "measured (GEMM suite):"
      dotnet run -c Release --project bench/Acr.Bench -- gemm-quick
      $ACR bench --out "$work/bench.json" > "$work/bench.txt"
      figure "managed allocation per training iteration" "$(readme_phrase 'allocates [0-9]+ bytes of managed memory per iteration')" \
        "$(grep -iE 'alloc' "$work/bench.txt" | head -1 | sed 's/^ *//')"
      ;;
    fetch)
      figure "acr fetch all (fresh cache, then verified re-run)" "$(readme_phrase 'All three take about [0-9]+ s on a fast connection \([0-9]+ MB\)')" "below"
      bench/fetch-timing.sh
      ;;
    clone)
      git clone -q "$root" "$work/clone"
      t0=$(now); (cd "$work/clone" && dotnet run --project Acr.Cli -c Release -- demo --out "$work/clone-demo" > /dev/null); t1=$(now)
      figure "demo from a fresh clone, build included" "$(readme_phrase 'about [0-9]+ s from a fresh clone with the build')" "$(secs "$t0" "$t1")"
      ;;
    *)
      echo "unknown section '$section'; sections: demo letter digits speed fetch clone all" >&2
      exit 2
      ;;
  esac
done
