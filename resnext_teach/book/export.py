"""Copy the student editions (the built book's ``_build/notebooks/student/*_student.ipynb``) to a folder, never
over a notebook that someone edited.

The export records what it wrote in ``OUT/.resnext-teach-export.json`` (file name -> SHA-256). A later export
replaces a notebook only when it is still as the export wrote it (or already equal to the new one); a notebook
that was edited since, or that no export wrote, is left alone and named, unless ``force`` is set.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

MANIFEST = ".resnext-teach-export.json"


class ExportError(ValueError):
    """The export would overwrite an edited notebook, or found nothing to export."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def student_editions(source: Path, chapters: list[str] | None = None) -> list[Path]:
    """The student editions in ``source`` (all, or those whose names start with one of ``chapters``)."""
    if not source.is_dir():
        raise ExportError(f"no student editions: {source} is not a folder (build the book first: "
                          "bash scripts/build_book.sh, or pass --source)")
    found = sorted(source.glob("*_student.ipynb"))
    if chapters:
        found = [p for p in found if any(p.name.startswith(Path(c).stem) for c in chapters)]
    if not found:
        raise ExportError(f"no student editions match {' '.join(chapters or []) or 'any chapter'} in {source}")
    return found


def export(source: Path, out_dir: Path, chapters: list[str] | None = None, force: bool = False) -> list[Path]:
    """Copy the student editions from ``source`` into ``out_dir``; raise ``ExportError`` naming every notebook
    that an export would overwrite though it was edited (nothing is written then), unless ``force``."""
    sources = student_editions(source, chapters)
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"--out {out_dir} is a file, not a folder")
    manifest_path = out_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    except ValueError:
        manifest = {}
    edited = []
    for path in sources:
        target = out_dir / path.name
        if target.exists() and not force:
            current = _sha256(target)
            if current != _sha256(path) and current != manifest.get(path.name):
                edited.append(target)
    if edited:
        names = ", ".join(str(p) for p in edited)
        raise ExportError(f"not overwriting {names}: edited since the last export (or not written by one). "
                          "Move it away, or pass --force to replace it.")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources:
        target = out_dir / path.name
        shutil.copyfile(path, target)
        manifest[path.name] = _sha256(target)
        written.append(target)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return written
