#!/usr/bin/env python3
"""Trunk post-build hook (one hook: trunk runs the hooks of a stage side by side).

1. Replaces trunk's inline module loader with `LOADER`, still inline but allowed by its hash
   in the page's Content Security Policy (no 'unsafe-inline'). It defines no globals (trunk's
   sets `window.wasmBindings`) and starts the first coupon page and the wasm before the
   widget's JS has arrived.
2. Writes a brotli (`.br`, quality 11) and a gzip (`.gz`, level 9) copy beside every file the
   browser fetches, so that the proxy (or a CDN) serves them precompressed by content
   negotiation instead of compressing on every request, or not at all."""
import gzip
import base64
import hashlib
import json
import os
import re
import subprocess
import sys

staging = os.environ.get("TRUNK_STAGING_DIR")
if not staging:
    sys.exit("TRUNK_STAGING_DIR is not set: run this as a trunk hook")


LOADER = """// Written by scripts/post-build.py; runs as the parser reaches it (an async module with no
// imports), before the rest of the page is parsed. Starts everything the first screen needs
// at once, then the widget: the wasm and the widget's JS module right away; once the host
// elements are parsed, the widget's first request (one per API, shared by every widget on
// the page, handed over on each host element as `couponWidgetFirstPage`: see src/api.rs).
// Fetched by script rather than by <link rel=preload as=fetch>: WebKit never hands a fetch()
// the preloaded answer, so it downloaded the wasm and the first page twice.
//
// No `integrity` on the wasm: a fetch with one resolves only once the whole body is checked,
// which would stop the browser compiling the wasm while it downloads (the file's name is the
// hash of its content).
const wasm = fetch(%(wasm)s);
const glue = import(%(js)s);
if (document.readyState === "loading") {
  await new Promise((parsed) => document.addEventListener("DOMContentLoaded", parsed, { once: true }));
}
const FIRST_PAGE = "/coupons?tab=available&offset=0&limit=50";
const pages = new Map();
for (const host of document.querySelectorAll("[data-coupon-widget]")) {
  const base = (host.getAttribute("data-api-base") || "").trim().replace(/\\/+$/, "") || "/api/v1";
  const url = base + FIRST_PAGE;
  if (!pages.has(url)) {
    const own = new URL(url, location.href).origin === location.origin;
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(), 15000);
    const response = fetch(url, { credentials: own ? "same-origin" : "include", signal: deadline.signal });
    response.catch(() => {}); // the widget asks again if this one fails
    pages.set(url, response);
  }
  host.couponWidgetFirstPage = { url, response: pages.get(url) };
}
const { default: init } = await glue;
performance.mark("cw-loader:glue");
await init({ module_or_path: wasm });
performance.mark("cw-loader:started");
"""


def write_loader():
    """Replaces trunk's inline loader (and its <link rel=preload as=fetch> of the wasm) with
    `LOADER`, which starts the downloads itself."""
    index = os.path.join(staging, "index.html")
    html = open(index, encoding="utf-8").read()
    # Release builds minify the HTML, which drops the attribute's quotes.
    inline = re.compile(r'<script type=(?:"module"|module)>(.*?)</script>', re.S)
    match = inline.search(html)
    if not match:
        sys.exit("post-build: trunk's inline loader is missing from index.html")
    js = re.search(r"from '(/[^']+\.js)'", match.group(1))
    wasm = re.search(r"module_or_path: '(/[^']+\.wasm)'", match.group(1))
    if not js or not wasm:
        sys.exit("post-build: trunk's loader no longer names the JS and the wasm as expected")
    preloads = [t for t in re.findall(r"<link[^>]*>", html) if ".wasm" in t and re.search(r'rel="?preload\b', t)]
    preload = preloads[0] if preloads else None
    code = LOADER % {
        "wasm": json.dumps(wasm.group(1)),
        "js": json.dumps(js.group(1)),
    }
    # Inline, so that it runs as the parser reaches it: an external loader waits a round trip
    # for itself and then for a main thread busy with the page (on the phone profile it started
    # the wasm ~200 ms later than this). The page's CSP allows exactly this script by its hash.
    html = html[: match.start()] + '<script type="module" async>%s</script>' % code + html[match.end():]
    if preload:
        html = html.replace(preload, "")
    digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
    csp = "script-src 'self' 'wasm-unsafe-eval'"
    if html.count(csp) != 1:
        sys.exit("post-build: the page's CSP meta no longer says " + csp)
    html = html.replace(csp, "%s 'sha256-%s'" % (csp, digest))
    open(index, "w", encoding="utf-8").write(html)

COMPRESSIBLE = (".wasm", ".js", ".css", ".html", ".svg", ".json")


def precompress():
    for name in sorted(os.listdir(staging)):
        path = os.path.join(staging, name)
        if not name.endswith(COMPRESSIBLE) or not os.path.isfile(path):
            continue
        data = open(path, "rb").read()
        with open(path + ".gz", "wb") as out:
            out.write(gzip.compress(data, compresslevel=9, mtime=0))
        subprocess.run(["brotli", "--force", "--quality=11", "--output=" + path + ".br", path], check=True)


write_loader()
# Release builds only: what `trunk serve` previews is served by trunk itself, and brotli 11 over
# a debug build's 6 MB wasm takes seconds of every rebuild.
if os.environ.get("TRUNK_PROFILE") == "release":
    precompress()
