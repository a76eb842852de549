"""Time each view of the schedules lesson, single-threaded as the app runs torch: every
scheduler's course run (200 epochs x 10 SGD steps), the applied tab for each (a landscape and 4x²,
with and without the schedule), and the range test. Prints one line per view.
Run: python -m bench.schedules"""

import torch

from bench.timing import median_ms
from core import schedules
from core.schedules import applied, range_test


def main() -> None:
    torch.set_num_threads(1)
    schedules.run(schedules.ScheduleConfig())  # warm up
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, median of 5 runs (ms)")
    for name in schedules.SCHEDULERS:
        config = schedules.ScheduleConfig(scheduler=name)
        course = median_ms(lambda config=config: schedules.run(config), 5)
        apply = applied.ApplyConfig(schedule=config)
        on_landscape = median_ms(lambda apply=apply: applied.run(apply), 5)
        print(f"{name:<28} course {course:6.1f}  applied {on_landscape:6.1f}")
    config = range_test.RangeConfig()
    print(f"{'range test (100 steps)':<28} {median_ms(lambda: range_test.run(config), 5):6.1f}")


if __name__ == "__main__":
    main()
