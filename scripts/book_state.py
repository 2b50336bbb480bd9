"""Is the built book current? One rule, used by the build (scripts/build_book.sh) and by the tests.

A build is current when nothing it read has changed since it finished: the package, the book's configuration,
extension and JavaScript, the requirements and the installed environment (the "code" fingerprint), and every
page (one fingerprint per page). Sphinx re-reads, and myst-nb re-executes, only pages whose file changed, so:

* the code changed   -> the build folders are wiped and every page is executed again (any page may show it);
* a chapter changed  -> Sphinx executes that chapter again; the instructor guide, whose chapter map reads every
  chapter, is marked changed too;
* nothing changed    -> the build is skipped.

    python scripts/book_state.py prepare   # before `jupyter-book build`; exit 0: build, exit 3: up to date
    python scripts/book_state.py done      # after a successful build: record what it read
    python scripts/book_state.py check     # exit 0 when _build is current, else 1 (says why)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
STAMP = BUILD / "book-state.json"
UP_TO_DATE = 3
# What every page may depend on. (Pages: every notebook and Markdown file the table of contents lists.)
CODE = ["resnext_teach", "_ext", "book_js", "_config.yml", "_toc.yml", "references.bib", "requirements.txt",
        "pyproject.toml", "package-lock.json", ".venv/.resnext-teach-setup"]
GUIDE = "instructors.ipynb"  # its chapter map reads every chapter


def _files(entry: str) -> list[Path]:
    path = ROOT / entry
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return [path] if path.is_file() else []


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def pages() -> list[Path]:
    """The book's pages: intro, chapters, guide, references (what _toc.yml lists)."""
    import re

    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    names = re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)", toc, re.M)
    found = []
    for name in names:
        for suffix in (".ipynb", ".md"):
            if (ROOT / f"{name}{suffix}").is_file():
                found.append(ROOT / f"{name}{suffix}")
    return found


def fingerprint() -> dict:
    """What a build reads, hashed: {"code": ..., "pages": {path: ...}, "python": ...}."""
    code = [p for entry in CODE for p in _files(entry)]
    return {
        "python": sys.version,
        "code": _digest(code),
        "pages": {p.relative_to(ROOT).as_posix(): _digest([p]) for p in pages()},
    }


def recorded() -> dict | None:
    try:
        return json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return None


def stale_reasons() -> list[str]:
    """Why _build is not current (empty when it is)."""
    old, new = recorded(), fingerprint()
    if old is None:
        return ["no finished build is recorded"]
    reasons = []
    if old.get("python") != new["python"] or old.get("code") != new["code"]:
        reasons.append("the package, configuration or environment changed")
    changed = sorted(p for p in new["pages"] if old.get("pages", {}).get(p) != new["pages"][p])
    if changed:
        reasons.append("pages changed: " + ", ".join(changed))
    return reasons


def is_current() -> bool:
    return not stale_reasons()


def prepare() -> int:
    old, new = recorded(), fingerprint()
    if old is not None and old == new and (BUILD / "html" / "index.html").is_file():
        print("[book] up to date: nothing the book reads has changed since the last build")
        return UP_TO_DATE
    if old is None or old.get("code") != new["code"] or old.get("python") != new["python"]:
        print("[book] the package, configuration or environment changed: every page is executed again")
        for folder in (".doctrees", "html", "jupyter_execute", "notebooks"):
            shutil.rmtree(BUILD / folder, ignore_errors=True)
        STAMP.unlink(missing_ok=True)
        return 0
    changed = [p for p in new["pages"] if old.get("pages", {}).get(p) != new["pages"][p]]
    print("[book] pages changed, executed again: " + ", ".join(changed))
    if any(p.startswith("chapters/") for p in changed) and (ROOT / GUIDE).is_file():
        os.utime(ROOT / GUIDE)  # Sphinx re-reads files newer than its record: the guide reads the chapters
    STAMP.unlink(missing_ok=True)
    return 0


def done() -> int:
    BUILD.mkdir(exist_ok=True)
    STAMP.write_text(json.dumps(fingerprint(), indent=1))
    return 0


def check() -> int:
    reasons = stale_reasons()
    for reason in reasons:
        print(f"[book] not current: {reason}")
    return 1 if reasons else 0


if __name__ == "__main__":
    commands = {"prepare": prepare, "done": done, "check": check}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(commands)}}}")
    sys.exit(commands[sys.argv[1]]())
