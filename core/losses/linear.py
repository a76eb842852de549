"""LinearCrossEntropyLoss: a linear layer and cross-entropy in one (torch 2.13). The module holds
the layer's weight matrix W (C × F); on the page it is a table, typed like the others: the logits
are x Wᵀ, then every stage is CrossEntropyLoss's, and the gradient reaches both the inputs
(∂loss/∂x = g W) and W itself (∂loss/∂W = gᵀ x), where g is the gradient w.r.t. the logits.

The tables: inputs (N × F features), linear_weight (C × F: a row per class, so C is its rows and
the Columns C control sets them), the target (class indices, or N × C probabilities) and the
optional class weight (C). torch's own module computes with W as its linear layer's weight."""

from __future__ import annotations

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.errors import InputError
from core.losses.classification import (
    CE_OPTIONS,
    COURSE_INPUTS,
    COURSE_TARGET,
    cross_entropy,
    probability_curve,
)
from core.losses.common import columns
from core.losses.registry import Loss, Options, Preset, Steps, Tensors, register
from core.losses.tables import Table, TableSpec, number, parse_table, reshape

INPUTS = TableSpec("inputs", "values", columns="F")
LINEAR_WEIGHT = TableSpec("linear_weight", "values", rows="C", columns="F")
WEIGHT = TableSpec("weight", "weights", rows="1", optional=True)


def _tables(options: Options) -> tuple[TableSpec, ...]:
    target = TableSpec("target", "unit") if options["soft_target"] \
        else TableSpec("target", "indices", columns="1")
    return INPUTS, LINEAR_WEIGHT, target, WEIGHT


def _matrix(name: str, rows: Table | None, width: int | None = None) -> torch.Tensor:
    """A table of numbers, every row width long where width is given."""
    if not rows or not rows[0]:
        raise InputError("error.loss.empty", table=name)
    for row in rows:
        if len(row) != (width or len(rows[0])):
            raise InputError("error.loss.columns", table=name, columns=len(row),
                             expected=width or len(rows[0]))
    return torch.tensor([[number(name, r, c, cell) for c, cell in enumerate(row)]
                         for r, row in enumerate(rows)], dtype=torch.float32)


def parse(tables: dict[str, Table | None], options: Options) -> Tensors:
    """inputs fix N and F, linear_weight's rows C (F columns each); the target and the weight
    are checked as CrossEntropyLoss's, against that C."""
    x = _matrix("inputs", tables.get("inputs"))
    w = _matrix("linear_weight", tables.get("linear_weight"), x.shape[1])
    n, classes = x.shape[0], w.shape[0]
    ignore = None if options["soft_target"] else int(options["ignore_index"])
    parsed = {"inputs": x, "linear_weight": w}
    for spec in _tables(options)[2:]:
        if tables.get(spec.name) is not None:
            parsed[spec.name] = parse_table(spec, tables[spec.name], n, classes, ignore,
                                            "inputs")
    return parsed


def fit(typed: dict[str, Table], classes: int, options: Options) -> dict[str, Table]:
    """inputs as typed (F stays), linear_weight cut or padded to C rows (a new class's row of
    zeros), the target and the weight to C as CrossEntropyLoss's are."""
    x = typed.get("inputs") or (("0",),)
    features = len(x[0])
    w = tuple(tuple(row[:features]) + ("0",) * (features - len(row))
              for row in (typed.get("linear_weight") or ())[:classes])
    fitted = {"inputs": x, "linear_weight": w + (("0",) * features,) * (classes - len(w))}
    for spec in _tables(options)[2:]:
        fitted[spec.name] = reshape(spec, typed.get(spec.name), classes, len(x))
    return fitted


def _steps(t: Tensors, options: Options, reduction: str) -> Steps:
    x, w = t["inputs"], t["linear_weight"]
    logits = x @ w.T
    ce = cross_entropy({**t, "inputs": logits}, options, reduction)
    g = ce.grads["inputs"]  # d loss / d logits, reduced
    table = pd.concat([ce.table[["sample"]], pd.DataFrame(columns("x", x)),
                       ce.table.drop(columns="sample")], axis=1)
    return Steps(table, ce.per_element, ce.denominator, ce.denominator_kind,
                 {"inputs": g @ w, "linear_weight": g.T @ x},
                 [("linear", logits, F.linear(x, w)), *ce.checks], ce.curve_x, curve=ce.curve,
                 curve_y=ce.curve_y)


def _functional(t: Tensors, options: Options, reduction: str) -> torch.Tensor:
    return F.linear_cross_entropy(
        t["inputs"], t["linear_weight"], t["target"], weight=t.get("weight"),
        ignore_index=None if options["soft_target"] else int(options["ignore_index"]),
        label_smoothing=float(options["label_smoothing"]), reduction=reduction)


register(Loss(
    name="LinearCrossEntropyLoss", module=nn.LinearCrossEntropyLoss, tables=_tables,
    options=CE_OPTIONS, steps=_steps, family="classification",
    differentiable=("inputs", "linear_weight"),
    positional=lambda t: (t["inputs"].shape[1], t["linear_weight"].shape[0]),
    owned={"linear_weight": "linear.weight"}, parse=parse, fit=fit,
    classes_of=lambda tables: len(tables["linear_weight"]),
    curve=probability_curve, functional=_functional,
    presets=(Preset("LinearCrossEntropyLoss, W = I (the course's logits)",
                    {"inputs": COURSE_INPUTS, "linear_weight": (("1", "0"), ("0", "1")),
                     "target": COURSE_TARGET}, label="lce_identity"),
             Preset("LinearCrossEntropyLoss, F = 3, C = 2",
                    {"inputs": (("1", "0", "2"), ("0", "1", "1"), ("2", "1", "0")),
                     "linear_weight": (("0.5", "-1", "0.2"), ("0.1", "0.4", "-0.3")),
                     "target": (("0",), ("1",), ("1",))})),
))
