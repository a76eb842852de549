"""The typed tables of a loss: what each holds (its kind and shape), how typed text becomes a
tensor (or an InputError naming the table, row, column and rule), reshaping to another C, and the
compact text a link carries them in."""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import quote, unquote

import torch

from core.errors import InputError

Table = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class TableSpec:
    """One input of a loss. kind: what it holds, which decides the rule its cells obey and its
    caption (loss.kind_KIND): logits, log_probs and values are any finite number; probabilities
    and unit in [0, 1]; signs ±1; indices a class index; weights ≥ 0; positive > 0; index_lists
    class indices padded with −1; labels and lengths (CTCLoss's, checked by its own parse).
    rows: "N" (one per sample) or "1"; columns: "C", "1", or "C|1" (one value or one per column:
    torch broadcasts it). An optional table (weight, pos_weight) is passed to the loss's
    constructor when it is switched on; the others to its call, in order."""

    name: str
    kind: str
    rows: str = "N"
    columns: str = "C"
    optional: bool = False

    @property
    def fill(self) -> str:
        """What a new cell gets when the table widens: weights 1, everything else 0."""
        return "1" if self.kind in ("weights", "positive") else "0"

    def width(self, classes: int, typed: int) -> int:
        if self.columns == "C|1":
            return 1 if typed == 1 else classes
        return classes if self.columns == "C" else 1


def number(table: str, row: int, column: int, cell: object) -> float:
    text = "" if cell is None else str(cell).strip()
    if not text:
        raise InputError("error.loss.blank", table=table, row=row, column=column)
    try:
        value = float(text)
    except ValueError:
        raise InputError("error.loss.not_a_number", table=table, row=row, column=column,
                         value=text) from None
    if not math.isfinite(value):
        raise InputError("error.loss.not_finite", table=table, row=row, column=column,
                         value=text)
    return value


def _check_shape(spec: TableSpec, rows: Table, n: int | None, classes: int | None,
                 first: str) -> None:
    if not rows or not rows[0]:
        raise InputError("error.loss.empty", table=spec.name)
    expected_rows = 1 if spec.rows == "1" else n
    if expected_rows is not None and len(rows) != expected_rows:
        raise InputError("error.loss.rows", table=spec.name, rows=len(rows),
                         expected=expected_rows, first=first)
    if classes is not None:
        expected = spec.width(classes, len(rows[0]))
        for row in rows:
            if len(row) != expected:
                key = "error.loss.columns_or_one" if spec.columns == "C|1" \
                    else "error.loss.columns"
                raise InputError(key, table=spec.name, columns=len(row),
                                 expected=classes if spec.columns == "C|1" else expected)


def parse_table(spec: TableSpec, rows: Table, n: int | None, classes: int | None,
                ignore_index: int | None = None, first: str = "inputs") -> torch.Tensor:
    """The typed rows as a tensor of this kind: float32, or int64 for class indices (a column
    vector becomes (N,)), weights as one row (C,) or (1,). first: the table whose rows are the
    samples (N)."""
    _check_shape(spec, rows, n, classes, first)
    values = [[number(spec.name, r, c, cell) for c, cell in enumerate(row)]
              for r, row in enumerate(rows)]
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            _check_rule(spec, r, c, value, classes, ignore_index)
    if spec.kind == "weights":
        weights = torch.tensor(values[0], dtype=torch.float32)
        if not weights.any():
            raise InputError("error.loss.zero_weights", table=spec.name)
        return weights
    if spec.kind == "indices":
        return torch.tensor([row[0] for row in values], dtype=torch.long)
    if spec.kind == "index_lists":
        _check_padding(spec.name, values)
        return torch.tensor(values, dtype=torch.long)
    tensor = torch.tensor(values, dtype=torch.float32)
    return tensor[:, 0] if spec.columns == "1" else tensor


def _check_rule(spec: TableSpec, r: int, c: int, value: float, classes: int | None,
                ignore_index: int | None) -> None:
    where = {"table": spec.name, "row": r, "column": c, "value": f"{value:g}"}
    if spec.kind == "probabilities" and not 0 <= value <= 1:
        raise InputError("error.loss.probability", **where)
    if spec.kind == "unit" and not 0 <= value <= 1:
        raise InputError("error.loss.target_probability", **where)
    if spec.kind == "positive" and value <= 0:
        raise InputError("error.loss.not_positive", **where)
    if spec.kind == "signs" and value not in (-1, 1):
        raise InputError("error.loss.not_sign", **where)
    if spec.kind == "weights" and value < 0:
        raise InputError("error.loss.negative_weight", table=spec.name, column=c,
                         value=f"{value:g}")
    if spec.kind == "index_lists" and (value != int(value) or not -1 <= value < (classes or 1)):
        raise InputError("error.loss.index_list", **where, high=(classes or 1) - 1)
    if spec.kind == "indices":
        if value != int(value):
            raise InputError("error.loss.not_integer", **where)
        high = (classes or 1) - 1
        if ignore_index is None and not 0 <= value <= high:
            raise InputError("error.loss.index_range", table=spec.name, row=r, column=c,
                             value=int(value), high=high)
        if ignore_index is not None and not (0 <= value <= high or value == ignore_index):
            raise InputError("error.loss.class_range", table=spec.name, row=r, column=c,
                             value=int(value), high=high, ignore_index=int(ignore_index))


def _check_padding(table: str, values: list[list[float]]) -> None:
    """-1 only as padding at the end of a row: torch stops at a row's first -1 and silently
    ignores what follows, so a class index after it is a mistake to point out."""
    for r, row in enumerate(values):
        if -1 in row:
            first = row.index(-1)
            for c in range(first + 1, len(row)):
                if row[c] != -1:
                    raise InputError("error.loss.padding", table=table, row=r, column=c,
                                     value=int(row[c]), first=first)


def _as_number(cell: str) -> float | None:
    try:
        return float(cell)
    except (TypeError, ValueError):
        return None


def reshape(spec: TableSpec, rows: Table | None, classes: int, n: int) -> Table:
    """rows cut or padded to this spec at C = classes (and N = n rows where it has one per
    sample): what was typed is kept. A C-column target becomes class indices (argmax) and class
    indices a one-hot table, where the cells are numbers."""
    width = spec.width(classes, len(rows[0]) if rows and rows[0] else classes)
    if not rows:
        rows = ((spec.fill,) * width,)
    if spec.kind == "indices" and len(rows[0]) != 1:
        rows = tuple((str(max(range(len(row)), key=lambda c: _as_number(row[c]) or 0.0)),)
                     for row in rows)
    elif spec.kind == "index_lists":
        return tuple(tuple(row[:width]) + ("-1",) * (width - len(row)) for row in rows)[:n] \
            + ((("-1",) * width),) * (n - len(rows))
    elif spec.kind in ("unit", "signs") and len(rows[0]) == 1 and width > 1:
        off = "-1" if spec.kind == "signs" else "0"
        rows = tuple(tuple("1" if _as_number(row[0]) == c else off for c in range(width))
                     for row in rows)
    rows = tuple(tuple(row[:width]) + (spec.fill,) * (width - len(row)) for row in rows)
    if spec.rows == "1":
        return rows[:1]
    return rows[:n] + (rows[-1],) * (n - len(rows))


# ---- A link's text: one query parameter holds every table ----------------------------------
# tables separated by "!", a table's name from its rows by ":", rows by ";", cells by ",";
# each cell percent-encoded (numbers such as -1.5e-3 stay as they are).

def encode(tables: dict[str, Table]) -> str:
    return "!".join(f"{name}:" + ";".join(",".join(quote(cell, safe="") for cell in row)
                                          for row in rows)
                    for name, rows in tables.items())


def decode(text: str) -> dict[str, Table] | None:
    """The tables a link's text holds, or None when it is not such a text."""
    tables: dict[str, Table] = {}
    for part in text.split("!"):
        name, colon, body = part.partition(":")
        if not colon or not name.isidentifier() or name in tables:
            return None
        rows = tuple(tuple(unquote(cell) for cell in row.split(",")) for row in body.split(";"))
        if len({len(row) for row in rows}) != 1:
            return None
        tables[name] = rows
    return tables
