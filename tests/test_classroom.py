"""Serving a class (python -m classroom): nginx listens on every interface and the app processes
only on loopback; nginx keeps a browser on the process its session lives in (by the cookie set on
the first response), spreads browsers without the cookie over both, and carries a whole session
over the proxied websocket; students on either process follow a teacher on either, through the
class's Redis."""

from __future__ import annotations

import asyncio
import random
import socket
import time
import urllib.request

import pytest

from classroom.serve import COOKIE, Classroom
from classroom.store import RedisStore
from harness.follow import keep_up, view_of
from harness.protocol import Session, run_sync
from harness.server import free_port
from harness.system import need_installed


@pytest.fixture(scope="module")
def room():
    need_installed("nginx")
    need_installed("redis-server")
    room = Classroom(2, free_port(), "--server.fileWatcherType", "none")
    yield room
    room.stop()


def get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie
                                     else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers


def answers(host: str, port: int) -> bool:
    """Whether anything accepts a connection at host:port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.settimeout(2)
        return sock.connect_ex((host, port)) == 0


def test_the_class_port_answers_on_every_interface_and_the_app_only_on_loopback(room):
    # 127.0.0.2 is another address of this machine: a listener on 127.0.0.1 alone refuses it
    assert answers("127.0.0.2", room.port) and answers("::1", room.port)
    assert "X-Served-By" in get(f"http://127.0.0.2:{room.port}/_stcore/health")
    for app in room.apps:
        assert answers("127.0.0.1", app.port)
        assert not answers("127.0.0.2", app.port) and not answers("::1", app.port)


def test_a_browser_stays_on_its_process_and_new_browsers_spread(room):
    first = get(f"{room.url}/")
    cookie = first["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert len(cookie) == 32  # nginx's $request_id
    same = {get(f"{room.url}/_stcore/health", cookie)["X-Served-By"] for _ in range(10)}
    assert same == {first["X-Served-By"]}
    # without the cookie each request gets a random route: 30 all on one process has odds 2^-29
    spread = {get(f"{room.url}/_stcore/health")["X-Served-By"] for _ in range(30)}
    assert spread == {f"127.0.0.1:{app.port}" for app in room.apps}


def test_the_teacher_link_leaves_its_secret_in_an_httponly_cookie_only(room):
    """A reload of the teacher's browser still leads: the secret rides in a cookie no script can
    read; a link without it sets none."""
    cookies = get(f"{room.url}/explosion?teacher=s3cret-Token_1").get_all("Set-Cookie")
    teacher = [c for c in cookies if c.startswith("explorer_teacher=")]
    assert teacher and teacher[0].startswith("explorer_teacher=s3cret-Token_1;")
    assert "HttpOnly" in teacher[0] and "SameSite=Strict" in teacher[0]
    plain = get(f"{room.url}/explosion?ex_std=1").get_all("Set-Cookie")
    assert not [c for c in plain if c.startswith("explorer_teacher=")]


def test_a_session_runs_a_lesson_through_the_proxy(room):
    async def visit():
        async with Session(room.url) as session:
            return await session.open("loss")

    run = run_sync(visit())
    assert run.status == "FINISHED_SUCCESSFULLY" and not run.exceptions


def test_students_on_both_processes_follow_a_teacher_on_one(room):
    """Each process reads the class from the room's Redis: a teacher on the first process
    leads students on both."""
    secret = RedisStore(room.redis_url).start_class()
    first, second = (app.url for app in room.apps)

    async def lesson() -> list[float]:
        async with Session(first) as teacher:
            await teacher.open("explosion", query=f"teacher={secret}")
            assert "teacher=" not in teacher.query  # out of the address bar at once
            students = [Session(url) for url in (first, second, second)]
            for student in students:
                await student.__aenter__()
                await student.open("")
            until = time.monotonic() + 20
            timers = [asyncio.create_task(keep_up(s, until, lambda *_: None))
                      for s in (teacher, *students)]
            waited = []
            for _ in range(2):
                control = teacher.first_control()
                await teacher.move(control, control.nudged(random.Random(1)))
                wanted, start = view_of(teacher), time.monotonic()
                while any(view_of(s) != wanted for s in students) and time.monotonic() < until:
                    await asyncio.sleep(0.02)
                waited.append(time.monotonic() - start)
                assert [view_of(s) for s in students] == [wanted] * 3
            for task in timers:
                task.cancel()
            for student in students:
                await student.__aexit__(None, None, None)
            return waited

    waited = run_sync(lesson())
    print(f"students on both processes followed within {max(waited) * 1000:.0f} ms")
