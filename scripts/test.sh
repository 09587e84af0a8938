#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs Azurite (npm) into .tools/azurite, starts it for Table Storage
# when nothing is listening on 127.0.0.1:10002, installs Chromium when missing, runs every test project of the
# solution, and ends with "N passed, N failed". The deployment rehearsal starts its own HTTPS Azurite from the same
# install. Browser-test screenshots: tests/FunctionsProxy.Core.Tests/bin/*/*/screenshots/.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

azurite_pid=""
cleanup() { [ -n "$azurite_pid" ] && kill "$azurite_pid" 2>/dev/null; }
trap cleanup EXIT

listening() { (exec 3<>/dev/tcp/127.0.0.1/10002) 2>/dev/null; }

tools="$root/.tools/azurite"
if [ ! -x "$tools/node_modules/.bin/azurite" ]; then
  echo "Installing Azurite (npm) into .tools/azurite ..."
  mkdir -p "$tools"
  # Node 20 resolves 3.35.0; newer Azurite needs Node >= 21.
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error azurite@3.35.0 >/dev/null || { echo "npm install azurite failed"; exit 1; }
fi

if ! listening; then
  "$tools/node_modules/.bin/azurite-table" --tableHost 127.0.0.1 --tablePort 10002 --inMemoryPersistence \
    --skipApiVersionCheck --disableTelemetry --silent >/dev/null 2>&1 &
  azurite_pid=$!
  for _ in $(seq 1 100); do listening && break; sleep 0.1; done
  listening || { echo "Azurite did not start on 127.0.0.1:10002"; exit 1; }
fi

# The admin console's browser tests drive the system's Chromium (Debian packages; nothing downloads a browser).
# The tests look at /usr/bin/chromium unless CHROMIUM_PATH says otherwise: point them at the one on PATH.
if [ -z "${CHROMIUM_PATH:-}" ] && command -v chromium >/dev/null 2>&1; then export CHROMIUM_PATH="$(command -v chromium)"; fi
if [ -z "${CHROMIUM_PATH:-}" ]; then
  echo "Installing Chromium (apt) for the admin console's browser tests ..."
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver; } >/dev/null 2>&1 \
    || echo "Chromium could not be installed: the browser tests will fail."
fi

# The NativeAOT test publishes the local host with scripts/publish-local-aot.sh, which links with clang (or gcc).
if ! { compgen -c clang; compgen -c gcc; } | grep -qE '^(clang(-[0-9]+)?|gcc)$'; then
  echo "Installing clang (apt) for the NativeAOT local host test ..."
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq clang; } >/dev/null 2>&1 \
    || echo "clang could not be installed: the NativeAOT test will fail."
fi

# Published before the tests start, not inside them: the native compile keeps both cores busy for a minute, and the
# timing-sensitive tests (slow bodies, stream waits) must not run beside it. NativeAotLocalHostTests uses this build.
echo "Publishing the NativeAOT local host (scripts/publish-local-aot.sh) ..."
if aot_exe="$("$root/scripts/publish-local-aot.sh" "$root/.artifacts/local-aot-test" | tail -n 1)"; then
  export FUNCTIONSPROXY_AOT_EXE="$aot_exe"
else
  echo "The NativeAOT publish failed: NativeAotLocalHostTests will publish again and report why."
fi

log="$(mktemp)"
dotnet test FunctionsProxy.sln --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One closing line over all test projects (dotnet test prints one summary per project).
read -r passed failed skipped < <(grep -E '^(Passed|Failed)! +- Failed: ' "$log" | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # build errors count as a failure
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
