#!/usr/bin/env bash
# Publishes the local host as one native executable (NativeAOT), built for this machine's CPU.
#   scripts/publish-local-aot.sh [OUTPUT_DIR]          default: .artifacts/local-aot
#   CHUTES_API_KEY=cpk_... .artifacts/local-aot/FunctionsProxy.Local
# Same settings, endpoints and `keys` CLI as `dotnet run --project FunctionsProxy.Local -c Release`. Measured (bench/README.md):
# about half the memory (~75 MB peak under load, ~45 MB idle) and 80 ms from start to the first answer, for 2-45 % more
# CPU per request. Needs a C toolchain for the native link (clang, or gcc): Debian `apt-get install clang`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/.artifacts/local-aot}"

# The runtime identifier of this machine (linux-x64, linux-arm64, osx-arm64, ...).
rid="$(dotnet --info | awk '/^ *RID:/ {print $2; exit}')"
[ -n "$rid" ] || { echo "error: cannot tell this machine's runtime identifier from 'dotnet --info'" >&2; exit 1; }

# NativeAOT links with clang by default; Debian names it clang-NN.
linker=()
if ! command -v clang >/dev/null 2>&1; then
  for c in clang-20 clang-19 clang-18 clang-17 clang-16 clang-15 clang-14 gcc; do
    if command -v "$c" >/dev/null 2>&1; then linker=("-p:CppCompilerAndLinker=$c"); break; fi
  done
  [ ${#linker[@]} -gt 0 ] || { echo "error: NativeAOT needs clang or gcc to link; install one (Debian: apt-get install clang)" >&2; exit 1; }
fi

# Its own artifacts folder: a NativeAOT publish rebuilds FunctionsProxy.Core for the runtime identifier and must not
# touch the bin/obj folders a concurrent `dotnet test` or `dotnet run` is using.
dotnet publish "$root/FunctionsProxy.Local/FunctionsProxy.Local.csproj" -c Release -r "$rid" \
  -p:PublishAot=true -p:IlcInstructionSet=native ${linker[@]+"${linker[@]}"} \
  --artifacts-path "$out.build" -o "$out" --nologo -v q
echo "$out/FunctionsProxy.Local"
