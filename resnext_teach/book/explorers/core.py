"""The explorer mechanism: sliders whose every position is precomputed, so they stay live without a kernel.

An ``Explorer`` names its controls (each a short list of options), a ``compute`` function that returns the
numbers for one position (from ``resnext_teach``, never typed by hand) and a ``render`` function that turns them
into a small HTML pane (numbers and an inline SVG picture). ``widget()`` builds:

* with ipywidgets 8 (Jupyter, and the static HTML book): one pane per position inside nested ``widgets.Stack``
  containers, each stack's ``selected_index`` tied to its control's ``index`` with ``widgets.jslink``. The
  browser switches panes by itself, so the explorer works in the built book with no kernel;
* with ipywidgets 7 (Colab ships 7.7.1, which has no ``Stack``): one HTML pane updated by a Python callback.

Every pane is a ``<div class="rxt-pane">`` whose ``data-rxt-settings`` attribute records its position and whose
numbers sit in ``<span data-rxt-key="...">`` elements, so tests can check what a reader sees at every position.

Most explorers are fixed: module-level constants computed from formulas, listed in ``explorers.EXPLORERS``. A *data
explorer* is built by a chapter from what it measured (``sweep.sweep_explorer(sweep)``); its ``data`` (plain JSON)
is written into every pane as ``data-rxt-data``, so a page carries the measurements behind the numbers it shows
and the explorer can be rebuilt from the page alone.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

PANE_STYLE = "font-family: var(--pst-font-family-base, sans-serif); font-size: 0.95em; line-height: 1.4"


@dataclass(frozen=True)
class Control:
    """One control of an explorer: a slider (``kind="slider"``) or a row of buttons (``kind="toggle"``)."""

    name: str  # keyword passed to compute() and render()
    label: str  # what the reader sees next to it
    options: tuple[Any, ...]
    default: Any
    kind: str = "slider"
    option_labels: tuple[str, ...] | None = None  # shown instead of str(option)

    def __post_init__(self) -> None:
        if not self.options:
            raise ValueError(f"control {self.name!r} needs at least one option")
        if self.default not in self.options:
            raise ValueError(f"default={self.default!r} of control {self.name!r} is not one of its options {self.options}")
        if self.kind not in ("slider", "toggle"):
            raise ValueError(f"kind={self.kind!r} must be 'slider' or 'toggle'")
        if self.option_labels is not None and len(self.option_labels) != len(self.options):
            raise ValueError(f"control {self.name!r} has {len(self.options)} options but {len(self.option_labels)} labels")

    @property
    def default_index(self) -> int:
        return self.options.index(self.default)

    def labels(self) -> tuple[str, ...]:
        return self.option_labels or tuple(str(o) for o in self.options)


def value_span(key: str, text: str) -> str:
    """A displayed number that tests can find: ``<span data-rxt-key="params">73,728</span>``."""
    return f'<span data-rxt-key="{escape(key)}">{escape(text)}</span>'


def value_table(rows: Sequence[tuple[str, str, str]]) -> str:
    """A two-column table of (label, key, formatted value) rows, values right-aligned."""
    body = "".join(
        f'<tr><td style="padding:1px 12px 1px 0">{escape(label)}</td>'
        f'<td style="text-align:right; font-variant-numeric: tabular-nums"><b>{value_span(key, text)}</b></td></tr>'
        for label, key, text in rows
    )
    return f'<table style="border-collapse:collapse; margin:0">{body}</table>'


@dataclass(frozen=True)
class Explorer:
    """A precomputed interactive explorer (see the module docstring)."""

    name: str
    title: str
    controls: tuple[Control, ...]
    compute: Callable[..., dict[str, Any]]
    render: Callable[[dict[str, Any], dict[str, Any]], str]
    formats: dict[str, str] = field(default_factory=dict)  # key -> format spec; ints default to ",d"
    data: dict[str, Any] | None = None  # a data explorer's measurements (JSON types), written into each pane

    def positions(self) -> Iterator[dict[str, Any]]:
        """Every combination of control options, in the order the panes are built."""
        names = [c.name for c in self.controls]
        for combo in itertools.product(*(c.options for c in self.controls)):
            yield dict(zip(names, combo))

    @property
    def defaults(self) -> dict[str, Any]:
        return {c.name: c.default for c in self.controls}

    def format(self, key: str, value: Any) -> str:
        """How a number is shown: the explorer's format for ``key``, else ``1,234`` for ints, ``3 sig. digits``."""
        spec = self.formats.get(key)
        if spec is None:
            spec = ",d" if isinstance(value, int) and not isinstance(value, bool) else ".3g"
        return format(value, spec)

    def pane(self, **settings: Any) -> str:
        """The HTML shown at one position."""
        values = self.compute(**settings)
        recorded = escape(json.dumps({k: settings[k] for k in sorted(settings)}, default=str))
        measured = "" if self.data is None else f' data-rxt-data="{escape(json.dumps(self.data, sort_keys=True))}"'
        return (
            f'<div class="rxt-pane" data-rxt-explorer="{escape(self.name)}" data-rxt-settings="{recorded}"{measured} '
            f'style="{PANE_STYLE}">{self.render(settings, values)}</div>'
        )

    def static(self) -> Any:
        """The default pane as plain HTML output: what a reader sees even where widgets cannot load."""
        from IPython.display import HTML

        return HTML(self.pane(**self.defaults))

    def show(self) -> "Shown":
        """The explorer, once: the live widget where widgets run (Jupyter, Colab, the built book's pages), and
        its default pane where they cannot (a notebook viewer without widgets, a page without JavaScript)."""
        return Shown(self, self.widget())

    def widget(self) -> Any:
        """The live explorer: nested ``Stack``s + ``jslink`` under ipywidgets 8, a Python callback under 7."""
        import ipywidgets as widgets

        controls = [_make_control(widgets, c) for c in self.controls]
        header = widgets.HTML(f"<b>{escape(self.title)}</b>")
        if hasattr(widgets, "Stack"):
            # All panes share one Layout and one Style model: every widget model is saved in the page, and
            # one pair per pane would double the page's widget state.
            first = widgets.HTML(self.pane(**next(self.positions())))
            shared = {"layout": first.layout, "style": first.style, "first": first}
            body = self._stack(widgets, controls, 0, {}, shared)
        else:  # ipywidgets 7 (Colab): no Stack; update one pane from Python
            body = widgets.HTML(self.pane(**self.defaults))

            def update(_change: Any) -> None:
                settings = {c.name: c.options[w.index] for c, w in zip(self.controls, controls)}
                body.value = self.pane(**settings)

            for w in controls:
                w.observe(update, names="index")
        box = widgets.VBox([header, *controls, body])
        box.add_class("rxt-explorer")
        return box

    def _stack(self, widgets: Any, controls: list[Any], level: int, prefix: dict[str, Any], shared: dict) -> Any:
        """The stack of ``controls[level]`` over the stacks (or panes) of the next level, ``prefix`` fixed above."""
        if level == len(self.controls):
            first = shared.pop("first", None)  # the pane of the first position, made before the shared models
            if first is not None:
                return first
            return widgets.HTML(self.pane(**prefix), layout=shared["layout"], style=shared["style"])
        control = self.controls[level]
        children = [
            self._stack(widgets, controls, level + 1, {**prefix, control.name: o}, shared)
            for o in control.options
        ]
        stack = widgets.Stack(children=children, selected_index=control.default_index, layout=shared["layout"])
        # the link is a widget of its own: the kernel keeps it, and the page saves it with the other models
        widgets.jslink((controls[level], "index"), (stack, "selected_index"))
        return stack


@dataclass(frozen=True)
class Shown:
    """One output holding both forms of an explorer; each client shows the richest it can.

    Notebook clients show the widget view when they have a widget manager, else the HTML. The built book
    shows the HTML (``nb_mime_priority_overrides`` in ``_config.yml``), which names the widget's model in
    ``data-rxt-model``: the page's script (book_js/_static/rxt/widgets-setup.js) asks the HTML manager to render
    that widget there and hides the default pane once the live one is up."""

    explorer: Explorer
    box: Any

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        model = self.box.model_id
        pane = self.explorer.pane(**self.explorer.defaults)
        return {
            "text/plain": f"{self.explorer.title} (an interactive explorer)",
            "text/html": f'<div class="rxt-static" data-rxt-model="{escape(model)}">{pane}</div>',
            "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0, "model_id": model},
        }


def _make_control(widgets: Any, control: Control) -> Any:
    options = list(zip(control.labels(), range(len(control.options))))
    common = dict(options=options, value=control.default_index, description=control.label,
                  style={"description_width": "initial"})
    if control.kind == "toggle":
        return widgets.ToggleButtons(**common)
    return widgets.SelectionSlider(continuous_update=True, layout=widgets.Layout(width="420px"), **common)
