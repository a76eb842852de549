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



def test_home_numbers_the_lessons_in_the_courses_order_and_counts_the_courses_own(open_page):
    at = open_page("lessons/home.py")
    assert [s.value for s in at.subheader] == [
        "1 · Exploding and vanishing gradients", "2 · Weight initialisation for each activation",
        "3 · Loss functions", "4 · Optimisers", "5 · Learning-rate schedules",
        "6 · Inside a training run", "7 · Regularisation: weight decay and dropout",
        "8 · Normalisation layers", "9 · Training lab", "10 · Read the terrain"]
    assert at.markdown[0].value.startswith("8 lessons from the course, on weight initialisation")
    assert len(at.get("page_link")) == 10
    zh = open_page("lessons/home.py", lang="zh")
    assert "正则化与标准化的 8 节课" in zh.markdown[0].value
