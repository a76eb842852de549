"""Defaults are written once, in the Config dataclasses of core: a widget starts from its field."""

from __future__ import annotations

import dataclasses
from functools import cache


@cache
def _defaults(config_type: type) -> dict:
    return {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
            for f in dataclasses.fields(config_type)}


def default(config_type: type, field: str):
    """The default of config_type's field: what the widget for that field starts at."""
    return _defaults(config_type)[field]
