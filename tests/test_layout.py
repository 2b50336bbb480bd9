"""The package's layout, checked from its imports: the math at the top imports nothing of the book or the
experiments, the experiments never import the book, every third-party import is declared, and every module is
small and says what it holds (CONTRIBUTING.md, "How the pieces fit")."""

import ast
import re
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (the package declares >=3.10): requirements.txt installs tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "resnext_teach"
MATH = {"counting", "validation", "grouped_conv", "design", "blocks", "models", "flops"}
MAX_LINES = 300
# Where a third-party import's distribution has another name than the module
DISTRIBUTION = {"sklearn": "scikit-learn", "IPython": "ipython", "PIL": "pillow"}
# Imported only inside try/except, where the environment may lack them: optional, not required
OPTIONAL = {
    "torchvision": "pretrained weights and reference models; the chapters say so when it is missing",
    "google": "google.colab exists only in Colab (notebook.in_colab)",
    "myst_nb": "glue exists only in the book build (notebook.glue)",
    "matplotlib_inline": "IPython's inline backend, only inside a kernel (notebook._crisp_figures)",
}


def _modules() -> dict[str, Path]:
    """``{"resnext_teach.book.svg": path}`` for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, bool]]:
    """``(absolute module, guarded)`` for every import in the module; ``guarded``: inside ``try``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    guarded_nodes = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try) for b in t.body for n in ast.walk(b)}
    result = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            result += [(alias.name, id(node) in guarded_nodes) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import x
                    result += [(f"{target}.{a.name}", id(node) in guarded_nodes) for a in node.names]
                    continue
            else:
                target = node.module
            result.append((target, id(node) in guarded_nodes))
    return result


def _layer(name: str) -> str:
    parts = name.split(".")
    if len(parts) > 1 and parts[1] in ("book", "experiments"):
        return parts[1]
    if len(parts) > 1 and parts[1] in MATH:
        return "math"
    return "tools" if len(parts) > 1 else "package"


ALLOWED = {  # which layers each layer may import
    "math": {"math"},
    "tools": {"math", "tools"},
    "experiments": {"math", "tools", "experiments"},
    "book": {"math", "tools", "experiments", "book", "package"},
    "package": {"math"},
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_follow_the_layers(name):
    own = _layer(name)
    wrong = [target for target, _ in _imports(name, MODULES[name])
             if target.split(".")[0] == "resnext_teach" and _layer(target) not in ALLOWED[own]]
    assert not wrong, f"{name} ({own}) may import only {sorted(ALLOWED[own])}, not {wrong}"


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements):
        return {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}

    return names(project["dependencies"]), names(project["optional-dependencies"]["book"])


def test_every_third_party_import_is_declared():
    core, book = _declared()
    requirements = {re.split(r"[<>=!~\[ ;#]", line.strip(), maxsplit=1)[0].lower()
                    for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip()[:1].isalpha()}
    missing = []
    for name, path in MODULES.items():
        for target, guarded in _imports(name, path):
            top = target.split(".")[0]
            if top in sys.stdlib_module_names or top in ("resnext_teach", "__future__"):
                continue
            distribution = DISTRIBUTION.get(top, top).lower()
            if top in OPTIONAL:
                assert guarded, f"{name} imports the optional {top} outside try/except ImportError"
                continue
            needed = core if _layer(name) in ("math", "package") else core | book
            if distribution not in needed or distribution not in requirements:
                missing.append(f"{name}: {top}")
    assert not missing, f"imports not declared in pyproject.toml (and requirements.txt): {missing}"


def test_the_math_needs_only_torch_and_numpy():
    core, _ = _declared()
    assert core == {"torch", "numpy"}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_module_is_small_and_says_what_it_holds(name):
    path = MODULES[name]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it along a seam"
    assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), f"{name} has no module docstring"
