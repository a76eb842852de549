"""CTCLoss: the loss of a label sequence read off a longer sequence of per-step class scores,
summed over every alignment. By hand: the forward variables α over time × extended label (the
target with blanks interleaved), in log space, the backward variables β, and from both the
gradient and each cell's share of all alignments; the lattice of a picked sample draws α and
those shares, with the most probable alignment over them.

The tables: logits (N·T × C: sample 0's T time steps, then sample 1's...; the loss gets
log_softmax of them as torch's (T, N, C) log-probabilities), targets (N × S class indices, blank
excluded; cells after a sample's target length are padding torch ignores), input_lengths and
target_lengths (one per sample)."""

from __future__ import annotations

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.errors import InputError
from core.losses.registry import (
    Curve,
    Loss,
    Options,
    Preset,
    Steps,
    Tensors,
    View,
    register,
)
from core.losses.tables import Table, TableSpec, number
from core.settings import Setting

SPECS = (TableSpec("logits", "logits", rows="N·T"),
         TableSpec("targets", "labels", columns="S"),
         TableSpec("input_lengths", "lengths", columns="1"),
         TableSpec("target_lengths", "lengths", columns="1"))
NEG_INF = float("-inf")
# logits rows, N·T, one view computes: the course's 16 samples × 50 steps, its α, β and lattices
# within a move's 300 ms of CPU (bench/loss.py); more is refused with a message that says so
MAX_STEPS = 800


# ---- Typed tables -> tensors, or a message naming table, row, column and rule ---------------

def _integers(table: str, rows: Table) -> list[list[int]]:
    values = []
    for r, row in enumerate(rows):
        values.append([])
        for c, cell in enumerate(row):
            value = number(table, r, c, cell)
            if value != int(value):
                raise InputError("error.loss.not_integer", table=table, row=r, column=c,
                                 value=f"{value:g}")
            values[-1].append(int(value))
    return values


def needed_length(target: list[int]) -> int:
    """The fewest time steps that can emit target: one per label, and a blank between two equal
    neighbours (otherwise they would merge into one)."""
    return len(target) + sum(a == b for a, b in zip(target, target[1:], strict=False))


def parse(tables: dict[str, Table | None], options: Options) -> Tensors:
    for spec in SPECS:
        rows = tables.get(spec.name)
        if not rows or not rows[0]:
            raise InputError("error.loss.empty", table=spec.name)
    targets = _integers("targets", tables["targets"])
    n, s = len(targets), len(targets[0])
    for name in ("input_lengths", "target_lengths"):
        if len(tables[name]) != n:
            raise InputError("error.loss.rows", table=name, rows=len(tables[name]), expected=n,
                             first="targets")
    logit_rows = tables["logits"]
    if len(logit_rows) > MAX_STEPS:
        raise InputError("error.loss.ctc_steps", table="logits", rows=len(logit_rows),
                         most=MAX_STEPS)
    if len(logit_rows) % n:
        raise InputError("error.loss.ctc_rows", table="logits", rows=len(logit_rows), n=n)
    t_max, c = len(logit_rows) // n, len(logit_rows[0])
    logits = torch.tensor([[number("logits", r, col, cell) for col, cell in enumerate(row)]
                           for r, row in enumerate(logit_rows)], dtype=torch.float32)
    blank = int(options["blank"])
    if not 0 <= blank < c:
        raise InputError("error.loss.ctc_blank_range", blank=blank, high=c - 1)
    input_lengths = [row[0] for row in _integers("input_lengths", tables["input_lengths"])]
    target_lengths = [row[0] for row in _integers("target_lengths", tables["target_lengths"])]
    for r, length in enumerate(input_lengths):
        if not 1 <= length <= t_max:
            raise InputError("error.loss.ctc_input_length", table="input_lengths", row=r,
                             column=0, value=length, high=t_max)
    for r, length in enumerate(target_lengths):
        if not 0 <= length <= s:
            raise InputError("error.loss.ctc_target_length", table="target_lengths", row=r,
                             column=0, value=length, high=s)
    for r, row in enumerate(targets):
        for col, label in enumerate(row[:target_lengths[r]]):  # the rest is padding
            if label == blank:
                raise InputError("error.loss.ctc_blank_in_target", table="targets", row=r,
                                 column=col, blank=blank)
            if not 0 <= label < c:
                raise InputError("error.loss.index_range", table="targets", row=r, column=col,
                                 value=label, high=c - 1)
        needed = needed_length(row[:target_lengths[r]])
        if input_lengths[r] < needed and not options["zero_infinity"]:
            raise InputError("error.loss.ctc_too_short", table="input_lengths", row=r, column=0,
                             value=input_lengths[r], needed=needed,
                             length=target_lengths[r], repeats=needed - target_lengths[r])
    return {"logits": logits, "targets": torch.tensor(targets),
            "input_lengths": torch.tensor(input_lengths),
            "target_lengths": torch.tensor(target_lengths)}


def fit(typed: dict[str, Table], classes: int, options: Options) -> dict[str, Table]:
    """The logits cut or padded to C columns; the other tables as typed."""
    def cut(rows: Table | None, default: Table) -> Table:
        return rows if rows and rows[0] else default
    logits = cut(typed.get("logits"), (("0",),))
    return {"logits": tuple(tuple(row[:classes]) + ("0",) * (classes - len(row))
                            for row in logits),
            "targets": cut(typed.get("targets"), (("1",),)),
            "input_lengths": cut(typed.get("input_lengths"), (("1",),)),
            "target_lengths": cut(typed.get("target_lengths"), (("1",),))}


def log_probs(t: Tensors) -> torch.Tensor:
    """The logits table as torch's (T, N, C) log-probabilities."""
    n = len(t["input_lengths"])
    return t["logits"].reshape(n, -1, t["logits"].shape[1]).transpose(0, 1).log_softmax(2)


# ---- By hand: α, β, the loss, γ and the gradient, one sample at a time ----------------------

def extended(target: list[int], blank: int) -> list[int]:
    """blank, l1, blank, l2, ..., blank: the states an alignment walks through."""
    states = [blank]
    for label in target:
        states += [label, blank]
    return states


def _skips(states: list[int], blank: int) -> list[bool]:
    """Where a path may jump two states (from the label before, over a blank): into a label
    that differs from the label two states back."""
    return [s >= 2 and states[s] != blank and states[s] != states[s - 2]
            for s in range(len(states))]


def _shift(x: torch.Tensor, by: int) -> torch.Tensor:
    """x[..., s − by] at s (−inf where s < by)."""
    return torch.cat([torch.full(x.shape[:-1] + (by,), NEG_INF, dtype=x.dtype), x[..., :-by]],
                     dim=-1)[..., :x.shape[-1]]


def forward_batch(emit: torch.Tensor, skips: torch.Tensor, best: bool = False) -> torch.Tensor:
    """log α_t(s) for N samples at once: emit (N, T, S') is the log-probability of each state's
    label at each step (−inf on padding states). α_0 starts in the first blank or the first
    label; α_t(s) = emit_t(s) + logsumexp(α_{t−1}(s), α_{t−1}(s−1), α_{t−1}(s−2) where a skip
    is allowed). best: max instead of logsumexp (the most probable path's score)."""
    alpha = torch.full(emit.shape, NEG_INF, dtype=torch.float64)
    alpha[:, 0, :2] = emit[:, 0, :2]
    for t in range(1, emit.shape[1]):
        prev = alpha[:, t - 1]
        incoming = torch.stack([prev, _shift(prev, 1),
                                torch.where(skips, _shift(prev, 2), NEG_INF)])
        alpha[:, t] = emit[:, t] + (incoming.max(0).values if best else incoming.logsumexp(0))
    return alpha


def _emissions(lp: torch.Tensor, lengths: list[int], states: list[list[int]],
               reverse: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """emit (N, T, S') and skips (N, S') of each sample's states, padded with −inf; reverse:
    each sample's own steps and states back to front (β is α of the reversed sequence)."""
    n, t_max = len(states), lp.shape[1]
    size = max(len(s) for s in states)
    emit = torch.full((n, t_max, size), NEG_INF, dtype=torch.float64)
    skips = torch.zeros(n, size, dtype=torch.bool)
    for i, (own, length) in enumerate(zip(states, lengths, strict=True)):
        own = own[::-1] if reverse else own
        steps = lp[i, :length].flip(0) if reverse else lp[i, :length]
        emit[i, :length, :len(own)] = steps[:, own]
        skips[i, :len(own)] = torch.tensor(_skips(own, own[0]))
    return emit, skips


def forward(lp: torch.Tensor, states: list[int], blank: int, best: bool = False) -> torch.Tensor:
    """log α_t(s) of one sample (lp: its (T, C) log-probabilities, float64)."""
    emit, skips = _emissions(lp[None], [len(lp)], [states])
    return forward_batch(emit, skips, best)[0]


def best_path(lp: torch.Tensor, states: list[int], blank: int) -> list[int]:
    """The most probable alignment's state at each step (Viterbi over the same lattice)."""
    score = forward(lp, states, blank, best=True)
    skips = _skips(states, blank)
    size = len(states)
    s = size - 1 if size == 1 or score[-1, -1] >= score[-1, -2] else size - 2
    path = [s]
    for t in range(len(lp) - 1, 0, -1):
        options = [s] + ([s - 1] if s >= 1 else []) + ([s - 2] if s >= 2 and skips[s] else [])
        s = max(options, key=lambda o: score[t - 1, o].item())
        path.append(s)
    return path[::-1]


def _lattice(lp: torch.Tensor, lengths: list[int], states: list[list[int]]) -> tuple:
    """(emit, α, β, log p): each step's log-probability of each state's label, the forward and
    backward variables over time × extended label (β by the forward pass run backwards), and
    each sample's log p, the logsumexp of α at its last step over its last two states."""
    emit, skips = _emissions(lp, lengths, states)
    alpha = forward_batch(emit, skips)
    beta_reversed = forward_batch(*_emissions(lp, lengths, states, reverse=True))
    beta = torch.full(alpha.shape, NEG_INF, dtype=torch.float64)
    log_p = torch.empty(len(lengths), dtype=torch.float64)
    for i, (length, own) in enumerate(zip(lengths, states, strict=True)):
        beta[i, :length, :len(own)] = beta_reversed[i, :length, :len(own)].flip(0).flip(1)
        log_p[i] = alpha[i, length - 1, max(len(own) - 2, 0):len(own)].logsumexp(0)
    return emit, alpha, beta, log_p


def _through_labels(emit: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor,
                    states: list[list[int]], classes: int) -> torch.Tensor:
    """log γ_t(k), (N, T, C): the probability of all paths through label k at step t (α·β
    counts the step's emission twice), summed over the states labelled k."""
    through = torch.where(torch.isfinite(emit), alpha + beta - emit, NEG_INF)
    labels = torch.full((len(states), alpha.shape[2]), -1)
    for i, own in enumerate(states):
        labels[i, :len(own)] = torch.tensor(own)
    picks = labels[:, None, :, None] == torch.arange(classes)  # (N, 1, S', C)
    return torch.where(picks, through[..., None], NEG_INF).logsumexp(2)


def _steps(t: Tensors, options: Options, reduction: str) -> Steps:
    blank, zero_infinity = int(options["blank"]), bool(options["zero_infinity"])
    n = len(t["input_lengths"])
    lp = t["logits"].double()
    lp = lp.reshape(n, -1, lp.shape[1]).log_softmax(2)  # (N, T, C), float64
    t_max, c = lp.shape[1], lp.shape[2]
    lengths = t["input_lengths"].tolist()
    target_lengths = t["target_lengths"].tolist()
    targets = [t["targets"][i, :target_lengths[i]].tolist() for i in range(n)]
    states = [extended(target, blank) for target in targets]
    emit, alpha, beta, log_p = _lattice(lp, lengths, states)
    gamma = _through_labels(emit, alpha, beta, states, c)
    steps_used = torch.arange(t_max)[None, :, None] < t["input_lengths"][:, None, None]
    feasible = torch.isfinite(log_p)
    grads = torch.where(steps_used & feasible[:, None, None],
                        lp.exp() - (gamma - log_p[:, None, None]).exp(), 0.0)
    per_sample = torch.where(feasible | ~torch.tensor(zero_infinity), -log_p, 0.0)
    table = pd.DataFrame({
        "sample": range(n), "input_length": lengths, "target_length": target_lengths,
        "states_2S_plus_1": [len(s) for s in states],
        "needed_length": [needed_length(target) for target in targets],
        "log_p_by_alpha": log_p.tolist(), "loss": per_sample.tolist(),
        "loss_over_target_length": (per_sample / t["target_lengths"].clamp(min=1)).tolist()})
    divisors = t["target_lengths"].clamp(min=1).double()
    scale = 1 / (divisors * n) if reduction == "mean" else torch.ones(n, dtype=torch.float64)
    grads = (grads * scale[:, None, None]).reshape(-1, c).float()
    curve_x = -per_sample
    finite = curve_x[torch.isfinite(curve_x)]  # the curve reaches the lowest sample shown
    low = min(finite.min().item() if len(finite) else 0.0, -1.0) - 1.0
    # torch's float32 exp(α + β − lp − log p) loses about |log p| float32 steps
    tolerance = max(1e-5, 1e-6 * (finite.abs().max().item() if len(finite) else 0.0))
    checks = [("log_softmax", lp.float().transpose(0, 1), log_probs(t)),
              # the share of alignments through each label at each step, γ/p, is what torch's
              # gradient w.r.t. its log-probabilities leaves beside exp(log p): exp(lp) − grad
              ("ctc_occupancy", torch.where(steps_used & feasible[:, None, None],
                                            (gamma - log_p[:, None, None]).exp(), 0.0),
               _torch_occupancy(t, options, steps_used & feasible[:, None, None]), tolerance)]
    return Steps(table, per_sample.float(), torch.tensor(float(n)),
                 "target_lengths", {"logits": grads}, checks, curve_x,
                 curve=Curve("ctc", low, 0.0, lambda x: -x),
                 mean=(per_sample / divisors).mean().float(),
                 reduction_text="loss.reduction_math_target_lengths",
                 grad_tolerance=tolerance)


def _torch_occupancy(t: Tensors, options: Options, used: torch.Tensor) -> torch.Tensor:
    """(N, T, C): exp(log p) − torch's gradient of the summed CTC loss w.r.t. its (T, N, C)
    log-probabilities, where used (0 elsewhere, and for a sample without any alignment)."""
    leaf = log_probs(t).detach().clone().requires_grad_()
    loss = F.ctc_loss(leaf, t["targets"], t["input_lengths"], t["target_lengths"],
                      blank=int(options["blank"]), reduction="sum", zero_infinity=True)
    (grad,) = torch.autograd.grad(loss, leaf)
    return torch.where(used, (leaf.detach().exp() - grad).transpose(0, 1).double(), 0.0)


def lattices(t: Tensors, options: Options, sample: int) -> tuple[View]:
    """One sample's lattice over time × extended label, drawn twice: log α, and the share of all
    alignments through each cell, exp(α + β − log p(label) − log p) (the cells of a step add up
    to 1), each with the most probable alignment drawn over it. Cells no alignment reaches are
    left out; cells α reaches but from which the end cannot be reached (β = 0) are kept, marked
    as not on any complete path, and have no colour."""
    blank = int(options["blank"])
    n = len(t["input_lengths"])
    lp = t["logits"].double().reshape(n, -1, t["logits"].shape[1]).log_softmax(2)[sample]
    lp = lp[:int(t["input_lengths"][sample])]
    target = t["targets"][sample, :int(t["target_lengths"][sample])].tolist()
    states = extended(target, blank)
    names = [f"{s}: {'∅' if label == blank else label}" for s, label in enumerate(states)]
    alpha = forward(lp, states, blank)
    beta = backward(lp, states, blank)
    log_p = alpha[-1, max(len(states) - 2, 0):].logsumexp(0)
    complete = torch.isfinite(alpha) & torch.isfinite(beta) & torch.isfinite(log_p)
    occupancy = torch.where(complete, (alpha + beta - lp[:, states] - log_p).exp(), 0.0)
    cells = [{"time": step, "state": names[s], "s": s, "log_alpha": alpha[step, s].item(),
              "log_beta": beta[step, s].item(), "occupancy": occupancy[step, s].item(),
              "complete": bool(complete[step, s])}
             for step in range(len(lp)) for s in range(len(states))
             if torch.isfinite(alpha[step, s])]
    path = [{"time": step, "state": names[s], "s": s, "log_prob": lp[step, states[s]].item()}
            for step, s in enumerate(best_path(lp, states, blank))]
    cells = pd.DataFrame(cells, columns=["time", "state", "s", "log_alpha", "log_beta",
                                         "occupancy", "complete"])
    one = slice(sample, sample + 1)
    theirs = F.ctc_loss(log_probs(t)[:, one], t["targets"][one], t["input_lengths"][one],
                        t["target_lengths"][one], blank=blank, reduction="none")
    params = {"sample": sample, "log_p": log_p.item(), "torch_loss": theirs.item()}
    return (View("ctc_lattices", (cells, pd.DataFrame(path)), {
        "title": "loss.lattice_title", "occupancy_title": "loss.occupancy_title",
        "x_title": "loss.lattice_time", "y_title": "loss.lattice_state",
        "color_title": "loss.lattice_log_alpha", "occupancy_color_title": "loss.lattice_occupancy",
        "path_title": "loss.lattice_path", "open_title": "loss.lattice_open"},
        "loss.lattice_note", note_params=params),)


def backward(lp: torch.Tensor, states: list[int], blank: int) -> torch.Tensor:
    """log β_t(s) of one sample: the log-probability of emitting the rest of the target from
    state s at step t on (this step's emission included), α of the reversed sequence."""
    return forward(lp.flip(0), states[::-1], blank).flip(0).flip(1)


# ---- The course's random example -------------------------------------------------------------

COURSE = {"T": 50, "C": 20, "N": 16, "S": 30, "S_min": 10}
COURSE_SEED = 1


def course_tensors(seed: int = COURSE_SEED) -> Tensors:
    """Drawn in the course script's order from a generator seeded as torch.manual_seed(seed)."""
    g = torch.Generator().manual_seed(seed)
    big_t, c, n, s, s_min = COURSE.values()
    logits = torch.randn(big_t, n, c, generator=g)
    targets = torch.randint(1, c, (n, s), generator=g)
    target_lengths = torch.randint(s_min, s, (n,), generator=g)
    return {"logits": logits.transpose(0, 1).reshape(n * big_t, c), "targets": targets,
            "input_lengths": torch.full((n,), big_t), "target_lengths": target_lengths}


def _text(tensor: torch.Tensor) -> Table:
    """A tensor as table cells: 9 significant digits give a float32 back exactly."""
    rows = tensor.reshape(len(tensor), -1).tolist()
    return tuple(tuple(f"{v:.9g}" if isinstance(v, float) else str(v) for v in row)
                 for row in rows)


def _course_preset() -> Preset:
    return Preset("CTCLoss, the course's T=50, C=20, N=16, S=30 (seeded)",
                  {name: _text(value) for name, value in course_tensors().items()},
                  label="ctc_course")


# a small one to read: C = 4 (blank 0 and labels 1–3), T = 8, target 1 2 2 (the repeated 2
# needs a blank between); the logits favour one alignment
SMALL = Preset("CTCLoss, small: T=8, C=4, target [1, 2, 2]", {
    "logits": (("2", "0.5", "0", "0"), ("0", "2", "0.5", "0"), ("1", "1.5", "0", "0"),
               ("0.5", "0", "2", "0"), ("2", "0", "0.5", "0"), ("0", "0", "2", "0.5"),
               ("1", "0", "1", "0"), ("2", "0", "0", "0")),
    "targets": (("1", "2", "2"),), "input_lengths": (("8",),), "target_lengths": (("3",),)},
    label="ctc_small")


# ---- The script ------------------------------------------------------------------------------

def script(t: Tensors, options: Options, reduction: str) -> str:
    """The course's seeded script when the tables are its draw, else the tables as literals;
    then the three reductions and the gradient w.r.t. the logits, in the table's layout."""
    kwargs = "".join(f"{o.name}={options[o.name]!r}, " for o in OPTIONS
                     if options[o.name] != o.default)
    n, c = len(t["input_lengths"]), t["logits"].shape[1]
    course = course_tensors()
    if all(course[k].shape == v.shape and torch.equal(course[k], v) for k, v in t.items()):
        tables = f'''torch.manual_seed({COURSE_SEED})
T, C, N, S, S_min = {", ".join(str(v) for v in COURSE.values())}
logits = torch.randn(T, N, C)  # the course: input = torch.randn(T, N, C).log_softmax(2)
targets = torch.randint(low=1, high=C, size=(N, S), dtype=torch.long)
input_lengths = torch.full(size=(N,), fill_value=T, dtype=torch.long)
target_lengths = torch.randint(low=S_min, high=S, size=(N,), dtype=torch.long)
logits = logits.transpose(0, 1).reshape(N * T, C)  # the page's table: sample 0's steps first'''
    else:
        tables = f'''N, T, C = {n}, {len(t["logits"]) // n}, {c}
logits = torch.tensor({t["logits"].tolist()})  # N·T × C: sample 0's steps first
targets = torch.tensor({t["targets"].tolist()})
input_lengths = torch.tensor({t["input_lengths"].tolist()})
target_lengths = torch.tensor({t["target_lengths"].tolist()})'''
    return f'''import torch
import torch.nn as nn

{tables}


def log_probs(logits):  # torch's (T, N, C) log-probabilities
    return logits.reshape(N, T, C).transpose(0, 1).log_softmax(2)


for reduction in ("none", "sum", "mean"):
    loss_f = nn.CTCLoss({kwargs}reduction=reduction)
    print(reduction, loss_f(log_probs(logits), targets, input_lengths, target_lengths).tolist())

logits = logits.clone().requires_grad_()
loss_f = nn.CTCLoss({kwargs}reduction={reduction!r})
loss = loss_f(log_probs(logits), targets, input_lengths, target_lengths)
loss.sum().backward()  # for reduction="none": the gradient of the sum of the losses
print("grad_logits", logits.grad.tolist())
'''


OPTIONS = (Setting("blank", "int", 0, low=0, high=15, step=1),
           Setting("zero_infinity", "bool", False))

register(Loss(
    name="CTCLoss", module=nn.CTCLoss, tables=lambda o: SPECS, options=OPTIONS, steps=_steps,
    family="sequence", differentiable=("logits",),
    curve=lambda o: Curve("ctc", -10.0, 0.0, lambda x: -x),
    feed=lambda t, o: [log_probs(t), t["targets"], t["input_lengths"], t["target_lengths"]],
    functional=lambda t, o, r: F.ctc_loss(log_probs(t), t["targets"], t["input_lengths"],
                                          t["target_lengths"], blank=int(o["blank"]),
                                          reduction=r, zero_infinity=bool(o["zero_infinity"])),
    presets=(SMALL, _course_preset()),
    parse=parse, fit=fit, script=script, views=lattices,
))
