"""Every chart every page sends is valid Vega-Lite. The app skips Altair's validation for speed
(ui.charts.show_chart), so the check lives here, on the specs the pages really send."""

import pickle

import pandas as pd
import pytest

from core import text
from core.charts.common import title_lines
from harness.pages import app_pages
from lessons import TABS
from tests.pages.vega import chart_specs, is_valid
from ui.charts import _frame_bytes

VIEWS = [(page.script, None) for page in app_pages()] + [
    (f"lessons/{lesson}.py", tab) for lesson, tabs in TABS.items() for tab in tabs[1:]]


@pytest.mark.parametrize(("script", "tab"), VIEWS, ids=[f"{s}-{t}" for s, t in VIEWS])
@pytest.mark.parametrize("present", [False, True], ids=["normal", "presenter"])
def test_every_chart_is_valid_vega_lite(open_page, script, tab, present):
    state = {"present": present} | ({f"{script[8:-3]}_tab": tab} if tab else {})
    at = open_page(script, **state)
    specs = chart_specs(at)
    assert specs or script == "lessons/home.py"
    for spec in specs:
        assert is_valid(spec)
    assert all(spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
               for spec in specs)


def test_a_chart_is_cached_on_its_data_by_value():
    """The cache key of a chart's data (ui.charts._frame_bytes) is equal for equal frames, however
    they were made, and differs when a value, a dtype or a column name does."""
    frame = pd.DataFrame({"name": ["tanh", "relu", "tanh"], "std": [0.5, 1.0, 1e-30],
                          "healthy": [True, False, True]})
    copy = pickle.loads(pickle.dumps(frame))  # as st.cache_data returns a cached frame
    assert _frame_bytes(frame) == _frame_bytes(copy)
    assert _frame_bytes(frame) != _frame_bytes(frame.assign(std=[0.5, 1.0, 2e-30]))
    assert _frame_bytes(frame) != _frame_bytes(frame.astype({"std": "float32"}))
    assert _frame_bytes(frame) != _frame_bytes(frame.rename(columns={"std": "mean"}))
    assert _frame_bytes(frame) != _frame_bytes(frame.assign(name=["tanh", "relu", "relu"]))


def test_a_legend_has_no_more_columns_than_fit_the_chart(open_page):
    """Twelve rates with their verdicts in three columns ran past the chart's right edge, which
    cut "lr=0.2278 · converges while oscillating" to a wrong "lr=0.2278 · converges". The rates
    are a colour ramp now, one bar with no label to cut; the momentum tab's two long run labels
    are one a row in its half-width chart."""
    at = open_page("lessons/optim.py", optim_lr_lr_max=0.5, optim_lr_thresholds=True)
    colour = chart_specs(at)[0]["encoding"]["color"]
    assert colour["type"] == "quantitative" and "columns" not in colour["legend"]
    at = open_page("lessons/optim.py", optim_tab="momentum")
    legend = chart_specs(at)[1]["layer"][0]["encoding"]["color"]["legend"]
    assert legend["columns"] == 1


def test_the_lab_layer_charts_show_every_layer_and_their_whole_title(open_page):
    """Six hidden layers: seven layers in one legend column ran past the half-width chart's
    bottom, and the title was cut at its parenthesis."""
    at = open_page("lessons/lab.py", lab_hidden_layers=6)
    at.button(key="lab_step").click().run()
    titles = {"Activation std per layer": "(last batch of each epoch)",
              "Weight-gradient std per layer": "(last batch of each epoch)"}
    layer_charts = [spec for spec in chart_specs(at)
                    if isinstance(spec.get("title"), list) and spec["title"][0] in titles]
    assert [spec["title"] for spec in layer_charts] == [list(pair) for pair in titles.items()]
    assert all(spec["layer"][1]["encoding"]["color"]["legend"]["columns"] == 2
               for spec in layer_charts)
    assert title_lines(text.lookup("zh", "lab.act_std_title")) == [
        "每层激活值的标准差", "（每个 epoch 的最后一批）"]
    assert title_lines("Loss") == ["Loss"]


def test_a_run_has_one_colour_in_the_landscape_and_the_loss_per_step(open_page):
    """The loss per step drew the runs in Streamlit's own colours (dark blue, light blue, red,
    pink) beside the landscape's blue, orange, green and purple."""
    at = open_page("lessons/optim.py", optim_tab="paths")

    def label_colours(spec):
        found = {}
        for layer in spec.get("layer", []):
            colour = layer.get("encoding", {}).get("color", {})
            if colour.get("field") == "label" and "range" in colour.get("scale", {}):
                found = dict(zip(colour["scale"]["domain"], colour["scale"]["range"],
                                 strict=True))
        return found

    landscape, losses = (label_colours(spec) for spec in chart_specs(at)[:2])
    assert len(landscape) == 4 and losses == landscape
