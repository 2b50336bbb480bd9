"""Record every exercise check a notebook makes, for the grader (``resnext-teach grade``, ``book/grading.py``).

The grader runs ``record_checks(path)`` in a submitted notebook's kernel before the student's first cell. It
replaces each public ``check_*`` function of the chapters' exercise modules by a wrapper that calls it unchanged
and appends its verdict to ``path`` as one JSON line::

    {"check": "cardinality.check_template_params", "settings": {"cardinality": "32"},
     "correct": false, "answered": true, "feedback": "Not yet. ..."}

A student's later ``from resnext_teach.book.exercises.cardinality import check_template_params`` then gets the
wrapper, so the grade rests on the verdicts the checks returned, not on parsed outputs (which a cell can clear).
This is bookkeeping, not security: code in the notebook runs as the grader's user and could write that file too.
"""

from __future__ import annotations

import functools
import importlib
import json
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .feedback import Feedback

_MACHINERY = {"core", "feedback", "readers", "recorder"}  # modules that declare no exercise


def _recording(check: Callable[..., Any], name: str, path: Path) -> Callable[..., Any]:
    @functools.wraps(check)
    def recorded(*args: Any, **settings: Any) -> Any:
        result = check(*args, **settings)
        if isinstance(result, Feedback):
            record = {"check": name, "settings": {k: repr(v) for k, v in settings.items()},
                      "correct": bool(result.correct), "answered": bool(result.answered), "feedback": str(result)}
            with path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
        return result

    recorded.__rxt_recorded__ = True  # type: ignore[attr-defined]
    return recorded


def record_checks(path: str | Path) -> list[str]:
    """Wrap every exercise check function so that each call appends its verdict to ``path``; returns their
    names (``"module.function"``). Calling it twice wraps nothing twice."""
    from resnext_teach.book import exercises

    path = Path(path)
    wrapped = []
    for info in pkgutil.iter_modules(exercises.__path__):
        if info.name in _MACHINERY:
            continue
        module = importlib.import_module(f"{exercises.__name__}.{info.name}")
        for name, value in list(vars(module).items()):
            if (name.startswith("check_") and callable(value) and getattr(value, "__module__", "") == module.__name__
                    and not getattr(value, "__rxt_recorded__", False)):
                setattr(module, name, _recording(value, f"{info.name}.{name}", path))
                wrapped.append(f"{info.name}.{name}")
    return wrapped
