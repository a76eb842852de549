"""The explosion demo against plain PyTorch: the course's printout, and layer-by-layer equality
with an nn.Module MLP built after torch.manual_seed, as the course builds it."""

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st

from core import activations, network, values
from core.cache import ByteBoundCache
from core.errors import InputError
from core.initializers import InitSpec
from harness.scripts import printed_lines

COURSE = network.NetConfig()  # 100 layers of 256, batch 16, normal_(std=1), no activation, seed 3


def course_mlp(config: network.NetConfig):
    """The course's code, with torch's global generator: returns each layer's output and the
    weights' gradients for loss = output.mean()."""
    torch.manual_seed(config.seed)
    linears = nn.ModuleList(
        [nn.Linear(config.width, config.width, bias=False) for _ in range(config.depth)])
    for linear in linears:
        nn.init.normal_(linear.weight.data, std=config.init.std)
    x = torch.randn(config.batch, config.width)
    act = activations.function(config.activation, config.negative_slope)
    outputs = []
    for linear in linears:
        x = act(linear(x))
        outputs.append(x.detach())
    x.mean().backward()
    return outputs, [linear.weight.grad for linear in linears]


def test_default_prints_the_course_numbers():
    result = network.run(COURSE)
    assert result.console[:3] == [
        "layer:0, std:16.0981502532959",
        "layer:1, std:253.29345703125",
        "layer:2, std:3982.99951171875",
    ]


def test_torch_2_13_says_nan_at_30_while_activations_are_finite_until_31():
    result = network.run(COURSE)
    assert result.first_nan_std == 30
    assert result.console[-1] == "output is nan in 30 layers"
    assert result.first_inf == 31
    # In float64 the std at layer 30 is the number the course printed, but only to about 7
    # digits: after thirty float32 matmuls the low digits depend on the CPU and the kernels torch
    # picks for it (1.5e-7 apart on an AMD EPYC, with any thread count and with
    # ATEN_CPU_CAPABILITY=default; 1.3e-9 on the machine the course's digits came from).
    std64 = result.layers["std64"][30]
    assert std64 == pytest.approx(network.COURSE_STD_AT_30, rel=1e-6)
    assert values.agreeing_digits(std64, network.COURSE_STD_AT_30) >= 6
    assert result.trend == "explodes"


@pytest.mark.parametrize("config", [
    replace(COURSE, depth=40),
    replace(COURSE, depth=12, width=64, batch=5, activation="tanh", seed=7,
            init=InitSpec("normal", std=0.2)),
    replace(COURSE, depth=8, width=33, batch=3, activation="leaky_relu", negative_slope=0.2,
            init=InitSpec("normal", std=0.3)),
])
def test_private_generator_equals_the_course_module_layer_by_layer(config):
    outputs, grads = course_mlp(config)
    result = network.run(config)
    for layer, out in enumerate(outputs):
        torch.testing.assert_close(result.layers["std"][layer], out.std().item(), rtol=0, atol=0,
                                   equal_nan=True)
        torch.testing.assert_close(result.layers["std64"][layer], out.double().std().item(),
                                   rtol=0, atol=0, equal_nan=True)
    for layer, grad in enumerate(grads):
        torch.testing.assert_close(result.layers["grad_std"][layer], grad.std().item(),
                                   equal_nan=True)


def test_std_sqrt_one_over_n_stays_near_one_for_all_100_layers():
    result = network.run(replace(COURSE, init=InitSpec("normal", std=math.sqrt(1 / 256))))
    assert result.layers["std"].between(0.8, 1.5).all()
    assert result.trend == "stable"


def test_theory_line_is_the_variance_argument():
    config = replace(COURSE, depth=5, init=InitSpec("normal", std=0.5))
    expected = [(16 * 0.5) ** (layer + 1) for layer in range(5)]
    assert network.theory_std(config) == pytest.approx(expected)
    # ReLU with Kaiming's std = sqrt(2/n): the prediction is flat and the measurement follows it
    relu = replace(COURSE, activation="relu", init=InitSpec("kaiming_normal"))
    result = network.run(relu)
    assert result.layers["theory_std"].tolist() == pytest.approx([math.sqrt(1 - 1 / math.pi)] * 100)
    ratio = result.layers["std"] / result.layers["theory_std"]
    assert ratio.between(0.5, 2.5).all()
    # no closed form for a curved activation: no line rather than a wrong one
    assert all(math.isnan(v) for v in network.theory_std(replace(COURSE, activation="tanh")))


def test_validate_clamps_each_size_with_a_notice():
    config, notices = network.validate(replace(COURSE, depth=5000, width=1, batch=-5, seed=-1))
    assert (config.depth, config.width, config.batch, config.seed) == (200, 2, 1, 0)
    assert [n.params["field"] for n in notices] == ["depth", "width", "batch", "seed"]
    assert "depth: 5000 is outside 1 to 200; using 200." in [str(n) for n in notices]


def test_weight_budget_reduces_depth_with_a_notice():
    config, notices = network.validate(replace(COURSE, depth=200, width=1024))
    assert config.depth * config.width**2 <= network.MAX_WEIGHTS
    assert config.depth == 16
    assert notices[0].key == "notice.weight_budget"


def test_unknown_names_raise_input_errors_that_name_the_field():
    with pytest.raises(InputError, match="activation"):
        network.validate(replace(COURSE, activation="swish"))
    with pytest.raises(InputError, match="std"):
        network.validate(replace(COURSE, init=InitSpec("normal", std=math.nan)))



def test_agreeing_digits_counts_leading_significant_digits():
    assert values.agreeing_digits(2.2885402462864858e37, 2.2885405881461517e37) == 7
    assert values.agreeing_digits(1.5, 1.5) == 17
    assert values.agreeing_digits(1.5, 1.4) == 1
    assert values.agreeing_digits(1.0, 9.9) == 0  # different magnitudes
    assert values.agreeing_digits(-1.5, 1.5) == 0


def test_generated_script_prints_the_course_numbers():
    printed = printed_lines(network.to_script(COURSE))
    result = network.run(COURSE)
    assert printed[: len(result.console)] == result.console


@settings(max_examples=6, deadline=None)
@given(depth=st.integers(1, 12), width=st.integers(2, 40), batch=st.integers(1, 6),
       activation=st.sampled_from(sorted(activations.ACTIVATIONS)),
       std=st.floats(0.01, 3), slope=st.floats(0, 1), seed=st.integers(0, 2**31 - 1))
def test_generated_script_reproduces_core_for_random_configs(depth, width, batch, activation,
                                                             std, slope, seed):
    config = network.NetConfig(depth, width, batch, activation, slope,
                               InitSpec("normal", std=std), seed)
    printed = printed_lines(network.to_script(config))
    result = network.run(config)
    assert printed[: len(result.console)] == result.console
    grads = [float(line.split("std:")[1]) for line in printed if line.startswith("grad:")]
    assert grads == pytest.approx(result.layers["grad_std"].tolist(), nan_ok=True)


@pytest.mark.parametrize("std", [1.0, math.sqrt(1 / 256)], ids=["std_one", "std_scaled"])
def test_each_std_preset_script_prints_every_number_core_computes(std):
    config = replace(COURSE, init=InitSpec("normal", std=std))
    printed = printed_lines(network.to_script(config))
    result = network.run(config)
    assert printed[: len(result.console)] == result.console
    grads = [float(line.split("std:")[1]) for line in printed if line.startswith("grad:")]
    assert grads == pytest.approx(result.layers["grad_std"].tolist(), rel=0, abs=0, nan_ok=True)


STDS = [1.0, 1 / 16, 0.3, math.sqrt(1 / 33), math.sqrt(2 / 256), 0.05, 2.0, 7.5]


@pytest.mark.parametrize("std", STDS)
def test_normal_with_std_s_is_bitwise_s_times_the_standard_draw(std):
    """What the kept standard draws rely on, for every std the pages' presets and schemes use
    (1, sqrt(1/n), Kaiming's sqrt(2/n)) and a few others, on odd and even sizes of 16 entries
    or more (torch draws smaller tensors in double precision: network draws those afresh)."""
    for shape in ((256, 256), (33, 33), (4, 4), (1024, 1024)):
        drawn = torch.empty(shape).normal_(0, std, generator=torch.Generator().manual_seed(7))
        standard = torch.empty(shape).normal_(0, 1, generator=torch.Generator().manual_seed(7))
        assert torch.equal(drawn, std * standard)


def test_kept_standard_draws_give_the_same_bits_as_drawing_afresh():
    config = replace(COURSE, depth=20, width=64, batch=4, init=InitSpec("normal", std=0.3))
    network.STANDARD_DRAWS.clear()
    first = network.run(config)  # draws and keeps the standard draw
    assert network.STANDARD_DRAWS.bytes > 0
    again = network.run(replace(config, init=InitSpec("normal", std=0.3)))  # from the kept one
    generator = torch.Generator()
    generator.set_state(network._after_construction(config.seed, config.depth, config.width))
    fresh = [torch.empty(64, 64).normal_(0, 0.3, generator=generator) for _ in range(20)]
    kept, _ = network.draw_weights(config)
    assert all(torch.equal(a, b) for a, b in zip(kept, fresh, strict=True))
    assert first.layers.equals(again.layers)
    tiny = replace(config, width=3, depth=4)  # 9 entries a layer: drawn afresh, as the course
    generator = torch.Generator()
    generator.set_state(network._after_construction(tiny.seed, tiny.depth, tiny.width))
    fresh = [torch.empty(3, 3).normal_(0, 0.3, generator=generator) for _ in range(4)]
    assert all(torch.equal(a, b) for a, b in zip(network.draw_weights(tiny)[0], fresh,
                                                 strict=True))


def test_a_shallower_network_is_not_a_prefix_of_a_deeper_one_in_the_course_order():
    """nn.Linear's construction draws every layer's default weights before the re-initialisation,
    so the depth moves where the re-initialisation starts: depth cannot reuse a prefix."""
    shallow, _ = network.draw_weights(replace(COURSE, depth=50))
    deep, _ = network.draw_weights(COURSE)
    assert not torch.equal(shallow[0], deep[0])


def test_the_draw_cache_is_bounded_by_bytes():
    cache = ByteBoundCache(1000, lambda value: value.nbytes)
    for key in range(5):
        cache.get(key, lambda: torch.zeros(100))  # 400 bytes each
    assert cache.bytes == 800  # the two newest
    assert cache.get(0, lambda: torch.ones(100))[0] == 1  # the oldest went, so made again
    assert cache.get(9, lambda: torch.zeros(1000)).numel() == 1000 and cache.bytes <= 1000


def test_threads_missing_one_key_make_it_once_and_all_get_it():
    """A class asking for one new view, or the init matrix's groups sharing one standard draw:
    the draw is made by one thread while the others wait for it."""
    cache = ByteBoundCache(1000, lambda value: value.nbytes)
    made, start = [], threading.Barrier(8)

    def make():
        made.append(1)
        time.sleep(0.2)  # long enough for every thread to miss the key while it is being made
        return torch.arange(10)

    def ask(_):
        start.wait(timeout=30)
        return cache.get("key", make)

    with ThreadPoolExecutor(8) as pool:
        values = list(pool.map(ask, range(8)))
    assert len(made) == 1 and all(value is values[0] for value in values)
    too_large = ByteBoundCache(10, lambda value: value.nbytes)  # not kept: each asker makes it
    assert too_large.get("key", make).tolist() == list(range(10)) and len(made) == 2
    assert too_large.get("key", make).tolist() == list(range(10)) and len(made) == 3


@pytest.mark.parametrize("gain", [1.0, 5 / 3, math.sqrt(2), 3 / 4, math.sqrt(2 / 1.0001)])
def test_orthogonal_with_a_gain_is_bitwise_the_gain_times_orthogonal_with_gain_one(gain):
    """What lets the init matrix compute one orthogonal matrix per layer for every gain."""
    for shape in ((64, 64), (3, 3)):
        drawn = torch.nn.init.orthogonal_(torch.empty(shape), gain,
                                          generator=torch.Generator().manual_seed(2))
        standard = torch.nn.init.orthogonal_(torch.empty(shape), 1.0,
                                             generator=torch.Generator().manual_seed(2))
        assert torch.equal(drawn, gain * standard)
    config = replace(COURSE, depth=3, width=8, init=InitSpec("orthogonal", gain=gain))
    generator = torch.Generator()
    generator.set_state(network._after_construction(config.seed, config.depth, config.width))
    fresh = [torch.nn.init.orthogonal_(torch.empty(8, 8), gain, generator=generator)
             for _ in range(3)]
    assert all(torch.equal(a, b) for a, b in zip(network.draw_weights(config)[0], fresh,
                                                 strict=True))
