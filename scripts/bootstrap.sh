#!/usr/bin/env bash
# Installs everything the build and the tests need, and skips whatever is already there at
# the right version, so it is cheap to run before every build. See ../shared/TOOLCHAIN.md.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bootstrap] %s\n' "$*"; }

# 1. The wasm target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 1b. rustfmt and clippy, for the lint gate in scripts/test.sh.
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^${component}"; then
    say "adding the ${component} component"
    rustup component add "${component}"
  fi
done

# 2. Debian packages: headless Chromium and its driver for the browser tests, binaryen
#    (Trunk.toml pins wasm-opt 108), wrk for the proxy benchmarks, redis-server for the
#    shared-state tests (each starts its own on a free loopback port), brotli for the
#    precompressed files the build writes (scripts/post-build.py), and WebKitGTK's WebDriver
#    (with its MiniBrowser) under a virtual X display for the end-to-end tests in WebKit.
packages=(chromium chromium-driver binaryen wrk redis-server brotli webkit2gtk-driver xvfb xauth)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing packages. Run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# 3. trunk 0.21.14 (0.22 needs a newer rustc than this toolchain).
if ! trunk --version 2>/dev/null | grep -q '^trunk 0\.21\.14$'; then
  say "installing trunk 0.21.14 (takes a few minutes)"
  cargo install --locked trunk --version 0.21.14
fi

# 4. wasm-bindgen-cli at exactly the version in Cargo.lock (no --locked: its own lock pins a
#    dependency the registry here does not have).
wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${wbg}\$"; then
  say "installing wasm-bindgen-cli ${wbg}"
  cargo install wasm-bindgen-cli --version "${wbg}"
fi
if ! grep -q "^wasm_bindgen = \"${wbg}\"" Trunk.toml; then
  echo "Trunk.toml pins a wasm-bindgen other than Cargo.lock's ${wbg}; update [tools] wasm_bindgen." >&2
  exit 1
fi

# 5. For scripts/bench.sh only (`bootstrap.sh --bench`): twiggy, the wasm size profiler that
#    attributes the bundle's bytes to crates.
if [[ ${1:-} == --bench ]] && ! twiggy --version 2>/dev/null | grep -q ' 0\.8\.0$'; then
  say "installing twiggy 0.8.0"
  cargo install twiggy --version 0.8.0
fi

# 5a. For scripts/bench.sh only: the Vant 4 CouponList page the first screen is compared
#     against (benches/vant-page), at the versions its package-lock.json pins.
if [[ ${1:-} == --bench && ! -x benches/vant-page/node_modules/.bin/vite ]]; then
  say "installing the Vant comparison page's packages (npm)"
  npm ci --prefix benches/vant-page --no-audit --no-fund --silent
fi

# 5b. axe-core from the npm registry, at the version e2e/axe/package-lock.json pins: the
#     end-to-end accessibility audit injects it into the demo page.
if [[ ! -f e2e/axe/node_modules/axe-core/axe.min.js ]]; then
  say "installing axe-core (npm)"
  npm ci --prefix e2e/axe --no-audit --no-fund --silent
fi

# 5b'. TypeScript from the npm registry, at the version e2e/typescript/package-lock.json pins:
# the test compiles e2e/typescript/example.ts against the widget's declarations.
if [[ ! -x e2e/typescript/node_modules/.bin/tsc ]]; then
  say "installing typescript (npm)"
  npm ci --prefix e2e/typescript --no-audit --no-fund --silent
fi

# 5b''. Vite from the npm registry, at the version e2e/vite-app/package-lock.json pins: the
# npm package's test builds that app with the packed widget installed.
if [[ ! -x e2e/vite-app/node_modules/.bin/vite ]]; then
  say "installing vite (npm)"
  npm ci --prefix e2e/vite-app --no-audit --no-fund --silent
fi

# 5c. terser from the npm registry, at the version scripts/terser/package-lock.json pins: the
#     trunk hook (scripts/post-build.py) minifies the wasm-bindgen JavaScript of release builds.
if [[ ! -x scripts/terser/node_modules/.bin/terser ]]; then
  say "installing terser (npm)"
  npm ci --prefix scripts/terser --no-audit --no-fund --silent
fi

# 6. Every crate, so that trunk's offline cargo build finds them.
cargo fetch --quiet
say "ready"
