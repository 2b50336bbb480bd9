"""Shared test settings: deterministic, single-threaded torch so the suite is quiet on a 2-core machine."""

import os
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))  # test helpers such as colab_env
torch.set_num_threads(min(2, os.cpu_count() or 1))
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
