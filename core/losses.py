"""Loss functions step by step: the course's CrossEntropy, NLL, BCE and BCEWithLogits examples on
tables the user types, every stage computed by hand and checked against torch.

The tables arrive as typed (strings); `parse` turns them into tensors or raises an InputError that
names the table, the row, the column and the rule. A loss is one entry of LOSSES: its torch class,
what its target looks like, which options it takes, and its hand computation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.bounds import Bound
from core.errors import InputError, Notice

CLASSES = Bound("classes", 1, 16)
MAX_ROWS = 64  # samples in a table: the step tables stay readable and one run takes < 50 ms
LABEL_SMOOTHING = Bound("label_smoothing", 0.0, 1.0)
REDUCTIONS = ("none", "sum", "mean")
LOG_CLAMP = -100.0  # BCELoss clamps its logs at -100 (torch docs), so a wrong 0/1 costs 100
BCE_EPS = 1e-12  # torch's BCELoss backward divides by max(x(1-x), 1e-12)

Table = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class LossConfig:
    loss: str = "CrossEntropyLoss"
    inputs: Table = (("1", "2"), ("1", "3"), ("1", "3"))
    target: Table = (("0",), ("1",), ("1",))
    weight: Table | None = None  # one row of C weights, or no weight
    pos_weight: Table | None = None  # BCEWithLogitsLoss: one row of C weights, or none
    reduction: str = "mean"
    ignore_index: int = -100
    label_smoothing: float = 0.0
    soft_target: bool = False  # CrossEntropyLoss with class probabilities as the target
    through_sigmoid: bool = False  # BCELoss: the inputs are logits, passed through sigmoid first


@dataclass(frozen=True)
class Tensors:
    inputs: torch.Tensor  # (N, C) float32, as typed
    target: torch.Tensor  # (N,) long class indices, or (N, C) float32
    weight: torch.Tensor | None
    pos_weight: torch.Tensor | None
    probs: torch.Tensor | None = None  # BCELoss: what the loss takes (sigmoid of inputs or inputs)


@dataclass(frozen=True)
class Steps:
    """A loss computed by hand: a table of stages, the per-sample losses, the reduction."""

    table: pd.DataFrame  # one row per sample (per element for the BCE family)
    per_sample: torch.Tensor  # what reduction="none" returns
    denominator: torch.Tensor  # what reduction="mean" divides the sum by
    denominator_kind: str  # "weights" (sum of the non-ignored samples' weights) or "count"
    grad: torch.Tensor  # closed-form d loss / d input for the config's reduction
    checks: list[tuple[str, torch.Tensor, torch.Tensor]]  # (what, by hand, torch)
    curve_x: torch.Tensor  # per sample: where it sits on the curve (probability or logit)


@dataclass(frozen=True)
class Loss:
    """One registry entry. `target` is "index" (class indices) or "matrix" (N x C); `options`
    are the LossConfig fields the constructor takes; `steps` computes the loss by hand."""

    module: type[nn.Module]
    target: str
    options: tuple[str, ...]
    steps: Callable[[Tensors, LossConfig], Steps]
    curve: str  # the x axis of the curve: "probability", "logit" or "input"
    inputs: str  # what the inputs table holds: "logits", "log_probs" or "probabilities"
    prepare: Callable[[Tensors, LossConfig], torch.Tensor] = lambda t, c: t.inputs

    def make(self, config: LossConfig, tensors: Tensors, reduction: str) -> nn.Module:
        kwargs: dict = {"reduction": reduction}
        for name in self.options:
            kwargs[name] = getattr(tensors, name) if hasattr(tensors, name) \
                else getattr(config, name)
        return self.module(**kwargs)


# ---- Parsing the typed tables ---------------------------------------------------------------

def _number(table: str, row: int, column: str, cell: object) -> float:
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


def _matrix(table: str, rows: Table, columns: int | None = None) -> torch.Tensor:
    if not rows or not rows[0]:
        raise InputError("error.loss.empty", table=table)
    if columns is not None and len(rows[0]) != columns:
        raise InputError("error.loss.columns", table=table, columns=len(rows[0]),
                         expected=columns)
    values = [[_number(table, r, str(c), cell) for c, cell in enumerate(row)]
              for r, row in enumerate(rows)]
    return torch.tensor(values, dtype=torch.float32)


def _same_rows(table: str, rows: Table, expected: int) -> None:
    if len(rows) != expected:
        raise InputError("error.loss.rows", table=table, rows=len(rows), expected=expected)


def _in_unit_interval(table: str, values: torch.Tensor, rule: str) -> None:
    bad = ((values < 0) | (values > 1)).nonzero()
    if len(bad):
        row, column = (int(i) for i in bad[0])
        raise InputError(rule, table=table, row=row, column=column,
                         value=f"{values[row, column].item():g}")


def _class_weights(table: str, rows: Table | None, classes: int) -> torch.Tensor | None:
    if rows is None:
        return None
    values = _matrix(table, rows, classes)
    if len(rows) != 1:
        raise InputError("error.loss.rows", table=table, rows=len(rows), expected=1)
    bad = (values[0] < 0).nonzero()
    if len(bad):
        column = int(bad[0])
        raise InputError("error.loss.negative_weight", table=table, column=column,
                         value=f"{values[0, column].item():g}")
    if not values.any():
        raise InputError("error.loss.zero_weights", table=table)
    return values[0]


def validate(config: LossConfig) -> tuple[LossConfig, list[Notice]]:
    """Reject unknown names and clamp what has a bound; keep at most MAX_ROWS samples (with a
    notice), then parse every table so that a bad cell is reported here."""
    if config.loss not in LOSSES:
        raise InputError("error.unknown_choice", field="loss", value=config.loss)
    if config.reduction not in REDUCTIONS:
        raise InputError("error.unknown_choice", field="reduction", value=config.reduction)
    notices: list[Notice] = []
    smoothing = LABEL_SMOOTHING.clamp(config.label_smoothing, notices)
    if len(config.inputs) > MAX_ROWS:
        notices.append(Notice("notice.loss.rows", {"rows": len(config.inputs), "used": MAX_ROWS}))
    soft = config.soft_target and config.loss == "CrossEntropyLoss"
    config = replace(config, inputs=config.inputs[:MAX_ROWS], target=config.target[:MAX_ROWS],
                     label_smoothing=smoothing, soft_target=soft,
                     # torch takes no ignore_index with probability targets
                     ignore_index=-100 if soft else config.ignore_index,
                     through_sigmoid=config.through_sigmoid and config.loss == "BCELoss")
    parse(config)
    return config, notices


def classes(typed: int) -> tuple[int, list[Notice]]:
    """The number of classes C the tables get, clamped into CLASSES with a notice."""
    notices: list[Notice] = []
    return int(CLASSES.clamp(typed, notices)), notices


def parse(config: LossConfig) -> Tensors:
    """The typed tables as tensors, or an InputError naming table, row, column and rule."""
    spec = LOSSES[config.loss]
    inputs = _matrix("inputs", config.inputs)
    n, classes = inputs.shape
    _same_rows("target", config.target, n)
    if spec.target == "matrix" or config.soft_target:
        target = _matrix("target", config.target, classes)
        _in_unit_interval("target", target, "error.loss.target_probability")
    else:
        target = _class_indices(config, classes)
    weight = _class_weights("weight", config.weight, classes) if "weight" in spec.options \
        else None
    pos_weight = _class_weights("pos_weight", config.pos_weight, classes) \
        if "pos_weight" in spec.options else None
    probs = None
    if config.loss == "BCELoss":
        if config.through_sigmoid:
            probs = torch.sigmoid(inputs)
        else:
            _in_unit_interval("inputs", inputs, "error.loss.probability")
            probs = inputs
    return Tensors(inputs, target, weight, pos_weight, probs)


def _class_indices(config: LossConfig, classes: int) -> torch.Tensor:
    if any(len(row) != 1 for row in config.target):
        raise InputError("error.loss.columns", table="target", columns=len(config.target[0]),
                         expected=1)
    indices = []
    for r, (cell,) in enumerate(config.target):
        value = _number("target", r, "0", cell)
        if value != int(value):
            raise InputError("error.loss.not_integer", table="target", row=r, column=0,
                             value=f"{value:g}")
        if not (0 <= value < classes or value == config.ignore_index):
            raise InputError("error.loss.class_range", table="target", row=r, column=0,
                             value=int(value), high=classes - 1,
                             ignore_index=config.ignore_index)
        indices.append(int(value))
    return torch.tensor(indices, dtype=torch.long)


# ---- The hand computations, one per loss ----------------------------------------------------

def _reduce_grad(per_sample_grad: torch.Tensor, config: LossConfig, denominator: torch.Tensor,
                 valid: torch.Tensor | None = None) -> torch.Tensor:
    """d loss / d input for the config's reduction; for "none" the gradient of the sum (what
    loss.backward(torch.ones_like(loss)) computes). Ignored samples get exactly 0, even when the
    mean's denominator is 0 (torch skips them; the others then get 0/0 = nan, as in torch)."""
    if config.reduction != "mean":
        return per_sample_grad
    reduced = per_sample_grad / denominator if denominator != 0 \
        else torch.full_like(per_sample_grad, torch.nan)  # torch's mean is nan: so is its grad
    return reduced if valid is None else torch.where(valid[:, None], reduced, 0.0)


def _columns(prefix: str, values: torch.Tensor) -> dict[str, list[float]]:
    return {f"{prefix}[{c}]": values[:, c].tolist() for c in range(values.shape[1])}


def _cross_entropy(t: Tensors, config: LossConfig) -> Steps:
    z = t.inputs
    n, classes = z.shape
    shifted = z - z.max(dim=1, keepdim=True).values
    exp = shifted.exp()
    softmax = exp / exp.sum(dim=1, keepdim=True)
    log_softmax = shifted - exp.sum(dim=1, keepdim=True).log()
    w = t.weight if t.weight is not None else torch.ones(classes)
    eps = config.label_smoothing
    if config.soft_target:
        q = w * (t.target * (1 - eps) + eps / classes)  # what multiplies each -log p
        valid = torch.ones(n, dtype=torch.bool)
        picked_weight = torch.ones(n)
        denominator, kind = torch.tensor(float(n)), "count"
        picked = (t.target * log_softmax).sum(dim=1)
        true_class = t.target.argmax(dim=1)
        target_cols = _columns("target", t.target)
    else:
        valid = t.target != config.ignore_index
        safe = torch.where(valid, t.target, 0)
        picked_weight = w[safe] * valid
        one_hot = F.one_hot(safe, classes).float()
        q = valid[:, None] * ((1 - eps) * picked_weight[:, None] * one_hot + eps / classes * w)
        denominator = picked_weight.sum()
        kind = "weights" if t.weight is not None else "count"
        picked = log_softmax.gather(1, safe[:, None])[:, 0]
        true_class = safe
        target_cols = {"target": t.target.tolist()}
    per_sample = -(q * log_softmax).sum(dim=1)
    grad = _reduce_grad(q.sum(dim=1, keepdim=True) * softmax - q, config, denominator, valid)
    table = pd.DataFrame({
        "sample": range(n), **_columns("z", z), **_columns("softmax", softmax),
        **_columns("log_softmax", log_softmax), **target_cols,
        "picked": torch.where(valid, picked, torch.nan).tolist(),
        "weight": picked_weight.tolist(), "ignored": (~valid).tolist(),
        "loss": per_sample.tolist(),
    })
    checks = [
        ("softmax", softmax, F.softmax(z, dim=1)),
        ("log_softmax", log_softmax, F.log_softmax(z, dim=1)),
    ]
    kwargs = {"weight": t.weight, "ignore_index": config.ignore_index}
    if eps == 0 and not config.soft_target:
        checks.append(("ce_is_nll", F.cross_entropy(z, t.target, reduction="none", **kwargs),
                       F.nll_loss(nn.LogSoftmax(dim=1)(z), t.target, reduction="none", **kwargs)))
    return Steps(table, per_sample, denominator, kind, grad, checks,
                 softmax.gather(1, true_class[:, None])[:, 0])


def _nll(t: Tensors, config: LossConfig) -> Steps:
    x = t.inputs
    n, classes = x.shape
    w = t.weight if t.weight is not None else torch.ones(classes)
    valid = t.target != config.ignore_index
    safe = torch.where(valid, t.target, 0)
    picked_weight = w[safe] * valid
    picked = x.gather(1, safe[:, None])[:, 0]
    per_sample = -picked_weight * picked
    denominator = picked_weight.sum()
    # only the picked entries get a gradient (exactly 0 elsewhere, even when the mean is 0/0)
    picked_grad = _reduce_grad(-picked_weight[:, None], config, denominator, valid)
    grad = torch.where(F.one_hot(safe, classes).bool(), picked_grad, 0.0)
    table = pd.DataFrame({
        "sample": range(n), **_columns("input", x), "target": t.target.tolist(),
        "picked": torch.where(valid, picked, torch.nan).tolist(),
        "weight": picked_weight.tolist(), "ignored": (~valid).tolist(),
        "loss": per_sample.tolist(),
    })
    return Steps(table, per_sample, denominator, "weights" if t.weight is not None else "count",
                 grad, [], picked)


def _long(frame: dict[str, torch.Tensor], n: int, classes: int) -> pd.DataFrame:
    """One row per (sample, class) element, for the element-wise losses."""
    index = {"sample": torch.arange(n).repeat_interleave(classes).tolist(),
             "class": torch.arange(classes).repeat(n).tolist()}
    return pd.DataFrame({**index, **{k: v.flatten().tolist() for k, v in frame.items()}})


def _bce(t: Tensors, config: LossConfig) -> Steps:
    x, y = t.probs, t.target
    n, classes = x.shape
    w = (t.weight if t.weight is not None else torch.ones(classes)).expand(n, classes)
    log_x = x.log().clamp(min=LOG_CLAMP)
    log_1mx = (1 - x).log().clamp(min=LOG_CLAMP)
    per_element = -w * (y * log_x + (1 - y) * log_1mx)
    denominator = torch.tensor(float(n * classes))
    # Through sigmoid the course's closed form is w·(σ(z) − y); on probabilities it is torch's
    # BCELoss backward, w·(x − y) / max(x(1 − x), 1e-12).
    grad = w * (x - y) if config.through_sigmoid \
        else w * (x - y) / (x * (1 - x)).clamp(min=BCE_EPS)
    stages = {"input": t.inputs, **({"sigmoid": x} if config.through_sigmoid else {}),
              "target": y, "log_x": log_x, "log_1mx": log_1mx, "weight": w,
              "loss": per_element}
    checks = []
    if config.through_sigmoid:
        checks.append(("bce_is_bce_with_logits", per_element,
                       F.binary_cross_entropy_with_logits(t.inputs, y, weight=t.weight,
                                                          reduction="none")))
        checks.append(("sigmoid", x, F.sigmoid(t.inputs)))
    true_p = torch.where(y >= 0.5, x, 1 - x)
    curve_x = torch.logit(true_p.double()).float() if config.through_sigmoid else true_p
    return Steps(_long(stages, n, classes), per_element, denominator, "elements",
                 _reduce_grad(grad, config, denominator), checks, curve_x.flatten())


def _bce_with_logits(t: Tensors, config: LossConfig) -> Steps:
    z, y = t.inputs, t.target
    n, classes = z.shape
    w = (t.weight if t.weight is not None else torch.ones(classes)).expand(n, classes)
    pw = (t.pos_weight if t.pos_weight is not None else torch.ones(classes)).expand(n, classes)
    softplus = (-z.abs()).exp().log1p()  # log(1 + e^{-|z|}), the stable part
    log_sigmoid = -(softplus + (-z).clamp(min=0))
    log_1m_sigmoid = -(softplus + z.clamp(min=0))
    per_element = -w * (pw * y * log_sigmoid + (1 - y) * log_1m_sigmoid)
    sigmoid = z.sigmoid()
    denominator = torch.tensor(float(n * classes))
    grad = w * ((pw * y + 1 - y) * sigmoid - pw * y)
    stages = {"input": z, "sigmoid": sigmoid, "target": y, "log_sigmoid": log_sigmoid,
              "log_1m_sigmoid": log_1m_sigmoid, "weight": w, "pos_weight": pw,
              "loss": per_element}
    checks = [("log_sigmoid", log_sigmoid, F.logsigmoid(z)),
              ("log_1m_sigmoid", log_1m_sigmoid, F.logsigmoid(-z))]
    if t.pos_weight is None:
        checks.append(("bce_with_logits_is_bce", per_element,
                       F.binary_cross_entropy(sigmoid, y, weight=t.weight, reduction="none")))
    return Steps(_long(stages, n, classes), per_element, denominator, "elements",
                 _reduce_grad(grad, config, denominator), checks,
                 torch.where(y >= 0.5, z, -z).flatten())


LOSSES: dict[str, Loss] = {
    "CrossEntropyLoss": Loss(nn.CrossEntropyLoss, "index",
                             ("weight", "ignore_index", "label_smoothing"), _cross_entropy,
                             "probability", "logits"),
    "NLLLoss": Loss(nn.NLLLoss, "index", ("weight", "ignore_index"), _nll, "input", "log_probs"),
    "BCELoss": Loss(nn.BCELoss, "matrix", ("weight",), _bce, "probability", "probabilities",
                    prepare=lambda t, c: t.probs),
    "BCEWithLogitsLoss": Loss(nn.BCEWithLogitsLoss, "matrix", ("weight", "pos_weight"),
                              _bce_with_logits, "logit", "logits"),
}


# ---- The run: hand computation, torch, autograd ---------------------------------------------

@dataclass(frozen=True)
class LossResult:
    steps: pd.DataFrame  # the stage table, one row per sample (per element for BCE)
    losses: dict[str, float]  # reduction -> torch's value ("none" -> the sum of the elements)
    by_hand: dict[str, float]  # "sum" and "mean" computed from the stage table
    per_sample: list[float]  # torch's reduction="none"
    denominator: float
    denominator_kind: str
    gradients: pd.DataFrame  # sample, class, input, autograd, closed_form, diff
    checks: pd.DataFrame  # what, largest |by hand - torch|, agrees
    curve: pd.DataFrame  # x, loss: the loss of one sample as a function of x
    marks: pd.DataFrame  # sample, x, loss: the current samples on that curve
    curve_axis: str
    nonfinite: list[str] = field(default_factory=list)  # what came out nan or inf


def run(config: LossConfig) -> LossResult:
    spec = LOSSES[config.loss]
    t = parse(config)
    steps = spec.steps(t, config)
    prepared = spec.prepare(t, config)
    losses = {r: spec.make(config, t, r)(prepared, t.target) for r in REDUCTIONS}
    total = steps.per_sample.sum()
    # a zero denominator (every picked weight 0, or every sample ignored) makes torch's mean nan,
    # also where the label-smoothing term of the sum is not 0 (torch adds 0/0 and x/0)
    by_hand = {"sum": total, "mean": total / steps.denominator if steps.denominator != 0
               else torch.tensor(torch.nan)}

    x = t.inputs.clone().requires_grad_()
    t_grad = replace(t, inputs=x, probs=torch.sigmoid(x) if config.through_sigmoid else x)
    out = spec.make(config, t, config.reduction)(spec.prepare(t_grad, config), t.target)
    (autograd,) = torch.autograd.grad(out.sum(), x)

    functional = {
        "CrossEntropyLoss": lambda r: F.cross_entropy(
            t.inputs, t.target, weight=t.weight, ignore_index=config.ignore_index,
            label_smoothing=config.label_smoothing, reduction=r),
        "NLLLoss": lambda r: F.nll_loss(t.inputs, t.target, weight=t.weight,
                                        ignore_index=config.ignore_index, reduction=r),
        "BCELoss": lambda r: F.binary_cross_entropy(t.probs, t.target, weight=t.weight,
                                                    reduction=r),
        "BCEWithLogitsLoss": lambda r: F.binary_cross_entropy_with_logits(
            t.inputs, t.target, weight=t.weight, pos_weight=t.pos_weight, reduction=r),
    }.get(config.loss)
    checks = [*steps.checks,
              ("per_sample", steps.per_sample, losses["none"]),
              ("sum", by_hand["sum"], losses["sum"]),
              ("mean", by_hand["mean"], losses["mean"]),
              ("gradient", steps.grad, autograd)]
    if functional is not None:
        checks.append(("functional", losses[config.reduction], functional(config.reduction)))

    n, classes = t.inputs.shape
    gradients = _long({"input": t.inputs, "autograd": autograd, "closed_form": steps.grad,
                       "diff": (autograd - steps.grad).abs()}, n, classes)
    curve, marks = _curve(spec.curve, config, steps, t)
    nonfinite = [name for name, value in (("loss", losses[config.reduction]),
                                          ("gradient", autograd))
                 if not torch.isfinite(value).all()]
    return LossResult(
        steps=steps.table,
        losses={r: v.sum().item() if r == "none" else v.item() for r, v in losses.items()},
        by_hand={k: v.item() for k, v in by_hand.items()},
        per_sample=losses["none"].flatten().tolist(),
        denominator=steps.denominator.item(),
        denominator_kind=steps.denominator_kind,
        gradients=gradients,
        checks=pd.DataFrame([_check(name, mine, theirs) for name, mine, theirs in checks]),
        curve=curve, marks=marks, curve_axis=spec.curve, nonfinite=nonfinite,
    )


def _check(name: str, mine: torch.Tensor, theirs: torch.Tensor) -> dict:
    mine, theirs = torch.as_tensor(mine).double(), torch.as_tensor(theirs).double()
    both_nan = mine.isnan() & theirs.isnan()
    diff = torch.where(both_nan, 0.0, (mine - theirs).abs())
    agrees = torch.allclose(mine, theirs, rtol=1e-5, atol=1e-5, equal_nan=True)
    return {"check": name, "max_abs_diff": diff.max().item() if diff.numel() else 0.0,
            "agrees": agrees}


def _curve(axis: str, config: LossConfig, steps: Steps, t: Tensors
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The loss of one sample whose true class gets x (unweighted, no smoothing): −log p on a
    probability axis, softplus(−z) on a logit axis, −x for NLLLoss; the samples marked on it."""
    if axis == "probability":
        xs = torch.linspace(0.001, 1, 200, dtype=torch.float64)
        ys = -xs.log()
        if config.loss == "BCELoss" and config.through_sigmoid:
            axis, xs = "logit", torch.linspace(-8, 8, 161, dtype=torch.float64)
            ys = F.softplus(-xs)
    elif axis == "logit":
        xs = torch.linspace(-8, 8, 161, dtype=torch.float64)
        ys = F.softplus(-xs)
    else:
        xs = torch.linspace(-6, 6, 121, dtype=torch.float64)
        ys = -xs
    at = steps.curve_x.double()
    if axis == "probability":
        mark_y = -at.log()
    elif axis == "logit":
        mark_y = F.softplus(-at)
    else:
        mark_y = -at
    n = len(at)
    per_row = max(1, n // max(1, t.inputs.shape[0]))
    marks = pd.DataFrame({
        "sample": (torch.arange(n) // per_row).tolist(),
        "class": (torch.arange(n) % per_row).tolist() if per_row > 1 else [0] * n,
        "x": at.tolist(), "loss": mark_y.tolist(),
        "sample_loss": steps.per_sample.flatten().tolist(),
    })
    return pd.DataFrame({"x": xs.tolist(), "loss": ys.tolist()}), marks


# ---- The course's examples ------------------------------------------------------------------

COURSE_INPUTS = (("1", "2"), ("1", "3"), ("1", "3"))
COURSE_TARGET = (("0",), ("1",), ("1",))
BCE_INPUTS = (("1", "2"), ("2", "2"), ("3", "4"), ("4", "5"))
BCE_TARGET = (("1", "0"), ("1", "0"), ("0", "1"), ("0", "1"))

# Keyed by what the option shows (and the URL holds): PyTorch's own words, the same in every
# language.
PRESETS: dict[str, LossConfig] = {
    "CrossEntropyLoss": LossConfig(),
    "CrossEntropyLoss, weight=[1, 2]": LossConfig(weight=(("1", "2"),)),
    "NLLLoss, weight=[1, 1]": LossConfig(loss="NLLLoss", weight=(("1", "1"),)),
    "BCELoss(sigmoid(x)), weight=[1, 1]": LossConfig(
        loss="BCELoss", inputs=BCE_INPUTS, target=BCE_TARGET, weight=(("1", "1"),),
        through_sigmoid=True),
    "BCEWithLogitsLoss, weight=[1, 1]": LossConfig(
        loss="BCEWithLogitsLoss", inputs=BCE_INPUTS, target=BCE_TARGET, weight=(("1", "1"),)),
    "BCEWithLogitsLoss, pos_weight=[3]": LossConfig(
        loss="BCEWithLogitsLoss", inputs=BCE_INPUTS, target=BCE_TARGET, weight=(("1", "1"),),
        pos_weight=(("3", "3"),)),
}


def reshape_tables(tables: dict[str, Table], classes: int, target: str) -> dict[str, Table]:
    """The typed tables with C = classes columns (cut, or padded with "0"; weights with "1") and
    the target as "index" or "matrix": one-hot <-> argmax where the cells are numbers."""
    def width(rows: Table, fill: str) -> Table:
        return tuple(tuple(row[:classes]) + (fill,) * (classes - len(row)) for row in rows)

    def number(cell: str) -> float | None:
        try:
            return float(cell)
        except (TypeError, ValueError):
            return None

    rows = tables["target"]
    if target == "matrix" and rows and len(rows[0]) == 1:
        rows = tuple(tuple("1" if number(row[0]) == c else "0" for c in range(classes))
                     for row in rows)
    elif target == "index" and rows and len(rows[0]) != 1:
        rows = tuple((str(max(range(len(row)), key=lambda c: number(row[c]) or 0.0)),)
                     for row in rows)
    return {"inputs": width(tables["inputs"], "0"),
            "target": width(rows, "0") if target == "matrix" else rows,
            "weight": width(tables["weight"], "1"),
            "pos_weight": width(tables["pos_weight"], "1")}


def tables_of(config: LossConfig, classes: int) -> dict[str, Table]:
    """A preset's tables, with weight tables of ones where the preset has none."""
    ones = (("1",) * classes,)
    return {"inputs": config.inputs, "target": config.target,
            "weight": config.weight or ones, "pos_weight": config.pos_weight or ones}


def target_shape(config: LossConfig) -> str:
    """"index" (one column of class indices) or "matrix" (N x C) for this config."""
    return "matrix" if LOSSES[config.loss].target == "matrix" or config.soft_target else "index"


# ---- The script that reproduces a view ------------------------------------------------------

def _literal(t: torch.Tensor) -> str:
    return f"torch.tensor({t.tolist()})"


def to_script(config: LossConfig) -> str:
    """A runnable PyTorch script, in the course's style, printing this view's losses and the
    gradient d loss / d inputs."""
    spec = LOSSES[config.loss]
    t = parse(config)
    args = []
    for name in spec.options:
        value = getattr(t, name) if hasattr(t, name) else getattr(config, name)
        if isinstance(value, torch.Tensor):
            args.append(f"{name}={_literal(value)}")
        elif value is not None and value != getattr(LossConfig(), name):
            args.append(f"{name}={value!r}")
    options = "".join(f"{a}, " for a in args)
    feed = "torch.sigmoid(x)" if config.through_sigmoid else "x"
    return f'''import torch
import torch.nn as nn

inputs = {_literal(t.inputs)}
target = {_literal(t.target)}

for reduction in ("none", "sum", "mean"):
    loss_f = nn.{config.loss}({options}reduction=reduction)
    print(reduction, loss_f({feed.replace("x", "inputs")}, target).tolist())

x = inputs.clone().requires_grad_()
loss_f = nn.{config.loss}({options}reduction={config.reduction!r})
loss = loss_f({feed}, target)
loss.sum().backward()  # for reduction="none": the gradient of the sum of the losses
print("grad", x.grad.tolist())
'''
