"""Serving a class (python -m classroom): nginx in front of two app processes keeps a browser on
the process its session lives in (by the cookie set on the first response), spreads browsers
without the cookie over both, and carries a whole session over the proxied websocket."""

from __future__ import annotations

import os
import shutil
import urllib.request

import pytest

from classroom.serve import COOKIE, Classroom
from harness.protocol import Session, run_sync
from harness.server import free_port


@pytest.fixture(scope="module")
def room():
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is required in CI (apt-get install -y nginx)")
        pytest.skip("Debian's nginx is not installed (apt-get install -y nginx)")
    room = Classroom(2, free_port(), "--server.fileWatcherType", "none")
    yield room
    room.stop()


def get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie
                                     else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers


def test_a_browser_stays_on_its_process_and_new_browsers_spread(room):
    first = get(f"{room.url}/")
    cookie = first["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert len(cookie) == 32  # nginx's $request_id
    same = {get(f"{room.url}/_stcore/health", cookie)["X-Served-By"] for _ in range(10)}
    assert same == {first["X-Served-By"]}
    # without the cookie each request gets a random route: 30 all on one process has odds 2^-29
    spread = {get(f"{room.url}/_stcore/health")["X-Served-By"] for _ in range(30)}
    assert spread == {f"127.0.0.1:{app.port}" for app in room.apps}


def test_a_session_runs_a_lesson_through_the_proxy(room):
    async def visit():
        async with Session(room.url) as session:
            return await session.open("loss")

    run = run_sync(visit())
    assert run.status == "FINISHED_SUCCESSFULLY" and not run.exceptions
