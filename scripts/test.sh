#!/usr/bin/env bash
# Sets up and runs every test: the native tests of all crates (rules, proxy, end-to-end in
# headless Chromium against the running proxy) and the widget's browser tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

echo "== lint: rustfmt and clippy (native crates, and the widget on wasm32)"
cargo fmt --all --check
cargo clippy --workspace --exclude coupon-widget --exclude size-floor --all-targets -- -D warnings
cargo clippy -p coupon-widget -p size-floor --target wasm32-unknown-unknown --all-targets -- -D warnings

echo "== building the widget (release) for the end-to-end tests"
trunk build --release

echo "== the production proxy: no sandbox code, data or keys"
scripts/check-production-build.sh

echo "== native tests: rules engine, proxy + sandbox, end to end"
cargo test --workspace --exclude coupon-widget --exclude size-floor

echo "== browser tests: the widget in headless Chromium"
log=$(mktemp)
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
CHROMEDRIVER=/usr/bin/chromedriver \
  cargo test --target wasm32-unknown-unknown -p coupon-widget 2>&1 | tee "$log"
# On the native target #[wasm_bindgen_test] compiles to nothing; here every browser test
# file must have run at least one test.
if ! grep -q '^test result: ok\. [1-9]' "$log" || grep -q '^test result: ok\. 0 passed' "$log"; then
  echo "a browser test file ran no tests" >&2
  exit 1
fi
echo "all tests passed"
