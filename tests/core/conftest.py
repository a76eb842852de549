"""Fixtures the core tests share."""

import pytest
import torch


@pytest.fixture
def one_thread():
    """torch on one thread, as the app runs it (its float32 sums then add in the app's order)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
