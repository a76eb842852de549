"""The optimiser lesson, one idea per module: learning_rate (the course's y = 4x²), momentum,
registry (every torch.optim optimiser that runs on a landscape, its settings read from torch),
paths (trajectories on the 2-D landscapes of core.landscapes), inside (each state entry's update
formula evaluated and checked against torch), anatomy (the optimiser object, the course's example
and exercise, SparseAdam) and sweep (lr × momentum, batched)."""

from __future__ import annotations


def to_script(config) -> str:
    """The runnable script for any of the lesson's Configs."""
    from core.optim import learning_rate, momentum, paths, sweep
    scripts = {learning_rate.LrConfig: learning_rate.lr_script,
               momentum.MomentumConfig: momentum.momentum_script,
               paths.PathConfig: paths.path_script, sweep.SweepConfig: sweep.sweep_script}
    return scripts[type(config)](config)
