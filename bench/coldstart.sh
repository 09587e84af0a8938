#!/usr/bin/env bash
# Cold start of the published Functions app under the stand-in Functions host (tools/FunctionsHost): process start →
# first JSON 200 and → first SSE event, worker and host RSS (median of --runs, default 3).
#   bench/coldstart.sh                 the app as FunctionsProxy.csproj publishes it
#   bench/coldstart.sh --compare       also variants: ReadyToRun on, TieredPGO off, TieredCompilation off
#   bench/coldstart.sh --runs 5
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
compare=0
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --compare) compare=1 ;;
    --runs) runs="$2"; shift ;;
    *) echo "unknown argument $1"; exit 2 ;;
  esac
  shift
done
out="$root/bench/results/coldstart"
dotnet build -c Release -nologo -v q bench/FunctionsProxy.Bench/FunctionsProxy.Bench.csproj >/dev/null
dotnet build -c Release -nologo -v q tools/FunctionsHost/FunctionsHost.csproj >/dev/null
bench="bench/FunctionsProxy.Bench/bin/Release/net10.0/FunctionsProxy.Bench.dll"
host="$root/tools/FunctionsHost/bin/Release/net10.0/FunctionsHost.dll"

publish() {  # publish NAME [msbuild properties...]
  local name="$1"; shift
  rm -rf "$out/$name"
  dotnet publish FunctionsProxy/FunctionsProxy.csproj -c Release -nologo -v q -o "$out/$name" "$@" >/dev/null
  echo "$name: $(du -sm "$out/$name" | cut -f1) MB published"
}

publish as-built
dotnet "$bench" coldstart --host-dll "$host" --app "$out/as-built" --runs "$runs"
if [ "$compare" -eq 1 ]; then
  publish r2r -p:PublishReadyToRun=true -r linux-x64 --self-contained false
  dotnet "$bench" coldstart --host-dll "$host" --app "$out/r2r" --runs "$runs"
  publish no-tiered-pgo -p:TieredPGO=false
  dotnet "$bench" coldstart --host-dll "$host" --app "$out/no-tiered-pgo" --runs "$runs"
  publish no-tiered-compilation -p:TieredCompilation=false
  dotnet "$bench" coldstart --host-dll "$host" --app "$out/no-tiered-compilation" --runs "$runs"
fi
