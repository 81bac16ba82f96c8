#!/usr/bin/env bash
# test.sh - run every test of OrleansGuarantee: unit, cluster, integration and browser tests.
#
# Installs what is missing (Azurite for the integration tests, Debian's chromium for the browser tests), builds the solution in Release (the
# silo too: the integration tests start it as a process), runs "dotnet test" on it, and ends with one line:
#   N passed, N failed[, N skipped]
# The exit code is dotnet test's (non-zero when a test failed), and non-zero when no test ran.
# Extra arguments go to dotnet test, e.g.  ./test.sh --filter "Category=Integration"
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

for tool in dotnet node npm; do
    if ! command -v "$tool" >/dev/null; then
        echo "test.sh: '$tool' is not installed or not on PATH (needs the .NET SDK and Node.js with npm)." >&2
        exit 2
    fi
done

# The browser tests (Tests.Browser) drive Debian's Chromium at /usr/bin/chromium, never a downloaded browser:
# install it (with its recommended fonts, for readable screenshots) when it is missing.
if [[ ! -x /usr/bin/chromium ]]; then
    echo "Installing Chromium for the browser tests (apt-get install chromium)..."
    SUDO=""
    if (( EUID != 0 )); then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    { $SUDO apt-get update -q && $SUDO apt-get install -y -q chromium fonts-liberation < /dev/null; } ||
        { echo "test.sh: could not install chromium (needed by the browser tests)." >&2; exit 2; }
fi

if [[ ! -f node_modules/azurite/dist/src/table/main.js ]]; then
    echo "Installing Azurite (npm ci)..."
    npm ci --no-audit --no-fund || { echo "test.sh: npm ci failed." >&2; exit 2; }
fi

# The whole output is kept, to read the per-assembly summaries back.
mkdir -p TestResults
LOG="TestResults/test-output.log"

# The whole solution is built first: "dotnet test" on the solution builds only the test project and
# what it references, not the silo that the integration tests start as a process.
echo "Building (dotnet build OrleansGuarantee.sln -c Release)..."
if ! dotnet build OrleansGuarantee.sln -c Release -nologo -v quiet 2>&1 | tee "$LOG"; then
    echo
    echo "test.sh: the build failed; no test ran."
    echo "0 passed, 0 failed"
    exit 1
fi

# One test project after another (-m:1): the browser tests time how fast pages follow the cluster, which a test
# project running beside them on the same few cores would distort.
dotnet test OrleansGuarantee.sln -c Release -m:1 "$@" 2>&1 | tee -a "$LOG"
code=${PIPESTATUS[0]}

# One summary line per test assembly, e.g.
#   Passed!  - Failed:     0, Passed:    57, Skipped:     0, Total:    57, Duration: 3 s - OrleansGuarantee.Tests.dll (net10.0)
#   Failed!  - Failed:     2, Passed:    55, Skipped:     0, Total:    57, Duration: 4 s - ...
read -r passed failed skipped < <(
    grep -E '^[[:space:]]*(Passed|Failed)!' "$LOG" | awk '
        {
            for (i = 1; i <= NF; i++) {
                v = $(i + 1); gsub(/,/, "", v)
                if ($i == "Failed:")  failed  += v
                if ($i == "Passed:")  passed  += v
                if ($i == "Skipped:") skipped += v
            }
        }
        END { printf "%d %d %d\n", passed, failed, skipped }')

echo
if (( skipped > 0 )); then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi

# dotnet test exits 0 when a filter matches nothing; that is not a passing run.
if (( code == 0 && (failed > 0 || passed + failed == 0) )); then
    code=1
fi
exit "$code"
