"""One direction of dependency, app -> lessons -> ui -> core: core never imports streamlit, ui/ or
lessons/ (nor app.py), not even inside a function, and importing all of core loads none of them."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from harness.pages import ROOT

CORE = sorted((ROOT / "core").rglob("*.py"))
ABOVE_CORE = ("streamlit", "ui", "lessons", "app")


def imported(path) -> list[tuple[int, str]]:
    """Every module path's source imports, wherever the import statement stands, by line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def above_core(path) -> list[tuple[int, str]]:
    return [(line, name) for line, name in imported(path)
            if name.split(".")[0] in ABOVE_CORE]


@pytest.mark.parametrize("path", CORE, ids=[str(p.relative_to(ROOT)) for p in CORE])
def test_core_imports_nothing_above_it(path):
    assert above_core(path) == []


def test_the_scan_finds_an_import_inside_a_function(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\n\ndef f():\n    import streamlit as st\n"
                   "    from ui.text import t\n    from lessons import LESSONS\n"
                   "from core import text\n")
    assert above_core(bad) == [(4, "streamlit"), (5, "ui.text"), (6, "lessons")]


def test_importing_every_core_module_loads_nothing_above_core():
    """Also what core's own imports bring in (a module of a library that imports streamlit)."""
    modules = [".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
               for p in CORE]
    probe = ("import importlib, sys\n"
             f"for name in {modules!r}:\n    importlib.import_module(name)\n"
             f"print(sorted(m for m in sys.modules if m.split('.')[0] in {ABOVE_CORE!r}))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    assert loaded == "[]"
