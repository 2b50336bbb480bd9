"""The branch the publish workflow pushes the notebook editions to: ``repository.branch`` in ``_config.yml``.

The push replaces that branch's whole history with one commit of notebooks (``force_orphan``), so the branch being
built and the repository's default branch are refused, and so is an empty name:

    python3 scripts/launch_branch.py SOURCE_BRANCH DEFAULT_BRANCH   # prints the branch, or exits 1 saying why
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def launch_branch(config: dict, source: str, default: str) -> str:
    """``repository.branch`` of ``config``; ValueError when it is empty, ``source`` or ``default``."""
    if not source or not default:
        raise ValueError("the branch being built and the default branch must both be known to check the launch branch")
    branch = str((config.get("repository") or {}).get("branch") or "").strip()
    if not branch:
        raise ValueError("repository.branch in _config.yml is empty: name the branch the Colab buttons open")
    for what, name in (("the branch being built", source), ("the repository's default branch", default)):
        if branch == name:
            raise ValueError(f"repository.branch in _config.yml is {branch!r}, {what}: publishing the notebooks there "
                             "would replace its history; name a branch that holds nothing else")
    return branch


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    try:
        print(launch_branch(config, *argv))
    except ValueError as error:
        print(f"[publish] refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
