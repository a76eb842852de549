"""Lesson plans: an ordered list of views, each a link and the teacher's note, saved as a small
JSON file and carried in a link. The app ships one per lesson (plans/<lesson>.json) that walks the
course's demos in the lecture's order.

A plan from a file or a link is data only (parsed JSON, never executed), bounded in size, and
checked: every step a link to one of the app's pages. A link parameter renamed since the plan was
made is read as its new name (lessons.RENAMED_PARAMS), as the app reads an old link.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from classroom.store import View
from core.errors import InputError
from lessons import LESSONS, RENAMED_PARAMS

SHIPPED = Path(__file__).resolve().parents[1] / "plans"
MAX_BYTES = 64_000  # a plan file or link: far more than a lecture's plan needs
MAX_STEPS = 60
MAX_NOTE = 600  # characters of a teacher's note
FIELD = "plan"  # how an error names the plan


@dataclass(frozen=True)
class Step:
    view: View
    note: str = ""


@dataclass(frozen=True)
class Plan:
    title: str
    steps: tuple[Step, ...] = ()

    def added(self, step: Step) -> Plan:
        return Plan(self.title, self.steps + (step,))

    def moved(self, index: int, by: int) -> Plan:
        """The step at index moved by places (-1: up one), kept inside the plan."""
        steps = list(self.steps)
        to = min(max(index + by, 0), len(steps) - 1)
        steps.insert(to, steps.pop(index))
        return Plan(self.title, tuple(steps))

    def without(self, index: int) -> Plan:
        return Plan(self.title, self.steps[:index] + self.steps[index + 1:])

    def noted(self, index: int, note: str) -> Plan:
        steps = list(self.steps)
        steps[index] = Step(steps[index].view, note[:MAX_NOTE])
        return Plan(self.title, tuple(steps))


def to_json(plan: Plan) -> str:
    return json.dumps({"title": plan.title, "steps": [
        {"link": step.view.link, "note": step.note} for step in plan.steps]},
        ensure_ascii=False, indent=1)


def from_json(text: str | bytes) -> Plan:
    """A plan from its JSON; InputError (naming the plan, and the step) when it is not one."""
    if len(text) > MAX_BYTES:
        raise InputError("error.plan.too_large", field=FIELD, limit=MAX_BYTES)
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError("error.plan.not_json", field=FIELD) from error
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list) or not isinstance(data.get("title", ""), str):
        raise InputError("error.plan.not_a_plan", field=FIELD)
    if len(steps) > MAX_STEPS:
        raise InputError("error.plan.too_many", field=FIELD, limit=MAX_STEPS)
    return Plan(data.get("title", "")[:MAX_NOTE],
                tuple(_step(step, number) for number, step in enumerate(steps, start=1)))


def _step(step: object, number: int) -> Step:
    if not isinstance(step, dict) or not isinstance(step.get("link"), str) \
            or not isinstance(step.get("note", ""), str):
        raise InputError("error.plan.bad_step", field=FIELD, step=number)
    return Step(view_of_link(step["link"], number), step.get("note", "")[:MAX_NOTE])


def view_of_link(link: str, number: int = 1) -> View:
    """The view a link from the app's root opens ("/explosion?ex_std=1"; an address with a host
    is read by its path and query), renamed parameters read as their new names."""
    parts = urlsplit(link.strip())
    page = parts.path.strip("/")
    if page not in ("", *LESSONS):
        raise InputError("error.plan.bad_page", field=FIELD, step=number, page=page)
    params = View(page, parts.query).params
    for old, new in RENAMED_PARAMS.items():
        if old in params:
            value = params.pop(old)
            params.setdefault(new, value)
    return View.of(page, params)


def to_param(plan: Plan) -> str:
    """The plan as one link parameter: its JSON compressed, in URL-safe base64."""
    packed = zlib.compress(to_json(plan).encode(), 9)
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def from_param(text: str) -> Plan:
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        # bounded: never inflate more than MAX_BYTES (a small link must not become gigabytes)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error) as error:
        raise InputError("error.plan.bad_link", field=FIELD) from error
    return from_json(raw)


def shipped() -> dict[str, Plan]:
    """The plans that come with the app, by lesson, in the lessons' order."""
    return {name: from_json((SHIPPED / f"{name}.json").read_text())
            for name in LESSONS if (SHIPPED / f"{name}.json").exists()}
