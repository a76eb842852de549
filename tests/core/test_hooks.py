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
from core.lab import plug, watch
from core.lab.model import LabConfig, penalty, validate
from core.lab.train import Trainer, one_thread
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
    LabConfig(widths=(4, 3), frozen=(1,)),
])
def test_the_hooks_see_what_a_plain_training_loop_computes(config):
    """The lab's per-layer numbers (its last batch of an epoch, seen by core.lab.watch's hooks)
    equal what a training loop of one's own computes without hooks: each hidden layer's output
    std, module after module, and each weight's gradient std after backward (nan frozen)."""
    run = Trainer(validate(config)[0])
    plain = run.twin()
    run.train(epochs=1)
    model, n = plain.model, len(plain.x_train)
    model.train()
    with one_thread():  # as the lab trains: BatchNorm's backward sums otherwise on 2 threads
        order = torch.randperm(n, generator=plain.generator)
        for start in range(0, n, plain.config.batch):
            index = order[start:start + plain.config.batch]
            x, stds = plain.x_train[index], []
            for layer in model:
                x = layer(x)
                if isinstance(layer, plug.Activation):
                    stds.append(x.detach().std().item())
            loss = plain.loss_fn(x, plain.y_train[index])
            extra = penalty(plain.config, model)
            loss = loss if extra is None else loss + extra
            plain.optimizer.zero_grad()
            loss.backward()
            plain.optimizer.step()
    grads = [layer.weight.grad.std().item() if layer.weight.requires_grad else math.nan
             for layer in model if isinstance(layer, nn.Linear)]
    mine = [(row["layer"], row["act_std"], row["grad_std"]) for row in run.layers]
    theirs = [(i, stds[i - 1] if i <= len(stds) else math.nan, grad)
              for i, grad in enumerate(grads, start=1)]
    assert len(mine) == len(config.widths) + 1
    for (layer, act, grad), (number, act_plain, grad_plain) in zip(mine, theirs, strict=True):
        assert layer == number
        assert act == act_plain or math.isnan(act) and math.isnan(act_plain)
        assert grad == grad_plain or math.isnan(grad) and math.isnan(grad_plain)
    assert not model[0]._forward_hooks and not run.model[0]._forward_hooks  # off again


def test_a_watch_ignores_evaluation():
    run = Trainer(LabConfig())
    with watch.watching(run.model, lambda m: isinstance(m, plug.Activation)) as seen:
        run.evaluate(run.x_test, run.y_test, run.labels_test)
    assert seen.rows() == [] and seen.activations == {}


def test_factors_are_bounded():
    notices = []
    from core.settings import validate_settings
    config = validate_settings(replace(hooks.HookConfig(), times=1e30), notices)
    assert config.times == hooks.FACTOR and notices
