"""Is the built book current? One rule, used by the build (scripts/build_book.sh) and by the tests.

The record ``_build/book-state.json`` says what the build in ``_build`` was made from: one fingerprint for what
every page may show (the package, the book's configuration, extension and JavaScript, the requirements, Python and
every installed distribution's version: "code"), one per page, and the commit the notebook editions pin
(``edition_ref``). Before a build, ``prepare`` compares the record with the sources and forces exactly what changed:

* the code changed         -> the build folders are wiped and every page is executed again;
* a page changed           -> its doctree is deleted, so Sphinx reads (and myst-nb executes) it again whatever its
                              modification time says (a ``cp -p`` keeps the old one); a changed chapter does the
                              same to the instructor guide, whose chapter map reads every chapter;
* the pinned commit changed -> Sphinx runs with nothing to read and rewrites the editions (seconds);
* nothing changed          -> the build is skipped.

The record is written in two steps, so that no failure can make a stale build look current: ``prepare`` keeps only
the entries that the coming build leaves valid (a failed or interrupted build then re-executes only the pages it was
asked to rebuild, and of those not the ones it finished without a warning, which the book's extension records in
``book-state.progress.json``), and ``done`` records the fingerprint taken *before* the build, so a file edited while
the build ran is still seen as changed by the next one.

The package is fingerprinted by its syntax tree without docstrings and comments, so editing those executes nothing
again (any change to code does), as long as nothing can show them: while a package module or a page reads a
docstring or source (``__doc__``, ``inspect.getdoc``, ``help(``, ...) or a page shows a traceback (whose lines and
line numbers come from the package), the package is hashed as written.

    python scripts/book_state.py prepare   # before `jupyter-book build`; exit 0: build, exit 3: up to date
    python scripts/book_state.py done      # after a successful build: record what it read
    python scripts/book_state.py check     # exit 0 when _build is current, else 1 (says why)
    python scripts/book_state.py ref       # the commit the editions pin (empty: uncommitted package changes)
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UP_TO_DATE = 3
# What every page may depend on. (Pages: every notebook and Markdown file the table of contents lists.)
CODE = ["resnext_teach", "_ext", "book_js", "_config.yml", "_toc.yml", "references.bib", "requirements.txt",
        "pyproject.toml", "package-lock.json", ".venv/.resnext-teach-setup"]
PACKAGE = ["resnext_teach", "pyproject.toml"]  # what the editions' install cell installs
GUIDE = "instructors.md"  # its chapter map reads every chapter
WIPED = (".doctrees", "html", "jupyter_execute", "notebooks")


def build_dir() -> Path:
    return ROOT / "_build"


def stamp() -> Path:
    return build_dir() / "book-state.json"


def pending() -> Path:
    return build_dir() / "book-state.pending.json"


def progress() -> Path:
    return build_dir() / "book-state.progress.json"  # the pages a failed build finished (_ext/resnext_book.py)


def _files(entry: str) -> list[Path]:
    path = ROOT / entry
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return [path] if path.is_file() else []


# What could put a docstring, a comment or a source line of the package on a page: while any package module or page
# does one of these, the package is hashed as written (docstrings and comments included).
SHOWS_SOURCE = re.compile(r"__doc__|\bgetdoc\b|\bgetsource|\bhelp\(|\btraceback\b|\?\?|raises-exception")


def docs_may_show() -> bool:
    """True when a package module or a page reads docstrings or source, or a page shows a traceback."""
    texts = [p for p in _files("resnext_teach") if p.suffix == ".py"] + pages()
    return any(SHOWS_SOURCE.search(p.read_text(encoding="utf-8", errors="replace")) for p in texts)


def _meaning(path: Path, strip_docs: bool) -> bytes:
    """A package module without its docstrings and comments (its syntax tree) when ``strip_docs``; else the file."""
    data = path.read_bytes()
    if not strip_docs or path.suffix != ".py" or "resnext_teach" not in path.relative_to(ROOT).parts[:1]:
        return data
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return data
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False).encode()


def _digest(paths: list[Path], strip_docs: bool = False) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + _meaning(path, strip_docs) + b"\0")
    return h.hexdigest()


def environment() -> list[str]:
    """Every installed distribution, by the name of its metadata folder ("torch-2.5.1.dist-info": name and version),
    on every folder Python imports from: an upgraded torch or tqdm changes it."""
    found = set()
    for entry in sys.path:
        where = Path(entry or ".").resolve()
        if where.is_relative_to(ROOT.resolve()) and not where.is_relative_to((ROOT / ".venv").resolve()):
            continue  # the checkout itself (a test's or a script's folder, an egg-info) is not the environment
        if any((parent / "__init__.py").is_file() for parent in where.parents):
            continue  # a package's vendored copies (setuptools/_vendor, put on sys.path when setuptools is
            # imported, as torch.utils.cpp_extension does): its own version says which; a process that imported
            # it must see the build it did not make as current
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        found.update(f"{entry}/{n}" for n in names if n.endswith((".dist-info", ".egg-info")))
    return sorted(found)


def pages() -> list[Path]:
    """The book's pages: intro, chapters, guide, references (what _toc.yml lists)."""
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    names = re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)", toc, re.M)
    found = []
    for name in names:
        for suffix in (".ipynb", ".md"):
            if (ROOT / f"{name}{suffix}").is_file():
                found.append(ROOT / f"{name}{suffix}")
    return found


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout


def edition_ref() -> str | None:
    """The commit the notebook editions pin: HEAD when the package (resnext_teach/, pyproject.toml) in the working
    tree is HEAD's, else None (uncommitted package changes: no commit holds what the pages were computed with)."""
    head = (_git("rev-parse", "HEAD") or "").strip()
    if not head:
        return None
    changes = _git("status", "--porcelain", "--untracked-files=all", "--", *PACKAGE)
    return head if changes == "" else None


def fingerprint() -> dict:
    """What a build reads, hashed."""
    code = [p for entry in CODE for p in _files(entry)]
    env = environment()
    return {
        "python": sys.version,
        "environment": hashlib.sha256("\n".join(env).encode()).hexdigest(),
        "code": _digest(code, strip_docs=not docs_may_show()),
        "pages": {p.relative_to(ROOT).as_posix(): _digest([p]) for p in pages()},
        "edition_ref": edition_ref(),
    }


SHARED = ("python", "environment", "code")  # a change to any of these executes every page again


def recorded() -> dict | None:
    try:
        return json.loads(stamp().read_text())
    except (OSError, ValueError):
        return None


def _changed_pages(old: dict, new: dict) -> list[str]:
    changed = [p for p in new["pages"] if old.get("pages", {}).get(p) != new["pages"][p]]
    if any(p.startswith("chapters/") for p in changed) and GUIDE in new["pages"] and GUIDE not in changed:
        changed.append(GUIDE)
    return changed


def stale_reasons(editions: bool = True) -> list[str]:
    """Why _build is not current (empty when it is); ``editions=False`` ignores the editions' pinned commit (what
    the executed notebooks do not depend on)."""
    old, new = recorded(), fingerprint()
    if old is None:
        return ["no finished build is recorded"]
    reasons = []
    if any(old.get(key) != new[key] for key in SHARED):
        reasons.append("the package, configuration or environment changed")
    changed = sorted(p for p in new["pages"] if old.get("pages", {}).get(p) != new["pages"][p])
    if changed:
        reasons.append("pages changed: " + ", ".join(changed))
    if editions and old.get("edition_ref", "missing") != new["edition_ref"]:
        reasons.append(f"the editions pin {old.get('edition_ref')}, the commit to pin is {new['edition_ref']}")
    return reasons


def is_current(editions: bool = True) -> bool:
    return not stale_reasons(editions)


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def _doctree(page: str) -> Path:
    return build_dir() / ".doctrees" / Path(page).with_suffix(".doctree")


def _merge_progress(old: dict | None) -> dict | None:
    """The record plus the pages that a failed build finished under the same code (then forgets them)."""
    try:
        finished = json.loads(progress().read_text())
    except (OSError, ValueError):
        return old
    progress().unlink()
    if old is None or any(finished.get(key) != old.get(key) for key in SHARED):
        return old
    merged = {**old, "pages": {**old.get("pages", {}), **finished["pages"]}}
    _write(stamp(), merged)
    return merged


def prepare() -> int:
    old, new = _merge_progress(recorded()), fingerprint()
    _write(pending(), new)  # what `done` records: what this build is about to read
    if old is not None and old == new and (build_dir() / "html" / "index.html").is_file():
        print("[book] up to date: nothing the book reads has changed since the last build")
        return UP_TO_DATE
    if old is None or any(old.get(key) != new[key] for key in SHARED):
        print("[book] the package, configuration or environment changed: every page is executed again")
        for folder in WIPED:
            shutil.rmtree(build_dir() / folder, ignore_errors=True)
        _write(stamp(), {**{key: new[key] for key in SHARED}, "pages": {}, "edition_ref": "none written"})
        return 0
    changed = _changed_pages(old, new)
    if changed:
        print("[book] pages changed, executed again: " + ", ".join(changed))
    elif old.get("edition_ref") != new["edition_ref"]:
        print(f"[book] only the editions' pinned commit changed ({new['edition_ref']}): the editions are rewritten")
    else:
        print("[book] the HTML is missing: written again from what Sphinx keeps")
    for page in changed:
        _doctree(page).unlink(missing_ok=True)  # Sphinx reads a page again when its doctree is missing
    kept = {p: h for p, h in old.get("pages", {}).items() if p not in changed}
    _write(stamp(), {**old, "pages": kept, "edition_ref": "none written"})  # valid even if this build fails
    return 0


def done() -> int:
    try:
        before = json.loads(pending().read_text())
    except (OSError, ValueError):
        print("[book] no build was prepared: nothing recorded", file=sys.stderr)
        return 1
    _write(stamp(), before)
    pending().unlink()
    progress().unlink(missing_ok=True)
    return 0


def check() -> int:
    reasons = stale_reasons()
    for reason in reasons:
        print(f"[book] not current: {reason}")
    return 1 if reasons else 0


def ref() -> int:
    print(edition_ref() or "")
    return 0


if __name__ == "__main__":
    commands = {"prepare": prepare, "done": done, "check": check, "ref": ref}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(commands)}}}")
    sys.exit(commands[sys.argv[1]]())
