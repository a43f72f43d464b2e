"""scripts/post-build.py over a checked-in fixture of what trunk 0.21 and wasm-bindgen write
(fixtures/trunk-staging/), so that a tool upgrade that changes their output fails here, not in
a build. Run by scripts/test.sh: `python3 -m unittest discover -s scripts -p 'test_*.py'`."""
import base64
import hashlib
import importlib.util
import json
import os
from pathlib import Path
import re
import shutil
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("post_build", os.path.join(HERE, "post-build.py"))
post_build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(post_build)


def staged(minified=False):
    """A copy of the fixture, as a staging folder; `minified` as release builds write the HTML."""
    staging = tempfile.mkdtemp()
    fixture = os.path.join(HERE, "fixtures", "trunk-staging")
    for name in os.listdir(fixture):
        shutil.copy(os.path.join(fixture, name), staging)
    if minified:
        index = os.path.join(staging, "index.html")
        html = Path(index).read_text(encoding="utf-8").replace('<script type="module">', "<script type=module>")
        Path(index).write_text(html, encoding="utf-8")
    return staging


def read(staging, name):
    return Path(os.path.join(staging, name)).read_text(encoding="utf-8")


class PostBuild(unittest.TestCase):
    def run_hook(self, minified=False):
        staging = staged(minified)
        self.addCleanup(shutil.rmtree, staging)
        post_build.write_loader(staging, *post_build.name_codes_module(staging))
        return staging

    def test_trunks_names_are_found_whatever_the_length_of_their_hash(self):
        for name in ("coupon-widget-ee55c6d87f6f78ad_bg.wasm", "coupon-widget-d9be5b4ab7592ba_bg.wasm"):
            self.assertTrue(post_build.hashed("coupon-widget", "_bg.wasm", name), name)
        for name in ("coupon-widget_bg.wasm", "coupon-widget-d9be5b4ab7592bag_bg.wasm", "coupon-widget-0123456789abcdef0_bg.wasm"):
            self.assertFalse(post_build.hashed("coupon-widget", "_bg.wasm", name), name)

    def test_the_codes_module_is_named_after_its_content(self):
        staging = self.run_hook()
        names = sorted(os.listdir(staging))
        js = [n for n in names if re.fullmatch(r"coupon-codes-[0-9a-f]{16}\.js", n)]
        wasm = [n for n in names if re.fullmatch(r"coupon-codes-[0-9a-f]{16}_bg\.wasm", n)]
        self.assertEqual((len(js), len(wasm)), (1, 1), names)
        self.assertNotIn("coupon-codes.js", names)
        self.assertIn("'%s'" % wasm[0], read(staging, js[0]), "the glue names its renamed wasm")

    def test_trunks_loader_becomes_ours_allowed_by_its_hash(self):
        for minified in (False, True):
            staging = self.run_hook(minified)
            html = read(staging, "index.html")
            self.assertNotIn("wasmBindings", html, "trunk's loader is gone")
            self.assertNotRegex(html, r'<link[^>]*rel="preload"[^>]*\.wasm', "and its wasm preload")
            scripts = re.findall(r'<script type="module" async>(.*?)</script>', html, re.S)
            self.assertEqual(len(scripts), 1, html)
            code = scripts[0]
            for placeholder in post_build.PLACEHOLDERS:
                self.assertNotIn(placeholder, code)
            codes_js = [n for n in os.listdir(staging) if n.startswith("coupon-codes-") and n.endswith(".js")][0]
            for url in ("/coupon-widget-0123456789abcdef.js", "/coupon-widget-0123456789abcdef_bg.wasm", "/" + codes_js):
                self.assertIn('"%s"' % url, code)
            digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
            self.assertIn("script-src 'self' 'wasm-unsafe-eval' 'sha256-%s'" % digest, html)
            self.assertIn('<link rel="modulepreload" href="/coupon-widget-0123456789abcdef.js"', html, "the JS preload stays")

    def test_a_loader_of_another_shape_stops_the_build_with_a_reason(self):
        staging = staged()
        self.addCleanup(shutil.rmtree, staging)
        index = os.path.join(staging, "index.html")
        html = read(staging, "index.html").replace("module_or_path:", "path:")
        Path(index).write_text(html, encoding="utf-8")
        with self.assertRaises(SystemExit) as stopped:
            post_build.write_loader(staging, "c.js", "c_bg.wasm")
        self.assertIn("no longer names the JS and the wasm", str(stopped.exception.code))

    def test_the_loader_file_names_each_placeholder_once(self):
        code = post_build.fill_loader("/w.js", "/w_bg.wasm", "/c.js", "/c_bg.wasm")
        self.assertIn('fetch("/w_bg.wasm")', code)
        self.assertIn('import("/w.js")', code)
        self.assertIn('import("/c.js")', code)
        self.assertIn('module_or_path: "/c_bg.wasm"', code)

    def test_the_loader_as_a_file_finds_the_files_beside_itself(self):
        code = post_build.fill_loader("/w.js", "/w_bg.wasm", "/c.js", "/c_bg.wasm", address=post_build.beside_the_loader)
        self.assertIn('fetch(new URL("./w_bg.wasm", import.meta.url).href)', code)
        self.assertIn('import(new URL("./w.js", import.meta.url).href)', code)
        self.assertNotIn('"/w.js"', code)

    def test_the_embed_pages_carry_the_loader_as_a_file_or_inline_allowed_by_its_hash(self):
        staging = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, staging)
        Path(staging, "widget-2222222222222222.css").write_text("", encoding="utf-8")
        post_build.write_external_loader(staging, ("/w.js", "/w_bg.wasm", "/c.js", "/c_bg.wasm"))
        external = read(staging, "embed.html")
        self.assertIn('src="/%s"' % post_build.EXTERNAL_LOADER, external)
        self.assertIn("<coupon-picker", external)
        for name, picker in (("embed-inline.html", True), ("wallet.html", False)):
            page = read(staging, name)
            code = re.search(r"<script type=\"module\" async>(.*?)</script>", page, re.S).group(1)
            digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
            self.assertIn("'sha256-%s'" % digest, page, name)
            self.assertIn('<coupon-wallet id="wallet"', page, name)
            self.assertEqual("<coupon-picker" in page, picker, name)

    def test_the_npm_package_names_its_files_and_exports_the_entry_and_the_types(self):
        staging = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, staging)
        for name in ("coupon-widget-0123456789abcdef.js", "coupon-widget-0123456789abcdef_bg.wasm", "coupon-codes-1111111111111111.js",
                     "coupon-codes-1111111111111111_bg.wasm", "widget-2222222222222222.css"):
            Path(staging, name).write_text(name, encoding="utf-8")
        post_build.write_package(staging, ("/coupon-widget-0123456789abcdef.js", "/coupon-widget-0123456789abcdef_bg.wasm",
                                           "/coupon-codes-1111111111111111.js", "/coupon-codes-1111111111111111_bg.wasm"))
        manifest = json.loads(read(staging, "npm/package.json"))
        self.assertEqual(manifest["exports"]["."], {"types": "./coupon-widget.d.ts", "default": "./index.js"})
        self.assertEqual(read(staging, "npm/coupon-widget.js"), "coupon-widget-0123456789abcdef.js")
        self.assertEqual(read(staging, "npm/widget.css"), "widget-2222222222222222.css")
        for name in manifest["files"]:
            self.assertTrue(os.path.isfile(os.path.join(staging, "npm", name)), name)
        for name in ("./coupon-widget.js", "./coupon-widget_bg.wasm", "./coupon-codes.js", "./coupon-codes_bg.wasm"):
            self.assertIn('"%s"' % name, read(staging, "npm/index.js"))

    def test_the_elements_snippet_goes_into_the_glue_which_is_named_after_its_content(self):
        names = []
        for body in ("document.title = 1;", "document.title = 2;"):
            staging = tempfile.mkdtemp()
            self.addCleanup(shutil.rmtree, staging)
            snippet = Path(staging, "snippets", "coupon-widget-759d8566f2c45351", "src")
            snippet.mkdir(parents=True)
            (snippet / "elements.js").write_text("const A = 1;\nexport function defineElements(connect) { %s }\n" % body, encoding="utf-8")
            Path(staging, "coupon-widget-396bb4fe2758e8c8.js").write_text(
                "import { defineElements } from './snippets/coupon-widget-759d8566f2c45351/src/elements.js';\n"
                "export function start() { defineElements(() => {}); }\n", encoding="utf-8")
            Path(staging, "index.html").write_text(
                '<link rel="modulepreload" href="/coupon-widget-396bb4fe2758e8c8.js">'
                '<link rel="modulepreload" href="/snippets/coupon-widget-759d8566f2c45351/src/elements.js">'
                "<script type=\"module\">import init from '/coupon-widget-396bb4fe2758e8c8.js';</script>", encoding="utf-8")
            post_build.inline_snippets(staging)
            [glue] = [n for n in os.listdir(staging) if n.endswith(".js")]
            self.assertNotIn("snippets", os.listdir(staging))
            html = read(staging, "index.html")
            self.assertNotIn("snippets/", html)
            self.assertEqual(html.count(glue), 2, html)
            code = read(staging, glue)
            self.assertNotIn("import ", code)
            self.assertIn(body, code)
            self.assertNotIn("export function defineElements", code, "the glue exports only its own")
            names.append(glue)
        self.assertNotEqual(names[0], names[1], "a new snippet is a new name, with the same wasm")
        self.assertTrue(all(post_build.hashed("coupon-widget", ".js", n) for n in names), names)


if __name__ == "__main__":
    unittest.main()
