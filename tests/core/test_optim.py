"""The optimiser lesson against torch: the course's 1-D thresholds and verdicts, momentum's
weights, the registry read from torch, every optimiser on every landscape (reaching the minimum in
the style of pytorch-optimizer's test_basic.py), LBFGS's inner evaluations, the anatomy tables,
the course's example and SparseAdam, and the generated scripts."""

import inspect
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InputError
from core.landscapes import LANDSCAPES
from core.optim import (
    anatomy,
    inside,
    learning_rate,
    momentum,
    paths,
    rules,
    sweep,
    to_script,
)
from core.optim.common import CONDITION, START
from core.optim.paths import PathConfig
from core.optim.registry import ELSEWHERE, OPTIMIZERS, Optimizer, Spec
from harness.scripts import printed_lines, run_script

# ---- the course's y = 4x² -------------------------------------------------------------------

def descend(lr: float, iterations: int, x0: float) -> list[float]:
    """The course's loop for one learning rate, written here with torch alone: y = (2x)²,
    y.backward(), x.data.sub_(lr * x.grad), x.grad.zero_(); x before each iteration and after
    the last."""
    x = torch.tensor([x0], requires_grad=True)
    xs = [x.item()]
    for _ in range(iterations):
        torch.pow(2 * x, 2).backward()
        x.data.sub_(lr * x.grad)
        x.grad.zero_()
        xs.append(x.item())
    return xs


def run_paths(config: PathConfig) -> paths.PathResult:
    """Every run of a landscape's Config, as the page combines them."""
    return paths.combine(config, [paths.run_path(config, spec) for spec in config.runs])



def test_course_default_is_linspace_001_02_over_100_iterations():
    config = learning_rate.LrConfig()
    assert config.lrs == torch.linspace(0.01, 0.2, 10).tolist()
    assert config.iterations == 100 and config.x0 == 2.0


def test_the_thresholds_join_the_grid_exactly():
    config = learning_rate.LrConfig(thresholds=True)
    assert 0.125 in config.lrs and 0.25 in config.lrs and len(config.lrs) == 12
    summary = learning_rate.run_lr(config).summary.set_index("lr")
    assert summary.loc[0.125, "verdict"] == "converges"
    assert summary.loc[0.125, "final_x"] == 0.0
    assert summary.loc[0.25, "verdict"] == "oscillates_forever"


def test_lr_one_eighth_reaches_the_minimum_in_one_step():
    xs = descend(learning_rate.ONE_STEP_LR, 5, 2.0)
    assert xs[1] == 0.0 and all(x == 0.0 for x in xs[1:])


def test_lr_one_quarter_bounces_between_plus_and_minus_x0_for_ever():
    xs = descend(learning_rate.LIMIT_LR, 100, 2.0)
    assert [abs(x) for x in xs] == [2.0] * 101
    assert learning_rate.verdict(xs) == "oscillates_forever"


@pytest.mark.parametrize("lr", [0.01, 0.05, 0.1, 0.125])
def test_below_one_eighth_converges_without_changing_sign(lr):
    xs = descend(lr, 100, 2.0)
    assert learning_rate.verdict(xs) == "converges"
    assert abs(xs[-1]) < 1e-3


@pytest.mark.parametrize("lr", [0.13, 0.2, 0.24])
def test_between_one_eighth_and_one_quarter_converges_while_oscillating(lr):
    xs = descend(lr, 300, 2.0)
    assert learning_rate.verdict(xs) == "oscillates_converging"
    assert abs(xs[-1]) < 1e-3
    assert xs[1] == pytest.approx((1 - 8 * lr) * 2.0)


@pytest.mark.parametrize("lr", [0.26, 0.3, 0.5])
def test_above_one_quarter_it_diverges(lr):
    xs = descend(lr, 100, 2.0)
    assert learning_rate.verdict(xs) == "diverges"


def test_the_lessons_descent_is_torch_optim_sgd():
    """The page's runs, all rates at once (learning_rate.descend_all), against torch.optim.SGD
    run rate by rate: the same float32 operations element by element."""
    lrs = [0.05, 0.13, 0.25]
    xs, _ = learning_rate.descend_all(lrs, 20, 2.0)
    for column, lr in enumerate(lrs):
        x = torch.tensor([2.0], requires_grad=True)
        optimizer = torch.optim.SGD([x], lr=lr)
        expected = [x.item()]
        for _ in range(20):
            optimizer.zero_grad()
            torch.pow(2 * x, 2).backward()
            optimizer.step()
            expected.append(x.item())
        # x − lr·8x nearly cancels near lr = 1/8, where SGD's fused x + (−lr)·g rounds once
        # and the course's x − lr·g twice: a relative 1e-6 becomes 1e-5 in 20 steps
        assert xs[:, column].tolist() == pytest.approx(expected, rel=1e-4)
        assert xs[:, column].tolist() == descend(lr, 20, 2.0)


def expected_verdict(lr: float) -> str:
    return "converges" if lr <= 1 / 8 else "oscillates_converging" if lr < 1 / 4 else \
        "oscillates_forever" if lr == 1 / 4 else "diverges"


def test_run_lr_verdicts_and_threshold_checks():
    result = learning_rate.run_lr(learning_rate.LrConfig(lr_max=0.5, lr_count=10))
    for lr, verdict in zip(result.summary["lr"], result.summary["verdict"], strict=True):
        assert verdict == expected_verdict(lr), lr
    checks = result.checks.set_index("lr")
    assert checks.loc[learning_rate.ONE_STEP_LR, "x1"] == 0.0
    assert abs(checks.loc[learning_rate.LIMIT_LR, "final_x"]) == 2.0
    assert checks["verdict"].tolist() == ["converges", "oscillates_forever", "diverges"]


# ---- momentum -------------------------------------------------------------------------------

def test_momentum_weights_are_one_minus_beta_times_beta_to_the_t():
    result = momentum.run_momentum(momentum.MomentumConfig())
    for beta, group in result.weights.groupby("beta"):
        expected = [(1 - beta) * beta**t for t in range(100)]
        assert group["weight"].tolist() == pytest.approx(expected, rel=1e-5)
    assert sorted(result.weights["beta"].unique()) == [0.8, 0.9, 0.95, 0.98]


def test_course_momentum_run_is_sgd_by_hand():
    """SGD with momentum is v = m·v + g, x -= lr·v: check the course's lr = 0.01, m = 0.9 run."""
    runs = momentum.run_momentum(momentum.MomentumConfig()).runs
    first = runs[runs["momentum"] == 0.9]
    x, v, xs = 2.0, 0.0, []
    for _ in range(100):
        xs.append(x)
        v = 0.9 * v + 8 * x
        x -= 0.01 * v
    assert first["x"].tolist() == pytest.approx(xs, rel=1e-4, abs=1e-6)
    plain = runs[runs["momentum"] == 0.0]
    assert plain["loss"].iloc[-1] < first["loss"].iloc[-1]  # 0.03 without beats 0.01 with, here


def sgd_losses_and_xs(lr: float, momentum_: float, iterations: int) -> tuple[list, list]:
    """torch.optim.SGD on the course's 4x² from x = 2: the loss and x before each step."""
    x = torch.tensor([2.0], requires_grad=True)
    optimizer = torch.optim.SGD([x], lr=lr, momentum=momentum_)
    losses, xs = [], []
    for _ in range(iterations):
        y = torch.pow(2 * x, 2)
        losses.append(y.item())
        xs.append(x.item())
        y.backward()
        optimizer.step()
        optimizer.zero_grad()
    return losses, xs


@pytest.mark.parametrize("value", [0.9, 0.63, 0.0])
def test_the_race_is_where_torchs_momentum_run_has_the_lower_loss(value):
    """What the momentum tab says of its runs: the iterations where the run with momentum has
    the lower loss, the last losses and its sign changes, from torch.optim.SGD run here. The
    course's 0.9 is ahead at iterations 5-6 only and ends 4.7e-4 against 4e-23 (the old
    sentence said it catches up)."""
    race = momentum.run_momentum(momentum.MomentumConfig(momentum=value)).race
    with_, xs = sgd_losses_and_xs(0.01, value, 100)
    plain, _ = sgd_losses_and_xs(0.03, 0.0, 100)
    lower = [i for i in range(100) if with_[i] < plain[i]]
    spans = [(i, i) for i in lower]  # consecutive iterations merged into one span
    for i in range(len(spans) - 1, 0, -1):
        if spans[i][0] == spans[i - 1][1] + 1:
            spans[i - 1:i + 1] = [(spans[i - 1][0], spans[i][1])]
    assert list(race.ahead) == spans
    assert (race.last, race.loss_momentum, race.loss_plain) == (99, with_[-1], plain[-1])
    assert race.sign_changes == sum(a * b < 0 for a, b in zip(xs, xs[1:], strict=False))
    if value == 0.9:
        assert race.ahead == ((5, 6),) and race.loss_momentum > 1e-4 > 1e-20 > race.loss_plain


@pytest.mark.parametrize("value", [0.5, 0.9, 0.99])
def test_the_momentum_buffer_is_an_unnormalised_sum_of_the_gradients(value):
    """The page's claim: with a constant gradient SGD's buffer tends to g/(1 - m) (10 g at
    m = 0.9), what buffer_factor says; torch's buffer after enough steps of a gradient of 3."""
    w = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=0.0, momentum=value)
    for _ in range(3000):
        w.grad = torch.full((1,), 3.0)
        optimizer.step()
    buffer = optimizer.state[w]["momentum_buffer"].item()
    # float32 sums of 3000 terms: the limit to a relative 1e-5
    assert buffer / 3.0 == pytest.approx(momentum.buffer_factor(value), rel=1e-5)
    assert momentum.buffer_factor(0.9) == pytest.approx(10.0)


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


def test_only_the_quadratic_takes_a_condition_number():
    assert [name for name, s in LANDSCAPES.items() if s.takes_condition] == ["quadratic"]


# ---- the registry: read from torch ----------------------------------------------------------

@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_settings_and_defaults_are_torchs_own(name):
    entry = OPTIMIZERS[name]
    spec = Spec.of(name)
    signature = inspect.signature(entry.cls).parameters
    assert set(spec.kwargs()) == set(signature) - {"params"} - {
        "foreach", "fused", "capturable", "differentiable"}
    for keyword, value in spec.kwargs().items():
        assert value == signature[keyword].default, keyword
    made = spec.make([torch.zeros(2, requires_grad=True)])
    for keyword, value in spec.kwargs().items():
        if value is not None:  # None: torch decides (LBFGS's max_eval becomes max_iter * 5 // 4)
            assert made.defaults[keyword] == value, keyword
    assert hash(spec) == hash(Spec.of(name))


def test_the_registry_holds_every_optimizer_of_torch_optim_but_those_shown_elsewhere():
    torchs = {name for name, cls in vars(torch.optim).items() if inspect.isclass(cls)
              and issubclass(cls, torch.optim.Optimizer) and cls is not torch.optim.Optimizer}
    assert set(OPTIMIZERS) | set(ELSEWHERE) == torchs and not set(OPTIMIZERS) & set(ELSEWHERE)
    assert {"Adafactor", "LBFGS", "SGD"} <= set(OPTIMIZERS)


@pytest.mark.parametrize("name", list(ELSEWHERE))
def test_those_shown_elsewhere_refuse_a_landscapes_point(name):
    point = torch.zeros(2, requires_grad=True)
    (point ** 2).sum().backward()
    with pytest.raises((ValueError, RuntimeError)):
        getattr(torch.optim, name)([point]).step()


def test_a_spec_refuses_a_setting_its_optimizer_does_not_take():
    with pytest.raises(TypeError):
        Spec.of("SGD", betas_0=0.5)


# ---- every optimiser on every landscape -----------------------------------------------------

@pytest.mark.parametrize("landscape", list(LANDSCAPES))
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_runs_on_every_landscape_as_torch_does(landscape, name):
    surface = LANDSCAPES[landscape]
    spec = Spec.of(name)
    config = PathConfig(landscape=landscape, start_x=surface.start[0],
                        start_y=surface.start[1], steps=8, runs=(spec,))
    frame, stop, _ = paths.run_path(config, spec)
    p = torch.tensor(surface.start, requires_grad=True)
    optimizer = spec.make([p])

    def closure():
        optimizer.zero_grad()
        loss = surface.f(p[0], p[1], config.condition)
        loss.backward()
        return loss

    for step in range(len(frame)):
        assert frame.loc[step, ["x", "y"]].tolist() == p.tolist(), step
        if step < 8 and stop != step:
            closure()
            optimizer.step(closure) if spec.entry.closure else optimizer.step()


CASES = [
    ("quadratic", Spec.of("SGD", lr=0.1), 300),
    ("quadratic", Spec.of("SGD", lr=0.05, momentum=0.9), 300),
    ("quadratic", Spec.of("SGD", lr=0.05, momentum=0.9, nesterov=True), 300),
    ("quadratic", Spec.of("SGD", lr=0.05, momentum=0.9, dampening=0.5), 400),
    ("quadratic", Spec.of("Adam", lr=0.1), 400),
    ("quadratic", Spec.of("AdamW", lr=0.1, weight_decay=0.0), 400),
    ("quadratic", Spec.of("RMSprop", lr=0.01), 1000),
    ("quadratic", Spec.of("Adagrad", lr=1.0), 300),
    ("quadratic", Spec.of("Adamax", lr=0.1), 400),
    ("quadratic", Spec.of("NAdam", lr=0.1), 400),
    ("quadratic", Spec.of("RAdam", lr=0.1), 600),
    ("quadratic", Spec.of("Rprop", lr=0.01), 300),
    ("quadratic", Spec.of("ASGD", lr=0.05), 400),
    ("quadratic", Spec.of("LBFGS", lr=1.0), 20),
    ("rosenbrock", Spec.of("SGD", lr=1e-3, momentum=0.9), 2500),
    ("rosenbrock", Spec.of("Adam", lr=0.02), 3000),
    ("rosenbrock", Spec.of("RMSprop", lr=1e-3, momentum=0.9), 2000),
    ("rosenbrock", Spec.of("LBFGS", lr=1.0, line_search_fn="strong_wolfe"), 30),
]


@pytest.mark.parametrize(("landscape", "spec", "steps"), CASES,
                         ids=[f"{c[0]}-{c[1].label()}" for c in CASES])
def test_each_optimizer_reaches_the_minimum(landscape, spec, steps):
    surface = LANDSCAPES[landscape]
    config = PathConfig(landscape=landscape, start_x=surface.start[0],
                        start_y=surface.start[1], steps=steps, runs=(spec,))
    frame, diverged, _ = paths.run_path(config, spec)
    assert diverged is None
    end = frame.iloc[-1]
    assert math.dist((end["x"], end["y"]), surface.minima[0]) < 1e-2
    assert end["loss"] < frame["loss"].iloc[0] * 1e-3


def test_lbfgs_path_shows_each_inner_evaluation():
    spec = Spec.of("LBFGS", lr=1.0, line_search_fn="strong_wolfe")
    config = PathConfig(runs=(spec,), steps=3)
    frame, _, inner = paths.run_path(config, spec)
    p = torch.tensor(config.start, requires_grad=True)
    optimizer = spec.make([p])
    seen = []

    def closure():
        optimizer.zero_grad()
        loss = config.surface.f(p[0], p[1])
        loss.backward()
        seen.append((*p.tolist(), loss.item()))
        return loss

    for step in range(3):
        before = len(seen)
        optimizer.step(closure)
        got = inner[inner["step"] == step]
        assert got[["x", "y", "loss"]].values.tolist() == [list(v) for v in seen[before:]]
    assert inner.groupby("step").size().max() > 1  # the line search evaluates several points
    assert frame.loc[3, ["x", "y"]].tolist() == p.tolist()


def test_plain_sgd_on_rosenbrock_is_slow_but_heads_for_the_minimum():
    config = PathConfig(runs=(Spec.of("SGD", lr=1e-3),), steps=3000)
    frame, diverged, _ = paths.run_path(config, config.runs[0])
    assert diverged is None
    assert frame["loss"].iloc[-1] < 0.05 < frame["loss"].iloc[300]


def test_trajectory_is_torch_optim_step_by_step():
    spec = Spec.of("Adam", lr=0.05, betas_0=0.8, betas_1=0.99, weight_decay=0.01)
    config = PathConfig(runs=(spec,), steps=30)
    frame, _, _ = paths.run_path(config, spec)
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
    config = PathConfig(runs=(Spec.of("SGD", lr=0.01),), steps=200)  # far above 2/λ_max
    result = run_paths(config)
    stop = result.diverged_at[0]
    assert stop is not None and 0 < stop < 50
    frame = result.paths
    assert frame["step"].max() == stop
    assert frame["loss"].iloc[:-1].map(math.isfinite).all()  # every drawn point before is finite


def test_forgetting_zero_grad_accumulates_the_gradients():
    config = PathConfig(runs=(Spec.of("SGD", lr=1e-3),), forget_zero_grad=True)
    grads = anatomy.anatomy(config, 1, 5).grads
    summed = grads[["fresh_x", "fresh_y"]].cumsum()
    assert grads["grad_x"].tolist() == pytest.approx(summed["fresh_x"].tolist(), rel=1e-5)
    assert grads["grad_y"].tolist() == pytest.approx(summed["fresh_y"].tolist(), rel=1e-5)
    cleared = anatomy.anatomy(PathConfig(runs=config.runs), 1, 5).grads
    assert cleared["grad_x"].tolist() == cleared["fresh_x"].tolist()


# ---- anatomy -----------------------------------------------------------------------------------

def test_anatomy_tables_are_the_optimizer_attributes():
    config = PathConfig(runs=(Spec.of("SGD", lr=1e-3, momentum=0.9),))
    result = anatomy.anatomy(config, 1, 10)
    p = torch.tensor([-1.5, 2.0], requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=1e-3, momentum=0.9)
    for _ in range(10):
        optimizer.zero_grad()
        ((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2).backward()
        optimizer.step()
    assert result.state_dict["state"][0]["momentum_buffer"] == \
        optimizer.state_dict()["state"][0]["momentum_buffer"].tolist()
    groups = dict(zip(result.param_groups["key"], result.param_groups["value"], strict=True))
    assert groups["lr"] == "0.001" and groups["momentum"] == "0.9"
    assert set(result.defaults["key"]) == set(optimizer.defaults)
    assert result.state["key"].tolist() == ["momentum_buffer"]


# The course's anatomy example as the course writes it (its set_seed(1) is torch.manual_seed
# here: the same draws): written out in the test, independent of the page's own script.
COURSE_ANATOMY = """import torch
torch.manual_seed({seed})
weight = torch.randn((2, 2), requires_grad=True)
weight.grad = torch.ones((2, 2))
optimizer = torch.optim.SGD([weight], lr=0.1)
print("weight before step:{{}}".format(weight.data))
optimizer.step()
print("weight after step:{{}}".format(weight.data))
print("weight.grad is {{}}\\n".format(weight.grad))
optimizer.zero_grad()
print("after optimizer.zero_grad(), weight.grad is\\n{{}}".format(weight.grad))
print("optimizer.param_groups is\\n{{}}".format(optimizer.param_groups))
w2 = torch.randn((3, 3), requires_grad=True)
optimizer.add_param_group({{"params": w2, 'lr': 0.0001}})
print("optimizer.param_groups is\\n{{}}".format(optimizer.param_groups))
optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
opt_state_dict = optimizer.state_dict()
print("state_dict before step:\\n", opt_state_dict)
for i in range(10):
    optimizer.step()
print("state_dict after step:\\n", optimizer.state_dict())
"""


@pytest.mark.parametrize("seed", [1, 7])
def test_the_course_example_prints_what_the_courses_own_script_prints(seed):
    """The page's printout of the anatomy example begins with exactly what the course's script
    prints (with its seed), line for line; the page adds its two lines about the buffer after."""
    course = printed_lines(COURSE_ANATOMY.format(seed=seed))
    shown = anatomy.course_anatomy(seed).splitlines()
    assert len(course) > 20 and shown[:len(course)] == course
    assert shown[len(course)].startswith("with weight.grad = ones")


def test_the_course_example_prints_the_course_numbers_in_its_order():
    lines = anatomy.course_anatomy().splitlines()
    generator = torch.Generator().manual_seed(1)  # the course's set_seed(1)
    weight = torch.randn((2, 2), generator=generator)
    printed = "\n".join(lines)
    assert printed.startswith(f"weight before step:{weight}\nweight after step:{weight - 0.1}")
    labels = ["weight before step:", "weight after step:", "weight.grad is", "after optimizer"
              ".zero_grad(), weight.grad is", "optimizer.param_groups is", "state_dict before "
              "step:", "state_dict after step:", "with weight.grad = ones"]
    positions = [printed.index(label) for label in labels]
    assert positions == sorted(positions)
    assert "after optimizer.zero_grad(), weight.grad is\nNone" in printed
    assert "'lr': 0.0001" in printed
    after = printed[printed.index("state_dict after step:"):printed.index("with weight.grad")]
    assert "'state': {}" in after  # torch 2: grad None, the 10 steps skip the weight
    buffer = sum(0.9**i for i in range(10))
    assert f"{buffer:.4f}" == "6.5132" and "6.5132" in printed.split("with weight.grad")[1]


def test_the_course_example_leaves_torchs_global_generator_alone():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    anatomy.course_anatomy()
    for name in anatomy.ELSEWHERE_SCRIPTS:
        anatomy.elsewhere(name)
    anatomy.exercise(1, 3)[0]
    assert torch.equal(before, torch.random.get_rng_state())


def test_three_group_exercise_buffers_are_geometric_sums():
    groups = anatomy.exercise(seed=3, k=7)[0]
    assert groups["lr"].tolist() == [0.01, 0.02, 0.03]
    assert groups["momentum"].tolist() == [0.9, 0.8, 0.7]
    for row in groups.itertuples():
        assert row.buffer == pytest.approx((1 - row.momentum**7) / (1 - row.momentum), rel=1e-5)
    _, history = anatomy.exercise(seed=3, k=7)
    for step, rows in history.groupby("step"):
        assert rows["buffer"].tolist() == anatomy.exercise(3, step)[0]["buffer"].tolist()


def test_sparse_adam_moves_only_looked_up_rows_and_refuses_a_dense_parameter():
    printed = anatomy.elsewhere("SparseAdam")
    assert printed == run_script(anatomy.elsewhere_script("SparseAdam"))
    assert "rows touched: [1, 4, 7]" in printed
    assert "exp_avg of row 0: [0.0, 0.0, 0.0]" in printed
    dense = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.SparseAdam([dense])
    (dense ** 2).sum().backward()
    with pytest.raises(RuntimeError) as error:
        optimizer.step()
    assert f"dense parameter: {error.value}" in printed


def test_muon_steps_a_matrix_along_nearly_equal_singular_values_and_refuses_a_vector():
    """What the page's note says of the printout: the gradient's singular values spread from
    about 17 to 2, the step's (over lr) within 0.7 to 1.2 times sqrt(4/3)."""
    printed = anatomy.elsewhere("Muon")
    assert printed == run_script(anatomy.elsewhere_script("Muon"))
    assert anatomy.ELSEWHERE_SCRIPTS.keys() == ELSEWHERE.keys()
    generator = torch.Generator().manual_seed(anatomy.COURSE_SEED)
    weight = torch.randn(4, 3, generator=generator, requires_grad=True)
    target = torch.randn(4, 3, generator=generator) * torch.tensor([4.0, 1.0, 0.25])
    optimizer = torch.optim.Muon([weight], lr=0.1, weight_decay=0.0)
    for step in range(3):
        optimizer.zero_grad()
        loss = (weight - target).pow(2).sum()
        loss.backward()
        before = weight.detach().clone()
        optimizer.step()
        grad = torch.linalg.svdvals(weight.grad)
        moved = torch.linalg.svdvals((before - weight.detach()) / 0.1) / math.sqrt(4 / 3)
        assert f"step {step}: loss={loss.item():.4f}" in printed
        assert grad[0] / grad[-1] > 5 and moved.min() > 0.7 and moved.max() < 1.2, (grad, moved)
    assert 16 < torch.linalg.svdvals(weight.grad)[0] < 18
    with pytest.raises(ValueError) as error:
        torch.optim.Muon([torch.zeros(2, requires_grad=True)])
    assert f"1-D parameter: {error.value}" in printed


# ---- validation ------------------------------------------------------------------------------

def test_settings_torch_would_refuse_are_input_errors_naming_the_run():
    """A run's setting is named by its widget's path, r<i>.<setting> (the page labels it "Run 2,
    lr"), a refusal of the combination by the run's number."""
    with pytest.raises(InputError, match="r1.lr: -1.0 is below 0.0"):
        paths.validate_path(PathConfig(runs=(Spec.of("SGD"), Spec.of("SGD", lr=-1.0))))
    with pytest.raises(InputError, match="Run 1: torch.optim.SGD refuses .*Nesterov"):
        paths.validate_path(PathConfig(runs=(Spec.of("SGD", nesterov=True),)))
    with pytest.raises(InputError, match="r0.betas_1"):
        paths.validate_path(PathConfig(runs=(Spec.of("Adam", betas_1=-0.5),)))
    with pytest.raises(InputError, match="lr_max"):
        learning_rate.validate_lr(learning_rate.LrConfig(lr_min=0.3, lr_max=0.1))
    with pytest.raises(InputError, match="betas: -0.1 is below 0.0"):
        momentum.validate_momentum(momentum.MomentumConfig(betas=(0.9, -0.1)))
    clean, notices = momentum.validate_momentum(momentum.MomentumConfig(betas=(0.9, 1.2)))
    assert clean.betas == (0.9, 0.999) and notices[0].params["field"] == "betas"


def test_a_beta_of_one_is_clamped_below_one_with_a_notice():
    clean, notices = paths.validate_path(PathConfig(runs=(Spec.of("Adam", betas_1=1.0),)))
    assert clean.runs[0].value("betas_1") < 1
    assert [n.params["field"] for n in notices] == ["r0.betas_1"]


def test_sizes_are_clamped_with_notices():
    config, notices = paths.validate_path(PathConfig(steps=10**6, start_x=500.0))
    assert config.start == (100.0, 2.0)
    assert [n.params.get("field") for n in notices] == ["start_x", "steps", None]
    assert notices[1].params["used"] == paths.STEPS.high  # then the four runs' step budget
    assert config.steps == paths.STEP_BUDGET // 4 == notices[2].params["used"]
    clean, _ = sweep.validate_sweep(sweep.SweepConfig(lr_count=1000, momentum_count=1))
    assert (clean.lr_count, clean.momentum_count) == (100, 2)


@pytest.mark.parametrize(("runs", "cost"), [
    ((Spec.of("SGD"),), 1.0), ((Spec.of("SGD"), Spec.of("Adam")), 2.0),
    ((Spec.of("LBFGS"),), 10.0), ((Spec.of("LBFGS", max_eval=200), Spec.of("SGD")), 81.0)])
def test_the_runs_steps_stay_inside_their_budget(runs, cost):
    """A change that reruns every run costs about steps × (1 a plain run, 0.4 an evaluation for
    LBFGS's closure, max_eval of them, torch's max_iter·5/4 = 25 by default): the steps are cut
    to the budget with a notice naming the cost; the course's four runs of 300 fit it."""
    assert sum(spec.step_cost() for spec in runs) == cost
    config, notices = paths.validate_path(PathConfig(steps=paths.STEPS.high, runs=runs))
    assert config.steps == min(paths.STEPS.high, int(paths.STEP_BUDGET // cost))
    assert config.steps * cost <= paths.STEP_BUDGET
    cut = [n for n in notices if n.key == "notice.optim.step_budget"]
    assert bool(cut) == (paths.STEPS.high * cost > paths.STEP_BUDGET)
    course, notices = paths.validate_path(PathConfig())
    assert course.steps == 300 and not notices


def test_arrows_point_down_the_gradient():
    config = PathConfig(runs=(Spec.of("SGD", lr=1e-3, momentum=0.9),))
    frame = run_paths(config).paths
    arrows = paths.arrows(frame, 3, config.surface.view).set_index("kind")
    row = frame[frame["step"] == 3].iloc[0]
    grad = arrows.loc["gradient"]
    assert math.copysign(1, grad["x2"] - grad["x"]) == -math.copysign(1, row["grad_x"])
    assert grad["size"] == pytest.approx(math.hypot(row["grad_x"], row["grad_y"]))
    assert "velocity" in arrows.index


# ---- the generated scripts print core's numbers ---------------------------------------------

@settings(max_examples=4, deadline=None)
@given(lr_min=st.floats(0.001, 0.2), span=st.floats(0, 0.3), count=st.integers(1, 6),
       iterations=st.integers(1, 60), x0=st.floats(-5, 5), thresholds=st.booleans())
def test_lr_script_reproduces_core(lr_min, span, count, iterations, x0, thresholds):
    config = learning_rate.LrConfig(lr_min=lr_min, lr_max=lr_min + span, lr_count=count,
                                    iterations=iterations, x0=x0, thresholds=thresholds)
    printed = printed_lines(to_script(config))
    result = learning_rate.run_lr(config)
    finals = [float(line.split("final x=")[1].split()[0]) for line in printed]
    assert finals == result.summary["final_x"].tolist()


@settings(max_examples=3, deadline=None)
@given(value=st.floats(0, 0.99), lr=st.floats(0.001, 0.05), iterations=st.integers(2, 80))
def test_momentum_script_reproduces_core(value, lr, iterations):
    config = momentum.MomentumConfig(momentum=value, lr_momentum=lr, iterations=iterations)
    printed = printed_lines(to_script(config))
    runs = momentum.run_momentum(config).runs
    last = [float(line.split("last loss=")[1]) for line in printed if "last loss" in line]
    assert last == runs["loss"].iloc[[iterations - 1, -1]].tolist()  # each run's last loss


def spec_strategy(name: str) -> st.SearchStrategy[Spec]:
    """A spec of this optimiser with random settings inside their bounds (small ones)."""
    entry = OPTIMIZERS[name]
    values = {}
    for setting in entry.settings:
        if setting.kind == "bool":
            values[setting.name] = st.booleans()
        elif setting.kind == "choice":
            values[setting.name] = st.sampled_from(setting.choices)
        elif setting.kind == "int":
            values[setting.name] = st.integers(int(setting.low), min(int(setting.high), 30))
        else:
            numbers = st.floats(setting.low, min(setting.high, 2 * abs(setting.low) + 1))
            values[setting.name] = numbers if setting.default is not None else st.none() | numbers
    return st.fixed_dictionaries(values).map(lambda v: Spec.of(name, **v))


def clean_spec(spec: Spec) -> Spec:
    """The nesterov rule, the only combination of settings torch.optim refuses here."""
    if spec.name == "SGD" and spec.value("nesterov"):
        return Spec.of("SGD", **{**dict(spec.values), "momentum": 0.5, "dampening": 0.0})
    return spec


SPECS = st.sampled_from(list(OPTIMIZERS)).flatmap(spec_strategy).map(clean_spec)


@settings(max_examples=6, deadline=None)
@given(landscape=st.sampled_from(sorted(LANDSCAPES)), specs=st.lists(SPECS, min_size=1,
       max_size=4), steps=st.integers(1, 12), zero_grad=st.booleans(),
       condition=st.floats(1, 100))
def test_path_script_reproduces_core(landscape, specs, steps, zero_grad, condition):
    config, _ = paths.validate_path(PathConfig(
        landscape=landscape, condition=condition, start_x=LANDSCAPES[landscape].start[0],
        start_y=LANDSCAPES[landscape].start[1], steps=steps,
        runs=tuple(specs), forget_zero_grad=not zero_grad))
    printed = printed_lines(to_script(config))
    result = run_paths(config)
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
FLOAT_FIELDS = [(learning_rate.LrConfig(), name) for name in ("lr_min", "lr_max", "x0")] + [
    (momentum.MomentumConfig(), name) for name in ("momentum", "lr_momentum", "lr_plain", "x0")] + [
    (sweep.SweepConfig(lr_count=3, momentum_count=3, steps=20), name)
    for name in ("condition", "lr_min", "lr_max", "momentum_min", "momentum_max", "dampening",
                 "tol")]
VALIDATE = {learning_rate.LrConfig: (learning_rate.validate_lr, learning_rate.run_lr),
            momentum.MomentumConfig: (momentum.validate_momentum, momentum.run_momentum),
            sweep.SweepConfig: (sweep.validate_sweep, sweep.run_sweep)}


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(("config", "name"), FLOAT_FIELDS,
                         ids=[f"{type(c).__name__}.{n}" for c, n in FLOAT_FIELDS])
def test_a_huge_float_is_clamped_with_a_notice_or_refused(config, name, value):
    from dataclasses import replace
    validate, run = VALIDATE[type(config)]
    if name.endswith("_min"):  # keep the range ordered: the max moves with it
        config = replace(config, **{name.replace("_min", "_max"): value})
    if value < 0 and name in ("lr_min", "momentum", "lr_momentum", "lr_plain", "momentum_min",
                              "momentum_max", "tol") or (name == "lr_max" and value < 0):
        with pytest.raises(InputError):  # a negative rate, a reversed range
            validate(replace(config, **{name: value}))
        return
    clean, notices = validate(replace(config, **{name: value}))
    assert notices and all(abs(getattr(clean, n.params["field"])) <= 1e6
                           for n in notices if hasattr(clean, n.params["field"]))
    run(clean)  # no RuntimeError from torch


NUMERIC = [(name, s.name) for name, entry in OPTIMIZERS.items() for s in entry.settings
           if s.kind in (int, float)]


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(("name", "setting"), NUMERIC)
def test_a_huge_optimizer_setting_or_start_is_clamped(name, setting, value):
    config = PathConfig(landscape="quadratic", condition=value, start_x=value, start_y=-value,
                        steps=5, runs=(Spec.of(name, **{setting: value}),))
    if value < 0:
        with pytest.raises(InputError, match=f"r0.{setting}"):
            paths.validate_path(config)
        return
    clean, notices = paths.validate_path(config)
    fields_ = {n.params["field"] for n in notices}
    assert {"condition", "start_x", "start_y", f"r0.{setting}"} <= fields_
    assert clean.condition == CONDITION["high"] and clean.start == (
        math.copysign(START["high"], value), math.copysign(START["high"], -value))
    frame, _, _ = paths.run_path(clean, clean.runs[0])
    anatomy.anatomy(clean, 1, 5)
    assert frame["step"].iloc[0] == 0


# ---- inside the optimiser: every state entry's formula, against torch ------------------------

@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if n != "LBFGS"])
def test_every_state_entry_follows_its_formula_as_torch_computes_it(name):
    @settings(max_examples=8, deadline=None)
    @given(spec=spec_strategy(name).map(clean_spec), k=st.integers(1, 6),
           landscape=st.sampled_from(sorted(LANDSCAPES)), zero_grad=st.booleans())
    def check(spec, k, landscape, zero_grad):
        config = PathConfig(landscape=landscape, start_x=LANDSCAPES[landscape].start[0],
        start_y=LANDSCAPES[landscape].start[1], steps=10,
                            runs=(spec,), forget_zero_grad=not zero_grad)
        table = inside.inside_step(config, 1, k).table
        assert table["agree"].all(), table[["key", "ours", "torch"]].to_dict("records")
        p = torch.tensor(config.start, requires_grad=True)
        optimizer = spec.make([p])
        for _ in range(k):
            optimizer.zero_grad()
            config.surface.f(p[0], p[1], config.condition).backward()
            optimizer.step()
        assert set(table["key"]) == {*optimizer.state[p], "param"}  # every entry torch holds
    check()


def test_a_wrong_formula_would_not_agree():
    """The check can fail: Adam's step with β₁ misread as 1 − β₁ disagrees with torch."""
    config = PathConfig(runs=(Spec.of("Adam", lr=0.05),), steps=5)
    assert inside.inside_step(config, 1, 3).table["agree"].all()
    wrong = Optimizer(torch.optim.Adam, rule=lambda g, p, s, h: rules.adam(
        g, p, s, h | {"betas": (0.1, 0.999)}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(OPTIMIZERS, "Adam", wrong)
        assert not inside.inside_step(config, 1, 3).table["agree"].all()


def lbfgs_state(spec: Spec, config: PathConfig, steps: int) -> dict:
    """torch's LBFGS after `steps` steps of the trajectory's loop, its closure as the lesson's."""
    p = torch.tensor(config.start, requires_grad=True)
    optimizer = spec.make([p])

    def closure():
        if config.zero_grad:
            optimizer.zero_grad()
        loss = config.surface.f(p[0], p[1], config.condition)
        loss.backward()
        return loss

    for _ in range(steps):
        closure()
        optimizer.step(closure)
    return optimizer.state[p]


def test_lbfgs_state_follows_its_restated_step_as_torch_computes_it():
    """LBFGS's step restated (rules.lbfgs): every entry of its state, the history included,
    against torch's, with hypothesis over its settings, the landscape and zero_grad."""
    @settings(max_examples=12, deadline=None)
    @given(spec=spec_strategy("LBFGS"), k=st.integers(1, 4),
           landscape=st.sampled_from(sorted(LANDSCAPES)), zero_grad=st.booleans())
    def check(spec, k, landscape, zero_grad):
        config = PathConfig(landscape=landscape, start_x=LANDSCAPES[landscape].start[0],
        start_y=LANDSCAPES[landscape].start[1], steps=10,
                            runs=(spec,), forget_zero_grad=not zero_grad)
        found = inside.inside_step(config, 1, k)
        table = found.table
        assert table["agree"].all(), table[["key", "ours", "torch"]].to_dict("records")
        held = lbfgs_state(spec, config, found.step)
        assert set(table["key"]) == {*held, "param"}
        rows = table.set_index("key")
        assert rows.loc["func_evals", "torch"] == str(held["func_evals"])
        assert rows.loc["n_iter", "torch"] == str(held["n_iter"])
    check()


def test_lbfgs_rows_show_its_last_iteration_with_torchs_numbers():
    """The course's default LBFGS on Rosenbrock, step 1: 20 inner iterations; the newest pair of
    the history is y = gₖ − gₖ₋₁ and s = t·d, ρ = 1/yᵀs, written with torch's own numbers."""
    config = PathConfig(runs=(Spec.of("LBFGS"),), steps=5)
    rows = inside.inside_step(config, 1, 1).table.set_index("key")
    held = lbfgs_state(Spec.of("LBFGS"), config, 1)
    assert held["n_iter"] == 20 and rows.loc["n_iter", "evaluated"] == "0 + 20"
    y, s = held["old_dirs"][-1], held["old_stps"][-1]
    assert rows.loc["ro", "evaluated"] == (
        f"1/({inside.fill('{y}', {'y': y})}ᵀ{inside.fill('{s}', {'s': s})}) = "
        f"1/{y.dot(s).item():.6g}")
    assert rows.loc["ro", "torch"] == f"[{len(held['ro'])}] …, {held['ro'][-1].item():.8g}"
    d = held["d"]
    assert rows.loc["param", "evaluated"].endswith(
        f" + {held['t']:.6g}·({d[0].item():.6g}, {d[1].item():.6g})")
    g = held["prev_flat_grad"]
    assert rows.loc["prev_flat_grad", "torch"] == f"{g[0].item():.8g}, {g[1].item():.8g}"


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if n != "LBFGS"])
def test_the_evaluated_formulas_hold_the_steps_own_numbers(name):
    """Every rule writes in the numbers of the step it shows: the point before the step and the
    gradient backward() left there, both as the landscape tab's trajectory has them."""
    config = PathConfig(runs=(Spec.of(name),), steps=10)
    frame, _, _ = paths.run_path(config, config.runs[0])
    table = inside.inside_step(config, 1, 4).table
    before = frame.loc[3]  # step 4 starts from the point after 3 steps
    written = " ".join(table["evaluated"])
    assert f"({before.x:.6g}, {before.y:.6g})" in written
    assert f"({before.grad_x:.6g}, {before.grad_y:.6g})" in written


def test_sgd_and_adam_write_the_documented_formula_with_torchs_numbers():
    """Step 2 of SGD(momentum=0.9) and of Adam on Rosenbrock, by hand in torch: the momentum
    buffer is 0.9·b₁ + (1 − 0)·g₂ and Adam's exp_avg 0.9·m₁ + (1 − 0.9)·g₂, each number written
    as it is."""
    def two_steps(optimizer_of):
        p = torch.tensor([-1.5, 2.0], requires_grad=True)
        optimizer = optimizer_of([p])
        grads, states = [], []
        for _ in range(2):
            optimizer.zero_grad()
            ((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2).backward()
            grads.append(p.grad.clone())
            states.append({k: v.clone() for k, v in optimizer.state[p].items()})
            optimizer.step()
        return grads, states

    def pair(v):
        return f"({v[0].item():.6g}, {v[1].item():.6g})"

    grads, states = two_steps(lambda ps: torch.optim.SGD(ps, lr=1e-3, momentum=0.9))
    table = inside.inside_step(PathConfig(runs=(Spec.of("SGD", lr=1e-3, momentum=0.9),)),
                               1, 2).table.set_index("key")
    buffer = states[1]["momentum_buffer"]  # after step 1, before step 2
    assert table.loc["momentum_buffer", "evaluated"] == \
        f"0.9·{pair(buffer)} + (1 − 0)·{pair(grads[1])}"
    grads, states = two_steps(lambda ps: torch.optim.Adam(ps, lr=0.05))
    table = inside.inside_step(PathConfig(runs=(Spec.of("Adam", lr=0.05),)), 1, 2).table
    table = table.set_index("key")
    assert table.loc["exp_avg", "evaluated"] == \
        f"0.9·{pair(states[1]['exp_avg'])} + (1 − 0.9)·{pair(grads[1])}"
    assert table.loc["step", "evaluated"] == "1 + 1"


def test_a_diverged_run_shows_its_last_step_everywhere_alike():
    """ASGD at lr 0.01 leaves Rosenbrock at step 4: the landscape tab's path, the anatomy and the
    step-by-step table all stop there, and the table's numbers are finite (torch's own steps
    beyond would be nan)."""
    config = PathConfig(runs=(Spec.of("ASGD", lr=0.01),))
    _, stop, _ = paths.run_path(config, config.runs[0])
    assert stop == 4
    found = inside.inside_step(config, 1, 10)
    assert (found.step, found.diverged_at) == (4, 4)
    assert found.table["agree"].all()
    rows = found.table.set_index("key")
    assert rows.loc["step", "torch"] == "4"
    assert all(math.isfinite(float(v)) for v in rows.loc["param", "torch"].split(", "))
    result = anatomy.anatomy(config, 1, 10)
    assert (result.steps, result.diverged_at) == (4, 4)
    assert dict(zip(result.state["key"], result.state["value"], strict=True))["step"] == "[4]"
    assert inside.inside_step(config, 1, 3).diverged_at is None  # before it diverged: step 3


def test_the_state_table_keeps_significant_digits():
    """optimizer.state as the anatomy shows it: 8 significant digits, so Adadelta's acc_delta of
    about 5e-06 and LBFGS's tiny two-loop coefficients keep their digits (not 5e-06 or 0.0)."""
    config = PathConfig(runs=(Spec.of("Adadelta"),))
    state = anatomy.anatomy(config, 1, 10).state.set_index("key")["value"]
    p = torch.tensor([-1.5, 2.0], requires_grad=True)
    optimizer = torch.optim.Adadelta([p])
    for _ in range(10):
        optimizer.zero_grad()
        ((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2).backward()
        optimizer.step()
    delta = optimizer.state[p]["acc_delta"].tolist()
    assert state["acc_delta"] == "[" + ", ".join(f"{v:.8g}" for v in delta) + "]"
    assert delta[0] < 1e-5 and state["acc_delta"].startswith("[4.9457")
    config = PathConfig(runs=(Spec.of("LBFGS"),))
    al = anatomy.anatomy(config, 1, 3).state.set_index("key")["value"]["al"]
    held = lbfgs_state(Spec.of("LBFGS"), config, 3)["al"]
    shown = [float(v.strip("[] ")) for v in al.split(",") if v.strip("[] ") not in ("None", "")]
    assert shown == pytest.approx([a.item() for a in held if a is not None], rel=1e-7)
    assert all(v != 0 for v in shown)


def test_the_course_example_prints_a_zero_buffer_for_a_zero_gradient():
    """The note's claim: a zero gradient (torch < 2.0's zero_grad) gives a zero buffer."""
    printed = anatomy.course_anatomy()
    tail = printed.split("zero_grad(set_to_none=False), state_dict after 10 steps:")[1]
    weight = torch.zeros(2, 2, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
    weight.grad = torch.zeros(2, 2)
    for _ in range(10):
        optimizer.step()
    assert str(optimizer.state[weight]["momentum_buffer"]) in tail
    assert optimizer.state[weight]["momentum_buffer"].abs().sum() == 0


def test_a_huge_rate_is_clamped_between_0_and_the_float32_limit():
    """A rate's bound starts at 0: lr_max = 1e9 is 'outside 0.0 to 1000000.0', never -1e6."""
    from core import text
    _, notices = learning_rate.validate_lr(learning_rate.LrConfig(lr_max=1e9))
    assert [text.lookup("en", n.key, **n.params) for n in notices] == [
        "lr_max: 1000000000.0 is outside 0.0 to 1000000.0; using 1000000.0."]
    _, notices = momentum.validate_momentum(momentum.MomentumConfig(lr_plain=1e9))
    assert notices[0].params["low"] == 0.0
