"""Every torch.nn loss is on the page or named with the reason it is not, and the one torch 2.13
added, LinearCrossEntropyLoss (a linear layer and cross-entropy in one), against torch: its
weight matrix typed as a table, every stage and both gradients."""

import inspect

import pytest
import torch
import torch.nn as nn

from core import losses
from core.errors import InputError

IDENTITY = "LinearCrossEntropyLoss, W = I (the course's logits)"
COURSE_INPUTS = torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 3.0]])
COURSE_TARGET = torch.tensor([0, 1, 1])


def torch_losses() -> set[str]:
    """torch.nn's losses: its _Loss modules, and the modules named for a loss they return."""
    return {name for name, value in vars(nn).items() if inspect.isclass(value) and (
        issubclass(value, nn.modules.loss._Loss) or name.endswith("WithLoss"))}


def test_every_torch_loss_is_offered_or_named_with_its_reason():
    """Fails the day torch.nn gains a loss the page lacks, and if an entry is dropped."""
    assert torch_losses() == set(losses.LOSSES) | set(losses.NOT_OFFERED)
    assert not set(losses.LOSSES) & set(losses.NOT_OFFERED)
    assert all(len(reason) > 20 for reason in losses.NOT_OFFERED.values())


def test_what_the_reason_for_adaptive_log_softmax_says():
    """AdaptiveLogSoftmaxWithLoss's loss is CrossEntropyLoss on its log_prob, as named."""
    torch.manual_seed(0)  # the layer draws its weights from the global generator, in this test
    layer = nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4, 7])
    x, y = torch.randn(5, 8), torch.tensor([0, 3, 5, 8, 9])
    torch.testing.assert_close(layer(x, y).loss, nn.CrossEntropyLoss()(layer.log_prob(x), y))
    assert issubclass(nn.NLLLoss2d, nn.NLLLoss) and nn.NLLLoss2d.forward is nn.NLLLoss.forward
    assert "deprecated" in nn.NLLLoss2d.__deprecated__


def checked(cfg: losses.LossConfig) -> losses.LossConfig:
    return losses.validate(cfg)[0]


def test_with_the_identity_as_its_weight_it_is_the_courses_cross_entropy():
    """x Wᵀ with W = I is x: the course's logits, its 0.5224."""
    result = losses.run(checked(losses.from_preset(IDENTITY)))
    expected = nn.CrossEntropyLoss(reduction="none")(COURSE_INPUTS, COURSE_TARGET)
    assert result.none == pytest.approx(expected.tolist())
    assert result.losses["mean"] == pytest.approx(0.5224, abs=1e-4)
    assert result.checks["agrees"].all()


def test_the_gradient_reaches_the_weight_table_as_torchs_own_parameter():
    """The Gradients tab's ∂loss/∂W is what torch leaves in the module's own linear.weight.grad
    (copied into the layer as a script would, not the page's way of calling it)."""
    cfg = checked(losses.from_preset("LinearCrossEntropyLoss, F = 3, C = 2"))
    result = losses.run(cfg)
    t = losses.parse(cfg)
    module = nn.LinearCrossEntropyLoss(3, 2)
    with torch.no_grad():
        module.linear.weight.copy_(t["linear_weight"])
    x = t["inputs"].clone().requires_grad_()
    module(x, t["target"]).backward()
    grads = result.gradients.set_index("table")
    torch.testing.assert_close(torch.tensor(grads.loc["linear_weight", "autograd"].to_numpy(),
                                            dtype=torch.float32),
                               module.linear.weight.grad.flatten())
    torch.testing.assert_close(torch.tensor(grads.loc["linear_weight", "closed_form"].to_numpy(),
                                            dtype=torch.float32),
                               module.linear.weight.grad.flatten())
    torch.testing.assert_close(torch.tensor(grads.loc["inputs", "autograd"].to_numpy(),
                                            dtype=torch.float32), x.grad.flatten())
    logits = t["inputs"] @ t["linear_weight"].T
    steps = result.steps
    torch.testing.assert_close(torch.tensor(steps[["z[0]", "z[1]"]].to_numpy(),
                                            dtype=torch.float32), logits)


def test_columns_c_sets_the_weight_tables_rows_and_keeps_what_was_typed():
    cfg = losses.from_preset(IDENTITY)
    wider = losses.fit_tables(cfg, dict(cfg.tables), 3)
    assert wider["linear_weight"] == (("1", "0"), ("0", "1"), ("0", "0"))  # a class of zeros
    assert wider["inputs"] == cfg.table("inputs")  # F stays
    assert losses.fit_tables(cfg, wider, 2)["linear_weight"] == (("1", "0"), ("0", "1"))


@pytest.mark.parametrize(("table", "rows", "message"), [
    ("linear_weight", (("1", "0", "5"), ("0", "1", "5")),
     "linear_weight: has 3 columns where 2 are needed."),
    ("target", (("0",), ("2",), ("1",)), "target, row 1, column 0: class index 2 is outside 0"),
    ("linear_weight", (("1", "x"), ("0", "1")), "linear_weight, row 0, column 1: “x” is not"),
])
def test_a_bad_table_is_named(table, rows, message):
    cfg = losses.from_preset(IDENTITY)
    bad = losses.config(cfg.loss, {**dict(cfg.tables), table: rows})
    with pytest.raises(InputError) as caught:
        losses.validate(bad)
    assert str(caught.value).startswith(message)
