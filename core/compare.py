"""Pin a view and compare: what differs between two Configs, a Config as the text of a link, and
two results' tables as one, each row saying which view it belongs to.

A lesson's Config is a frozen dataclass of numbers, strings, booleans, None, tuples and nested
Configs; that is all this module needs to know about it. A Config that leaves out what equals a
default (a scheduler's settings, kept only where they differ from its preset, so one schedule has
one Config and one cache entry) says every value through a method compared() -> {field: value},
which differences reads in place of those fields."""

from __future__ import annotations

import base64
import dataclasses
import json
import types
import typing

import pandas as pd

from core.errors import InputError

VIEW = "view"  # the column that says which view a row of a side-by-side table belongs to
LINK_MAX = 4096  # characters of an encoded Config in a link; larger text is refused unread


def differences(a, b, prefix: str = "") -> list[tuple[str, object, object]]:
    """Every setting whose value differs between Configs a and b, as (dotted name, a's, b's).
    Nested Configs are compared field by field ("init.std"); tuples of Configs element by element
    ("runs[2].lr"); named values (a tuple of (name, value) pairs, as a Config keeps a dict) name by
    name ("runs[2].values.momentum", "tables.weight"), ABSENT standing for a name only one of them
    has; anything else as a whole. A Config's fields are read as compared() gives them, where it
    has that method (a setting left out for equalling its preset is compared at its value)."""
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        found = []
        fields_a, fields_b = compared_fields(a), compared_fields(b)
        for name in fields_a:
            found += differences(fields_a[name], fields_b[name], f"{prefix}{name}.")
        return found
    if (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)
            and any(dataclasses.is_dataclass(x) for x in a)):
        found = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found += differences(x, y, f"{prefix.rstrip('.')}[{i + 1}].")
        return found
    if named_pairs(a) and named_pairs(b) and (a or b):
        a, b = dict(a), dict(b)
        found = []
        for name in dict.fromkeys([*a, *b]):
            if name in a and name in b:
                found += differences(a[name], b[name], f"{prefix}{name}.")
            else:
                found.append((f"{prefix}{name}", a.get(name, ABSENT), b.get(name, ABSENT)))
        return found
    return [] if a == b else [(prefix.rstrip("."), a, b)]


def compared_fields(config) -> dict:
    """config's fields by name, as a comparison reads them: its compared() values where it has
    that method (see the module's docstring), its stored values otherwise."""
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    compared = getattr(config, "compared", None)
    return values | (compared() if callable(compared) else {})


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()  # a named value that one of two Configs does not have


def named_pairs(value) -> bool:
    """Whether value is named values: a tuple of (name, value) pairs, each name an identifier,
    each once (or no pairs at all)."""
    return (isinstance(value, tuple)
            and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)
                    and p[0].isidentifier() for p in value)
            and len({p[0] for p in value}) == len(value))


def encode(config) -> str:
    """config as compact link text: its fields as JSON, base64url without padding."""
    raw = json.dumps(_plain(config), separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(text: str, config_type: type, field: str):
    """The Config of type config_type that encode wrote into text. Fields the text lacks keep
    their defaults, fields the type lacks are ignored (a link made by an older version still
    opens); anything unreadable raises InputError naming the link parameter `field`. The result
    is not validated: the lesson validates it as it validates its own controls."""
    try:
        if len(text) > LINK_MAX:
            raise ValueError("too long")
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
        return _build(config_type, raw)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, RecursionError):
        raise InputError("error.compare.link", field=field) from None


def side_by_side(a: pd.DataFrame, b: pd.DataFrame, label_a: str, label_b: str) -> pd.DataFrame:
    """A's and B's rows in one tidy table, the VIEW column naming each row's view (A first)."""
    return pd.concat([a.assign(**{VIEW: label_a}), b.assign(**{VIEW: label_b})],
                     ignore_index=True)


def column_each(a: pd.DataFrame, b: pd.DataFrame, keys: str | list[str], label_a: str,
                label_b: str) -> pd.DataFrame:
    """A's and B's tables as one, matched on the key column(s): every other column twice, side by
    side, "std · A" then "std · B" (rows one of them lacks are empty), in A's row order."""
    keys = [keys] if isinstance(keys, str) else keys
    merged = a.merge(b, on=keys, how="outer", suffixes=(f" · {label_a}", f" · {label_b}"))
    order = pd.concat([a[keys], b[keys]]).drop_duplicates()  # an outer merge sorts the keys
    columns = [f"{column} · {label}" for column in a.columns if column not in keys
               for label in (label_a, label_b)]
    return order.merge(merged, on=keys, how="left")[keys + columns]

def beside(a: pd.DataFrame, b: pd.DataFrame, value: str, label_a: str,
           label_b: str) -> pd.DataFrame | None:
    """A's and B's column `value` side by side (label_a, label_b), row for row, the other columns
    naming the rows; None where those differ (two tables of another shape)."""
    keys = [c for c in a.columns if c != value]
    if list(b.columns) != list(a.columns) or not a[keys].reset_index(drop=True).equals(
            b[keys].reset_index(drop=True)):
        return None
    return a[keys].reset_index(drop=True).assign(
        **{label_a: a[value].to_numpy(), label_b: b[value].to_numpy()})


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value != value:  # JSON has no nan
        return "nan"
    return value


def _build(hint, raw):
    """raw (parsed JSON) as a value of type hint: dataclasses field by field, lists as tuples."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if raw is None:
            return None
        options = [h for h in typing.get_args(hint) if h is not type(None)]
        return _build(options[0], raw)
    if dataclasses.is_dataclass(hint):
        if not isinstance(raw, dict):
            raise TypeError(f"{hint.__name__} wants an object")
        hints = typing.get_type_hints(hint)
        known = {f.name for f in dataclasses.fields(hint) if f.init}
        return hint(**{name: _build(hints[name], value) for name, value in raw.items()
                       if name in known})
    if origin is tuple:
        if not isinstance(raw, list):
            raise TypeError("a tuple wants a list")
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in raw)
        if args and len(args) != len(raw):
            raise ValueError("wrong length")
        return tuple(_build(h, v) for h, v in zip(args, raw, strict=True)) if args \
            else tuple(_loose(v) for v in raw)
    if hint is float:
        if raw == "nan":
            return float("nan")
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise TypeError("a number wanted")
        return float(raw)
    if hint is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise TypeError("a whole number wanted")
        return raw
    if hint is bool:
        if not isinstance(raw, bool):
            raise TypeError("true or false wanted")
        return raw
    if hint is str:
        if not isinstance(raw, str):
            raise TypeError("text wanted")
        return raw
    return _loose(raw)  # typing.Any, object: keep the JSON value, lists as tuples


def _loose(raw):
    return tuple(_loose(v) for v in raw) if isinstance(raw, list) else raw
