"""The normalisation lesson's computations against plain PyTorch: the course's bn_in_123_dim.py
written out as the course writes it, the hand update and the unbiased variance, eval()'s
statistics, and every layer's output against torch's own float64 functional and its block
against which outputs move when one input moves."""

from dataclasses import replace

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InputError
from core.normalisation import batchnorm, layers
from harness.scripts import run_script


def course_batchnorm(config: batchnorm.BatchNormConfig) -> list[tuple[list, list]]:
    """The course's loop: its input, BatchNorm1d(num_features, momentum), running_mean and
    running_var after each pass."""
    feature_map = torch.ones(1)
    feature_maps = torch.stack([feature_map * (i + 1) for i in range(config.features)], dim=0)
    scale = (lambda j: j + 1) if config.pattern == "scaled" else (lambda j: 1)
    x = torch.stack([feature_maps * scale(j) for j in range(config.batch)], dim=0)
    bn = nn.BatchNorm1d(num_features=config.features, momentum=config.momentum)
    seen = []
    for _ in range(config.passes):
        bn(x)
        seen.append((bn.running_mean.tolist(), bn.running_var.tolist()))
    return seen


def per_pass(result: batchnorm.BatchNormResult, column: str) -> list[list[float]]:
    return [rows[column].tolist() for _, rows in result.passes.groupby("pass")]


def test_the_course_batch_prints_the_course_numbers():
    config = batchnorm.BatchNormConfig()
    result = batchnorm.run(config)
    seen = course_batchnorm(config)
    assert per_pass(result, "running_mean") == [mean for mean, _ in seen]
    assert per_pass(result, "running_var") == [var for _, var in seen]
    lines = batchnorm.console(config, result)
    assert lines[2:6] == [
        "iteration:0, running mean: tensor([0.3000, 0.6000, 0.9000, 1.2000, 1.5000]) ",
        "iteration:0, running var:tensor([0.7000, 0.7000, 0.7000, 0.7000, 0.7000]) ",
        "iteration:0, feature 1 running mean by hand: 0.6 ",
        "iteration:0, feature 1 running var by hand:0.7"]
    assert lines[7:11] == [
        "iteration:1, running mean: tensor([0.5100, 1.0200, 1.5300, 2.0400, 2.5500]) ",
        "iteration:1, running var:tensor([0.4900, 0.4900, 0.4900, 0.4900, 0.4900]) ",
        "iteration:1, feature 1 running mean by hand: 1.02 ",
        "iteration:1, feature 1 running var by hand:0.48999999999999994"]


@pytest.mark.parametrize("config", [
    batchnorm.BatchNormConfig(), batchnorm.BatchNormConfig(pattern="scaled"),
    batchnorm.BatchNormConfig(pattern="scaled", batch=7, features=3, momentum=0.1, passes=5),
    batchnorm.BatchNormConfig(batch=1)])
def test_the_batchnorm_script_prints_the_console(config):
    result = batchnorm.run(config)
    assert run_script(batchnorm.to_script(config)).strip() == \
        "\n".join(batchnorm.console(config, result)).strip()


@given(batch=st.integers(2, 16), features=st.integers(1, 12), passes=st.integers(1, 10),
       momentum=st.floats(0, 1), pattern=st.sampled_from(batchnorm.PATTERNS))
@settings(max_examples=40, deadline=None)
def test_torch_keeps_the_unbiased_variance_in_its_running_estimate(batch, features, passes,
                                                                  momentum, pattern):
    config = batchnorm.BatchNormConfig(momentum, batch, features, passes, pattern)
    result = batchnorm.run(config)
    seen = course_batchnorm(config)
    assert per_pass(result, "running_var") == [var for _, var in seen]
    # float32 running statistics against the float64 hand update: a relative 1e-6
    assert result.passes["running_mean"].tolist() == pytest.approx(
        result.passes["hand_mean"].tolist(), rel=1e-6, abs=1e-6)
    assert result.passes["running_var"].tolist() == pytest.approx(
        result.passes["hand_var_unbiased"].tolist(), rel=1e-6, abs=1e-6)
    n = batch
    assert result.passes["batch_var_unbiased"].tolist() == pytest.approx(
        (result.passes["batch_var"] * n / (n - 1)).tolist())


def test_the_scaled_batch_shows_the_surprise():
    result = batchnorm.run(batchnorm.BatchNormConfig(pattern="scaled"))
    first = result.passes[(result.passes["pass"] == 0) & (result.passes["feature"] == 1)].iloc[0]
    # feature 1 is 2, 4, 6: biased variance 8/3, unbiased 4
    assert (first.batch_var, first.batch_var_unbiased) == pytest.approx((8 / 3, 4.0))
    assert first.running_var == pytest.approx(0.7 + 0.3 * 4.0)
    assert first.hand_var == pytest.approx(0.7 + 0.3 * 8 / 3)


def test_eval_uses_the_running_statistics_and_train_the_batchs():
    config = batchnorm.BatchNormConfig(pattern="scaled")
    result = batchnorm.run(config)
    x = batchnorm.course_input(config.batch, config.features, config.pattern)
    bn = nn.BatchNorm1d(config.features, momentum=config.momentum)
    for _ in range(config.passes):
        train = bn(x)
    bn.eval()
    with torch.no_grad():
        assert result.train_output["train"].tolist() == train.flatten().tolist()
        assert result.eval_output["eval"].tolist() == bn(x).flatten().tolist()
        expected = F.batch_norm(x.double(), bn.running_mean.double(), bn.running_var.double(),
                                training=False, eps=bn.eps)
    assert result.eval_output["by_hand"].tolist() == pytest.approx(
        expected.flatten().tolist(), rel=1e-12)
    assert result.eval_output["eval"].tolist() == pytest.approx(
        result.eval_output["by_hand"].tolist(), rel=1e-6, abs=1e-6)


def test_a_batch_of_one_is_refused_with_torchs_message():
    result = batchnorm.run(batchnorm.BatchNormConfig(batch=1))
    with pytest.raises(ValueError) as torch_says:
        nn.BatchNorm1d(5)(torch.ones(1, 5, 1))
    assert result.error == str(torch_says.value)


def test_the_shapes_of_the_running_statistics_weight_and_bias():
    table = batchnorm.shapes()
    assert table["input"].tolist() == [[3, 5, 1], [3, 6, 2, 2], [3, 4, 2, 2, 3]]
    for part in ("running_mean", "running_var", "weight", "bias"):
        assert table[part].tolist() == [[5], [6], [4]]
    assert table["values_per_statistic"].tolist() == [3, 12, 36]


def test_out_of_range_and_nonsense_settings():
    config, notices = batchnorm.validate(batchnorm.BatchNormConfig(batch=-5, momentum=7.0))
    assert (config.batch, config.momentum) == (1, 1.0) and len(notices) == 2
    with pytest.raises(InputError, match="pattern"):
        batchnorm.validate(replace(batchnorm.BatchNormConfig(), pattern="zigzag"))


# ---- The four layers --------------------------------------------------------------------

EPSILONS = 4  # float32's rounding, in epsilons of the largest term (see below)
COURSE_CASES = [layers.LayerConfig(), layers.LayerConfig(normalized_shape="3, 4"),
                layers.LayerConfig(normalized_shape="4", elementwise_affine=False),
                layers.LayerConfig(layer="instancenorm"), layers.LayerConfig(layer="batchnorm"),
                *(layers.LayerConfig(layer="groupnorm", groups=g) for g in (4, 2, 1))]


def torch64(config: layers.LayerConfig, x: torch.Tensor) -> torch.Tensor:
    """torch's own functional form, in float64."""
    x = x.double()
    if config.layer == "batchnorm":
        return F.batch_norm(x, None, None, training=True)
    if config.layer == "layernorm":
        return F.layer_norm(x, layers.normalized_shape(config))
    if config.layer == "instancenorm":
        return F.instance_norm(x)
    return F.group_norm(x, config.groups)


@pytest.mark.parametrize("config", COURSE_CASES, ids=str)
def test_each_layer_is_torchs_and_the_hand_computation_is_torchs_in_float64(config):
    result = layers.run(config)
    module = layers.module(config)
    assert torch.equal(result.output, module(result.input).detach())
    assert result.hand.flatten().tolist() == pytest.approx(
        torch64(config, result.input).flatten().tolist(), abs=1e-12)
    # float32 against float64: torch rounds its mean, variance and 1/σ in float32 (each off by
    # up to an epsilon or so, the mean of 72 values by a few), then x·(1/σ) − mean·(1/σ): a few
    # epsilons of the largest term it adds
    assert result.epsilons <= EPSILONS


@given(layer=st.sampled_from(layers.LAYERS), seed=st.integers(0, 2**31 - 1),
       shape=st.sampled_from(layers.NORMALIZED_SHAPES[:3]), groups=st.sampled_from((4, 2, 1)),
       sample=st.integers(0, 7), channel=st.integers(0, 5))
@settings(max_examples=60, deadline=None)
def test_the_block_is_what_moves_when_one_value_moves(layer, seed, shape, groups, sample,
                                                      channel):
    """The values normalised together with (sample, channel, 0, 0) are those whose output
    changes when that input changes (on a random input, where no statistic is degenerate)."""
    config, _ = layers.validate(layers.LayerConfig(layer=layer, normalized_shape=shape,
                                                   groups=groups, pattern="random", seed=seed,
                                                   sample=sample, channel=channel))
    x = layers.course_input(config).double()
    moved = x.clone()
    moved[config.sample, config.channel, 0, 0] += 1.0
    changed = (torch64(config, moved) - torch64(config, x)).abs() > 1e-9
    assert torch.equal(changed, layers.block(config))
    result = layers.run(config)
    assert result.hand.flatten().tolist() == pytest.approx(
        torch64(config, result.input).flatten().tolist(), abs=1e-12)
    assert result.epsilons <= EPSILONS


@pytest.mark.parametrize(("config", "constructor", "shape"), [
    (layers.LayerConfig(normalized_shape="6, 3"), lambda: nn.LayerNorm([6, 3]), (8, 6, 3, 4)),
    (layers.LayerConfig(layer="groupnorm", groups=3), lambda: nn.GroupNorm(3, 4), (2, 4, 2, 2))])
def test_what_torch_refuses_is_shown_in_torchs_words(config, constructor, shape):
    result = layers.run(config)
    with pytest.raises((RuntimeError, ValueError)) as torch_says:
        constructor()(torch.ones(shape))
    assert result.output is None and result.error == str(torch_says.value)
    assert layers.console(config, result)[-1] == f"Error: {torch_says.value}"


def test_the_course_tensors():
    group = layers.course_input(layers.LayerConfig(layer="groupnorm"))
    assert group[1, 3].tolist() == [[8.0, 8.0], [8.0, 8.0]]  # channel 3 (4) in sample 1 (x 2)
    layer = layers.course_input(layers.LayerConfig())
    assert layer.shape == (8, 6, 3, 4) and layer[5, 2].unique().tolist() == [3.0]


def test_affine_is_a_weight_of_the_normalised_shape_or_none():
    assert layers.run(layers.LayerConfig()).weight_shape == [6, 3, 4]
    assert layers.run(layers.LayerConfig(elementwise_affine=False)).weight_shape is None
    assert layers.run(layers.LayerConfig(layer="instancenorm")).weight_shape is None
    assert layers.run(layers.LayerConfig(layer="groupnorm")).weight_shape == [4]


@pytest.mark.parametrize("config", [*COURSE_CASES, layers.LayerConfig(normalized_shape="6, 3"),
                                    layers.LayerConfig(layer="groupnorm", groups=3),
                                    layers.LayerConfig(layer="batchnorm", pattern="random",
                                                       seed=9, sample=2, channel=5)], ids=str)
def test_each_layers_script_prints_the_console(config):
    result = layers.run(config)
    assert run_script(layers.to_script(config)).strip() == \
        "\n".join(layers.console(config, result)).strip()


def test_sample_and_channel_are_kept_inside_the_layers_tensor():
    config, notices = layers.validate(layers.LayerConfig(layer="groupnorm", sample=7,
                                                         channel=5))
    assert (config.sample, config.channel) == (1, 3)
    assert [n.params["field"] for n in notices] == ["sample", "channel"]
