"""Shared test settings: deterministic, single-threaded torch so the suite is quiet on a 2-core machine."""

import sys
from pathlib import Path

import pytest
import torch
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))  # test helpers such as colab_env
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))  # book_state: is the build current?
# One thread: the unit tests run tiny operations, where a second intra-op thread costs more than it gives (its
# OpenMP workers spin while they wait; on a busy 2-core machine that doubled the tier's CPU time). A test that needs
# another count sets it (devices.cpu_threads), as the package's measurements and training runs do.
torch.set_num_threads(1)
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


ROOT = Path(__file__).resolve().parent.parent


class ExecutedChapter:
    """A chapter notebook with its outputs, and the values it glued (name -> text/plain)."""

    def __init__(self, nb, glued: dict[str, str]) -> None:
        self.nb = nb
        self.glued = glued

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(o["ename"], o["evalue"]) for c in self.nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]

    @property
    def stdout(self) -> str:
        return "".join(o["text"] for c in self.nb.cells for o in c.get("outputs", [])
                       if o.get("output_type") == "stream" and o.get("name") == "stdout")

    @property
    def stderr(self) -> list[str]:
        return [o["text"] for c in self.nb.cells for o in c.get("outputs", [])
                if o.get("output_type") == "stream" and o.get("name") == "stderr"]


def _execute(path: Path) -> ExecutedChapter:
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(path)  # the MyST Markdown source
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    glued = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None:
                glued[name] = next(v for k, v in out["data"].items() if k.endswith("text/plain"))
    return ExecutedChapter(nb, glued)


@pytest.fixture(scope="session")
def executed_chapter():
    """``executed_chapter("02_grouped_convolution")``: the chapter as the book build executed it (read from
    ``_build/jupyter_execute`` when the build is current by scripts/book_state.py's rule, so the suite does not
    run chapters twice), else executed here."""
    import json

    import book_state
    import nbformat

    cache: dict[str, ExecutedChapter] = {}
    current = book_state.is_current(editions=False)  # executed notebooks do not depend on the pinned commit
    if not current:
        print("[tests] the build is not current: chapters are executed by the tests", book_state.stale_reasons(False))

    def get(stem: str) -> ExecutedChapter:
        if stem not in cache:
            source = ROOT / "chapters" / f"{stem}.md"
            built = ROOT / "_build" / "jupyter_execute" / "chapters" / f"{stem}.ipynb"
            glue = built.with_suffix(".glue.json")
            if current and built.exists() and glue.exists():
                data = json.loads(glue.read_text())
                glued = {name: out["data"]["text/plain"] for name, out in data.items() if "text/plain" in out["data"]}
                cache[stem] = ExecutedChapter(nbformat.read(built, as_version=4), glued)
            else:
                cache[stem] = _execute(source)
        return cache[stem]

    return get


# Two tiers. The unit tier, `-m "not book"` (the package's unit tests; what each tier costs is measured in
# CONTRIBUTING.md's "Test tiers"), and the book tier, `-m book`: tests that read the built book or run notebooks,
# plus the slow unit tests below (real training runs, property tests over big blocks, Sphinx builds, the grader's
# kernels), which keep their coverage in the full suite.
BOOK_MODULES = {"test_editions", "test_built_site", "test_colab_like", "test_notebooks", "test_syllabus_and_exports",
                "test_timing_words"}
SLOW = (  # node id prefixes: seconds of CPU each (measured with --durations), valuable, so run by the full suite
    "test_blocks.py::test_all_forms_agree_after_conversion",
    "test_ch06_claims.py::test_channel_jacobian_of_a_block_is_dense_and_rejects_batches",
    "test_ch06_claims.py::test_model_latencies_on_small_models",
    "test_counting.py::test_macs_equal_flop_counter_over_two",
    "test_data.py::test_training_runs_of_different_seeds_use_the_same_images",
    "test_exercises_claims.py::test_check_jacobian_zeros",
    "test_experiments_bad_input.py::test_none_still_means_no_limit_where_the_signature_says_so",
    "test_experiments_bad_input.py::test_the_seeds_of_train_models_are_a_list_of_distinct_seeds",
    "test_experiments_bad_input.py::test_a_diverged_run_stops_with_the_epoch_and_the_advice",
    "test_experiments_bad_input.py::test_training_two_runs_at_a_time_gives_the_same_runs_bit_for_bit",
    "test_explorer_core.py::test_a_data_explorer_carries_its_data_in_every_pane_and_a_fixed_one_none[block-dataflow]",
    "test_explorer_core.py::test_every_explorer_builds_its_default_pane[model-family]",
    "test_explorer_core.py::test_every_explorer_widget_holds_every_pane_in_order_with_one_link_per_stack[block-dataflow]",
    "test_explorer_core.py::test_a_data_explorer_carries_its_data_in_every_pane_and_a_fixed_one_none[model-family]",
    "test_training.py::test_training_learns_and_history_is_consistent",
    # ResNet-50's real forward against torchvision's (ResNeXt-50's, the same block code, stays in the unit tier)
    "test_torchvision_reference.py::test_torchvision_weights_load_strict_and_give_the_same_output[resnet50]",
    "test_explorers_mechanism.py::test_widget_holds_every_pane_in_order_and_show_is_one_output[grouped-image]",
    # the grader run as an instructor runs it: six Jupyter kernels (each imports torch) and an 8 s time-out
    "test_grading.py::test_a_broken_or_hostile_notebook_gets_its_own_row_and_never_stops_the_run",
    "test_grouped_conv.py::test_from_scratch_equals_pytorch_both_ways",
    "test_grouped_conv.py::test_mask_is_where_the_gradient_flows",
    "test_training.py::test_training_is_deterministic",
    "test_training.py::test_channels_last_training_is_deterministic_and_computes_the_same_function",
    "test_training.py::test_training_with_augmentation_is_deterministic",
    "test_training.py::test_train_models_runs_every_model_and_seed_and_writes_no_stderr",
    "test_training.py::test_train_models_draws_the_data_per_seed_and_shares_it_between_models",
)
# A unit test that needs more CPU than this fails, naming the limit: move it to SLOW or make it smaller (CPU time of
# the test's thread, so a busy machine does not trip it).
UNIT_CPU_LIMIT_S = 15.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "book: the slow tier: reads the built book, executes notebooks, or takes "
                                       "seconds of CPU (the rest are the unit tests)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks the book tier; and the tests that wait for work started in the background when the session starts go
    last, so that the other tests run while it goes on: the Colab-like runs' (tests/colab_env.py), then the browser
    sweep's (tests/browser/pages.py), then the test of every request the session's browsers made."""
    def place(item: pytest.Item) -> int:
        if item.name == "test_no_request_left_the_machine":
            return 3
        if "loads" in getattr(item, "fixturenames", ()):
            return 2
        colab = getattr(getattr(item, "module", None), "__name__", "") == "test_colab_like"
        return 1 if colab and "runs" in getattr(item, "fixturenames", ()) else 0

    items.sort(key=place)  # stable: each group keeps its order
    for item in items:
        module = Path(str(item.fspath))
        node = item.nodeid.split("tests/", 1)[-1]
        if (module.stem in BOOK_MODULES or module.parent.name == "browser"
                or "executed_chapter" in getattr(item, "fixturenames", ()) or node.startswith(SLOW)):
            item.add_marker(pytest.mark.book)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The Colab-like runs take minutes of one core: when their tests are selected, start them now, in the
    background, beside the other tests (tests/colab_env.py; tests/test_colab_like.py reads their reports)."""
    items = [i for i in session.items if getattr(i, "module", None) is not None
             and i.module.__name__ == "test_colab_like" and "runs" in getattr(i, "fixturenames", ())]
    if items and not session.config.option.collectonly:
        items[0].module.start(items)


def pytest_sessionfinish(session: pytest.Session) -> None:
    import colab_env

    colab_env.stop_colab_runs()


class UnitTestTooSlow(Exception):
    pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """The unit tier's timeout: UNIT_CPU_LIMIT_S seconds of CPU time of the test's own thread per unit test. The
    process's CPU clock (SIGPROF) wakes the check; the browser sweep's thread (tests/browser/pages.py) also runs that
    clock in a whole-suite run, so on waking the check counts the test's thread alone and sleeps again if it is
    under the limit."""
    import signal
    import time

    if item.get_closest_marker("book") is not None or not hasattr(signal, "setitimer"):
        yield
        return

    start = time.thread_time()  # the handler runs in this (the main) thread

    def expire(signum, frame):
        used = time.thread_time() - start
        if used < UNIT_CPU_LIMIT_S:  # the rest of the clock was other threads'
            signal.setitimer(signal.ITIMER_PROF, max(UNIT_CPU_LIMIT_S - used, 0.1))
            return
        raise UnitTestTooSlow(f"{item.nodeid} used over {UNIT_CPU_LIMIT_S:.0f} s of CPU: a unit test must be "
                              "small (meta device, tiny inputs); move it to SLOW in tests/conftest.py if it cannot be")

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, UNIT_CPU_LIMIT_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
