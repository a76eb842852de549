"""The course's script for a scheduler: what the page shows under "Show the PyTorch code"."""

from __future__ import annotations

from core.schedules.course import ScheduleConfig


def to_script(config: ScheduleConfig) -> str:
    """The course's script for this scheduler: it prints each epoch's rates, as run() records
    them (before scheduler.step(); and after it too, for a scheduler the course logs after it,
    as the page draws both orders), and the trained weight."""
    entry, values = config.entry, config.values()
    if entry.groups == 2:
        setup = ("w1 = torch.randn((6, 3, 5, 5))\nw2 = torch.ones((5, 5))\n"
                 "optimizer = torch.optim.SGD([{'params': [w1]}, {'params': [w2]}], lr=LR, "
                 "momentum=0.9)")
        train = "        optimizer.step()  # w1 and w2 have no gradient: the course only steps"
    else:
        setup = "optimizer = torch.optim.SGD([weights], lr=LR, momentum=0.9)"
        train = ("        loss = torch.pow((weights - target), 2)\n        loss.backward()\n"
                 "        optimizer.step()")
    step = "\n    ".join(entry.step_code(values, None) + (
        ['print(f"after step() epoch {epoch} lr {scheduler.get_last_lr()}")  # the course\'s order']
        if entry.logged_after else []))
    return f'''import torch

torch.manual_seed({config.seed})
LR = {config.lr!r}
iteration = {config.iteration}
max_epoch = {config.max_epoch}
weights = torch.randn((1), requires_grad=True)
target = torch.zeros((1))
{setup}
scheduler = {entry.constructor(values, config.max_epoch)}
for epoch in range(max_epoch):
    print(f"epoch {{epoch}} lr {{scheduler.get_last_lr()}}")
    for i in range(iteration):
{train}
        optimizer.zero_grad()
    {step}
print(f"w {{weights.item()}}")
'''
