"""Cut the font the app ships for Chinese: Noto Sans CJK SC, reduced to the characters the
interface uses, as static/cjk-subset-{regular,bold}.woff2, with its licence as static/OFL.txt.

A machine without CJK fonts (a fresh Debian, a lab PC, a projector's computer) draws every Chinese
character as an empty box; .streamlit/config.toml serves these files ([[theme.fontFaces]]) and
ui/charts.py names the same family in the charts. Run it again whenever the texts change:
tests/test_font.py fails while a character of locales/*.toml is missing from the subset.

    pip install -r requirements-dev.txt            # fontTools and brotli (woff2)
    apt-get install -y fonts-noto-cjk              # the source font, needed only here
    python -m tools.build_font [--prefix DIR]      # the package unpacked under DIR instead of /
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"
# Where Debian's fonts-noto-cjk puts the OpenType collections (one file holds JP, KR, SC, TC and
# HK) and the licence, under a prefix: "/" once installed, or wherever `apt-get download
# fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb DIR` unpacked it.
SOURCE = "usr/share/fonts/opentype/noto/NotoSansCJK-{style}.ttc"
DEBIAN_COPYRIGHT = "usr/share/doc/fonts-noto-cjk/copyright"
FACE = "Noto Sans CJK SC"  # the face of the collection that draws Simplified Chinese
FAMILY = "Noto Sans SC Subset"  # the name the app's CSS and charts use (config.toml, ui/charts.py)
WEIGHTS = {"regular": "Regular", "bold": "Bold"}  # file suffix -> the collection's weight
# Beyond the texts' own characters: ASCII and Latin-1, general punctuation, CJK and full-width
# punctuation, so a digit or a bracket next to Chinese is drawn by the same font.
EXTRA_RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203A),
                (0x3000, 0x3011), (0xFF01, 0xFF5E)]


def text_sources() -> list[Path]:
    """Every file whose characters the interface shows: the locale files, and app.py (its
    language selector's label is in both languages)."""
    return [*sorted((ROOT / "locales").glob("*.toml")), ROOT / "app.py"]


def used_characters() -> set[str]:
    """Every non-ASCII character the interface can show, plus the fixed ranges above."""
    chars = {c for path in text_sources() for c in path.read_text(encoding="utf-8")
             if ord(c) > 0x7E}
    return chars | {chr(code) for low, high in EXTRA_RANGES for code in range(low, high + 1)}


def subset_path(weight: str) -> Path:
    return STATIC / f"cjk-subset-{weight}.woff2"


def build(prefix: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    text = "".join(sorted(used_characters()))
    for weight, style in WEIGHTS.items():
        source = prefix / SOURCE.format(style=style)
        faces = TTCollection(str(source))
        options = subset.Options()
        options.flavor = "woff2"
        options.font_number = next(i for i, face in enumerate(faces)
                                   if face["name"].getDebugName(1) == FACE)
        copyright_notice = faces[options.font_number]["name"].getDebugName(0)
        options.hinting = False  # browsers draw CFF outlines unhinted here anyway; smaller files
        options.desubroutinize = True  # woff2's compressor does better on plain charstrings
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        subset.save_font(font, str(subset_path(weight)), options)
        print(f"{subset_path(weight).relative_to(ROOT)}: {len(text)} characters, "
              f"{subset_path(weight).stat().st_size / 1024:.0f} KiB")
    licence_text = licence(copyright_notice, (prefix / DEBIAN_COPYRIGHT).read_text("utf-8"))
    (STATIC / "OFL.txt").write_text(licence_text, encoding="utf-8")


def licence(copyright_notice: str, copyright_text: str) -> str:
    """The OFL 1.1 text as Debian's copyright file gives it for this font, headed by the font's
    own copyright notice."""
    # the stand-alone paragraph: "License: SIL-1.1", then its text indented by one space
    body = re.search(r"^License: SIL-1\.1\n((?: .*\n)+)", copyright_text, re.MULTILINE).group(1)
    text = "\n".join("" if line == " ." else line[1:] for line in body.splitlines()).strip()
    return (f"{FAMILY}: a subset of {FACE} (Noto CJK, https://github.com/notofonts/noto-cjk),\n"
            f"cut by tools/build_font.py to the characters this app's texts use.\n\n"
            f"{copyright_notice}\n\n{text}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", type=Path, default=Path("/"),
                        help="where fonts-noto-cjk is installed or unpacked: reads "
                             f"PREFIX/{SOURCE} and PREFIX/{DEBIAN_COPYRIGHT}")
    build(parser.parse_args().prefix)


if __name__ == "__main__":
    main()
