"""Every page in Chinese shows no English sentence from the interface and no raw text key."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from core import text
from harness.pages import app_pages
from lessons import TABS, script
from tests.pages.conftest import APP

TEXT_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning",
                 "error", "success")
WIDGETS = ("button", "number_input", "selectbox", "toggle", "checkbox", "radio", "slider",
           "text_input", "tabs", "expander", "metric")
# a key such as "init.title" shown as itself (not torch's "nn.init.calculate_gain")
SECTIONS = ("app|nav|home|common|compare|explosion|init|loss|optim|schedules|inside|lab|terrain"
            "|error|notice|regularisation(?:_[a-z]+)?|normalisation(?:_[a-z]+)?")
RAW_KEY = re.compile(rf"(?<![\w.])(?:{SECTIONS})\.[a-z_]+\b")


def english_only_phrases() -> set[str]:
    """Literal stretches (12+ characters) of every English string that Chinese says differently."""
    english, chinese = text.strings("en"), text.strings("zh")
    phrases = set()
    for key, template in english.items():
        if template != chinese[key]:
            for part in re.split(r"{[^}]*}", template):
                if len(part.strip()) >= 12 and part.strip() not in chinese[key]:
                    phrases.add(part.strip())
    return phrases


def shown_text(at: AppTest) -> list[str]:
    shown = []
    for kind in TEXT_ELEMENTS:
        shown += [str(element.value) for element in getattr(at, kind)]
    for kind in WIDGETS:
        shown += [str(element.label) for element in getattr(at, kind)]
    return shown


def english_on(at: AppTest) -> list[str]:
    phrases = english_only_phrases()
    return sorted({p for item in shown_text(at) for p in phrases if p in item})


def open_in(lang: str, page, tab: str | None = None) -> AppTest:
    """The page in lang, with one of its tabs open (its first by default)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    if tab is not None:
        at.session_state[f"{page.url_path}_tab"] = tab
    at.run()
    at.switch_page(page.script).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", app_pages(), ids=lambda p: p.url_path or "home")
def test_chinese_page_has_no_english_interface_text(page):
    assert english_on(open_in("en", page)), "the check finds English on the English page"
    at = open_in("zh", page)
    shown = shown_text(at)
    assert not english_on(at)
    raw_keys = sorted({key for item in shown for key in RAW_KEY.findall(item)})
    assert not raw_keys


@pytest.mark.parametrize(("lesson", "tab"), [(lesson, tab) for lesson, tabs in TABS.items()
                                             for tab in tabs[1:]])
def test_every_other_tab_in_chinese_too(lesson, tab):
    page = next(p for p in app_pages() if p.script == script(lesson))
    at = open_in("zh", page, tab)
    assert at.session_state[f"{lesson}_tab"] == tab  # that tab is the one drawn
    assert not english_on(at)
    assert not sorted({key for item in shown_text(at) for key in RAW_KEY.findall(item)})
