"""Pin a view and compare, on any lesson: Pin keeps the current view's Config as A; every change
after that is B, drawn against A. Swap, unpin, and where the view draws at random "A with another
seed" (the spread the draw alone makes). A is in the link (LESSON_pin), so a shared link opens
the comparison.

The lesson gives its validated Config and a restore(config) callback that sets its widgets to a
Config (the same one its "back to the course's example" button uses); results are the lesson's
own cached computations, so A costs nothing after it is pinned."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import streamlit as st

from core import compare
from core.errors import InputError
from ui import widgets
from ui.links import put_in_link
from ui.panels import shortcut_button
from ui.text import quoted, t

FROM_CONFIG = object()  # seed_field's default: where the Config keeps its seed (seed_path)


def pin_bar(lesson: str, config, restore: Callable[[object], None],
            seed_field: str | None = FROM_CONFIG, bar=None):
    """The pin buttons for this lesson's view; returns A (the pinned Config) or None.
    config is B, the view the controls show now (validated). "A with another seed" is offered
    where the Config has a seed: by default the one seed_path finds, else the field seed_field
    names (a dotted name reaches into a nested Config: "matrix.seed"; None: the view draws
    nothing at random, though its Config keeps a seed). bar: a horizontal container of the
    page's to put the buttons in (beside buttons of its own), else a row of their own. Pin and
    unpin answer the keyboard too (ui.panels.SHORTCUTS)."""
    pinned_key, param = f"{lesson}_pinned", f"{lesson}_pin"
    state = st.session_state
    if pinned_key not in state and param in st.query_params:  # a shared link with a pinned view
        try:
            state[pinned_key] = compare.decode(st.query_params[param], type(config), param)
        except InputError as error:
            st.warning(quoted(error.key, **error.params))
            state[pinned_key] = None
    pinned = state.get(pinned_key)
    state[param] = compare.encode(pinned) if pinned is not None else None
    put_in_link(param, state[param], default=None)

    # one row of buttons as wide as their labels, wrapping in a narrow column
    bar = bar if bar is not None else st.container(horizontal=True, gap="small")
    if pinned is None:
        shortcut_button(bar, "pin", t("compare.pin"), t("compare.pin_help"),
                        key=f"{lesson}_pin_button", on_click=_pin, args=(pinned_key, config))
        return None
    shortcut_button(bar, "pin", t("compare.unpin"), key=f"{lesson}_unpin", on_click=_pin,
                    args=(pinned_key, None))
    bar.button(t("compare.swap"), key=f"{lesson}_swap", on_click=_swap,
               args=(pinned_key, config, restore), help=t("compare.swap_help"))
    seed = seed_path(pinned) if seed_field is FROM_CONFIG else seed_field
    if seed is not None:
        bar.button(t("compare.reseed"), key=f"{lesson}_reseed", on_click=restore,
                   args=(_next_seed(pinned, seed),), help=t("compare.reseed_help"))
    return pinned


def pinned_view(lesson: str, config, restore: Callable[[object], None], validate: Callable,
                seed_field: str | None = FROM_CONFIG, bar=None,
                label_of: Callable[[str], str] | None = None):
    """pin_bar (in bar, where given), then A as the lesson uses it: validate(A) -> (Config,
    notices), as for its own controls (a link's A is read unvalidated), and the line naming what
    differs above the views, each setting as label_of names it (by default as ui.widgets labels
    the lesson's controls; a tab's pin bar, "<lesson>_<tab>", by the lesson's texts). None when
    nothing is pinned, or (with the reason shown) when A is refused."""
    pinned = pin_bar(lesson, config, restore, seed_field, bar)
    if pinned is None:
        return None
    try:
        pinned = validate(pinned)[0]
    except InputError as error:
        st.warning(quoted(error.key, **error.params))
        return None
    label_of = label_of or widgets.label_of(lesson.partition("_")[0], type(config))
    st.markdown(describe(pinned, config, label_of))
    return pinned


def keep_pins(lessons: list[str]) -> None:
    """The pinned views a link carries for views not drawn in this run (a lesson's other tabs):
    kept for when they open, not reported as parameters the page could not use."""
    for lesson in lessons:
        param = f"{lesson}_pin"
        if param in st.query_params and param not in st.session_state:
            st.session_state[param] = st.query_params[param]


def seed_path(config) -> str | None:
    """Where a Config keeps the seed of its draws: its field named seed, else the first nested
    Config's ("matrix.seed"); None for a view that draws nothing at random."""
    fields = compare.compared_fields(config)
    if "seed" in fields:
        return "seed"
    for name, value in fields.items():
        inner = seed_path(value) if dataclasses.is_dataclass(value) else None
        if inner is not None:
            return f"{name}.{inner}"
    return None


def _next_seed(config, seed_field: str):
    """config with the seed at seed_field (dotted for a nested Config) one higher."""
    name, _, rest = seed_field.partition(".")
    value = getattr(config, name)
    return dataclasses.replace(config, **{name: _next_seed(value, rest) if rest else value + 1})


def _pin(pinned_key: str, config) -> None:
    st.session_state[pinned_key] = config


def _swap(pinned_key: str, config, restore: Callable[[object], None]) -> None:
    if st.session_state.get(pinned_key) is None:  # the lesson unpinned an unreadable A
        return
    restore(st.session_state[pinned_key])
    st.session_state[pinned_key] = config


def describe(a, b, label_of: Callable[[str], str] | None = None) -> str:
    """One line naming the settings that differ: "std: 1 → 0.0625; depth: 100 → 50", each name as
    label_of gives it where given (the control's label: "Weight std σ_w: 1 → 0.0625"). A table
    too long to read in a line (a typed table) is said to have changed; a setting only one view
    has (a scheduler's own) is said to be A's or B's alone, in words."""
    found = [(name if label_of is None else label_of(name), x, y)
             for name, x, y in compare.differences(a, b)]
    if not found:
        return t("compare.same")
    changes = []
    for name, x, y in found:
        if x is compare.ABSENT or y is compare.ABSENT:
            changes.append(t("compare.only_b" if x is compare.ABSENT else "compare.only_a",
                             name=name, value=_short(y if x is compare.ABSENT else x)))
        elif any(isinstance(v, tuple | list) and len(_short(v)) > SHORT for v in (x, y)):
            changes.append(t("compare.changed", name=name))
        else:
            changes.append(t("compare.change", name=name, a=_short(x), b=_short(y)))
    return t("compare.differs", what=t("compare.separator").join(changes))


def metric_change(b: float, a: float | None, fmt: str, colour: str = "off") -> dict:
    """st.metric's delta arguments for B's value against A's: B − A in fmt, coloured by colour
    ("normal", "inverse" or "off"); none without A or where either is not finite; a change that
    rounds to nothing ("-0.0000", "+0.0000") is shown as 0 with no sign, colour or arrow."""
    if a is None or not math.isfinite(b - a):
        return {}
    shown = f"{b - a:+{fmt}}"
    if not any(c in "123456789" for c in shown):
        return {"delta": f"{0.0:{fmt}}", "delta_color": "off", "delta_arrow": "off"}
    return {"delta": shown, "delta_color": colour}


def labels() -> tuple[str, str]:
    """The two views' names in the user's language, A first."""
    return t("compare.label_a"), t("compare.label_b")


SHORT = 16  # characters of a table that describe shows; a longer one is said to have changed


def _short(value) -> str:
    if value and compare.named_pairs(value):  # settings as (name, value) pairs: "gamma=0.37"
        return ", ".join(f"{name}={_short(v)}" for name, v in value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(map(_short, value)) + "]"
    if isinstance(value, float):
        return f"{value:.4g}"
    if dataclasses.is_dataclass(value):
        return type(value).__name__
    return str(value)
