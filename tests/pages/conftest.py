"""AppTest runs the whole app (app.py, its sidebar and navigation) and switches to a page."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import text

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def plain(markdown: str) -> str:
    """A message as the browser shows it: without the backslashes that keep what a user typed or
    a link held from being read as markdown (ui.text.quoted)."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture
def open_page():
    def open_(page: str, **state) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return open_


@pytest.fixture
def open_link():
    """A page opened from a link: its query parameters set before the first run."""
    def open_(page: str, params: dict[str, str]) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        for param, value in params.items():
            at.query_params[param] = value
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return open_


@pytest.fixture(autouse=True)
def every_text_exists():
    """Whatever a page test draws, every text key it asks for is in the locale files (a view
    that only one option opens, such as KLDivLoss's batchmean, is covered by the fuzz test)."""
    text.MISSING.clear()
    yield
    assert not text.MISSING, f"text keys missing from locales/: {sorted(text.MISSING)}"


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The test computes what it expects on one thread, as app.py runs every page: torch's thread
    count is per thread, and a matmul split over two threads sums in another order (the
    explosion's float64 gradients and BatchNorm console differed from the page's in their last
    digits, in runs where the test's thread used both cores)."""
    from core.lab.train import one_thread

    with one_thread():
        yield
