"""The schedules page through AppTest: it opens on the course's StepLR example, every scheduler's
preset runs, a bad value gets a message naming its field, a link reproduces a view, the other two
tabs, the way back to the course's example, a throwaway registry entry, and Chinese."""

from dataclasses import replace

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hypothesis_st
from streamlit.testing.v1 import AppTest

from core import schedules, text
from core.schedules import applied, range_test
from core.schedules.registry import setting_of, simple
from tests.pages.conftest import APP, plain
from tests.pages.test_optim import fuzz, opened

PAGE = "lessons/schedules.py"


def rates_table(at):
    """The rates the page computed (the table under the chart: epochs where the rate changes)."""
    return next(d.value for d in at.dataframe if {"epoch", "group", "lr"} <= set(d.value.columns))


def text_of(at) -> str:
    return " ".join(plain(m.value) for m in [*at.markdown, *at.caption, *at.error, *at.warning,
                                      *at.info])


def test_opens_on_the_courses_step_lr(open_page):
    at = open_page(PAGE)
    assert at.selectbox(key="schedules_scheduler").value == "StepLR"
    assert at.number_input(key="schedules_StepLR_step_size").value == 50
    assert at.number_input(key="schedules_StepLR_gamma").value == 0.1
    assert at.number_input(key="schedules_seed").value == 1
    assert len(at.get("vega_lite_chart")) == 1  # only the open tab runs
    changes = rates_table(at)
    assert changes["epoch"].tolist() == [0, 50, 100, 150]
    expected = schedules.run(schedules.ScheduleConfig()).rates
    assert changes["lr"].tolist() == expected["lr"][[0, 50, 100, 150]].tolist()


@pytest.mark.parametrize("name", list(schedules.SCHEDULERS))
def test_every_preset_runs(open_page, name):
    at = open_page(PAGE, schedules_scheduler=name)
    assert not at.error, [e.value for e in at.error]
    changes = rates_table(at).sort_values(["group", "epoch"], kind="stable")
    result = schedules.run(schedules.ScheduleConfig(scheduler=name))
    assert changes["lr"].tolist() == [
        lr for _, frame in result.rates.groupby("group")
        for lr, keep in zip(frame["lr"], frame["lr"].diff().ne(0), strict=True) if keep]
    if name == "ReduceLROnPlateau":  # its events listed: patience ran out at 16, cooldown at 26
        events = next(d.value for d in at.dataframe if "label" in d.value.columns)
        assert events["epoch"].tolist()[:2] == [16, 26]


def test_a_bad_value_gets_a_named_message_and_is_kept(open_page):
    at = open_page(PAGE, schedules_scheduler="MultiStepLR")
    at.text_input(key="schedules_MultiStepLR_milestones").set_value("50, x, 160").run()
    assert not at.exception
    assert any("milestones" in e.value and "“x”" in e.value for e in at.error)
    assert at.text_input(key="schedules_MultiStepLR_milestones").value == "50, x, 160"
    with pytest.raises(KeyError):  # only the chosen scheduler's settings are drawn
        at.number_input(key="schedules_StepLR_step_size")
    at = open_page(PAGE, schedules_scheduler="OneCycleLR")
    at.number_input(key="schedules_OneCycleLR_total_steps").set_value(20).run()
    assert any("OneCycleLR" in e.value for e in at.error)  # torch's own refusal, named


def test_a_huge_value_is_clamped_with_a_notice(open_page):
    at = open_page(PAGE)
    at.number_input(key="schedules_max_epoch").set_value(10**9).run()
    assert any("max_epoch" in plain(w.value) for w in at.warning)
    assert rates_table(at)["epoch"].max() < schedules.MAX_EPOCH.high


def test_a_link_reproduces_a_view(open_page, open_link):
    at = open_page(PAGE)
    at.selectbox(key="schedules_scheduler").set_value("ExponentialLR").run()
    assert at.query_params["schedules_scheduler"] == "ExponentialLR"  # the choice, by its id
    link = open_link(PAGE, {"schedules_scheduler": "ExponentialLR",
                            "schedules_ExponentialLR_gamma": "0.9",
                            "schedules_tab": "curves"})
    assert link.number_input(key="schedules_ExponentialLR_gamma").value == 0.9
    assert rates_table(link)["lr"].tolist()[:3] == pytest.approx([0.1, 0.09, 0.081])


def test_back_to_the_courses_example(open_page):
    at = open_page(PAGE, schedules_scheduler="CyclicLR", schedules_seed=7)
    at.button(key="schedules_back").click().run()
    assert at.selectbox(key="schedules_scheduler").value == "StepLR"
    assert at.number_input(key="schedules_seed").value == 1


def test_lambda_lr_shows_both_orders(open_page):
    at = open_page(PAGE, schedules_scheduler="LambdaLR")
    chart = at.get("vega_lite_chart")[0]
    assert "after step()" in chart.proto.spec or "after step()" in str(chart.proto)
    assert "one epoch later" in text_of(at)


def test_the_applied_tab(open_page):
    at = open_page(PAGE, schedules_tab="applied", schedules_scheduler="CosineAnnealingLR")
    assert not at.error
    summary = next(d.value for d in at.dataframe if "function" in d.value.columns)
    assert len(summary) == 4
    at.selectbox(key="schedules_landscape").set_value("himmelblau").run()
    assert at.number_input(key="schedules_landscape_lr").value == pytest.approx(
        applied.suggested_lr("himmelblau"))


def test_the_range_test_tab(open_page):
    at = open_page(PAGE, schedules_tab="range")
    result = range_test.run(range_test.RangeConfig())
    shown = [m.value for m in at.metric]
    assert f"{result.suggested_lr:.3g}" in shown
    at.number_input(key="schedules_start_lr").set_value(1.0).run()
    at.number_input(key="schedules_end_lr").set_value(0.5).run()
    assert any("end_lr" in e.value for e in at.error)


def test_a_throwaway_entry_runs_through_the_generic_page(open_page, monkeypatch):
    L = torch.optim.lr_scheduler  # noqa: N806
    entry = simple(L.ExponentialLR, schedules.from_torch(L.ExponentialLR, "gamma", 0.5))
    monkeypatch.setitem(schedules.SCHEDULERS, "Halving", entry)
    for lang, about in {"en": "Halves the rate each epoch.", "zh": "每轮学习率减半。"}.items():
        monkeypatch.setitem(text.strings(lang), "schedules.about_Halving", about)  # its text
    at = open_page(PAGE, schedules_scheduler="Halving")
    assert at.number_input(key="schedules_Halving_gamma").value == 0.5
    assert rates_table(at)["lr"].tolist()[:3] == [0.1, 0.05, 0.025]


def test_chinese(open_page):
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "学习率调整策略"
    assert not at.error


def test_the_preset_button_restores_the_schedulers_settings(open_page):
    at = open_page(PAGE, schedules_scheduler="CosineAnnealingLR")
    at.number_input(key="schedules_CosineAnnealingLR_T_max").set_value(20).run()
    assert rates_table(at)["lr"].iloc[-1] != 0.1
    at.button(key="schedules_preset").click().run()
    assert at.number_input(key="schedules_CosineAnnealingLR_T_max").value == 50


# ---- Pin a view and compare (issue 17) -----------------------------------------------------------

def changes_of(config: schedules.ScheduleConfig) -> list[float]:
    rates = schedules.run(config).rates
    return rates[rates.groupby("group")["lr"].diff().ne(0)]["lr"].tolist()


def test_pin_step_lr_gamma_01_then_05(open_page, monkeypatch):
    at = open_page(PAGE)
    at.button(key="schedules_curves_pin_button").click().run()
    calls = []
    original = schedules.run
    monkeypatch.setattr(schedules, "run", lambda c: calls.append(c) or original(c))
    at.number_input(key="schedules_StepLR_gamma").set_value(0.37).run()
    assert not at.exception
    assert len(calls) == 1  # B only: A's schedule comes from the cache
    # A's gamma is the preset it was pinned at (its Config leaves it out, the comparison not)
    assert "B differs from A in Scheduler: StepLR(step_size=50, gamma=0.1) → " \
        "StepLR(step_size=50, gamma=0.37)." in text_of(at)
    shown = rates_table(at)
    a = schedules.ScheduleConfig()
    b = schedules.ScheduleConfig(settings=(("gamma", 0.37),))
    for view, config in (("A (pinned)", a), ("B (now)", b)):
        assert shown[shown["view"] == view]["lr"].tolist() == changes_of(config)
    assert '"A (pinned)"' in at.get("vega_lite_chart")[0].proto.spec
    at.button(key="schedules_curves_swap").click().run()
    assert at.number_input(key="schedules_StepLR_gamma").value == pytest.approx(0.1)
    assert at.session_state["schedules_curves_pinned"] == b


def test_a_link_with_a_and_b_opens_the_schedules_comparison(open_page):
    from core import compare
    link = AppTest.from_file(APP, default_timeout=30)
    link.query_params["schedules_curves_pin"] = compare.encode(schedules.ScheduleConfig())
    link.query_params["schedules_scheduler"] = "CosineAnnealingLR"
    link.switch_page(PAGE).run()
    assert not link.exception, [e.value for e in link.exception]
    shown = rates_table(link)
    assert shown[shown["view"] == "A (pinned)"]["lr"].tolist() == \
        changes_of(schedules.ScheduleConfig())
    assert shown[shown["view"] == "B (now)"]["lr"].tolist() == \
        changes_of(schedules.ScheduleConfig(scheduler="CosineAnnealingLR"))
    # a change of scheduler names both calls (setting by setting it said "step_size: 50 → —")
    assert "Scheduler: StepLR(step_size=50, gamma=0.1) → CosineAnnealingLR(T_max=50, " \
        "eta_min=0)." in text_of(link)
    assert "—" not in text_of(link)


def test_the_applied_and_range_tabs_compare_too(open_page):
    at = open_page(PAGE, schedules_tab="applied")
    at.button(key="schedules_applied_pin_button").click().run()
    at.number_input(key="schedules_momentum").set_value(0.0).run()
    summary = next(d.value for d in at.dataframe if "function" in d.value.columns)
    assert len(summary) == 8 and set(summary["view"]) == {"A (pinned)", "B (now)"}
    for view, momentum in (("A (pinned)", 0.9), ("B (now)", 0.0)):
        runs = applied.run(applied.ApplyConfig(momentum=momentum))
        last = runs.parabola.groupby("run", sort=False).tail(1)["loss"].tolist()
        rows = summary[(summary["view"] == view) & (summary["function"] == "4x²")]
        assert rows["loss"].tolist() == [f"{v:.4g}" for v in last]  # never 0.0000000000007
    at = open_page(PAGE, schedules_tab="range")
    at.button(key="schedules_range_pin_button").click().run()
    at.number_input(key="schedules_end_lr").set_value(1.0).run()
    assert not at.exception
    a = range_test.run(range_test.RangeConfig())
    b = range_test.run(range_test.RangeConfig(end_lr=1.0))
    steps = next(m for m in at.metric if m.value == str(len(b.steps)))
    assert steps.delta == str(len(b.steps) - len(a.steps))
    assert "end_lr: 10 → 1" in text_of(at)


def test_a_links_value_is_quoted_as_typed_never_as_markdown():
    """A crafted link cannot put a working link (or bold, or an icon) into the app's notice."""
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params["schedules_lr"] = "[click me](http://example.com) __x__ :red[y]"
    fresh.switch_page(PAGE).run()
    notice = next(w.value for w in fresh.warning if "schedules_lr" in plain(w.value))
    assert "](" not in notice and "__x" not in notice and ":red[" not in notice
    assert "[click me](http://example.com) __x__ :red[y]" in plain(notice)


def test_the_applied_tab_says_which_run_diverged_and_when_rates_are_the_schedulers_own(
        open_page):
    """OneCycleLR on Himmelblau: its own max_lr (0.1) replaces the landscape's 0.01 and its run
    diverges, at the step core reports; the page says both, and draws x per step on 4x²."""
    at = open_page(PAGE, schedules_tab="applied", schedules_scheduler="OneCycleLR",
                   schedules_landscape="himmelblau", schedules_landscape_lr=0.01)
    assert not at.exception
    config, _ = applied.validate(applied.ApplyConfig(
        schedule=schedules.validate(schedules.ScheduleConfig(scheduler="OneCycleLR"))[0],
        landscape="himmelblau", landscape_lr=0.01))
    stop = applied.run(config).diverged.set_index(["function", "run"])["step"]
    step = int(stop[("landscape", "scheduled")])
    assert f"Himmelblau, OneCycleLR: diverged at step {step}." in text_of(at)
    assert "OneCycleLR sets the rates itself, from its own max_lr = 0.1" in text_of(at)
    assert "not like for like" in text_of(at)
    titles = [chart.proto.spec for chart in at.get("vega_lite_chart")]
    assert any("x per step on the course" in spec for spec in titles)  # JSON escapes ²
    at = open_page(PAGE, schedules_tab="applied", schedules_landscape="rosenbrock",
                   schedules_landscape_lr=1e-3)  # StepLR on Rosenbrock: no such words
    assert not at.error and "like for like" not in text_of(at)
    at.number_input(key="schedules_landscape_lr").set_value(0.05).run()  # both runs leave
    errors = [plain(e.value) for e in at.error]
    assert [e.split(":")[0] for e in errors] == ["Rosenbrock, StepLR", "Rosenbrock, constant lr"]


def test_an_epoch_axis_ticks_whole_numbers(open_page):
    """max_epoch clamped to 1: the epoch axis said 0.000000; its ticks are whole numbers."""
    import json
    at = open_page(PAGE)
    at.number_input(key="schedules_max_epoch").set_value(0).run()
    assert "max_epoch: 0 is outside 1 to 1000; using 1." in text_of(at)
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    axis = spec["encoding"]["x"]["axis"] if "encoding" in spec else spec["layer"][0][
        "encoding"]["x"]["axis"]
    assert axis == {"format": "d", "tickMinStep": 1}


# ---- What the page says of its own numbers, and charts a room can read (issue 22) ---------------

def test_the_applied_tab_says_which_run_ends_lower_from_the_runs(open_page):
    """With the default gradient noise StepLR ends lower on both functions, and the sentence says
    so with the runs' own mean losses; without noise the constant rate ends lower on both and
    the sentence says a decay has nothing to settle (the old lead claimed the decay settles on
    noise-free problems, where it lost)."""
    at = open_page(PAGE, schedules_tab="applied")
    ends = applied.run(applied.validate(applied.ApplyConfig())[0]).ends.set_index("function")
    said = text_of(at)
    assert f"on anisotropic quadratic {ends.loc['landscape', 'scheduled']:.3g} against " \
        f"{ends.loc['landscape', 'constant']:.3g}, on 4x² " \
        f"{ends.loc['parabola', 'scheduled']:.3g} against " \
        f"{ends.loc['parabola', 'constant']:.3g}. StepLR ends lower on both." in said
    assert "With gradient noise σ = 1 a constant rate keeps bouncing" in said
    at.number_input(key="schedules_noise").set_value(0.0).run()
    assert "StepLR ends lower on neither. Without gradient noise a decay has nothing to " \
        "settle" in text_of(at)
    assert at.button(key="schedules_applied_pin_button") is not None


def test_a_view_with_a_seed_offers_another_and_one_without_does_not(open_page):
    """The curves tab's rates do not depend on its seed (it draws w only): no "A with another
    seed"; the applied tab draws its noise from a seed: "A with another seed" moves it on."""
    at = open_page(PAGE)
    at.button(key="schedules_curves_pin_button").click().run()
    assert not at.exception
    with pytest.raises(KeyError):
        at.button(key="schedules_curves_reseed")
    at = open_page(PAGE, schedules_tab="applied")
    at.button(key="schedules_applied_pin_button").click().run()
    at.button(key="schedules_applied_reseed").click().run()
    assert not at.exception
    assert at.number_input(key="schedules_noise_seed").value == 2
    assert "B differs from A in Seed of the noise: 1 → 2." in text_of(at)


def test_rates_spanning_decades_get_a_log_axis_and_a_group_its_colour(open_page):
    """ReduceLROnPlateau's 0.1 to 1e-4 and LambdaLR's 0.1 ** (epoch // 20) span decades: the
    axis is log by itself (every cut readable), and LambdaLR's two groups are two colours, each
    recorded before step() solid and after dashed; ConstantLR's 0.05 to 0.1 stays linear."""
    import json
    for name, log in (("ReduceLROnPlateau", True), ("LambdaLR", True), ("ConstantLR", False)):
        at = open_page(PAGE, schedules_scheduler=name)
        spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
        lines = spec["layer"][0] if "layer" in spec else spec
        y = lines["encoding"]["y"]
        assert (y.get("scale", {}).get("type") == "log") == log, name
        if log:
            assert "labelExpr" in y["axis"]  # 1e-4, 0.01: never 1e+0 or 4e+0
    at = open_page(PAGE, schedules_scheduler="LambdaLR")
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    colour, dash = spec["encoding"]["color"]["scale"], spec["encoding"]["strokeDash"]["scale"]
    assert colour["domain"] == ["group 1 · before step()", "group 2 · before step()",
                                "group 1 · after step() (the course)",
                                "group 2 · after step() (the course)"]
    assert colour["range"][0] == colour["range"][2] != colour["range"][1] == colour["range"][3]
    assert dash["range"][0] == dash["range"][1] != dash["range"][2] == dash["range"][3]
    at.selectbox(key="schedules_scale").set_value("linear").run()
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["encoding"]["y"].get("scale", {}).get("type") != "log"


# ---- Links made before the keys were derived, and a throwaway setting (issue 23) ----------------

def test_old_links_open_the_same_views(open_link):
    """The applied tab's landscape and its rate had hand-made keys (schedules_land,
    schedules_land_lr): a link made then opens the same view, nothing reported unusable."""
    link = open_link(PAGE, {"schedules_tab": "applied", "schedules_land": "himmelblau",
                            "schedules_land_lr": "0.002"})
    assert link.selectbox(key="schedules_landscape").value == "himmelblau"
    assert link.number_input(key="schedules_landscape_lr").value == 0.002
    assert not link.warning and not link.error
    config, _ = applied.validate(applied.ApplyConfig(landscape="himmelblau", landscape_lr=0.002))
    last = applied.run(config).landscape.groupby("run", sort=False).tail(1)["loss"].tolist()
    summary = next(d.value for d in link.dataframe if "function" in d.value.columns)
    assert summary[summary["function"] == "Himmelblau"]["loss"].tolist() == [
        f"{v:.4g}" for v in last]


@pytest.fixture
def warmed(monkeypatch):
    """StepLR with one more setting of the registry's kind (not passed to torch: its loop reads
    it), what adding a setting to an entry looks like to the page, the link and the fuzzer."""
    entry = schedules.SCHEDULERS["StepLR"]
    extra = setting_of("change_epoch", "int", 3, passed=False)
    monkeypatch.setitem(schedules.SCHEDULERS, "StepLR",
                        replace(entry, settings=entry.settings + (extra,)))
    return extra


def test_a_throwaway_scheduler_setting_is_drawn_linked_and_checked(open_link, warmed):
    link = open_link(PAGE, {"schedules_StepLR_change_epoch": "7"})
    assert link.number_input(key="schedules_StepLR_change_epoch").value == 7
    assert "change_epoch: 7" not in text_of(link) and not link.warning
    link.number_input(key="schedules_StepLR_change_epoch").set_value(5000).run()
    # named as its control is labelled
    assert "change_epoch: 5000 is outside 0 to 1000; using 1000." in text_of(link)
    assert "StepLR.change_epoch" not in text_of(link)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hypothesis_st.data())
def test_a_throwaway_scheduler_setting_survives_the_fuzzer(data):
    entry = schedules.SCHEDULERS["StepLR"]
    extra = setting_of("change_epoch", "int", 3, passed=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(schedules.SCHEDULERS, "StepLR",
                      replace(entry, settings=entry.settings + (extra,)))
        at = opened(PAGE, {})
        assert at.number_input(key="schedules_StepLR_change_epoch").value == 3
        fuzz(at, data)
