"""Share links: a prepared URL reproduces a view on a fresh server; a garbage one gets notices
and a working page."""

import pytest

from core import network
from core.initializers import InitSpec

pytestmark = pytest.mark.e2e


def input_value(tab, label: str) -> str:
    return tab.page.get_by_label(label, exact=True).input_value()


def test_prepared_explosion_link_reproduces_the_view(fresh_server, tab):
    """A link made before the controls' parameters were derived from the Config (ex_std, ex_act)
    still opens the view it was made for (lessons.RENAMED_PARAMS)."""
    tab.open(f"{fresh_server.url}/explosion?ex_depth=50&ex_width=128&ex_batch=8&ex_std=0.1"
             "&ex_act=tanh&ex_seed=7")
    tab.rendered_charts(2)
    assert input_value(tab, "Depth (layers)") == "50"
    assert input_value(tab, "Width n (neurons per layer)") == "128"
    assert input_value(tab, "Weight std σ_w") == "0.10000"
    assert input_value(tab, "Seed of the network") == "7"
    expected = network.run(network.NetConfig(depth=50, width=128, batch=8, activation="tanh",
                                             init=InitSpec("normal", std=0.1), seed=7))
    tab.expect_text(expected.console[0])
    console = tab.page.locator("[data-testid='stCode']").first.inner_text()
    assert console.splitlines()[:3] == expected.console[:3]


def test_garbage_link_gets_notices_and_a_working_page(fresh_server, tab):
    tab.open(f"{fresh_server.url}/explosion?explosion_depth=abc&explosion_activation=bogus"
             "&explosion_width=-5&foo=1&explosion_seed=1e309&explosion_batch=inf")
    assert tab.rendered_charts(2) >= 2
    main = tab.expect_text("Link parameter foo")
    assert "Link parameter explosion_depth=“abc” is not valid and was ignored." in main
    assert "Link parameter explosion_activation=“bogus” is not valid and was ignored." in main
    assert "Link parameter foo=“1” is not valid and was ignored." in main
    assert "width: -5 is outside 2 to 1024; using 2." in main
    # int(float("inf")) inside Streamlit's own binding would raise: the app drops these first
    assert "Link parameter explosion_seed=“1e309” is not valid and was ignored." in main
    assert "Link parameter explosion_batch=“inf” is not valid and was ignored." in main
    assert tab.page.locator("[data-testid='stException']").count() == 0
    tab.screenshot("explosion_garbage_link")


def test_prepared_init_link_reproduces_the_view_in_chinese(fresh_server, tab):
    tab.open(f"{fresh_server.url}/init?init_act=tanh&init_scheme=xavier_gain&init_depth=50"
             "&lang=zh")
    tab.rendered_charts(2)  # the chosen cell and the matrix
    main = tab.expect_text("tanh + xavier_uniform_（激活函数的增益）")
    assert "Link parameter" not in main and "链接参数" not in main
    assert input_value(tab, "深度（层数）") == "50"
    tab.screenshot("init_link_zh")
