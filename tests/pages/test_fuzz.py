"""Fuzzing: hypothesis drives every page app.py registers, through AppTest (app.py's shell
included), with a random link (URL parameters for the page's widgets, values that parse and values
that do not, unknown parameters), random sidebar settings, then rounds of random interaction:
every widget the page drew may get a random value (numbers huge, negative, zero, tiny; any
option; any text), another tab may be opened, a button may be clicked, every table editor may get
random cell edits, added and deleted rows. After every run: no exception element and no traceback
anywhere on the page.

Widgets and editors are found at run time, so a new page is fuzzed with no change here.
FUZZ_RUNS (default 1000) is the number of fuzzed page runs over all pages: each example is one
random link plus ROUNDS random interactions."""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from harness.pages import ROOT, app_pages

PAGES = app_pages()
ROUNDS = 3
RUNS = int(os.environ.get("FUZZ_RUNS", "1000"))
EXAMPLES = math.ceil(RUNS / len(PAGES) / (1 + ROUNDS))
JS_MAX = 2**53 - 1  # the largest integer a browser's number input can send
APP = str(ROOT / "app.py")

# Mostly small sizes (each new size is a new computation, and CI time is finite), and the edges
INTS = st.one_of(st.sampled_from([0, 1, -1, 2, 10**9, -(10**9), JS_MAX, -JS_MAX]),
                 st.integers(-3, 40))
FLOATS = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, 5e-324, 1e-300, 1e300, -1e300, 1.7e308]),
                   st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False))
TEXTS = st.one_of(st.sampled_from(["", "0", "-1", "1e309", "nan", "inf", "-inf", "1,5", " 3 ",
                                   "abc", "0x10", "９", "∞", "<b>x</b>", "{x}", "%s", "\\", "'"]),
                  st.text(max_size=20))
URL_VALUES = st.one_of(TEXTS, INTS.map(str), FLOATS.map(repr),
                       st.sampled_from(["true", "false", "True", "zh", "en"]))
CELLS = {"number": st.one_of(st.none(), INTS, FLOATS), "bool": st.one_of(st.none(), st.booleans()),
         "text": st.one_of(st.none(), TEXTS, INTS.map(str), FLOATS.map(str))}


def shown(widget) -> str | None:
    """The option a selectbox or radio shows, from what the page sent."""
    proto = widget.proto
    if proto.HasField("raw_value"):
        return proto.raw_value
    return widget.options[proto.default] if proto.HasField("default") and widget.options else None


def pick(widget, option: str | None) -> None:
    """Choose an option of a selectbox or radio as the browser does: by its shown text. (AppTest's
    own set_value would need the raw value, and it runs the page's format_func outside the page's
    session, so in Chinese it looks for English option names.)"""
    state = WidgetState(id=widget.id)
    if option is not None:
        state.string_value = option
    widget.__class__ = type("Picked", (type(widget),), {"_widget_state": property(lambda _: state)})


def interact(at: AppTest, data) -> list[str]:
    """Random values into one to three of the widgets on screen (a student changes a thing or
    two between looks), maybe random edits into the table editors, maybe one button click.
    Returns what was done, for the failure message."""
    done = []
    widgets = [w for kind in ("number_input", "selectbox", "radio", "slider", "toggle",
                              "checkbox", "text_input", "text_area")
               for w in getattr(at, kind) if not w.disabled]
    for widget in widgets:
        if widget.type in ("selectbox", "radio"):
            pick(widget, shown(widget))
    chosen = data.draw(st.lists(st.sampled_from(widgets), min_size=1, max_size=3,
                                unique_by=id)) if widgets else []
    for widget in chosen:
        kind, proto = widget.type, widget.proto
        if kind == "number_input":
            value = data.draw(INTS if proto.data_type == proto.INT else FLOATS)
            value = min(value, proto.max) if proto.has_max else value  # a browser cannot exceed
            value = max(value, proto.min) if proto.has_min else value
            widget.set_value(value)
        elif kind in ("selectbox", "radio") and widget.options:
            value = data.draw(st.sampled_from(widget.options))
            pick(widget, value)
        elif kind == "slider" and isinstance(widget.value, (int, float)):
            number = st.integers if isinstance(widget.value, int) else st.floats
            value = data.draw(number(type(widget.value)(proto.min), type(widget.value)(proto.max)))
            widget.set_value(value)
        elif kind in ("toggle", "checkbox"):
            value = data.draw(st.booleans())
            widget.set_value(value)
        elif kind in ("text_input", "text_area"):
            value = data.draw(TEXTS)
            widget.set_value(value)
        else:
            continue
        done.append(f"{widget.key}={value!r}")
    for editor in at.data_editor:
        if editor.key and not editor.proto.disabled and data.draw(st.booleans()):
            edits = data.draw(editor_edits(editor))
            at.session_state[editor.key] = edits
            done.append(f"{editor.key} <- {edits}")
    for key, labels in stateful_tabs(at):  # a student opens another tab
        if data.draw(st.booleans()):
            at.session_state[key] = data.draw(st.sampled_from(labels))
            done.append(f"{key}={at.session_state[key]!r}")
    # not the class's buttons: starting a class changes the one class of this process, which
    # every later example would see (tests/test_classroom*.py and tests/e2e/test_follow.py do)
    buttons = [b for b in at.button if not b.disabled and not (b.key or "").startswith("class_")]
    if buttons and data.draw(st.booleans()):
        button = data.draw(st.sampled_from(buttons))
        button.click()
        done.append(f"click {button.label!r}")
    return done


def interact_rounds(at: AppTest, data, rounds: int) -> None:
    """Rounds of interact, each followed by a run that must come out clean."""
    steps = []
    for _ in range(rounds):
        steps.append(interact(at, data))
        at.run()
        assert_clean(at, steps)


def stateful_tabs(at: AppTest) -> list[tuple[str, list[str]]]:
    """(key, tab labels) of every st.tabs with a key: tabs that run only the open tab's code."""
    found = []
    for node in walk(at.main):
        proto = getattr(node, "proto", None)
        if getattr(proto, "WhichOneof", None) and proto.DESCRIPTOR.name == "Block" \
                and proto.WhichOneof("type") == "tab_container" and proto.tab_container.id:
            key = proto.tab_container.id.rsplit("-", 1)[-1]  # "$$ID-<hash>-<key>"
            found.append((key, [tab.label for tab in node.children.values()]))
    return found


def editor_edits(editor) -> st.SearchStrategy[dict]:
    """Edits as a browser's data editor sends them: cell changes by row position and column name,
    and, when rows may be added or deleted, added rows and deleted row positions."""
    frame = editor.value
    columns = {str(c): CELLS["number" if frame[c].dtype.kind in "iuf" else
                             "bool" if frame[c].dtype.kind == "b" else "text"]
               for c in frame.columns}
    row = st.fixed_dictionaries({}, optional=columns)
    rows = len(frame)
    edited = st.dictionaries(st.integers(0, rows - 1), row, max_size=4) if rows \
        else st.just({})
    dynamic = editor.editing_mode in ("dynamic", "add", "delete")
    added = st.lists(row, max_size=3) if dynamic and editor.editing_mode != "delete" \
        else st.just([])
    deleted = st.lists(st.integers(0, rows - 1), unique=True, max_size=rows) \
        if rows and dynamic and editor.editing_mode != "add" else st.just([])
    return st.fixed_dictionaries({"edited_rows": edited, "added_rows": added,
                                  "deleted_rows": deleted})


def assert_clean(at: AppTest, what: list[str]) -> None:
    assert not at.exception, (what, [(e.message, e.stack_trace) for e in at.exception])
    shown = " ".join(str(getattr(node, "value", "")) for node in walk(at._tree))
    assert "Traceback (most recent call last)" not in shown, what


def walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from walk(child)


@st.composite
def links(draw, keys: list[str]) -> dict[str, str]:
    names = st.one_of(st.sampled_from(keys), st.sampled_from(["lang", "present", "x"]),
                      st.text(min_size=1, max_size=8)) if keys else st.sampled_from(["lang", "x"])
    return draw(st.dictionaries(names, URL_VALUES, max_size=4))


def widget_keys(script: str) -> list[str]:
    """The keys of the widgets a page draws in its default view and with each tab open, and the
    link parameters it writes itself (for its links)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(script).run()
    assert_clean(at, ["default view"])
    keys = {w.key for w in walk(at.main) if getattr(w, "key", None)}
    for key, labels in stateful_tabs(at):
        for label in labels:
            at.session_state[key] = label
            at.run()
            assert_clean(at, [f"{key}={label!r}"])
            keys |= {w.key for w in walk(at.main) if getattr(w, "key", None)}
            keys |= set(at.query_params)
    return sorted(keys)


@pytest.mark.parametrize("page", PAGES, ids=[p.url_path or "home" for p in PAGES])
def test_no_input_breaks_a_page(page):
    keys = widget_keys(page.script)

    # no shrinking: each AppTest run costs ~0.1 s; a failure's message lists every step anyway
    @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(link=links(keys), lang=st.sampled_from(["en", "zh"]), present=st.booleans(),
           data=st.data())
    def example(link, lang, present, data):
        at = AppTest.from_file(APP, default_timeout=60)
        for name, value in {"lang": lang, "present": present}.items():
            at.session_state[name] = value
        for name, value in link.items():
            at.query_params[name] = value
        at.switch_page(page.script).run()
        steps = [f"?{link} lang={lang} present={present}"]
        assert_clean(at, steps)
        for _ in range(ROUNDS):
            steps.append(interact(at, data))
            at.run()
            assert_clean(at, steps)

    example()
