"""Time each view of the schedules lesson, single-threaded as the app runs torch: every
scheduler's course run (200 epochs x 10 SGD steps) and the same loop through torch.optim.SGD's
own step() with autograd (what the loop did before: the ratio), the applied tab for each (a
landscape and 4x², with and without the schedule), the range test; then each at the largest
sizes a student can set, in CPU seconds against the 300 ms a move may cost. Prints a line per
view. Run: python -m bench.schedules"""

import time

import torch

from bench.timing import median_ms
from core import schedules
from core.errors import InputError
from core.schedules import applied, range_test

BUDGET_S = 0.3  # a move's CPU on one thread (issue 27)


def through_autograd(config: schedules.ScheduleConfig) -> float:
    """The course's loop as its script writes it: backward() and torch.optim.SGD.step() every
    iteration (what the lesson ran before); the trained weight."""
    generator = torch.Generator().manual_seed(config.seed)
    weight = torch.randn((1,), generator=generator, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=config.lr, momentum=0.9)
    scheduler = config.entry.build(optimizer, config.values(), config.max_epoch)
    for epoch in range(config.max_epoch):
        scheduler.get_last_lr()
        for _ in range(config.iteration):
            torch.pow(weight, 2).backward()
            optimizer.step()
            optimizer.zero_grad()
        config.entry.step(scheduler, epoch, config.values(), None)
    return weight.item()


def cpu_seconds(run) -> float:
    start = time.process_time()
    run()
    return time.process_time() - start


def main() -> None:
    torch.set_num_threads(1)
    schedules.run(schedules.ScheduleConfig())  # warm up
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, median of 5 runs (ms)")
    for name in schedules.SCHEDULERS:
        config = schedules.ScheduleConfig(scheduler=name)
        course = median_ms(lambda config=config: schedules.run(config), 5)
        before = median_ms(lambda config=config: through_autograd(config), 5)
        apply = applied.ApplyConfig(schedule=config)
        on_landscape = median_ms(lambda apply=apply: applied.run(apply), 5)
        print(f"{name:<28} course {course:6.1f} (through autograd and SGD.step {before:6.1f}, "
              f"{before / course:4.1f}x)  applied {on_landscape:6.1f}")
    config = range_test.RangeConfig()
    print(f"{'range test (100 steps)':<28} {median_ms(lambda: range_test.run(config), 5):6.1f}")
    largest()


def largest() -> None:
    """Each view at the largest sizes a student can set (the loop cut to its step budget), CPU
    seconds of one run, against the budget."""
    loop = {path: schedules.course.SETTINGS[path].high for path in ("max_epoch", "iteration")}
    figures = {}
    for name in schedules.SCHEDULERS:
        try:
            config, _ = schedules.validate(schedules.ScheduleConfig(scheduler=name, **loop))
            figures[f"course {name}"] = cpu_seconds(lambda config=config: schedules.run(config))
            apply = applied.ApplyConfig(schedule=config, noise=100.0)
            figures[f"applied {name}"] = cpu_seconds(lambda apply=apply: applied.run(apply))
        except InputError:  # torch refuses its preset at this size (OneCycleLR's total_steps)
            continue
    most = range_test.RangeConfig(num_iter=int(range_test.SETTINGS["num_iter"].high))
    figures["range test"] = cpu_seconds(lambda: range_test.run(most))
    heaviest = max(figures, key=figures.get)
    over = [name for name, seconds in figures.items() if seconds > BUDGET_S]
    print(f"largest allowed (max_epoch {loop['max_epoch']} x iteration {loop['iteration']}, cut "
          f"to {schedules.STEP_BUDGET} steps; range test {most.num_iter} steps), CPU s: "
          + ", ".join(f"{name} {seconds:.2f}" for name, seconds in figures.items()))
    print(f"heaviest: {heaviest} {figures[heaviest]:.2f} s (budget {BUDGET_S} s; over it: "
          f"{', '.join(over) or 'none'})")


if __name__ == "__main__":
    main()
