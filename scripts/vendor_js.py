"""Copy the JavaScript the static book loads from node_modules/ (filled by `npm ci`) into vendor_js/.

`_config.yml` lists vendor_js/ in Sphinx's `html_extra_path`, so the build copies it into _build/html, where the
widget pages (myst-nb's `nb_ipywidgets_js`) and the math (`mathjax_path`) find it under `_static/rxt/vendor/`.
Nothing here is committed: package.json / package-lock.json say what to fetch, this script what to copy.
axe-core, which only the browser tests run (tests/browser/test_accessibility.py), goes to _build/test_js/, outside
the site: the published book does not carry a test tool.

    .venv/bin/python scripts/vendor_js.py      # (scripts/build_book.sh runs it after `npm ci`)
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
OUT = ROOT / "vendor_js"  # in html_extra_path; git-ignored
TARGET = OUT / "_static" / "rxt" / "vendor"  # -> _build/html/_static/rxt/vendor/
TEST_TARGET = ROOT / "_build" / "test_js"  # what the browser tests inject into pages; not part of the site

# (package, files or folders inside it, destination under TARGET)
COPIES = [
    ("requirejs", ["require.js"], "requirejs"),  # (its licence is in the file header)
    # embed-amd.js holds the manager and the base/controls modules; the hashed files beside it are the fonts and
    # icons its CSS asks for (webpack resolves them next to the script's URL).
    ("@jupyter-widgets/html-manager", ["dist/embed-amd.js", "dist/*.woff2", "dist/*.woff", "dist/*.ttf",
                                       "dist/*.eot", "dist/*.svg", "dist/embed.js.LICENSE.txt"], "html-manager"),
    # MathJax 3: the combined TeX+MathML->CHTML component, its fonts, and what it may load on demand (TeX
    # extensions, the menu, accessibility and speech).
    ("mathjax", ["es5/tex-mml-chtml.js", "es5/input", "es5/output/chtml", "es5/ui", "es5/a11y", "es5/sre",
                 "LICENSE"], "mathjax"),
]
# the same, for the browser tests only: axe-core (the accessibility rules engine) and its licence
TEST_COPIES = [
    ("axe-core", ["axe.min.js", "LICENSE"], "axe-core"),
]


def main() -> int:
    lock = ROOT / "package-lock.json"
    if not NODE_MODULES.is_dir():
        print("[vendor_js] node_modules/ is missing: run `npm ci` first", file=sys.stderr)
        return 1
    versions = json.loads(lock.read_text())["packages"]
    for folder in (OUT, TEST_TARGET):
        if folder.exists():
            shutil.rmtree(folder)
    count = 0
    for package, patterns, dest in [(p, f, TARGET / d) for p, f, d in COPIES] + \
                                   [(p, f, TEST_TARGET / d) for p, f, d in TEST_COPIES]:
        src = NODE_MODULES / package
        installed = json.loads((src / "package.json").read_text())["version"]
        locked = versions[f"node_modules/{package}"]["version"]
        if installed != locked:
            print(f"[vendor_js] {package} {installed} is installed but the lock file says {locked}: run `npm ci`",
                  file=sys.stderr)
            return 1
        for pattern in patterns:
            matches = sorted(src.glob(pattern))
            if not matches:
                print(f"[vendor_js] {package}: nothing matches {pattern!r}", file=sys.stderr)
                return 1
            for path in matches:
                out = dest / path.relative_to(src)
                if path.is_dir():
                    shutil.copytree(path, out, dirs_exist_ok=True)
                    count += sum(1 for p in path.rglob("*") if p.is_file())
                else:
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, out)
                    count += 1
    size = sum(p.stat().st_size for p in TARGET.rglob("*") if p.is_file())
    print(f"[vendor_js] {count} files ({size / 2**20:.1f} MiB) -> {TARGET.relative_to(ROOT)}/; "
          f"for the tests -> {TEST_TARGET.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
