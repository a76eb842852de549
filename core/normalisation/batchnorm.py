"""BatchNorm1d's running statistics, pass by pass, on the course's batch (its lesson 26): feature
i of every sample is i + 1, a tensor of batch × features × 1, and BatchNorm1d(features,
momentum=0.3) run on it in train() twice.

After each pass torch updates running = (1 − momentum)·running + momentum·batch_statistic, the
course's hand update. The surprise: the batch normalises with the biased variance (divided by the
n values it has), but the running variance is updated with the unbiased one (divided by n − 1).
The course's batch has no variance at all (every value of a feature is equal), so both are 0
there; the "scaled" input (sample j multiplied by j + 1) shows the difference."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from core.errors import Notice
from core.settings import setting, validate_settings

PATTERNS = ("course", "scaled")


@dataclass(frozen=True)
class BatchNormConfig:
    momentum: float = setting(0.3, low=0.0, high=1.0, step=0.05, format="%.2f")
    batch: int = setting(3, low=1, high=16)
    features: int = setting(5, low=1, high=12)
    passes: int = setting(2, low=1, high=10)
    pattern: str = setting("course", choices=PATTERNS,
                           choice_text="normalisation.batch_pattern_{choice}")


def validate(config: BatchNormConfig) -> tuple[BatchNormConfig, list[Notice]]:
    notices: list[Notice] = []
    return validate_settings(config, notices), notices


def course_input(batch: int, features: int, pattern: str) -> torch.Tensor:
    """batch × features × 1: feature i is i + 1 (the course's), times j + 1 in sample j when
    scaled."""
    feature_maps = torch.stack([torch.ones(1) * (i + 1) for i in range(features)], dim=0)
    return torch.stack([feature_maps * ((j + 1) if pattern == "scaled" else 1)
                        for j in range(batch)], dim=0)


@dataclass(frozen=True)
class BatchNormResult:
    input: torch.Tensor
    passes: pd.DataFrame  # pass, feature, batch mean and variances, torch's running stats, by hand
    train_output: pd.DataFrame  # sample, feature, input, output in train() (the last pass's)
    eval_output: pd.DataFrame  # sample, feature, output in eval(), by hand from running stats
    error: str | None  # torch's own message where it refuses the batch


def run(config: BatchNormConfig) -> BatchNormResult:
    """config validated."""
    x = course_input(config.batch, config.features, config.pattern)
    bn = nn.BatchNorm1d(config.features, momentum=config.momentum)
    rows, output = [], None
    hand_mean = torch.zeros(config.features, dtype=torch.float64)
    hand_biased = torch.ones(config.features, dtype=torch.float64)
    hand_unbiased = hand_biased.clone()
    m = config.momentum
    with torch.no_grad():
        for step in range(config.passes):
            try:
                output = bn(x)
            except ValueError as error:  # one value per channel: torch refuses to train
                return BatchNormResult(x, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                                       str(error))
            values = x.double().transpose(0, 1).reshape(config.features, -1)
            mean, biased = values.mean(1), values.var(1, correction=0)
            unbiased = values.var(1, correction=1)
            hand_mean = (1 - m) * hand_mean + m * mean
            hand_biased = (1 - m) * hand_biased + m * biased
            hand_unbiased = (1 - m) * hand_unbiased + m * unbiased
            for i in range(config.features):
                rows.append({"pass": step, "feature": i, "batch_mean": mean[i].item(),
                             "batch_var": biased[i].item(), "batch_var_unbiased":
                             unbiased[i].item(), "running_mean": bn.running_mean[i].item(),
                             "running_var": bn.running_var[i].item(),
                             "hand_mean": hand_mean[i].item(), "hand_var": hand_biased[i].item(),
                             "hand_var_unbiased": hand_unbiased[i].item()})
        bn.eval()
        eval_output = bn(x)
    return BatchNormResult(x, pd.DataFrame(rows), outputs(x, output, "train"),
                           outputs(x, eval_output, "eval").assign(
                               by_hand=eval_by_hand(x, bn).flatten().tolist()), None)


def outputs(x: torch.Tensor, output: torch.Tensor, mode: str) -> pd.DataFrame:
    batch, features = x.shape[:2]
    return pd.DataFrame({"sample": [j for j in range(batch) for _ in range(features)],
                         "feature": list(range(features)) * batch,
                         "input": x.flatten().tolist(), mode: output.flatten().tolist()})


def eval_by_hand(x: torch.Tensor, bn: nn.BatchNorm1d) -> torch.Tensor:
    """eval()'s output from the running statistics, in float64: (x − mean)/sqrt(var + eps)."""
    mean = bn.running_mean.double()[None, :, None]
    var = bn.running_var.double()[None, :, None]
    return (x.double() - mean) / torch.sqrt(var + bn.eps) * bn.weight.double()[None, :, None] \
        + bn.bias.double()[None, :, None]


# The course's three inputs: name -> (module, its input's shape)
SHAPES = {"BatchNorm1d": (nn.BatchNorm1d, (3, 5, 1)), "BatchNorm2d": (nn.BatchNorm2d, (3, 6, 2, 2)),
          "BatchNorm3d": (nn.BatchNorm3d, (3, 4, 2, 2, 3))}


def shapes() -> pd.DataFrame:
    """For each of the course's inputs: its shape, and the shapes torch gives the running
    statistics, weight and bias after a pass (one entry per feature), and how many values each
    statistic is taken over (every sample and position of its feature)."""
    rows = []
    for name, (module, shape) in SHAPES.items():
        x = torch.ones(shape)
        bn = module(shape[1], momentum=0.3)
        bn(x)
        rows.append({"layer": name, "input": list(shape),
                     **{part: list(getattr(bn, part).shape)
                        for part in ("running_mean", "running_var", "weight", "bias")},
                     "values_per_statistic": x.numel() // shape[1]})
    return pd.DataFrame(rows)


def console(config: BatchNormConfig, result: BatchNormResult) -> list[str]:
    """What the script prints: the input, then each pass's running statistics as the course
    prints them and the second feature's hand update (the course's own lines, in English)."""
    lines = [f"input data:\n{result.input} shape is {result.input.shape}"]
    if result.error is not None:
        return [*lines, f"ValueError: {result.error}"]
    feature = min(1, config.features - 1)
    for step, rows in result.passes.groupby("pass"):
        mean = torch.tensor(rows["running_mean"].tolist())
        var = torch.tensor(rows["running_var"].tolist())
        row = rows.iloc[feature]
        lines += ["", f"iteration:{step}, running mean: {mean} ",
                  f"iteration:{step}, running var:{var} ",
                  f"iteration:{step}, feature {feature} running mean by hand: {row.hand_mean} ",
                  f"iteration:{step}, feature {feature} running var by hand:{row.hand_var}"]
    return lines


def to_script(config: BatchNormConfig) -> str:
    """The course's bn_in_123_dim.py for this Config: the passes, torch's running statistics and
    the hand update of feature 1 (the course's "second feature"), then eval()."""
    feature = min(1, config.features - 1)
    scale = " * (i + 1)" if config.pattern == "scaled" else ""
    return f'''import torch
import torch.nn as nn

batch_size, num_features, momentum = {config.batch}, {config.features}, {config.momentum!r}
features_shape = (1)
feature_map = torch.ones(features_shape)  # 1D
feature_maps = torch.stack([feature_map * (i + 1) for i in range(num_features)], dim=0)  # 2D
feature_maps_bs = torch.stack([feature_maps{scale} for i in range(batch_size)], dim=0)  # 3D
print("input data:\\n{{}} shape is {{}}".format(feature_maps_bs, feature_maps_bs.shape))

bn = nn.BatchNorm1d(num_features=num_features, momentum=momentum)
running_mean, running_var = 0, 1
values = feature_maps_bs[:, {feature}].flatten().tolist()  # feature {feature} in every sample
mean_t = sum(values) / len(values)
var_t = sum((v - mean_t) ** 2 for v in values) / len(values)  # the biased variance
for i in range({config.passes}):
    try:
        outputs = bn(feature_maps_bs)
    except ValueError as error:
        print(f"ValueError: {{error}}")
        break
    print("\\niteration:{{}}, running mean: {{}} ".format(i, bn.running_mean))
    print("iteration:{{}}, running var:{{}} ".format(i, bn.running_var))
    running_mean = (1 - momentum) * running_mean + momentum * mean_t
    running_var = (1 - momentum) * running_var + momentum * var_t
    print("iteration:{{}}, feature {feature} running mean by hand: {{}} ".format(i, running_mean))
    print("iteration:{{}}, feature {feature} running var by hand:{{}}".format(i, running_var))
'''
