"""What every lesson does with the Config its controls describe: validate it, say what was wrong
(and stop) or what was adjusted, and offer the pin bar, so the page goes on with B and A."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import streamlit as st

from core.errors import InputError, Notice
from core.settings import with_values
from ui import widgets
from ui.compare import FROM_CONFIG, pinned_view
from ui.panels import show_error, show_notices
from ui.text import presenting


def checked_views(lesson: str, config, validate: Callable, restore: Callable,
                  seed_field: str | None = FROM_CONFIG, bar=None,
                  label_of: Callable[[str], str] | None = None):
    """(B, A): the controls' Config validated, and the pinned view A (None when nothing is
    pinned), after showing the notices of what was clamped and the pin bar (in bar, a horizontal
    container of the page's, where given) with the line naming what differs. None, with the
    error shown next to the controls' view, when the Config cannot be used: the caller stops,
    and what the user typed stays in the controls. label_of names a field (a setting's path) as
    its control is labelled, in the user's language (ui.widgets.label_of), in the messages and
    on the line naming what differs."""
    checked = checked_config(config, validate, label_of)
    if checked is None:
        return None
    return checked, pinned_view(lesson, checked, restore, validate, seed_field, bar, label_of)


def checked_config(config, validate: Callable, label_of: Callable[[str], str] | None = None):
    """The Config validated, its notices shown; None, with its error shown, where it cannot be
    used. Fields named by label_of, as checked_views does."""
    try:
        config, notices = validate(config)
    except InputError as error:
        show_error(labelled(error, label_of))
        return None
    show_notices([labelled(notice, label_of) for notice in notices])
    return config


def labelled(message, label_of: Callable[[str], str] | None):
    """An InputError or Notice with its field named by label_of (unchanged without one or
    without a field)."""
    field = message.params.get("field")
    if label_of is None or not isinstance(field, str):
        return message
    params = message.params | {"field": label_of(field)}
    if isinstance(message, Notice):
        return Notice(message.key, params)
    return InputError(message.key, **params)


class Section(NamedTuple):
    view: object  # the views' column
    checked: tuple | None  # checked_views' (B, A), or None when B cannot be used
    buttons: object | None  # a row at the top of the views, before the pin buttons


def section(lesson: str, config_type: type, validate: Callable, examples: dict[str, tuple],
            restore: Callable | None = None, seed_field: str | None = FROM_CONFIG,
            buttons: bool = False) -> Section:
    """A lesson's section laid out the usual way: a column of controls (the way back to each
    course example first, {key suffix: (label, Config)}, then every setting config_type
    declares, ui.widgets) beside the views, where the Config they describe is checked
    (checked_views, each field named as its control is labelled). restore: how a Config is put
    back into the controls (default: every setting, widgets.restore). buttons: a row of the
    page's own buttons at the top of the views, the pin buttons after them."""
    restore = restore or partial(widgets.restore, lesson)
    column, view = st.columns([1, 2] if presenting() else [1, 3], gap="large")
    with column.container(gap="xxsmall" if presenting() else "xsmall"):
        for name, (label, example) in examples.items():
            st.button(label, on_click=restore, args=(example,), key=f"{lesson}_course_{name}",
                      width="stretch")
        chosen = widgets.controls(lesson, config_type)
    with view:
        bar = row = None
        if buttons:
            bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
            row = bar.container(horizontal=True, vertical_alignment="center", gap="small",
                                width="content")
        checked = checked_views(lesson, with_values(config_type(), chosen), validate, restore,
                                seed_field, bar, widgets.label_of(lesson, config_type))
    return Section(view, checked, row)
