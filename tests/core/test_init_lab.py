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


@pytest.mark.parametrize(("depth", "batchnorm"), [(1, False), (9, False), (9, True)])
def test_matrix_cells_equal_network_run(depth, batchnorm):
    """Every cell as the explosion lesson's network computes it alone (the matrix stacks cells
    that share weights: float32 products of other shapes round otherwise, so to 1e-6)."""
    config = init_lab.MatrixConfig(depth=depth, width=24, batch=5, negative_slope=0.1, seed=4,
                                   batchnorm=batchnorm)
    matrix = init_lab.matrix(config, backward=True)
    assert matrix[["activation", "scheme", "last_std"]].equals(
        init_lab.matrix(config)[["activation", "scheme", "last_std"]])  # forward alone: the same
    assert len(matrix) == len(activations.ACTIVATIONS) * len(init_lab.SCHEMES)
    for row in matrix.itertuples():
        layers = network.run(init_lab.cell(config, row.activation, row.scheme)).layers
        assert row.last_std == pytest.approx(layers["std"].iloc[-1], rel=1e-6, nan_ok=True)
        assert row.first_grad_std == pytest.approx(layers["grad_std"].iloc[0], rel=1e-5,
                                                   nan_ok=True)
        assert row.last_grad_std == pytest.approx(layers["grad_std"].iloc[-1], rel=1e-5,
                                                  nan_ok=True)


def test_matrix_default_sizes_tell_the_course_story():
    matrix = init_lab.matrix(COURSE, backward=True).set_index(["activation", "scheme"])
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
    assert {n.params["field"] for n in notices} == {"fan_in", "fan_out", "init.gain"}
    with pytest.raises(InputError, match="uniform: the range from 2.0 to 1.0 is empty"):
        init_lab.validate_draw(init_lab.DrawConfig(InitSpec("uniform", low=2.0, high=1.0)))
    with pytest.raises(InputError, match="std must be above 0"):
        init_lab.validate_draw(init_lab.DrawConfig(InitSpec("trunc_normal", std=0.0)))
    matrix, notices = init_lab.validate_matrix(replace(COURSE, depth=999, width=8))
    assert matrix.depth == 200 and notices[0].params["field"] == "depth"
    assert init_lab.validate_matrix(COURSE) == (COURSE, [])  # the course's sizes fit the budget
    # 200 layers of 256 with batch 128: over the matrix's budget, so fewer layers, said so
    matrix, notices = init_lab.validate_matrix(replace(COURSE, depth=200, batch=128))
    assert init_lab.matrix_work(matrix) <= init_lab.MATRIX_WORK < init_lab.matrix_work(
        replace(matrix, depth=matrix.depth + 1))
    assert notices[-1].key == "init.matrix_budget" and notices[-1].params["used"] == matrix.depth
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


# ---- Every method and every nonlinearity torch has --------------------------------------------

def torch_initialisers() -> set[str]:
    """The in-place initialisers torch.nn.init offers (name_; the names without the underscore
    are deprecated aliases)."""
    return {name[:-1] for name in dir(init)
            if name.endswith("_") and not name.startswith("_") and callable(getattr(init, name))}


def calculate_gain_names() -> set[str]:
    """Every nonlinearity name calculate_gain accepts, read from its source: the names it
    compares nonlinearity with and the list of linear functions it checks membership in."""
    import ast
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(init.calculate_gain)))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) \
                and node.left.id == "nonlinearity":
            for right in node.comparators:
                names |= {c.value for c in ast.walk(right)
                          if isinstance(c, ast.Constant) and isinstance(c.value, str)}
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            names |= {c.value for c in node.value.elts if isinstance(c, ast.Constant)}
    return names


def test_every_torch_init_method_is_in_the_registry():
    """Fails the day torch.nn.init gains a method the app lacks."""
    assert {"dirac", "eye", "orthogonal", "sparse", "trunc_normal"} <= torch_initialisers()
    assert torch_initialisers() == set(initializers.METHODS)


def test_every_nonlinearity_calculate_gain_accepts_is_an_activation_or_an_alias():
    """Fails the day calculate_gain learns a nonlinearity the app's activations do not name."""
    names = calculate_gain_names()
    assert {"linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"} <= names
    assert names == set(activations.gain_names())
    for name in names:  # and calculate_gain takes each
        init.calculate_gain(name, 0.01 if name == "leaky_relu" else None)


@pytest.mark.parametrize(("fan_in", "fan_out", "groups"), [(6, 6, 1), (4, 9, 3), (8, 4, 2),
                                                           (5, 3, 1)])
def test_dirac_fills_a_conv_weight_that_copies_its_input(fan_in, fan_out, groups):
    spec = InitSpec("dirac", groups=groups)
    config = init_lab.DrawConfig(spec, fan_in, fan_out, seed=2)
    result = init_lab.draw(config)
    weight = torch.empty(fan_out, fan_in, 3)
    init.dirac_(weight, groups)  # torch's own
    assert weight.sum().item() == initializers.dirac_ones(spec, fan_in, fan_out)
    assert result.mean == weight.mean().item() and result.std == weight.std().item()
    assert result.formula_mean == pytest.approx(weight.double().mean().item(), rel=1e-12)
    assert result.formula_std == pytest.approx(weight.double().std(unbiased=False).item(),
                                               rel=1e-12)
    # the identity: conv1d with it copies each wired input channel exactly, zeros the rest
    x = torch.randn(1, fan_in * groups, 32, generator=torch.Generator().manual_seed(2))
    y = torch.nn.functional.conv1d(x, weight, padding=1, groups=groups)[0]
    copies = sum(any(torch.equal(row, channel) for channel in x[0]) for row in y)
    assert result.identity["wired"] == copies == initializers.dirac_ones(spec, fan_in, fan_out)
    assert result.identity["zero"] == int((y == 0).all(dim=1).sum())
    assert result.identity["difference"] == 0.0
    printed = dict(line.split() for line in printed_lines(init_lab.draw_script(config)))
    assert int(printed["copies"]) == copies and float(printed["std"]) == result.std


def test_dirac_groups_must_divide_the_output_channels():
    with pytest.raises(InputError, match="groups = 3 must divide the 4 output channels"):
        init_lab.validate_draw(init_lab.DrawConfig(InitSpec("dirac", groups=3), 6, 4))


# ---- Each claim the page makes about its own numbers -----------------------------------------

def test_calculate_gain_is_the_rms_ratio_for_linear_and_the_relu_family_only():
    """The gains tab's claim, per nonlinearity: calculate_gain equals √(E[x²]/E[act(x)²]) for a
    standard normal x for the linear functions, ReLU and leaky ReLU; tanh's 5/3, sigmoid's 1 and
    SELU's 3/4 are not that ratio (measured on 4 M samples, within their sampling error)."""
    table = init_lab.gains(init_lab.GainConfig(samples=4_000_000, negative_slope=0.2))
    kept = set(table.loc[table["keeps_rms"], "nonlinearity"])
    assert kept == {*activations.IDENTITY_GAIN_NAMES, "relu", "leaky_relu"}
    assert (table["rms_exact"] / table["rms_ratio"]).between(0.998, 1.002).all()
    by_name = table.set_index("nonlinearity")
    for name, exact in (("tanh", 1.5925), ("sigmoid", 1.8462), ("selu", 1.0)):
        assert by_name.loc[name, "rms_exact"] == pytest.approx(exact, abs=1e-3)
        assert abs(by_name.loc[name, "calculate_gain"] - exact) > 0.07
    story = init_lab.gains_story(table)
    assert story["kept"].split(", ") == [n for n in table["nonlinearity"] if n in kept]
    assert "tanh 1.667 ≠ 1.593" in story["others"] and "selu 0.75 ≠ 1" in story["others"]


def test_the_summary_lists_the_healthy_cells_of_the_matrix_it_is_drawn_from():
    matrix = init_lab.matrix(COURSE, backward=True)
    for verdict in ("forward_healthy", "backward_healthy"):
        listed = init_lab.healthy_cells(matrix, verdict)
        assert list(listed) == list(activations.ACTIVATIONS)
        for activation, schemes in listed.items():
            rows = matrix[matrix["activation"] == activation]
            assert schemes == rows.loc[rows[verdict], "scheme"].tolist()
    # what the lesson says in words, at the course's sizes: no init keeps sigmoid's gradients
    # (its first layer's underflows to 0 behind Xavier), the course's tanh + Xavier-gain demo is
    # healthy forward but its gradients grow about 1e4 toward the first layer
    backward = init_lab.healthy_cells(matrix, "backward_healthy")
    assert backward["sigmoid"] == [] and backward["tanh"] == []
    assert backward["relu"] == ["xavier_gain", "kaiming", "orthogonal"]
    cells = matrix.set_index(["activation", "scheme"])
    assert cells.loc[("sigmoid", "xavier"), "first_grad_std"] == 0.0
    assert cells.loc[("tanh", "xavier_gain"), "forward_healthy"]
    assert 5e3 < cells.loc[("tanh", "xavier_gain"), "grad_ratio"] < 5e4
    # ReLU with sqrt(1/n): gradients spread evenly (×1.4) but 1e-14 of a unit network's
    relu = cells.loc[("relu", "sqrt_n")]
    assert relu["grad_ratio"] < 2 and relu["first_grad_scale"] < 1e-10
    assert not relu["backward_healthy"]


def test_a_unit_network_gets_the_gradient_unit():
    """1/(n·√batch) is what a network whose every layer has std 1 gets: the orthogonal matrix with
    no activation keeps every layer's std at 1, and its gradients come out at that unit."""
    matrix = init_lab.matrix(COURSE, backward=True).set_index(["activation", "scheme"])
    unit = network.gradient_unit(init_lab.cell(COURSE, "none", "orthogonal"))
    assert unit == 1 / (256 * 4)
    cell = matrix.loc[("none", "orthogonal")]
    assert cell["last_std"] == pytest.approx(1, abs=0.05)
    assert cell["first_grad_std"] / unit == pytest.approx(1, abs=0.1)


def test_xavier_with_sigmoid_vanishes_backward_by_its_slope():
    """The derivations tab's sigmoid sentence: each layer multiplies the gradient by about
    √(n·D(W))·rms σ'(h), σ' being at most 1/4; the first layer's gradient underflows float32."""
    config = init_lab.cell(COURSE, "sigmoid", "xavier")
    run = network.run(config)
    factors = network.backward_factors(config, run)
    assert factors["slope"] <= 0.25 and factors["measured"] < 0.25
    assert run.layers["grad_std"].iloc[0] == 0.0 < run.layers["run64_grad_std"].iloc[0]


# ---- The matrix in the background ----------------------------------------------------------------

def test_a_background_result_is_computed_once_and_kept():
    """(In a thread of its own, so that a deadlock fails the test instead of hanging it: a
    computation that ends before its callback is added calls back under the asker's lock.)"""
    import threading

    from core.background import Background

    failures = []

    def asks() -> None:
        made = []
        background = Background(lambda key: made.append(key) or key * 2, keep=2)
        assert background.wait(3, 5.0, "a") == 6 and background.ready(3) == 6
        assert background.wait(3, 5.0, "b") == 6 and made == [3]  # kept: not made again
        background.result(4)
        background.result(5)
        assert background.ready(3) is None  # keeps the last two

    def run() -> None:
        try:
            asks()
        except AssertionError as failure:
            failures.append(failure)

    asking = threading.Thread(target=run, daemon=True)
    asking.start()
    asking.join(30)
    assert not asking.is_alive(), "deadlocked"
    assert not failures, failures


def test_a_newer_ask_takes_the_older_one_off_the_queue():
    import threading

    from core.background import Background

    release, made = threading.Event(), []

    def slow(key):
        if key == "first":
            release.wait(5)
        made.append(key)
        return key

    background = Background(slow)
    background.start("first", "student")  # runs, holding the one worker
    background.start("queued", "student")
    background.start("shared", "student")  # "queued" is withdrawn: nobody else wants it
    background.start("shared", "other")
    release.set()
    assert background.result("shared", "other") == "shared"
    assert made == ["first", "shared"]


def test_a_failing_computation_raises_where_it_is_asked_for():
    from core.background import Background

    background = Background(lambda key: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        background.result("any")
