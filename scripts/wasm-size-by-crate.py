#!/usr/bin/env python3
"""Reads `twiggy top --format csv` of a wasm module that still has its function names and
prints, as Markdown, how its code and data divide between crates, then the largest single
items. A function is counted under the first crate its name mentions: for
`<&mut serde_json::de::Deserializer<R> as serde::de::Deserializer>::deserialize_struct`
that is serde_json (the generic code is instantiated for, and paid by, that user)."""
import collections
import csv
import re
import sys

CRATE = re.compile(r"([a-z_][a-z0-9_]*)(?:\[[0-9a-f]+\])?::")


def owner(name: str) -> str:
    if name.startswith("data segment"):
        return "(static data)"
    found = CRATE.findall(name)
    return found[0] if found else "(other)"


def main() -> None:
    rows = [r for r in csv.DictReader(sys.stdin)
            if not r["Name"].startswith(("custom section", '"function names"'))]
    total = sum(int(r["ShallowSize"]) for r in rows)
    by_crate = collections.Counter()
    for r in rows:
        by_crate[owner(r["Name"])] += int(r["ShallowSize"])
    print(f"Code and data, {total} bytes before gzip, by crate:")
    print()
    print("| crate | bytes | share |")
    print("|---|---:|---:|")
    for crate, size in by_crate.most_common(14):
        print(f"| {crate} | {size} | {100 * size / total:.1f}% |")
    print()
    concerns = {"decoding JSON (serde's Deserialize code, any crate)": "deserializ",
                "printing floats (core::fmt)": "flt2dec"}
    for label, word in concerns.items():
        size = sum(int(r["ShallowSize"]) for r in rows if word in r["Name"].lower())
        print(f"- {label}: {size} bytes ({100 * size / total:.1f}%)")
    print()
    print("Largest single items:")
    print()
    rows.sort(key=lambda r: -int(r["ShallowSize"]))
    for r in rows[:8]:
        name = re.sub(r"::h[0-9a-f]{16}$", "", r["Name"])
        name = re.sub(r"\[[0-9a-f]+\]", "", name)
        print(f"- {r['ShallowSize']} bytes: `{name[:110]}`")


if __name__ == "__main__":
    main()
