"""Fixtures the core tests share."""

import pytest

from core.lab.train import one_thread as torch_on_one_thread


@pytest.fixture
def one_thread():
    """torch on one thread, as the app runs it (its float32 sums then add in the app's order)."""
    with torch_on_one_thread():
        yield
