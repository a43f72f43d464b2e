#!/usr/bin/env bash
# Makes docs/wallet-390.png and docs/wallet-390-dark.png: the 我的代金券 view at 390 px wide, as a
# phone shows it in light and in dark mode, from the
# release build served by the proxy with its sandbox (demo user).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
# Chinese text needs a CJK font in headless Chromium.
if ! fc-list | grep -qi "cjk"; then
  if [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
  else
    echo "Run: sudo apt-get install -y fonts-noto-cjk" >&2
    exit 1
  fi
fi
trunk build --release
cargo build --release -p coupon-proxy
port=18787
target/release/coupon-proxy --listen "127.0.0.1:${port}" --static-dir dist >/dev/null 2>&1 &
proxy=$!
trap 'kill $proxy 2>/dev/null' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:${port}/api/v1/health" >/dev/null && break; sleep 0.2; done
mkdir -p docs
# The light page, and the same page on a phone in dark mode (the page and the widgets follow it).
for scheme in light dark; do
  name=docs/wallet-390.png
  flags=()
  if [[ $scheme == dark ]]; then name=docs/wallet-390-dark.png; flags=(--force-dark-mode); fi
  profile=$(mktemp -d)
  chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-quic \
    --user-data-dir="$profile" --hide-scrollbars --window-size=390,1500 --virtual-time-budget=5000 "${flags[@]}" \
    --screenshot="$name" "http://127.0.0.1:${port}/" 2>/dev/null
  rm -rf "$profile"
  echo "wrote $name"
done
