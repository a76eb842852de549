"""The Debian packages some tests drive (chromium, nginx, redis-server): where one is missing those
tests skip and say why, unless REQUIRE_SYSTEM_PACKAGES=1 (as .ci/run sets, having installed them),
where a missing one fails them."""

from __future__ import annotations

import os

REQUIRE = "REQUIRE_SYSTEM_PACKAGES"


def need(missing: str | None) -> None:
    """Skip the test (or, where the packages are required, fail it) when missing says why the
    package it drives is not here; nothing when missing is None."""
    import pytest

    if missing is None:
        return
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{REQUIRE}=1, but {missing}")
    pytest.skip(missing)


def need_installed(package: str) -> None:
    """need() for a Debian package's program of the same name (nginx, redis-server)."""
    from classroom.serve import installed

    need(None if installed(package) else
         f"Debian's {package} is not installed (apt-get install -y {package})")
