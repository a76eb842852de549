"""The regularisation page through AppTest: the course's printouts one click from the start, the
run's buttons, pin and compare, the scaling and decay tabs, links, clamping and Chinese; every
shown script run and its numbers compared with the page's."""

import re
from dataclasses import replace

from core.regularisation import decay, fit, scaling
from harness.scripts import printed_lines
from tests.core.test_regularisation import course_run
from tests.pages.conftest import plain

PAGE = "lessons/regularisation.py"
FIT = "regularisation_fit"


def console(at) -> list[str]:
    """The console's lines (the first code block; the last is the script)."""
    return at.code[0].value.splitlines()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_course_printout_is_one_click_from_the_start(open_page):
    at = open_page(PAGE)
    assert metrics(at)["iteration"] == "0"
    at.button(key=f"{FIT}_end").click().run()
    assert not at.exception
    assert metrics(at)["iteration"] == "2000"
    course = course_run(fit.WEIGHT_DECAY_EXAMPLE)  # the course's own code, here
    expected = []
    for iteration, plain_loss, decayed, *_ in course:
        expected += [f"Epoch: {iteration}", f"no weight decay loss={plain_loss:.6f}",
                     f"weight decay loss={decayed:.6f}"]
    assert console(at) == expected
    # the verdict is the run's own numbers
    last = course[-1]
    verdict = " ".join(i.value for i in at.info)
    assert f"training loss {last[1]:.3g} and test loss {last[3]:.3g}" in verdict
    assert f"a lower test loss, {last[4]:.3g}" in verdict


def test_the_shown_script_prints_the_pages_numbers(open_page):
    at = open_page(PAGE)
    at.number_input(key=f"{FIT}_iterations").set_value(600).run()
    at.button(key=f"{FIT}_end").click().run()
    printed = printed_lines(at.code[-1].value)
    shown = console(at)
    table = at.dataframe[0].value  # the display steps, in the explanation tab
    assert [line for line in printed if not line.startswith("test:")] == shown
    tests = [line for line in printed if line.startswith("test:")]
    assert tests == [f"test: no weight decay loss={row.test_plain:.6f}, "
                     f"weight decay loss={row.test_regularised:.6f}"
                     for row in table.itertuples()]


def test_the_dropout_example_and_the_step_button(open_page):
    at = open_page(PAGE)
    at.button(key=f"{FIT}_course_lesson_25").click().run()
    assert at.number_input(key=f"{FIT}_dropout").value == 0.5
    assert at.number_input(key=f"{FIT}_weight_decay").value == 0.0
    assert at.number_input(key=f"{FIT}_every").value == 400
    at.button(key=f"{FIT}_step").click().run()
    assert metrics(at)["iteration"] == "400"
    course = course_run(replace(fit.DROPOUT_EXAMPLE, iterations=400))
    assert console(at) == ["Epoch: 400", f"d_prob_0 loss={course[0][1]:.6f}",
                           f"d_prob_05 loss={course[0][2]:.6f}"]
    at.button(key=f"{FIT}_step").click().run()
    assert metrics(at)["iteration"] == "800"
    at.button(key=f"{FIT}_reset").click().run()
    assert metrics(at)["iteration"] == "0"
    assert console(at) == ["No display step yet: the course shows its losses every 400 "
                           "iterations."]


def test_play_trains_and_pause_keeps_the_run(open_page):
    at = open_page(PAGE)
    at.toggle(key=f"{FIT}_play").set_value(True).run()  # AppTest runs the fragment with the page
    assert not at.exception
    playing = int(metrics(at)["iteration"])
    assert playing > 0
    at.toggle(key=f"{FIT}_play").set_value(False).run()
    assert int(metrics(at)["iteration"]) == playing
    at.toggle(key=f"{FIT}_play").set_value(True).run()
    at.button(key=f"{FIT}_step").click().run()  # a step pauses a playing run
    assert not at.toggle(key=f"{FIT}_play").value


def test_playing_to_the_end_pauses(open_page):
    at = open_page(PAGE)
    at.number_input(key=f"{FIT}_iterations").set_value(3).run()
    at.toggle(key=f"{FIT}_play").set_value(True).run()
    assert not at.exception
    assert metrics(at)["iteration"] == "3"
    assert not at.toggle(key=f"{FIT}_play").value


def test_pin_then_change_trains_both_and_compares(open_page):
    at = open_page(PAGE)
    at.number_input(key=f"{FIT}_iterations").set_value(400).run()
    at.button(key=f"{FIT}_pin_button").click().run()
    at.number_input(key=f"{FIT}_weight_decay").set_value(0.1).run()
    differs = "B differs from A in Weight decay λ (the second network): 0.01 → 0.1."
    assert differs in [m.value for m in at.markdown]
    at.button(key=f"{FIT}_end").click().run()
    a = course_run(replace(fit.WEIGHT_DECAY_EXAMPLE, iterations=400))
    b = course_run(replace(fit.WEIGHT_DECAY_EXAMPLE, iterations=400, weight_decay=0.1))
    assert [c.value.splitlines()[-1] for c in at.code[:2]] == [
        f"weight decay loss={a[-1][2]:.6f}", f"weight decay loss={b[-1][2]:.6f}"]
    shown = {m.label: m for m in at.metric}["regularised: training loss"]
    assert (shown.value, shown.proto.delta) == (f"{b[-1][2]:.3g}", f"{b[-1][2] - a[-1][2]:+.3g}")
    verdicts = [i.value for i in at.info]
    assert any(v.startswith("A (pinned): ") for v in verdicts)
    assert any(v.startswith("B (now): ") for v in verdicts)


def test_out_of_range_values_are_clamped_and_kept_as_typed(open_page):
    at = open_page(PAGE)
    at.number_input(key=f"{FIT}_lr").set_value(1e9).run()
    assert not at.exception
    assert any("Learning rate: 1000000000.0 is outside 1e-05 to 1.0; using 1.0." in w.value
               for w in at.warning)
    assert at.number_input(key=f"{FIT}_lr").value == 1e9


def test_a_diverging_run_is_marked_not_hidden(open_page):
    at = open_page(PAGE)
    at.number_input(key=f"{FIT}_lr").set_value(1.0).run()
    at.number_input(key=f"{FIT}_iterations").set_value(40).run()
    at.button(key=f"{FIT}_end").click().run()
    assert not at.exception
    assert any("the fitted curve is not finite" in w.value for w in at.warning)


def test_a_link_opens_the_view(open_link):
    at = open_link(PAGE, {f"{FIT}_dropout": "0.3", f"{FIT}_weight_decay": "0",
                          f"{FIT}_every": "100"})
    assert at.number_input(key=f"{FIT}_dropout").value == 0.3
    at.button(key=f"{FIT}_step").click().run()
    course = course_run(replace(fit.FitConfig(), dropout=0.3, weight_decay=0.0, every=100,
                                iterations=100))
    assert console(at) == ["Epoch: 100", f"d_prob_0 loss={course[0][1]:.6f}",
                           f"d_prob_03 loss={course[0][2]:.6f}"]


def test_chinese(open_page):
    at = open_page(PAGE, lang="zh")
    assert at.title[0].value == "正则化：权值衰减与 Dropout"
    assert at.button(key=f"{FIT}_course_lesson_24").label == "课程中的权值衰减例子（第 24 课）"


# ---- Dropout's scaling ---------------------------------------------------------------------

def test_the_scaling_tab_writes_the_arithmetic_out(open_link):
    at = open_link(PAGE, {"regularisation_tab": "scaling"})
    result = scaling.run(scaling.ScalingConfig())
    assert metrics(at) == {"output in train()": f"{result.train_output:,.6g}",
                           "output in eval()": "10,000", "inputs kept": f"{result.kept:,}"}
    text = plain(" ".join(m.value for m in at.markdown))
    assert f"{result.kept:,} × 2 = {result.train_output:,.6f}" in text
    assert printed_lines(at.code[-1].value) == at.code[0].value.splitlines() == [
        f"output in training mode tensor([{result.train_output:.0f}.], "
        "grad_fn=<ReluBackward0>)",
        "output in eval mode tensor([10000.], grad_fn=<ReluBackward0>)"]
    chart = at.get("vega_lite_chart")[0]
    assert "200 forwards" in chart.proto.spec


def test_the_scaling_tab_compares_two_rates(open_link):
    at = open_link(PAGE, {"regularisation_tab": "scaling"})
    at.button(key="regularisation_scaling_pin_button").click().run()
    at.number_input(key="regularisation_scaling_p").set_value(0.2).run()
    a = scaling.run(scaling.ScalingConfig())
    b = scaling.run(scaling.ScalingConfig(p=0.2))
    kept = {m.label: m for m in at.metric}["inputs kept"]
    assert (kept.value, kept.proto.delta) == (f"{b.kept:,}", f"{b.kept - a.kept:+,.6g}")
    assert len(at.code) == 3  # A's printout, B's, the script
    p = 0.2
    result = scaling.run(scaling.ScalingConfig(p=p))
    assert at.code[1].value.splitlines() == printed_lines(scaling.to_script(
        scaling.ScalingConfig(p=p)))
    assert result.outputs[0] == result.train_output


# ---- Weight decay four ways ----------------------------------------------------------------

def test_the_decay_tab_says_what_its_numbers_show(open_link):
    at = open_link(PAGE, {"regularisation_tab": "decay", "regularisation_decay_steps": "60"})
    result = decay.run(decay.DecayConfig(steps=60))
    text = plain(" ".join(m.value for m in at.markdown))
    parted = result.pairs[2]
    assert f"parts from Adam(weight_decay=λ) at step {parted['parted_at']}" in text
    assert f"ends with ‖θ‖ = {parted['norm_b']:.4g} against {parted['norm_a']:.4g}" in text
    for row in result.pairs[:2]:
        assert ("are equal to the bit" in text) == row["bit_equal"]
    printed = printed_lines(at.code[-1].value)
    steps = result.steps.set_index(["method", "step"])
    for line in printed:
        method, step, loss, norm = re.fullmatch(
            r"(\w+) step (\d+): loss=(\S+), norm=(\S+)", line).groups()
        row = steps.loc[(method, int(step))]
        assert (float(loss), float(norm)) == (row["loss"], row["norm"])
    assert len(printed) == 5 * len(decay.shown_steps(decay.DecayConfig(steps=60)))
