"""Every setting's widget, made one way (core.settings.Setting), with its key and link parameter
derived, never written by hand: a lesson's setting at path "init.std" is the widget
"<lesson>_init_std", which is also its parameter in the link.

A page reads its controls with controls(lesson, Config) (or control for one), builds its Config
with core.settings.with_values, and puts a Config back into the widgets with restore (its
course's example, a pinned view swapped in): the same declaration serves all three."""

from __future__ import annotations

import re

import streamlit as st

from core import text
from core.settings import Setting, settings_of, value_at
from ui.links import choose, set_controls
from ui.text import t

UNSET = object()


def key_of(lesson: str, path: str) -> str:
    """The widget key, and link parameter, of the setting at path of a lesson's Config."""
    return f"{lesson}_{path.replace('.', '_')}"


def text_key(lesson: str, path: str, suffix: str = "") -> str:
    """The text key a lesson's setting is named by ("explosion.init_std"), and its help
    ("explosion.init_std_help")."""
    return f"{lesson}.{path.replace('.', '_')}{suffix}"


def label_of(lesson: str, config_type: type | None = None):
    """A function naming a lesson's setting by its path as its control is labelled, in the
    user's language: the setting's own label (config_type's, nested Configs' included:
    "matrix.depth"), else the text "<lesson>.<path>", else torch's own name for it, the path's
    last part (a scheduler's "step_size"), never a dotted path; an index is kept
    ("runs[2].lr": "lr [2]"). For a message about a field ("最大学习率: ..." beside the control
    labelled so, not "lr_max: ...") and for the line naming what differs from a pinned view."""
    settings = settings_of(config_type) if config_type is not None else {}

    def label(path: str) -> str:
        bare = re.sub(r"\[\d+\]", "", path)
        setting, key = settings.get(bare), text_key(lesson, bare)
        if setting is not None and setting.label:
            name = t(setting.label)
        else:
            name = t(key) if text.exists(key) else bare.rpartition(".")[2]
        return name + "".join(f" [{i}]" for i in re.findall(r"\[(\d+)\]", path))
    return label


def widget(setting: Setting, key: str, label: str, help_text: str | None = None,
           value=UNSET):
    """The widget of one setting, bound to the link under key, starting at value (default: the
    setting's own default); returns what it holds (a list of integers and free text as typed:
    the Config's validation parses them)."""
    start = setting.default if value is UNSET else value
    common = {"key": key, "help": help_text}
    if setting.kind == "choice":
        choices = list(setting.choices)
        names = [str(choice) for choice in choices]  # the link holds text

        def label_of(name: str) -> str:
            own = setting.choice_text.format(choice=name) if setting.choice_text else None
            return t(own) if own and text.exists(own) else name

        chosen = choose(label, names, format_func=label_of, index=names.index(str(start)),
                        **common)
        return choices[names.index(chosen)]
    if setting.kind == "bool":
        return st.toggle(label, value=bool(start), bind="query-params", **common)
    if setting.kind in ("ints", "floats"):
        return st.text_input(label, value=setting.text(start), bind="query-params", **common)
    if setting.kind == "text":
        return st.text_area(label, value=start, bind="query-params", **common)
    number = int if setting.kind == "int" else float
    if setting.widget == "slider":
        return st.slider(label, number(setting.low), number(setting.high), number(start),
                         number(setting.step or 1), bind="query-params", **common)
    step = None if setting.step is None else number(setting.step)
    return st.number_input(
        label, value=None if start is None else number(start),
        step=step if setting.kind == "float" else step or 1, format=setting.format,
        placeholder=t("common.torch_decides") if setting.optional else None,
        bind="query-params", **common)


def control(lesson: str, config_type: type, path: str, **options):
    """The widget of the setting at path of the lesson's Config, starting at the Config's
    default; labelled by its text ("<lesson>.<path>", or the setting's own label), with its
    help where that text exists. options override the Setting's fields (a step, a format)."""
    setting = settings_of(config_type)[path]
    if options:
        from dataclasses import replace
        setting = replace(setting, **options)
    return widget_at(lesson, path, setting, value_at(config_type(), path))


def widget_at(lesson: str, path: str, setting: Setting, value=UNSET):
    """The widget of a setting at path of a lesson (a Config's field, or a registry's setting
    such as a loss's option at "options.margin"), its key, label and help derived from the
    path as control's are."""
    label = t(setting.label) if setting.label else t(text_key(lesson, path))
    help_key = setting.help or text_key(lesson, path, "_help")
    return widget(setting, key_of(lesson, path), label,
                  t(help_key) if text.exists(help_key) else None, value)


def controls(lesson: str, config_type: type, paths: list[str] | None = None,
             drawn: dict | None = None) -> dict:
    """The widgets of the lesson's settings (every one the Config declares, or those at paths),
    in order; {path: value}. A setting that does not apply given the values before it (drawn:
    those of controls drawn earlier) is not drawn and keeps its default."""
    values: dict = {}
    defaults = config_type()
    for path in paths if paths is not None else list(settings_of(config_type)):
        if settings_of(config_type)[path].applies((drawn or {}) | values):
            values[path] = control(lesson, config_type, path)
        else:
            values[path] = value_at(defaults, path)
    return values


def restore(lesson: str, config, paths: list[str] | None = None) -> None:
    """Set the lesson's widgets from a Config (from a callback: the course's example, a pinned
    view swapped in): every declared setting, or those at paths."""
    kinds = settings_of(type(config))
    chosen = paths if paths is not None else list(kinds)
    set_controls({key_of(lesson, path): held(kinds[path], value_at(config, path))
                  for path in chosen})


def held(setting: Setting, value):
    """A value as its widget holds it: a choice's text, a list of integers typed as text."""
    if setting.kind == "choice":
        return str(value)
    return setting.text(value)
