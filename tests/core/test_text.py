"""Every string exists in every language, and every key the code asks for exists."""

import re
from pathlib import Path

from core import text

ROOT = Path(__file__).resolve().parents[2]


def test_every_language_has_the_same_keys():
    english = set(text.strings("en"))
    for lang in text.LANGUAGES:
        assert set(text.strings(lang)) == english, lang


def test_every_language_has_the_same_files():
    """A lesson's texts are one file per language, of the same name."""
    files = {lang: sorted(p.name for p in (text.LOCALES / lang).glob("*.toml"))
             for lang in text.LANGUAGES}
    assert "app.toml" in files["en"]
    assert all(names == files["en"] for names in files.values()), files


def test_every_literal_key_used_in_the_code_exists():
    used = set()
    for path in [*ROOT.glob("*.py"), *ROOT.rglob("lessons/*.py"), *ROOT.rglob("ui/*.py"),
                 *ROOT.rglob("core/**/*.py")]:
        source = path.read_text()
        used |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_0-9.]+)"', source))
        used |= set(re.findall(r'(?:InputError|Notice)\(\s*"([a-z_]+\.[a-z_0-9.]+)"', source))
    assert used, "the scan found no keys: the pattern is wrong"
    missing = sorted(used - set(text.strings("en")))
    assert not missing


def test_placeholders_match_across_languages():
    english = text.strings("en")
    for lang in text.LANGUAGES:
        for key, template in text.strings(lang).items():
            assert set(re.findall(r"{(\w+)", template)) == set(
                re.findall(r"{(\w+)", english[key])), (lang, key)


def test_chinese_uses_the_course_terms():
    zh = text.strings("zh")
    assert "梯度消失与爆炸" in zh["nav.explosion"]
