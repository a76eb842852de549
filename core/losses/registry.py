"""What one loss is, in one entry: its tables, its options, how torch is called, the hand
computation stage by stage, the curve of one element's loss, its presets. The page, the script,
the tests and the benchmark read only these entries: adding a loss is one entry plus its texts.

An option is a core.settings.Setting: its label is the text "loss.options_NAME", its explanation
"loss.options_NAME_help", or its own help key where it means something else in each loss that
has it (margin, p, eps: "loss.options_margin_help_HingeEmbeddingLoss"); passed=False for one the
page applies itself (BCELoss's sigmoid first), to_value and to_code where torch takes something
else than its value (a distance function picked by name)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import torch
import torch.nn as nn

from core.losses.tables import Table, TableSpec
from core.settings import Setting

REDUCTIONS = ("none", "sum", "mean")
Tensors = dict[str, torch.Tensor]
Options = dict[str, object]


@dataclass(frozen=True)
class Curve:
    """One element's loss against the quantity it punishes: axis names the texts
    (loss.axis_AXIS, loss.curve_title_AXIS, loss.curve_note_AXIS). weights: the class weights the
    typed samples pick (CrossEntropyLoss's w[target]); the curve is drawn once for each, w times
    the loss, so that a weighted sample sits on its own line."""

    axis: str
    low: float
    high: float
    loss: Callable[[torch.Tensor], torch.Tensor]  # float64 x -> one element's loss
    weights: tuple[float, ...] = ()


@dataclass(frozen=True)
class Steps:
    """A loss computed by hand."""

    table: pd.DataFrame  # one row per sample or per element: every stage as a column
    per_element: torch.Tensor  # what reduction="none" returns, in torch's shape
    denominator: torch.Tensor  # what reduction="mean" divides the sum by
    # "weights" (of the non-ignored samples), "count" (non-ignored samples), "samples" (N) or
    # "elements" (N × C): which text the Reduction tab explains the mean's denominator with
    denominator_kind: str
    grads: Tensors  # closed-form d loss / d table for the config's reduction, per input table
    checks: list[tuple[str, torch.Tensor, torch.Tensor]]  # (what, by hand, torch)
    curve_x: torch.Tensor  # per element of per_element: where it sits on the curve
    # where the curve depends on more than one typed value (a target, a variance): the curve
    # drawn for the first element's other values, and each element's own loss as its mark
    curve: Curve | None = None
    curve_y: torch.Tensor | None = None
    # where torch's mean is not sum / denominator (CTCLoss: the mean of loss / target length):
    # the mean by hand, and the text that says how it is reduced
    mean: torch.Tensor | None = None
    reduction_text: str = "loss.reduction_math"
    # per element, what the call a user meant gives (KLDivLoss's inputs logged, as it expects),
    # reduced beside the headline; its label is t("loss.alternative_NAME")
    alternative: torch.Tensor | None = None
    # how far torch's float32 gradient may be from the closed form: one number, or one per
    # element of each table's gradient (CTCLoss: torch takes exp of α + β − log p, with log p in
    # the hundreds for long inputs; CosineEmbeddingLoss: two terms of size 1/‖x‖ cancel)
    grad_tolerance: float | Tensors = 1e-5
    # texts with their values under the step table (a hand check the course makes): (key, params)
    notes: tuple[tuple[str, dict], ...] = ()
    # the same under the gradients (where BCELoss's gradient through sigmoid dies, computed)
    grad_notes: tuple[tuple[str, dict], ...] = ()


@dataclass(frozen=True)
class View:
    """A picture one loss has and the others do not (CTCLoss: its alignment lattice): the
    core.charts builder that draws it, its tidy frames, its texts (builder argument -> locale
    key), its other arguments, and the note under it (formatted with note_params)."""

    chart: str
    frames: tuple[pd.DataFrame, ...]
    texts: dict[str, str]
    note: str
    args: dict = field(default_factory=dict)
    note_params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Preset:
    """An example, named in PyTorch's own words (what the option shows and the link holds)."""

    name: str
    tables: dict[str, Table]
    options: Options = field(default_factory=dict)
    reduction: str = "mean"
    # a name that is words, not code: shown as t("loss.preset_LABEL") (the link keeps the name)
    label: str | None = None


@dataclass(frozen=True)
class Loss:
    name: str  # the torch.nn class name
    module: type[nn.Module]
    tables: Callable[[Options], tuple[TableSpec, ...]]
    options: tuple[Setting, ...]
    steps: Callable[[Tensors, Options, str], Steps]
    curve: Callable[[Options], Curve]
    presets: tuple[Preset, ...]
    family: str  # losses of one family can be compared on the same inputs
    differentiable: tuple[str, ...] = ("inputs",)  # the tables the gradient is taken w.r.t.
    # what the module is called on: tensors -> arguments, and the same as code
    feed: Callable[[Tensors, Options], list[torch.Tensor]] | None = None
    feed_code: Callable[[Options], list[str]] | None = None
    functional: Callable[[Tensors, Options, str], torch.Tensor] | None = None
    reductions: tuple[str, ...] = REDUCTIONS  # KLDivLoss adds "batchmean"
    # tables that are not N × C (CTCLoss's, LinearCrossEntropyLoss's): the entry parses them
    # itself (typed tables, options -> tensors or an InputError) and fits them to C; CTCLoss
    # writes its own script
    parse: Callable[[dict[str, Table], Options], Tensors] | None = None
    fit: Callable[[dict[str, Table], int, Options], dict[str, Table]] | None = None
    script: Callable[[Tensors, Options, str], str] | None = None
    # pictures of its own beside the curve, for one sample of the tables (CTCLoss's lattices);
    # the page offers every sample
    views: Callable[[Tensors, Options, int], tuple[View, ...]] | None = None
    # options whose value is the |error| where the loss changes form (beta, delta): marked at
    # ±value on the curve
    thresholds: tuple[str, ...] = ()
    # a module that holds a table of its own (LinearCrossEntropyLoss's linear layer): the
    # constructor's positional arguments from the tables (in_features, num_classes), and each
    # such table and the parameter it is ("linear_weight": "linear.weight")
    positional: Callable[[Tensors], tuple[int, ...]] | None = None
    owned: dict[str, str] = field(default_factory=dict)
    # the C of typed tables, where it is not the first table's columns (the weight matrix's rows)
    classes_of: Callable[[dict[str, Table]], int] | None = None

    def classes(self, tables: dict[str, Table]) -> int:
        """C, as the typed tables hold it."""
        if self.classes_of is not None:
            return self.classes_of(tables)
        return len(tables[self.tables({o.name: o.default for o in self.options})[0].name][0])

    def arguments(self, tensors: Tensors, options: Options) -> list[torch.Tensor]:
        if self.feed is not None:
            return self.feed(tensors, options)
        return [tensors[name] for name in self.arguments_code(options)]

    def arguments_code(self, options: Options) -> list[str]:
        if self.feed_code is not None:
            return self.feed_code(options)
        return [s.name for s in self.tables(options)
                if not s.optional and s.name not in self.owned]

    def passed(self, options: Options) -> list[Setting]:
        """The options torch's constructor gets: those passed that apply and differ from
        torch's default."""
        return [o for o in self.options
                if o.passed and o.applies(options) and options[o.name] != o.default]

    def constructor(self, tensors: Tensors, options: Options) -> dict:
        """The constructor's keyword arguments: the options passed, as torch takes them, and the
        optional tables that are on."""
        kwargs = {o.name: o.torch_value(options[o.name]) for o in self.passed(options)}
        kwargs.update({s.name: tensors[s.name] for s in self.tables(options)
                       if s.optional and s.name in tensors})
        return kwargs

    def make(self, tensors: Tensors, options: Options, reduction: str) -> nn.Module:
        positional = self.positional(tensors) if self.positional is not None else ()
        module = self.module(*positional, **self.constructor(tensors, options),
                             reduction=reduction)
        if not self.owned:
            return module
        return WithTables(module, {attr: tensors[name] for name, attr in self.owned.items()})


class WithTables(nn.Module):
    """A loss module called with typed tables as its own parameters (torch.func.functional_call:
    its forward as torch wrote it, on these tensors), so autograd reaches the tables."""

    def __init__(self, module: nn.Module, parameters: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.module, self.tables = module, parameters

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(self.module, self.tables, args)


@dataclass(frozen=True)
class Family:
    """Losses compared on the same tables along one quantity they share (its texts:
    loss.axis_AXIS, loss.compare_title_AXIS, loss.compare_note_AXIS): each loss is called by torch
    on the typed tables with that quantity set to each x of the span.

    probe(tensors, xs): the tables with one row per x; at(tensors): each element's x, flat in
    reduction='none' order; on_curve(tensors): which elements the curves pass through (the others
    differ in something the curve holds fixed). together: each member's own curve view draws the
    whole family (L1, MSE, SmoothL1 and Huber on one chart); top(low, high): the y range's top,
    where one member would squash the others.

    columns: names of the probe's columns where each holds another case (BCE's true label 1,
    then 0): a member gets a line per column, or one line where torch gives the same numbers for
    every column. gradient(tensors, grad): each element's gradient w.r.t. x from its gradient
    w.r.t. the input (BCE: ±1 by its label); with it, the member's own view draws d loss / d x
    along the span too. member_options: the options a member takes in the family (BCELoss
    through sigmoid, so that it takes logits as BCEWithLogitsLoss does)."""

    name: str
    axis: str
    span: Callable[[Tensors], tuple[float, float]]
    probe: Callable[[Tensors, torch.Tensor], Tensors]
    at: Callable[[Tensors], torch.Tensor]
    on_curve: Callable[[Tensors], torch.Tensor]
    together: bool = False
    top: Callable[[float, float], float] | None = None
    columns: tuple[str, ...] = ()
    gradient: Callable[[Tensors, torch.Tensor], torch.Tensor] | None = None
    member_options: dict[str, Options] = field(default_factory=dict)


LOSSES: dict[str, Loss] = {}
FAMILIES: dict[str, Family] = {}
# torch.nn's losses the page does not offer, and why (a test fails the day torch.nn has a loss
# that is neither registered nor named here)
NOT_OFFERED = {
    "AdaptiveLogSoftmaxWithLoss": "a model layer, not a loss of typed tables: a head and one "
    "two-layer projection per tail cluster, their weights drawn at construction, returning "
    "(output, loss) with no reduction; its loss is the mean -log p of a softmax factored over "
    "frequency clusters, which CrossEntropyLoss on its log_prob(input) gives",
    "NLLLoss2d": "a deprecated alias of NLLLoss (a subclass with nothing of its own)",
}


def register_family(family: Family) -> Family:
    FAMILIES[family.name] = family
    return family


def register(loss: Loss) -> Loss:
    LOSSES[loss.name] = loss
    return loss


def presets() -> dict[str, tuple[Loss, Preset]]:
    """Every preset of every registered loss, by its name, in registry order."""
    return {p.name: (loss, p) for loss in LOSSES.values() for p in loss.presets}
