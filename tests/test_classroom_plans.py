"""Lesson plans (classroom.plans): every view of every shipped plan opens with no exception and no
link parameter ignored; a plan survives its file and its link; a file or link that is not a plan
gets a message naming the plan, never a traceback."""

from __future__ import annotations

import base64
import json
import os
import zlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from classroom import plans
from classroom.plans import Plan, Step
from classroom.store import View
from core import text
from core.errors import InputError
from lessons import LESSONS

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SHIPPED = [(name, number, step) for name, plan in plans.shipped().items()
           for number, step in enumerate(plan.steps, start=1)]


def test_every_lesson_ships_a_plan():
    assert list(plans.shipped()) == list(LESSONS)
    assert all(len(plan.steps) >= 4 and plan.title for plan in plans.shipped().values())
    assert all(step.note for _, _, step in SHIPPED)


@pytest.mark.parametrize(("lesson", "number", "step"), SHIPPED,
                         ids=[f"{name}-{number}" for name, number, _ in SHIPPED])
def test_every_shipped_view_opens_and_uses_its_whole_link(lesson, number, step):
    at = AppTest.from_file(APP, default_timeout=30)
    for param, value in step.view.params.items():
        at.query_params[param] = value
    at.switch_page(f"lessons/{lesson}.py").run()
    assert step.view.page == lesson
    assert not at.exception, [e.value for e in at.exception]
    ignored = text.lookup("en", "notice.url_ignored", param="", value="").split("“")[0]
    assert not [w.value for w in at.warning if ignored.strip() in w.value]
    for param, value in step.view.params.items():  # each control holds the link's value
        held = at.session_state.get(param, None)
        assert held is not None and str(held).lower() == value.lower() or \
            _same_number(held, value), (param, value, held)


def _same_number(held, value: str) -> bool:
    try:
        return float(held) == float(value)
    except (TypeError, ValueError):
        return False


def test_a_plan_survives_its_file_and_its_link():
    plan = Plan("Mine: 中文 too", (Step(plans.view_of_link("/explosion?explosion_init_std=0.0625"),
                                         "σ = 1/16"), Step(View("init"), "")))
    assert plans.from_json(plans.to_json(plan)) == plan
    assert plans.from_param(plans.to_param(plan)) == plan
    for shipped in plans.shipped().values():
        assert plans.from_param(plans.to_param(shipped)) == shipped
        assert len(plans.to_param(shipped)) < 4000  # a link, not a file


def test_steps_move_and_get_notes_inside_the_plan():
    a, b, c = (Step(View(page)) for page in ("explosion", "init", "loss"))
    plan = Plan("", (a, b, c))
    assert plan.moved(2, -1).steps == (a, c, b)
    assert plan.moved(0, -1).steps == (a, b, c)  # the first cannot go higher
    assert plan.moved(2, +1).steps == (a, b, c)
    assert plan.without(1).steps == (a, c)
    assert plan.noted(0, "x" * 10_000).steps[0].note == "x" * plans.MAX_NOTE
    assert plan.added(a).steps == (a, b, c, a)


def test_a_link_from_another_address_or_an_old_name_opens_the_same_view(monkeypatch):
    assert plans.view_of_link("http://192.0.2.7:8501/loss?loss_preset=MSELoss") == \
        View.of("loss", {"loss_preset": "MSELoss"})
    monkeypatch.setitem(plans.RENAMED_PARAMS, "old_name", "new_name")
    assert plans.view_of_link("/explosion?old_name=1&kept=5") == \
        View.of("explosion", {"new_name": "1", "kept": "5"})
    # a link holding both names keeps the new one's value, as the app reads such a link
    assert plans.view_of_link("/explosion?old_name=1&new_name=2").params == {"new_name": "2"}


@pytest.mark.parametrize(("given", "key"), [
    (os.urandom(300), "error.plan.not_json"),
    (b"\xff\xfe not text", "error.plan.not_json"),
    ("[1, 2, 3]", "error.plan.not_a_plan"),
    ('{"steps": "nope"}', "error.plan.not_a_plan"),
    ('{"steps": [{"note": "no link"}]}', "error.plan.bad_step"),
    ('{"steps": [{"link": "/explosion"}, {"link": "/admin?x=1"}]}', "error.plan.bad_page"),
    (json.dumps({"steps": [{"link": "/"}] * (plans.MAX_STEPS + 1)}), "error.plan.too_many"),
    ("x" * (plans.MAX_BYTES + 1), "error.plan.too_large"),
])
def test_a_file_that_is_not_a_plan_gets_a_message_naming_it(given, key):
    with pytest.raises(InputError) as raised:
        plans.from_json(given)
    assert raised.value.key == key and str(raised.value).startswith("plan:")


def test_a_link_that_is_not_a_plan_gets_a_message_and_never_inflates_past_the_bound():
    for bad in ("%%%", "abc", base64.urlsafe_b64encode(b"not zlib").decode()):
        with pytest.raises(InputError):
            plans.from_param(bad)
    bomb = base64.urlsafe_b64encode(zlib.compress(b" " * 50_000_000, 9)).decode()
    assert len(bomb) < 100_000
    with pytest.raises(InputError) as raised:
        plans.from_param(bomb)
    assert raised.value.key == "error.plan.too_large"
