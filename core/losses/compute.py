"""A loss view, from typed tables to every number the page shows: validate and parse the Config
against its registry entry, compute by hand, call torch (three reductions, the functional form,
autograd), check each stage, lay out the curve, and write the script that prints the same."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import pandas as pd
import torch

from core.errors import InputError, Notice
from core.losses import tables as tables_
from core.losses.registry import (
    FAMILIES,
    LOSSES,
    Family,
    Loss,
    Options,
    Steps,
    Tensors,
    View,
    presets,
)
from core.losses.tables import Table, TableSpec
from core.settings import Setting

CLASSES = Setting("classes", "int", 2, low=1, high=20, step=1)  # the course's CTC has C = 20
# A table's size, so that one move of the page stays under 300 ms of CPU at any bound a
# student can set (bench/loss.py): samples (the step tables stay readable, one run < 50 ms), and
# columns: C (up to CLASSES' 20 on the page), features, a target's labels (the course's CTC
# target has S = 30). A longer or wider table (a link's, a paste) is cut to them with a notice.
MAX_ROWS = 64
MAX_COLUMNS = 32


@dataclass(frozen=True)
class LossConfig:
    """A view: the loss, its typed tables (name -> rows of text; an optional table that is off is
    absent), the options that differ from the entry's defaults, the reduction. Build with
    config(...): it sorts tables and options so that equal views hash equal."""

    loss: str = "CrossEntropyLoss"
    tables: tuple[tuple[str, Table], ...] = ()
    options: tuple[tuple[str, object], ...] = ()
    reduction: str = "mean"

    def table(self, name: str) -> Table | None:
        return dict(self.tables).get(name)


def config(loss: str, tables: dict[str, Table], options: Options | None = None,
           reduction: str = "mean") -> LossConfig:
    entry = LOSSES.get(loss)
    defaults = {o.name: o.default for o in entry.options} if entry else {}
    changed = {k: v for k, v in (options or {}).items() if defaults.get(k, object()) != v}
    return LossConfig(loss, tuple(sorted(tables.items())), tuple(sorted(changed.items())),
                      reduction)


def entry(config: LossConfig) -> Loss:
    if config.loss not in LOSSES:
        raise InputError("error.unknown_choice", field="loss", value=config.loss)
    return LOSSES[config.loss]


def options_of(config: LossConfig) -> Options:
    """Every option of the entry: its default, or the config's value."""
    loss = entry(config)
    options = {o.name: o.default for o in loss.options}
    for name, value in config.options:
        if name not in options:
            raise InputError("error.unknown_choice", field="option", value=name)
        options[name] = value
    return options


def from_preset(name: str) -> LossConfig:
    loss, preset = presets()[name]
    return config(loss.name, preset.tables, preset.options, preset.reduction)




def validate(cfg: LossConfig) -> tuple[LossConfig, list[Notice]]:
    """Reject unknown names, clamp what has a bound (with a notice), keep at most MAX_ROWS samples
    and MAX_COLUMNS columns (with a notice), then parse every table so that a bad cell is
    reported here."""
    loss = entry(cfg)
    if cfg.reduction not in loss.reductions:
        raise InputError("error.unknown_choice", field="reduction", value=cfg.reduction)
    notices: list[Notice] = []
    options = options_of(cfg)
    for option in loss.options:  # of its kind, one of its choices, clamped into its bound
        options[option.name] = option.parse(options[option.name], notices)
    tables = {}
    for spec in loss.tables(options):
        rows = cfg.table(spec.name)
        if rows is None:
            if spec.optional:
                continue
            raise InputError("error.loss.empty", table=spec.name)
        tables[spec.name] = _bounded(spec, rows, notices)
    checked = config(cfg.loss, tables, options, cfg.reduction)
    parse(checked)
    return checked, notices


def _bounded(spec: TableSpec, rows: Table, notices: list[Notice]) -> Table:
    """rows cut to MAX_ROWS samples (or CLASSES' C, for a row per class) and MAX_COLUMNS
    columns, each cut with a notice."""
    most = {"N": MAX_ROWS, "C": int(CLASSES.high)}.get(spec.rows)
    if most is not None and len(rows) > most:
        notices.append(Notice("notice.loss.rows", {"table": spec.name, "rows": len(rows),
                                                   "used": most}))
        rows = rows[:most]
    widest = max(len(row) for row in rows) if rows else 0
    if widest > MAX_COLUMNS:
        notices.append(Notice("notice.loss.columns", {"table": spec.name, "columns": widest,
                                                      "used": MAX_COLUMNS}))
        rows = tuple(row[:MAX_COLUMNS] for row in rows)
    return rows


def classes(typed: int) -> tuple[int, list[Notice]]:
    """The number of columns C the tables get, clamped into CLASSES with a notice that names the
    control as the page labels it (Columns C), not the bound."""
    notices: list[Notice] = []
    used = CLASSES.parse(typed, notices)
    return used, [Notice("notice.loss.classes", notice.params) for notice in notices]


def parse(cfg: LossConfig) -> Tensors:
    """The typed tables as tensors, or an InputError naming table, row, column and rule. The
    first table fixes N (its rows) and C (its columns)."""
    loss, options = entry(cfg), options_of(cfg)
    specs = loss.tables(options)
    if loss.parse is not None:
        return loss.parse({spec.name: cfg.table(spec.name) for spec in specs}, options)
    first = cfg.table(specs[0].name)
    if not first or not first[0]:
        raise InputError("error.loss.empty", table=specs[0].name)
    n, c = len(first), len(first[0])
    ignore_index = options.get("ignore_index")  # None: every index must be a class
    return {spec.name: tables_.parse_table(spec, cfg.table(spec.name), n, c, ignore_index,
                                           specs[0].name)
            for spec in specs if cfg.table(spec.name) is not None}


# ---- The run ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LossResult:
    steps: pd.DataFrame  # every stage, one row per sample or element
    losses: dict[str, float]  # "sum", "mean" (and "batchmean"): torch's values
    none: list  # torch's reduction="none", nested as torch prints it
    none_shape: tuple[int, ...]
    by_hand: dict[str, float]  # "sum" and "mean" from the stage table
    denominator: float
    denominator_kind: str
    gradients: pd.DataFrame  # table, sample, class, input, autograd, closed_form, diff
    checks: pd.DataFrame  # check, table (the gradient's, else ""), max_abs_diff, agrees
    # x, loss: one element's loss as a function of x; where the family is drawn together, one
    # line per loss of it: series (its name) and own (this loss's line), and where the family
    # has one, gradient (d loss / d x); lines for several class weights: series and own too
    curve: pd.DataFrame
    # sample, class, x, loss, sample_loss (and gradient): the typed elements on it
    marks: pd.DataFrame
    curve_axis: str
    nonfinite: list[str] = field(default_factory=list)
    reduction_text: str = "loss.reduction_math"
    views: tuple[View, ...] = ()  # the entry's own pictures, of sample 0
    alternative: dict[str, float] = field(default_factory=dict)  # reduction -> the meant call's
    curve_top: float | None = None  # the y range's top (lines above it are cut at the edge)
    # option, value, x: where a drawn loss changes form (beta, delta), at ±value
    thresholds: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["option", "value", "x"]))
    notes: tuple[tuple[str, dict], ...] = ()
    grad_notes: tuple[tuple[str, dict], ...] = ()  # as notes, under the gradients


def run(cfg: LossConfig) -> LossResult:
    loss, options = entry(cfg), options_of(cfg)
    t = parse(cfg)
    steps = loss.steps(t, options, cfg.reduction)
    torch_losses = {r: loss.make(t, options, r)(*loss.arguments(t, options))
                    for r in loss.reductions}
    by_hand = _reduced(loss, steps.per_element, steps.denominator, steps.mean)
    autograd = _autograd(loss, t, options, cfg.reduction)
    tolerances = {name: _tolerance(steps.grad_tolerance, name, grad)
                  for name, grad in autograd.items()}

    checks = [_check(*check) for check in [
        *steps.checks, ("per_sample", steps.per_element, torch_losses["none"]),
        *((r, by_hand[r], torch_losses[r]) for r in by_hand)]]
    checks += [_check("gradient", steps.grads[name], autograd[name], tolerances[name],
                      table=name) for name in autograd]
    if loss.functional is not None:
        checks.append(_check("functional", torch_losses[cfg.reduction],
                             loss.functional(t, options, cfg.reduction)))
    gradients = pd.concat([
        _long({"input": t[name], "autograd": autograd[name], "closed_form": steps.grads[name],
               "diff": (autograd[name] - steps.grads[name]).abs(),
               "tolerance": tolerances[name]}).assign(table=name)
        for name in autograd], ignore_index=True)
    drawn = _drawn(cfg, t, steps)
    nonfinite = [name for name, value in (("loss", torch_losses[cfg.reduction]),
                                          *(("gradient", g) for g in autograd.values()))
                 if not torch.isfinite(value).all()]
    none = torch_losses["none"]
    return LossResult(
        steps=steps.table, losses={r: torch_losses[r].item() for r in by_hand},
        none=none.tolist(), none_shape=tuple(none.shape),
        by_hand={k: v.item() for k, v in by_hand.items()},
        denominator=steps.denominator.item(), denominator_kind=steps.denominator_kind,
        gradients=gradients,
        checks=pd.DataFrame(checks),
        nonfinite=list(dict.fromkeys(nonfinite)), reduction_text=steps.reduction_text,
        views=loss.views(t, options, 0) if loss.views else (),
        alternative={} if steps.alternative is None else {
            r: v.item() for r, v in _reduced(loss, steps.alternative,
                                             steps.denominator).items()},
        notes=steps.notes, grad_notes=steps.grad_notes, **drawn)


def _autograd(loss: Loss, t: Tensors, options: Options, reduction: str) -> Tensors:
    """torch's gradient of the loss (summed, for reduction='none') w.r.t. each table it is
    taken w.r.t."""
    leaves = {name: t[name].clone().requires_grad_() for name in loss.differentiable}
    tensors = {**t, **leaves}
    out = loss.make(tensors, options, reduction)(*loss.arguments(tensors, options))
    return dict(zip(leaves, torch.autograd.grad(out.sum(), list(leaves.values())), strict=True))


def _tolerance(tolerance: float | Tensors, name: str, grad: torch.Tensor) -> torch.Tensor:
    """A gradient's tolerance for each of its elements."""
    own = tolerance.get(name, 1e-5) if isinstance(tolerance, dict) else tolerance
    return torch.as_tensor(own, dtype=torch.float64).expand(grad.shape)


def _drawn(cfg: LossConfig, t: Tensors, steps: Steps) -> dict:
    """What the curve view draws: the curve (or the family's curves, with their gradient where
    the family has one), the typed elements on it, its axis, top and threshold rules."""
    loss, options = entry(cfg), options_of(cfg)
    curve, marks = _curve(loss, options, steps)
    family = FAMILIES.get(loss.family)
    members = _members(cfg, options)
    if family is None or not family.together or len(members) < 2:
        return {"curve": curve, "marks": marks,
                "curve_axis": (steps.curve or loss.curve(options)).axis,
                "thresholds": _thresholds({loss.name: options})}
    low, high = family.span(t)  # the family's curves on one chart, this loss's among them
    curve = family_curves(family, t, members, low, high, 201, split=True,
                          gradient=family.gradient is not None).rename(
        columns={"loss": "series", "value": "loss"})
    curve = curve.assign(own=curve["loss_name"] == loss.name).drop(columns="loss_name")
    if family.gradient is not None:  # each element's own gradient, torch's, w.r.t. x
        element = _autograd(loss, t, options, "none")[loss.differentiable[0]]
        marks = marks.assign(gradient=family.gradient(t, element).flatten().tolist())
    return {"curve": curve, "marks": marks, "curve_axis": family.axis,
            "curve_top": family.top(low, high) if family.top else None,
            "thresholds": _thresholds(members)}


def views(cfg: LossConfig, sample: int) -> tuple[View, ...]:
    """The entry's own pictures of another sample (run draws sample 0's)."""
    loss, options = entry(cfg), options_of(cfg)
    return loss.views(parse(cfg), options, sample) if loss.views else ()


def _members(cfg: LossConfig, options: Options) -> dict[str, Options]:
    """The losses comparable with cfg's, each with cfg's value of an option it shares, the
    family's own for it (member_options), and its own default of the others (so beta and delta
    keep what was chosen)."""
    fixed = _member_options(entry(cfg))
    return {name: {o.name: options.get(o.name, o.default) for o in LOSSES[name].options}
            | ({} if name == cfg.loss else fixed.get(name, {}))
            for name in comparable(cfg)}


def _member_options(loss: Loss) -> dict[str, Options]:
    family = FAMILIES.get(loss.family)
    return family.member_options if family is not None else {}


def _thresholds(members: dict[str, Options]) -> pd.DataFrame:
    """option, value, x: each threshold option of the drawn losses at −value and +value."""
    rows = [{"option": option, "value": float(options[option]), "x": sign * float(options[option])}
            for name, options in members.items() for option in LOSSES[name].thresholds
            if float(options[option]) > 0 for sign in (-1, 1)]
    return pd.DataFrame(rows, columns=["option", "value", "x"])


def family_curves(family: Family, t: Tensors, members: dict[str, Options], low: float,
                  high: float, points: int, split: bool = False,
                  gradient: bool = False) -> pd.DataFrame:
    """loss, x, value: each member's loss along the family's quantity, as torch computes it on
    the typed tables with that quantity set to each x (reduction='none', one row per x). split:
    a line per column of the probe (family.columns), named "loss, column", where their numbers
    differ by more than a chart shows (loss_name: the member's name). gradient: also
    d value / d x, torch's autograd."""
    xs = torch.linspace(low, high, points).requires_grad_(gradient)
    probe = family.probe(t, xs)
    columns = family.columns if split and family.columns else ("",)
    frames = []
    for name, options in members.items():
        loss = LOSSES[name]
        with torch.set_grad_enabled(gradient):
            values = loss.make(probe, options, "none")(*loss.arguments(probe, options))
        values = values.reshape(points, -1)[:, :len(columns)]
        lines = {"value": list(values.unbind(1))}
        if gradient:
            lines["gradient"] = [torch.autograd.grad(v.sum(), xs, retain_graph=True)[0]
                                 for v in lines["value"]]
        one = all(_alike(line[0], line[k]) for line in lines.values()
                  for k in range(1, len(columns)))
        for k, column in enumerate(columns[:1] if one else columns):
            frames.append(pd.DataFrame({
                "loss": f"{name}, {column}" if column and not one else name, "loss_name": name,
                "x": xs.tolist(), **{key: line[k].tolist() for key, line in lines.items()}}))
    return pd.concat(frames, ignore_index=True)


def _alike(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Two lines no chart tells apart: within 1e-3 of each other's size, or 1e-6."""
    return torch.allclose(a, b, rtol=1e-3, atol=1e-6, equal_nan=True)


def _reduced(loss: Loss, per_element: torch.Tensor, denominator: torch.Tensor,
             mean: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Every reduction the loss takes but none, by hand: sum, mean (sum / denominator, unless the
    entry computes its own) and batchmean (sum / the batch size). A zero denominator (every
    picked weight 0, every sample ignored) makes torch's mean nan, and this one too."""
    total = per_element.sum()
    if mean is None:
        mean = total / denominator if denominator != 0 else torch.tensor(torch.nan)
    by_hand = {"sum": total, "mean": mean, "batchmean": total / per_element.shape[0]}
    return {r: by_hand[r] for r in loss.reductions if r != "none"}


def _long(columns: dict[str, torch.Tensor]) -> pd.DataFrame:
    """One row per element: sample (and class, for N x C tensors) and the columns' values."""
    first = next(iter(columns.values()))
    n = first.shape[0] if first.dim() else 1
    per_row = first.numel() // max(n, 1)
    index = {"sample": torch.arange(n).repeat_interleave(per_row).tolist(),
             "class": torch.arange(per_row).repeat(n).tolist()}
    return pd.DataFrame({**index, **{k: v.detach().flatten().tolist()
                                     for k, v in columns.items()}})


def _check(name: str, mine: torch.Tensor, theirs: torch.Tensor,
           atol: float | torch.Tensor = 1e-5, table: str = "") -> dict:
    """Whether mine is theirs up to atol (one number, or one per element) and a relative 1e-5,
    nan where both are nan and an infinity where both are that infinity."""
    mine, theirs = torch.as_tensor(mine).double(), torch.as_tensor(theirs).double()
    same = (mine == theirs) | (mine.isnan() & theirs.isnan())
    diff = torch.where(same, 0.0, (mine - theirs).abs())
    agrees = bool((same | ((diff <= atol + 1e-5 * theirs.abs()) & diff.isfinite())).all())
    return {"check": name, "table": table,
            "max_abs_diff": diff.max().item() if diff.numel() else 0.0, "agrees": agrees}


def _curve(loss: Loss, options: Options, steps: Steps) -> tuple[pd.DataFrame, pd.DataFrame]:
    curve = steps.curve or loss.curve(options)
    xs = torch.linspace(curve.low, curve.high, 201, dtype=torch.float64)
    at = steps.curve_x.double().flatten()
    frame = _long({"x": steps.per_element.reshape(steps.per_element.shape or (1,))})
    mark_y = curve.loss(at) if steps.curve_y is None else steps.curve_y.flatten()
    marks = pd.DataFrame({"sample": frame["sample"], "class": frame["class"],
                          "x": at.tolist(), "loss": mark_y.tolist(),
                          "sample_loss": frame["x"]})
    line = curve.loss(xs)
    if set(curve.weights) <= {1.0}:  # no weight, or only 1: the curve is the loss itself
        return pd.DataFrame({"x": xs.tolist(), "loss": line.tolist()}), marks
    # a line per class weight the samples pick: w·loss, named by its weight
    return pd.concat([pd.DataFrame({"x": xs.tolist(), "loss": (w * line).tolist(),
                                    "series": f"w = {w:g}", "own": True})
                      for w in sorted(set(curve.weights))], ignore_index=True), marks


# ---- The script that reproduces a view -------------------------------------------------------

def _literal(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"torch.tensor({value.tolist()})"
    return repr(value)


def to_script(cfg: LossConfig) -> str:
    """A runnable PyTorch script, in the course's style, printing this view's losses for the
    three reductions and the gradient of the chosen one w.r.t. each input table."""
    loss, options = entry(cfg), options_of(cfg)
    t = parse(cfg)
    if loss.script is not None:
        return loss.script(t, options, cfg.reduction)
    kwargs = "".join(f"{size}, " for size in (loss.positional(t) if loss.positional else ()))
    kwargs += "".join(f"{o.name}={o.code(options[o.name])}, " for o in loss.passed(options))
    kwargs += "".join(f"{name}={name}, " for name, value in loss.constructor(t, options).items()
                      if isinstance(value, torch.Tensor))
    lines = [f"{name} = {_literal(value)}" for name, value in t.items()]
    call = ", ".join(loss.arguments_code(options))
    # a table that is the module's own parameter is copied into it, and its gradient read there
    owned = "".join(f"with torch.no_grad():\n    loss_f.{attr}.copy_({name})\n"
                    for name, attr in loss.owned.items())
    leaves = "\n".join(f"{name} = {name}.clone().requires_grad_()"
                       for name in loss.differentiable if name not in loss.owned)
    grads = "\n".join(
        f'print("grad_{name}", {f"loss_f.{loss.owned[name]}" if name in loss.owned else name}'
        '.grad.tolist())' for name in loss.differentiable)
    return f'''import torch
import torch.nn as nn
import torch.nn.functional as F

{chr(10).join(lines)}

for reduction in {loss.reductions!r}:
    loss_f = nn.{loss.name}({kwargs}reduction=reduction)
{textwrap.indent(owned, "    ")}    print(reduction, loss_f({call}).tolist())

{leaves}
loss_f = nn.{loss.name}({kwargs}reduction={cfg.reduction!r})
{owned}loss = loss_f({call})
loss.sum().backward()  # for reduction="none": the gradient of the sum of the losses
{grads}
'''


# ---- Tables for the page ---------------------------------------------------------------------

def fit_tables(cfg: LossConfig, typed: dict[str, Table], classes: int) -> dict[str, Table]:
    """typed, cut or padded to the entry's tables at C = classes: what was typed is kept."""
    loss, options = entry(cfg), options_of(cfg)
    specs = loss.tables(options)
    if loss.fit is not None:
        return loss.fit(typed, classes, options)
    first = typed.get(specs[0].name) or ()
    n = max(len(first), 1)
    return {spec.name: tables_.reshape(spec, typed.get(spec.name), classes, n) for spec in specs}


# ---- The same inputs through the other losses of the family ---------------------------------

def comparable(cfg: LossConfig) -> list[str]:
    """The losses of cfg's family that take the same tables (names and kinds), cfg's own first."""
    loss, options = entry(cfg), options_of(cfg)
    fixed = _member_options(loss)

    def signature(other: Loss) -> tuple:
        defaults = {o.name: o.default for o in other.options} | fixed.get(other.name, {})
        return tuple((s.name, s.kind) for s in other.tables(defaults) if not s.optional)

    mine = tuple((s.name, s.kind) for s in loss.tables(options) if not s.optional)
    return [loss.name] + [other.name for other in LOSSES.values() if other is not loss
                          and other.family == loss.family and signature(other) == mine]


@dataclass(frozen=True)
class Comparison:
    totals: pd.DataFrame  # loss, sum, mean
    # sample, class, x (where the family has a shared quantity), then one column per loss:
    # reduction="none"
    elements: pd.DataFrame
    curves: pd.DataFrame  # loss, x, value: the curves on one axis (empty: fewer than two)
    axis: str  # the curves' quantity (loss.axis_AXIS)
    marks: pd.DataFrame  # loss, sample, class, x, value: the typed elements on the curves
    thresholds: pd.DataFrame  # as LossResult's, of the losses compared
    top: float | None = None  # as LossResult's curve_top


def compare(cfg: LossConfig, names: tuple[str, ...] | None = None) -> Comparison:
    """The comparable losses (names: those of them to compare, in comparable's order) on cfg's
    tables, each with its own default options except those it shares with cfg (so beta and delta
    keep what was chosen). The curves: along the family's shared quantity, each computed by torch
    on these tables; for a family without one, the losses whose own curves share cfg's axis."""
    options = options_of(cfg)
    members = {name: mine for name, mine in _members(cfg, options).items()
               if names is None or name in names}
    runs = _runs(cfg, members)
    if not runs:
        empty = pd.DataFrame(columns=["loss", "x", "value"])
        return Comparison(pd.DataFrame(columns=["loss", "sum", "mean"]), pd.DataFrame(), empty,
                          entry(cfg).curve(options).axis, empty, _thresholds({}))
    compared = {name: members[name] for name in runs}
    family = FAMILIES.get(entry(cfg).family)
    found = _along_family(family, runs, compared) if family is not None \
        else _along_own_curves(entry(cfg).curve(options).axis, runs, compared)
    if found["curves"]["loss"].nunique() < 2:  # one line compares nothing
        found["curves"] = found["marks"] = pd.DataFrame(columns=["loss", "x", "value"])
    return Comparison(
        totals=pd.DataFrame([{"loss": n, "sum": r.losses["sum"], "mean": r.losses["mean"]}
                             for n, (_, r) in runs.items()]),
        thresholds=_thresholds(compared), **found)


def _runs(cfg: LossConfig, members: dict[str, Options]) -> dict:
    """Each member's view of cfg's tables, validated and run: name -> (config, result). A member
    whose rule a typed cell breaks (ignore_index: no class) is left out."""
    runs = {}
    for name, mine in members.items():
        tables = {s.name: cfg.table(s.name) for s in LOSSES[name].tables(mine)
                  if cfg.table(s.name) is not None}
        try:
            checked, _ = validate(config(name, tables, mine, cfg.reduction))
        except InputError:
            continue
        runs[name] = (checked, run(checked))
    return runs


def _elementwise(runs: dict) -> tuple[pd.DataFrame, dict[str, list[float]]]:
    """The elements' sample and class, and each loss's reduction='none' flat."""
    first = next(iter(runs.values()))[1]
    return first.marks[["sample", "class"]], {
        name: torch.tensor(result.none).flatten().tolist() for name, (_, result) in runs.items()}


def _along_family(family: Family, runs: dict, members: dict[str, Options]) -> dict:
    """The losses along the family's quantity, torch's on the first member's tables; the
    elements the curves pass through marked on every one."""
    t = parse(next(iter(runs.values()))[0])
    index, losses_of = _elementwise(runs)
    low, high = family.span(t)
    at, on = family.at(t).flatten().tolist(), family.on_curve(t).flatten().tolist()
    return {"elements": index.assign(x=at, **losses_of), "axis": family.axis,
            "curves": family_curves(family, t, members, low, high, 121).drop(
                columns="loss_name"),
            "marks": pd.concat([index.assign(loss=n, x=at, value=v)[on]
                                for n, v in losses_of.items()], ignore_index=True),
            "top": family.top(low, high) if family.top else None}


def _along_own_curves(axis: str, runs: dict, members: dict[str, Options]) -> dict:
    """Each loss's own curve where it is drawn along axis (the others compared by numbers only),
    its elements on it."""
    curves = []
    for name in runs:
        curve = LOSSES[name].curve(members[name])
        if curve.axis == axis:
            xs = torch.linspace(curve.low, curve.high, 121, dtype=torch.float64)
            curves.append(pd.DataFrame({"loss": name, "x": xs.tolist(),
                                        "value": curve.loss(xs).tolist()}))
    columns = ["loss", "sample", "class", "x", "value"]
    curves = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
        columns=["loss", "x", "value"])
    index, losses_of = _elementwise(runs)
    marks = [result.marks.assign(loss=name, value=result.marks["loss"])[columns]
             for name, (_, result) in runs.items() if name in set(curves["loss"])]
    return {"elements": index.assign(**losses_of), "axis": axis, "curves": curves,
            "marks": pd.concat(marks or [pd.DataFrame(columns=columns)], ignore_index=True)}
