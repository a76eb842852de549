"""Pin and compare: the differing settings are named, a Config survives its link text, a bad link
text is an InputError naming the parameter, and side-by-side tables keep both views' rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import compare
from core.errors import InputError


@dataclass(frozen=True)
class Inner:
    method: str = "normal"
    std: float = 1.0
    pairs: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Outer:
    depth: int = 100
    std: float = 1.0
    flag: bool = False
    inner: Inner = field(default_factory=Inner)
    runs: tuple[Inner, ...] = (Inner(), Inner("uniform", 2.0))
    table: tuple[tuple[str, ...], ...] = (("1", "2"), ("3", "4"))
    weight: tuple[tuple[str, ...], ...] | None = None
    seed: int = 3


def test_differences_name_each_changed_setting_by_its_path():
    a = Outer()
    b = replace(a, std=0.0625, inner=replace(a.inner, std=2.0),
                runs=(a.runs[0], replace(a.runs[1], method="xavier")))
    assert compare.differences(a, b) == [("std", 1.0, 0.0625), ("inner.std", 1.0, 2.0),
                                         ("runs[2].method", "uniform", "xavier")]
    assert compare.differences(a, a) == []


def test_tables_and_runs_of_another_length_differ_as_a_whole():
    a = Outer()
    b = replace(a, table=(("1", "2"),), runs=(Inner(),))
    assert compare.differences(a, b) == [("runs", a.runs, b.runs), ("table", a.table, b.table)]


configs = st.builds(
    Outer, depth=st.integers(-10**9, 10**9), std=st.floats(allow_infinity=False),
    flag=st.booleans(),
    inner=st.builds(Inner, method=st.text(max_size=12), std=st.floats(-1e9, 1e9),
                    pairs=st.lists(st.tuples(st.text(max_size=4), st.floats(-9, 9)),
                                   max_size=3).map(tuple)),
    table=st.lists(st.lists(st.text(max_size=5), min_size=1, max_size=3).map(tuple),
                   max_size=4).map(tuple),
    weight=st.none() | st.just((("1", "2"),)), seed=st.integers(0, 2**31))


@settings(max_examples=60, deadline=None)
@given(config=configs)
def test_every_config_comes_back_from_its_link_text(config):
    text = compare.encode(config)
    assert text.isascii() and "=" not in text and "&" not in text
    back = compare.decode(text, Outer, "ex_pin")
    if math.isnan(config.std):
        assert math.isnan(back.std)
        back = replace(back, std=config.std)
    assert back == config


@pytest.mark.parametrize("text", ["", "!!!", "bm90IGpzb24", compare.encode((1, 2)),
                                  compare.encode(replace(Outer(), depth=2))[:-3] + "xyz",
                                  "A" * (compare.LINK_MAX + 1)])
def test_unreadable_link_text_names_the_parameter(text):
    with pytest.raises(InputError, match="ex_pin"):
        compare.decode(text, Outer, "ex_pin")


def test_a_link_with_a_wrongly_typed_field_is_refused():
    import base64
    import json
    raw = json.dumps({"depth": "deep"}).encode()
    with pytest.raises(InputError, match="ex_pin"):
        compare.decode(base64.urlsafe_b64encode(raw).decode(), Outer, "ex_pin")


def test_fields_a_link_lacks_keep_their_defaults_and_unknown_ones_are_ignored():
    import base64
    import json
    raw = json.dumps({"depth": 7, "gone": 1}).encode()
    back = compare.decode(base64.urlsafe_b64encode(raw).decode(), Outer, "ex_pin")
    assert back == replace(Outer(), depth=7)


def test_side_by_side_keeps_both_views_rows_in_order():
    a = pd.DataFrame({"layer": [0, 1], "std": [1.0, 2.0]})
    b = pd.DataFrame({"layer": [0, 1], "std": [1.0, 0.5]})
    both = compare.side_by_side(a, b, "A", "B")
    assert both[compare.VIEW].tolist() == ["A", "A", "B", "B"]
    assert both["std"].tolist() == [1.0, 2.0, 1.0, 0.5]


def test_column_each_puts_a_and_b_side_by_side_per_column():
    a = pd.DataFrame({"layer": [0, 1], "std": [1.0, 2.0], "grad": [3.0, 4.0]})
    b = pd.DataFrame({"layer": [0, 1, 2], "std": [1.0, 0.5, 0.25], "grad": [5.0, 6.0, 7.0]})
    both = compare.column_each(a, b, "layer", "A", "B")
    assert list(both.columns) == ["layer", "std · A", "std · B", "grad · A", "grad · B"]
    assert both["std · B"].tolist() == [1.0, 0.5, 0.25]
    assert both["std · A"].tolist()[:2] == [1.0, 2.0] and math.isnan(both["std · A"].iloc[2])


def test_the_reseed_reaches_a_nested_seed():
    from ui.compare import _next_seed
    assert _next_seed(Outer(), "seed").seed == 4
    assert _next_seed(Outer(), "inner.std").inner == replace(Inner(), std=2.0)


def test_column_each_keeps_a_rows_in_their_order_on_several_keys():
    a = pd.DataFrame({"act": ["tanh", "relu", "none"], "scheme": ["x", "x", "y"],
                      "std": [1.0, 2.0, 3.0]})
    both = compare.column_each(a, a.assign(std=[4.0, 5.0, 6.0]), ["act", "scheme"], "A", "B")
    assert both["act"].tolist() == ["tanh", "relu", "none"]
    assert both["std · B"].tolist() == [4.0, 5.0, 6.0]

def test_named_values_differ_name_by_name():
    a = replace(Outer(), inner=Inner(pairs=(("beta", 1.0), ("delta", 2.0))))
    b = replace(a, inner=Inner(pairs=(("beta", 1.0), ("gamma", 3.0))))
    assert compare.differences(a, b) == [("inner.pairs.delta", 2.0, compare.ABSENT),
                                         ("inner.pairs.gamma", compare.ABSENT, 3.0)]
    c = replace(a, inner=Inner(pairs=()))
    assert compare.differences(c, a) == [("inner.pairs.beta", compare.ABSENT, 1.0),
                                         ("inner.pairs.delta", compare.ABSENT, 2.0)]


def test_beside_pairs_rows_of_the_same_shape_only():
    a = pd.DataFrame({"sample": [0, 1], "loss": [0.5, 1.5]})
    b = pd.DataFrame({"sample": [0, 1], "loss": [0.25, 2.0]})
    both = compare.beside(a, b, "loss", "A", "B")
    assert both.to_dict("list") == {"sample": [0, 1], "A": [0.5, 1.5], "B": [0.25, 2.0]}
    assert compare.beside(a, b.iloc[:1], "loss", "A", "B") is None


@dataclass(frozen=True)
class Preset:
    """A Config that keeps only the settings differing from a preset (as ScheduleConfig does)."""
    settings: tuple[tuple[str, float], ...] = ()

    def compared(self) -> dict:
        return {"settings": tuple(({"gamma": 0.1, "step": 30.0} | dict(self.settings)).items())}


def test_a_setting_left_out_for_equalling_its_preset_is_compared_at_its_value():
    a, b = Preset(), Preset((("gamma", 0.5),))
    assert compare.differences(a, b) == [("settings.gamma", 0.1, 0.5)]
    assert compare.differences(Preset((("gamma", 0.1),)), a) == []  # the same schedule


def test_a_pinned_schedule_names_its_preset_value():
    """Pinned on the schedules lesson's first tab, then gamma 0.5: A's gamma is StepLR's preset
    0.1 (its Config leaves it out), not absent."""
    from core import schedules
    from core.lab import model
    from core.schedules import applied
    from ui.compare import describe

    a = schedules.ScheduleConfig()
    b = schedules.validate(schedules.ScheduleConfig(settings=(("gamma", 0.5),)))[0]
    gamma = dict(a.values())["gamma"]
    assert gamma == 0.1
    # the schedules lesson names the scheduler with every setting, as one call
    calls = ("StepLR(step_size=50, gamma=0.1)", "StepLR(step_size=50, gamma=0.5)")
    assert compare.differences(a, b) == [("scheduler", *calls)]
    assert describe(a, b) == f"B differs from A in scheduler: {calls[0]} → {calls[1]}."
    nested = applied.ApplyConfig()
    assert compare.differences(nested, replace(nested, schedule=b)) == [
        ("schedule.scheduler", *calls)]
    # the lab's schedule settings go the same way (core.lab.plug.validate_schedule)
    lab_a = model.validate(model.LabConfig(schedule="StepLR"))[0]
    lab_b = model.validate(replace(lab_a, schedule_settings=(("gamma", 0.5),)))[0]
    assert lab_a.schedule_settings == ()
    assert describe(lab_a, lab_b) == "B differs from A in schedule_settings.gamma: 0.1 → 0.5."
    # another scheduler: its settings are named as absent from the other view
    lab_c = model.validate(replace(lab_a, schedule="ExponentialLR"))[0]
    assert compare.differences(lab_a, lab_c)[0] == ("schedule", "StepLR", "ExponentialLR")
    step_size = schedules.SCHEDULERS["StepLR"].preset()["step_size"]
    assert ("schedule_settings.step_size", step_size, compare.ABSENT) in compare.differences(
        lab_a, lab_c)
    assert (f"schedule_settings.step_size: {step_size} in A, not a setting of B"
            in describe(lab_a, lab_c))
    assert (f"schedule_settings.step_size: not a setting of A, {step_size} in B"
            in describe(lab_c, lab_a))


def test_the_line_names_each_setting_by_its_controls_label_in_the_users_language():
    """A pin bar names what differs as ui.widgets labels the lesson's controls (explosion.depth,
    explosion.init_std), in Chinese too, not by the Config's paths ("init.std")."""
    import streamlit as st

    from core import network, text
    from ui.compare import describe
    from ui.widgets import label_of

    a = network.NetConfig()
    b = replace(a, depth=50, init=replace(a.init, std=0.0625))
    english = describe(a, b, label_of("explosion"))
    assert english == (f"B differs from A in {text.lookup('en', 'explosion.depth')}: 100 → 50; "
                       f"{text.lookup('en', 'explosion.init_std')}: 1 → 0.0625.")
    st.session_state["lang"] = "zh"
    try:
        chinese = describe(a, b, label_of("explosion"))
    finally:
        del st.session_state["lang"]
    assert chinese == (f"B 与 A 的不同之处：{text.lookup('zh', 'explosion.depth')} 从 100 变为 "
                       f"50；{text.lookup('zh', 'explosion.init_std')} 从 1 变为 0.0625。")


def test_another_seed_is_offered_only_where_the_config_has_one():
    from core import init_lab, network
    from core.optim import learning_rate
    from ui.compare import seed_path

    assert seed_path(network.NetConfig()) == "seed"
    assert seed_path(init_lab.NetworkView(init_lab.MatrixConfig(), "tanh", "xavier")) == \
        "matrix.seed"
    assert seed_path(Outer()) == "seed"
    assert seed_path(Inner()) is None
    assert seed_path(learning_rate.LrConfig()) is None


def test_a_setting_is_named_by_its_controls_label_never_by_its_path():
    """ui.widgets.label_of names what differs as the control shows it: a nested Config's own
    label (the inside lesson's run.lr is labelled inside.lr), the lesson's text for a nested path
    (init's matrix.depth: init.matrix_depth), else torch's name, the path's last part, with an
    index kept; never a dotted path."""
    from core import init_lab, text
    from core.inside import runs
    from ui.widgets import label_of

    inside = label_of("inside", runs.ResumeConfig)
    assert inside("run.lr") == text.lookup("en", "inside.lr")
    assert inside("epochs") == text.lookup("en", "inside.epochs")
    init = label_of("init", init_lab.NetworkView)
    assert init("matrix.depth") == text.lookup("en", "init.matrix_depth")
    assert init("matrix.seed") == text.lookup("en", "init.matrix_seed")
    assert label_of("lab")("schedule_settings.gamma") == "gamma"
    assert label_of("optim")("runs[2].values.momentum") == "momentum [2]"
