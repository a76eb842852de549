"""The lab's "Show the PyTorch code": a plain script that builds the same data, network,
initialisation, loss, optimiser and schedule from torch.manual_seed(seed) and prints the same
losses at the same epochs."""

from __future__ import annotations

import inspect
import textwrap

import torch

from core.lab import data, plug
from core.lab.model import LabConfig, build, layer_indices, norm_code

PRINT_EVERY = 10  # the script prints the losses every this many epochs


def to_script(config: LabConfig, epochs: int, every: int = PRINT_EVERY) -> str:
    """config validated, for its task (the Trainer's config)."""
    entry = data.DATASETS[config.dataset]
    loss = plug.LOSSES[config.loss]
    if entry.draw is None:
        draw = (f"table = torch.tensor({_csv_rows(config)!r}).reshape(-1, 3)\n"
                "points, labels = table[:, :2], table[:, 2]")
        source = ""
    else:
        source = textwrap.dedent(inspect.getsource(entry.draw)) + "\n\n"
        draw = (f"points, labels = {entry.draw.__name__}({config.points}, {config.noise!r}, "
                "None)  # None: torch's global generator")
    sizes = [len(config.features), *config.widths, loss.outputs]
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        layers.append(f"nn.Linear({fan_in}, {fan_out})")
        if i < len(config.widths):
            norm = norm_code(config, fan_out)
            if norm is not None:
                layers.append(norm)
            layers.append(plug.activation_code(config.activation, config.slope))
            if config.dropout:
                layers.append(f"nn.Dropout({config.dropout!r})")
    init = ""
    if config.init != plug.DEFAULT_INIT:
        spec = plug.init_spec(config.init, config.activation, config.slope, config.init_std)
        init = ("for layer in model:\n    if isinstance(layer, nn.Linear):\n"
                + textwrap.indent(plug.init_code(spec, "layer.weight"), " " * 8) + "\n")
    schedule = plug.schedule_code(config.schedule, config.schedule_settings)
    penalty = []
    if config.l1:
        penalty.append(f"{config.l1!r} * sum(w.abs().sum() for w in weights)")
    if config.l2:
        penalty.append(f"{config.l2!r} * sum((w * w).sum() for w in weights)")
    features = ", ".join(data.FEATURE_CODE[name] for name in config.features)
    lines = [
        "import math", "", "import torch", "from torch import nn", "",
        # as the app: with several threads, torch's sums (BatchNorm's, a batch's loss) add in
        # another order, and the printed losses differ in their last digits
        "torch.set_num_threads(1)",
        f"RADIUS = {data.RADIUS!r}", "", "",
        (source.rstrip() + "\n\n") if source else None,
        f"torch.manual_seed({config.seed})",
        draw,
        "order = torch.randperm(len(labels))",
        f"test, train = order[:len(labels) * {config.test_percent} // 100], "
        f"order[len(labels) * {config.test_percent} // 100:]",
        "x1, x2 = points[:, 0], points[:, 1]",
        f"inputs = torch.stack([{features}], 1)",
        f"target = {loss.target_code}",
        "x_train, y_train, x_test, y_test = inputs[train], target[train], inputs[test], "
        "target[test]",
        "",
        "model = nn.Sequential(\n    " + ",\n    ".join(layers) + ",\n)",
        init.rstrip() or None,
        *(["at_start = {name: value.clone() for name, value in model.state_dict().items()}"]
          if _shows_layers(config) else []),
        f"loss_fn = nn.{config.loss}()",
        *_freezing(config),
        "optimizer = " + plug.optimizer_code(config.optimizer, config.lr, config.momentum,
                                             _parameters(config)),
        f"scheduler = {schedule}" if schedule else None,
        "weights = [layer.weight for layer in model if isinstance(layer, nn.Linear)]",
        "",
        "",
        "def losses():",
        "    model.eval()",
        "    with torch.no_grad():",
        "        return loss_fn(model(x_train), y_train).item(), "
        "loss_fn(model(x_test), y_test).item()",
        "",
        "",
        'print("epoch 0: train loss {!r}, test loss {!r}".format(*losses()))',
        f"for epoch in range(1, {epochs + 1}):",
        "    model.train()",
        "    order = torch.randperm(len(x_train))",
        f"    for start in range(0, len(x_train), {config.batch}):",
        f"        batch = order[start:start + {config.batch}]",
        *(["        if len(batch) == 1:  # BatchNorm needs two points: the lab skips it too",
           "            continue"] if config.batchnorm else []),
        "        loss = loss_fn(model(x_train[batch]), y_train[batch])",
        *([f"        loss = loss + {' + '.join(penalty)}"] if penalty else []),
        "        optimizer.zero_grad()",
        "        loss.backward()",
        "        optimizer.step()",
        *(["    " + line for line in plug.schedule_step_code(config.schedule,
                                                           config.schedule_settings)]
          if schedule else []),
        f"    if epoch % {every} == 0 or epoch == {epochs}:",
        '        print("epoch {}: train loss {!r}, test loss {!r}".format(epoch, *losses()))',
        *(_layer_changes(config) if _shows_layers(config) else []),
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


def _csv_rows(config: LabConfig) -> list[float]:
    """The user's good rows, flattened (x1, x2, label, x1, ...)."""
    parsed = data.parse_csv(config.csv)
    return [value for point, label in zip(parsed.points.tolist(), parsed.labels.tolist(),
                                          strict=True) for value in (*point, label)]


def _modules(config: LabConfig, layers: tuple[int, ...]) -> str:
    """The parameters of those layers' modules (a layer's Linear and its normalisation), as a
    script names them: model[i] in the Sequential."""
    indices = layer_indices(build(config, torch.Generator()))  # a draw of its own
    return "[" + ", ".join(f"*model[{i}].parameters()" for layer in layers
                           for i in indices[layer - 1]) + "]"


def _freezing(config: LabConfig) -> list[str]:
    """The lines that freeze layers and gather those with their own learning rate."""
    lines = []
    if config.frozen:
        lines += [f"# frozen: {_named(config.frozen)} get no gradient "
                  "(BatchNorm's running statistics still move in train())",
                  f"for p in {_modules(config, config.frozen)}:",
                  "    p.requires_grad_(False)"]
    if config.own_lr_layers:
        lines += [f"# {_named(config.own_lr_layers)}: a parameter group "
                  "with its own learning rate",
                  f"own = {_modules(config, config.own_lr_layers)}",
                  "rest = [p for p in model.parameters() if all(p is not q for q in own)]"]
    return lines


def _shows_layers(config: LabConfig) -> bool:
    """Whether the script prints what each layer changed (where some are frozen or have their
    own learning rate)."""
    return bool(config.frozen or config.own_lr_layers)


def _layer_changes(config: LabConfig) -> list[str]:
    """Lines printing each layer's largest weight change since the start and, with BatchNorm, its
    running_mean's, as the lab's table shows them."""
    lines = ["", "# what each layer changed: the largest change of one value since the start"]
    for number, indices in enumerate(layer_indices(build(config, torch.Generator())), start=1):
        moved = [_moved(indices[0], "weight")]
        text = "weights moved {!r}"
        if config.batchnorm and len(indices) > 1:
            moved.append(_moved(indices[1], "running_mean"))
            text += ", running_mean moved {!r}"
        lines += [f'print("layer {number}: {text}".format(', *(f"    {m}," for m in moved), "))"]
    return lines


def _moved(index: int, name: str) -> str:
    return f'(model[{index}].{name} - at_start["{index}.{name}"]).abs().max().item()'


def _parameters(config: LabConfig) -> str:
    """What the optimiser is given: model.parameters(), or the two parameter groups."""
    if not config.own_lr_layers:
        return "model.parameters()"
    return f'[{{"params": rest}}, {{"params": own, "lr": {config.own_lr!r}}}]'


def _named(layers: tuple[int, ...]) -> str:
    return ("layer " if len(layers) == 1 else "layers ") + ", ".join(map(str, layers))
