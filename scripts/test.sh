#!/usr/bin/env bash
# Every check and test of glassgate, as CI runs them (.ci/run calls this script).
#
# Installs what the tests need when it is missing (python3 and node run the handler
# fixtures, botocore signs the AWS_IAM tests' requests, Chromium and playwright-core run
# the console's browser tests), then: formatting, clippy with warnings as errors, all Rust
# tests (unit, integration with real handler processes on loopback, golden files, examples
# build), and the console's tests in headless Chromium against a real `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }

missing=()
have python3 || missing+=(python3)
have node || missing+=(nodejs npm)
have chromium || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && have apt-get; then
        echo "==> installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    else
        echo "error: the tests need ${missing[*]} on PATH (install them, or run as root to let this script do it)" >&2
        exit 1
    fi
fi
have cargo || { echo "error: cargo is needed (https://rustup.rs)" >&2; exit 1; }
# The AWS_IAM tests sign their requests with botocore, the signer of the AWS SDK for Python.
if ! python3 -c 'import botocore' >/dev/null 2>&1; then
    echo "==> installing botocore (the AWS_IAM tests sign requests with it)"
    python3 -m pip install --quiet botocore
fi

# The console's browser tests drive Debian's Chromium through playwright-core, the one npm
# devDependency (browsers cannot be downloaded here, so playwright's own are not used).
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "==> npm ci (playwright-core, for the console's browser tests)"
    npm ci --no-audit --no-fund --loglevel=error
fi

echo "==> cargo fmt --check"
cargo fmt --all --check
echo "==> cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "==> cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet
# The provided-runtime tests run the `provided-rust` example as a real bootstrap binary;
# `cargo test --all-targets` builds examples only as test harnesses, so build it plainly.
echo "==> cargo build --examples"
cargo build --examples --locked
echo "==> cargo test"
# Integration tests mostly wait on child processes, so more threads than cores is right.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
# (RUST_TEST_THREADS rather than --test-threads: the criterion bench, run once in test mode,
# does not take libtest's flags.)
RUST_TEST_THREADS="${GLASSGATE_TEST_THREADS:-8}" cargo test --all-targets --locked 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "==> console tests (headless Chromium)"
browser_log="$(mktemp)"
trap 'rm -f "$log" "$browser_log"' EXIT
set +e
GLASSGATE_BIN="$PWD/target/debug/glassgate" node --test --test-reporter=tap --test-concurrency=1 tests/console/ 2>&1 | tee "$browser_log"
browser_status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary (cargo prints one per binary, the last of which
# may be a binary without tests), then the browser tests' (node's runner ends with `# pass N`
# and `# fail N`).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
awk '/^# pass / { p = $3 } /^# fail / { f = $3 } END { printf "console tests: %d passed, %d failed\n", p, f }' "$browser_log"
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$browser_status"
