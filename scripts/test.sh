#!/usr/bin/env bash
# Sets up and runs every test: the native tests of all crates (rules, proxy, end-to-end in
# headless Chromium against the running proxy, then the end-to-end suite again in WebKit) and
# the widget's browser tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

# One cold build, read once: incremental caches would only fill the disk.
export CARGO_INCREMENTAL=0
# Every native cargo test below selects these packages, so that cargo resolves the
# dependencies' features alike each time and builds them once (`-p coupon-e2e` alone would
# resolve them anew and build tokio, hyper, redis… a second and a third time).
native=(--workspace --exclude coupon-widget --exclude size-floor)
e2e_tests=(); for f in e2e/tests/*.rs; do e2e_tests+=(--test "$(basename "$f" .rs)"); done
proxy_tests=(--lib); for f in proxy/tests/*.rs; do proxy_tests+=(--test "$(basename "$f" .rs)"); done

echo "== lint: rustfmt and clippy (native crates, and the widget on wasm32)"
cargo fmt --all --check
cargo clippy "${native[@]}" --all-targets -- -D warnings
cargo clippy -p coupon-widget -p size-floor --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy -p coupon-codes --features module --target wasm32-unknown-unknown --all-targets -- -D warnings

echo "== the TypeScript declarations: an example compiled with tsc --strict"
e2e/typescript/node_modules/.bin/tsc -p e2e/typescript

echo "== the build hook over a fixture of trunk's output"
python3 -W error -m unittest discover -s scripts -p 'test_*.py'

echo "== building the widget (release) for the end-to-end tests"
trunk build --release

echo "== the production proxy: no sandbox code, data or keys"
scripts/check-production-build.sh

echo "== native tests: rules engine, proxy + sandbox, end to end"
cargo test "${native[@]}"

echo "== the end-to-end tests again in WebKit (iOS WeChat's engine): WebKitGTK under a virtual display"
CW_E2E_BROWSER=webkit xvfb-run --auto-servernum cargo test "${native[@]}" "${e2e_tests[@]}"

echo "== the proxy's tests again, its state in a real Redis"
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
CW_TEST_REDIS_URL="redis://127.0.0.1:${redis_port}/" cargo test "${native[@]}" "${proxy_tests[@]}"
kill $redis_pid 2>/dev/null || true
trap - EXIT

echo "== the proxy's tests again, its state in a Redis Cluster of three masters on loopback"
# Each node needs its port and the port + 10000 (the cluster bus) free.
read -r -a ports <<<"$(python3 - <<'PY'
import socket
ports = []
while len(ports) < 3:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p >= 55000 or p in ports:
        continue
    try:
        t = socket.socket(); t.bind(("127.0.0.1", p + 10000)); t.close()
    except OSError:
        continue
    ports.append(p)
print(*ports)
PY
)"
cluster_dir=$(mktemp -d)
pids=()
for p in "${ports[@]}"; do
  (cd "$cluster_dir" && exec redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "nodes-$p.conf" --save '' --appendonly no >/dev/null) &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$cluster_dir"' EXIT
for p in "${ports[@]}"; do
  for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null
for _ in $(seq 100); do redis-cli -p "${ports[0]}" cluster info | grep -q cluster_state:ok && break; sleep 0.1; done
CW_TEST_REDIS_URL="redis://127.0.0.1:${ports[0]}/" cargo test "${native[@]}" "${proxy_tests[@]}"
kill "${pids[@]}" 2>/dev/null || true
rm -rf "$cluster_dir"
trap - EXIT

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
