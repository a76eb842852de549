"""The loss page in a real browser: typing into the canvas grid of st.data_editor, a letter that
gets its message, and every course preset (screenshots for a person to look at)."""

from urllib.parse import quote

import pytest
import torch
import torch.nn as nn

from core import losses

pytestmark = pytest.mark.e2e

ROW, HEADER = 35, 35  # st.data_editor's row and header heights, in pixels


def type_into_cell(tab, table: int, row: int, text: str) -> None:
    """st.data_editor draws on a canvas: double-click the cell (last column of row) to open its
    overlay editor (a textarea.gdg-input), replace the text, press Enter. (A single click and
    typing drops the first key.)"""
    grid = tab.page.locator("[data-testid='stDataFrame']").nth(table)
    box = grid.bounding_box()
    tab.page.mouse.dblclick(box["x"] + box["width"] - 25, box["y"] + HEADER + ROW * row + ROW / 2)
    cell = tab.page.locator("textarea.gdg-input")
    cell.wait_for(timeout=10_000)
    cell.fill(text)
    cell.press("Enter")
    cell.wait_for(state="detached", timeout=10_000)
    tab.wait()


def test_typing_into_a_cell_changes_the_loss_as_torch_says(server, tab):
    tab.open(f"{server.url}/loss")
    tab.expect_text("0.5224")  # the course's mean
    type_into_cell(tab, 0, 1, "-2")
    expected = nn.CrossEntropyLoss()(torch.tensor([[1.0, 2.0], [1.0, -2.0], [1.0, 3.0]]),
                                     torch.tensor([0, 1, 1]))
    tab.expect_text(f"{expected.item():.4f}")
    tab.page.wait_for_timeout(1500)  # let the chart redraw its points before the screenshot
    tab.screenshot("loss_typed")

    type_into_cell(tab, 0, 2, "x")  # a letter: the text cell keeps it, core names the cell
    tab.expect_text("inputs, row 2, column 1: “x” is not a number.")
    assert tab.page.locator("[data-testid='stException']").count() == 0
    tab.screenshot("loss_bad_cell")
    type_into_cell(tab, 0, 2, "3")
    tab.expect_text(f"{expected.item():.4f}")  # the earlier edit survived


@pytest.mark.parametrize("preset", list(losses.presets()))
def test_each_course_preset_by_link(server, tab, preset):
    tab.open(f"{server.url}/loss?loss_preset={quote(preset)}")
    tab.rendered_charts(1)
    mean = losses.run(losses.from_preset(preset)).losses["mean"]
    text = tab.expect_text(f"{mean:.4f}")  # the preset's own numbers, once its rerun is done
    assert "checks agree with torch" in text
    assert tab.page.locator("[data-testid='stException']").count() == 0
    assert "is not valid and was ignored" not in text
    tab.screenshot("loss_" + preset.split(",")[0].replace("(", "_").replace(")", "")
                   + ("_pos" if "pos_weight" in preset else "_w" if "weight" in preset else ""))


def test_typed_tables_by_link(server, tab):
    tables = losses.encode({"inputs": (("1", "2"), ("1", "7"), ("1", "3")),
                            "target": (("0",), ("1",), ("1",))})
    tab.open(f"{server.url}/loss?loss_tables={quote(tables)}")
    expected = nn.CrossEntropyLoss()(torch.tensor([[1.0, 2.0], [1.0, 7.0], [1.0, 3.0]]),
                                     torch.tensor([0, 1, 1]))
    text = tab.expect_text(f"{expected.item():.4f}")
    assert "is not valid and was ignored" not in text


def test_presenter_mode(server, tab):
    smooth = quote("SmoothL1Loss, errors in [-3, 3]")
    tab.open(f"{server.url}/loss?present=true&loss_preset={smooth}")
    tab.rendered_charts(1)
    tab.screenshot("loss_present_smoothl1")
    tab.open(f"{server.url}/loss?present=true&lang=zh")
    tab.rendered_charts(1)
    tab.screenshot("loss_present_zh")


def test_chinese(server, tab):
    tab.open(f"{server.url}/loss?lang=zh")
    tab.rendered_charts(1)
    tab.expect_text("损失函数，一步一步")
    tab.screenshot("loss_zh")


def test_picking_an_example_and_comparing_in_the_browser(server, tab):
    """The playground is one st.fragment: picking an example reruns it alone, and its tables,
    options and numbers follow."""
    tab.open(f"{server.url}/loss")
    tab.page.locator("[data-testid=stSelectbox]").filter(has_text="Course example").click()
    tab.page.get_by_role("option", name="MultiLabelMarginLoss").click()
    tab.wait()
    mean = losses.run(losses.from_preset("MultiLabelMarginLoss")).losses["mean"]
    tab.expect_text(f"{mean:.4f}")  # the course's 0.85
    tab.screenshot("loss_multilabel_margin")
    tab.open(f"{server.url}/loss?loss_preset={quote('HuberLoss, errors in [-3, 3]')}")
    tab.open_tab("Compare losses")
    text = tab.expect_text("SmoothL1Loss")
    assert "MSELoss" in text and "L1Loss" in text
    tab.page.get_by_role("tab", name="Compare losses").scroll_into_view_if_needed()
    tab.page.wait_for_timeout(1500)
    tab.screenshot("loss_compare")
