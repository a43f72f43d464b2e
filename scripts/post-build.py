#!/usr/bin/env python3
"""Trunk post-build hook (one hook: trunk runs the hooks of a stage side by side).

1. Replaces trunk's inline module loader with `loader.js`, still inline but allowed by its hash
   in the page's Content Security Policy (no 'unsafe-inline'). It defines no globals (trunk's
   sets `window.wasmBindings`) and starts the first coupon page and the wasm before the
   widget's JS has arrived.
   It also offers each widget the codes module (`coupon-codes`, the QR code and barcode
   encoders), which it loads only when a use sheet first shows a code.
2. Names the codes module's files after their content, as trunk names the widget's, and puts
   the widget's JS snippet (`src/elements.js`, the custom elements) into the widget's glue,
   which it then names after its content: one file, no extra request, and a new name whenever
   either changes (trunk names the glue after the wasm alone).
3. Release builds: gives the widget wasm's imports and exports one- and two-letter names
   (binaryen's minifier, the glue renamed to match), minifies the wasm-bindgen JavaScript with
   terser (trunk's own minifier cannot read it: "Failed to minify JS") and brings the page's
   `integrity` hashes up to date.
4. Writes a brotli (`.br`, quality 11) and a gzip (`.gz`, level 9) copy beside every file the
   browser fetches, so that the proxy (or a CDN) serves them precompressed by content
   negotiation instead of compressing on every request, or not at all."""
import gzip
import base64
import hashlib
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys

# The page's own module loader, with the URLs of the files trunk named left as placeholders.
LOADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loader.js")
PLACEHOLDERS = ("__CW_WIDGET_WASM__", "__CW_WIDGET_JS__", "__CW_CODES_JS__", "__CW_CODES_WASM__")


def fill_loader(widget_js, widget_wasm, codes_js, codes_wasm, address=json.dumps):
    """loader.js with each placeholder string replaced by `address(url)`: by default the URL as
    a JSON string."""
    code = Path(LOADER).read_text(encoding="utf-8")
    for placeholder, url in zip(PLACEHOLDERS, (widget_wasm, widget_js, codes_js, codes_wasm)):
        if code.count('"%s"' % placeholder) != 1:
            sys.exit("post-build: loader.js must name %s exactly once" % placeholder)
        code = code.replace('"%s"' % placeholder, address(url))
    return code


# The loader as a file, for pages that cannot carry an inline script (a CSP without hashes, a
# template that strips them): it finds the files beside itself, wherever it is served from.
EXTERNAL_LOADER = "coupon-widget-loader.js"


def beside_the_loader(url):
    return "new URL(%s, import.meta.url).href" % json.dumps("./" + url.rsplit("/", 1)[-1])


def write_external_loader(staging, urls):
    """coupon-widget-loader.js, and embed.html: the smallest page that embeds the widget with it
    (custom elements, the stylesheet, one script tag; no inline script). embed-inline.html is the
    same page with the loader inline, so that the two can be measured side by side, and
    wallet.html the wallet alone with the loader inline, a merchant's 我的代金券 page
    (proxy/examples/first_screen.rs measures both against Vant's)."""
    Path(staging, EXTERNAL_LOADER).write_text(fill_loader(*urls, address=beside_the_loader), encoding="utf-8")
    css = [n for n in os.listdir(staging) if hashed("widget", ".css", n)]
    if len(css) != 1:
        sys.exit("post-build: expected one widget stylesheet, found %s" % css)
    external = '<script type="module" async src="/%s"></script>' % EXTERNAL_LOADER
    both = PICKER + WALLET
    Path(staging, "embed.html").write_text(EMBED_PAGE % {"css": css[0], "script": external, "hash": "", "body": both}, encoding="utf-8")
    code = fill_loader(*urls)
    digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
    inline = '<script type="module" async>%s</script>' % code
    for name, body in (("embed-inline.html", both), ("wallet.html", WALLET)):
        page = EMBED_PAGE % {"css": css[0], "script": inline, "hash": " 'sha256-%s'" % digest, "body": body}
        Path(staging, name).write_text(page, encoding="utf-8")


# The npm package's entry: starts the wasm when imported (without holding up the app's own
# modules: no top-level await), registers the custom elements and offers the codes module.
# A bundler copies the files it names by `new URL(…, import.meta.url)` beside the app's.
PACKAGE_ENTRY = """// coupon-widget for bundlers (written by scripts/post-build.py).
import init, { mount, offerCodes, WidgetHandle } from "./coupon-widget.js";

let codes;
const loadCodes = () => (codes ??= import(new URL("./coupon-codes.js", import.meta.url).href)
  .then(async (m) => (await m.default({ module_or_path: new URL("./coupon-codes_bg.wasm", import.meta.url) }), m))
  .catch((e) => { codes = undefined; throw e; }));

export const ready = init({ module_or_path: new URL("./coupon-widget_bg.wasm", import.meta.url) })
  .then(() => offerCodes(loadCodes));
export default () => ready;
export { mount, offerCodes, WidgetHandle };
"""


def write_package(staging, urls):
    """npm/: the package a bundler installs (`npm pack dist/npm`): the built files under
    stable names, the entry above, the declarations and a package.json whose version is the
    widget crate's."""
    widget_js, widget_wasm, codes_js, codes_wasm = (u.rsplit("/", 1)[-1] for u in urls)
    [css] = [n for n in os.listdir(staging) if hashed("widget", ".css", n)]
    out = Path(staging, "npm")
    out.mkdir()
    root = Path(__file__).resolve().parent.parent
    for source, name in ((widget_js, "coupon-widget.js"), (widget_wasm, "coupon-widget_bg.wasm"),
                         (codes_js, "coupon-codes.js"), (codes_wasm, "coupon-codes_bg.wasm"), (css, "widget.css")):
        shutil.copy(Path(staging, source), out / name)
    shutil.copy(root / "package" / "coupon-widget.d.ts", out / "coupon-widget.d.ts")
    (out / "index.js").write_text(PACKAGE_ENTRY, encoding="utf-8")
    version = re.search(r'^\[package\]\nname = "coupon-widget"\nversion = "([^"]+)"', (root / "Cargo.toml").read_text(encoding="utf-8"), re.M)
    if not version:
        sys.exit("post-build: Cargo.toml no longer gives the widget's version as expected")
    manifest = {
        "name": "coupon-widget",
        "version": version.group(1),
        "description": "我的代金券: WeChat Pay coupon wallet and checkout picker for H5 pages (custom elements, Rust/wasm)",
        "license": "MIT",
        "type": "module",
        "sideEffects": True,
        "types": "./coupon-widget.d.ts",
        "exports": {
            ".": {"types": "./coupon-widget.d.ts", "default": "./index.js"},
            "./style.css": "./widget.css",
        },
        "files": sorted(p.name for p in out.iterdir()) + ["package.json"],
    }
    (out / "package.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


EMBED_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'%(hash)s; style-src 'self'; img-src 'self' https: data:; object-src 'none'; base-uri 'none'">
<title>我的代金券</title>
<link rel="stylesheet" href="/%(css)s">
%(script)s
</head>
<body>
%(body)s</body>
</html>
"""
PICKER = '<coupon-picker id="picker" api-base="/api/v1" order-total="12800"></coupon-picker>\n'
WALLET = '<coupon-wallet id="wallet" api-base="/api/v1"></coupon-wallet>\n'


def write_loader(staging, codes_js, codes_wasm):
    """Replaces trunk's inline loader (and its <link rel=preload as=fetch> of the wasm) with
    loader.js, which starts the downloads itself and offers the codes module at these URLs."""
    index = os.path.join(staging, "index.html")
    html = Path(index).read_text(encoding="utf-8")
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
    # The codes module's files are beside the widget's.
    beside = js.group(1).rsplit("/", 1)[0] + "/"
    urls = (js.group(1), wasm.group(1), beside + codes_js, beside + codes_wasm)
    code = fill_loader(*urls)
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
    Path(index).write_text(html, encoding="utf-8")
    # For a merchant's own page: the inline loader and the CSP source that allows it.
    Path(staging, "inline-loader.txt").write_text(
        "Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval' 'sha256-%s'\n\n"
        '<script type="module" async>%s</script>\n' % (digest, code), encoding="utf-8")
    print("post-build: the inline loader and its CSP hash are in inline-loader.txt")
    return urls


def name_codes_module(staging):
    """Trunk builds the codes module as a 'worker' (it allows one main module) and names its
    files `coupon-codes.js` and `coupon-codes_bg.wasm`. Gives them names that change with their
    content, so that they can be cached for a year like the widget's; returns the new names."""
    js, wasm = os.path.join(staging, "coupon-codes.js"), os.path.join(staging, "coupon-codes_bg.wasm")
    if not (os.path.isfile(js) and os.path.isfile(wasm)):
        sys.exit("post-build: trunk did not build the codes module (coupon-codes.js and its wasm)")
    glue = Path(js).read_text(encoding="utf-8")
    digest = hashlib.sha256(glue.encode() + Path(wasm).read_bytes()).hexdigest()[:16]
    new_js, new_wasm = "coupon-codes-%s.js" % digest, "coupon-codes-%s_bg.wasm" % digest
    # The glue's default location of its wasm (the loader passes the location anyway).
    if glue.count("'coupon-codes_bg.wasm'") != 1:
        sys.exit("post-build: the codes module's glue no longer names its wasm as expected")
    Path(os.path.join(staging, new_js)).write_text(glue.replace("'coupon-codes_bg.wasm'", "'%s'" % new_wasm), encoding="utf-8")
    os.rename(wasm, os.path.join(staging, new_wasm))
    os.remove(js)
    return new_js, new_wasm


SNIPPET_IMPORT = re.compile(r"import \{ ([A-Za-z0-9_$]+)(?: as ([A-Za-z0-9_$]+))? \} from '\./(snippets/[^']+\.js)';\n")


def inline_snippets(staging):
    """wasm-bindgen writes `#[wasm_bindgen(module = "/src/elements.js")]` beside the glue as
    `snippets/coupon-widget-<crate hash>/src/elements.js`, imported by the glue: a request the
    glue must wait for, under a name that does not change with the file. Puts each snippet into
    the glue (in a scope of its own, exporting the one function the glue imports), renames the
    glue after its content and writes the new name into the page."""
    [name] = [n for n in os.listdir(staging) if hashed("coupon-widget", ".js", n)]
    glue = Path(staging, name).read_text(encoding="utf-8")
    imports = list(SNIPPET_IMPORT.finditer(glue))
    if not imports:
        sys.exit("post-build: the widget's glue no longer imports its custom elements snippet as expected")
    for found in imports:
        exported, local, path = found.group(1), found.group(2) or found.group(1), found.group(3)
        code = Path(staging, path).read_text(encoding="utf-8")
        if code.count("export function %s(" % exported) != 1 or code.count("export ") != 1:
            sys.exit("post-build: %s must export exactly one function, %s" % (path, exported))
        code = code.replace("export function %s(" % exported, "function %s(" % exported)
        glue = glue.replace(found.group(0), "const %s = (() => {\n%s\nreturn %s;\n})();\n" % (local, code, exported))
    shutil.rmtree(os.path.join(staging, "snippets"))
    renamed = "coupon-widget-%s.js" % hashlib.sha256(glue.encode()).hexdigest()[:16]
    Path(staging, renamed).write_text(glue, encoding="utf-8")
    os.remove(os.path.join(staging, name))
    index = Path(staging, "index.html")
    html = index.read_text(encoding="utf-8")
    if name not in html:
        sys.exit("post-build: index.html does not name the widget's glue " + name)
    # Trunk preloads each snippet: it is in the glue now.
    html = re.sub(r"<link[^>]*/snippets/[^>]*>", "", html)
    index.write_text(html.replace(name, renamed), encoding="utf-8")


def widget_wasm_opt_params():
    """The wasm-opt parameters index.html gives the widget (the wasm's features among them),
    read from the source page, so that they are written once."""
    source = (Path(__file__).resolve().parent.parent / "index.html").read_text(encoding="utf-8")
    params = re.findall(r'<link data-trunk rel="rust"(?![^>]*\bhref=)[^>]*\bdata-wasm-opt-params="([^"]*)"', source)
    if len(params) != 1:
        sys.exit("post-build: index.html no longer gives the widget's wasm-opt parameters as expected")
    return params[0].split()


# How the glue uses one of the wasm's exports.
# Trunk names a file after a 64-bit hash of its content, written in hex without leading zeros:
# 1 to 16 digits (one build in sixteen has fewer than 16).
TRUNK_HASH = r"[0-9a-f]{1,16}"


def hashed(stem, suffix, name):
    """Whether `name` is one of trunk's content-named files, `{stem}-{hash}{suffix}`."""
    return re.fullmatch(re.escape(stem) + "-" + TRUNK_HASH + re.escape(suffix), name) is not None


EXPORT_USE = re.compile(r"\bwasm\.([A-Za-z0-9_$]+)")


def minify_wasm_names(staging):
    """wasm-bindgen names each import after its JS function plus a 16-digit hash, and both the
    wasm and its glue carry every name (196 of them). Binaryen's
    `--minify-imports-and-exports-and-modules` renames them all, and prints what it renamed;
    the glue is renamed to match. -O1 alongside it, because a pass-less rewrite loses the stack
    IR optimisation of trunk's -O3 (+3.7 KB of code). Measured: the widget's wasm 247,931 →
    245,582 bytes gzip. Checked against the wasm afterwards: every import the wasm names is
    defined by the glue, and every export the glue uses is the wasm's."""
    [wasm] = [n for n in os.listdir(staging) if hashed("coupon-widget", "_bg.wasm", n)]
    [js] = [n for n in os.listdir(staging) if hashed("coupon-widget", ".js", n)]
    wasm, js = os.path.join(staging, wasm), os.path.join(staging, js)
    renamed = subprocess.run(["wasm-opt", wasm, "-O1", "--minify-imports-and-exports-and-modules", *widget_wasm_opt_params(), "-o", wasm],
                             capture_output=True, text=True, check=True).stdout
    names = dict(line.split(" => ") for line in renamed.splitlines() if " => " in line)
    glue = Path(js).read_text(encoding="utf-8")
    module = re.findall(r'^        "(\./[^"]+_bg\.js)": import0,$', glue, re.M)
    if len(module) != 1:
        sys.exit("post-build: the glue no longer hands the wasm one import object as expected")
    glue = glue.replace('"%s": import0,' % module[0], '"a": import0,')
    glue = re.sub(r"^(        )([A-Za-z0-9_$]+)(: function\()", lambda m: m.group(1) + json.dumps(names.get(m.group(2), m.group(2))) + m.group(3), glue, flags=re.M)
    glue = EXPORT_USE.sub(lambda m: "wasm." + names.get(m.group(1), m.group(1)), glue)
    text = subprocess.run(["wasm-dis", wasm], capture_output=True, text=True, check=True).stdout
    imports = set(re.findall(r'^ \(import "([^"]+)" "([^"]+)"', text, re.M))
    exports = set(re.findall(r'^ \(export "([^"]+)"', text, re.M))
    defined = {("a", k) for k in re.findall(r'^        "([^"]+)": function\(', glue, re.M)}
    used = set(EXPORT_USE.findall(glue))
    if not imports or imports - defined or used - exports:
        sys.exit("post-build: after renaming, the glue and the wasm disagree: %s" % sorted((imports - defined) | {("export", u) for u in used - exports}))
    Path(js).write_text(glue, encoding="utf-8")


TERSER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "terser", "node_modules", ".bin", "terser")


def minify_glue(staging):
    """terser over the wasm-bindgen glue of the widget and the codes module (2.7 KB less gzip
    for the widget's). It renames nothing another file refers to: a module's exports and the
    names of the wasm's imports keep their names."""
    if not os.path.isfile(TERSER):
        sys.exit("post-build: terser is missing; run scripts/bootstrap.sh")
    for name in sorted(os.listdir(staging)):
        if hashed("coupon-widget", ".js", name) or hashed("coupon-codes", ".js", name):
            path = os.path.join(staging, name)
            subprocess.run([TERSER, path, "--module", "--compress", "--mangle", "--output", path], check=True)


def refresh_integrity(staging):
    """The `integrity` of every stylesheet and module preload trunk wrote, for the file as it
    is now (terser changed the JavaScript after trunk hashed it)."""
    index = os.path.join(staging, "index.html")
    html = Path(index).read_text(encoding="utf-8")

    def refresh(tag):
        tag = tag.group(0)
        href = re.search(r'href="?/([^" >]+)', tag)
        if not href or "integrity=" not in tag:
            return tag
        digest = base64.b64encode(hashlib.sha384(Path(staging, href.group(1)).read_bytes()).digest()).decode()
        return re.sub(r'integrity="?sha384-[A-Za-z0-9+/=]+"?', "integrity=sha384-" + digest, tag)

    Path(index).write_text(re.sub(r"<link[^>]*>", refresh, html), encoding="utf-8")


COMPRESSIBLE = (".wasm", ".js", ".css", ".html", ".svg", ".json")


def precompress(staging):
    for name in sorted(os.listdir(staging)):
        path = os.path.join(staging, name)
        if not name.endswith(COMPRESSIBLE) or not os.path.isfile(path):
            continue
        data = Path(path).read_bytes()
        with open(path + ".gz", "wb") as out:
            out.write(gzip.compress(data, compresslevel=9, mtime=0))
        subprocess.run(["brotli", "--force", "--quality=11", "--output=" + path + ".br", path], check=True)


def main():
    staging = os.environ.get("TRUNK_STAGING_DIR")
    if not staging:
        sys.exit("TRUNK_STAGING_DIR is not set: run this as a trunk hook")
    inline_snippets(staging)
    urls = write_loader(staging, *name_codes_module(staging))
    write_external_loader(staging, urls)
    # Release builds only: what `trunk serve` previews is served by trunk itself, and brotli 11
    # over a debug build's 6 MB wasm takes seconds of every rebuild.
    if os.environ.get("TRUNK_PROFILE") == "release":
        minify_wasm_names(staging)
        minify_glue(staging)
        refresh_integrity(staging)
        write_package(staging, urls)
        precompress(staging)
    else:
        refresh_integrity(staging)  # the glue took in its snippet


if __name__ == "__main__":
    main()
