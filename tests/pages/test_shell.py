"""The shell every lesson shares: its keyboard shortcuts, one key per action on every page (the
browser test in tests/e2e/test_layout.py presses them)."""

import pytest
from streamlit.elements.lib.shortcut_utils import normalize_shortcut

from harness.pages import app_pages
from ui.panels import SHORTCUTS

LESSONS = [page for page in app_pages() if page.url_path]


def test_every_action_has_a_key_of_its_own_that_streamlit_takes():
    keys = [normalize_shortcut(key) for key in SHORTCUTS.values()]  # refuses C, R, unknown keys
    assert len(set(keys)) == len(keys), SHORTCUTS


def shortcuts(at) -> list[str]:
    return [button.proto.shortcut for button in at.button if button.proto.shortcut]


@pytest.mark.parametrize("page", LESSONS, ids=lambda page: page.url_path)
def test_no_two_buttons_share_a_key_and_pin_and_unpin_answer_theirs(open_page, page):
    pin = normalize_shortcut(SHORTCUTS["pin"])
    at = open_page(page.script)
    assert pin in shortcuts(at)
    assert len(set(shortcuts(at))) == len(shortcuts(at)), shortcuts(at)
    next(b for b in at.button if b.proto.shortcut == pin).click().run()
    assert not at.exception, [e.value for e in at.exception]
    unpin = next(b for b in at.button if b.proto.shortcut == pin)
    assert unpin.key.endswith("_unpin")
    assert len(set(shortcuts(at))) == len(shortcuts(at)), shortcuts(at)

