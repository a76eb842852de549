"""Time the loss page's computation (parse, hand computation, torch for three reductions,
autograd, checks, curve) for each loss: its course example and its heaviest view, the largest
tables the bounds allow with every optional table on; then, for its heaviest view, the Compare
tab (every loss that takes those tables, run and drawn along their shared quantity) and its own
pictures of another sample (CTCLoss's lattices). Prints medians. Run: python -m bench.loss"""

import warnings

import torch

from bench.timing import median_ms
from core import losses

# KLDivLoss's reduction='mean' is timed on purpose (the page shows it beside 'batchmean'); torch
# warns about it at every call, which would bury the figures
warnings.filterwarnings("ignore", message="reduction: 'mean' divides the total loss")

SAMPLE = {"logits": lambda i: f"{(i % 17 - 8) / 2:g}", "values": lambda i: f"{(i % 13 - 6) / 2:g}",
          "log_probs": lambda i: f"{-(i % 7) / 2:g}", "probabilities": lambda i: f"{(i % 9) / 8:g}",
          "unit": lambda i: f"{i % 2}", "signs": lambda i: "1" if i % 3 else "-1",
          "weights": lambda i: f"{i % 4 + 1}", "positive": lambda i: f"{i % 5 + 1}"}


def heaviest(loss: losses.Loss) -> losses.LossConfig:
    """MAX_ROWS samples x CLASSES.high columns of deterministic values, every optional table on."""
    n, c = losses.MAX_ROWS, int(losses.CLASSES.high)
    if loss.parse is not None:  # tables that are not N × C (CTCLoss): its largest preset
        largest = max(loss.presets, key=lambda p: sum(len(rows) * len(rows[0])
                                                      for rows in p.tables.values()))
        return losses.from_preset(largest.name)
    options = {o.name: o.default for o in loss.options}
    tables = {}
    for spec in loss.tables(options):
        rows = 1 if spec.rows == "1" else n
        width = 1 if spec.columns == "1" else c
        cell = {"indices": lambda i: str(i % c),  # half of the classes are targets, then -1s
                "index_lists": lambda i: str(i % c) if i % c < c // 2 else "-1",
                }.get(spec.kind, SAMPLE.get(spec.kind))
        tables[spec.name] = tuple(tuple(cell(r * width + k) for k in range(width))
                                  for r in range(rows))
    return losses.config(loss.name, tables, options)


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    losses.run(losses.from_preset("CrossEntropyLoss"))  # warm torch up once
    for loss in losses.LOSSES.values():
        course = losses.from_preset(loss.presets[0].name)
        config, _ = losses.validate(heaviest(loss))
        line = (f"{loss.name:18} example {median_ms(lambda c=course: losses.run(c), 21):5.1f} "
                f"ms, {losses.MAX_ROWS} x {int(losses.CLASSES.high)} every table on "
                f"{median_ms(lambda c=config: losses.run(c), 21):5.1f} ms median")
        if len(losses.comparable(config)) > 1:
            line += f", compared {median_ms(lambda c=config: losses.compare(c), 5):6.1f} ms"
        if loss.views is not None:
            last = len(losses.run(config).none) - 1
            line += (f", lattices of sample {last} "
                     f"{median_ms(lambda c=config, s=last: losses.views(c, s), 5):5.1f} ms")
        print(line)


if __name__ == "__main__":
    main()
