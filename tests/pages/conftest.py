"""AppTest runs the whole app (app.py, its sidebar and navigation) and switches to a page."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


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
