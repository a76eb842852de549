"""The terrain lesson through AppTest: one epoch, play, pause and reset; each preset sets its
settings and its story is the run's own; every tab draws; a pinned run trains beside B, each
equal to its Config's run alone; the weight opened from a link; what a user types wrong is
named and kept; each tab's shown script prints the page's numbers."""

from __future__ import annotations

import re

import pytest

from core.terrain import config as terrain
from core.terrain import sharpness
from core.terrain.run import Run
from harness.scripts import printed_lines
from lessons import TABS
from tests.pages.conftest import plain
from tests.pages.vega import chart_specs, is_valid

PAGE = "lessons/terrain.py"


def metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def epoch(at) -> int:
    return int(metrics(at)["epoch"])


def runs(at) -> list[Run]:
    """The session's runs, B first."""
    return [run for _, run in at.session_state["terrain_runs"]]


def alone(config, epochs: int) -> Run:
    """The run of a lab Config by itself, as a test builds it (on one thread: conftest's
    one_torch_thread)."""
    run = Run(config)
    run.train(epochs=epochs)
    return run


def step(at, times: int = 1):
    for _ in range(times):
        at.button(key="terrain_step").click().run()
    return at


def text(at) -> str:
    return " ".join(plain(element.value) for kind in ("markdown", "caption")
                    for element in getattr(at, kind))


def test_one_epoch_play_pause_reset(open_page):
    at = open_page(PAGE)
    assert epoch(at) == 0 and len(at.get("vega_lite_chart")) == 2
    step(at, 2)
    assert epoch(at) == 2
    at.toggle(key="terrain_play").set_value(True).run()  # AppTest runs the fragment with the page
    assert epoch(at) > 2
    playing_at = epoch(at)
    at.toggle(key="terrain_play").set_value(False).run()
    assert epoch(at) == playing_at
    at.button(key="terrain_reset").click().run()
    assert epoch(at) == 0 and not at.exception


@pytest.mark.parametrize("name", list(terrain.PRESETS))
def test_a_preset_sets_its_settings_and_says_what_its_run_shows(open_page, name):
    at = open_page(PAGE)
    at.number_input(key="terrain_lr").set_value(0.07).run()
    at.button(key=f"terrain_preset_{name}").click().run()
    preset = terrain.PRESETS[name]
    b = runs(at)[0]
    assert b.config == terrain.lab_config(preset.config())[0]
    step(at, 6)
    b = runs(at)[0]
    key, numbers = sharpness.story(b.sharpness_frame(), sharpness.threshold(b.config.lr))
    expected = {"edge": "below", "catapult": "catapult", "divergence": "diverged"}[name]
    assert key == expected  # six epochs: the edge's run is still sharpening
    said = text(at)
    assert f"{numbers['start']:.4g}" in said and f"{numbers['threshold']:.4g}" in said
    bridges = {"edge": "y = 4x² at lr = 1/4", "catapult": "every rate above 1/4 diverges",
               "divergence": "twice its rate"}
    assert bridges[name] in said and not at.exception


def test_a_diverged_run_is_marked_where_it_stops_being_finite(open_page):
    at = open_page(PAGE)
    at.button(key="terrain_preset_divergence").click().run()
    step(at, 8)
    b = runs(at)[0]
    first = next(row["epoch"] for row in b.checks if row["loss"] != row["loss"]
                 or abs(row["loss"]) == float("inf"))
    rules = [layer for spec in chart_specs(at) for layer in spec.get("layer", [])
             if layer.get("mark", {}).get("color") == "#d62728"]
    assert rules, "a red rule where the loss stops being finite"
    assert f"at epoch {first}" in text(at) and not at.exception


@pytest.mark.parametrize("tab", TABS["terrain"])
def test_every_tab_draws_valid_charts_in_both_modes(open_page, tab):
    for present in (False, True):
        at = open_page(PAGE, terrain_tab=tab, present=present)
        step(at, 3)
        specs = chart_specs(at)
        assert specs and all(is_valid(spec) for spec in specs)
        assert not at.exception


def test_the_slice_is_the_runs_and_its_reading_its_numbers(open_page):
    at = open_page(PAGE, terrain_tab="surface")
    step(at, 12)
    b = runs(at)[0]
    said = text(at)
    assert f"loss {b.checks[-1]['loss']:.4g}" in said  # the centre: the training loss
    reach = re.search(r"reaches only ([\d.]+) %", said)
    assert reach and float(reach.group(1)) < 100
    at.selectbox(key="terrain_surface_directions").set_value("path").run()
    assert "of its movement" in text(at) and not at.exception


def test_the_noise_tab_says_what_the_scale_means_for_the_batch(open_page):
    at = open_page(PAGE, terrain_tab="noise")
    step(at, 5)
    shown = metrics(at)
    scale = float(shown["Noise scale B_simple"])
    assert f"B_simple = {shown['Noise scale B_simple']}" in text(at)
    batch = at.number_input(key="terrain_noise_batch").value
    assert ("well below" in text(at)) == (batch < scale / 2)
    assert "full batch of 400 points" in text(at) and not at.exception


def test_a_weight_opened_from_a_link_shows_its_last_step(open_link):
    at = open_link(PAGE, {"terrain_tab": "weights", "terrain_weights_layer": "2",
                          "terrain_weights_neuron": "1", "terrain_weights_source": "3"})
    step(at, 2)
    b = runs(at)[0]
    weight = b.trainer.model[2].weight
    assert "Layer 2, weight [1, 3]" in text(at)
    assert metrics(at)["Weight"] == f"{float(weight.detach()[1, 3]):.6g}"
    assert metrics(at)["Gradient (last step)"] == f"{float(weight.grad[1, 3]):.4g}"
    assert "every value equals torch's" in text(at) and not at.exception


def test_a_weight_outside_the_network_is_moved_in_with_a_notice(open_link):
    at = open_link(PAGE, {"terrain_tab": "weights", "terrain_weights_layer": "9",
                          "terrain_weights_neuron": "30"})
    assert any("is not in this network" in plain(w.value) for w in at.warning)
    assert "Layer 3" in text(at) and not at.exception


def test_bad_input_is_named_and_kept(open_page):
    at = open_page(PAGE)
    at.number_input(key="terrain_lr").set_value(1e9).run()
    assert any("lr: 1000000000.0 is outside" in plain(w.value) for w in at.warning)
    assert at.number_input(key="terrain_lr").value == 1e9  # what the user typed stays
    at.number_input(key="terrain_depth").set_value(-5).run()
    assert any("depth" in plain(w.value) for w in at.warning) and not at.exception


def test_pinned_then_changed_both_train_each_as_alone(open_page):
    at = open_page(PAGE)
    step(at, 2)
    at.button(key="terrain_pin_button").click().run()
    at.number_input(key="terrain_lr").set_value(0.1).run()  # B: a new run from epoch 0
    b, a = runs(at)
    assert (a.epoch, b.epoch) == (0, 0)
    step(at, 3)
    b, a = runs(at)
    assert (a.epoch, b.epoch) == (3, 3)
    assert a.checks == alone(a.config, 3).checks and b.checks == alone(b.config, 3).checks
    assert "B differs from A in Learning rate: 0.25 → 0.1" in text(at) and not at.exception


@pytest.mark.parametrize("tab", TABS["terrain"])
def test_pinned_runs_are_read_side_by_side_in_every_tab(open_page, tab):
    at = open_page(PAGE, terrain_tab=tab)
    at.button(key="terrain_pin_button").click().run()
    at.number_input(key="terrain_seed").set_value(5).run()
    step(at, 2)
    assert "A (pinned)" in text(at) and "B (now)" in text(at) and not at.exception


@pytest.mark.parametrize("tab", TABS["terrain"])
def test_the_shown_script_prints_the_pages_numbers(open_page, tab):
    at = open_page(PAGE, terrain_tab=tab)
    step(at, 4)
    lines = printed_lines(at.code[-1].value)
    b = runs(at)[0]
    last = next(line for line in reversed(lines) if "train loss" in line)
    assert last == f"epoch 4: train loss {b.trainer.history[-1]['train_loss']!r}, " \
        f"test loss {b.trainer.history[-1]['test_loss']!r}"
    # the page shows 4 significant digits (the weight 6): the script's number rounds to them
    shown, prefix, name = {
        "sharpness": ("Sharpness", "epoch 4: sharpness", "sharpness"),
        "surface": ("Training loss", "slice at a = 0,", "loss"),
        "noise": ("Noise scale B_simple", "B_simple", "B_simple"),
        "weights": ("Weight", "after it:", "weight")}[tab]
    printed = float(next(line for line in lines if line.startswith(prefix)).split()[-1])
    digits = 6 if tab == "weights" else 4
    assert f"{printed:.{digits}g}" == metrics(at)[shown], name


def test_chinese(open_page):
    """(AppTest formats a choice's label outside the page's session, in English: a click in
    Chinese is the browser tests'.)"""
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "读懂地形"
    assert "第 0 个 epoch 的锐度是 3.11" in text(at)
    assert at.button(key="terrain_step").label == "训练一个 epoch" and not at.exception
