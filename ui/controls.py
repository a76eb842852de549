"""Defaults are written once, in the Config dataclasses of core: a widget starts from its field."""

from __future__ import annotations

import dataclasses
from functools import cache

import streamlit as st

from ui.links import choose


@cache
def _defaults(config_type: type) -> dict:
    return {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
            for f in dataclasses.fields(config_type)}


def default(config_type: type, field: str):
    """The default of config_type's field: what the widget for that field starts at."""
    return _defaults(config_type)[field]


def setting_widget(setting, key: str, help_text: str):
    """The widget of one registry setting (core.schedules.Setting: kind, default, choices),
    labelled with torch's own name, starting at its default, bound to the link."""
    if setting.kind == "choice":
        return choose(setting.name, list(setting.choices), key=key, help=help_text,
                      index=setting.choices.index(setting.default))
    if setting.kind == "bool":
        return st.checkbox(setting.name, value=setting.default, key=key, help=help_text,
                           bind="query-params")
    if setting.kind == "ints":
        return st.text_input(setting.name, value=setting_text(setting, setting.default),
                             key=key, help=help_text, bind="query-params")
    if setting.kind == "int":
        return st.number_input(setting.name, value=int(setting.default), step=1, key=key,
                               help=help_text, bind="query-params")
    return st.number_input(setting.name, value=float(setting.default), step=None, format="%.6g",
                           key=key, help=help_text, bind="query-params")


def setting_text(setting, value):
    """A setting's value as its widget holds it (a list of integers is typed as text)."""
    return ", ".join(map(str, value)) if setting.kind == "ints" else value
