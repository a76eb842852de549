"""The lesson "inside a training run" through AppTest: each tab's numbers and sentences are the
runs' own, the shown scripts print them, out-of-range values are clamped with a notice, A/B pins,
and every tab in Chinese."""

import pandas as pd
import pytest
from streamlit import dataframe_util

from core.inside import freeze, hooks, runs
from core.lab import checkpoint
from harness.scripts import printed_lines
from tests.core.test_checkpoint import losses
from tests.pages.conftest import plain

PAGE = "lessons/inside.py"


def tab(open_link, name: str, lang: str = "en", **params):
    return open_link(PAGE, {"inside_tab": name, "lang": lang, **params})


def shown(at) -> str:
    """The page's sentences as read (markdown's bold marks left out)."""
    return " ".join(plain(m.value).replace("**", "")
                    for m in [*at.markdown, *at.warning, *at.success, *at.info])


@pytest.mark.parametrize("name", ["tensorboard", "hooks", "resume", "freeze"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_tab_opens(open_link, name, lang):
    at = tab(open_link, name, lang)
    assert not at.exception and not at.error


def test_hooks_print_the_course_and_the_script_prints_the_page(open_link):
    at = tab(open_link, "hooks")
    console = at.code[0].value
    assert console.startswith("gradient: tensor([5.]) tensor([2.]) None None None\n"
                              "a_grad[0]:  tensor([2.])\nw.grad:  tensor([30.])")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["w.grad with the hook"] == "30"
    script = next(c.value for c in at.code if c.value.startswith("import torch"))
    assert "\n".join(printed_lines(script)) == console
    assert "grad_input = (input: None)" in shown(at)


def test_the_hook_factors_change_the_gradient(open_link):
    at = tab(open_link, "hooks", inside_times="-0.5", inside_returns="4",
             inside_backward="deprecated")
    assert {m.label: m.value for m in at.metric}["w.grad with the hook"] == "-10"
    assert "grad_input = (input: None, weight, bias)" in shown(at)
    assert any("non-full backward hook" in plain(i.value) for i in at.info)


def chart_rows(at, index: int = 0) -> pd.DataFrame:
    """The rows a chart was sent (its largest dataset: the rules carry one row each)."""
    datasets = at.get("vega_lite_chart")[index].proto.datasets
    return max((dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in datasets),
               key=len)


def resume_losses(at, run: str) -> dict[int, float]:
    rows = chart_rows(at)
    rows = rows[rows["run"] == run]
    return dict(zip(rows["epoch"], rows["value"], strict=True))


def test_resume_opens_on_the_courses_resume_and_says_what_the_runs_say(open_link):
    at = tab(open_link, "resume")
    result = checkpoint.resume(runs.COURSE_RESUME.run.lab(), 10, 5, checkpoint.COURSE)
    assert result.parted == 6
    text = shown(at)
    assert "parts from the uninterrupted one in epoch 6" in text
    assert "The batch order differs" in text and "epoch 7 trains at 0.01" in text
    script = next(c.value for c in at.code if c.value.startswith("import io"))
    printed = losses(printed_lines(script))
    assert resume_losses(at, "resumed from the checkpoint") == \
        {epoch: printed[epoch][0] for epoch in range(5, 11)}
    assert [d.proto.label for d in at.get("download_button")] == \
        ["Download this checkpoint (.pt)"]


def test_restore_everything_gives_the_same_run_bit_for_bit(open_link):
    at = tab(open_link, "resume")
    at.button(key="inside_resume_everything").click().run()
    assert at.toggle(key="inside_random_state").value is True
    assert at.selectbox(key="inside_scheduler").value == "state_dict"
    assert "the uninterrupted one bit for bit" in shown(at)
    whole = resume_losses(at, "uninterrupted run")
    assert list(whole) == list(range(11))
    assert resume_losses(at, "resumed from the checkpoint") == \
        {epoch: whole[epoch] for epoch in range(5, 11)}


def test_out_of_range_epochs_are_clamped_with_a_notice_and_kept_as_typed(open_link):
    at = tab(open_link, "resume", inside_epochs="5000", inside_run_batch="1")
    warnings = " ".join(plain(w.value) for w in at.warning)
    assert "epochs: 5000 is outside 1 to 200; using 200." in warnings
    assert "optimiser steps than one view trains" in warnings
    assert at.number_input(key="inside_epochs").value == 5000


def test_a_pinned_resume_draws_both_views(open_link):
    at = tab(open_link, "resume")
    at.button(key="inside_resume_pin_button").click().run()
    at.toggle(key="inside_random_state").set_value(True).run()
    assert "B differs from A in Restore the random state: False → True" in shown(at)
    assert set(chart_rows(at)["view"]) == {"A (pinned)", "B (now)"}


def test_tensorboard_tab_reads_its_own_log(open_link):
    at = tab(open_link, "tensorboard", inside_epochs="6")
    assert "17 tags over 6 epochs: 35 scalars" in shown(at)
    script = next(c.value for c in at.code if "SummaryWriter" in c.value)
    assert 'writer = SummaryWriter("runs/lab")' in script


def test_freeze_tab_says_what_its_table_says(open_link):
    at = tab(open_link, "freeze")
    text = shown(at)
    assert "requires_grad = False: its weights did not move at all (largest change 0)" in text
    assert "Moved with lr = 0: Rprop;" in text
    moves = freeze.moves(freeze.FreezeConfig())
    late = moves[(moves["way"] == "frozen_late") & moves["tensor"].isin(freeze.FROZEN)]
    assert f"moved by up to {late['moved'].max():.3g}, though frozen" in text
    script = next(c.value for c in at.code if "def run(way)" in c.value)
    assert printed_lines(script) == [f"{w} {n} {m!r}" for w, n, m in
                                     zip(moves["way"], moves["tensor"], moves["moved"],
                                         strict=True)]
    assert "After 15 epochs the test loss is" in text


def test_hook_factors_are_clamped(open_link):
    at = tab(open_link, "hooks")
    at.number_input(key="inside_times").set_value(1e9).run()
    assert any(f"times: 1000000000.0 is outside -1000000.0 to {hooks.FACTOR}" in plain(w.value)
               for w in at.warning), [w.value for w in at.warning]
    assert at.number_input(key="inside_times").value == 1e9
