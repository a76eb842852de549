"""The font the app ships for Chinese (tools/build_font.py) draws every Chinese character the
interface can show, and the app, its charts and its licence file all name it."""

from __future__ import annotations

import tomllib
import unicodedata

import pytest
from fontTools.ttLib import TTFont

from harness.pages import ROOT
from ui.charts import CHART_FONT

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
FACES = CONFIG["theme"]["fontFaces"]
TEXTS = [*sorted((ROOT / "locales").glob("*.toml")), ROOT / "app.py"]


def needs_a_cjk_font(char: str) -> bool:
    """Characters Streamlit's own Source Sans cannot draw and the shipped font must: Chinese
    characters and full-width punctuation (East Asian width W or F), emoji aside."""
    return unicodedata.east_asian_width(char) in ("W", "F") and \
        unicodedata.category(char) != "So"


def test_the_locales_hold_chinese():
    """Guards the test below against passing on nothing."""
    assert sum(needs_a_cjk_font(c) for c in (ROOT / "locales" / "zh.toml").read_text()) > 1000


@pytest.mark.parametrize("face", FACES, ids=[face["url"] for face in FACES])
def test_the_subset_draws_every_chinese_character_of_the_texts(face):
    """A new string whose characters are missing fails here: run python -m tools.build_font."""
    served = ROOT / "static" / face["url"].removeprefix("app/static/")
    drawn = {chr(code) for code in TTFont(served).getBestCmap()}
    for path in TEXTS:
        missing = sorted({c for c in path.read_text(encoding="utf-8")
                          if needs_a_cjk_font(c)} - drawn)
        assert missing == [], f"{path.name}: {''.join(missing)} (python -m tools.build_font)"


def test_the_needed_characters_are_recognised():
    assert [needs_a_cjk_font(c) for c in "损，（）。a·é🔥"] == [True] * 5 + [False] * 4


def test_the_page_and_the_charts_use_the_shipped_family():
    assert CONFIG["server"]["enableStaticServing"] is True
    families = {face["family"] for face in FACES}
    assert len(families) == 1
    family = f'"{families.pop()}"'
    assert family in CONFIG["theme"]["font"]
    assert family in CHART_FONT
    assert {face["weight"] for face in FACES} == {"400", "700"}  # no faux bold in titles


def test_the_subset_is_small_and_licensed():
    """Sent to every browser that shows Chinese: a few hundred kilobytes, not the 19 MB source.
    The OFL asks for its text next to the font."""
    assert sum((ROOT / "static" / face["url"].removeprefix("app/static/")).stat().st_size
               for face in FACES) < 512 * 1024
    licence = (ROOT / "static" / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Adobe" in licence  # the font's own copyright notice
