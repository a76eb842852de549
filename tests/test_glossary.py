"""The Chinese glossary (locales/glossary.zh.toml): one term per concept. A Chinese text that
uses a variant of a term fails here, with the file, the key and the words around it."""

from __future__ import annotations

import re
import tomllib

import pytest

from core.text import LOCALES, _flatten

GLOSSARY = tomllib.loads((LOCALES / "glossary.zh.toml").read_text(encoding="utf-8"))


def chinese_texts() -> dict[tuple[str, str], str]:
    """Every Chinese string, keyed by (file's stem, key)."""
    texts = {}
    for path in sorted((LOCALES / "zh").glob("*.toml")):
        for key, value in _flatten(tomllib.loads(path.read_text(encoding="utf-8"))).items():
            texts[path.stem, key] = value
    return texts


def variants_used(entry: dict, texts: dict[tuple[str, str], str]) -> list[str]:
    found = []
    for (stem, key), text in texts.items():
        if stem in entry.get("allowed_in", []):
            continue
        for variant in entry["variants"]:
            for match in re.finditer(variant, text):
                around = text[max(0, match.start() - 12):match.end() + 12]
                found.append(f"{stem}.toml {key}: …{around}…")
    return found


TEXTS = chinese_texts()


@pytest.mark.parametrize("concept", list(GLOSSARY))
def test_one_term_per_concept(concept):
    entry = GLOSSARY[concept]
    assert set(entry) <= {"concept", "term", "variants", "allowed_in", "why"}, entry
    assert variants_used(entry, TEXTS) == [], f"use {entry['term']} ({entry['why']})"


@pytest.mark.parametrize("concept", list(GLOSSARY))
def test_every_term_is_in_use(concept):
    """A term no text uses is a glossary entry that checks nothing."""
    assert any(GLOSSARY[concept]["term"] in text for text in TEXTS.values())


def test_a_variant_is_found_and_an_allowed_file_is_not_checked():
    entry = GLOSSARY["batch_size"]
    assert variants_used(entry, {("lab", "x"): "批量 32"}) == ["lab.toml x: …批量 32…"]
    assert variants_used(entry, {("lab", "x"): "小批量梯度与全批量梯度"}) == []
    weight = GLOSSARY["weight"]
    assert variants_used(weight, {("loss", "w"): "类别权重"}) == []
    assert len(variants_used(weight, {("init", "w"): "权重矩阵"})) == 1


def test_no_ascii_colon_after_chinese():
    """Chinese punctuation: a full-width colon after a Chinese word or a filled-in field."""
    ascii_colons = [f"{stem}.toml {key}" for (stem, key), text in TEXTS.items()
                    if re.search(r"[\u4e00-\u9fff）}]: ", text)]
    assert ascii_colons == []
