"""The batched lr × momentum sweep is torch.optim.SGD, cell by cell."""


import altair as alt
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InputError
from core.landscapes import LANDSCAPES
from core.optim import common, sweep, to_script
from core.optim.sweep import SweepConfig
from harness.scripts import printed_lines


def test_quadratic_sweep_equals_torch_optim_sgd_to_float_tolerance():
    config = SweepConfig(landscape="quadratic", condition=10.0, start_x=-4.0, start_y=2.0,
                         lr_min=1e-3, lr_max=0.3, lr_count=7, momentum_count=6, steps=120)
    batched, reference = sweep.sweep_losses(config), sweep.sweep_reference(config)
    torch.testing.assert_close(batched, reference, rtol=1e-4, atol=1e-6, equal_nan=True)
    verdicts = common.first_index(common.escaped(batched, batched[0]))
    assert (verdicts >= 0).any() and (verdicts < 0).any()  # the grid straddles the edge
    assert torch.equal(verdicts, common.first_index(common.escaped(reference, reference[0])))


@pytest.mark.parametrize(("dampening", "nesterov", "momentum_min"),
                         [(0.3, False, 0.0), (0.0, True, 0.1)])
def test_quadratic_sweep_with_dampening_or_nesterov(dampening, nesterov, momentum_min):
    config = SweepConfig(landscape="quadratic", start_x=-4.0, start_y=2.0, lr_min=1e-3, lr_max=0.3,
                         lr_count=5, momentum_min=momentum_min, momentum_count=4, steps=80,
                         dampening=dampening, nesterov=nesterov)
    torch.testing.assert_close(sweep.sweep_losses(config), sweep.sweep_reference(config),
                               rtol=1e-4, atol=1e-6, equal_nan=True)


def test_rosenbrock_sweep_same_verdicts_and_close_final_losses():
    config = SweepConfig(lr_count=8, momentum_count=8, steps=200)  # the page's default ranges
    batched = sweep.summarise(config, sweep.sweep_losses(config)).cells
    reference = sweep.summarise(config, sweep.sweep_reference(config)).cells
    assert batched["diverged_at"].tolist() == reference["diverged_at"].tolist()
    assert (batched["diverged_at"] >= 0).sum() >= 3 and (batched["diverged_at"] < 0).sum() >= 3
    # Rosenbrock's valley amplifies float32 rounding (closed-form gradient vs autograd's order):
    # with momentum up to 0.85 the final losses agree to 0.1 %; at 0.99 they drift by up to 30 %.
    calm = batched["momentum"] < 0.9
    assert batched["final_loss"][calm].tolist() == pytest.approx(
        reference["final_loss"][calm].tolist(), rel=1e-3, abs=1e-6, nan_ok=True)
    assert batched["final_loss"].tolist() == pytest.approx(
        reference["final_loss"].tolist(), rel=0.5, nan_ok=True)


def test_rosenbrock_sweep_in_float64_is_the_same_update_rule():
    """Without float32's rounding, every cell of the batched sweep equals torch.optim.SGD."""
    config = SweepConfig(lr_count=6, momentum_count=6, steps=200)
    torch.testing.assert_close(sweep.sweep_losses(config, torch.float64),
                               sweep.sweep_reference(config, torch.float64),
                               rtol=1e-7, atol=1e-12, equal_nan=True)


def test_cells_are_laid_out_lr_fastest():
    config = SweepConfig(lr_count=3, momentum_count=2, steps=1)
    cells = sweep.run_sweep(config).cells
    assert cells["lr"].tolist() == pytest.approx([1e-5, 1e-5 ** 0.5 * 3e-3 ** 0.5, 3e-3] * 2)
    assert cells["momentum"].tolist() == pytest.approx([0, 0, 0, 0.99, 0.99, 0.99])


def test_steps_to_tolerance_is_the_first_step_below_it():
    config = SweepConfig(landscape="quadratic", start_x=-4.0, start_y=2.0, lr_min=0.1, lr_max=0.1,
                         lr_count=2, momentum_max=0.0, momentum_count=2, steps=100, tol=1e-3)
    losses = sweep.sweep_losses(config)[:, 0]
    expected = int((losses < 1e-3).int().argmax())
    assert sweep.summarise(config, sweep.sweep_losses(config)).cells["steps_to_tol"][0] == expected


def test_bad_sweep_input_is_an_input_error():
    with pytest.raises(InputError, match="lr_max"):
        sweep.validate_sweep(SweepConfig(lr_min=0.1, lr_max=0.01))
    with pytest.raises(InputError, match="lr_min"):
        sweep.validate_sweep(SweepConfig(lr_min=0.0))
    with pytest.raises(InputError, match="nesterov"):
        sweep.validate_sweep(SweepConfig(nesterov=True))


@settings(max_examples=3, deadline=None)
@given(landscape=st.sampled_from(["quadratic", "rosenbrock", "himmelblau", "beale", "saddle"]),
       count=st.integers(2, 5), steps=st.integers(1, 60), nesterov=st.booleans())
def test_sweep_script_reproduces_core(landscape, count, steps, nesterov):
    surface = LANDSCAPES[landscape]
    config = SweepConfig(landscape=landscape, start_x=surface.start[0],
                         start_y=surface.start[1], lr_min=surface.lr_range[0],
                         lr_max=surface.lr_range[1], lr_count=count,
                         momentum_min=0.1 if nesterov else 0.0, momentum_count=count,
                         steps=steps, nesterov=nesterov)
    printed = printed_lines(to_script(config))
    cells = sweep.run_sweep(config).cells
    for line, row in zip(printed, cells.itertuples(), strict=True):
        if row.diverged_at >= 0:
            assert line.endswith(f"diverged at step {row.diverged_at}")
        else:
            assert float(line.split("final loss ")[1]) == row.final_loss


def quadratic_sweep(steps: int = 200) -> SweepConfig:
    """The quadratic from (-4, 2) over its suggested range: 83 of its 1,600 cells reach a loss of
    exactly 0 in float32, and every momentum row diverges somewhere."""
    return SweepConfig(landscape="quadratic", start_x=-4.0, start_y=2.0, lr_min=1e-3, lr_max=1.0,
                       steps=steps)


def test_a_loss_of_exactly_zero_is_drawn_as_the_best_not_as_diverged():
    """On a log colour scale a 0 cannot be placed: the chart gives it the colour of the lowest
    positive loss and keeps it out of the black of the diverged cells."""
    from core.charts.optim import optim_sweep
    cells = sweep.run_sweep(quadratic_sweep()).cells
    zeros = cells["final_loss"] == 0
    assert zeros.sum() > 50  # the grid has its wedge of exact zeros
    chart = optim_sweep(cells, value="final_loss", log_colour=True, title="", value_title="",
                        missing_label="", height=300)
    good, bad = chart.layer[1], chart.layer[0]
    drawn = good.data.reset_index(drop=True)
    lowest = cells.loc[cells["final_loss"] > 0, "final_loss"].min()
    assert drawn.loc[zeros, "ok"].all() and (drawn.loc[zeros, "shade"] == lowest).all()
    diverged = cells["diverged_at"] >= 0
    assert not drawn.loc[diverged, "ok"].any()
    assert (drawn.loc[~zeros & ~diverged, "shade"] == cells.loc[~zeros & ~diverged,
                                                                 "final_loss"]).all()
    assert good.encoding.color.shorthand == "shade:Q"  # the colour reads shade, never a 0
    assert bad.transform[0].filter == ~alt.datum.ok


def test_the_divergence_edge_per_momentum_is_torchs_and_lies_above_heavy_balls_limit():
    """Where the page says the edge lies: per momentum, the smallest lr whose torch.optim.SGD
    run diverged (cell by cell, independent of the batched sweep); on the quadratic above
    2(1 + m)/L, L = c = 10, and rising with momentum (the old sentence said falling)."""
    config = SweepConfig(landscape="quadratic", start_x=-4.0, start_y=2.0, lr_min=0.1, lr_max=1.0,
                         lr_count=12, momentum_count=5, steps=150)
    edge = sweep.divergence_edge(config, sweep.run_sweep(config).cells)
    reference = sweep.summarise(config, sweep.sweep_reference(config)).cells
    expected = reference[reference["diverged_at"] >= 0].groupby("momentum")["lr"].min()
    assert edge.first_diverging.tolist() == expected.tolist()
    assert edge.limits.tolist() == pytest.approx([2 * (1 + m) / 10 for m in expected.index])
    assert (edge.first_diverging >= edge.limits).all()
    assert edge.first_diverging.is_monotonic_increasing
    assert edge.first_diverging.iloc[-1] > edge.first_diverging.iloc[0]
    rosenbrock = SweepConfig(lr_count=8, momentum_count=8)
    assert sweep.divergence_edge(rosenbrock, sweep.run_sweep(rosenbrock).cells).limits is None
