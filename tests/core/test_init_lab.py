"""The initialisation lesson against torch: every formula against a large tensor drawn by the real
nn.init function, every gain against calculate_gain, the course's three demos, the matrix against
network.run cell by cell, and the generated scripts against core."""

import math
from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn import init

from core import activations, init_lab, initializers, network
from core.errors import InputError
from core.initializers import InitSpec
from harness.scripts import printed_lines

FAN_IN, FAN_OUT = 700, 1100  # rectangular, so fan_in and fan_out formulas cannot be confused
SPECS = [
    InitSpec("normal", mean=0.3, std=0.7),
    InitSpec("uniform", low=-0.2, high=0.9),
    InitSpec("trunc_normal", mean=0.1, std=1.0, trunc_low=-0.5, trunc_high=1.5),
    InitSpec("constant", value=0.25), InitSpec("ones"), InitSpec("zeros"), InitSpec("eye"),
    InitSpec("orthogonal", gain=1.7),
    InitSpec("sparse", sparsity=0.35, std=0.4),
    InitSpec("xavier_uniform", gain=5 / 3), InitSpec("xavier_normal", gain=0.75),
    InitSpec("kaiming_uniform", a=0.2, mode="fan_out", nonlinearity="leaky_relu"),
    InitSpec("kaiming_normal", mode="fan_in", nonlinearity="relu"),
    InitSpec("kaiming_normal", mode="fan_out", nonlinearity="tanh"),
]


def torch_draw(spec: InitSpec) -> torch.Tensor:
    """The real nn.init function (sparse_ included, with torch's own global-RNG randperm)."""
    weight = torch.empty(FAN_OUT, FAN_IN)
    g = torch.Generator().manual_seed(11)
    calls = {
        "normal": lambda: init.normal_(weight, spec.mean, spec.std, generator=g),
        "uniform": lambda: init.uniform_(weight, spec.low, spec.high, generator=g),
        "trunc_normal": lambda: init.trunc_normal_(weight, spec.mean, spec.std, spec.trunc_low,
                                                   spec.trunc_high, generator=g),
        "constant": lambda: init.constant_(weight, spec.value),
        "ones": lambda: init.ones_(weight), "zeros": lambda: init.zeros_(weight),
        "eye": lambda: init.eye_(weight),
        "orthogonal": lambda: init.orthogonal_(weight, spec.gain, generator=g),
        "sparse": lambda: init.sparse_(weight, spec.sparsity, spec.std, generator=g),
        "xavier_uniform": lambda: init.xavier_uniform_(weight, spec.gain, generator=g),
        "xavier_normal": lambda: init.xavier_normal_(weight, spec.gain, generator=g),
        "kaiming_uniform": lambda: init.kaiming_uniform_(weight, spec.a, spec.mode,
                                                         spec.nonlinearity, generator=g),
        "kaiming_normal": lambda: init.kaiming_normal_(weight, spec.a, spec.mode,
                                                       spec.nonlinearity, generator=g),
    }
    calls[spec.method]()
    return weight.double()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.method)
def test_every_formula_matches_a_large_tensor_drawn_by_nn_init(spec):
    weight = torch_draw(spec)
    n = weight.numel()
    std = initializers.entry_std(spec, FAN_IN, FAN_OUT)
    mean = initializers.entry_mean(spec, FAN_IN, FAN_OUT)
    # sampling error of a std over n = 770k entries is about std / sqrt(2n): allow 5 of them
    assert weight.std().item() == pytest.approx(std, rel=5 / math.sqrt(2 * n), abs=1e-12)
    assert weight.mean().item() == pytest.approx(mean, abs=5 * max(std, 1e-12) / math.sqrt(n))
    if spec.method == "orthogonal":  # the mean square is exact, not only within sampling error
        assert weight.square().mean().item() == pytest.approx(std**2, rel=1e-5)  # float32
    limits = initializers.bound(spec, FAN_IN, FAN_OUT)
    if limits is not None:  # drawn inside the bounds, and reaching close to both
        low, high = limits
        assert low <= weight.min().item() < low + 0.01 * (high - low)
        assert high - 0.01 * (high - low) < weight.max().item() <= high


def test_our_sparse_matches_nn_init_sparse_but_with_the_private_generator():
    spec = InitSpec("sparse", sparsity=0.3, std=0.5)
    torch.manual_seed(0)
    state = torch.get_rng_state()
    ours = initializers.apply(spec, torch.empty(50, 40), torch.Generator().manual_seed(5))
    assert torch.equal(torch.get_rng_state(), state), "the global generator was not touched"
    assert ((ours == 0).sum(dim=0) == math.ceil(0.3 * 50)).all()  # each column, as sparse_ does
    theirs = torch.empty(50, 40)
    init.sparse_(theirs, 0.3, 0.5, generator=torch.Generator().manual_seed(5))
    # as many zeros per column as torch's own (in other rows: the randperm draws differ)
    assert torch.equal((ours == 0).sum(dim=0), (theirs == 0).sum(dim=0))
    # the non-zero values are the same normal draws (the generator is consumed the same way first)
    kept = (ours != 0) & (theirs != 0)
    assert torch.equal(ours[kept], theirs[kept])


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.method)
def test_histogram_expected_fractions_match_the_drawn_fractions(spec):
    result = init_lab.draw(init_lab.DrawConfig(spec, fan_in=300, fan_out=400, seed=2))
    hist = result.histogram
    assert hist["measured"].sum() == pytest.approx(1.0)
    assert hist["expected"].sum() == pytest.approx(1.0, abs=1e-3)  # tails beyond the range
    # total variation distance between drawn and expected bins is small (120k samples)
    distance = (hist["measured"] - hist["expected"]).abs().sum() / 2
    assert distance < (0.06 if spec.method == "orthogonal" else 0.03)


def test_every_gain_formula_equals_calculate_gain():
    for slope in (0.0, 0.01, 0.2, 1.0, 3.0):
        for entry in activations.ACTIVATIONS.values():
            for name in entry.gain_names:
                param = slope if entry.takes_slope else None
                assert entry.gain_formula(slope) == pytest.approx(
                    init.calculate_gain(name, param), rel=1e-15), name
    assert set(activations.gain_names()) >= {"conv_transpose3d", "selu", "leaky_relu", "sigmoid"}


def test_gains_table_is_the_course_experiment():
    config = init_lab.GainConfig(samples=10_000, negative_slope=0.2, seed=1)
    table = init_lab.gains(config).set_index("nonlinearity")
    x = torch.randn(10_000, generator=torch.Generator().manual_seed(1))
    assert table.loc["tanh", "course_ratio"] == (x.std() / torch.tanh(x).std()).item()
    assert table.loc["tanh", "calculate_gain"] == init.calculate_gain("tanh")
    assert table.loc["leaky_relu", "calculate_gain"] == init.calculate_gain("leaky_relu", 0.2)
    assert table.loc["conv2d", "course_ratio"] == 1.0


def test_relu_course_ratio_differs_from_calculate_gain_but_the_rms_ratio_agrees():
    table = init_lab.gains(init_lab.GainConfig(samples=2_000_000)).set_index("nonlinearity")
    relu = table.loc["relu"]
    assert relu["course_ratio"] == pytest.approx(1 / math.sqrt(0.5 - 1 / (2 * math.pi)), rel=3e-3)
    assert relu["rms_ratio"] == pytest.approx(init.calculate_gain("relu"), rel=3e-3)
    assert abs(relu["course_ratio"] - relu["calculate_gain"]) > 0.25
    leaky = table.loc["leaky_relu"]
    assert leaky["rms_ratio"] == pytest.approx(leaky["calculate_gain"], rel=3e-3)


COURSE = init_lab.MatrixConfig()  # 100 layers of 256, batch 16, seed 3


def test_course_pairs_come_out_as_the_course_describes():
    verdicts = {}
    for name, (activation, scheme) in init_lab.COURSE_PAIRS.items():
        config = init_lab.cell(COURSE, activation, scheme)
        assert (config.depth, config.width, config.batch, config.seed) == (100, 256, 16, 3)
        verdicts[name] = network.run(config)
    assert init_lab.cell(COURSE, "tanh", "sqrt_n").init == InitSpec("normal", std=1 / 16)
    assert init_lab.cell(COURSE, "tanh", "xavier_gain").init == InitSpec(
        "xavier_uniform", gain=init.calculate_gain("tanh"))
    assert init_lab.cell(COURSE, "relu", "kaiming").init == InitSpec("kaiming_normal")
    vanishing = verdicts["tanh_sqrt_n"].layers["std"]
    assert verdicts["tanh_sqrt_n"].trend == "vanishes"
    assert vanishing.iloc[-1] < 0.1 < vanishing.iloc[0] < 1  # shrinks, layer after layer
    for stable in ("tanh_xavier", "relu_kaiming"):
        assert verdicts[stable].trend == "stable"
        assert verdicts[stable].layers["std"].between(0.3, 3).all()


@pytest.mark.parametrize("depth", [1, 9])
def test_matrix_cells_equal_network_run(depth):
    config = init_lab.MatrixConfig(depth=depth, width=24, batch=5, negative_slope=0.1, seed=4)
    matrix = init_lab.matrix(config)
    assert len(matrix) == len(activations.ACTIVATIONS) * len(init_lab.SCHEMES)
    for row in matrix.itertuples():
        layers = network.run(init_lab.cell(config, row.activation, row.scheme)).layers
        assert row.last_std == pytest.approx(layers["std"].iloc[-1], rel=1e-6, nan_ok=True)
        assert row.first_grad_std == pytest.approx(layers["grad_std"].iloc[0], rel=1e-5,
                                                   nan_ok=True)
        assert row.last_grad_std == pytest.approx(layers["grad_std"].iloc[-1], rel=1e-5,
                                                  nan_ok=True)


def test_matrix_default_sizes_tell_the_course_story():
    matrix = init_lab.matrix(COURSE).set_index(["activation", "scheme"])
    assert not matrix.loc[("none", "std_one"), "forward_healthy"]  # the previous lesson
    assert matrix.loc[("tanh", "xavier_gain"), "forward_healthy"]
    assert matrix.loc[("relu", "kaiming"), "forward_healthy"]
    assert not matrix.loc[("relu", "xavier"), "forward_healthy"]  # Xavier's gain 1 under ReLU
    assert not matrix.loc[("tanh", "sqrt_n"), "forward_healthy"]
    assert matrix.loc[("relu", "orthogonal"), "forward_healthy"]  # orthogonal with ReLU's gain
    assert matrix.loc[("relu", "orthogonal"), "backward_healthy"]


def test_derivation_numbers_match_torch_draws():
    numbers = init_lab.derivations(FAN_IN, FAN_OUT, 0.2)
    assert numbers["xavier_var"] == pytest.approx(2 / (FAN_IN + FAN_OUT))
    assert numbers["kaiming_var"] == pytest.approx(2 / FAN_IN)
    assert numbers["leaky_var"] == pytest.approx(2 / ((1 + 0.04) * FAN_IN))
    xavier = torch_draw(InitSpec("xavier_uniform"))
    assert xavier.abs().max().item() <= numbers["xavier_bound"]
    assert xavier.var().item() == pytest.approx(numbers["xavier_var"], rel=0.01)
    kaiming = torch_draw(InitSpec("kaiming_normal", nonlinearity="relu"))
    assert kaiming.var().item() == pytest.approx(numbers["kaiming_var"], rel=0.01)
    leaky = torch_draw(InitSpec("kaiming_normal", a=0.2))
    assert leaky.var().item() == pytest.approx(numbers["leaky_var"], rel=0.01)


def test_validation_clamps_with_notices_and_rejects_empty_ranges():
    config, notices = init_lab.validate_draw(init_lab.DrawConfig(
        InitSpec("xavier_uniform", gain=-1.0), fan_in=0, fan_out=5000))
    assert (config.fan_in, config.fan_out, config.init.gain) == (1, 1024, 0.0)
    assert {n.params["field"] for n in notices} == {"fan", "gain"}
    with pytest.raises(InputError, match="uniform: the range from 2.0 to 1.0 is empty"):
        init_lab.validate_draw(init_lab.DrawConfig(InitSpec("uniform", low=2.0, high=1.0)))
    with pytest.raises(InputError, match="std must be above 0"):
        init_lab.validate_draw(init_lab.DrawConfig(InitSpec("trunc_normal", std=0.0)))
    matrix, notices = init_lab.validate_matrix(replace(COURSE, depth=999, width=8))
    assert matrix.depth == 200 and notices[0].params["field"] == "depth"
    assert init_lab.validate_matrix(COURSE) == (COURSE, [])  # the course's sizes fit the budget
    # 200 layers of 256 with batch 128: over the matrix's budget, so fewer layers, said so
    matrix, notices = init_lab.validate_matrix(replace(COURSE, depth=200, batch=128))
    assert matrix.depth == 400_000_000 // (256 * 256 * (128 + 28)) == 39
    assert notices[-1].key == "notice.matrix_budget" and notices[-1].params["used"] == 39
    gains, notices = init_lab.validate_gains(init_lab.GainConfig(samples=1))
    assert gains.samples == 2 and notices



@settings(max_examples=4, deadline=None)
@given(samples=st.integers(2, 5000), slope=st.floats(0, 1), seed=st.integers(0, 2**31 - 1))
def test_gains_script_prints_core_numbers(samples, slope, seed):
    config = init_lab.GainConfig(samples, slope, seed)
    table = init_lab.gains(config)
    printed = [line.split() for line in printed_lines(init_lab.gains_script(config))]
    assert [p[0] for p in printed] == table["nonlinearity"].tolist()
    assert [float(p[1]) for p in printed] == table["calculate_gain"].tolist()
    assert [float(p[2]) for p in printed] == pytest.approx(table["course_ratio"].tolist(),
                                                            nan_ok=True)
    assert [float(p[3]) for p in printed] == pytest.approx(table["rms_ratio"].tolist(),
                                                            nan_ok=True)


@settings(max_examples=5, deadline=None)
@given(spec=st.sampled_from(SPECS), fan_in=st.integers(1, 60), fan_out=st.integers(1, 60),
       seed=st.integers(0, 2**31 - 1))
def test_draw_script_prints_core_numbers(spec, fan_in, fan_out, seed):
    config = init_lab.DrawConfig(spec, fan_in, fan_out, seed)
    result = init_lab.draw(config)
    printed = dict(line.split() for line in printed_lines(init_lab.draw_script(config)))
    assert float(printed["mean"]) == pytest.approx(result.mean, abs=1e-7)
    assert float(printed["std"]) == pytest.approx(result.std, abs=1e-7, nan_ok=True)


@settings(max_examples=4, deadline=None)
@given(activation=st.sampled_from(sorted(activations.ACTIVATIONS)),
       scheme=st.sampled_from(list(init_lab.SCHEMES)), depth=st.integers(1, 10),
       width=st.integers(2, 40), slope=st.floats(0, 1), seed=st.integers(0, 2**31 - 1))
def test_cell_script_reproduces_core(activation, scheme, depth, width, slope, seed):
    config = init_lab.cell(init_lab.MatrixConfig(depth, width, 3, slope, seed), activation, scheme)
    printed = printed_lines(network.to_script(config))
    result = network.run(config)
    assert printed[: len(result.console)] == result.console


@pytest.mark.parametrize("pair", init_lab.COURSE_PAIRS)
def test_each_course_pairs_script_prints_every_number_core_computes(pair):
    config = init_lab.cell(COURSE, *init_lab.COURSE_PAIRS[pair])
    printed = printed_lines(network.to_script(config))
    result = network.run(config)
    assert printed[: len(result.console)] == result.console
    grads = [float(line.split("std:")[1]) for line in printed if line.startswith("grad:")]
    assert grads == result.layers["grad_std"].tolist()


@pytest.mark.parametrize("method", initializers.METHODS)
def test_each_methods_default_draw_script_prints_core_numbers(method):
    config = init_lab.DrawConfig(initializers.METHODS[method].spec(method), 64, 48)
    result = init_lab.draw(config)
    printed = dict(line.split() for line in printed_lines(init_lab.draw_script(config)))
    assert (float(printed["mean"]), float(printed["std"])) == (result.mean, result.std)


def test_the_course_gain_experiment_script_prints_the_course_numbers():
    config = init_lab.GainConfig()  # the course's N = 10000 and set_seed(1)
    table = init_lab.gains(config)
    printed = [line.split() for line in printed_lines(init_lab.gains_script(config))]
    assert [float(p[2]) for p in printed] == table["course_ratio"].tolist()
    assert [float(p[3]) for p in printed] == table["rms_ratio"].tolist()
    assert f"{init_lab.gains_story(table)['tanh_course']:.4g}" == "1.598"


def test_a_network_view_is_checked_like_the_controls():
    view = init_lab.NetworkView(init_lab.MatrixConfig(depth=5000), "relu", "xavier_gain")
    checked, notices = init_lab.validate_view(view)
    assert checked.matrix == init_lab.validate_matrix(view.matrix)[0] and notices
    for bad in (replace(view, activation="bogus"), replace(view, scheme="bogus")):
        with pytest.raises(InputError):
            init_lab.validate_view(bad)
