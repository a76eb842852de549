"""The hooks lesson against the course's own code and against torch: the printout to the
character, what each backward hook receives, and the lab's per-layer statistics collected with
hooks equal to the lab's own."""

import math
import warnings
from dataclasses import replace

import pytest
import torch
from torch import nn

from core.inside import hooks
from core.lab import plug
from core.lab.model import LabConfig
from core.lab.train import Trainer
from harness.scripts import printed_lines

# The course's hook lesson as it is written (its set_seed(1) seeds random, numpy and torch), with
# today's register_full_backward_hook, run as a plain script: its printout is the page's.
COURSE = '''
import random
import numpy as np
import torch
import torch.nn as nn

random.seed(1)
np.random.seed(1)
torch.manual_seed(1)

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
print("gradient:", w.grad, x.grad, a.grad, b.grad, y.grad)
print("a_grad[0]: ", a_grad[0])
handle.remove()

w = torch.tensor([1.], requires_grad=True)
x = torch.tensor([2.], requires_grad=True)
a = torch.add(w, x)
b = torch.add(w, 1)
y = torch.mul(a, b)
def grad_hook(grad):
    grad *= 2
    return grad*3
handle = w.register_hook(grad_hook)
y.backward()
print("w.grad: ", w.grad)
handle.remove()

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
    print("forward_pre_hook input:{}".format(data_input))
def backward_hook(module, grad_input, grad_output):
    print("backward hook input:{}".format(grad_input))
    print("backward hook output:{}".format(grad_output))
net = Net()
net.conv1.weight[0].detach().fill_(1)
net.conv1.weight[1].detach().fill_(2)
net.conv1.bias.data.detach().zero_()
fmap_block = list()
input_block = list()
net.conv1.register_forward_hook(forward_hook)
net.conv1.register_forward_pre_hook(forward_pre_hook)
net.conv1.REGISTER(backward_hook)
fake_img = torch.ones((1, 1, 4, 4))
output = net(fake_img)
loss_fnc = nn.L1Loss()
target = torch.randn_like(output)
loss = loss_fnc(target, output)
loss.backward()
print("output shape: {}\\noutput value: {}\\n".format(output.shape, output))
print("feature maps shape: {}\\noutput value: {}\\n".format(fmap_block[0].shape, fmap_block[0]))
print("input shape: {}\\ninput value: {}".format(input_block[0][0].shape, input_block[0]))
'''
REGISTER = {"full": "register_full_backward_hook", "deprecated": "register_backward_hook"}


def page_console(config: hooks.HookConfig) -> list[str]:
    return hooks.tensor_hooks(config).console + hooks.module_hooks(config).console


@pytest.mark.parametrize("backward", ["full", "deprecated"])
def test_the_course_code_prints_the_page_console_exactly(backward):
    config = hooks.HookConfig(backward=backward)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        course = printed_lines(COURSE.replace("REGISTER", REGISTER[backward]))
    assert page_console(config) == course


def test_the_course_printout():
    console = page_console(hooks.HookConfig())
    assert console[:3] == ["gradient: tensor([5.]) tensor([2.]) None None None",
                           "a_grad[0]:  tensor([2.])", "w.grad:  tensor([30.])"]
    assert "backward hook input:(None,)" in console
    assert "output value: tensor([[[[ 9.]]," in console


@pytest.mark.parametrize("config", [hooks.HookConfig(), hooks.HookConfig(times=-0.5, returns=7,
                                                                         backward="deprecated",
                                                                         seed=5)])
def test_the_shown_script_prints_the_page_console(config):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert printed_lines(hooks.to_script(config)) == page_console(config)


def test_gradients_are_torchs():
    """y = (w + x)(w + 1) differentiated by torch.autograd.grad, without hooks."""
    w = torch.tensor([1.], requires_grad=True)
    x = torch.tensor([2.], requires_grad=True)
    a = w + x
    b = w + 1
    gw, gx, ga = torch.autograd.grad(a * b, [w, x, a])
    result = hooks.tensor_hooks(hooks.HookConfig(times=4.0, returns=-0.25))
    assert (result.w, result.x, result.collected) == (gw.item(), gx.item(), ga.item())
    assert result.hooked_w == gw.item() * 4.0 * -0.25
    assert result.non_leaf == {"a": None, "b": None, "y": None}
    assert "not a leaf Tensor" in result.warning


def conv_gradients(seed: int):
    """The course's network without hooks, the weight's and bias's gradients by autograd."""
    torch.manual_seed(seed)
    conv = nn.Conv2d(1, 2, 3)
    with torch.no_grad():
        conv.weight[0].fill_(1)
        conv.weight[1].fill_(2)
        conv.bias.zero_()
    feature_map = conv(torch.ones(1, 1, 4, 4))
    feature_map.retain_grad()
    output = nn.MaxPool2d(2, 2)(feature_map)
    target = torch.randn_like(output)
    nn.L1Loss()(target, output).backward()
    return feature_map, target, conv


def test_each_backward_hook_receives_what_torch_documents():
    feature_map, target, conv = conv_gradients(1)
    full = hooks.module_hooks(hooks.HookConfig(backward="full"))
    old = hooks.module_hooks(hooks.HookConfig(backward="deprecated"))
    # both see the gradient of conv1's output; the full hook the gradient of its input (None:
    # the image needs none), the deprecated one its last operation's: input, weight and bias
    for result in (full, old):
        assert result.grad_output == [("output", feature_map.grad.tolist())]
        assert result.feature_map == feature_map.tolist()
        assert result.target == target.tolist()
    assert full.grad_input == [("input", None)]
    assert old.grad_input == [("input", None), ("weight", conv.weight.grad.tolist()),
                              ("bias", conv.bias.grad.tolist())]
    assert any("non-full backward hook" in w for w in old.warnings)
    assert any("no inputs require gradients" in w for w in full.warnings)
    assert full.loss == pytest.approx(abs(9 - target.flatten()[0].item()) / 2
                                      + abs(18 - target.flatten()[1].item()) / 2)


def test_torch_refuses_both_backward_hooks_on_one_module():
    """Why the page shows them one at a time."""
    conv = nn.Conv2d(1, 2, 3)
    conv.register_full_backward_hook(lambda *args: None)
    with pytest.raises(RuntimeError, match="Cannot use both"):
        conv.register_backward_hook(lambda *args: None)


@pytest.mark.parametrize("config", [
    LabConfig(),
    LabConfig(dataset="spiral", widths=(6, 5, 4), activation="relu", norm="BatchNorm1d",
              dropout=0.2, l2=0.01, batch=16),
])
def test_the_hooks_collect_the_labs_per_layer_numbers(config):
    """A twin of a lab run trains the same epoch with a LayerWatch on it: its last batch's
    statistics are the lab's own (recorded by its forward loop), bit for bit."""
    run = Trainer(config)
    twin = run.twin()
    run.train(epochs=1)
    with hooks.watching(twin.model, lambda m: isinstance(m, plug.Activation)) as watch:
        twin.train(epochs=1)
    lab = [{key: row[key] for key in ("layer", "act_std", "grad_std")} for row in run.layers]
    assert len(lab) == len(config.widths) + 1
    for mine, theirs in zip(watch.rows(), lab, strict=True):
        assert mine["layer"] == theirs["layer"]
        assert mine["grad_std"] == theirs["grad_std"]
        assert mine["act_std"] == theirs["act_std"] or \
            math.isnan(mine["act_std"]) and math.isnan(theirs["act_std"])
    assert not twin.model[0]._forward_hooks  # the hooks are off again


def test_a_watch_ignores_evaluation():
    run = Trainer(LabConfig())
    with hooks.watching(run.model, lambda m: isinstance(m, plug.Activation)) as watch:
        run.evaluate(run.x_test, run.y_test, run.labels_test)
    assert watch.rows() == [] and watch.activations == {}


def test_factors_are_bounded():
    notices = []
    from core.settings import validate_settings
    config = validate_settings(replace(hooks.HookConfig(), times=1e30), notices)
    assert config.times == hooks.FACTOR and notices
