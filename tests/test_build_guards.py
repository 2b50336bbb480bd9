"""What guards the build and the publishing: MyST left raw on a page or in an edition fails the build
(_ext/resnext_book.py), the publish job refuses to overwrite the source or the default branch
(scripts/launch_branch.py), and the set-up never deletes an environment it did not make (scripts/setup.sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from launch_branch import launch_branch  # noqa: E402  (scripts/ is on the path: conftest)
from resnext_book import raw_myst  # noqa: E402

# The slip that reached a page: a glue role inside a code span is not parsed, so it shows as written.
CODE_SPAN_SLIP = "The layer is `nn.Conv2d({glue:text}`c_in`, 128, 3)`, with {glue:text}`params:,d` weights."


def test_raw_roles_and_directives_are_found_in_code_spans_and_prose_and_nowhere_else():
    assert raw_myst(CODE_SPAN_SLIP) == ["{glue:text}", "{glue:text}"]
    assert raw_myst("see {ref}`ch-grouped` and {cite:p}`xie2017`") == ["{ref}", "{cite:p}"]
    assert raw_myst("```{exercise}\n:label: ex\n```\n:::{admonition} Note\n:::") == ["```{exercise}",
                                                                                    ":::{admonition}"]
    # an edition's Markdown and a page's text: numbers, math (LaTeX braces), Python dicts and sets are not MyST
    clean = ("ResNeXt-50 has 25,028,904 parameters, $\\frac{C_{in}}{G}$ per group, $$\\mathrm{FLOPs}$$, "
             "\\(\\text{groups}\\), {'groups': 32}, {1, 2}, `f\"{x:,}\"` is formatted, and $\\mathbf{y} = \\mathbf{x} +\n"
             "  \\sum_{i=1}^{C} \\mathcal{T}_i(\\mathbf{x})$ wraps a line")
    assert raw_myst(clean) == []


def test_a_synthetic_html_page_and_edition_with_the_slip_are_caught():
    from bs4 import BeautifulSoup

    page = ('<article><p>The layer is <code class="docutils literal notranslate"><span class="pre">nn.Conv2d({glue:text}'
            '</span></code>c_in<code class="docutils literal notranslate"><span class="pre">,</span> <span class="pre">'
            '128)</span></code>.</p><span class="math">\\(\\frac{C}{G}\\)</span></article>')
    assert raw_myst(BeautifulSoup(page, "html.parser").get_text(" ")) == ["{glue:text}"]
    edition_cell = "The layer is `nn.Conv2d({glue:text}`c_in`, 128)` and $\\frac{C}{G}$ per group."
    assert raw_myst(edition_cell) == ["{glue:text}"]


@pytest.mark.book  # a Sphinx build (seconds): the slow tier
def test_a_glue_role_inside_a_code_span_fails_the_build(tmp_path):
    """A Sphinx build with the book's check (the doctree-resolved handler of _ext/resnext_book.py), -W as the book's."""
    (tmp_path / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        "from resnext_book import _no_raw_myst_on_the_page\n"
        "extensions = ['myst_nb']\nnb_execution_mode = 'off'\n"
        "def setup(app):\n    app.connect('doctree-resolved', _no_raw_myst_on_the_page)\n")

    def build(text: str) -> subprocess.CompletedProcess:
        (tmp_path / "index.md").write_text(f"# Page\n\n{text}\n\n$\\frac{{C_{{in}}}}{{G}}$\n")
        return subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-E", "-b", "html", str(tmp_path),
                               str(tmp_path / "_build")], capture_output=True, text=True)

    good = build("The layer is `nn.Conv2d(64, 128, 3)`, whose weights are `{'groups': 32}` and counted.")
    assert good.returncode == 0, good.stderr
    bad = build("The layer is `nn.Conv2d({glue:text}`c_in`, 128, 3)`.")
    assert bad.returncode != 0 and "MyST markup shown raw on the page: ['{glue:text}']" in bad.stderr, bad.stderr


def test_the_launch_branch_is_never_the_source_or_the_default_branch():
    config = {"repository": {"branch": "notebooks"}}
    assert launch_branch(config, "main", "main") == "notebooks"
    for source, default in (("notebooks", "main"), ("main", "notebooks"), ("", "main"), ("main", "")):
        with pytest.raises(ValueError):
            launch_branch(config, source, default)
    for empty in ({}, {"repository": {}}, {"repository": {"branch": " "}}):
        with pytest.raises(ValueError, match="empty"):
            launch_branch(empty, "main", "main")
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "launch_branch.py"), "notebooks", "main"],
                         capture_output=True, text=True)
    branch = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["branch"]
    assert (run.returncode, run.stdout.strip()) == ((1, "") if branch == "notebooks" else (0, branch))


def test_the_publish_job_reads_its_branch_through_the_guard_before_pushing():
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())["jobs"]
    steps = jobs["publish"]["steps"]
    read = next(i for i, s in enumerate(steps) if s.get("id") == "config")
    push = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("peaceiris/actions-gh-pages"))
    assert read < push and steps[push]["with"]["publish_branch"] == "${{ steps.config.outputs.branch }}"
    assert 'scripts/launch_branch.py "$SOURCE" "$DEFAULT"' in steps[read]["run"]
    assert steps[read]["env"] == {"SOURCE": "${{ github.ref_name }}",
                                  "DEFAULT": "${{ github.event.repository.default_branch }}"}


def test_setup_never_deletes_an_environment_it_did_not_make(tmp_path):
    """A `uv venv` has no pip: the set-up says so and stops, and the environment and its files stay."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    (tmp_path / "requirements.txt").write_text("")
    (tmp_path / "pyproject.toml").write_text("")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / ".venv")], check=True)
    (tmp_path / ".venv" / "the-users-work.txt").write_text("keep me")
    env = {**os.environ, "PYTHON": sys.executable, "PIP_NO_INDEX": "1"}
    result = subprocess.run(["bash", str(tmp_path / "scripts" / "setup.sh")], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode != 0
    assert "this script did not make it" in result.stderr and "ensurepip" in result.stderr
    assert (tmp_path / ".venv" / "the-users-work.txt").read_text() == "keep me"
