#!/usr/bin/env bash
# Times 'acr fetch all' into a fresh cache (network-bound), then the idempotent re-run (verification only).
#   bench/fetch-timing.sh        (needs apt-get with current lists, dpkg-deb and npm; build Acr.Cli first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
acr="dotnet $root/Acr.Cli/bin/Release/net10.0/acr.dll"
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
uptime
time $acr fetch all --cache "$cache"
time $acr fetch all --cache "$cache"
du -sh "$cache"
