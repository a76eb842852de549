"""The pages app.py registers, read from its source: the one list the page-generic tests
(tests/pages/test_fuzz.py, tests/core/test_isolation.py) and benchmarks (bench/) iterate, so a
page registered there is covered with no change anywhere else."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]


class AppPage(NamedTuple):
    script: str  # path from the repository root, e.g. "lessons/explosion.py"
    url_path: str  # "" for the default page (home)


def app_pages() -> list[AppPage]:
    """Every st.Page(...) call in app.py, in its order."""
    pages = []
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page":
            keywords = {k.arg: k.value for k in node.keywords}
            url = keywords.get("url_path")
            pages.append(AppPage(ast.literal_eval(node.args[0]),
                                 ast.literal_eval(url) if url is not None else ""))
    return pages
