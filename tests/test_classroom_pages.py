"""The class on the page (ui/follow.py) through AppTest, against a real redis-server: a student
opens the teacher's view of any lesson from its link alone (no lesson's controls known here);
a lost store costs following, never the student's own view, and the page says so and
reconnects; a wrong secret gets a plain message and leads nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from classroom import plans
from classroom import store as stores
from classroom.serve import RedisServer
from classroom.store import RedisStore
from core import text
from harness.system import need_installed
from lessons import LESSONS

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def redis_server():
    need_installed("redis-server")
    with RedisServer() as server:
        yield server


@pytest.fixture
def store(redis_server, monkeypatch):
    """The app's store for this test: a class in a real Redis."""
    found = RedisStore(redis_server.url)
    monkeypatch.setattr(stores, "_shared", found)
    found.start_class()
    return found


def message(key: str) -> str:
    return text.lookup("en", key)


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_student_opens_the_teachers_view_of_any_lesson(store, lesson):
    """The view is the teacher's page and link: a shipped plan's last step of each lesson."""
    view = plans.shipped()[lesson].steps[-1].view
    store.publish(view)
    at = AppTest.from_file(APP, default_timeout=60).run()  # a student opens the address
    assert not at.exception, [e.value for e in at.exception]
    for param, value in view.params.items():
        held = at.session_state[param]
        assert str(held).lower() == value.lower() or float(held) == float(value), param
    assert message("class.following") in [c.value for c in at.caption]


def test_a_lost_store_costs_following_never_the_students_view(store, redis_server):
    view = plans.shipped()["explosion"].steps[1].view  # std = 1/16
    (param, value), = view.params.items()
    store.publish(view)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.session_state[param] == pytest.approx(float(value))
    redis_server.stop()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert message("class.store_down") in [w.value for w in at.warning]
    assert at.session_state[param] == pytest.approx(float(value))  # their view, kept
    again = RedisServer(redis_server.port)  # the store is back (empty: a new class)
    try:
        RedisStore(again.url).start_class()
        at.run()
        assert message("class.store_down") not in [w.value for w in at.warning]
        assert message("class.following") in [c.value for c in at.caption]
    finally:
        again.stop()


def test_a_wrong_secret_gets_a_plain_message_and_leads_nothing(store):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["teacher"] = "guessed"
    at.run()
    assert message("class.refused") in [e.value for e in at.error]
    assert "teacher" not in at.query_params
    assert not [b for b in at.button if b.key in ("class_plan_next", "class_end")]
