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

from core import activations, initializers, network, values
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
    assert values.agreeing_digits(math.inf, math.inf) == 17
    assert values.agreeing_digits(math.nan, math.nan) == 0  # a diverged pair agrees on nothing
    assert values.agreeing_digits(math.inf, 1.5) == 0


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


# ---- nn.Linear's own weights, kept and grown across depths ---------------------------------

def test_the_default_init_is_the_weights_nn_linear_drew_at_construction():
    config = replace(COURSE, depth=30, width=64, initialize=False)
    torch.manual_seed(config.seed)
    linears = [nn.Linear(64, 64, bias=False) for _ in range(30)]
    x = torch.randn(config.batch, 64)
    weights, drawn = network.draw(config)
    assert all(torch.equal(w, linear.weight.data) for w, linear in zip(weights, linears,
                                                                        strict=True))
    assert torch.equal(drawn, x)  # the input is drawn right after construction


def test_a_deeper_network_reuses_the_construction_of_a_shallower_one():
    network.clear_draws()
    shallow = network.construction(3, 64).upto(10)[0]
    deep = network.construction(3, 64).upto(12)[0]
    assert all(a is b for a, b in zip(shallow, deep[:10], strict=False))  # not drawn again
    generator = torch.Generator().manual_seed(3)
    for layer in deep:
        expected = torch.empty(64, 64)
        nn.init.kaiming_uniform_(expected, a=math.sqrt(5), generator=generator)
        assert torch.equal(layer, expected)
    assert torch.equal(network.construction(3, 64).upto(12)[1], generator.get_state())


def test_a_run_leaves_the_kept_weights_as_they_were():
    config = replace(COURSE, depth=6, width=32, initialize=False)
    network.run(config)
    kept = network.construction(config.seed, 32).upto(6)[0]
    assert not any(w.requires_grad or w.grad is not None for w in kept)
    scaled = replace(COURSE, depth=6, width=32)  # normal_(std=1): the standard draw itself
    network.run(scaled)
    standard, _ = network.STANDARD_DRAWS.get(("normal", 3, 32, 6), lambda: None)
    assert not any(w.requires_grad or w.grad is not None for w in standard)


@pytest.mark.parametrize("spec", [InitSpec("xavier_uniform", gain=g)
                                  for g in (1.0, 5 / 3, math.sqrt(2), 0.75)]
                         + [InitSpec("kaiming_uniform", a=math.sqrt(5)),
                            InitSpec("kaiming_uniform", nonlinearity="relu")],
                         ids=lambda s: f"{s.method}-{s.gain:.3f}-{s.a:.3f}")
def test_a_uniform_fill_is_bitwise_the_map_of_one_standard_uniform_draw(spec):
    """What lets the init matrix draw one uniform_(0, 1) per layer for every Xavier gain: torch's
    uniform_(-h, h) is u·2h − h of its raw u, rounded as this CPU's kernel rounds it (fused on
    AVX2 and AVX-512, not with ATEN_CPU_CAPABILITY=default; CI runs both)."""
    for size in (256, 33, 3):
        drawn = initializers.apply(spec, torch.empty(size, size),
                                   torch.Generator().manual_seed(9))
        u = torch.empty(size, size).uniform_(0, 1, generator=torch.Generator().manual_seed(9))
        assert torch.equal(drawn, initializers.from_standard(
            *initializers.standard_fill(spec, size, size), u))
    config = replace(COURSE, depth=4, width=40, init=spec)
    generator = torch.Generator()
    generator.set_state(network._after_construction(config.seed, 4, 40))
    fresh = [initializers.apply(spec, torch.empty(40, 40), generator) for _ in range(4)]
    assert all(torch.equal(a, b) for a, b in zip(network.draw_weights(config)[0], fresh,
                                                 strict=True))


# ---- float64: the course's demo past float32's overflow ---------------------------------------

def course_mlp64(config: network.NetConfig):
    """The course's network with its weights and input cast to float64: each layer's output std,
    each weight's gradient std and each output's gradient rms for loss = output.mean()."""
    torch.manual_seed(config.seed)
    linears = nn.ModuleList(
        [nn.Linear(config.width, config.width, bias=False) for _ in range(config.depth)])
    for linear in linears:
        nn.init.normal_(linear.weight.data, std=config.init.std)
    x = torch.randn(config.batch, config.width).double()
    linears.double()
    act = activations.function(config.activation, config.negative_slope)
    outputs = []
    for linear in linears:
        x = act(linear(x))
        x.retain_grad()
        outputs.append(x)
    x.mean().backward()
    return ([o.std().item() for o in outputs], [lin.weight.grad.std().item() for lin in linears],
            [o.grad.square().mean().sqrt().item() for o in outputs])


def test_the_float64_run_goes_on_where_float32_overflows():
    result = network.run(COURSE)
    stds, grads, _ = course_mlp64(COURSE)
    layers = result.layers
    assert layers["run64_std"].tolist() == stds  # the same operations in float64, bit for bit
    assert layers["run64_grad_std"].tolist() == grads
    assert all(math.isfinite(v) and v > 1e38 for v in layers["run64_std"][31:])  # past float32
    assert layers["grad_std"].isna().all()  # float32's backward: all nan, the chart was blank
    assert all(math.isfinite(v) for v in layers["run64_grad_std"])
    # the theory goes on too, past float32's 3.4e38: within ×2 of the float64 run everywhere
    ratio = layers["run64_std"] / layers["theory_std"]
    assert ratio.between(0.5, 2).all()
    assert layers["theory_std"].iloc[-1] == pytest.approx(16.0**100, rel=1e-2)


def test_a_run_that_stays_finite_has_no_float64_run():
    result = network.run(replace(COURSE, init=InitSpec("normal", std=1 / 16)))
    assert not network.has_float64_run(result.layers)
    assert result.layers[list(network.RUN64)].isna().all(axis=None)


def test_the_overflow_layer_is_computed_for_the_width():
    """The theory text's "float32 overflows after L layers" for any width: the first layer whose
    predicted std passes 3.4e38, which the course's network reaches as its first inf (layer 31)."""
    assert network.overflow_layer(COURSE) == network.run(COURSE).first_inf == 31
    wide = replace(COURSE, width=1024, depth=16)  # sqrt(n) = 32 per layer: 32**16 = 1.2e24
    assert network.overflow_layer(wide) is None
    assert network.overflow_layer(replace(wide, depth=40)) == 25  # 32**26 > 3.4e38 > 32**25
    assert network.overflow_layer(replace(COURSE, init=InitSpec("normal", std=1 / 16))) is None


# ---- The backward pass, layer by layer ------------------------------------------------------

@pytest.mark.parametrize(("activation", "init", "per_layer"), [
    ("tanh", InitSpec("xavier_uniform", gain=5 / 3), 1.10),  # the course's demo: grows back
    ("sigmoid", InitSpec("xavier_uniform"), 0.236),  # sigmoid' <= 1/4: shrinks back
    ("relu", InitSpec("kaiming_normal"), 1.0),
    ("none", InitSpec("normal", std=1.0), 16.0),
])
def test_the_backward_factor_is_sqrt_n_w_times_the_rms_slope(activation, init, per_layer):
    config = replace(COURSE, activation=activation, init=init)
    result = network.run(config)
    factors = network.backward_factors(config, result)
    # the prediction from the weights and the slopes the run met, and the measured per-layer
    # factor of the gradient's rms between the last layer and the first: within 3 % a layer
    assert factors["predicted"] == pytest.approx(per_layer, rel=0.03)
    assert factors["measured"] == pytest.approx(factors["predicted"], rel=0.03)
    # measured from the gradients torch computes for the course's network (float64 where
    # float32 under- or overflows: sigmoid's first layer's gradient is 0 in float32)
    if network.has_float64_run(result.layers):
        _, _, rms = course_mlp64(config) if init.method == "normal" else (None, None, None)
        if rms is not None:
            assert factors["total"] == pytest.approx(rms[0] / rms[-1], rel=1e-9)
    assert factors["total"] == pytest.approx(factors["measured"] ** 99, rel=1e-6)


def test_sigmoid_with_xavier_underflows_float32_and_the_float64_run_says_by_how_much():
    config = replace(COURSE, activation="sigmoid", init=InitSpec("xavier_uniform"))
    result = network.run(config)
    assert result.layers["grad_std"].iloc[0] == 0.0  # float32's smallest number is 1.4e-45
    assert 0 < result.layers["run64_grad_std"].iloc[0] < 1e-45


# ---- BatchNorm: the course's cure ----------------------------------------------------------------

def course_batchnorm(config: network.NetConfig, initialize=None) -> list[str]:
    """The course's bn_and_initialize.py, step for step (its initialize() left out, as in the
    course, unless a re-initialisation is given), returning what it prints."""
    torch.manual_seed(config.seed)
    linears = nn.ModuleList([nn.Linear(config.width, config.width, bias=False)
                             for _ in range(config.depth)])
    bns = nn.ModuleList([nn.BatchNorm1d(config.width) for _ in range(config.depth)])
    for linear in linears if initialize else []:
        initialize(linear.weight.data)
    x = torch.randn((config.batch, config.width))
    printed = []
    for (i, linear), bn in zip(enumerate(linears), bns, strict=True):
        x = linear(x)
        x = bn(x)
        x = torch.relu(x)
        if torch.isnan(x.std()):
            printed.append(f"output is nan in {i} layers")
            break
        printed.append("layers:{}, std:{}".format(i, x.std().item()))  # noqa: UP032 (as the course)
    return printed


def test_the_batchnorm_demo_prints_the_course_console():
    config = network.BATCHNORM_COURSE
    assert (config.seed, config.activation, config.initialize, config.batchnorm) == (
        1, "relu", False, True)
    result = network.run(config)
    # the same operations as the course's code on this machine: the same bits, every line
    assert result.console == course_batchnorm(config)
    # layer 0 is the same on every CPU measured (AVX-512 and ATEN_CPU_CAPABILITY=default); from
    # layer 1 on the low digits follow the CPU's matmul kernels (0.5803308486938477 on one,
    # 0.5803307890892029 on the other)
    assert result.console[0] == "layers:0, std:0.5751240849494934"
    assert float(result.console[1].split("std:")[1]) == pytest.approx(0.58033, rel=1e-5)
    printed = printed_lines(network.to_script(config))
    assert printed[: len(result.console)] == result.console


def test_with_batchnorm_the_std_settles_at_the_std_of_relu_of_a_standard_normal():
    """Behind a train-mode BatchNorm every feature has mean 0 and variance 1 over the batch, so
    each layer's output is ReLU of (about) N(0, 1): E[relu(z)] = 1/sqrt(2 pi), E[relu(z)^2] =
    1/2, std = sqrt(1/2 - 1/(2 pi)) = 0.5838."""
    settled = network.settled_std(network.BATCHNORM_COURSE)
    assert settled == pytest.approx(math.sqrt(0.5 - 1 / (2 * math.pi)), rel=1e-15)
    z = torch.randn(4_000_000, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.relu(z).std().item() == pytest.approx(settled, rel=2e-3)
    stds = network.run(network.BATCHNORM_COURSE).layers["std"]
    # the run: 16 samples per feature, 4,096 entries a layer: each layer within 3 %, the mean
    # over 100 layers within 1 %
    assert (stds / settled).between(0.97, 1.03).all()
    assert stds.mean() == pytest.approx(settled, rel=0.01)
    assert network.run(network.BATCHNORM_COURSE).layers["theory_std"].eq(settled).all()


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_the_settled_std_of_every_activation_is_its_std_on_a_standard_normal(name):
    z = torch.randn(4_000_000, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    measured = activations.function(name, 0.2)(z).std().item()
    assert activations.normal_std(name, 0.2) == pytest.approx(measured, rel=2e-3)


def test_with_batchnorm_the_initialisation_stops_mattering():
    """std = 1, Kaiming and nn.Linear's default: the same per-layer std behind BatchNorm (which
    divides out any scale of the weights: std = 1 and Kaiming are one normal draw scaled), as the
    course's code computes each."""
    config = network.BATCHNORM_COURSE
    table = network.batchnorm_inits(config)
    for name, initialize in (("std_one", lambda w: nn.init.normal_(w, std=1)),
                             ("kaiming", nn.init.kaiming_normal_), ("linear_default", None)):
        printed = course_batchnorm(config, initialize)
        assert [float(line.split("std:")[1]) for line in printed] == table[name].tolist()
    scale_free = (table["std_one"] / table["kaiming"] - 1).abs()
    # the same to 5 digits at the first layer (BatchNorm divides the scale out, up to rounding);
    # deeper, that rounding grows as any difference does in this network, to a few per cent
    assert scale_free.iloc[0] < 1e-5 and scale_free.max() < 0.05
    # and every init's every layer near where BatchNorm settles it (16 samples a feature: a
    # layer's std spreads by about 1 % around it)
    assert (table[["std_one", "kaiming", "linear_default"]] / network.settled_std(config)
            ).stack().between(0.95, 1.05).all()
    printed = printed_lines(network.batchnorm_inits_script(config))
    for name in network.BATCHNORM_INITS:
        assert [float(line.split()[2]) for line in printed if line.startswith(name)] == \
            table[name].tolist()


def test_batchnorm_needs_two_samples_and_the_budget_holds():
    config, notices = network.validate(replace(network.BATCHNORM_COURSE, batch=1))
    assert config.batch == 2 and notices[0].key == "explosion.batchnorm_batch"
    config, notices = network.validate(replace(COURSE, depth=200, batch=128))
    assert network.work(config) <= network.MAX_WORK < network.work(replace(config,
                                                                           depth=config.depth + 1))
    assert notices[-1].key == "explosion.work_budget"
    assert network.validate(COURSE) == (COURSE, [])
