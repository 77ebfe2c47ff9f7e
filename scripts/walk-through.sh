#!/usr/bin/env bash
# The plugin SDK walk-through a new user does (docs/plugins.md): a clean clone, pack the packages, install the tool
# and the templates, create a detector and a backend, build and test them, load them, evaluate the detector; each step timed.
# Usage: bash scripts/walk-through.sh   (works in ${ACR_WALK_DIR:-/tmp/acr-walk}, which it deletes first)
set -euo pipefail
W=${ACR_WALK_DIR:-/tmp/acr-walk}
REPO=$(cd "$(dirname "$0")/.." && pwd)
rm -rf $W && mkdir -p $W
export DOTNET_CLI_HOME=$W/home NUGET_PACKAGES=$W/nuget DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
step() {
  local name=$1; shift
  local t0=$EPOCHREALTIME
  "$@" > "$W/$name.log" 2>&1 || { echo "FAILED: $name (log: $W/$name.log)"; tail -30 "$W/$name.log"; exit 1; }
  awk -v n="$name" -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%-22s %6.1f s\n", n, b - a }'
}
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
step clone git clone -q "$REPO" $W/acr
cd $W/acr
step pack-abstractions dotnet pack Acr.Abstractions -c Release
step pack-testing dotnet pack tests/Acr.Testing -c Release
step pack-acr-library dotnet pack Acr.Host -c Release
step pack-cli dotnet pack Acr.Cli -c Release
step pack-templates dotnet pack templates/Acr.Templates -c Release
ls artifacts/packages
step tool-install dotnet tool install --tool-path $W/bin --add-source $W/acr/artifacts/packages Acr.Cli
step template-install dotnet new install $W/acr/artifacts/packages/Acr.Templates.0.1.0.nupkg
cd $W
step new-detector dotnet new acr-detector -n Mine --feed $W/acr/artifacts/packages
cd $W/Mine
step test-detector dotnet test -c Release
grep -E "Passed!|Failed!" $W/test-detector.log
step plugins $W/bin/acr plugins --plugins src/Mine/bin/Release/net10.0
grep -A2 "^Mine" $W/plugins.log; tail -1 $W/plugins.log
step evaluate $W/bin/acr evaluate --plugins src/Mine/bin/Release/net10.0 --detector mine --data letter --seeds 1 --out $W/eval
grep -iE "auroc|mean|0\.[0-9]{3}" $W/evaluate.log | head -12
cd $W
step new-backend dotnet new acr-backend -n MyBackend --feed $W/acr/artifacts/packages
cd $W/MyBackend
step test-backend dotnet test -c Release
grep -E "Passed!|Failed!" $W/test-backend.log
step plugins-backend $W/bin/acr plugins --plugins src/MyBackend/bin/Release/net10.0
grep -A2 "^MyBackend" $W/plugins-backend.log
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
