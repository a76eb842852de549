"""Every user-visible string, in locales/<language>/: one TOML file for the app's shell and the
texts the lessons share (app.toml), and one per lesson (explosion.toml, ...), English first. A key
is the table and name (`explosion.title`); a key is in one file only (the loader checks)."""

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
    found: dict[str, str] = {}
    for path in sorted((LOCALES / lang).glob("*.toml")):
        with open(path, "rb") as handle:
            part = _flatten(tomllib.load(handle))
        twice = set(part) & set(found)
        if twice:
            raise ValueError(f"{path}: keys already in another file of {lang}: {sorted(twice)}")
        found.update(part)
    return found


# Keys asked for that neither language has: the page tests fail on any (tests/pages/conftest.py),
# so a text missing from a view no test looks at by eye is still caught when any test draws it.
MISSING: set[str] = set()


def exists(key: str) -> bool:
    """Whether the texts have key (in English, and so in every language: a test checks)."""
    return key in strings("en")


def lookup(lang: str, key: str, **params: object) -> str:
    """The string for key in lang, formatted with params. An unknown language falls back to
    English; an unknown key shows itself (so a missing string is visible) and is recorded."""
    table = strings(lang if lang in LANGUAGES else "en")
    if key not in table:
        MISSING.add(key)
    template = table.get(key, key)
    return template.format(**params) if params else template
