"""Two-dimensional loss landscapes for the optimiser lesson.

Each landscape has one formula, written once as Python source (`code`): core evaluates it on
tensors (so autograd differentiates it, as torch.optim sees it) and the generated scripts print it.
Each also has its closed-form gradient, written the same way, for the batched sweep; a test
checks it against autograd.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch

Tensor = torch.Tensor


@dataclass(frozen=True)
class Landscape:
    name: str
    code: str  # f(x, y) as a Python expression; `c` is the condition number where it applies
    grad_code: tuple[str, str]  # ∂f/∂x and ∂f/∂y in closed form, as Python expressions
    minima: tuple[tuple[float, float], ...]  # global minima (all with f = 0)
    view: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max of the contour
    start: tuple[float, float]  # the start point the page suggests
    lr_range: tuple[float, float]  # the sweep's suggested learning rates (log-spaced)

    @property
    def takes_condition(self) -> bool:
        """Whether the formula has the condition number c (the anisotropic quadratic's)."""
        return "c *" in self.code

    def f(self, x: Tensor, y: Tensor, c: float = 1.0) -> Tensor:
        return eval(self._compiled[0], {}, {"x": x, "y": y, "c": c})  # our own constant source

    def grad(self, x: Tensor, y: Tensor, c: float = 1.0) -> tuple[Tensor, Tensor]:
        names = {"x": x, "y": y, "c": c}
        return eval(self._compiled[1], {}, names), eval(self._compiled[2], {}, names)

    @cached_property
    def _compiled(self):
        return [compile(code, self.name, "eval") for code in (self.code, *self.grad_code)]

    def source(self, code: str, c: float) -> str:
        """One of the formulas with the condition number written in, for a script."""
        return code.replace("c *", f"{c!r} *")


LANDSCAPES = {
    landscape.name: landscape for landscape in [
        Landscape("quadratic", "0.5 * (x**2 + c * y**2)", ("x", "c * y"), ((0.0, 0.0),),
                  (-5.0, 5.0, -3.0, 3.0), (-4.0, 2.0), (1e-3, 1.0)),
        Landscape("rosenbrock", "(1 - x)**2 + 100 * (y - x**2)**2",
                  ("-2 * (1 - x) - 400 * x * (y - x * x)", "200 * (y - x * x)"), ((1.0, 1.0),),
                  (-2.0, 2.0, -1.0, 3.0), (-1.5, 2.0), (1e-5, 3e-3)),
        Landscape("himmelblau", "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
                  ("4 * x * (x * x + y - 11) + 2 * (x + y * y - 7)",
                   "2 * (x * x + y - 11) + 4 * y * (x + y * y - 7)"),
                  ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186),
                   (3.584428, -1.848127)),
                  (-5.0, 5.0, -5.0, 5.0), (-0.5, -0.5), (1e-4, 3e-2)),
        Landscape("beale", "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
                  ("2 * (1.5 - x + x*y) * (y - 1) + 2 * (2.25 - x + x*y**2) * (y**2 - 1)"
                   " + 2 * (2.625 - x + x*y**3) * (y**3 - 1)",
                   "2 * (1.5 - x + x*y) * x + 4 * (2.25 - x + x*y**2) * x * y"
                   " + 6 * (2.625 - x + x*y**3) * x * y**2"),
                  ((3.0, 0.5),), (-4.5, 4.5, -4.5, 4.5), (1.0, 1.5), (1e-5, 3e-2)),
        # a saddle at the origin between two minima at (0, ±1): the start lies just off its ridge
        Landscape("saddle", "x**2 + (y**2 - 1)**2 / 4", ("2 * x", "y * (y * y - 1)"),
                  ((0.0, 1.0), (0.0, -1.0)),
                  (-2.0, 2.0, -2.0, 2.0), (-1.8, 0.01), (1e-3, 1.0)),
    ]
}
