#!/usr/bin/env bash
# Builds and tests a project generated from each Acr template (acr-detector, acr-backend), offline, then checks that
# the built acr host loads each generated plugin. Packages come only from a local feed: artifacts/packages
# (Acr.Abstractions, Acr.Testing and Acr.Templates, packed here) for Acr.*, and the machine's NuGet cache (as a folder source) for
# everything else; restores go to a fresh package folder, so a stale Acr.Abstractions in the cache cannot be used.
# Run from anywhere after 'dotnet build' of the host (.ci/run: after the test command). Exit 0 only if all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

cache=$(dotnet nuget locals global-packages -l | sed 's/^global-packages: *//; s:/*$::')
host="$root/Acr.Cli/bin/Release/net10.0/acr.dll"
if [ ! -f "$host" ]; then
  echo "test-templates FAILED: $host is missing; build the host first (dotnet build Acr.Cli -c Release)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/acr-templates.XXXXXX")
trap 'rm -rf "$work"' EXIT
feed="$root/artifacts/packages"
version=$(dotnet msbuild Acr.Abstractions/Acr.Abstractions.csproj -getProperty:Version)

# Runs a command, then prints it with the seconds it took; returns its exit status.
step() {
  local t0 rc=0
  t0=$(date +%s.%N)
  "$@" || rc=$?
  printf '  %-70s %6.1f s%s\n' "$*" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$([ $rc -eq 0 ] || echo "  (exit $rc)")" | sed "s|$work|\$work|g; s|$root|.|g"
  return $rc
}

echo "test-templates: packing Acr.Abstractions, Acr.Testing and Acr.Templates $version into artifacts/packages"
step dotnet pack Acr.Abstractions/Acr.Abstractions.csproj -c Release --nologo -v quiet
step dotnet pack tests/Acr.Testing/Acr.Testing.csproj -c Release --nologo -v quiet
step dotnet pack templates/Acr.Templates/Acr.Templates.csproj -c Release --nologo -v quiet

# Offline: no remote source at all; Acr.* only from the feed, the rest only from the cache folder.
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="acr-local" value="$feed" />
    <add key="machine-cache" value="$cache" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="acr-local"><package pattern="Acr.*" /></packageSource>
    <packageSource key="machine-cache"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML
export NUGET_PACKAGES="$work/packages" DOTNET_CLI_HOME="$work/home"
cd "$work"
step dotnet new install "$feed/Acr.Templates.$version.nupkg"

failed=0
check() { # template, project name, registration to find in 'acr plugins'
  local template=$1 name=$2 expect=$3 out=""
  echo "test-templates: $template"
  if step dotnet new "$template" -n "$name" -o "$work/$name" --acr-version "$version" --no-update-check \
     && step dotnet test "$work/$name" -c Release --nologo \
     && out=$(dotnet "$host" plugins --plugins "$work/$name/src/$name/bin/Release/net10.0") \
     && grep -q "^$name .* loaded$" <<<"$out" && grep -q "registers: $expect" <<<"$out"; then
    echo "  $template: generated, built, tests passed, acr loads it ($expect)"
  else
    echo "$out" | tail -20
    echo "  $template: FAILED" >&2
    failed=$((failed + 1))
  fi
}
check acr-detector Mine "detector mine"
check acr-backend MineBackend "backend mine"
if [ "$failed" -ne 0 ]; then
  echo "test-templates FAILED: $failed template(s)" >&2
  exit 1
fi
echo "test-templates: both templates passed"
