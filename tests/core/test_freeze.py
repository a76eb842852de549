"""Freezing, against plain torch: what requires_grad = False, a parameter group with lr 0 and a
late freeze with zeroed (not None) gradients each keep, and BatchNorm's running statistics in
train() and eval(); a run started from another dataset's checkpoint."""

import pytest
import torch
from torch import nn

from core.inside import freeze
from core.lab import data
from core.lab.model import LabConfig
from core.lab.train import Trainer
from harness.scripts import printed_lines

CONFIG = freeze.FreezeConfig()


def plain_run(way: str, steps: int = CONFIG.steps):
    """The lesson's network as a student writes it (nn.Linear's own draws after manual_seed),
    trained by SGD(lr=0.1, momentum=0.9, weight_decay=0.01)."""
    torch.manual_seed(CONFIG.seed)
    points, labels = data.circle(64, 0.0, None)
    model = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 1))
    first = list(model[0].parameters()) + list(model[1].parameters())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    for step in range(steps):
        if way == "frozen_late" and step == freeze.BEFORE_FREEZING:
            start = {k: v.clone() for k, v in model.state_dict().items()}
            for param in first:
                param.requires_grad = False
        optimizer.zero_grad(set_to_none=way != "frozen_late")
        nn.BCEWithLogitsLoss()(model(points / data.RADIUS), labels[:, None]).backward()
        optimizer.step()
    return {k: (model.state_dict()[k] - start[k]).abs().max().item() for k in start}


def moved(table, way: str) -> dict[str, float]:
    rows = table[table["way"] == way]
    return dict(zip(rows["tensor"], rows["moved"], strict=True))


@pytest.mark.parametrize("way", ["trained", "frozen_late"])
def test_the_moves_are_plain_torchs(way):
    table = freeze.moves(CONFIG)
    plain = plain_run(way)
    assert moved(table, way) == {name: plain[name] for name in moved(table, way)}


def test_requires_grad_false_keeps_the_weights_but_not_the_running_statistics():
    table = freeze.moves(CONFIG)
    kept = moved(table, "requires_grad")
    assert all(kept[name] == 0 for name in freeze.FROZEN)
    assert kept["1.running_mean"] > 0
    rows = table[(table["way"] == "requires_grad") & table["tensor"].isin(freeze.FROZEN)]
    assert rows["grad_is_none"].all() and (rows["state"] == "").all()


def test_a_late_freeze_with_zeroed_gradients_still_moves_through_momentum_and_decay():
    table = freeze.moves(CONFIG)
    late = moved(table, "frozen_late")
    assert all(late[name] > 0 for name in freeze.FROZEN)
    rows = table[(table["way"] == "frozen_late") & table["tensor"].isin(freeze.FROZEN)]
    assert not rows["grad_is_none"].any()


def test_lr_zero_keeps_the_weights_yet_fills_the_momentum_buffer_except_for_rprop():
    table = freeze.moves(CONFIG)
    assert all(moved(table, "lr_zero")[name] == 0 for name in freeze.FROZEN)
    rows = table[(table["way"] == "lr_zero") & table["tensor"].isin(freeze.FROZEN)]
    assert (rows["state"] == "momentum_buffer").all()
    by_optimizer = freeze.lr_zero_by_optimizer(CONFIG).set_index("optimizer")["moved"]
    # Rprop's step sizes start at lr (0) and are clamped to step_size_min = 1e-6 at once
    assert by_optimizer["Rprop"] >= 1e-6
    assert (by_optimizer.drop("Rprop") == 0).all()


def test_batchnorm_moves_its_running_statistics_in_train_not_in_eval():
    table = freeze.batchnorm_modes(CONFIG).set_index("mode")
    assert table.loc["eval", "moved"] == 0 and table.loc["train", "moved"] > 0
    torch.manual_seed(CONFIG.seed)
    points, _ = data.circle(64, 0.0, None)
    linear = nn.Linear(2, 4)
    batch_mean = linear(points / data.RADIUS).mean(0)
    expected = 0.9 * torch.zeros(4) + 0.1 * batch_mean  # momentum 0.1, running mean from 0
    assert torch.allclose(torch.tensor(table.loc["train", "mean_after"]), expected,
                          rtol=0, atol=1e-7)  # torch fuses the update: the last bit may differ


def test_a_finetuned_run_starts_from_the_other_datasets_weights():
    config = LabConfig(dataset="circle")
    result = freeze.finetune(config, "gauss", 4)
    source = Trainer(LabConfig(dataset="gauss"))
    source.train(epochs=4)
    target = Trainer(config)
    target.model.load_state_dict(source.model.state_dict())
    loss, accuracy = target.evaluate(target.x_test, target.y_test, target.labels_test)
    tuned = result[result["run"] == "finetuned"].set_index("epoch")
    assert (tuned.loc[0, "test_loss"], tuned.loc[0, "test_acc"]) == (loss, accuracy)
    scratch = Trainer(config)
    scratch.train(epochs=4)
    assert list(result[result["run"] == "scratch"]["test_loss"]) == \
        [row["test_loss"] for row in scratch.history]


@pytest.mark.parametrize("config", [CONFIG, freeze.FreezeConfig(optimizer="Rprop", steps=7,
                                                                seed=4, weight_decay=0.0)])
def test_the_shown_script_prints_the_table(config):
    table = freeze.moves(config)
    assert printed_lines(freeze.to_script(config)) == [
        f"{way} {name} {moved!r}" for way, name, moved in
        zip(table["way"], table["tensor"], table["moved"], strict=True)]


def test_the_finetuning_script_prints_the_finetuned_run():
    config = LabConfig(dataset="xor")
    result = freeze.finetune(config, "moons", 3)
    lines = printed_lines(freeze.finetune_script(config, "moons", 3))
    tuned = lines[lines.index(freeze.FINETUNING) + 1:]
    page = result[result["run"] == "finetuned"]["test_loss"]
    assert [float(line.rsplit(" ", 1)[1]) for line in tuned] == list(page)
