"""The fonts the app ships (tools/build_font.py) draw every character of the texts that Streamlit's
own Source Sans cannot, and the app, its charts and its licence file all name them."""

from __future__ import annotations

import tomllib

import pytest

from harness.pages import ROOT
from tools.build_font import CJK, LATIN, SOURCE_SANS, drawn_by, needs_a_cjk_font, text_sources
from ui.charts import CHART_FONT

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
FACES = CONFIG["theme"]["fontFaces"]


def served(face: dict) -> set[str]:
    return drawn_by(ROOT / "static" / face["url"].removeprefix("app/static/"))


def faces_of(family: str) -> list[dict]:
    return [face for face in FACES if face["family"] == family]


def test_the_texts_hold_chinese_and_characters_source_sans_lacks():
    """Guards the tests below against passing on nothing."""
    chinese = "".join(path.read_text() for path in (ROOT / "locales" / "zh").glob("*.toml"))
    assert sum(needs_a_cjk_font(c) for c in chinese) > 1000
    assert "ₜ" in (ROOT / "core" / "optim" / "rules.py").read_text()  # mₜ, not in Source Sans
    assert "ₜ" not in drawn_by(SOURCE_SANS)


@pytest.mark.parametrize("weight", ["400", "700"])
def test_every_character_of_the_texts_is_drawn_by_a_font_the_app_has(weight):
    """A new string whose characters no font draws fails here: run python -m tools.build_font.
    Chinese must come from the Chinese subset (Source Sans would not draw it either)."""
    chinese, latin = (served(next(f for f in faces_of(cut.family) if f["weight"] == weight))
                      for cut in (CJK, LATIN))
    drawn = drawn_by(SOURCE_SANS) | latin
    for path in text_sources():
        text = {c for c in path.read_text(encoding="utf-8") if ord(c) > 0x7E}
        missing = sorted({c for c in text if needs_a_cjk_font(c)} - chinese
                         | {c for c in text if not needs_a_cjk_font(c)
                            and c not in drawn and c not in chinese and not c.isspace()
                            and c != "🔥"})  # app.py's page icon: the browser's emoji
        assert missing == [], f"{path.name}: {''.join(missing)} (python -m tools.build_font)"


def test_the_needed_characters_are_recognised():
    assert [needs_a_cjk_font(c) for c in "损，（）。a·é🔥"] == [True] * 5 + [False] * 4


def test_the_page_and_the_charts_use_the_shipped_families():
    assert CONFIG["server"]["enableStaticServing"] is True
    assert {face["family"] for face in FACES} == {CJK.family, LATIN.family}
    for cut in (CJK, LATIN):
        for setting in (CONFIG["theme"]["font"], CONFIG["theme"]["codeFont"], CHART_FONT):
            assert f'"{cut.family}"' in setting
        # no faux bold in titles
        assert {face["weight"] for face in faces_of(cut.family)} == {"400", "700"}


def test_the_subsets_are_small_and_licensed():
    """Sent to every browser: a few hundred kilobytes, not the 19 MB sources. The OFL asks for
    its text next to the fonts."""
    assert sum((ROOT / "static" / face["url"].removeprefix("app/static/")).stat().st_size
               for face in FACES) < 512 * 1024
    licence = (ROOT / "static" / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Adobe" in licence and "Google" in licence  # each font's own copyright notice
