"""BatchNorm, LayerNorm, InstanceNorm and GroupNorm on the course's tensors (its lesson 27), each
output recomputed by hand over the values it normalises together: a block of the N × C × (H·W)
cube, the picture of which axes each layer normalises over.

The course's tensors: feature map i filled with i + 1, the same in every sample (GroupNorm's:
sample j multiplied by j + 1). LayerNorm on 8 × 6 × 3 × 4 with normalized_shape [6, 3, 4] (the
course's [6, 3] is refused by torch today, with its own message), InstanceNorm2d(3,
momentum=0.3) on 3 × 3 × 2 × 2, GroupNorm(groups, 4) on 2 × 4 × 2 × 2 (groups 4, 2, 1; 3 is
refused), and BatchNorm2d(6) on the course's 3 × 6 × 2 × 2."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch import nn

from core.bounds import Bound
from core.errors import Notice
from core.settings import setting, validate_settings

LAYERS = ("batchnorm", "layernorm", "instancenorm", "groupnorm")
SHAPES = {"batchnorm": (3, 6, 2, 2), "layernorm": (8, 6, 3, 4), "instancenorm": (3, 3, 2, 2),
          "groupnorm": (2, 4, 2, 2)}
NORMALIZED_SHAPES = ("6, 3, 4", "3, 4", "4", "6, 3")  # LayerNorm's; the course's [6, 3] fails
GROUPS = (4, 2, 1, 3)  # GroupNorm's, in the course's order; 3 does not divide 4 channels
PATTERNS = ("course", "random")


def _is(layer: str):
    return lambda chosen: chosen.get("layer") == layer


@dataclass(frozen=True)
class LayerConfig:
    layer: str = setting("layernorm", choices=LAYERS, choice_text="normalisation.layer_{choice}")
    normalized_shape: str = setting("6, 3, 4", choices=NORMALIZED_SHAPES,
                                    shown=_is("layernorm"))
    elementwise_affine: bool = setting(True, shown=_is("layernorm"))
    groups: int = setting(4, choices=GROUPS, shown=_is("groupnorm"))
    pattern: str = setting("course", choices=PATTERNS, choice_text="normalisation.pattern_{choice}")
    seed: int = setting(1, low=0, high=2**31 - 1,
                        shown=lambda chosen: chosen.get("pattern") == "random")
    sample: int = setting(0, low=0, high=7)
    channel: int = setting(0, low=0, high=5)


def validate(config: LayerConfig) -> tuple[LayerConfig, list[Notice]]:
    """The settings, then the sample and channel inside the layer's own tensor."""
    notices: list[Notice] = []
    config = validate_settings(config, notices)
    n, c = SHAPES[config.layer][:2]
    return replace(config, sample=int(Bound("sample", 0, n - 1).clamp(config.sample, notices)),
                   channel=int(Bound("channel", 0, c - 1).clamp(config.channel, notices))), \
        notices


def course_input(config: LayerConfig) -> torch.Tensor:
    shape = SHAPES[config.layer]
    if config.pattern == "random":
        return torch.randn(shape, generator=torch.Generator().manual_seed(config.seed))
    feature_map = torch.ones(shape[2:])
    feature_maps = torch.stack([feature_map * (i + 1) for i in range(shape[1])], dim=0)
    scaled = config.layer == "groupnorm"
    return torch.stack([feature_maps * ((j + 1) if scaled else 1) for j in range(shape[0])],
                       dim=0)


def normalized_shape(config: LayerConfig) -> list[int]:
    return [int(size) for size in config.normalized_shape.split(",")]


def module(config: LayerConfig) -> nn.Module:
    """The layer, as the course makes it; torch's ValueError where it refuses the settings."""
    channels = SHAPES[config.layer][1]
    if config.layer == "batchnorm":
        return nn.BatchNorm2d(channels, momentum=0.3)
    if config.layer == "layernorm":
        return nn.LayerNorm(normalized_shape(config),
                            elementwise_affine=config.elementwise_affine)
    if config.layer == "instancenorm":
        return nn.InstanceNorm2d(channels, momentum=0.3)
    return nn.GroupNorm(config.groups, channels)


def statistic_dims(config: LayerConfig) -> tuple[int, ...]:
    """The dimensions of N × C × H × W that one mean and variance are taken over (GroupNorm's
    after its channels are split into groups: N × G × C/G × H × W)."""
    if config.layer == "batchnorm":
        return (0, 2, 3)
    if config.layer == "layernorm":
        return tuple(range(4 - len(normalized_shape(config)), 4))
    if config.layer == "instancenorm":
        return (2, 3)
    return (2, 3, 4)


def by_hand(config: LayerConfig, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(x − mean)/sqrt(var + eps) over each block, in float64 (biased variance, eps 1e-5; the
    affine weight 1 and bias 0 of a new layer change nothing); and, for each value, the size of
    the two terms torch adds in float32, (|x| + |mean|)/sqrt(var + eps): it computes
    x·(1/σ) + (−mean·(1/σ)), so it rounds at float32's precision of that size."""
    x = x.double()
    grouped = x.reshape(x.shape[0], config.groups, -1, *x.shape[2:]) \
        if config.layer == "groupnorm" else x
    dims = statistic_dims(config)
    mean = grouped.mean(dims, keepdim=True)
    sigma = torch.sqrt(grouped.var(dims, keepdim=True, correction=0) + 1e-5)
    terms = (grouped.abs() + mean.abs()) / sigma
    return ((grouped - mean) / sigma).reshape(x.shape), terms.reshape(x.shape)


EPSILON = torch.finfo(torch.float32).eps  # float32's relative precision


def block(config: LayerConfig) -> torch.Tensor:
    """Which values are normalised together with the chosen sample's channel at position 0: a
    boolean mask of N × C × H × W."""
    shape = SHAPES[config.layer]
    index = torch.zeros(shape, dtype=torch.bool)
    n, c = config.sample, config.channel
    if config.layer == "batchnorm":
        index[:, c] = True
    elif config.layer == "instancenorm":
        index[n, c] = True
    elif config.layer == "groupnorm":
        size = shape[1] // config.groups
        index[n, c // size * size:(c // size + 1) * size] = True
    else:  # layernorm: the last len(normalized_shape) dimensions, the others at n, c, 0
        kept = 4 - len(normalized_shape(config))
        at = [n, c, 0, 0][:kept]
        index[tuple(at)] = True
    return index


def block_box(config: LayerConfig) -> tuple[tuple[int, int], ...]:
    """The block as a box of the N × C × (H·W) cube: a (first, last + 1) range per axis."""
    mask = block(config)
    index = mask.reshape(mask.shape[0], mask.shape[1], -1).nonzero()
    return tuple((int(index[:, axis].min()), int(index[:, axis].max()) + 1) for axis in range(3))


@dataclass(frozen=True)
class LayerResult:
    input: torch.Tensor
    output: torch.Tensor | None  # None where torch refuses
    error: str | None  # torch's own message
    weight_shape: list[int] | None  # None: the layer has no weight (no elementwise affine)
    hand: torch.Tensor | None
    largest_difference: float  # |torch − by hand| over every value
    largest_term: float  # the largest of the terms torch adds, (|x| + |mean|)/σ
    epsilons: float  # largest_difference in float32 epsilons of largest_term


def run(config: LayerConfig) -> LayerResult:
    """config validated."""
    x = course_input(config)
    try:
        layer = module(config)
        output = layer(x).detach()
    except (RuntimeError, ValueError) as error:  # torch refuses: its own message
        return LayerResult(x, None, str(error), None, None, math.nan, math.nan, math.nan)
    weight = getattr(layer, "weight", None)
    hand, terms = by_hand(config, x)
    difference = (output.double() - hand).abs()
    largest, term = float(difference.max()), float(terms.max())
    return LayerResult(x, output, None, None if weight is None else list(weight.shape), hand,
                       largest, term, largest / (EPSILON * term))


TITLES = {"batchnorm": "Batch Normalization", "layernorm": "Layer Normalization",
          "instancenorm": "Instance Normalization", "groupnorm": "Group Normalization"}


def console(config: LayerConfig, result: LayerResult) -> list[str]:
    """What the script prints: the layer, its weight's shape, the chosen sample's input and
    output (or torch's refusal)."""
    n = config.sample
    lines = [TITLES[config.layer]]
    if result.error is not None:
        return [*lines, f"Error: {result.error}"]
    weight = None if result.weight_shape is None else torch.Size(result.weight_shape)
    return [*lines, f"weight shape: {weight}", f"input[{n}]:", str(result.input[n]),
            f"output[{n}]:", str(result.output[n])]


def short(config: LayerConfig) -> str:
    """The layer in a few characters: "LayerNorm([6, 3, 4])", "GroupNorm(2, 4)"."""
    channels = SHAPES[config.layer][1]
    return {"batchnorm": f"BatchNorm2d({channels})",
            "layernorm": f"LayerNorm({normalized_shape(config)})",
            "instancenorm": f"InstanceNorm2d({channels})",
            "groupnorm": f"GroupNorm({config.groups}, {channels})"}[config.layer]


def code(config: LayerConfig) -> str:
    """The layer's constructor as the script writes it."""
    if config.layer == "batchnorm":
        return "nn.BatchNorm2d(num_features=6, momentum=0.3)"
    if config.layer == "layernorm":
        return (f"nn.LayerNorm({normalized_shape(config)}, "
                f"elementwise_affine={config.elementwise_affine})")
    if config.layer == "instancenorm":
        return "nn.InstanceNorm2d(num_features=3, momentum=0.3)"
    return f"nn.GroupNorm({config.groups}, 4)"


def to_script(config: LayerConfig) -> str:
    batch, features, *spatial = SHAPES[config.layer]
    if config.pattern == "random":
        inputs = (f"torch.manual_seed({config.seed})\n"
                  f"feature_maps_bs = torch.randn({batch}, {features}, {spatial[0]}, "
                  f"{spatial[1]})")
    else:
        scale = " * (i + 1)" if config.layer == "groupnorm" else ""
        shape = tuple(spatial)
        inputs = f'''batch_size, num_features, features_shape = {batch}, {features}, {shape}
feature_map = torch.ones(features_shape)  # 2D
feature_maps = torch.stack([feature_map * (i + 1) for i in range(num_features)], dim=0)  # 3D
feature_maps_bs = torch.stack([feature_maps{scale} for i in range(batch_size)], dim=0)  # 4D'''
    n = config.sample
    return f'''import torch
import torch.nn as nn

{inputs}

print("{TITLES[config.layer]}")
try:
    layer = {code(config)}
    outputs = layer(feature_maps_bs)
except (RuntimeError, ValueError) as error:
    print(f"Error: {{error}}")
else:
    print("weight shape:", None if layer.weight is None else layer.weight.shape)
    print("input[{n}]:")
    print(feature_maps_bs[{n}])
    print("output[{n}]:")
    print(outputs[{n}].detach())
'''
