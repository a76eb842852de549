"""The pages app.py registers (home, then lessons.LESSONS): the list the page-generic tests
(tests/pages/test_fuzz.py, tests/core/test_isolation.py, tests/test_config.py) and benchmarks
(bench/) iterate, so a lesson added to LESSONS is covered with no change anywhere else."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from lessons import LESSONS, script

ROOT = Path(__file__).resolve().parents[1]


class AppPage(NamedTuple):
    script: str  # path from the repository root, e.g. "lessons/explosion.py"
    url_path: str  # "" for the default page (home)


def app_pages() -> list[AppPage]:
    """Home, then every lesson, in the navigation's order."""
    return [AppPage(script("home"), ""), *(AppPage(script(name), name) for name in LESSONS)]
