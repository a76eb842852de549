"""The optimiser lesson against torch: the course's 1-D thresholds, momentum's weights, each
optimiser reaching the minimum (in the style of pytorch-optimizer's test_basic.py), the anatomy
tables, and the generated scripts."""

import math
from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core import optim
from core.errors import InputError
from core.landscapes import LANDSCAPES
from core.optim import OptSpec, PathConfig
from harness.scripts import printed_lines

# ---- the course's y = 4x² -------------------------------------------------------------------


def test_course_default_is_linspace_001_02_over_100_iterations():
    config = optim.LrConfig()
    assert config.lrs == torch.linspace(0.01, 0.2, 10).tolist()
    assert config.iterations == 100 and config.x0 == 2.0


def test_lr_one_eighth_reaches_the_minimum_in_one_step():
    xs = optim.descend(optim.ONE_STEP_LR, 5, 2.0)
    assert xs[1] == 0.0 and all(x == 0.0 for x in xs[1:])


def test_lr_one_quarter_bounces_between_plus_and_minus_x0_for_ever():
    xs = optim.descend(optim.LIMIT_LR, 100, 2.0)
    assert [abs(x) for x in xs] == [2.0] * 101
    assert optim.verdict(xs) == "oscillates"


@pytest.mark.parametrize("lr", [0.01, 0.05, 0.1, 0.125])
def test_below_one_eighth_converges_without_changing_sign(lr):
    xs = optim.descend(lr, 100, 2.0)
    assert optim.verdict(xs) == "converges"
    assert abs(xs[-1]) < 1e-3


@pytest.mark.parametrize("lr", [0.13, 0.2, 0.24])
def test_between_one_eighth_and_one_quarter_oscillates_and_still_converges(lr):
    xs = optim.descend(lr, 300, 2.0)
    assert optim.verdict(xs) == "oscillates"
    assert abs(xs[-1]) < 1e-3
    assert xs[1] == pytest.approx((1 - 8 * lr) * 2.0)


@pytest.mark.parametrize("lr", [0.26, 0.3, 0.5])
def test_at_or_above_one_quarter_it_no_longer_converges(lr):
    xs = optim.descend(lr, 100, 2.0)
    assert optim.verdict(xs) == "diverges"


def test_descend_is_torch_optim_sgd():
    x = torch.tensor([2.0], requires_grad=True)
    optimizer = torch.optim.SGD([x], lr=0.05)
    expected = [x.item()]
    for _ in range(20):
        optimizer.zero_grad()
        torch.pow(2 * x, 2).backward()
        optimizer.step()
        expected.append(x.item())
    assert optim.descend(0.05, 20, 2.0) == pytest.approx(expected, rel=1e-6)


def test_run_lr_labels_and_threshold_checks():
    result = optim.run_lr(optim.LrConfig(lr_max=0.5, lr_count=10))
    by_lr = dict(zip(result.summary["lr"], result.summary["verdict"], strict=True))
    for lr, verdict in by_lr.items():
        expected = "converges" if lr <= 1 / 8 else "oscillates" if lr <= 1 / 4 else "diverges"
        assert verdict == expected, lr
    checks = result.checks.set_index("lr")
    assert checks.loc[optim.ONE_STEP_LR, "x1"] == 0.0
    assert abs(checks.loc[optim.LIMIT_LR, "final_x"]) == 2.0
    assert checks["verdict"].tolist() == ["converges", "oscillates", "diverges"]


# ---- momentum -------------------------------------------------------------------------------

def test_momentum_weights_are_one_minus_beta_times_beta_to_the_t():
    result = optim.run_momentum(optim.MomentumConfig())
    for beta, group in result.weights.groupby("beta"):
        expected = [(1 - beta) * beta**t for t in range(100)]
        assert group["weight"].tolist() == pytest.approx(expected, rel=1e-5)
    assert sorted(result.weights["beta"].unique()) == [0.8, 0.9, 0.95, 0.98]


def test_course_momentum_run_is_sgd_by_hand():
    """SGD with momentum is v = m·v + g, x -= lr·v: check the course's lr = 0.01, m = 0.9 run."""
    runs = optim.run_momentum(optim.MomentumConfig()).runs
    first = runs[runs["momentum"] == 0.9]
    x, v, xs = 2.0, 0.0, []
    for _ in range(100):
        xs.append(x)
        v = 0.9 * v + 8 * x
        x -= 0.01 * v
    assert first["x"].tolist() == pytest.approx(xs, rel=1e-4, abs=1e-6)
    plain = runs[runs["momentum"] == 0.0]
    assert plain["loss"].iloc[-1] < first["loss"].iloc[-1]  # 0.03 without beats 0.01 with, here


# ---- landscapes ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(LANDSCAPES))
def test_closed_form_gradient_equals_autograd(name):
    surface = LANDSCAPES[name]
    generator = torch.Generator().manual_seed(0)
    p = (torch.rand(500, 2, generator=generator, dtype=torch.float64) * 6 - 3).requires_grad_()
    loss = surface.f(p[:, 0], p[:, 1], 7.0)
    (grad,) = torch.autograd.grad(loss.sum(), p)
    closed = torch.stack(surface.grad(p[:, 0].detach(), p[:, 1].detach(), 7.0), dim=1)
    torch.testing.assert_close(closed, grad, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("name", list(LANDSCAPES))
def test_every_listed_minimum_is_a_zero_of_loss_and_gradient(name):
    surface = LANDSCAPES[name]
    for x, y in surface.minima:
        px, py = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
        assert surface.f(px, py, 10.0).item() == pytest.approx(0, abs=1e-9)
        assert [g.item() for g in surface.grad(px, py, 10.0)] == pytest.approx([0, 0], abs=1e-3)


# ---- each optimiser reaches the minimum (as pytorch-optimizer's test_basic.py) ---------------

CASES = [
    ("quadratic", OptSpec("SGD", lr=0.1), 300),
    ("quadratic", OptSpec("SGD", lr=0.05, momentum=0.9), 300),
    ("quadratic", OptSpec("SGD", lr=0.05, momentum=0.9, nesterov=True), 300),
    ("quadratic", OptSpec("SGD", lr=0.05, momentum=0.9, dampening=0.5), 400),
    ("quadratic", OptSpec("Adam", lr=0.1), 400),
    ("quadratic", OptSpec("AdamW", lr=0.1, weight_decay=0.0), 400),
    ("quadratic", OptSpec("RMSprop", lr=0.01), 1000),
    ("quadratic", OptSpec("Adagrad", lr=1.0), 300),
    ("rosenbrock", OptSpec("SGD", lr=1e-3, momentum=0.9), 2500),
    ("rosenbrock", OptSpec("SGD", lr=1e-3, momentum=0.9, nesterov=True), 2500),
    ("rosenbrock", OptSpec("Adam", lr=0.02), 3000),
    ("rosenbrock", OptSpec("AdamW", lr=0.02, weight_decay=0.0), 3000),
    ("rosenbrock", OptSpec("RMSprop", lr=1e-3, momentum=0.9), 2000),
    ("rosenbrock", OptSpec("Adagrad", lr=1.0), 10000),  # its steps shrink as 1/sqrt(Σg²)
]


@pytest.mark.parametrize(("landscape", "spec", "steps"), CASES,
                         ids=[f"{c[0]}-{c[1].label()}" for c in CASES])
def test_each_optimizer_reaches_the_minimum(landscape, spec, steps):
    surface = LANDSCAPES[landscape]
    config = PathConfig(landscape=landscape, start=surface.start, steps=steps, runs=(spec,))
    frame, diverged = optim.run_path(config, spec)
    assert diverged is None
    end = frame.iloc[-1]
    assert math.dist((end["x"], end["y"]), surface.minima[0]) < 1e-2
    assert end["loss"] < frame["loss"].iloc[0] * 1e-3


def test_plain_sgd_on_rosenbrock_is_slow_but_heads_for_the_minimum():
    config = PathConfig(runs=(OptSpec("SGD", lr=1e-3),), steps=3000)
    frame, diverged = optim.run_path(config, config.runs[0])
    assert diverged is None
    assert frame["loss"].iloc[-1] < 0.05 < frame["loss"].iloc[300]


def test_trajectory_is_torch_optim_step_by_step():
    spec = OptSpec("Adam", lr=0.05, beta1=0.8, beta2=0.99, weight_decay=0.01)
    config = PathConfig(runs=(spec,), steps=30)
    frame, _ = optim.run_path(config, spec)
    p = torch.tensor([-1.5, 2.0], requires_grad=True)
    optimizer = torch.optim.Adam([p], lr=0.05, betas=(0.8, 0.99), weight_decay=0.01)
    for step in range(31):
        assert frame.loc[step, ["x", "y"]].tolist() == p.tolist()
        optimizer.zero_grad()
        ((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2).backward()
        assert frame.loc[step, ["grad_x", "grad_y"]].tolist() == p.grad.tolist()
        if step < 30:  # the last point: the gradient there, no step taken
            optimizer.step()
        assert frame.loc[step, ["vel_x", "vel_y"]].tolist() == \
            optimizer.state[p]["exp_avg"].tolist()


def test_a_too_large_lr_is_reported_as_diverged_at_a_step():
    spec = OptSpec("SGD", lr=0.01)  # far above 2/λ_max on Rosenbrock
    config = PathConfig(runs=(spec,), steps=200)
    result = optim.run_paths(config)
    stop = result.diverged_at[0]
    assert stop is not None and 0 < stop < 50
    frame = result.paths
    assert frame["step"].max() == stop
    assert frame["loss"].iloc[:-1].map(math.isfinite).all()  # every drawn point before is finite


def test_forgetting_zero_grad_accumulates_the_gradients():
    spec = OptSpec("SGD", lr=1e-3)
    config = PathConfig(runs=(spec,), zero_grad=False)
    anatomy = optim.anatomy(config, 1, 5)
    grads = anatomy.grads
    summed = grads[["fresh_x", "fresh_y"]].cumsum()
    assert grads["grad_x"].tolist() == pytest.approx(summed["fresh_x"].tolist(), rel=1e-5)
    assert grads["grad_y"].tolist() == pytest.approx(summed["fresh_y"].tolist(), rel=1e-5)
    cleared = optim.anatomy(replace(config, zero_grad=True), 1, 5).grads
    assert cleared["grad_x"].tolist() == cleared["fresh_x"].tolist()


# ---- anatomy -----------------------------------------------------------------------------------

def test_anatomy_tables_are_the_optimizer_attributes():
    spec = OptSpec("SGD", lr=1e-3, momentum=0.9)
    config = PathConfig(runs=(spec,))
    anatomy = optim.anatomy(config, 1, 10)
    p = torch.tensor([-1.5, 2.0], requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=1e-3, momentum=0.9)
    for _ in range(10):
        optimizer.zero_grad()
        ((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2).backward()
        optimizer.step()
    assert anatomy.state_dict["state"][0]["momentum_buffer"] == \
        optimizer.state_dict()["state"][0]["momentum_buffer"].tolist()
    groups = dict(zip(anatomy.param_groups["key"], anatomy.param_groups["value"], strict=True))
    assert groups["lr"] == "0.001" and groups["momentum"] == "0.9"
    assert set(anatomy.defaults["key"]) == set(optimizer.defaults)
    assert anatomy.state["key"].tolist() == ["momentum_buffer"]


def test_course_anatomy_prints_the_seed_one_weights():
    lines = optim.course_anatomy()
    torch.manual_seed(1)  # the course's set_seed(1), on purpose: this is the course's own code
    weight = torch.randn((2, 2))
    assert lines[0] == f"weight before step:{weight}"
    assert lines[1] == f"weight after step:{weight - 0.1}"
    assert lines[3] == "after optimizer.zero_grad(), weight.grad is None"
    assert lines[4] == "lr of each group after add_param_group: [0.1, 0.0001]"
    assert "'state': {}" in lines[6]  # torch 2: grad None, the 10 steps skip the weight
    buffer = sum(0.9**i for i in range(10))
    assert f"{buffer:.4f}" in lines[7]


def test_three_group_exercise_buffers_are_geometric_sums():
    groups = optim.three_groups(seed=3, k=7)
    assert groups["lr"].tolist() == [0.01, 0.02, 0.03]
    assert groups["momentum"].tolist() == [0.9, 0.8, 0.7]
    for row in groups.itertuples():
        assert row.buffer == pytest.approx((1 - row.momentum**7) / (1 - row.momentum), rel=1e-5)


# ---- validation ------------------------------------------------------------------------------

def test_settings_torch_would_refuse_are_input_errors_naming_the_run():
    with pytest.raises(InputError, match="Run 2, lr"):
        optim.validate_path(PathConfig(runs=(OptSpec(), OptSpec(lr=-1.0))))
    with pytest.raises(InputError, match="Run 1: nesterov"):
        optim.validate_path(PathConfig(runs=(OptSpec(nesterov=True),)))
    with pytest.raises(InputError, match="Run 1, beta2"):
        optim.validate_path(PathConfig(runs=(OptSpec("Adam", beta2=1.0),)))
    with pytest.raises(InputError, match="lr_max"):
        optim.validate_lr(optim.LrConfig(lr_min=0.3, lr_max=0.1))
    with pytest.raises(InputError, match="betas"):
        optim.validate_momentum(optim.MomentumConfig(betas=(0.9, 1.2)))


def test_sizes_are_clamped_with_notices():
    config, notices = optim.validate_path(PathConfig(steps=10**6, start=(500.0, 0.0)))
    assert config.steps == optim.STEPS.high and config.start == (100.0, 0.0)
    assert [n.params["field"] for n in notices] == ["steps", "start"]
    sweep, notices = optim.validate_sweep(optim.SweepConfig(lr_count=1000, momentum_count=1))
    assert (sweep.lr_count, sweep.momentum_count) == (100, 2)


def test_arrows_point_down_the_gradient():
    spec = OptSpec("SGD", lr=1e-3, momentum=0.9)
    config = PathConfig(runs=(spec,))
    frame = optim.run_paths(config).paths
    arrows = optim.arrows(frame, 3, config.surface.view).set_index("kind")
    row = frame[frame["step"] == 3].iloc[0]
    grad = arrows.loc["gradient"]
    assert math.copysign(1, grad["x2"] - grad["x"]) == -math.copysign(1, row["grad_x"])
    assert grad["size"] == pytest.approx(math.hypot(row["grad_x"], row["grad_y"]))
    assert "velocity" in arrows.index


# ---- the generated scripts print core's numbers ---------------------------------------------


@settings(max_examples=4, deadline=None)
@given(lr_min=st.floats(0.001, 0.2), span=st.floats(0, 0.3), count=st.integers(1, 6),
       iterations=st.integers(1, 60), x0=st.floats(-5, 5))
def test_lr_script_reproduces_core(lr_min, span, count, iterations, x0):
    config = optim.LrConfig(lr_min, lr_min + span, count, iterations, x0)
    printed = printed_lines(optim.to_script(config))
    result = optim.run_lr(config)
    finals = [float(line.split("final x=")[1].split()[0]) for line in printed]
    assert finals == result.summary["final_x"].tolist()


@settings(max_examples=3, deadline=None)
@given(momentum=st.floats(0, 0.99), lr=st.floats(0.001, 0.05), iterations=st.integers(2, 80))
def test_momentum_script_reproduces_core(momentum, lr, iterations):
    config = optim.MomentumConfig(momentum=momentum, lr_momentum=lr, iterations=iterations)
    printed = printed_lines(optim.to_script(config))
    runs = optim.run_momentum(config).runs
    last = [float(line.split("last loss=")[1]) for line in printed if "last loss" in line]
    assert last == runs["loss"].iloc[[iterations - 1, -1]].tolist()  # each run's last loss


SPECS = st.one_of(
    st.builds(OptSpec, name=st.just("SGD"), lr=st.floats(1e-4, 2e-2),
              momentum=st.floats(0, 0.95), weight_decay=st.floats(0, 0.1)),
    st.builds(OptSpec, name=st.sampled_from(["Adam", "AdamW"]), lr=st.floats(1e-3, 0.2),
              beta1=st.floats(0, 0.95), amsgrad=st.booleans()),
    st.builds(OptSpec, name=st.just("RMSprop"), lr=st.floats(1e-4, 0.05),
              momentum=st.floats(0, 0.9), centered=st.booleans()),
    st.builds(OptSpec, name=st.just("Adagrad"), lr=st.floats(1e-3, 1), lr_decay=st.floats(0, 0.1)),
)


@settings(max_examples=5, deadline=None)
@given(landscape=st.sampled_from(sorted(LANDSCAPES)), specs=st.lists(SPECS, min_size=1,
       max_size=4), steps=st.integers(1, 40), zero_grad=st.booleans(),
       condition=st.floats(1, 100))
def test_path_script_reproduces_core(landscape, specs, steps, zero_grad, condition):
    config = PathConfig(landscape=landscape, condition=condition,
                        start=LANDSCAPES[landscape].start, steps=steps, runs=tuple(specs),
                        zero_grad=zero_grad)
    printed = printed_lines(optim.to_script(config))
    result = optim.run_paths(config)
    for line in printed:
        run = int(line.split()[1].rstrip(":"))
        frame = result.paths[result.paths["run"] == run]
        if "diverged at step" in line:
            assert int(line.split()[-1]) == result.diverged_at[run - 1]
            continue
        step = int(line.split("step ")[1].split(":")[0])
        row = frame[frame["step"] == step].iloc[0]
        values = dict(item.split("=") for item in line.split(": ")[1].split())
        assert [float(values[k]) for k in ("x", "y", "loss")] == [row.x, row.y, row.loss]
    assert len(printed) == len(result.paths)


# ---- huge floats: clamped with a notice, never an overflow inside torch ---------------------

HUGE = [1e300, -1e300, 1.7e308]
FLOAT_FIELDS = [(optim.LrConfig(), name) for name in ("lr_min", "lr_max", "x0")] + [
    (optim.MomentumConfig(), name) for name in ("momentum", "lr_momentum", "lr_plain", "x0")] + [
    (optim.SweepConfig(lr_count=3, momentum_count=3, steps=20), name)
    for name in ("condition", "lr_min", "lr_max", "momentum_min", "momentum_max", "dampening",
                 "tol")]
VALIDATE = {optim.LrConfig: (optim.validate_lr, optim.run_lr),
            optim.MomentumConfig: (optim.validate_momentum, optim.run_momentum),
            optim.SweepConfig: (optim.validate_sweep, optim.run_sweep)}


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(("config", "name"), FLOAT_FIELDS,
                         ids=[f"{type(c).__name__}.{n}" for c, n in FLOAT_FIELDS])
def test_a_huge_float_is_clamped_with_a_notice_or_refused(config, name, value):
    validate, run = VALIDATE[type(config)]
    if name.endswith("_min"):  # keep the range ordered: the max moves with it
        config = replace(config, **{name.replace("_min", "_max"): value})
    try:
        clean, notices = validate(replace(config, **{name: value}))
    except InputError:
        return  # a negative rate, a reversed range: refused, shown next to the input
    assert notices and all(abs(getattr(clean, n.params["field"])) <= 1e6
                           for n in notices if hasattr(clean, n.params["field"]))
    run(clean)  # no RuntimeError from torch


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(("name", "setting"), [(n, s) for n, settings_ in optim.OPTIMIZERS.items()
                                               for s in settings_ if s not in
                                               ("nesterov", "amsgrad", "centered")])
def test_a_huge_optimizer_setting_or_start_is_clamped(name, setting, value):
    config = PathConfig(landscape="quadratic", condition=value, start=(value, -value), steps=5,
                        runs=(OptSpec(name, **{setting: value}),))
    try:
        clean, notices = optim.validate_path(config)
    except InputError as error:
        assert value < 0 or setting.startswith("beta"), error  # negative, or a beta >= 1
        return
    fields_ = {n.params["field"] for n in notices}
    assert {"condition", "start", f"run 1 {setting}"} <= fields_
    assert clean.condition == optim.CONDITION.high and clean.start == (
        math.copysign(optim.START.high, value), math.copysign(optim.START.high, -value))
    frame, _ = optim.run_path(clean, clean.runs[0])
    optim.anatomy(clean, 1, 5)
    assert frame["step"].iloc[0] == 0
