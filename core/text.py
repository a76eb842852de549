"""Every user-visible string, one TOML file per language in locales/ (English first)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = {"en": "English", "zh": "简体中文"}


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, key + "."))
        else:
            flat[key] = value
    return flat


@cache
def strings(lang: str) -> dict[str, str]:
    """All strings of one language, keyed by dotted name (`explosion.title`)."""
    with open(LOCALES / f"{lang}.toml", "rb") as handle:
        return _flatten(tomllib.load(handle))


# Keys asked for that neither language has: the page tests fail on any (tests/pages/conftest.py),
# so a text missing from a view no test looks at by eye is still caught when any test draws it.
MISSING: set[str] = set()


def lookup(lang: str, key: str, **params: object) -> str:
    """The string for key in lang, formatted with params. An unknown language falls back to
    English; an unknown key shows itself (so a missing string is visible) and is recorded."""
    table = strings(lang if lang in LANGUAGES else "en")
    if key not in table:
        MISSING.add(key)
    template = table.get(key, key)
    return template.format(**params) if params else template
