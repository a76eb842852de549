"""No secrets, no writes: Streamlit's XSRF protection stays on, no HTML built from user data
reaches the page, and the app writes no files."""

from __future__ import annotations

import ast
import os
import sys
import tempfile
import tomllib
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from harness.pages import ROOT, app_pages

CONFIG = ROOT / ".streamlit" / "config.toml"
APP_SOURCES = [ROOT / "app.py", *sorted((ROOT / "lessons").glob("*.py")),
               *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "core").glob("*.py"))]


def test_xsrf_and_cors_protection_stay_on():
    config = tomllib.loads(CONFIG.read_text())
    server = config.get("server", {})
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True  # Streamlit turns XSRF off when CORS is off
    assert not (ROOT / ".streamlit" / "secrets.toml").exists()


def html_calls(path) -> list[tuple[int, str]]:
    """Calls that put raw HTML on the page from anything but a fixed string: unsafe_allow_html
    anywhere, st.html / components.html whose argument is not a literal."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if any(k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant)
                                                     and k.value.value is False)
               for k in node.keywords):
            found.append((node.lineno, "unsafe_allow_html"))
        if name == "html" and not (node.args and isinstance(node.args[0], ast.Constant)
                                   and isinstance(node.args[0].value, str)):
            found.append((node.lineno, f"{ast.unparse(node.func)}(<not a fixed string>)"))
    return found


@pytest.mark.parametrize("path", APP_SOURCES, ids=[str(p.relative_to(ROOT)) for p in APP_SOURCES])
def test_no_html_from_user_data(path):
    assert html_calls(path) == []


def test_the_html_scan_finds_what_it_should(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("st.markdown(x, unsafe_allow_html=True)\nst.html(f'<b>{name}</b>')\n"
                   "st.html('<style></style>')\n")
    assert [line for line, _ in html_calls(bad)] == [1, 2]


WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_watchers: list[list[str]] = []  # audit hooks cannot be removed: the one hook feeds these


def _audit(event: str, args: tuple) -> None:
    if event != "open" or not _watchers:
        return
    path, mode, flags = args
    if (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
            (mode is None and isinstance(flags, int) and flags & WRITE_FLAGS):
        _watchers[-1].append(os.fsdecode(path) if isinstance(path, bytes) else str(path))


sys.addaudithook(_audit)


@contextmanager
def files_opened_for_writing():
    """Every file this process opens for writing inside the block (Python's bytecode cache
    aside)."""
    seen: list[str] = []
    _watchers.append(seen)
    found: list[str] = []
    try:
        yield found
    finally:
        _watchers.remove(seen)
        found += [path for path in seen if "__pycache__" not in path]


def test_the_write_watch_sees_a_write(tmp_path):
    with files_opened_for_writing() as written:
        (tmp_path / "probe.txt").write_text("x")
    assert written == [str(tmp_path / "probe.txt")]


def test_pages_leave_no_files(tmp_path, monkeypatch):
    """Every page in its default view, run from an empty working folder: no file is written
    anywhere but in a temporary folder of the system's that is gone afterwards (TensorBoard's
    SummaryWriter writes only to files: the log the inside lesson reads back is written into
    one), and the working folder stays empty."""
    monkeypatch.chdir(tmp_path)
    with files_opened_for_writing() as written:
        for page in app_pages():
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.switch_page(page.script).run()
            assert not at.exception, [e.message for e in at.exception]
    temporary = Path(tempfile.gettempdir())
    assert [path for path in map(Path, written)
            if temporary not in path.parents or path.exists()] == []
    assert list(tmp_path.iterdir()) == []


def test_magic_is_off_and_no_page_relies_on_it():
    """Magic is off (.streamlit/config.toml says why), and no page has a bare expression magic
    would have drawn: every expression statement in a page is a call (or a docstring)."""
    from streamlit import config

    assert config.get_option("runner.magicEnabled") is False
    bare = []
    for path in [ROOT / "app.py", *sorted((ROOT / "lessons").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Expr) and not isinstance(
                    node.value, ast.Call | ast.Await | ast.Yield | ast.Constant):
                bare.append(f"{path.name}:{node.lineno}")
    assert bare == []
