"""The course's regularisation demos (its lessons 24 and 25): ten noisy points on a line, two
MLPs Linear(1, 200), ReLU, Linear(200, 200), ReLU, Linear(200, 200), ReLU, Linear(200, 1) trained
side by side with full-batch SGD(lr=0.01, momentum=0.9) on MSELoss for 2,000 iterations: one
plain, one with weight decay (SGD's weight_decay) or with Dropout(p) before each of its last three
Linear layers.

Every draw comes from one private torch.Generator seeded from the Config, in the order the
course's code draws from torch.manual_seed: the training noise, the test noise, the first
network's layers (each nn.Linear's weight, then its bias), the second's, then every iteration the
second network's dropout masks layer by layer. So a plain script of the course's code prints the
same numbers, bit for bit on the same machine (the tests check it).

A Pair trains in chunks (train(iterations=..., seconds=...)), so that a page redraws between
them; it holds a lock, since Streamlit may run two of a session's reruns at once."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from core.errors import Notice
from core.lab.model import Dropout
from core.lab.plug import linear_default
from core.lab.train import one_thread
from core.settings import setting, validate_settings

POINTS = 10  # the course's data: ten points on [-1, 1]
SLOPE = 1.5  # y = 1.5 x + noise
TRAIN_NOISE, TEST_NOISE = 0.5, 0.3
NETS = ("plain", "regularised")
RECORD = 10  # the test loss and the weights' norms are recorded every RECORD iterations
GRID = 101  # points of the fitted curves over [-1, 1]
BINS = 30  # bins of a weight histogram


@dataclass(frozen=True)
class FitConfig:
    """The course's lesson 24 (weight decay 1e-2, shown every 200 iterations); its lesson 25 is
    DROPOUT_EXAMPLE (dropout 0.5, no weight decay, shown every 400)."""

    weight_decay: float = setting(1e-2, low=0.0, high=1.0, step=0.001, format="%.4f")
    dropout: float = setting(0.0, low=0.0, high=0.9, step=0.05, format="%.2f")
    lr: float = setting(0.01, low=1e-5, high=1.0, step=0.001, format="%.4f")
    momentum: float = setting(0.9, low=0.0, high=0.99, step=0.05, format="%.2f")
    iterations: int = setting(2000, low=1, high=3000, step=100)
    every: int = setting(200, low=1, high=3000, step=100)
    width: int = setting(200, low=1, high=256, step=10)
    seed: int = setting(1, low=0, high=2**31 - 1)


WEIGHT_DECAY_EXAMPLE = FitConfig()
DROPOUT_EXAMPLE = FitConfig(weight_decay=0.0, dropout=0.5, every=400)


def validate(config: FitConfig) -> tuple[FitConfig, list[Notice]]:
    notices: list[Notice] = []
    return validate_settings(config, notices), notices


def draw_data(g: torch.Generator) -> dict[str, torch.Tensor]:
    """The course's gen_data: the training points, then the test points, on the same x."""
    x = torch.linspace(-1, 1, POINTS).unsqueeze(1)
    train_y = SLOPE * x + torch.normal(0, TRAIN_NOISE, size=x.size(), generator=g)
    test_y = SLOPE * x + torch.normal(0, TEST_NOISE, size=x.size(), generator=g)
    return {"x": x, "train_y": train_y, "test_y": test_y}


def build(width: int, dropout: float, g: torch.Generator) -> nn.Sequential:
    """The course's MLP, its weights drawn from g as nn.Linear's constructor draws them; with
    dropout, Dropout(p) before each of the last three Linear layers (masks drawn from g)."""
    sizes = [1, width, width, width, 1]
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        if i and dropout:
            layers.append(Dropout(dropout, g))
        linear = torch.nn.utils.skip_init(nn.Linear, fan_in, fan_out)  # draws nothing
        linear_default(linear, g)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def linears(model: nn.Sequential) -> list[nn.Linear]:
    return [layer for layer in model if isinstance(layer, nn.Linear)]


class Pair:
    """The two networks of the course's demo and their one SGD (a parameter group each: the
    regularised one has the weight decay), trained together as the course's loop trains them."""

    def __init__(self, config: FitConfig) -> None:
        """config validated."""
        self.config = config
        self.generator = torch.Generator().manual_seed(config.seed)
        self.data = draw_data(self.generator)
        self.nets = (build(config.width, 0.0, self.generator),
                     build(config.width, config.dropout, self.generator))
        # foreach: the same arithmetic as the course's two SGDs (bit for bit, tests check), in
        # fewer calls
        self.optimizer = torch.optim.SGD(
            [{"params": self.nets[0].parameters()},
             {"params": self.nets[1].parameters(), "weight_decay": config.weight_decay}],
            lr=config.lr, momentum=config.momentum, foreach=True)
        self.loss = nn.MSELoss()
        self.lock = threading.RLock()
        self.iteration = 0
        # row i: each net's loss in iteration i + 1, the one its step was taken on
        self.train_losses = np.full((config.iterations, len(NETS)), np.nan)
        self.records: list[dict] = []  # every RECORD iterations and at each display step
        self.histograms: list[dict] = []  # at iteration 0 and each display step
        self._record()

    @property
    def done(self) -> bool:
        return self.iteration >= self.config.iterations

    def step(self) -> None:
        """One iteration of the course's loop: both forwards (the first net's, then the second's,
        whose dropout masks are drawn then), both losses, backward, both steps."""
        x, y = self.data["x"], self.data["train_y"]
        losses = [self.loss(net(x), y) for net in self.nets]
        self.optimizer.zero_grad()
        (losses[0] + losses[1]).backward()  # each net's gradient is its own loss's
        self.optimizer.step()
        self.train_losses[self.iteration] = [loss.item() for loss in losses]
        self.iteration += 1
        if self.iteration % RECORD == 0 or self.iteration % self.config.every == 0 or self.done:
            self._record()

    def train(self, iterations: int | None = None, seconds: float | None = None) -> None:
        """iterations more (or as many as fit in seconds, at least one), up to the Config's."""
        with self.lock, one_thread():
            started, done = time.perf_counter(), 0
            while not self.done:
                self.step()
                done += 1
                if iterations is not None and done >= iterations:
                    break
                if seconds is not None and time.perf_counter() - started >= seconds:
                    break

    def catch_up(self, iteration: int) -> None:
        """Train until this pair reaches iteration (a pinned pair keeping pace with the other)."""
        with self.lock:
            if iteration > self.iteration:
                self.train(iterations=iteration - self.iteration)

    @torch.no_grad()
    def _predict(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Both networks' predictions in eval() (no dropout), as the course's test prediction;
        train() after."""
        out = []
        for net in self.nets:
            net.eval()
            out.append(net(x))
            net.train()
        return out

    def _record(self) -> None:
        test = self._predict(self.data["x"])
        row = {"iteration": self.iteration}
        for name, net, prediction in zip(NETS, self.nets, test, strict=True):
            row[f"test_{name}"] = self.loss(prediction, self.data["test_y"]).item()
            for layer, linear in enumerate(linears(net), start=1):
                row[f"norm_{name}_{layer}"] = linear.weight.detach().norm().item()
        self.records.append(row)
        if self.iteration % self.config.every == 0 or self.done:
            self._histograms()

    def _histograms(self) -> None:
        for name, net in zip(NETS, self.nets, strict=True):
            for layer, linear in enumerate(linears(net), start=1):
                weights = linear.weight.detach().double().flatten().numpy()
                if not np.isfinite(weights).all():
                    continue  # a diverged run: its weights have no histogram
                counts, edges = np.histogram(weights, bins=BINS)
                self.histograms += [
                    {"iteration": self.iteration, "net": name, "layer": layer,
                     "weight": (low + high) / 2, "density": count / len(weights) / (high - low)
                     if high > low else math.nan}
                    for count, low, high in zip(counts, edges[:-1], edges[1:], strict=True)]

    # ---- what the page shows ----------------------------------------------------------------
    def losses(self, points: int | None = None) -> pd.DataFrame:
        """One row per net and iteration: its training loss (the one its step was taken on)
        and, at the recorded iterations, its test loss in eval(). points: thinned to every k-th
        iteration and the last, about that many (a curve redrawn while training stays small)."""
        with self.lock:
            done = self.iteration
            train = self.train_losses[:done].copy()
            tested = np.array([[row["iteration"], *(row[f"test_{n}"] for n in NETS)]
                               for row in self.records])
        at = np.arange(1, done + 1)
        if points:
            every = max(1, -(-done // points))
            kept = (at % every == 0) | (at == done)
            at, train = at[kept], train[kept]
            tested = tested[(tested[:, 0] % every == 0) | (tested[:, 0] == done)]
        parts = [(at, train[:, k], net, "train") for k, net in enumerate(NETS)]
        parts += [(tested[:, 0].astype(int), tested[:, k + 1], net, "test")
                  for k, net in enumerate(NETS)]
        return pd.DataFrame({
            "iteration": np.concatenate([part[0] for part in parts]),
            "net": np.repeat([part[2] for part in parts], [len(part[0]) for part in parts]),
            "set": np.repeat([part[3] for part in parts], [len(part[0]) for part in parts]),
            "value": np.concatenate([part[1] for part in parts])})

    def latest(self) -> dict[str, float]:
        """Each net's training loss at the last iteration (nan before the first) and its test
        loss at the last recorded one."""
        with self.lock:
            train = self.train_losses[self.iteration - 1] if self.iteration \
                else (math.nan, math.nan)
            record = self.records[-1]
        return {**{f"train_{name}": float(loss) for name, loss in zip(NETS, train, strict=True)},
                **{f"test_{name}": record[f"test_{name}"] for name in NETS}}

    def norms(self) -> pd.DataFrame:
        """Each layer's weight norm (Frobenius) at the recorded iterations."""
        with self.lock:
            records = pd.DataFrame(self.records)
        columns = [c for c in records if c.startswith("norm_")]
        frame = records.melt("iteration", columns, var_name="which", value_name="norm")
        parts = frame["which"].str.split("_", expand=True)
        return frame.assign(net=parts[1], layer=parts[2].astype(int)).drop(columns="which")

    def weight_histograms(self) -> pd.DataFrame:
        with self.lock:
            return pd.DataFrame(self.histograms, columns=["iteration", "net", "layer", "weight",
                                                          "density"])

    def fits(self) -> pd.DataFrame:
        """Both networks' curves over [-1, 1] now, in eval()."""
        x = torch.linspace(-1, 1, GRID).unsqueeze(1)
        with self.lock, one_thread():
            predictions = self._predict(x)
        return pd.concat([pd.DataFrame({"x": x.flatten().tolist(), "net": name,
                                        "y": prediction.flatten().tolist()})
                          for name, prediction in zip(NETS, predictions, strict=True)],
                         ignore_index=True)

    def points(self) -> pd.DataFrame:
        x = self.data["x"].flatten().tolist()
        return pd.concat([pd.DataFrame({"x": x, "y": self.data[f"{name}_y"].flatten().tolist(),
                                        "set": name}) for name in ("train", "test")],
                         ignore_index=True)

    def display(self) -> list[dict]:
        """The course's display steps reached so far: the iteration, each net's training loss
        there (what the course writes on its figure), and each net's test loss after its step."""
        with self.lock:
            records = {row["iteration"]: row for row in self.records}
            return [{"iteration": i, **{f"train_{n}": float(self.train_losses[i - 1][k])
                                        for k, n in enumerate(NETS)},
                     **{f"test_{n}": records[i][f"test_{n}"] for n in NETS}}
                    for i in range(self.config.every, self.iteration + 1, self.config.every)]

    def __getstate__(self) -> dict:
        return {name: value for name, value in self.__dict__.items() if name != "lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, lock=threading.RLock())


def names(config: FitConfig) -> tuple[str, str]:
    """The two networks as the course's code names them on its figure: "no weight decay" and
    "weight decay" (lesson 24), "d_prob_0" and "d_prob_05" (lesson 25)."""
    if config.dropout and not config.weight_decay:
        return "d_prob_0", f"d_prob_{config.dropout:g}".replace(".", "")
    if config.weight_decay and not config.dropout:
        return "no weight decay", "weight decay"
    return "plain", "regularised"


def console(config: FitConfig, display: list[dict]) -> list[str]:
    """The course's figure texts at each display step, as lines: its title and its two losses
    (6 decimals, as the course writes them)."""
    first, second = names(config)
    lines = []
    for row in display:
        lines += [f"Epoch: {row['iteration']}",
                  f"{first} loss={row['train_plain']:.6f}",
                  f"{second} loss={row['train_regularised']:.6f}"]
    return lines


def to_script(config: FitConfig) -> str:
    """The course's code for this Config (its lesson 24's, with lesson 25's Dropout layers where
    there is dropout), printing what the page's console shows and each net's test loss there."""
    first, second = names(config)
    dropout = config.dropout > 0
    net = "MLP(n_hidden, d_prob)" if dropout else "MLP(n_hidden)"
    layers = "".join(
        ("            nn.Dropout(d_prob),\n" if i and dropout else "")
        + f"            nn.Linear({a}, {b}),\n" + ("            nn.ReLU(inplace=True),\n"
                                                  if i < 3 else "")
        for i, (a, b) in enumerate([("1", "n_hidden"), ("n_hidden", "n_hidden"),
                                    ("n_hidden", "n_hidden"), ("n_hidden", "1")]))
    return f'''import torch
import torch.nn as nn

torch.manual_seed({config.seed})
n_hidden, max_iter, disp_interval = {config.width}, {config.iterations}, {config.every}


def gen_data(num_data=10, x_range=(-1, 1)):
    w = 1.5
    train_x = torch.linspace(*x_range, num_data).unsqueeze_(1)
    train_y = w * train_x + torch.normal(0, 0.5, size=train_x.size())
    test_x = torch.linspace(*x_range, num_data).unsqueeze_(1)
    test_y = w * test_x + torch.normal(0, 0.3, size=test_x.size())
    return train_x, train_y, test_x, test_y


class MLP(nn.Module):
    def __init__(self, neural_num{", d_prob=0.5" if dropout else ""}):
        super().__init__()
        self.linears = nn.Sequential(
{layers.replace("n_hidden", "neural_num")}        )

    def forward(self, x):
        return self.linears(x)


train_x, train_y, test_x, test_y = gen_data()
net_1 = {net.replace("d_prob", "d_prob=0.")}
net_2 = {net.replace("d_prob", f"d_prob={config.dropout!r}")}
optim_1 = torch.optim.SGD(net_1.parameters(), lr={config.lr!r}, momentum={config.momentum!r})
optim_2 = torch.optim.SGD(net_2.parameters(), lr={config.lr!r}, momentum={config.momentum!r},
                          weight_decay={config.weight_decay!r})
loss_func = nn.MSELoss()

for epoch in range(max_iter):
    loss_1 = loss_func(net_1(train_x), train_y)
    loss_2 = loss_func(net_2(train_x), train_y)
    optim_1.zero_grad()
    optim_2.zero_grad()
    loss_1.backward()
    loss_2.backward()
    optim_1.step()
    optim_2.step()

    if (epoch + 1) % disp_interval == 0:
        net_1.eval()
        net_2.eval()
        with torch.no_grad():
            test_1 = loss_func(net_1(test_x), test_y)
            test_2 = loss_func(net_2(test_x), test_y)
        print("Epoch: {{}}".format(epoch + 1))
        print("{first} loss={{:.6f}}".format(loss_1.item()))
        print("{second} loss={{:.6f}}".format(loss_2.item()))
        print("test: {first} loss={{:.6f}}, {second} loss={{:.6f}}".format(
            test_1.item(), test_2.item()))
        net_1.train()
        net_2.train()
'''
