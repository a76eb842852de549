"""The lesson "inside a training run" in a real browser: stop and resume driven by its controls,
a checkpoint downloaded and uploaded again, a bad upload refused with the view and its settings
kept, freezing, and the resumed run on a projector's first screen."""

import os
import shutil

import pytest

from harness.browser import Tab
from harness.pages import ROOT

pytestmark = pytest.mark.e2e

RESUME = "inside?inside_tab=resume"
DRAWN = """() => document.querySelectorAll("[data-testid='stVegaLiteChart'] svg").length >= 2"""


def open_resume(tab: Tab, url: str, query: str = "") -> None:
    tab.open(f"{url}/{RESUME}{query}")
    tab.page.wait_for_function(DRAWN, timeout=30_000)


def upload(tab: Tab, path) -> None:
    tab.page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
        str(path))
    tab.wait()


def test_resume_with_everything_restored_is_the_same_run(server, tab):
    open_resume(tab, server.url)
    text = tab.expect_text("The resumed run parts from the uninterrupted one in epoch 6")
    assert "The batch order differs" in text and "The learning rate differs" in text
    tab.page.get_by_role("button", name="Restore everything").click()
    tab.wait()
    text = tab.expect_text("the run is the uninterrupted one bit for bit")
    assert "parts from the uninterrupted one" not in text
    tab.page.wait_for_function(DRAWN, timeout=30_000)
    assert tab.page.locator("[data-testid='stException']").count() == 0
    assert tab.external_requests() == []


def test_a_downloaded_checkpoint_resumes_and_a_bad_one_is_refused(server, tab, tmp_path):
    open_resume(tab, server.url, "&inside_stop=4")
    with tab.page.expect_download() as download:
        tab.page.get_by_role("button", name="Download this checkpoint (.pt)").click()
    saved = tmp_path / "checkpoint_3_epoch.pt"
    download.value.save_as(saved)
    upload(tab, saved)
    tab.expect_text("Resumed from your file checkpoint_3_epoch.pt, after epoch 4")

    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(os.urandom(3000))
    upload(tab, garbage)
    text = tab.expect_text("garbage.pt: not a file torch.save writes")
    # nothing is lost: the view goes on from its own checkpoint, with the settings as they were
    assert "Resumed from your file" not in text
    tab.page.wait_for_function(DRAWN, timeout=30_000)  # both charts drawn again
    stop = tab.page.locator("[data-testid='stNumberInput'] input").first
    assert stop.input_value() == "4"
    assert tab.page.locator("[data-testid='stException']").count() == 0


def test_freezing_says_what_moved(server, tab):
    tab.open(f"{server.url}/inside?inside_tab=freeze")
    text = tab.expect_text("Moved with lr = 0: Rprop;")
    assert "requires_grad = False: its weights did not move at all" in text
    steps = tab.page.get_by_label("Steps")
    steps.fill("40")
    steps.press("Enter")
    tab.wait()
    tab.expect_text("each trained 40 steps from the same weights")
    assert tab.page.locator("[data-testid='stException']").count() == 0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_resumed_run_is_on_a_projectors_first_screen(server, browser, lang):
    tab = Tab(browser, 1280, 720)
    try:
        open_resume(tab, server.url, f"&present=true&lang={lang}")
        chart = tab.page.locator("[data-testid='stVegaLiteChart']").first.bounding_box()
        assert chart["y"] + 200 < 720, chart
        shot = tab.screenshot(f"inside_resume_{lang}_presenter")
        if lang == "en":
            open_resume(tab, server.url, f"&lang={lang}")
            shutil.copy(tab.screenshot("inside_resume_en"),
                        ROOT / "docs" / "screenshots" / "inside_resume.png")
        assert shot.exists()
    finally:
        tab.page.close()
