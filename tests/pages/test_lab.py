"""The training lab through AppTest: play, one epoch and reset by their buttons; a challenge
card sets its settings; a bad CSV gets a message per bad row and loses nothing typed; pinned and
changed, both runs are shown, each equal to the lab's run of its Config alone."""

import dataclasses

import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.lab import challenges, model
from tests.pages.conftest import APP

PAGE = "lessons/lab.py"


def epoch(at) -> int:
    return int(at.metric[0].value)


def play(at, playing: bool) -> None:
    """Press Play (or Pause) until the run plays (or stands still)."""
    def now() -> bool:
        return "lab_play" in at.session_state and bool(at.session_state["lab_play"])

    if now() != playing:
        at.button(key="lab_play_button").click().run()
    assert now() == playing


def test_step_play_pause_reset(open_page):
    at = open_page(PAGE)
    assert epoch(at) == 0
    assert len(at.get("vega_lite_chart")) >= 1
    at.button(key="lab_step").click().run()
    assert epoch(at) == 1
    at.button(key="lab_step").click().run()
    assert epoch(at) == 2
    play(at, True)  # AppTest runs the fragment with the page
    assert epoch(at) > 2
    playing_at = epoch(at)
    play(at, False)  # pause
    assert epoch(at) == playing_at
    at.run()
    assert epoch(at) == playing_at
    play(at, True)
    at.button(key="lab_step").click().run()  # one epoch pauses a playing run
    assert not at.session_state["lab_play"]
    at.button(key="lab_reset").click().run()
    assert epoch(at) == 0
    assert not at.exception


def test_a_new_setting_starts_a_new_run_from_epoch_0(open_page):
    at = open_page(PAGE)
    at.button(key="lab_step").click().run()
    at.selectbox(key="lab_norm").set_value("BatchNorm1d").run()
    assert epoch(at) == 0 and not at.exception


def test_challenge_card_sets_its_settings(open_page):
    at = open_page(PAGE)
    at.button(key="lab_start_deep_sigmoid").click().run()
    assert at.session_state["lab_hidden_layers"] == 10
    assert at.session_state["lab_activation"] == "sigmoid"
    trainer = at.session_state["lab_trainer"]
    assert len(trainer.config.widths) == 10 and trainer.config.activation == "sigmoid"
    start = dict(challenges.CHALLENGES["deep_sigmoid"].start)
    assert trainer.config.dataset == start["dataset"]
    # every setting the card starts from, the learning rate its fixes were measured at too
    assert dataclasses.replace(trainer.config, seed=model.LabConfig().seed) == \
        dataclasses.replace(model.LabConfig(), **start)
    assert trainer.config.lr == 0.1
    at.button(key="lab_step").click().run()  # the card says what this run's gradients do
    grads = {row["layer"]: row["grad_std"] for row in trainer.layers if row["epoch"] == 1}
    said = f"This run, epoch 1: the first layer's weight gradient is {grads[1] / grads[11]:.1e}"
    assert any(said in caption.value for caption in at.caption)
    assert not at.exception


@pytest.mark.parametrize("card", list(challenges.CHALLENGES))
def test_every_challenge_card_starts_from_every_one_of_its_settings(open_page, card):
    """Whatever was set before (sigmoid, BatchNorm, noise 0.3), a card's button starts its task
    from the same network: every setting but the seed (the spiral and learning-rate cards used
    to leave those three)."""
    at = open_page(PAGE)
    at.selectbox(key="lab_activation").set_value("sigmoid").run()
    at.selectbox(key="lab_norm").set_value("BatchNorm1d").run()
    at.slider(key="lab_noise").set_value(0.3).run()
    at.button(key=f"lab_start_{card}").click().run()
    config = at.session_state["lab_trainer"].config
    start = dict(challenges.CHALLENGES[card].start)
    assert dataclasses.replace(config, seed=model.LabConfig().seed) == \
        dataclasses.replace(model.LabConfig(), **start)
    assert not at.exception


def test_bad_csv_rows_are_named_and_nothing_typed_is_lost(open_page):
    at = open_page(PAGE)
    at.selectbox(key="lab_dataset").set_value("csv").run()
    typed = "x1,x2,label\n1,2,1\n3,abc,0\n4,5\n-1,-2,0\n0,1,1\n1,0,0\n2,2,1\n"
    at.text_area(key="lab_csv").input(typed).run()
    errors = " ".join(error.value for error in at.error)
    assert "row 3, column x2" in errors and "“abc” is not a number" in errors
    assert "row 4: 2 cells" in errors
    assert at.text_area(key="lab_csv").value == typed
    assert not at.metric  # no run until the user agrees to skip them
    at.toggle(key="lab_skip_bad_rows").set_value(True).run()
    assert at.text_area(key="lab_csv").value == typed
    warnings = " ".join(warning.value for warning in at.warning)
    assert "row 3, column x2" in warnings
    assert epoch(at) == 0 and len(at.session_state["lab_trainer"].data.labels) == 5
    at.button(key="lab_step").click().run()
    assert epoch(at) == 1 and not at.exception


def test_chinese(open_page):
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "训练实验室：真实网络当场学习"
    assert at.button(key="lab_step").label == "一个 epoch" and not at.exception


def test_every_dataset_trains_on_the_page(open_page):
    from core.lab.data import DATASETS

    at = open_page(PAGE)
    for name, entry in DATASETS.items():
        if entry.draw is None:
            continue
        at.selectbox(key="lab_dataset").set_value(name).run()
        at.button(key="lab_preset").click().run()
        at.button(key="lab_step").click().run()
        assert epoch(at) == 1, name
        assert at.session_state["lab_trainer"].config.dataset == name
        assert not at.exception, name


# ---- Pin and compare ---------------------------------------------------------------------------

def alone(config, epochs: int):
    """What the lab computes for config alone: its own run, trained epochs epochs, on one thread
    as app.py runs it (conftest's one_torch_thread)."""
    from core.lab.train import Trainer

    run = Trainer(config)
    run.catch_up(epochs)
    return run


def loss_metrics(at) -> tuple[str, str]:
    return at.metric[1].value, at.metric[1].delta


def test_own_seed_control_starts_a_new_run(open_page):
    at = open_page(PAGE)
    assert at.number_input(key="lab_seed").value == model.LabConfig().seed
    at.number_input(key="lab_seed").set_value(7).run()
    assert at.session_state["lab_trainer"].config.seed == 7 and not at.exception


def test_pin_then_change_trains_both_each_as_alone(open_page):
    at = open_page(PAGE)
    at.button(key="lab_step").click().run()
    at.button(key="lab_step").click().run()
    at.button(key="lab_pin_button").click().run()  # A keeps its run so far: epoch 2
    at.selectbox(key="lab_norm").set_value("BatchNorm1d").run()  # B: a new run, from epoch 0
    a, b = at.session_state["lab_trainer_a"], at.session_state["lab_trainer"]
    # A starts again with B (it stood at epoch 2): both are compared at the same epoch
    assert (a.epoch, b.epoch) == (0, 0) and b.config.batchnorm and not a.config.batchnorm
    assert at.metric[0].value == "0"
    for _ in range(3):
        at.button(key="lab_step").click().run()
    a, b = at.session_state["lab_trainer_a"], at.session_state["lab_trainer"]
    assert (a.epoch, b.epoch) == (3, 3)  # A and B keep pace
    # each run is exactly the run of its Config alone (same draws: bit for bit)
    assert a.history == alone(a.config, 3).history
    assert b.history == alone(b.config, 3).history
    assert "Normalisation after each Linear: none → BatchNorm1d" in " ".join(
        m.value for m in at.markdown)
    value, delta = loss_metrics(at)
    expected = b.history[-1]["train_loss"] - a.history[-1]["train_loss"]
    assert value == f"{b.history[-1]['train_loss']:.4f}" and delta == f"{expected:+.4f}"
    # both runs' curves in one chart, each row naming its run
    views = {view for chart in at.get("vega_lite_chart")
             for view in _chart_views(chart)}
    assert views == {"A (pinned)", "B (now)"}
    assert not at.exception


def _chart_views(chart) -> set:
    import json

    import pyarrow as pa

    proto = chart.proto
    frames = [pa.ipc.open_stream(proto.data.data).read_all().to_pandas()] \
        if proto.data.data else []
    assert json.loads(proto.spec)
    return {v for frame in frames if "view" in frame for v in frame["view"]}


def test_same_shapes_start_from_the_same_weights(open_page):
    at = open_page(PAGE)
    at.button(key="lab_pin_button").click().run()
    at.number_input(key="lab_lr").set_value(0.1).run()
    a, b = at.session_state["lab_trainer_a"], at.session_state["lab_trainer"]
    for wa, wb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(wa, wb)
    assert torch.equal(a.data.points, b.data.points)


def test_swap_and_the_link_carry_a_and_b(open_page):
    at = open_page(PAGE)
    at.button(key="lab_pin_button").click().run()
    at.number_input(key="lab_lr").set_value(0.1).run()
    # B's widgets write their own parameters in the browser (tests/e2e/test_lab.py sees the
    # link); AppTest shows only those the page writes, here A's
    link = {"lab_pin": at.query_params["lab_pin"], "lab_lr": "0.1"}
    at.button(key="lab_swap").click().run()
    a, b = at.session_state["lab_trainer_a"], at.session_state["lab_trainer"]
    assert (a.config.lr, b.config.lr) == (0.1, model.LabConfig().lr)
    # a shared link opens the comparison: A from lab_pin, B from the controls' parameters
    fresh = AppTest.from_file(APP, default_timeout=30)
    for key, values in link.items():
        fresh.query_params[key] = values
    fresh.run()
    fresh.switch_page(PAGE).run()
    a, b = fresh.session_state["lab_trainer_a"], fresh.session_state["lab_trainer"]
    assert (a.config.lr, b.config.lr) == (model.LabConfig().lr, 0.1)
    assert a.history == alone(a.config, 0).history and not fresh.exception


def test_reseed_and_unpin(open_page):
    at = open_page(PAGE)
    at.button(key="lab_pin_button").click().run()
    at.button(key="lab_reseed").click().run()
    a, b = at.session_state["lab_trainer_a"], at.session_state["lab_trainer"]
    assert b.config == dataclasses.replace(a.config, seed=a.config.seed + 1)
    at.button(key="lab_unpin").click().run()
    assert at.session_state["lab_trainer_a"] is None and not at.exception


def test_a_schedule_from_the_registry_with_its_settings_in_the_link(open_page):
    at = open_page(PAGE)
    at.selectbox(key="lab_schedule").set_value("StepLR").run()
    at.number_input(key="lab_StepLR_step_size").set_value(1).run()
    trainer = at.session_state["lab_trainer"]
    assert trainer.config.schedule_settings == (("step_size", 1),)
    at.button(key="lab_step").click().run()
    at.button(key="lab_step").click().run()
    rates = [row["lr"] for row in at.session_state["lab_trainer"].history]
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.03)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)  # torch's gamma
    expected = [0.03]
    for _ in range(2):
        optimizer.step()
        scheduler.step()
        expected.append(optimizer.param_groups[0]["lr"])
    assert rates == expected
    assert not at.exception


def test_a_pinned_preset_schedule_setting_is_named_at_its_value(open_page):
    """Pinned with StepLR's preset gamma, then gamma 0.5: the line says A's 0.1 (the Config keeps
    only settings that differ from the preset; the comparison sees them all)."""
    at = open_page(PAGE)
    at.selectbox(key="lab_schedule").set_value("StepLR").run()
    at.button(key="lab_pin_button").click().run()
    at.number_input(key="lab_StepLR_gamma").set_value(0.5).run()
    shown = " ".join(m.value for m in at.markdown)
    assert "B differs from A in gamma: 0.1 → 0.5." in shown
    assert at.session_state["lab_trainer_a"].config.schedule_settings == ()
    assert not at.exception


def test_a_run_pinned_mid_way_starts_again_with_a_new_b(open_page):
    """Spiral, two epochs, pin, BatchNorm on: B is a new run from epoch 0, and A (pinned at
    epoch 2) starts again with it, so the metrics' changes compare the same epoch; the runs are
    each their Config's own, from the same data and, where the shapes match, the same weights."""
    at = open_page(PAGE)
    at.selectbox(key="lab_dataset").set_value("spiral").run()
    at.button(key="lab_preset").click().run()
    at.button(key="lab_step").click().run()
    at.button(key="lab_step").click().run()
    at.button(key="lab_pin_button").click().run()
    a = at.session_state["lab_trainer_a"]
    assert a.epoch == 2 and a.history == alone(a.config, 2).history  # the twin of B so far
    at.selectbox(key="lab_norm").set_value("BatchNorm1d").run()
    a, b = at.session_state["lab_trainer_a"], at.session_state["lab_trainer"]
    assert (a.epoch, b.epoch) == (0, 0)
    assert a.history == alone(a.config, 0).history and b.history == alone(b.config, 0).history
    assert torch.equal(a.data.points, b.data.points)
    value, delta = loss_metrics(at)
    expected = b.history[0]["train_loss"] - a.history[0]["train_loss"]
    # at epoch 0 BatchNorm's running statistics (0 and 1) change the loss by about 1e-6: a change
    # that rounds to nothing reads 0.0000, not -0.0000
    assert abs(expected) < 5e-5 and delta == "0.0000"
    at.button(key="lab_step").click().run()
    a, b = at.session_state["lab_trainer_a"], at.session_state["lab_trainer"]
    assert (a.epoch, b.epoch) == (1, 1)
    assert a.history == alone(a.config, 1).history and b.history == alone(b.config, 1).history
    at.button(key="lab_swap").click().run()  # a swap keeps both runs where they are
    a, b = at.session_state["lab_trainer_a"], at.session_state["lab_trainer"]
    assert (a.epoch, b.epoch) == (1, 1) and a.config.batchnorm and not b.config.batchnorm
    assert not at.exception


def chart_titles(at) -> list[str]:
    from tests.pages.vega import chart_specs

    def joined(title):  # a title on several lines, as one line
        return " ".join(title) if isinstance(title, list) else title

    return [joined(spec.get("title")) for spec in chart_specs(at)]


def test_no_hidden_layer_says_why_there_is_no_activation_std(open_page):
    """With 0 hidden layers the network is one Linear layer: no activation std to chart (it was
    an empty chart), the page says why; the gradient std of that layer is charted."""
    at = open_page(PAGE)
    at.number_input(key="lab_hidden_layers").set_value(0).run()
    at.button(key="lab_step").click().run()
    assert at.session_state["lab_trainer"].config.widths == ()
    titles = chart_titles(at)
    assert "Activation std per layer (last batch of each epoch)" not in titles
    assert "Weight-gradient std per layer (last batch of each epoch)" in titles
    captions = " ".join(caption.value for caption in at.caption)
    assert "with no hidden layer the network is one Linear layer" in captions
    assert not at.exception


def test_the_epoch_axis_has_whole_epochs_only(open_page):
    """At epoch 0 the axis read 0.000000 and a short run got ticks between epochs."""
    from tests.pages.vega import chart_specs

    at = open_page(PAGE)
    at.button(key="lab_step").click().run()
    epoch_axes = [layer["encoding"]["x"] for spec in chart_specs(at)
                  for layer in spec.get("layer", [])
                  if layer.get("encoding", {}).get("x", {}).get("field") == "epoch"]
    assert len(epoch_axes) == 4  # loss, accuracy, and the two per-layer std charts
    assert all(x["axis"] == {"format": "d", "tickMinStep": 1} for x in epoch_axes)
    assert not at.exception


def drawn_svg(image) -> str:
    import base64

    url = image.proto.imgs[0].url
    return base64.b64decode(url.split(",", 1)[1]).decode()


def test_the_network_picture_draws_the_output_neuron(open_page):
    """The network picture ends in ŷ, the prediction the surface shows, with the weights into it;
    in presenter mode its headings are larger."""
    import re

    from core.lab import pictures

    at = open_page(PAGE)
    trainer = at.session_state["lab_trainer"]
    prediction, neurons = trainer.plane()
    network = drawn_svg(at.get("image")[1])
    assert network == pictures.network_svg(trainer, neurons, prediction, heading=13)
    assert re.findall(r"<text [^>]*>([^<]*)</text>", network) == ["x", "h1", "h2", "ŷ"]
    assert network.count("<use ") == 2 + 8 + 8 + 1
    presenting = open_page(PAGE, present=True)
    assert 'font-size="22"' in drawn_svg(presenting.get("image")[1])
    assert not at.exception and not presenting.exception


def chart_rows(chart):
    import pyarrow as pa

    return pa.ipc.open_stream(chart.proto.data.data).read_all().to_pandas()


def test_compared_runs_share_the_curves_rows_and_fewer_while_playing(open_page):
    """Each chart carries about CURVE_POINTS epochs, shared by the runs it shows, and
    PLAYING_POINTS while it plays (chromium's time per redraw grows with the rows): every run's
    curve keeps its first and last epoch."""
    from lessons import lab

    at = open_page(PAGE)
    at.session_state["lab_trainer"].train(epochs=600)  # as if it had played that far
    at.button(key="lab_pin_button").click().run()
    a, b = at.session_state["lab_trainer_a"], at.session_state["lab_trainer"]
    assert a.epoch == b.epoch == 600
    for playing, points in ((False, lab.CURVE_POINTS), (True, lab.PLAYING_POINTS)):
        play(at, playing)
        loss = chart_rows(at.get("vega_lite_chart")[0])
        for (view, series), rows in loss.groupby(["view", "series"]):
            epochs = rows["epoch"].tolist()
            assert epochs[0] == 0 and epochs[-1] == at.session_state["lab_trainer"].epoch
            assert points // 4 <= len(epochs) <= points // 2 + 2, (playing, view, series)
    play(at, False)
    assert not at.exception


# ---- Links made before the settings were declared; a throwaway setting --------------------------

def test_links_made_before_the_settings_were_declared_open_the_same_view(open_link):
    """The lab's old parameters (lab_data, lab_act, lab_depth, lab_w3, lab_f_x1x2, lab_opt,
    lab_test, and the BatchNorm switch lab_bn) open the view they made, with no notice that
    any was ignored."""
    at = open_link(PAGE, {"lab_data": "xor", "lab_act": "relu", "lab_depth": "3", "lab_w3": "5",
                          "lab_f_x1x2": "true", "lab_opt": "Adam", "lab_test": "30",
                          "lab_bn": "true", "lab_lr": "0.01"})
    expected = dataclasses.replace(
        model.LabConfig(), dataset="xor", activation="relu", widths=(8, 8, 5),
        features=("x1", "x2", "x1x2"), optimizer="Adam", test_percent=30, norm="BatchNorm1d",
        lr=0.01)
    assert at.session_state["lab_trainer"].config == model.validate(expected)[0]
    assert not at.warning, [w.value for w in at.warning]
    assert not at.exception


@pytest.fixture
def extra_setting(monkeypatch):
    """LabConfig with one more setting, and its texts: nothing else is written for it."""
    from core import text
    from core.settings import setting

    @dataclasses.dataclass(frozen=True)
    class WithExtra(model.LabConfig):
        extra: float = setting(0.25, low=0.0, high=1.0, step=0.05)

    monkeypatch.setattr(model, "LabConfig", WithExtra)
    for lang, label in {"en": "A throwaway setting", "zh": "临时设置"}.items():
        monkeypatch.setitem(text.strings(lang), "lab.extra", label)
    return WithExtra


def test_a_setting_added_to_the_config_is_drawn_linked_pinned_and_fuzzed(extra_setting):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from core import compare
    from tests.pages.test_fuzz import interact_rounds

    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["lab_extra"] = "0.5"  # in the link
    at.switch_page(PAGE).run()
    assert at.number_input(key="lab_extra").value == 0.5  # on the page
    assert at.session_state["lab_trainer"].config.extra == 0.5
    at.button(key="lab_pin_button").click().run()
    at.number_input(key="lab_extra").set_value(1.5).run()  # clamped with a notice
    assert at.session_state["lab_trainer"].config.extra == 1.0
    assert any("extra" in w.value for w in at.warning)
    pinned = compare.decode(at.query_params["lab_pin"], extra_setting, "lab_pin")
    assert pinned.extra == 0.5  # A in the link
    assert "A throwaway setting: 0.5 → 1" in " ".join(m.value for m in at.markdown)
    assert not at.exception

    @settings(max_examples=4, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def fuzzed(data):  # the page fuzzer's own interactions, the extra setting among them
        fresh = AppTest.from_file(APP, default_timeout=30)
        fresh.switch_page(PAGE).run()
        assert fresh.number_input(key="lab_extra").value == 0.25
        interact_rounds(fresh, data, 2)

    fuzzed()


# ---- Normalisation choices, frozen layers -----------------------------------------------------

def test_a_frozen_layer_and_its_batchnorm_in_the_link_pinned_against_none(open_link):
    """lab_frozen=1 with BatchNorm: the page's sentence says layer 1's weights moved by 0 while
    its running_mean moved, with the numbers of the run's own table; pinned, then unfrozen, the
    table shows A's and B's columns side by side."""
    at = open_link(PAGE, {"lab_norm": "BatchNorm1d", "lab_frozen": "1"})
    at.button(key="lab_step").click().run()
    at.button(key="lab_step").click().run()
    trainer = at.session_state["lab_trainer"]
    assert trainer.config.frozen == (1,) and trainer.config.norm == "BatchNorm1d"
    row = trainer.layer_changes().iloc[0]
    said = " ".join(m.value for m in at.markdown)
    assert (f"Layer 1 is frozen: by epoch 2 its weights have moved by 0, but its "
            f"BatchNorm's running_mean has moved by up to {row.running_mean_change:.3g}") in said
    assert "eval() uses them instead of the batch's and leaves them as they are (moved by 0)" \
        in said
    at.button(key="lab_pin_button").click().run()
    at.text_input(key="lab_frozen").input("").run()
    assert at.session_state["lab_trainer"].config.frozen == ()
    table = at.dataframe[-1].value
    assert {"weights moved · A (pinned)", "weights moved · B (now)"} <= set(table.columns)
    assert "the output layer is last): [1] → []" in " ".join(m.value for m in at.markdown)
    assert not at.exception


def test_the_small_batch_card_says_each_runs_accuracy(open_page):
    """The card starts BatchNorm at batch size 2; pinned, GroupNorm beside it: the card names
    each run's normalisation and test accuracy at the shown epoch, A first."""
    at = open_page(PAGE)
    at.button(key="lab_start_small_batch").click().run()
    assert at.session_state["lab_trainer"].config.batch == 2
    at.button(key="lab_pin_button").click().run()
    at.selectbox(key="lab_norm").set_value("GroupNorm").run()
    at.button(key="lab_step").click().run()
    a, b = at.session_state["lab_trainer_a"], at.session_state["lab_trainer"]
    said = (f"Epoch 1, test accuracy: BatchNorm1d {a.history[-1]['test_acc']:.0%}; "
            f"GroupNorm {b.history[-1]['test_acc']:.0%}.")
    assert said in [caption.value for caption in at.caption]
    assert not at.exception
