#!/usr/bin/env bash
# Sets up, builds the widget in release mode, and runs the proxy with its embedded sandbox
# upstream on 127.0.0.1, serving the demo page. No credentials needed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
trunk build --release
cargo build --release -p coupon-proxy
addr=${COUPON_PROXY_LISTEN:-127.0.0.1:8787}
echo
echo "  Demo: open http://${addr}/   (Ctrl-C to stop)"
echo
exec target/release/coupon-proxy --listen "$addr" --static-dir dist
