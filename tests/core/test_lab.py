"""The training lab's core against plain PyTorch.

The shown script is the reference: a plain nn.Sequential built after torch.manual_seed(seed),
trained with the same steps. Its printed losses must equal the lab's bit for bit. That holds on
every CPU (unlike a hard-coded float32 result): both sides run the same float32 operations in
the same order on the same machine, in one process, one thread."""

from __future__ import annotations

import dataclasses
import re

import pytest
import torch
from torch import nn

from core.errors import InputError
from core.lab import challenges, data, model, pictures, plug, script, train
from core.settings import settings_of
from harness.scripts import printed_lines

EPOCHS = 4


pytestmark = pytest.mark.usefixtures("one_thread")


def run(config: model.LabConfig, epochs: int = EPOCHS) -> train.Trainer:
    trainer = train.Trainer(model.validate(config)[0])
    trainer.train(epochs=epochs)
    return trainer


def script_losses(trainer: train.Trainer, epochs: int, every: int = 1) -> list[tuple]:
    """(epoch, train loss, test loss) as the shown script prints them (repr: every digit)."""
    lines = printed_lines(script.to_script(trainer.config, epochs, every))
    rows = []
    for line in (line for line in lines if line.startswith("epoch ")):
        head, rest = line.split(": train loss ")
        train_loss, test_loss = rest.split(", test loss ")
        rows.append((int(head.split()[1]), train_loss, test_loss))
    return rows


def lab_losses(trainer: train.Trainer) -> list[tuple]:
    return [(row["epoch"], repr(row["train_loss"]), repr(row["test_loss"]))
            for row in trainer.history]


def small(config: model.LabConfig) -> model.LabConfig:
    return dataclasses.replace(config, points=120)


@pytest.mark.parametrize("dataset", [name for name, entry in data.DATASETS.items()
                                     if entry.draw is not None])
def test_each_preset_trains_as_plain_pytorch(dataset):
    trainer = run(model.preset(dataset))
    assert script_losses(trainer, EPOCHS) == lab_losses(trainer)
    assert trainer.history[-1]["train_loss"] < trainer.history[0]["train_loss"]


def test_every_option_at_once_trains_as_plain_pytorch():
    config = dataclasses.replace(
        model.preset("moons"), noise=0.2, norm="BatchNorm1d", dropout=0.2, l1=0.001, l2=0.01,
        init="kaiming_normal", optimizer="SGD", momentum=0.9, schedule="StepLR", batch=7,
        features=("x1", "x2", "x1x2", "sinx2"), widths=(5, 3, 6))
    trainer = run(config)
    assert script_losses(trainer, EPOCHS) == lab_losses(trainer)


CHOICES = [("activation", name) for name in plug.ACTIVATIONS] + \
          [("init", name) for name in plug.INITS] + \
          [("optimizer", name) for name in plug.OPTIMIZERS] + \
          [("schedule", name) for name in plug.SCHEDULES] + \
          [("norm", name) for name in model.NORMS]


@pytest.mark.parametrize(("field", "choice"), CHOICES, ids=[f"{f}={c}" for f, c in CHOICES])
def test_every_registry_choice_trains_as_plain_pytorch(field, choice):
    trainer = run(small(dataclasses.replace(model.LabConfig(), **{field: choice})), 2)
    assert script_losses(trainer, 2) == lab_losses(trainer)


LOSS_TASKS = [(loss, task) for loss, entry in plug.LOSSES.items() for task in entry.tasks]


def test_the_loss_registry_gives_the_lab_its_losses():
    assert {"CrossEntropyLoss", "BCEWithLogitsLoss", "MSELoss"} <= set(
        plug.losses_for("classification"))  # squared error on the labels, as the Playground
    assert "MSELoss" in plug.losses_for("regression")
    assert plug.losses_for("classification")[0] in ("CrossEntropyLoss", "BCEWithLogitsLoss")


@pytest.mark.parametrize(("loss", "task"), LOSS_TASKS,
                         ids=[f"{name}-{task}" for name, task in LOSS_TASKS])
def test_every_loss_trains_as_plain_pytorch(loss, task):
    dataset = next(name for name, entry in data.DATASETS.items()
                   if entry.task == task and entry.draw is not None)
    trainer = run(small(dataclasses.replace(model.preset(dataset), loss=loss)), 2)
    assert trainer.config.loss == loss
    assert script_losses(trainer, 2) == lab_losses(trainer)


def test_chunks_do_not_change_the_run_and_the_global_generator_is_untouched():
    state = torch.get_rng_state()
    config = small(dataclasses.replace(model.LabConfig(), dropout=0.3))
    whole = run(config, 5)
    chunked = train.Trainer(model.validate(config)[0])
    chunked.train(epochs=2)
    chunked.train(epochs=3)
    assert lab_losses(whole) == lab_losses(chunked)
    assert whole.layer_stats().equals(chunked.layer_stats())  # nan where no activation
    assert torch.equal(torch.get_rng_state(), state)


def test_dropout_draws_the_masks_nn_dropout_draws():
    x = torch.randn(50, 8)
    torch.manual_seed(5)
    expected = nn.Dropout(0.3).train()(x)
    mine = model.Dropout(0.3, torch.Generator().manual_seed(5)).train()(x)
    assert torch.equal(mine, expected)


def test_layer_stds_are_the_last_batchs():
    trainer = run(small(model.LabConfig(widths=(4, 3))), 1)
    rows = [row for row in trainer.layers if row["epoch"] == 1]
    assert [row["layer"] for row in rows] == [1, 2, 3]  # two hidden layers and the output
    assert all(row["grad_std"] > 0 for row in rows)
    assert rows[-1]["act_std"] != rows[-1]["act_std"]  # the output layer has no activation


def test_spiral_preset_reaches_its_challenge():
    trainer = train.Trainer(model.validate(model.preset("spiral"))[0])
    while trainer.epoch < 500 and not challenges.CHALLENGES["spiral"].passed(
            trainer.config, trainer.history):
        trainer.run_epoch()
    assert trainer.history[-1]["test_acc"] >= 0.95
    assert trainer.epoch <= 500


def test_the_deep_sigmoid_network_learns_with_batchnorm():
    start = dataclasses.replace(model.LabConfig(), **dict(
        challenges.CHALLENGES["deep_sigmoid"].start))
    check = challenges.CHALLENGES["deep_sigmoid"].passed
    stuck = run(start, 60)
    fixed = run(dataclasses.replace(start, norm="BatchNorm1d"), 60)
    assert not check(stuck.config, stuck.history)
    assert stuck.history[-1]["test_acc"] < 0.7  # the gradients vanish: it does not learn
    first_layer = [row["grad_std"] for row in stuck.layers if row["layer"] == 1]
    assert first_layer[-1] < 1e-6
    assert check(fixed.config, fixed.history)


def run_until(config: model.LabConfig, passed, limit: int) -> train.Trainer:
    trainer = train.Trainer(model.validate(config)[0])
    while trainer.epoch < limit and not passed(trainer.config, trainer.history):
        trainer.run_epoch()
    return trainer


def test_the_deep_sigmoid_challenge_passes_both_ways_its_task_names():
    """The card's run learns when fixed by initialisation (nn.init.normal_ with the task's std) or
    by BatchNorm, within the 300 epochs it allows; torch's own gains for sigmoid (Xavier, Kaiming:
    gain 1) do not fix it, and a fix the task does not name (another optimiser) does not count."""
    start = dataclasses.replace(model.LabConfig(), **dict(challenges.DEEP_SIGMOID))
    check = challenges.CHALLENGES["deep_sigmoid"].passed
    assert model.validate(start)[0] == start  # the card's settings are a Config as they stand
    for fix in ({"norm": "BatchNorm1d"},
                {"init": "normal", "init_std": challenges.DEEP_SIGMOID_INIT_STD}):
        fixed = run_until(dataclasses.replace(start, **fix), check, 300)
        assert check(fixed.config, fixed.history), fix
        assert fixed.history[-1]["test_acc"] >= 0.9 and fixed.epoch <= 300, fix
    for init in ("xavier_normal", "kaiming_normal"):
        stuck = run(dataclasses.replace(start, init=init), 60)
        assert max(row["test_acc"] for row in stuck.history) < 0.7, init
    adam = run_until(dataclasses.replace(start, init="xavier_normal", optimizer="Adam", lr=0.01),
                     lambda config, history: history[-1]["test_acc"] >= 0.9, 60)
    assert adam.history[-1]["test_acc"] >= 0.9  # it learns, but not by the task's fixes
    assert not check(adam.config, adam.history)


def test_the_deep_sigmoid_cards_words_are_what_its_runs_show():
    """The card's hint: torch's sigmoid gain gives Xavier and Kaiming the std it names, and with
    them the first layer's weight gradient stays about a millionth of the last layer's (read
    from the run's own per-layer rows); nn.init.normal_ with std 3 lets it through. The card's
    live line (gradient_reach) says the same ratio."""
    gain_std = nn.init.calculate_gain("sigmoid") * (2 / (8 + 8)) ** 0.5
    assert pytest.approx(gain_std, rel=1e-12) == challenges.DEEP_SIGMOID_GAIN_STD
    assert f"{gain_std:.2f}" == "0.35"
    start = dataclasses.replace(model.LabConfig(), **dict(challenges.DEEP_SIGMOID))
    card = challenges.CHALLENGES["deep_sigmoid"]

    def first_over_last(trainer: train.Trainer) -> float:
        grads = {row["layer"]: row["grad_std"] for row in trainer.layers if row["epoch"] == 1}
        return grads[1] / grads[len(start.widths) + 1]

    for init in ("xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform"):
        stuck = run(dataclasses.replace(start, init=init), 1)
        assert card.doing(stuck.config)
        assert 1e-7 < first_over_last(stuck) < 1e-5, init  # "about a millionth"
        assert card.said([stuck]) == {"epoch": 1, "ratio": first_over_last(stuck)}
    fixed = run(dataclasses.replace(start, init="normal",
                                    init_std=challenges.DEEP_SIGMOID_INIT_STD), 1)
    assert first_over_last(fixed) > 0.1
    assert not card.doing(dataclasses.replace(start, optimizer="Adam"))


def test_batchnorm_at_batch_size_2_stays_at_chance_where_groupnorm_learns():
    """The small-batch card: its words (two values a batch come out of BatchNorm1d as about -1
    and +1, whatever they were; GroupNorm normalises each point alone), its run at batch size 2
    stuck near chance, GroupNorm passing within the card's epochs, and the card's line naming each
    run's normalisation and test accuracy, A first."""
    # (values closer than about 0.01 come out smaller: BatchNorm adds eps = 1e-5 to the variance)
    pair = torch.tensor([[0.3, -7.0, 100.0], [0.4, 5.0, 1e-3]])
    assert torch.allclose(nn.BatchNorm1d(3).train()(pair).abs(), torch.ones(2, 3), atol=0.02)
    assert torch.equal(nn.GroupNorm(1, 3)(pair[:1]), nn.GroupNorm(1, 3)(pair)[:1])
    card = challenges.CHALLENGES["small_batch"]
    start = dataclasses.replace(model.LabConfig(), **dict(card.start))
    assert (start.norm, start.batch) == ("BatchNorm1d", 2)
    stuck = run(start, challenges.SMALL_BATCH_EPOCHS)
    assert max(row["test_acc"] for row in stuck.history) < 0.75
    assert not card.passed(stuck.config, stuck.history)
    fixed = run_until(dataclasses.replace(start, norm="GroupNorm", groups=2), card.passed,
                      challenges.SMALL_BATCH_EPOCHS)
    assert card.passed(fixed.config, fixed.history)
    stuck_now = stuck.history[fixed.epoch]["test_acc"]
    stuck.history = stuck.history[:fixed.epoch + 1]  # A as it stood at B's epoch
    said = card.said([stuck, fixed])
    assert said == {"epoch": fixed.epoch, "runs": f"BatchNorm1d {stuck_now:.0%}; GroupNorm "
                    f"{fixed.history[-1]['test_acc']:.0%}"}
    assert card.said([run(dataclasses.replace(start, batch=10), 1)]) is None  # not its task


def test_groupnorm_uses_groups_that_divide_each_layer():
    """GroupNorm with 4 groups on layers of 8 and 6 neurons: 4 groups of 2, then gcd(4, 6) = 2
    groups of 3 (torch refuses groups that do not divide the channels), as the script builds."""
    config = model.validate(small(model.LabConfig(norm="GroupNorm", groups=4, widths=(8, 6))))[0]
    trainer = run(config, 2)
    norms = [m for m in trainer.model if isinstance(m, nn.GroupNorm)]
    assert [(m.num_groups, m.num_channels) for m in norms] == [(4, 8), (2, 6)]
    with pytest.raises(ValueError):
        nn.GroupNorm(4, 6)
    assert "nn.GroupNorm(2, 6)" in script.to_script(config, 2)
    assert script_losses(trainer, 2) == lab_losses(trainer)


FREEZING = [("SGD", {"momentum": 0.9}), ("Adam", {"lr": 0.01})]


@pytest.mark.parametrize(("optimizer", "options"), FREEZING, ids=[o for o, _ in FREEZING])
def test_frozen_layers_and_their_own_rates_train_as_the_script(optimizer, options):
    """Layer 1 frozen (requires_grad = False), layer 2 in a parameter group at lr 0, BatchNorm
    after each: the script (requires_grad_, two parameter groups) prints the lab's losses and the
    lab's table of what each layer changed, bit for bit. Frozen and lr-0 weights stay exactly
    where they started; BatchNorm's running_mean still moves in both."""
    config = model.validate(small(model.LabConfig(
        norm="BatchNorm1d", frozen=(1,), own_lr_layers=(2,), own_lr=0.0, optimizer=optimizer,
        widths=(8, 8, 4), **options)))[0]
    trainer = run(config, 3)
    assert script_losses(trainer, 3) == lab_losses(trainer)
    table = trainer.layer_changes()
    printed = [line for line in printed_lines(script.to_script(config, 3))
               if line.startswith("layer ")]
    for line, row in zip(printed, table.itertuples(), strict=True):
        said = f"layer {row.layer}: weights moved {row.weight_change!r}"
        if row.layer <= 3:
            said += f", running_mean moved {row.running_mean_change!r}"
        assert line == said
    assert list(table["weight_change"][:2]) == [0.0, 0.0]  # frozen, and lr 0
    assert table["weight_change"][2] > 0 and table["running_mean_change"][:2].min() > 0
    assert list(table["frozen"]) == [True, False, False, False]
    assert list(table["lr"]) == [config.lr, 0.0, config.lr, config.lr]
    assert all(p.grad is None for p in trainer.model[0].parameters())


def test_one_more_pass_moves_running_mean_in_train_and_not_in_eval():
    """The table's last two columns against BatchNorm's own rule: a forward pass in train() sets
    running_mean to 0.9 · running_mean + 0.1 · the batch's mean (momentum 0.1); eval() uses it and
    leaves it. Layer 1's input is the training points themselves, so its batch mean is computed
    here from the frozen Linear alone; the run itself is not moved."""
    trainer = run(small(model.LabConfig(norm="BatchNorm1d", frozen=(1,))), 2)
    before = trainer.model[1].running_mean.clone()
    table = trainer.layer_changes()
    with torch.no_grad():
        batch_mean = trainer.model[0](trainer.x_train).mean(0)
    expected = (0.1 * (batch_mean - before)).abs().max().item()
    assert table["train_forward_moves"][0] == pytest.approx(expected, rel=1e-5)
    assert list(table["eval_forward_moves"][:2]) == [0.0, 0.0]
    assert torch.equal(trainer.model[1].running_mean, before)


def test_layers_the_network_lacks_are_left_out_with_a_notice():
    config, notices = model.validate(model.LabConfig(frozen=(1, 3, 7), own_lr_layers=(4,)))
    assert (config.frozen, config.own_lr_layers) == ((1, 3), ())
    assert [(n.key, n.params["layer"]) for n in notices] == [
        ("notice.lab.no_such_layer", 7), ("notice.lab.no_such_layer", 4)]


def test_plane_shows_what_the_network_computes():
    trainer = run(small(model.LabConfig(widths=(3, 2), norm="BatchNorm1d")), 2)
    prediction, neurons = trainer.plane()
    assert [len(column) for column in neurons] == [2, 3, 2]
    axis = torch.linspace(-train.EXTENT, train.EXTENT, train.GRID)
    y, x = torch.meshgrid(axis.flip(0), axis, indexing="ij")
    points = torch.stack([x.flatten(), y.flatten()], 1)
    trainer.model.eval()
    with torch.no_grad():
        first = trainer.model[:3](points)  # Linear, BatchNorm1d, activation
        out = trainer.model(points)
    assert torch.equal(neurons[1][2], first[:, 2].reshape(train.GRID, train.GRID))
    assert torch.equal(prediction, torch.sigmoid(out[:, 0]).reshape(train.GRID, train.GRID))
    svg = pictures.surface(trainer, prediction)
    # every point drawn once (a circle of radius 3 in a path), where it lies: train points with a
    # dark edge, test points with a white one, in their label's colour
    assert svg.count("a3,3 0 1,0 6,0") == len(trainer.data.labels)
    drawn = {}
    for d, fill, edge in re.findall(r'<path d="([^"]*)" fill="([^"]*)" stroke="([^"]*)"', svg):
        for centre in re.findall(r"M([-\d.]+,[-\d.]+)m-3,0a3", d):
            drawn[centre] = (fill, edge)
    size = pictures.SURFACE_PIXELS
    for i in range(len(trainer.data.labels)):
        x, y = ((trainer.data.points[i] + train.EXTENT) / (2 * train.EXTENT) * size).tolist()
        fill, edge = drawn[f"{x:.1f},{size - y:.1f}"]
        assert fill == ("rgb(8,119,189)" if trainer.data.labels[i] == 1 else "rgb(245,147,34)")
        assert edge == ("#333" if i in trainer.data.train.tolist() else "#fff")
    network = pictures.network_svg(trainer, neurons, prediction)
    # every neuron, and the output (the prediction), joined by the weights into each
    assert network.count("<use ") == 7 + 1
    assert network.count("<line") == 2 * 3 + 3 * 2 + 2 * 1
    # headings an image can draw in any language without the page's font
    assert re.findall(r"<text [^>]*>([^<]*)</text>", network) == ["x", "h1", "h2", "ŷ"]


def test_the_output_neuron_is_the_prediction_and_its_weights_the_log_odds():
    """With two outputs (softmax over two classes) the line from a hidden neuron into ŷ is the
    difference of its two weights: the prediction's log-odds are that weighted sum."""
    trainer = run(small(model.LabConfig(widths=(3,), loss="CrossEntropyLoss")), 1)
    prediction, neurons = trainer.plane()
    weight = trainer.model[-1].weight.detach()
    log_odds = weight[1] - weight[0]
    network = pictures.network_svg(trainer, neurons, prediction)
    widths = [float(w) for w in re.findall(r'<line [^>]*stroke-width="([0-9.]+)"', network)[-3:]]
    assert widths == [round(0.3 + 3 * abs(v) / float(log_odds.abs().max()), 2)
                      for v in log_odds.tolist()]
    colours = re.findall(r'<line [^>]*stroke="(#[0-9a-f]+)"', network)[-3:]
    assert colours == ["#0877bd" if v >= 0 else "#f59322" for v in log_odds.tolist()]
    with torch.no_grad():
        trainer.model.eval()
        hidden = trainer.model[:-1](data.features(torch.zeros(1, 2), trainer.config.features))
        out = trainer.model[-1](hidden)[0]
        bias = trainer.model[-1].bias
        by_log_odds = torch.sigmoid((hidden[0] * log_odds).sum() + bias[1] - bias[0])
    # the same log-odds the softmax turns into class 1's probability (float32 rounding apart)
    assert float(torch.softmax(out, 0)[1]) == pytest.approx(float(by_log_odds), abs=1e-6)


def test_a_network_without_hidden_layers_is_drawn_at_the_default_networks_scale():
    trainer = run(small(model.LabConfig(widths=())), 1)
    prediction, neurons = trainer.plane()
    network = pictures.network_svg(trainer, neurons, prediction)
    default = pictures.network_svg(*_with_plane(run(small(model.LabConfig()), 1)))
    width = re.search(r'width="([0-9]+)"', network).group(1)
    assert width == re.search(r'width="([0-9]+)"', default).group(1)  # not blown up
    assert network.count("<use ") == 2 + 1 and network.count("<line") == 2
    assert re.findall(r"<text [^>]*>([^<]*)</text>", network) == ["x", "ŷ"]


def _with_plane(trainer: train.Trainer) -> tuple:
    prediction, neurons = trainer.plane()
    return trainer, neurons, prediction


def test_csv_bad_rows_are_named_and_skipped_only_with_consent():
    text = "x1,x2,label\n1,2,1\n3,abc,0\n\n4,5\n-1,-2,0\n2,2,inf\n0,1,1\n1,0,0\n"
    parsed = data.parse_csv(text)
    assert [(p.key, p.params.get("row"), p.params.get("column")) for p in parsed.problems] == [
        ("error.lab.csv_number", 3, "x2"), ("error.lab.csv_cells", 5, None),
        ("error.lab.csv_finite", 7, "label")]
    assert parsed.points.tolist() == [[1, 2], [-1, -2], [0, 1], [1, 0]]
    assert parsed.task == "classification"
    config = model.LabConfig(dataset="csv", csv=text)
    with pytest.raises(train.CsvProblems) as refused:
        train.Trainer(config)
    assert len(refused.value.problems) == 3
    trainer = train.Trainer(dataclasses.replace(config, skip_bad_rows=True))
    assert len(trainer.notices) == 3 and len(trainer.data.labels) == 4
    trainer.train(epochs=2)
    assert script_losses(trainer, 2) == lab_losses(trainer)


def test_csv_with_values_is_regression_and_too_few_rows_is_an_error():
    assert data.parse_csv("0,0,0.5\n1,1,2\n").task == "regression"
    with pytest.raises(InputError, match="at least 4"):
        train.Trainer(model.LabConfig(dataset="csv", csv="0,0,1\n1,1,0\n"))


def test_validation_clamps_with_notices_and_names_unknown_choices():
    config, notices = model.validate(model.LabConfig(lr=1e9, widths=(64,) * 12, points=5))
    kinds = settings_of(model.LabConfig)
    assert config.lr == kinds["lr"].high == 100 and config.points == kinds["points"].low == 20
    assert config.widths == (32,) * 10
    assert {n.params["field"] for n in notices} >= {"lr", "points", "width", "hidden_layers"}
    with pytest.raises(InputError, match="activation"):
        model.validate(model.LabConfig(activation="nope"))
    config, notices = model.validate(model.LabConfig(dataset="plane"))
    assert plug.fits(config.loss, "regression") and notices


def test_a_new_dataset_is_one_entry(monkeypatch):
    def stripes(n, noise, g):
        points = torch.rand(n, 2, generator=g) * 12 - 6
        return points, (torch.sin(points[:, 0]) > 0).float()

    monkeypatch.setitem(data.DATASETS, "stripes", data.Dataset("classification", stripes))
    trainer = run(small(model.preset("stripes")), 2)
    assert script_losses(trainer, 2) == lab_losses(trainer)


EDITED_SCHEDULES = [("StepLR", (("step_size", 1), ("gamma", 0.5))),
                    ("ReduceLROnPlateau", (("patience", 0), ("cooldown", 0), ("factor", 0.5),
                                           ("threshold", 0.5))),
                    ("MultiStepLR", (("milestones", "1, 2"),))]


@pytest.mark.parametrize(("schedule", "settings"), EDITED_SCHEDULES,
                         ids=[name for name, _ in EDITED_SCHEDULES])
def test_a_schedule_with_its_settings_edited_trains_as_plain_pytorch(schedule, settings):
    config = small(dataclasses.replace(model.LabConfig(), schedule=schedule,
                                       schedule_settings=settings))
    trainer = run(config, 3)
    rates = [row["lr"] for row in trainer.history]
    assert rates[-1] < rates[0]  # the edited settings act within three epochs
    assert script_losses(trainer, 3) == lab_losses(trainer)


def test_schedule_settings_are_checked_as_the_schedules_lesson_checks_them():
    config, notices = model.validate(dataclasses.replace(
        model.LabConfig(), schedule="StepLR", schedule_settings=(("step_size", 0),
                                                                 ("gamma", 0.1))))
    assert config.schedule_settings == (("step_size", 1),)  # clamped; gamma is the preset
    assert [notice.params["field"] for notice in notices] == ["step_size"]
    with pytest.raises(InputError) as error:
        model.validate(dataclasses.replace(model.LabConfig(), schedule="StepLR",
                                           schedule_settings=(("T_max", 5),)))
    assert "StepLR" in str(error.value.params)


def test_two_reruns_training_one_run_at_once_take_turns():
    """Streamlit can run two of a session's reruns at once (a double click, a click while the
    playing fragment trains): each trains its epochs in turn, as if one after the other, and
    autograd never sees the model change under it."""
    import threading

    config = model.validate(model.LabConfig(points=2000, batch=4))[0]
    shared, alone = train.Trainer(config), train.Trainer(config)
    failures = []

    def three_epochs():
        try:
            shared.train(epochs=3)
        except RuntimeError as error:  # what two unguarded threads raised
            failures.append(error)

    threads = [threading.Thread(target=three_epochs) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    alone.train(epochs=6)
    assert failures == [] and shared.epoch == 6
    assert shared.history == alone.history
    shared.catch_up(6)  # a step clicked twice: the second finds its epoch reached
    assert shared.epoch == 6
    assert shared.twin().history == shared.history


def test_a_label_neither_0_nor_1_among_01_labels_is_named():
    """One typo (a 2) among 0/1 labels makes the set a regression set: the lab says which row."""
    text = "x1,x2,label\n" + "".join(f"{i},{-i},{i % 2}\n" for i in range(8)) + "1,1,2\n"
    config = model.LabConfig(dataset="csv", csv=text)
    trainer = train.Trainer(config)
    assert trainer.data.task == "regression"
    assert [(n.key, n.params) for n in trainer.notices] == [
        ("notice.lab.csv_regression", {"row": 10, "value": "2"}),
        ("notice.lab.loss_task", {"loss": "BCEWithLogitsLoss", "used": "L1Loss"})]
    assert data.parse_csv("1,2,0.5\n3,4,7\n5,6,1\n").task_note is None  # plainly regression


def test_batches_of_one_point_train_without_batchnorm_and_are_refused_with_it():
    config = model.validate(model.LabConfig(batch=1, points=40))[0]
    trainer = train.Trainer(config)
    trainer.train(epochs=2)
    assert trainer.history[-1]["train_loss"] != trainer.history[0]["train_loss"]
    with_batchnorm, notices = model.validate(model.LabConfig(batch=1, norm="BatchNorm1d"))
    assert with_batchnorm.batch == 2 and [n.params["field"] for n in notices] == ["batch"]


def test_a_run_trains_on_one_thread_whatever_thread_calls_it():
    """A button's callback and the playing fragment train in a script thread where app.py has
    not set one thread (torch's count is per thread): the run is the same as on one thread
    (spiral with BatchNorm: on two threads its first epoch's loss differed in the 5th digit), and
    the caller's thread count is left as it was."""
    import threading

    config = model.validate(dataclasses.replace(model.preset("spiral"), norm="BatchNorm1d"))[0]
    single = run(config, 1)
    seen = {}

    def on_two_threads():
        torch.set_num_threads(2)
        trainer = train.Trainer(config)
        trainer.train(epochs=1)
        seen["history"], seen["plane"] = trainer.history, trainer.plane()[0]
        seen["threads"] = torch.get_num_threads()

    caller = threading.Thread(target=on_two_threads)
    caller.start()
    caller.join()
    assert seen["history"] == single.history
    assert torch.equal(seen["plane"], single.plane()[0])
    assert seen["threads"] == 2


@pytest.mark.parametrize("epochs", [1, 80, 81, 159, 160, 161, 601])
def test_curves_are_thinned_to_at_most_the_points_asked_and_the_last(epochs):
    trainer = run(small(model.LabConfig(widths=(2,))), epochs)
    thinned = trainer.curves(80)["epoch"].tolist()
    assert thinned[0] == 0 and thinned[-1] == epochs
    assert len(thinned) <= 80 + 2  # every k-th epoch (at most 81 of them) and the last
    assert len(thinned) == epochs + 1 if epochs <= 80 else len(thinned) > 40
    every = thinned[1] - thinned[0] if len(thinned) > 1 else 1
    assert all(e % every == 0 for e in thinned[:-1])
