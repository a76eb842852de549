"""The lab's datasets: TensorFlow Playground's 2-D sets, two moons, two regression sets and the
user's own CSV; and the Playground's input features.

Every draw function takes the generator to draw from (None: torch's global one, as the shown
script does), so the page and the script draw the same points. The function's own source goes
into the shown script (inspect.getsource): code shown is code run."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from core.errors import Notice

RADIUS = 5.0  # the Playground's points lie in about [-6, 6]²


def circle(n, noise, g):
    half = n // 2
    r = torch.cat([torch.rand(half, generator=g) * RADIUS * 0.5,
                   RADIUS * 0.7 + torch.rand(n - half, generator=g) * RADIUS * 0.3])
    angle = torch.rand(n, generator=g) * 2 * math.pi
    points = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], 1)
    points = points + (torch.rand(n, 2, generator=g) * 2 - 1) * RADIUS * noise
    labels = torch.cat([torch.ones(half), torch.zeros(n - half)])
    return points, labels


def xor(n, noise, g):
    points = torch.rand(n, 2, generator=g) * 10 - 5
    points = points + torch.sign(points) * 0.3  # a gap along the axes, as the Playground's
    labels = (points[:, 0] * points[:, 1] >= 0).float()
    points = points + (torch.rand(n, 2, generator=g) * 2 - 1) * RADIUS * noise
    return points, labels


def gauss(n, noise, g):
    half = n // 2
    centres = torch.cat([torch.full((half, 2), 2.0), torch.full((n - half, 2), -2.0)])
    points = centres + torch.randn(n, 2, generator=g) * (0.5 + 4 * noise)
    labels = torch.cat([torch.ones(half), torch.zeros(n - half)])
    return points, labels


def spiral(n, noise, g):
    half = n // 2
    i = torch.cat([torch.arange(half), torch.arange(n - half)]).float()
    count = torch.cat([torch.full((half,), float(half)), torch.full((n - half,), float(n - half))])
    turn = torch.cat([torch.zeros(half), torch.full((n - half,), math.pi)])
    r = i / count * RADIUS
    angle = 1.75 * i / count * 2 * math.pi + turn
    points = torch.stack([r * torch.sin(angle), r * torch.cos(angle)], 1)
    points = points + (torch.rand(n, 2, generator=g) * 2 - 1) * noise * 2
    labels = torch.cat([torch.ones(half), torch.zeros(n - half)])
    return points, labels


def moons(n, noise, g):
    half = n // 2
    angle = torch.rand(n, generator=g) * math.pi
    upper = torch.stack([torch.cos(angle[:half]), torch.sin(angle[:half])], 1)
    lower = torch.stack([1 - torch.cos(angle[half:]), 0.5 - torch.sin(angle[half:])], 1)
    points = (torch.cat([upper, lower]) - torch.tensor([0.5, 0.25])) * 3.5
    points = points + torch.randn(n, 2, generator=g) * noise * 2
    labels = torch.cat([torch.ones(half), torch.zeros(n - half)])
    return points, labels


def plane(n, noise, g):
    points = torch.rand(n, 2, generator=g) * 12 - 6
    labels = (points[:, 0] + points[:, 1]) / 12
    labels = labels + (torch.rand(n, generator=g) * 2 - 1) * noise
    return points, labels


def bumps(n, noise, g):
    points = torch.rand(n, 2, generator=g) * 12 - 6
    centres = torch.tensor([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
    signs = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    squared = ((points[:, None, :] - centres) ** 2).sum(2)
    labels = (signs * torch.exp(-squared / 2)).sum(1)
    labels = labels + (torch.rand(n, generator=g) * 2 - 1) * noise
    return points, labels


@dataclass(frozen=True)
class Dataset:
    """One registry entry: the task ("classification": labels 0/1, or "regression"), how its
    points are drawn (None: the user's CSV), and the settings its preset changes."""

    task: str
    draw: Callable | None
    preset: tuple[tuple[str, object], ...] = ()


DATASETS: dict[str, Dataset] = {
    "circle": Dataset("classification", circle),
    "xor": Dataset("classification", xor, (("features", ("x1", "x2", "x1x2")),)),
    "gauss": Dataset("classification", gauss, (("widths", (4,)),)),
    "spiral": Dataset("classification", spiral, (
        ("features", ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")),
        ("widths", (16, 16, 8)), ("optimizer", "Adam"), ("lr", 0.01), ("batch", 16))),
    "moons": Dataset("classification", moons, (("widths", (8, 8)),)),
    "plane": Dataset("regression", plane, (("widths", (4,)),)),
    "bumps": Dataset("regression", bumps, (("features", ("x1", "x2", "sinx1", "sinx2")),
                                           ("widths", (16, 8)), ("optimizer", "Adam"),
                                           ("lr", 0.01))),
    "csv": Dataset("classification", None),
}

# The Playground's input features: name -> how it is computed from the two columns x1, x2.
FEATURES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1sq": lambda x1, x2: x1 * x1,
    "x2sq": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sinx1": lambda x1, x2: torch.sin(x1),
    "sinx2": lambda x1, x2: torch.sin(x2),
}
FEATURE_CODE = {"x1": "x1", "x2": "x2", "x1sq": "x1 * x1", "x2sq": "x2 * x2", "x1x2": "x1 * x2",
                "sinx1": "torch.sin(x1)", "sinx2": "torch.sin(x2)"}


def features(points: torch.Tensor, names: tuple[str, ...]) -> torch.Tensor:
    """The network's input: the chosen features of each point, in FEATURES' order."""
    x1, x2 = points[:, 0], points[:, 1]
    return torch.stack([FEATURES[name](x1, x2) for name in names], 1)


def split(n: int, test_percent: int, g) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of the training and the test points: a random permutation, the test set first."""
    order = torch.randperm(n, generator=g)
    n_test = n * test_percent // 100
    return order[n_test:], order[:n_test]


# ---- The user's own CSV ---------------------------------------------------------------------

CSV_COLUMNS = ("x1", "x2", "label")
CSV_MAX_ROWS = 2000


@dataclass(frozen=True)
class Parsed:
    points: torch.Tensor
    labels: torch.Tensor
    problems: list[Notice]  # one per bad row: its number, column and rule
    task: str
    # labels mostly 0 and 1 but not all: the first other one, as its regression set may be a
    # classification set with a typo
    task_note: Notice | None = None


def parse_csv(text: str) -> Parsed:
    """Rows of x1, x2, label (a header line naming them is optional). Each bad row is reported
    with its row number (1 = the first line), column and rule; the good rows are kept. Labels all
    0 or 1 make a classification set, anything else a regression set."""
    rows: list[tuple[float, float, float]] = []
    numbers: list[int] = []  # each good row's line number
    problems: list[Notice] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        cells = [cell.strip() for cell in line.split(",")]
        if not line.strip():
            continue
        if number == 1 and [cell.lower() for cell in cells] == list(CSV_COLUMNS):
            continue
        if len(cells) != 3:
            problems.append(Notice("error.lab.csv_cells", {"row": number, "count": len(cells)}))
            continue
        values = []
        for column, cell in zip(CSV_COLUMNS, cells, strict=True):
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
                rule = "number"
            else:
                rule = "finite" if not math.isfinite(value) else ""
            if rule:
                problems.append(Notice(f"error.lab.csv_{rule}",
                                       {"row": number, "column": column, "value": cell}))
                break
            values.append(value)
        else:
            rows.append(tuple(values))
            numbers.append(number)
    if len(rows) > CSV_MAX_ROWS:
        problems.append(Notice("error.lab.csv_rows", {"count": len(rows), "limit": CSV_MAX_ROWS}))
        rows = rows[:CSV_MAX_ROWS]
    table = torch.tensor(rows, dtype=torch.float32).reshape(-1, 3)
    labels = table[:, 2]
    binary = (labels == 0) | (labels == 1)
    task = "classification" if bool(binary.all()) else "regression"
    note = None
    if task == "regression" and 2 * int(binary.sum()) > len(labels):
        other = int((~binary).nonzero()[0])
        note = Notice("notice.lab.csv_regression", {"row": numbers[other],
                                                    "value": f"{float(labels[other]):g}"})
    return Parsed(table[:, :2], labels, problems, task, note)
