"""The class's relay (classroom/relay.py): what it does for each session, decided from the class's
lead and the session's screen alone; then, on a real server over the wire protocol, what a push
does to a student's screen (every control the teacher's, one back at its default included, and
the link with them), a student's own move making them an explorer, and the end of the class
reaching every screen. The second part relies on Streamlit's runtime (history-navigation runs,
sessions woken from the server): it fails if a Streamlit upgrade changes them."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from classroom.relay import RETRY, Member, link_of, view_of
from classroom.store import NO_CLASS, Lead, View
from core import text
from harness.follow import keep_up
from harness.follow import view_of as screen_of
from harness.protocol import Session, run_sync
from harness.server import Server
from lessons import LESSONS

CLASS = "c1"
SEEN = View.of("explosion", {"a": "1"})
NEWER = View.of("explosion", {"a": "2"})


def lead(version: int, view: View | None = NEWER, class_id: str = CLASS) -> Lead:
    return Lead(version, view, None, -1, class_id=class_id)


def student(**fields) -> Member:
    """A following student who was shown version 1, SEEN (fields change that)."""
    return Member("browser", **({"role": "student", "class_id": CLASS, "shown": 1,
                                 "given": SEEN} | fields))


@pytest.mark.parametrize(("member", "the_lead", "screen", "action"), [
    (student(), lead(2), SEEN, "push"),  # the teacher moved
    (student(), lead(1, SEEN), SEEN, None),  # in step
    (student(), lead(1, SEEN), NEWER, "wake"),  # a move of the student's own: exploring
    (student(exploring=True), lead(2), NEWER, None),  # theirs to explore
    (student(arriving=(2, NEWER)), lead(2), SEEN, "push"),  # asked for long ago: again
    (student(), NO_CLASS, SEEN, "wake"),  # the class ended: their screen says so
    (student(), None, SEEN, "wake"),  # the store is lost: their screen says so
    (student(down=True), None, SEEN, None),  # said already
    (student(down=True), lead(1, SEEN), SEEN, "wake"),  # the store is back
    (Member("b"), lead(1), SEEN, "wake"),  # a class began: this session joins it
    (Member("b"), NO_CLASS, SEEN, None),
    (Member("b", role="teacher", published=SEEN), lead(1), NEWER, "publish"),
    (Member("b", role="teacher", published=SEEN), lead(1), SEEN, None),
    (Member("b", role="teacher", published=SEEN), None, NEWER, None),  # kept until it answers
])
def test_what_the_relay_does_for_a_session(member, the_lead, screen, action):
    assert member.due(the_lead, screen, now=100.0) == action


def test_a_session_asked_once_is_not_asked_again_before_its_run_can_come():
    waiting = student(arriving=(2, NEWER), woken=100.0)
    assert waiting.due(lead(2), SEEN, now=100.0 + RETRY / 2) is None
    assert waiting.due(lead(2), SEEN, now=100.0 + RETRY) == "push"  # its run never came
    ended = student(woken=100.0)
    assert ended.due(NO_CLASS, SEEN, now=100.0 + RETRY / 2) is None
    # a push that has arrived does not hold back the next one
    arrived = student(shown=2, given=NEWER, woken=100.0)
    assert arrived.due(lead(3, SEEN), NEWER, now=100.1) == "push"


def test_only_a_move_of_the_students_own_makes_them_explore():
    member = student()
    assert member.due(lead(1, SEEN), NEWER, now=100.0) == "wake" and member.exploring
    member = student(arriving=(2, NEWER))
    member.arrived(NEWER, asked=True)  # the run asked for drew the teacher's view
    assert (member.shown, member.given, member.exploring) == (2, NEWER, False)
    assert member.arriving is None
    member = student(arriving=(2, NEWER))
    member.arrived(SEEN, asked=False)  # the student's own click ran first
    assert member.exploring and member.arriving is None


def test_a_view_is_the_page_and_link_less_what_is_a_persons_own():
    params = {"ex_std": "1", "lang": "zh", "present": "true", "teacher": "s3cret", "plan": "x"}
    assert view_of("explosion", params) == View.of("explosion", {"ex_std": "1"})
    assert dict(p.split("=") for p in link_of(View.of("init", {"d": "5"}),
                                               {"lang": "zh"}).split("&")) == {"d": "5",
                                                                                "lang": "zh"}


# On a real server: a teacher and two students over the wire protocol.

def said(key: str) -> str:
    return text.lookup("en", key)


@pytest.fixture(scope="module")
def server():
    server = Server("--server.fileWatcherType", "none")
    yield server
    server.stop()


async def until(condition, sessions, seconds: float = 30) -> float:
    """Keep every session's screen up to date until condition() holds; the seconds it took."""
    start = time.monotonic()
    deadline = start + seconds
    while not condition():
        assert time.monotonic() < deadline, [(s.page, s.query, s.texts) for s in sessions]
        await asyncio.gather(*(keep_up(s, time.monotonic() + 0.2, lambda *_: None)
                               for s in sessions))
    return time.monotonic() - start


def test_a_push_shows_every_control_of_the_teachers_view_and_its_link(server):
    async def lesson():
        async with Session(server.url) as teacher, Session(server.url) as one, \
                Session(server.url) as two:
            await teacher.open(LESSONS[0])
            await teacher.click("class_start")
            for student_ in (one, two):
                await student_.open("")
            everyone = (teacher, one, two)
            await until(lambda: screen_of(one) == screen_of(two) == screen_of(teacher), everyone)
            control = teacher.first_control()
            default = control.value
            for value in (control.nudged(random.Random(3)), default):  # there and back
                await teacher.move(control, value)
                await until(lambda: screen_of(one) == screen_of(two) == screen_of(teacher),
                            everyone)
                for student_ in (one, two):  # the browser is sent the value, not only the link
                    shown = student_.widgets[control.id]
                    assert shown.value == value and shown.proto.set_value
                    assert said("class.following") in student_.texts
            own = one.first_control()
            await one.move(own, own.nudged(random.Random(4)))
            await until(lambda: said("class.exploring") in one.texts, everyone)
            await teacher.click("class_end")
            waited = await until(lambda: all(said("class.ended") in s.texts for s in (one, two)),
                                 everyone)
            assert "class_rejoin" not in one.buttons
            return waited

    waited = run_sync(lesson())
    print(f"the end of the class reached the students within {waited * 1000:.0f} ms")
