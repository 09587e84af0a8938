#!/usr/bin/env bash
# Builds and lints infra/ with the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64); any warning fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dotnet restore tools/Bicep/Bicep.csproj --nologo -v quiet >/dev/null
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
version="$(dotnet msbuild tools/Bicep/Bicep.csproj -getProperty:BicepVersion)"   # Directory.Build.props
bicep="$packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"
chmod +x "$bicep"
out="$("$bicep" build infra/main.bicep --stdout 2>&1 >/dev/null)" || { echo "$out"; exit 1; }
lint="$("$bicep" lint infra/main.bicep 2>&1)" || { echo "$lint"; exit 1; }
if grep -qE "Warning|Error" <<<"$out$lint"; then echo "$out$lint"; exit 1; fi
python3 -c 'import json,sys; json.load(open("infra/main.parameters.json"))'
echo "bicep: build and lint clean (Bicep $("$bicep" --version | head -1))"
