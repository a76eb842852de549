"""Every page as a desktop user first sees it, at 1280 x 720, in English and Chinese, in normal and
presenter mode: the controls and the first chart without scrolling, no label or choice cut off,
no number broken over two lines, and Chinese drawn by the font the app ships (static/,
tools/build_font.py), not by whatever the machine has installed. In presenter mode the sidebar
is folded away and no chart text is smaller than the projector needs; tables grow with the type;
every chart opens full-screen; the A key pins. Screenshots:
tests/e2e/screenshots/layout_<page>_<lang>_<mode>.png."""

from __future__ import annotations

import pytest

from harness.browser import Tab
from harness.pages import app_pages

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 1280, 720
FAMILY = "Noto Sans SC Subset"  # .streamlit/config.toml's [[theme.fontFaces]]
CHINESE = "[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]"  # a JavaScript character class
VIEWS = [(page.url_path, lang, mode) for page in app_pages() for lang in ("en", "zh")
         for mode in ("normal", "presenter")]

# Until every chart on view has drawn (SVG or canvas; not those folded in an expander) and no
# element is still a loading placeholder.
DRAWN = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
                   .every(chart => chart.querySelector("svg, canvas") || !chart.checkVisibility())
                 && !document.querySelector("[data-testid='stSkeleton']")"""

LAYOUT = """() => {
  const top = selector => {  // of the first one on view (not folded in an expander or a tab)
    const found = [...document.querySelectorAll(`[data-testid='stMain'] ${selector}`)]
      .find(el => el.checkVisibility());
    return found ? found.getBoundingClientRect().top : null;
  };
  // Text cut off with an ellipsis (labels, buttons, metrics, navigation), choices wider than
  // their select box (an <input>, which cannot wrap), and tabs scrolled out of their row.
  const cut = [];
  for (const el of document.querySelectorAll("[data-testid='stAppViewContainer'] *")) {
    const style = getComputedStyle(el);
    if (style.textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth + 1
        && el.getBoundingClientRect().width > 0 && el.innerText.trim())
      cut.push(el.innerText.trim());
  }
  for (const input of document.querySelectorAll("[data-testid='stSelectbox'] input"))
    if (input.getBoundingClientRect().right > 0 && input.scrollWidth > input.clientWidth + 1)
      cut.push(input.value);  // (a folded sidebar's lie left of the screen)
  for (const tabs of document.querySelectorAll("[role='tablist']"))
    if (tabs.scrollWidth > tabs.clientWidth + 1) cut.push(tabs.innerText);
  // A metric's value on more than one line ("1.71e-" over "15"), or wider than its metric.
  const broken = [];
  for (const value of document.querySelectorAll("[data-testid='stMetricValue']")) {
    const range = document.createRange();
    range.selectNodeContents(value);
    const lines = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
    const right = value.closest("[data-testid='stMetric']").getBoundingClientRect().right;
    if (lines.size > 1 || range.getBoundingClientRect().right > right + 1)
      broken.push(value.innerText);
  }
  const sidebar = document.querySelector("[data-testid='stSidebar']");
  // the first chart, or the first picture (the lab's decision surface is one)
  return {chart: top(":is([data-testid='stVegaLiteChart'], [data-testid='stImage'])"),
          widget: top(":is([data-testid='stNumberInput'], [data-testid='stSelectbox'],"
                      + " [data-testid='stSlider'], [data-testid='stRadio'])"),
          cut, broken, sidebar: sidebar.getBoundingClientRect().width};
}"""
# The font sizes of every chart's text on view, in pixels.
CHART_TEXT = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart'] svg text")]
  .filter(text => text.textContent.trim() && text.checkVisibility())
  .map(text => parseFloat(getComputedStyle(text).fontSize))"""
SMALLEST_PRESENTED = 14  # px: chart text in presenter mode (Vega-Lite's own default is 11)


@pytest.fixture(scope="module")
def desktop(browser, server):
    """One 1280 x 720 tab for the whole module (one server, one browser page)."""
    tab = Tab(browser, WIDTH, HEIGHT)
    yield tab
    tab.page.close()


def open_view(tab: Tab, url: str, path: str, lang: str, mode: str) -> None:
    query = f"?lang={lang}" + ("&present=true" if mode == "presenter" else "")
    tab.open(f"{url}/{path}{query}")
    tab.page.wait_for_function(DRAWN, timeout=30_000)
    tab.page.evaluate("document.fonts.ready")
    tab.page.wait_for_timeout(300)  # the charts' own layout after the fonts arrive


@pytest.mark.parametrize(("path", "lang", "mode"), VIEWS,
                         ids=[f"{path or 'home'}-{lang}-{mode}" for path, lang, mode in VIEWS])
def test_first_screen(server, desktop, path, lang, mode):
    open_view(desktop, server.url, path, lang, mode)
    page = desktop.page
    desktop.screenshot(f"layout_{path or 'home'}_{lang}_{mode}")
    layout = page.evaluate(LAYOUT)
    assert page.locator("[data-testid='stException']").count() == 0
    if path:  # a lesson: its first control is on the first screen
        assert layout["widget"] is not None and layout["widget"] < HEIGHT - 60, layout
    if layout["chart"] is not None:  # at least 200 px of the first chart, not only its top edge
        assert layout["chart"] + 200 <= HEIGHT, layout
    else:
        assert path == ""  # every lesson draws a chart on opening
    assert layout["cut"] == []
    assert layout["broken"] == []
    if mode == "presenter":
        assert layout["sidebar"] == 0, layout  # folded away, the lesson has the whole width
        assert min(page.evaluate(CHART_TEXT), default=SMALLEST_PRESENTED) >= SMALLEST_PRESENTED
    assert desktop.external_requests() == []
    if lang == "zh":
        assert_chinese_uses_the_shipped_font(desktop, charts=path != "")
    assert cut_choices(page) == []


def cut_choices(page) -> list[str]:
    """The choices that a selectbox's opened list cuts off (opening it does not rerun); those
    folded in an expander aside."""
    cut = []
    boxes = page.locator("[data-testid='stMain'] [data-testid='stSelectbox'] input")
    for index in range(boxes.count()):
        if not boxes.nth(index).is_visible():
            continue
        boxes.nth(index).scroll_into_view_if_needed()  # a click that scrolls closes the list
        page.wait_for_timeout(200)
        boxes.nth(index).click()
        page.wait_for_selector("[role='option']")
        cut += page.evaluate("""() => [...document.querySelectorAll("[role='option'] *")]
            .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.innerText)""")
        page.keyboard.press("Escape")
        page.wait_for_selector("[role='option']", state="detached")
    return cut


def assert_chinese_uses_the_shipped_font(tab, charts: bool) -> None:
    """The title is drawn by the shipped font (what Chromium itself says it drew the text with,
    not just the CSS), the font loaded, and every chart's Chinese text names it (charts: the
    page draws charts with Chinese text, and at least one is found)."""
    page = tab.page
    assert page.evaluate(f"document.fonts.check('16px \"{FAMILY}\"', '损失')")
    loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded')"
                           ".map(f => f.family.replaceAll('\"', ''))")
    assert FAMILY in loaded
    drawn_by = tab.fonts_drawing("[data-testid='stMain'] h1")
    assert "Noto Sans CJK SC" in drawn_by, drawn_by  # the name inside the shipped file
    assert drawn_by["Noto Sans CJK SC"]["isCustomFont"], drawn_by  # a web font, not the system's
    chart_fonts = page.evaluate(f"""() => [...document.querySelectorAll(
        "[data-testid='stVegaLiteChart'] svg text")]
        .filter(text => /{CHINESE}/.test(text.textContent))
        .map(text => getComputedStyle(text).fontFamily)""")
    assert chart_fonts or not charts, "no Chinese text found in the page's charts"
    assert all(FAMILY in family for family in chart_fonts), set(chart_fonts)


# Every control of the lesson's first column (its controls) with its bottom edge on screen.
CONTROLS = """() => {
  const column = document.querySelector("[data-testid='stMain'] [data-testid='stColumn']");
  return [...column.querySelectorAll(":is([data-testid='stNumberInput'],"
      + " [data-testid='stSelectbox'], [data-testid='stButton'], [data-testid='stSlider'])")]
    .filter(el => el.checkVisibility())
    .map(el => [el.innerText.split("\\n")[0], el.getBoundingClientRect().bottom]);
}"""
EVERY_CONTROL = [("explosion", lang, mode) for lang in ("en", "zh")
                 for mode in ("normal", "presenter")]


@pytest.mark.parametrize(("path", "lang", "mode"), EVERY_CONTROL,
                         ids=[f"{path}-{lang}-{mode}" for path, lang, mode in EVERY_CONTROL])
def test_every_control_on_the_first_screen(server, desktop, path, lang, mode):
    """The explosion lesson's controls all fit the first screen, the way back to the course's
    example among them (it, and in presenter mode the activation and seed, were below it)."""
    open_view(desktop, server.url, path, lang, mode)
    controls = desktop.page.evaluate(CONTROLS)
    assert len(controls) >= 8, controls  # course example, std and its two values, activation,
    # depth, batch, width, seed
    assert [label for label, bottom in controls if bottom > HEIGHT] == [], controls


# The height of the first table's rows, header included (Streamlit's grid draws its text on a
# canvas; its rows grow with the type, the text with them).
TABLE_HEIGHT = """() => document.querySelector(
  "[data-testid='stMain'] [data-testid='stDataFrame'] .dvn-scroller").firstElementChild
  .getBoundingClientRect().height"""


def test_tables_grow_with_presenter_modes_type(server, desktop):
    """The initialisation lesson's table of every cell (its first table) in both modes."""
    heights = {}
    for mode in ("normal", "presenter"):
        open_view(desktop, server.url, "init", "en", mode)
        heights[mode] = desktop.page.evaluate(TABLE_HEIGHT)
    assert heights["presenter"] >= 1.2 * heights["normal"], heights


FULL_SCREEN = "[data-testid='stElementToolbar'] button[aria-label='Fullscreen']"
LESSON_PAGES = [page.url_path for page in app_pages() if page.url_path]


@pytest.mark.parametrize("path", LESSON_PAGES)
def test_every_chart_on_view_opens_full_screen_in_presenter_mode(server, desktop, path):
    """Each chart of the lesson's first view: its toolbar's full-screen button (shown on hover)
    draws it across the projector's whole width, and Escape puts it back as it was. A chart of
    panels side by side (a facet, which Vega-Lite draws at its panels' own width, never the
    container's) is drawn at the same width in full screen: no narrower."""
    open_view(desktop, server.url, path, "en", "presenter")
    page = desktop.page
    charts = page.locator("[data-testid='stMain'] [data-testid='stVegaLiteChart']")
    shown = [i for i in range(charts.count()) if charts.nth(i).is_visible()]
    assert shown, "no chart on view"
    for index in shown:
        chart = charts.nth(index)
        # mid-screen: its toolbar, above its top edge, on screen too
        chart.evaluate("chart => chart.scrollIntoView({block: 'center'})")
        width = chart.evaluate(f"chart => {DRAWN_WIDTH}")
        faceted = chart.evaluate("chart => !!chart.querySelector('svg g.role-column-header')")
        chart.hover()
        chart.locator("xpath=ancestor::div[@data-testid='stElementContainer'][1]").locator(
            FULL_SCREEN).click()
        page.wait_for_function(f"chart => {DRAWN_WIDTH} >= {width if faceted else 0.9 * WIDTH}",
                               arg=chart.element_handle())
        page.keyboard.press("Escape")
        page.wait_for_function(f"chart => {DRAWN_WIDTH} <= {width + 1}",
                               arg=chart.element_handle())


# How wide a chart's drawing is (its SVG, which Vega may draw anew as the chart resizes).
DRAWN_WIDTH = "chart.querySelector('svg').getBoundingClientRect().width"


PINNED = "[data-testid='stMain'] .st-key-explosion_unpin"


def test_the_a_key_pins_and_unpins_but_not_inside_a_text_box(server, desktop):
    open_view(desktop, server.url, "explosion", "en", "presenter")
    page = desktop.page
    page.get_by_label("Seed of the network", exact=True).press("a")  # typed into the seed box
    desktop.wait()
    assert page.locator(PINNED).count() == 0
    page.locator("[data-testid='stMain'] h1").click()  # the page, not a text box, has focus
    page.keyboard.press("a")
    page.wait_for_selector(PINNED, timeout=30_000)
    desktop.expect_text("A and B have the same settings.")
    page.keyboard.press("a")
    page.wait_for_selector(PINNED, state="detached", timeout=30_000)
    assert "explosion_pin" not in page.url
