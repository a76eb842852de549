"""Every page opened by its own URL on a freshly started server, in a real browser."""

import time
from pathlib import Path

import pytest

from harness.browser import Tab
from harness.server import Server
from harness.warm import WARMED
from lessons import LESSONS

pytestmark = pytest.mark.e2e

# url path -> (text that proves the page itself rendered, how many charts it draws at least)
PAGES = {
    "": ("How neural networks train, on real PyTorch", 0),
    "explosion": ("layer:0, std:16.0981502532959", 2),
    "init": ("Weight initialisation for each activation", 2),
    "loss": ("All 8 checks agree with torch", 1),
    "optim": ("6 converge (solid), 4 converge while oscillating", 2),
    "schedules": ("StepLR", 1),
    "inside": ("loss/train", 1),
    "regularisation": ("The course's weight decay example (lesson 24)", 2),
    "normalisation": ("iteration:0, running mean: tensor([0.3000, 0.6000", 1),
    "lab": ("Training lab", 1),
    "terrain": ("Sharpness against the stability line", 2),
}


def test_every_page_is_covered():
    assert list(PAGES) == ["", *LESSONS]


@pytest.mark.parametrize("path", list(PAGES))
def test_deep_link_on_a_fresh_server(fresh_server, tab, path):
    expected_text, charts = PAGES[path]
    tab.open(f"{fresh_server.url}/{path}")
    page = tab.page
    assert tab.rendered_charts(charts) >= charts
    assert page.locator("[data-testid='stException']").count() == 0
    tab.expect_text(expected_text)
    # the app's own shell ran (not Streamlit's legacy page list): its sidebar controls are there
    assert page.locator("[data-testid='stSidebar']").get_by_text("Presenter mode").count() == 1
    assert tab.external_requests() == []
    tab.screenshot(path or "home")


def test_explosion_std_preset_redraws_the_chart(server, tab):
    tab.open(f"{server.url}/explosion")
    tab.page.get_by_role("button", name="std = sqrt(1/n)").click()
    tab.wait()
    main = tab.expect_text("Stable")
    assert "output is nan" not in main.split("Show the PyTorch code")[0]
    assert "Stable" in main
    assert "explosion_init_std=0.0625" in tab.page.url  # the view is a link
    tab.screenshot("explosion_stable")


def test_explosion_table_downloads_as_csv(server, tab):
    """The CSV is written on the click (deferred), and holds the course's numbers."""
    tab.open(f"{server.url}/explosion")
    tab.page.get_by_role("tab", name="The numbers, layer by layer").click()
    with tab.page.expect_download() as download:
        tab.page.get_by_test_id("stDownloadButton").get_by_role("button").click()
    assert download.value.suggested_filename == "explosion_layers.csv"
    lines = Path(download.value.path()).read_text().splitlines()
    header = lines[0].split(",")
    first = dict(zip(header, lines[1].split(","), strict=True))
    assert float(first["std"]) == pytest.approx(16.0981502532959, rel=1e-12)
    assert len(lines) == 1 + 100  # a header, then one row per layer


def test_a_plain_server_warms_every_lesson_after_its_first_page(browser, tmp_path):
    """`streamlit run app.py` runs no app code until a browser opens a page; after the first page
    the app opens every lesson itself, in the background, and says so on stderr (bench.cold_start
    times it, and the first visits after it)."""
    log = tmp_path / "server.log"
    server = Server(log=log, warm_up=True)
    try:
        tab = Tab(browser)
        tab.open(server.url)
        tab.expect_text("How neural networks train")
        deadline = time.monotonic() + 180
        while WARMED not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert WARMED in log.read_text(), log.read_text()[-2000:]
        line = next(line for line in log.read_text().splitlines() if WARMED in line)
        assert "exceptions" not in line, line
        assert "warm-up stopped" not in log.read_text()
        tab.page.close()
    finally:
        server.stop()
