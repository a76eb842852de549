"""A class in real browsers: a teacher and three students, each in a browser context of its own
(own cookies, own session). The teacher changes a control, switches lesson, pins A and steps a
plan; every student's screen shows it (the time is printed); a student explores, sees the
banner and rejoins; a forged teacher link is refused. Nothing here knows a lesson's controls but
by their label on the page: a view is compared by its page and link."""

from __future__ import annotations

import time

import pytest

from harness.browser import Tab
from lessons import LESSONS
from ui.follow import PERSONAL

pytestmark = pytest.mark.e2e
FOLLOWED = 20_000  # ms: a generous bound for a busy CI machine; the time taken is printed


def view(tab: Tab) -> tuple[str, frozenset]:
    """The page's view as the class compares it: its path and link, personal settings left out."""
    return tab.page.evaluate(
        """personal => [location.pathname.replace(/^\\//, ''),
            [...new URLSearchParams(location.search)].filter(([k]) => !personal.includes(k))
            .map(([k, v]) => k + '=' + v).sort()]""", list(PERSONAL))


def all_follow(teacher: Tab, students: list[Tab], what: str) -> None:
    """Wait until every student shows the teacher's view; print how long each took."""
    wanted = view(teacher)
    start = time.monotonic()
    times = []
    for student in students:
        try:
            student.page.wait_for_function(
                """([page, params, personal]) => location.pathname.replace(/^\\//, '') === page
                   && JSON.stringify([...new URLSearchParams(location.search)]
                   .filter(([k]) => !personal.includes(k)).map(([k, v]) => k + '=' + v).sort())
                   === JSON.stringify(params)""",
                arg=[wanted[0], wanted[1], list(PERSONAL)], timeout=FOLLOWED)
        except Exception as error:  # say what each screen shows instead
            raise AssertionError(f"{what}: the teacher shows {wanted}, the students "
                                 f"{[view(s) for s in students]}") from error
        times.append(time.monotonic() - start)
    print(f"{what}: every student followed within {max(times) * 1000:.0f} ms")
    for student in students:
        student.wait()


@pytest.fixture(scope="module")
def tabs(browser, server):
    teacher = Tab(browser)
    teacher.open(f"{server.url}/{LESSONS[0]}")
    teacher.page.get_by_role("button", name="Start a class").click()
    teacher.wait()
    students = [Tab(browser).open(f"{server.url}/") for _ in range(3)]
    yield teacher, students
    for tab in (teacher, *students):
        tab.page.close()


def test_students_arrive_on_the_teachers_view(tabs):
    teacher, students = tabs
    all_follow(teacher, students, "arriving")
    assert all("Following the teacher." in s.main_text() for s in students)
    counts = teacher.page.locator("[data-testid='stSidebar']")
    counts.get_by_text("3 following · 0 exploring").wait_for(timeout=FOLLOWED)


def test_a_control_the_teacher_changes_changes_on_every_screen(tabs):
    teacher, students = tabs
    box = teacher.page.get_by_label("Depth (layers)", exact=True)
    box.fill("40")
    box.press("Enter")
    teacher.wait()
    all_follow(teacher, students, "a control")
    assert {s.page.get_by_label("Depth (layers)", exact=True).input_value()
            for s in students} == {"40"}


def test_the_teachers_next_lesson_and_pinned_view_reach_every_screen(tabs):
    teacher, students = tabs
    teacher.page.get_by_role("link", name="Weight initialisation").click()
    teacher.wait()
    all_follow(teacher, students, "another lesson")
    teacher.page.get_by_role("link", name="Exploding gradients").click()
    teacher.wait()
    teacher.page.get_by_role("button", name="Pin this view as A").click()
    teacher.wait()
    all_follow(teacher, students, "a pinned A")
    assert all(s.page.get_by_role("button", name="Unpin A").count() == 1 for s in students)
    teacher.page.get_by_role("button", name="Unpin A").click()
    teacher.wait()
    all_follow(teacher, students, "unpinned")


def test_stepping_the_plan_moves_the_class(tabs):
    teacher, students = tabs
    teacher.page.get_by_role("button", name="Load", exact=True).click()  # the first lesson's
    teacher.wait()
    for _ in range(2):
        teacher.page.keyboard.press("PageDown")
        teacher.wait()
    assert "Step 2 of" in teacher.page.inner_text("[data-testid='stSidebar']")
    all_follow(teacher, students, "a plan's step")
    teacher.screenshot("follow_teacher_plan")
    students[0].screenshot("follow_student")


def test_a_student_who_changes_something_explores_and_rejoins_in_one_click(tabs):
    teacher, students = tabs
    explorer = students[0]
    box = explorer.page.get_by_label("Seed of the network", exact=True)
    box.fill("11")
    box.press("Enter")
    explorer.expect_text("You are exploring on your own")
    explorer.screenshot("follow_exploring")
    teacher.page.get_by_role("button", name="std = 1").click()
    teacher.wait()
    all_follow(teacher, students[1:], "the others, while one explores")
    assert explorer.page.get_by_label("Seed of the network", exact=True).input_value() == "11"
    teacher.page.locator("[data-testid='stSidebar']").get_by_text(
        "2 following · 1 exploring").wait_for(timeout=FOLLOWED)
    explorer.page.get_by_role("button", name="Rejoin the teacher").click()
    all_follow(teacher, [explorer], "rejoined")
    assert "Following the teacher." in explorer.main_text()


def test_an_explorer_who_reloads_keeps_exploring_and_a_follower_keeps_following(tabs):
    teacher, students = tabs
    explorer, follower = students[0], students[1]
    box = explorer.page.get_by_label("Batch size", exact=True)
    box.fill("8")
    box.press("Enter")
    explorer.expect_text("You are exploring on your own")
    explorer.page.reload()
    explorer.wait()
    explorer.expect_text("You are exploring on your own")  # the browser's cookie says so
    assert explorer.page.get_by_label("Batch size", exact=True).input_value() == "8"
    follower.page.reload()
    follower.wait()
    all_follow(teacher, [follower], "a reloaded follower")
    explorer.page.get_by_role("button", name="Rejoin the teacher").click()
    all_follow(teacher, [explorer], "rejoined after a reload")
    teacher.page.locator("[data-testid='stSidebar']").get_by_text(
        "3 following · 0 exploring").wait_for(timeout=FOLLOWED)  # a reload is one student


def test_a_student_offline_for_a_while_finds_the_teachers_view_again(tabs):
    teacher, students = tabs
    away = students[2]
    away.page.context.set_offline(True)
    box = teacher.page.get_by_label("Seed of the network", exact=True)
    box.fill("5")
    box.press("Enter")
    teacher.wait()
    away.page.wait_for_timeout(5_000)  # the Wi-Fi is gone for these seconds, on purpose
    away.page.context.set_offline(False)
    all_follow(teacher, [away], "back online")


def test_a_forged_teacher_link_is_refused_and_leaves_no_secret_in_the_address(tabs, browser,
                                                                            server):
    teacher, students = tabs
    forger = Tab(browser).open(f"{server.url}/?teacher=not-the-secret")
    try:
        forger.page.get_by_text("This teacher link is not this class's").wait_for()
        assert "teacher=" not in forger.page.url
        assert forger.page.get_by_role("button", name="Next").count() == 0
        all_follow(teacher, [forger], "the forger, as a student")
        for tab in (teacher, *students):  # nobody's address bar shows the secret
            assert "teacher=" not in tab.page.url
    finally:
        forger.page.close()
