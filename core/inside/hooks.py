"""Hooks: the course's tensor hooks and module hooks (its lesson on hooks), printed exactly as its
code prints them. (The hooks that collect the lab's per-layer statistics are core.lab.watch.)

The course's code runs after set_seed(1); the only draws are nn.Conv2d's own weights (then
overwritten) and the target, randn_like(output). Here they come from a private generator in the
same order, so the printout is the course's to the digit (tests run the course's code and compare).
"""

from __future__ import annotations

import io
import math
import threading
import warnings
from dataclasses import dataclass

import torch
from torch import nn

from core.settings import setting

SEED_HIGH = 2**31 - 1
FACTOR = 1e6  # the hook's factors: any number a student types, kept far from float32's overflow
# warnings.catch_warnings changes the process's filters: sessions are threads, so one at a time
WARNINGS = threading.Lock()


@dataclass(frozen=True)
class HookConfig:
    times: float = setting(2.0, low=-FACTOR, high=FACTOR, step=1.0, format="%g")
    returns: float = setting(3.0, low=-FACTOR, high=FACTOR, step=1.0, format="%g")
    backward: str = setting("full", choices=("full", "deprecated"),
                            choice_text="inside.backward_{choice}")
    seed: int = setting(1, low=0, high=SEED_HIGH, step=1)


@dataclass(frozen=True)
class Gradients:
    """The course's first two demos: y = (w + x)(w + 1) at w = 1, x = 2."""

    w: float
    x: float
    non_leaf: dict[str, None]  # a, b, y: .grad is None (not leaves)
    collected: float  # a's gradient, kept by a.register_hook
    hooked_w: float  # w.grad with the hook that scales it in place, then returns it scaled
    console: list[str]
    warning: str  # what torch says when a non-leaf's .grad is read


@dataclass(frozen=True)
class ModuleHooks:
    """The course's Conv2d(1, 2, 3) + MaxPool2d(2, 2) network with its module hooks."""

    backward: str  # "full" (register_full_backward_hook) or "deprecated" (register_backward_hook)
    pre_input: list  # what the forward-pre hook sees: the input
    feature_map: list  # what the forward hook keeps: conv1's output, 1 x 2 x 2 x 2
    output: list  # after the pooling, 1 x 2 x 1 x 1
    target: list
    loss: float
    grad_input: list[tuple[str, list | None]]  # what the backward hook receives: (name, values)
    grad_output: list[tuple[str, list]]
    console: list[str]
    warnings: list[str]  # what torch warns while the hooks are registered and run


def tensor_hooks(config: HookConfig) -> Gradients:
    printed = io.StringIO()
    w, x, a, b, y = _graph()
    collected = []
    handle = a.register_hook(lambda grad: collected.append(grad))
    y.backward()
    with WARNINGS, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        non_leaf = {"a": a.grad, "b": b.grad, "y": y.grad}
    print("gradient:", w.grad, x.grad, *non_leaf.values(), file=printed)
    print("a_grad[0]: ", collected[0], file=printed)
    handle.remove()
    first_w, first_x = w.grad.item(), x.grad.item()

    w, x, a, b, y = _graph()

    def grad_hook(grad):
        grad *= config.times
        return grad * config.returns

    handle = w.register_hook(grad_hook)
    y.backward()
    print("w.grad: ", w.grad, file=printed)
    handle.remove()
    return Gradients(first_w, first_x, non_leaf, collected[0].item(), w.grad.item(),
                     printed.getvalue().splitlines(),
                     str(caught[0].message) if caught else "")


def _graph():
    w = torch.tensor([1.], requires_grad=True)
    x = torch.tensor([2.], requires_grad=True)
    a = torch.add(w, x)
    b = torch.add(w, 1)
    return w, x, a, b, torch.mul(a, b)


class Net(nn.Module):
    """The course's network, its Conv2d's weights drawn from a generator (nn.Conv2d's own
    draw: kaiming_uniform_ with a = sqrt(5), then the bias), then set as the course sets them."""

    def __init__(self, g: torch.Generator) -> None:
        super().__init__()
        self.conv1 = torch.nn.utils.skip_init(nn.Conv2d, 1, 2, 3)
        nn.init.kaiming_uniform_(self.conv1.weight, a=math.sqrt(5), generator=g)
        fan_in = nn.init._calculate_fan_in_and_fan_out(self.conv1.weight)[0]
        nn.init.uniform_(self.conv1.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in),
                         generator=g)
        self.pool1 = nn.MaxPool2d(2, 2)
        self.conv1.weight[0].detach().fill_(1)
        self.conv1.weight[1].detach().fill_(2)
        self.conv1.bias.data.detach().zero_()

    def forward(self, x):
        return self.pool1(self.conv1(x))


# what each backward hook's grad_input holds, in order
GRAD_INPUT_NAMES = {"full": ("input",), "deprecated": ("input", "weight", "bias")}


def module_hooks(config: HookConfig) -> ModuleHooks:
    printed = io.StringIO()
    g = torch.Generator().manual_seed(config.seed)
    net = Net(g)
    fmap_block, input_block, seen = [], [], {}

    def forward_hook(module, data_input, data_output):
        fmap_block.append(data_output)
        input_block.append(data_input)

    def forward_pre_hook(module, data_input):
        print(f"forward_pre_hook input:{data_input}", file=printed)

    def backward_hook(module, grad_input, grad_output):
        seen.update(grad_input=grad_input, grad_output=grad_output)
        print(f"backward hook input:{grad_input}", file=printed)
        print(f"backward hook output:{grad_output}", file=printed)

    with WARNINGS, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.conv1.register_forward_hook(forward_hook)
        net.conv1.register_forward_pre_hook(forward_pre_hook)
        register = net.conv1.register_full_backward_hook if config.backward == "full" \
            else net.conv1.register_backward_hook
        register(backward_hook)
        fake_img = torch.ones((1, 1, 4, 4))
        output = net(fake_img)
        target = torch.randn(output.shape, generator=g)  # randn_like(output), from g
        loss = nn.L1Loss()(target, output)
        loss.backward()
    print(f"output shape: {output.shape}\noutput value: {output}\n", file=printed)
    print(f"feature maps shape: {fmap_block[0].shape}\noutput value: {fmap_block[0]}\n",
          file=printed)
    print(f"input shape: {input_block[0][0].shape}\ninput value: {input_block[0]}",
          file=printed)
    names = GRAD_INPUT_NAMES[config.backward]
    return ModuleHooks(
        config.backward, _values(input_block[0][0]), _values(fmap_block[0]), _values(output),
        _values(target), loss.item(),
        [(name, None if grad is None else _values(grad))
         for name, grad in zip(names, seen["grad_input"], strict=True)],
        [("output", _values(grad)) for grad in seen["grad_output"]],
        printed.getvalue().splitlines(), [str(w.message) for w in caught])


def to_script(config: HookConfig) -> str:
    """The course's code for both demos, with this view's factors, seed and backward hook."""
    register = "register_full_backward_hook" if config.backward == "full" \
        else "register_backward_hook"
    return SCRIPT.format(seed=config.seed, times=config.times, returns=config.returns,
                         register=register)


SCRIPT = '''import torch
import torch.nn as nn

torch.manual_seed({seed})  # the course's set_seed({seed})

# ---- tensor hooks ----
w = torch.tensor([1.], requires_grad=True)
x = torch.tensor([2.], requires_grad=True)
a = torch.add(w, x)
b = torch.add(w, 1)
y = torch.mul(a, b)

a_grad = list()


def grad_hook(grad):
    a_grad.append(grad)


handle = a.register_hook(grad_hook)
y.backward()
print("gradient:", w.grad, x.grad, a.grad, b.grad, y.grad)  # a, b, y are not leaves: None
print("a_grad[0]: ", a_grad[0])
handle.remove()

w = torch.tensor([1.], requires_grad=True)
x = torch.tensor([2.], requires_grad=True)
a = torch.add(w, x)
b = torch.add(w, 1)
y = torch.mul(a, b)


def grad_hook(grad):
    grad *= {times!r}
    return grad * {returns!r}


handle = w.register_hook(grad_hook)
y.backward()
print("w.grad: ", w.grad)
handle.remove()


# ---- module hooks ----
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.pool1 = nn.MaxPool2d(2, 2)

    def forward(self, x):
        x = self.conv1(x)
        x = self.pool1(x)
        return x


def forward_hook(module, data_input, data_output):
    fmap_block.append(data_output)
    input_block.append(data_input)


def forward_pre_hook(module, data_input):
    print("forward_pre_hook input:{{}}".format(data_input))


def backward_hook(module, grad_input, grad_output):
    print("backward hook input:{{}}".format(grad_input))
    print("backward hook output:{{}}".format(grad_output))


net = Net()
net.conv1.weight[0].detach().fill_(1)
net.conv1.weight[1].detach().fill_(2)
net.conv1.bias.data.detach().zero_()

fmap_block = list()
input_block = list()
net.conv1.register_forward_hook(forward_hook)
net.conv1.register_forward_pre_hook(forward_pre_hook)
net.conv1.{register}(backward_hook)

fake_img = torch.ones((1, 1, 4, 4))  # batch size * channel * H * W
output = net(fake_img)

loss_fnc = nn.L1Loss()
target = torch.randn_like(output)
loss = loss_fnc(target, output)
loss.backward()

print("output shape: {{}}\\noutput value: {{}}\\n".format(output.shape, output))
print("feature maps shape: {{}}\\noutput value: {{}}\\n".format(fmap_block[0].shape, fmap_block[0]))
print("input shape: {{}}\\ninput value: {{}}".format(input_block[0][0].shape, input_block[0]))
'''


def _values(tensor: torch.Tensor) -> list:
    return tensor.detach().tolist()
