#!/usr/bin/env bash
# Packs the SDK (Acr.Abstractions, the Acr host library, the Acr.Cli tool) into artifacts/packages and uses it the way a
# newcomer would, offline: installs the acr tool into a temporary folder and runs 'acr --help' and 'acr plugins'
# (every built-in plugin must load), then builds a console program that references only the Acr package, trains a
# small model on the embedded letter data, saves it, reloads it and checks that the reloaded model scores bit for bit
# like the one in memory. Acr* packages come only from the feed, everything else from the machine's NuGet cache (as a
# folder source), restored into a fresh package folder. Each step prints its time. Exit 0 only if all passed.
#   scripts/test-packages.sh                 (.ci/run calls it after the test command)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

cache=$(dotnet nuget locals global-packages -l | sed 's/^global-packages: *//; s:/*$::')
work=$(mktemp -d "${TMPDIR:-/tmp}/acr-packages.XXXXXX")
trap 'rm -rf "$work"' EXIT
feed="$root/artifacts/packages"
version=$(dotnet msbuild Acr.Abstractions/Acr.Abstractions.csproj -getProperty:Version)

step() { # runs a command, then prints it with the seconds it took; returns its exit status
  local t0 rc=0
  t0=$(date +%s.%N)
  "$@" || rc=$?
  printf '  %-74s %6.1f s%s\n' "$*" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$([ $rc -eq 0 ] || echo "  (exit $rc)")" | sed "s|$work|\$work|g; s|$root|.|g" >&2
  return $rc
}
fail() { echo "test-packages FAILED: $*" >&2; exit 1; }

echo "test-packages: packing Acr.Abstractions, Acr and Acr.Cli $version into artifacts/packages"
step dotnet pack Acr.Abstractions/Acr.Abstractions.csproj -c Release --nologo -v quiet
step dotnet pack Acr.Host/Acr.Host.csproj -c Release --nologo -v quiet
step dotnet pack Acr.Cli/Acr.Cli.csproj -c Release --nologo -v quiet

# What each package must carry: docs, README, licence, repository metadata, and (Acr, Acr.Cli) the built-in plugins.
for pkg in Acr.Abstractions Acr Acr.Cli; do
  nupkg="$feed/$pkg.$version.nupkg"
  [ -f "$nupkg" ] || fail "$nupkg was not produced"
  list=$(unzip -l "$nupkg")
  nuspec=$(unzip -p "$nupkg" "$pkg.nuspec")
  for want in README.md LICENSE NOTICE; do grep -q " $want\$" <<<"$list" || fail "$pkg has no $want"; done
  grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || fail "$pkg's nuspec declares no licence"
  grep -q '<repository type="git"' <<<"$nuspec" || fail "$pkg's nuspec has no repository metadata"
  case $pkg in
    Acr.Abstractions) grep -q 'lib/net10.0/Acr.Abstractions.xml' <<<"$list" || fail "$pkg has no XML docs" ;;
    Acr) grep -q 'lib/net10.0/Acr.Host.xml' <<<"$list" || fail "$pkg has no XML docs"
         grep -q 'build/Acr.targets' <<<"$list" && grep -q 'buildTransitive/Acr.targets' <<<"$list" || fail "$pkg has no build targets"
         for p in Acr.Backends.Cpu Acr.Backends.Gpu Acr.Detectors.DeepSvdd Acr.Detectors.Ntl; do
           grep -q "plugins/$p/$p.dll" <<<"$list" || fail "$pkg lacks the $p plugin"; done ;;
    Acr.Cli) grep -q 'tools/net10.0/any/plugins/Acr.Detectors.DeepSvdd/' <<<"$list" || fail "$pkg lacks its plugins" ;;
  esac
  echo "  $pkg: docs, README, LICENSE, NOTICE, licence expression and repository metadata present"
done

cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="acr-local" value="$feed" />
    <add key="machine-cache" value="$cache" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="acr-local"><package pattern="Acr" /><package pattern="Acr.*" /></packageSource>
    <packageSource key="machine-cache"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML
export NUGET_PACKAGES="$work/packages" DOTNET_CLI_HOME="$work/home"
cd "$work"

echo "test-packages: the acr tool"
step dotnet tool install --tool-path "$work/bin" --configfile "$work/nuget.config" Acr.Cli --version "$version" >/dev/null \
  || fail "dotnet tool install Acr.Cli"
step "$work/bin/acr" --help >"$work/help.txt" || fail "acr --help"
grep -q "evaluate" "$work/help.txt" || fail "acr --help lists no evaluate command"
step "$work/bin/acr" plugins >"$work/plugins.txt" || { cat "$work/plugins.txt"; fail "acr plugins"; }
for p in Acr.Backends.Cpu Acr.Backends.Gpu Acr.Detectors.DeepSvdd Acr.Detectors.Ntl; do
  grep -q "^$p .* loaded$" "$work/plugins.txt" || { cat "$work/plugins.txt"; fail "the installed acr did not load $p"; }
done
echo "  installed acr loads Cpu, Gpu, DeepSvdd and Ntl"

echo "test-packages: a console program referencing only the Acr package"
mkdir -p "$work/app"
cp "$root/Acr.Host/Resources/letter.csv.gz" "$work/app/letter.csv.gz"
cat > "$work/app/app.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup><PackageReference Include="Acr" Version="$version" /></ItemGroup>
</Project>
XML
cat > "$work/app/Program.cs" <<'CS'
using Acr.Host;
using Acr.Host.Data;
using Acr.Host.Scoring;
using Acr.Host.Training;

var letter = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "letter.csv.gz");
using var acr = AcrRuntime.Load();
using var backend = acr.CreateBackend("cpu");
var data = CsvDatasetReader.Read(letter, new CsvReadOptions { LabelColumn = "lettr" });
using var model = acr.Train(data, new TrainingRequest { TrainClasses = ["A", "B", "C", "D"], Training = new MetaTrainingOptions { Iterations = 20 } }, backend);
var path = Path.Combine(Path.GetTempPath(), $"acr-package-{Environment.ProcessId}.safetensors");
model.Save(path);
using var reloaded = acr.LoadModel(path, backend);
File.Delete(path);
var a = model.Score(data, new ScoringRequest { BatchSize = 256 }).Scores;
var b = reloaded.Score(data, new ScoringRequest { BatchSize = 256 }).Scores;
if (a.Count != data.Rows || b.Count != a.Count) { Console.Error.WriteLine($"scored {a.Count} and {b.Count} of {data.Rows} rows"); return 1; }
for (var i = 0; i < a.Count; i++)
    if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i])) { Console.Error.WriteLine($"row {i}: {a[i]} vs {b[i]}"); return 1; }
Console.WriteLine($"trained, saved, reloaded; {a.Count} rows scored bit for bit alike");
return 0;
CS
step dotnet build "$work/app" -c Release --nologo -v quiet --configfile "$work/nuget.config" >"$work/build.txt" \
  || { tail -30 "$work/build.txt"; fail "the console program did not build against the Acr package"; }
[ -f "$work/app/bin/Release/net10.0/plugins/Acr.Backends.Cpu/Acr.Backends.Cpu.dll" ] \
  || fail "the Acr package did not copy its plugins beside the program"
step dotnet "$work/app/bin/Release/net10.0/app.dll" || fail "the console program failed"
echo "test-packages: all passed"
