"""Learning-rate schedules: every scheduler of torch.optim.lr_scheduler in the course's setting,
one idea per module: registry (one entry per scheduler, its settings read from torch), course (the
course's loop and its Config), script (the loop as the page shows it), applied (a schedule
driving an optimiser on a landscape and on the course's 4x², with gradient noise) and range_test
(the learning-rate range test, torch-lr-finder's method)."""

from core.schedules.course import (
    MAX_EPOCH,
    STEP_BUDGET,
    ScheduleConfig,
    ScheduleResult,
    course_parameters,
    refused,
    run,
    validate,
)
from core.schedules.registry import (
    FACTORS,
    FORMULAS,
    LIMITS,
    SCHEDULERS,
    Scheduler,
    from_torch,
    settings_differing,
)
from core.schedules.script import to_script

__all__ = ["FACTORS", "FORMULAS", "LIMITS", "MAX_EPOCH", "SCHEDULERS", "STEP_BUDGET",
           "ScheduleConfig", "ScheduleResult", "Scheduler", "course_parameters", "from_torch",
           "refused", "run", "settings_differing", "to_script", "validate"]
