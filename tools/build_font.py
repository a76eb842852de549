"""Cut the fonts the app ships for what Streamlit's own Source Sans cannot draw, reduced to the
characters the interface uses, with their licence as static/OFL.txt:

- Chinese: Noto Sans CJK SC, as static/cjk-subset-{regular,bold}.woff2 ("Noto Sans SC Subset");
- the few other characters Source Sans lacks (the optimiser's formulas' subscript letters, such
  as the t of mₜ): Noto Sans, as static/latin-subset-{regular,bold}.woff2 ("Noto Sans
  Subset").

A machine without such fonts (a fresh Debian, a lab PC, a projector's computer) draws each of
those characters as an empty box; .streamlit/config.toml serves these files ([[theme.fontFaces]])
and ui/charts.py names the same families in the charts. Run it again whenever the texts change:
tests/test_font.py fails while a character the texts use is drawn by none of the fonts.

    pip install -r requirements-dev.txt                    # fontTools and brotli (woff2)
    apt-get install -y fonts-noto-cjk fonts-noto-core      # the source fonts, needed only here
    python -m tools.build_font [--prefix DIR]              # the packages unpacked under DIR
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import streamlit

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"
SOURCE_SANS = next((Path(streamlit.__file__).parent / "static" / "static" / "media").glob(
    "SourceSansVF-Upright*.woff2"))  # the font Streamlit draws the interface with
WEIGHTS = {"regular": "Regular", "bold": "Bold"}  # file suffix -> the source's weight
# Beyond the texts' own characters, for the Chinese font: ASCII and Latin-1, general punctuation,
# CJK and full-width punctuation, so a digit or a bracket next to Chinese is drawn by the same font.
EXTRA_RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203A),
                (0x3000, 0x3011), (0xFF01, 0xFF5E)]


@dataclass(frozen=True)
class Cut:
    """One shipped family: where Debian puts its source (under a prefix: "/" once installed, or
    wherever `apt-get download PACKAGE && dpkg-deb -x PACKAGE_*.deb DIR` unpacked it), the face
    to take from a collection, and its files' prefix in static/."""

    family: str  # the name the app's CSS and charts use (config.toml, ui/charts.py)
    source: str
    copyright: str
    files: str
    face: str | None = None  # in a collection (one .ttc holds JP, KR, SC, TC and HK)


CJK = Cut("Noto Sans SC Subset", "usr/share/fonts/opentype/noto/NotoSansCJK-{style}.ttc",
          "usr/share/doc/fonts-noto-cjk/copyright", "cjk-subset", face="Noto Sans CJK SC")
LATIN = Cut("Noto Sans Subset", "usr/share/fonts/truetype/noto/NotoSans-{style}.ttf",
            "usr/share/doc/fonts-noto-core/copyright", "latin-subset")


def text_sources() -> list[Path]:
    """Every file whose characters the interface shows: the locale files, app.py (its language
    selector's label is in both languages) and core/ (formulas, such as the optimisers')."""
    return [*sorted((ROOT / "locales").rglob("*.toml")), ROOT / "app.py",
            *sorted((ROOT / "core").rglob("*.py"))]


def needs_a_cjk_font(char: str) -> bool:
    """Characters the Chinese font must draw: Chinese characters and full-width punctuation (East
    Asian width W or F), emoji aside."""
    return unicodedata.east_asian_width(char) in ("W", "F") and \
        unicodedata.category(char) != "So"


def drawn_by(font_path: Path) -> set[str]:
    from fontTools.ttLib import TTFont

    return {chr(code) for code in TTFont(font_path).getBestCmap()}


def used_characters() -> set[str]:
    """Every non-ASCII character the texts use, emoji aside (the page icon is the browser's)."""
    return {c for path in text_sources() for c in path.read_text(encoding="utf-8")
            if ord(c) > 0x7E and unicodedata.category(c) != "So"}


def characters(cut: Cut) -> set[str]:
    used = used_characters()
    if cut is CJK:
        return used | {chr(code) for low, high in EXTRA_RANGES for code in range(low, high + 1)}
    return {c for c in used if not needs_a_cjk_font(c)} - drawn_by(SOURCE_SANS)


def subset_path(cut: Cut, weight: str) -> Path:
    return STATIC / f"{cut.files}-{weight}.woff2"


def build(cut: Cut, prefix: Path) -> str:
    """Write the cut's two files; return its copyright notice."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    text = "".join(sorted(characters(cut)))
    for weight, style in WEIGHTS.items():
        source = prefix / cut.source.format(style=style)
        options = subset.Options()
        options.flavor = "woff2"
        if cut.face is not None:
            faces = TTCollection(str(source))
            options.font_number = next(i for i, face in enumerate(faces)
                                       if face["name"].getDebugName(1) == cut.face)
        options.hinting = False  # browsers draw these outlines unhinted here anyway; smaller
        options.desubroutinize = True  # woff2's compressor does better on plain charstrings
        font = subset.load_font(str(source), options)
        notice = font["name"].getDebugName(0)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        subset.save_font(font, str(subset_path(cut, weight)), options)
        print(f"{subset_path(cut, weight).relative_to(ROOT)}: {len(text)} characters, "
              f"{subset_path(cut, weight).stat().st_size / 1024:.0f} KiB")
    return notice


def licence(notices: dict[Cut, str], copyright_text: str) -> str:
    """The OFL 1.1 text as Debian's copyright file gives it for Noto CJK, headed by each shipped
    family's source and copyright notice (both are under the OFL 1.1)."""
    # the stand-alone paragraph: "License: SIL-1.1", then its text indented by one space
    body = re.search(r"^License: SIL-1\.1\n((?: .*\n)+)", copyright_text, re.MULTILINE).group(1)
    text = "\n".join("" if line == " ." else line[1:] for line in body.splitlines()).strip()
    heads = [f"{cut.family}: a subset of {cut.face or 'Noto Sans'} "
             f"(Noto, https://github.com/notofonts),\ncut by tools/build_font.py to the characters "
             f"this app's texts use.\n\n{notice}" for cut, notice in notices.items()]
    return "\n\n".join(heads) + f"\n\n{text}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", type=Path, default=Path("/"),
                        help="where fonts-noto-cjk and fonts-noto-core are installed or "
                             f"unpacked: reads PREFIX/{CJK.source} and PREFIX/{LATIN.source}")
    prefix = parser.parse_args().prefix
    notices = {cut: build(cut, prefix) for cut in (CJK, LATIN)}
    copyright_text = (prefix / CJK.copyright).read_text("utf-8")
    (STATIC / "OFL.txt").write_text(licence(notices, copyright_text), encoding="utf-8")


if __name__ == "__main__":
    main()
