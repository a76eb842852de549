"""What one move of the loss page costs in CPU, single-threaded as the app runs torch, for each
loss at the largest tables a student can set: MAX_ROWS samples × MAX_COLUMNS columns (C, or a
link's wider tables cut to it) with every optional table on; CTCLoss at MAX_STEPS logits rows
(the course's 16 samples × 50 steps) with MAX_COLUMNS classes and a long target;
LinearCrossEntropyLoss with CLASSES' C rows of weights. A move: the view validated, computed,
compared with its family, the shown script and the charts' specs built; and where the loss has
pictures of its own (CTCLoss's lattices), a move to its last sample. Prints each part and each
move's total (thread CPU time, median), and which loss goes over the 300 ms budget.
Run: python -m bench.loss [--quick]"""

import argparse
import logging
import time
import warnings

import torch

from bench.timing import median_ms
from core import losses
from core.charts import loss as charts
from core.losses.sequence import MAX_STEPS
from ui.charts import _chart_spec, show_chart

BUDGET_MS = 300  # a move's CPU on one thread: a class's explorers must not stall the others
# KLDivLoss's reduction='mean' is timed on purpose (the page shows it beside 'batchmean'); torch
# warns about it at every call, which would bury the figures
warnings.filterwarnings("ignore", message="reduction: 'mean' divides the total loss")

SAMPLE = {"logits": lambda i: f"{(i % 17 - 8) / 2:g}", "values": lambda i: f"{(i % 13 - 6) / 2:g}",
          "log_probs": lambda i: f"{-(i % 7) / 2:g}", "probabilities": lambda i: f"{(i % 9) / 8:g}",
          "unit": lambda i: f"{i % 2}", "signs": lambda i: "1" if i % 3 else "-1",
          "weights": lambda i: f"{i % 4 + 1}", "positive": lambda i: f"{i % 5 + 1}"}


def cpu_ms(run, repeats: int) -> float:
    """Median CPU time of run() on this thread, in milliseconds."""
    return median_ms(run, repeats, clock=time.thread_time)


def _table(rows: int, width: int, cell) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(cell(r * width + k) for k in range(width)) for r in range(rows))


def heaviest(loss: losses.Loss) -> losses.LossConfig:
    """The loss's largest view: tables at their bounds, every optional table on."""
    if loss.name == "CTCLoss":
        return _heaviest_ctc()
    options = {o.name: o.default for o in loss.options}
    n, width = losses.MAX_ROWS, losses.MAX_COLUMNS
    classes = width if loss.name != "LinearCrossEntropyLoss" else int(losses.CLASSES.high)
    tables = {}
    for spec in loss.tables(options):
        rows = {"N": n, "1": 1, "C": classes}[spec.rows]
        columns = {"1": 1, "F": width}.get(spec.columns, classes)
        cell = {"indices": lambda i, c=classes: str(i % c),  # half the classes, then -1s
                "index_lists": lambda i, c=classes: str(i % c) if i % c < c // 2 else "-1",
                }.get(spec.kind, SAMPLE.get(spec.kind))
        tables[spec.name] = _table(rows, columns, cell)
    return losses.config(loss.name, tables, options)


def _heaviest_ctc() -> losses.LossConfig:
    """MAX_STEPS logits rows: 16 samples of 50 steps over MAX_COLUMNS classes, each target 24
    labels without repeats (feasible in 50 steps)."""
    n, steps, classes, labels = 16, MAX_STEPS // 16, losses.MAX_COLUMNS, 24
    logits = torch.randn(n * steps, classes, generator=torch.Generator().manual_seed(0))
    return losses.config("CTCLoss", {
        "logits": tuple(tuple(f"{v:.4f}" for v in row) for row in logits.tolist()),
        "targets": _table(n, labels, lambda i: str(i % (classes - 1) + 1)),
        "input_lengths": _table(n, 1, lambda i: str(steps)),
        "target_lengths": _table(n, 1, lambda i: str(labels))})


def charts_drawn(result: losses.LossResult, views: tuple = ()) -> None:
    """The curve's chart (and, with views, those pictures') as the page draws them
    (ui.charts.show_chart, outside a server: the spec built and its message made), each new."""
    _chart_spec.clear()
    texts = dict.fromkeys(["title", "x_title", "y_title", "sample_title", "sample_loss_title",
                           "nonfinite_label"], "t")
    show_chart(charts.loss_curve, result.curve, result.marks, height=220, probability=False,
               **texts)
    for view in views:
        show_chart(getattr(charts, view.chart), *view.frames, **view.args,
                   **dict.fromkeys(view.texts, "t"))


def compared(config: losses.LossConfig) -> None:
    """The Compare tab: every loss of the family run on the tables, its chart drawn."""
    found = losses.compare(config)
    if not found.curves.empty:
        _chart_spec.clear()
        show_chart(charts.loss_comparison, found.curves, found.marks, title="t", x_title="t",
                   y_title="t", series_title="t", sample_title="t", height=400)


def moves(config: losses.LossConfig) -> dict[str, float]:
    """Each part of a move to a new view (CPU ms): validated, computed (with the entry's own
    pictures of sample 0), its script and charts, compared with its family (the Compare tab runs
    with the others); and, where the entry
    has pictures, a move to another sample (its pictures computed and drawn)."""
    repeats = 3
    checked, _ = losses.validate(config)
    result = losses.run(checked)
    parts = {"validate": cpu_ms(lambda: losses.validate(config), repeats),
             "run": cpu_ms(lambda: losses.run(checked), repeats),
             "script": cpu_ms(lambda: losses.to_script(checked), repeats),
             "charts": cpu_ms(lambda: charts_drawn(result, result.views), repeats)}
    if len(losses.comparable(checked)) > 1:
        parts["compare"] = cpu_ms(lambda: compared(checked), repeats)
    parts["move"] = sum(parts.values())
    if result.views:
        last = result.none_shape[0] - 1
        parts["sample_move"] = cpu_ms(lambda: charts_drawn(
            result, losses.views(checked, last)), repeats)
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="three losses only")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the app runs it (app.py)
    logging.disable(logging.WARNING)  # Streamlit's word that no server runs, at every chart
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread; CPU ms, median of 3")
    losses.run(losses.from_preset("CrossEntropyLoss"))  # warm torch up once
    names = ["CrossEntropyLoss", "HuberLoss", "CTCLoss"] if args.quick else list(losses.LOSSES)
    over = []
    for name in names:
        parts = moves(heaviest(losses.LOSSES[name]))
        print(f"{name:30} " + "  ".join(f"{part} {ms:6.1f}" for part, ms in parts.items()),
              flush=True)
        if max(parts["move"], parts.get("sample_move", 0)) > BUDGET_MS:
            over.append(name)
    print(f"over the {BUDGET_MS} ms budget: {', '.join(over) or 'none'}")


if __name__ == "__main__":
    main()
