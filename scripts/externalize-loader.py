#!/usr/bin/env python3
"""Trunk post-build hook: moves trunk's inline module loader out of index.html into its own
file, so that the page runs under a Content Security Policy without 'unsafe-inline', and
drops the `window.wasmBindings` global trunk's loader sets: the widget's only entry points
are the module's exports and the data-coupon-widget elements."""
import hashlib
import os
import re
import sys

staging = os.environ.get("TRUNK_STAGING_DIR")
if not staging:
    sys.exit("TRUNK_STAGING_DIR is not set: run this as a trunk hook")
index = os.path.join(staging, "index.html")
html = open(index, encoding="utf-8").read()
# Release builds minify the HTML, which drops the attribute's quotes.
pattern = re.compile(r'<script type=(?:"module"|module)>(.*?)</script>', re.S)
match = pattern.search(html)
if not match:
    sys.exit(0)  # already external
code = match.group(1).strip() + "\n"
code = code.replace("window.wasmBindings = bindings;", "")
name = "loader-%s.js" % hashlib.sha256(code.encode()).hexdigest()[:16]
open(os.path.join(staging, name), "w", encoding="utf-8").write(code)
html = html[: match.start()] + '<script type="module" src="/%s"></script>' % name + html[match.end():]
open(index, "w", encoding="utf-8").write(html)
