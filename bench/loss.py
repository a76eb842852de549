"""Time the loss page's computation (parse, hand computation, torch for three reductions,
autograd, checks, curve): the course's example and the largest tables the bounds allow.
Prints medians. Run: python -m bench.loss"""

from dataclasses import replace

import torch

from bench.timing import median_ms
from core import losses


def largest(name: str) -> losses.LossConfig:
    """MAX_ROWS samples x CLASSES.high classes of deterministic values, with every option on."""
    n, c = losses.MAX_ROWS, int(losses.CLASSES.high)
    values = torch.linspace(-4, 4, n * c).reshape(n, c)
    matrix = name in ("BCELoss", "BCEWithLogitsLoss")
    target = (values > 0).float() if matrix else torch.arange(n) % c
    cells = [[f"{v:g}"] if not matrix and isinstance(v, int) else [f"{x:g}" for x in v]
             for v in target.tolist()]
    return losses.LossConfig(
        loss=name, inputs=tuple(tuple(f"{x:g}" for x in row) for row in values.tolist()),
        target=tuple(tuple(row) for row in cells),
        weight=(tuple(str(i + 1) for i in range(c)),),
        pos_weight=(("2",) * c,) if name == "BCEWithLogitsLoss" else None,
        label_smoothing=0.1 if name == "CrossEntropyLoss" else 0.0,
        through_sigmoid=name == "BCELoss")


def main() -> None:
    course = losses.PRESETS["CrossEntropyLoss"]
    losses.run(course)  # warm torch up once
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"course CrossEntropy example (3 x 2): {median_ms(lambda: losses.run(course), 51):.1f} ms"
          " median")
    print(f"  validate + parse only:             "
          f"{median_ms(lambda: losses.validate(course), 51):.2f} ms median")
    for name in losses.LOSSES:
        config, _ = losses.validate(largest(name))
        print(f"{name:18} {losses.MAX_ROWS} x {int(losses.CLASSES.high)}, every option: "
              f"{median_ms(lambda c=config: losses.run(c), 21):.1f} ms median")
    soft = replace(largest("CrossEntropyLoss"), soft_target=True,
                   target=largest("BCELoss").target)
    soft, _ = losses.validate(soft)
    print(f"CrossEntropyLoss soft targets {losses.MAX_ROWS} x {int(losses.CLASSES.high)}:   "
          f"{median_ms(lambda: losses.run(soft), 21):.1f} ms median")


if __name__ == "__main__":
    main()
