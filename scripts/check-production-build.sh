#!/usr/bin/env bash
# Proves that the proxy a merchant deploys (`cargo build --release -p coupon-proxy
# --no-default-features`) holds no sandbox: none of its code, data set or test keys, and that
# it refuses sandbox mode with a clear message. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -q -p coupon-proxy --no-default-features
bin=target/release/coupon-proxy
fail() { echo "production build: $*" >&2; exit 1; }

# Key material: a line from the body of every sandbox key (private and public).
for pem in sandbox/keys/*.pem; do
  needle=$(sed -n 3p "$pem")
  [[ ${#needle} -ge 40 ]] || fail "cannot take a line of $pem"
  if grep -qF -- "$needle" "$bin"; then fail "holds key material of $pem"; fi
done
# The sandbox's data set, its users and its code.
for needle in o_sandbox_demo SBX_STOCK_CLAIM_500 SBXM000001 coupon_sandbox test-only-sandbox-session-secret; do
  if grep -qF -- "$needle" "$bin"; then fail "holds sandbox data or code: $needle"; fi
done
# Sandbox mode is refused, with a message that says why.
if out=$("$bin" --mode sandbox --listen 127.0.0.1:0 2>&1); then fail "started in sandbox mode"; fi
grep -q "sandbox mode is not in this build" <<<"$out" || fail "refused sandbox mode without saying why: $out"
"$bin" --help >/dev/null
echo "production build: no sandbox code, data or keys; sandbox mode refused"
