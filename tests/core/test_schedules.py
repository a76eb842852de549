"""The schedules lesson's core against torch: every scheduler's per-epoch rates in the course's
loop (closed forms of the course's six, and the shown script run for every entry, with hypothesis
over settings), ReduceLROnPlateau's marks, both logging orders, a schedule applied, the range
test, and the validation of what a user types."""

from __future__ import annotations

import inspect
import math
import re
from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler

from core import schedules
from core.errors import InputError
from core.schedules import applied, range_test
from core.schedules.registry import simple
from harness.scripts import printed_lines

COURSE = {name: schedules.validate(schedules.ScheduleConfig(scheduler=name))[0]
          for name in schedules.SCHEDULERS}


@pytest.fixture(scope="module")
def course_runs():
    return {name: schedules.run(config) for name, config in COURSE.items()}


def rates(result, group=0, after=False):
    frame = result.rates_after if after else result.rates
    return frame[frame["group"] == group]["lr"].tolist()


NUMBER = r"nan|-?inf|[-+\d.e]+"  # a rate torch made nan (ConstantLR's tiniest factor) prints nan


def as_text(epochs: list[list[float]]) -> list[list[str]]:
    """Rates as Python prints them, so a nan compares equal to a nan."""
    return [[repr(rate) for rate in epoch] for epoch in epochs]


def printed_rates(script: str) -> tuple[list[list[float]], float]:
    """Each epoch's printed get_last_lr() and the printed trained weight."""
    lines = printed_lines(script)
    epochs = [[float(v) for v in re.findall(NUMBER, line.split(" lr ")[1])]
              for line in lines if line.startswith("epoch ")]
    return epochs, float(lines[-1].split()[-1])


def printed_after(script: str) -> list[list[float]]:
    """Each epoch's get_last_lr() printed after scheduler.step() (the course's LambdaLR order)."""
    return [[float(v) for v in re.findall(NUMBER, line.split(" lr ")[1])]
            for line in printed_lines(script) if line.startswith("after step() epoch ")]


def test_the_course_presets(course_runs):
    epochs = range(200)
    closed = {
        "StepLR": [0.1 * 0.1 ** (e // 50) for e in epochs],
        "MultiStepLR": [0.1 * 0.1 ** sum(e >= m for m in (50, 125, 160)) for e in epochs],
        "ExponentialLR": [0.1 * 0.95 ** e for e in epochs],
        "CosineAnnealingLR": [0.1 * (1 + math.cos(math.pi * e / 50)) / 2 for e in epochs],
    }
    for name, expected in closed.items():
        assert rates(course_runs[name]) == pytest.approx(expected, rel=1e-9, abs=1e-15), name
    lambdas = course_runs["LambdaLR"]
    assert rates(lambdas, 0) == pytest.approx([0.1 * 0.1 ** (e // 20) for e in epochs], rel=1e-9)
    assert rates(lambdas, 1) == pytest.approx([0.1 * 0.95 ** e for e in epochs], rel=1e-9)


def test_every_entry_has_its_course_preset_where_the_course_has_one():
    course = {name for name, entry in schedules.SCHEDULERS.items() if entry.course}
    assert course == {"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                      "ReduceLROnPlateau", "LambdaLR"}
    assert schedules.SCHEDULERS["StepLR"].preset() == {"step_size": 50, "gamma": 0.1}
    assert schedules.SCHEDULERS["MultiStepLR"].preset()["milestones"] == (50, 125, 160)
    plateau = schedules.SCHEDULERS["ReduceLROnPlateau"].preset()
    assert {k: plateau[k] for k in ("factor", "mode", "patience", "cooldown", "min_lr")} == {
        "factor": 0.1, "mode": "min", "patience": 10, "cooldown": 10, "min_lr": 1e-4}
    assert set(schedules.SCHEDULERS) >= {"LinearLR", "ConstantLR", "PolynomialLR",
                                         "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR",
                                         "SequentialLR", "ChainedScheduler"}


def test_settings_come_from_torch_signatures():
    step = schedules.SCHEDULERS["StepLR"].settings
    assert [(s.name, s.kind) for s in step] == [("step_size", "int"), ("gamma", "float")]
    cyclic = {s.name: s for s in schedules.SCHEDULERS["CyclicLR"].settings}
    assert cyclic["mode"].choices == ("triangular", "triangular2", "exp_range")
    one_cycle = {s.name: s for s in schedules.SCHEDULERS["OneCycleLR"].settings}
    assert one_cycle["div_factor"].default == 25.0  # torch's default, no preset
    assert one_cycle["three_phase"].kind == "bool"


def test_plateau_marks_where_patience_ran_out_and_cooldown_ended(course_runs):
    result = course_runs["ReduceLROnPlateau"]
    events = [tuple(row) for row in result.events.itertuples(index=False)]
    # best 0.4 at epoch 5; bad epochs 6..16 pass patience 10 at 16; cooldown 17..26; again at 37
    assert events[:4] == [(16, "patience"), (26, "cooldown"), (37, "patience"),
                          (47, "cooldown")]
    lr = rates(result)
    assert lr[16] == 0.1 and lr[17] == pytest.approx(0.01)  # cut by factor 0.1 after epoch 16
    assert lr[38] == pytest.approx(1e-3) and min(lr) == pytest.approx(1e-4)  # min_lr holds


def test_recording_after_the_step_is_one_epoch_later(course_runs):
    for name, result in course_runs.items():
        for group in result.rates["group"].unique():
            assert rates(result, group, after=True)[:-1] == rates(result, group)[1:], name


@pytest.mark.parametrize("name", list(schedules.SCHEDULERS))
def test_the_shown_script_prints_the_same_rates(course_runs, name):
    epochs, w = printed_rates(schedules.to_script(COURSE[name]))
    result = course_runs[name]
    groups = result.rates["group"].nunique()
    assert epochs == [[r for g in range(groups) for r in [rates(result, g)[e]]]
                      for e in range(200)]
    assert w == result.weights["w"].iloc[-1]
    # both orders the page draws: after scheduler.step() too, where the course logs it there
    after = printed_after(schedules.to_script(COURSE[name]))
    if COURSE[name].entry.logged_after:
        assert after == [[rates(result, g, after=True)[e] for g in range(groups)]
                         for e in range(200)]
        assert name == "LambdaLR" and after[0] == [0.1, 0.1 * 0.95]  # epoch 0 logged after
    else:
        assert after == []


def setting_values(setting):
    if setting.kind == "choice":
        return st.sampled_from(setting.choices)
    if setting.kind == "bool":
        return st.booleans()
    low, high = setting.low, setting.high
    if setting.kind == "ints":
        return st.lists(st.integers(max(low, 1), 40), min_size=1, max_size=4).map(tuple)
    if setting.kind == "int":
        return st.integers(int(low), min(int(high), 40))
    return st.floats(low, min(high, 2.0), allow_nan=False)


@st.composite
def configs(draw):
    name = draw(st.sampled_from(list(schedules.SCHEDULERS)))
    entry = schedules.SCHEDULERS[name]
    chosen = tuple((s.name, draw(setting_values(s))) for s in entry.settings
                   if draw(st.booleans()))
    return schedules.ScheduleConfig(
        scheduler=name, settings=chosen, lr=draw(st.sampled_from([0.1, 0.5, 1e-3])),
        max_epoch=draw(st.integers(1, 30)), iteration=draw(st.integers(1, 3)),
        seed=draw(st.integers(0, 100)))


@settings(max_examples=25, deadline=None)
@given(configs())
def test_any_settings_the_script_prints_what_core_computes(config):
    config, _ = schedules.validate(config)
    try:
        result = schedules.run(config)
    except InputError as error:  # torch refused the combination: the script would raise too
        assert error.key == "error.schedules.refused"
        with pytest.raises((ValueError, ZeroDivisionError)):
            printed_lines(schedules.to_script(config))
        return
    epochs, w = printed_rates(schedules.to_script(config))
    groups = result.rates["group"].nunique()
    assert as_text(epochs) == as_text([[rates(result, g)[e] for g in range(groups)]
                                       for e in range(config.max_epoch)])
    if config.entry.logged_after:
        assert as_text(printed_after(schedules.to_script(config))) == as_text([
            [rates(result, g, after=True)[e] for g in range(groups)]
            for e in range(config.max_epoch)])
    assert w == result.weights["w"].iloc[-1] or (math.isnan(w) and math.isnan(
        result.weights["w"].iloc[-1]))


def test_core_leaves_torch_global_rng_alone():
    before = torch.get_rng_state()
    schedules.run(COURSE["StepLR"])
    range_test.run(range_test.RangeConfig(num_iter=20))
    applied.run(applied.ApplyConfig(schedule=schedules.ScheduleConfig(max_epoch=10)))
    assert torch.equal(torch.get_rng_state(), before)


def test_the_seed_is_the_courses_draw():
    result = schedules.run(COURSE["StepLR"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        assert result.initial_w == torch.randn(1).item()


def test_bad_values_name_their_field():
    with pytest.raises(InputError, match="milestones"):
        schedules.validate(schedules.ScheduleConfig("MultiStepLR",
                                                    settings=(("milestones", "50, x"),)))
    with pytest.raises(InputError, match="step_size"):
        schedules.validate(schedules.ScheduleConfig(settings=(("step_size", 2.5),)))
    config, notices = schedules.validate(schedules.ScheduleConfig(max_epoch=10**9))
    assert config.max_epoch == schedules.MAX_EPOCH.high and notices
    # the loop's steps: 1000 epochs of 50 iterations are cut to the step budget's epochs
    config, notices = schedules.validate(schedules.ScheduleConfig(max_epoch=1000, iteration=50))
    assert config.max_epoch == schedules.STEP_BUDGET // 50 == notices[-1].params["used"]
    assert notices[-1].key == "notice.schedules.step_budget"
    short = schedules.ScheduleConfig("OneCycleLR", settings=(("total_steps", 50),))
    with pytest.raises(InputError, match="OneCycleLR"):
        schedules.run(schedules.validate(short)[0])


def test_a_new_entry_is_one_entry(monkeypatch):
    L = torch.optim.lr_scheduler  # noqa: N806
    entry = simple(L.ExponentialLR, schedules.from_torch(L.ExponentialLR, "gamma", 0.5))
    monkeypatch.setitem(schedules.SCHEDULERS, "Halving", entry)
    config, _ = schedules.validate(schedules.ScheduleConfig("Halving", max_epoch=5))
    assert rates(schedules.run(config)) == [0.1 * 0.5 ** e for e in range(5)]


def test_every_scheduler_of_torch_is_in_the_registry():
    """Fails the day torch.optim.lr_scheduler gains a scheduler the app lacks (MultiplicativeLR
    was missing), as the optimisers' registry test does for torch.optim."""
    torchs = {name for name, cls in vars(lr_scheduler).items()
              if inspect.isclass(cls) and issubclass(cls, lr_scheduler.LRScheduler | lr_scheduler
                                                     .ReduceLROnPlateau)
              and cls not in (lr_scheduler.LRScheduler, lr_scheduler._LRScheduler)}
    assert torchs == set(schedules.SCHEDULERS)
    assert "MultiplicativeLR" in torchs


@pytest.mark.parametrize("factor", schedules.FACTORS)
def test_multiplicative_lr_multiplies_the_rate_by_its_factor_each_epoch(factor):
    """MultiplicativeLR in the course's loop: lr_e = lr_(e-1) · factor(e), from torch's own
    scheduler on a plain SGD, for each formula it offers."""
    config, _ = schedules.validate(schedules.ScheduleConfig(
        "MultiplicativeLR", settings=(("lr_lambda", factor),), max_epoch=60))
    shown = rates(schedules.run(config))
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = lr_scheduler.MultiplicativeLR(
        optimizer, eval(f"lambda epoch: {factor}"))  # noqa: S307 (the registry's own constants)
    expected = []
    for _ in range(60):
        expected.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    assert shown == expected


# ---- A schedule applied ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "ReduceLROnPlateau", "LambdaLR"])
def test_applied_runs_follow_the_schedule_and_the_script(name):
    config, _ = applied.validate(applied.ApplyConfig(schedule=COURSE[name]))
    result = applied.run(config)
    constant = result.parabola[result.parabola["run"] == "constant"]
    assert set(constant["lr"]) == {config.schedule.lr}
    if name != "ReduceLROnPlateau":  # the others do not depend on the loss: the course's rates
        scheduled = result.parabola[result.parabola["run"] == "scheduled"]
        course = rates(schedules.run(config.schedule))
        assert scheduled["lr"].tolist()[:-1] == course[:len(scheduled) - 1]
    lines = printed_lines(applied.to_script(config))
    runs = [(function, frame, run) for function, frame in (("landscape", result.landscape),
                                                           ("parabola", result.parabola))
            for run in ("scheduled", "constant")]
    ends = result.ends.set_index("function")
    assert len(lines) == 4
    for line, (function, frame, run) in zip(lines, runs, strict=True):
        final = frame[frame["run"] == run].iloc[-1]
        assert f"step {int(final['step'])}:" in line
        assert float(line.split("loss=")[1].split()[0]) == final["loss"]
        assert float(line.split("mean loss=")[1]) == ends.loc[function, run]


def noisy_tail(f, start: list[float], lr: float, config: applied.ApplyConfig,
               scheduler_of) -> float:
    """The applied tab's run written out with torch alone: SGD with momentum, the noise
    sigma·N(0, 1) added to p.grad from a generator seeded with the Config's seed before each
    step, the scheduler (or None) stepped after it; the mean loss of the last 20 steps."""
    generator = torch.Generator().manual_seed(config.noise_seed)
    p = torch.tensor(start, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=lr, momentum=config.momentum)
    scheduler = scheduler_of(optimizer)
    losses = []
    for step in range(config.schedule.max_epoch + 1):
        loss = f(p)
        losses.append(loss.item())
        if step == config.schedule.max_epoch:
            break
        loss.backward()
        p.grad.add_(torch.randn(p.shape, generator=generator), alpha=config.noise)
        optimizer.step()
        optimizer.zero_grad()
        if scheduler is not None:
            scheduler.step()
    return sum(losses[-20:]) / 20


@pytest.mark.parametrize("noise", [0.0, 1.0])
def test_gradient_noise_is_what_a_torch_loop_adds_and_decides_which_run_ends_lower(noise):
    """The course's StepLR on the default quadratic and on 4x²: each run's mean loss over its
    last 20 steps, as a loop of torch alone computes it. With noise (the default, sigma 1) StepLR
    ends lower on both, the claim the page's sentence makes; without, the constant rate does."""
    config, _ = applied.validate(applied.ApplyConfig(noise=noise))
    assert config.landscape == "quadratic" and config.schedule.scheduler == "StepLR"
    ends = applied.run(config).ends.set_index("function")

    def step_lr(optimizer):
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=50, gamma=0.1)

    quadratic = ("landscape", lambda p: 0.5 * (p[0] ** 2 + 10.0 * p[1] ** 2), [-4.0, 2.0],
                 config.landscape_lr)
    parabola = ("parabola", lambda p: torch.pow(2 * p[0], 2), [2.0], config.schedule.lr)
    for function, f, start, lr in (quadratic, parabola):
        scheduled = noisy_tail(f, start, lr, config, step_lr)
        constant = noisy_tail(f, start, lr, config, lambda optimizer: None)
        assert ends.loc[function, "scheduled"] == scheduled
        assert ends.loc[function, "constant"] == constant
        assert (scheduled < constant) == (noise > 0), (function, scheduled, constant)
    other, _ = applied.validate(applied.ApplyConfig(noise=noise, noise_seed=2))
    assert applied.run(other).ends.equals(applied.run(config).ends) == (noise == 0)


# ---- The range test ------------------------------------------------------------------------------

def test_range_test_rates_grow_exponentially_and_the_script_agrees():
    config, _ = range_test.validate(range_test.RangeConfig())
    result = range_test.run(config)
    lrs = result.steps["lr"].tolist()
    assert lrs[0] == pytest.approx(1e-7) and lrs[-1] == pytest.approx(10.0, rel=1e-9)
    assert len(lrs) == 100 or result.stopped_at is not None
    ratios = [b / a for a, b in zip(lrs, lrs[1:], strict=False)]
    assert ratios == pytest.approx([1e8 ** (1 / 99)] * len(ratios), rel=1e-9)
    lines = printed_lines(range_test.to_script(config))
    steps = [line for line in lines if line.startswith("step ")]
    for line, row in zip(steps, result.steps.itertuples(), strict=True):
        numbers = [float(v) for v in line.split()[1::2]]
        assert numbers == [row.step, row.lr, row.loss, row.smoothed]
    assert lines[-1] == f"steepest fall at step {result.suggested}"


def test_range_test_smoothing_stop_and_suggestion():
    result = range_test.run(range_test.RangeConfig(diverge=1.1, num_iter=100))
    losses, beta = result.steps["loss"].tolist(), 0.98
    average = 0.0
    for i, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        assert result.steps["smoothed"][i] == pytest.approx(average / (1 - beta ** (i + 1)))
    assert result.stopped_at == len(losses) - 1
    assert result.steps["smoothed"].iloc[-1] > 1.1 * result.steps["smoothed"].iloc[:-1].min()
    full = range_test.run(range_test.RangeConfig())
    smoothed = full.steps["smoothed"].tolist()
    kept = smoothed[range_test.SKIP_START:len(smoothed) - range_test.SKIP_END]
    # the steepest fall, by numpy's np.gradient as torch-lr-finder computes it
    import numpy as np
    assert full.suggested == range_test.SKIP_START + int(np.gradient(np.array(kept)).argmin())
    assert full.suggested_lr == full.steps["lr"][full.suggested]


def test_range_test_rejects_an_empty_range():
    with pytest.raises(InputError, match="end_lr"):
        range_test.validate(range_test.RangeConfig(start_lr=1.0, end_lr=0.1))


def test_a_diverging_applied_run_is_reported_at_its_step():
    """OneCycleLR's own max_lr = 0.1 on Himmelblau leaves the landscape; a landscape lr of 0.05
    on Rosenbrock makes both runs leave it: each (function, run) with the step its loss escaped,
    where its rows end."""
    config, _ = applied.validate(applied.ApplyConfig(schedule=COURSE["OneCycleLR"],
                                                     landscape="himmelblau", noise=0.0,
                                                     landscape_lr=applied.suggested_lr(
                                                         "himmelblau")))
    result = applied.run(config)
    rows = [tuple(row) for row in result.diverged.itertuples(index=False)]
    scheduled = result.landscape[result.landscape["run"] == "scheduled"]
    assert rows == [("landscape", "scheduled", int(scheduled["step"].iloc[-1]))]
    last = scheduled.iloc[-1]
    assert not math.isfinite(last["loss"]) or last["loss"] > applied.ESCAPE * max(
        scheduled["loss"].iloc[0], 1.0)
    config, _ = applied.validate(applied.ApplyConfig(schedule=COURSE["StepLR"],
                                                     landscape="rosenbrock", landscape_lr=0.05))
    result = applied.run(config)
    assert [(f, r) for f, r, _ in result.diverged.itertuples(index=False)] == [
        ("landscape", "scheduled"), ("landscape", "constant")]
    assert applied.run(applied.validate(applied.ApplyConfig())[0]).diverged.empty


@pytest.mark.parametrize("name", list(schedules.SCHEDULERS))
def test_own_rates_are_declared_where_the_scheduler_ignores_the_optimizers_lr(name):
    """A registry entry says own_rates exactly when its rates do not follow the optimiser's lr
    (CyclicLR, OneCycleLR): the page then says the constant run is not like for like."""
    config = COURSE[name]
    a = rates(schedules.run(schedules.validate(replace(config, lr=0.1, max_epoch=30))[0]))
    b = rates(schedules.run(schedules.validate(replace(config, lr=0.5, max_epoch=30))[0]))
    assert bool(config.entry.own_rates) == (a == b), (a[:3], b[:3])
    for setting in config.entry.own_rates:
        assert setting in config.values()


@pytest.mark.parametrize("name", ["StepLR", "CyclicLR", "OneCycleLR", "ReduceLROnPlateau"])
def test_the_loop_trains_w_as_torch_optim_sgd_does_epoch_by_epoch(name):
    """The course's loop writes SGD's update with torch's own operations instead of autograd and
    optimizer.step(): w after every epoch equal, bit for bit, to torch.optim.SGD stepped through
    backward() under the same real scheduler (CyclicLR and OneCycleLR also cycle the momentum)."""
    config, _ = schedules.validate(replace(COURSE[name], max_epoch=60))
    shown = schedules.run(config).weights["w"].tolist()
    generator = torch.Generator().manual_seed(config.seed)
    w = torch.randn((1,), generator=generator, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=config.lr, momentum=0.9)
    scheduler = config.entry.build(optimizer, config.values(), config.max_epoch)
    expected = []
    for epoch in range(config.max_epoch):
        for _ in range(config.iteration):
            torch.pow(w - torch.zeros(1), 2).backward()
            optimizer.step()
            optimizer.zero_grad()
        expected.append(w.item())
        config.entry.step(scheduler, epoch, config.values(), None)
    assert shown == expected
