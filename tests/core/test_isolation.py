"""Sessions are threads of one server process: nothing one computes may leak into another.
- The course's network Config computed in 16 threads at once (its draw cache cleared, so they race
  to fill it) gives results bit-identical to a computation alone, and leaves torch's global RNG
  untouched.
- On every lesson page, two AppTest sessions with different seeds, open together on a cleared
  st.cache_data and rerun in turns, each show exactly what that seed shows alone."""

from __future__ import annotations

import dataclasses
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from core import network
from harness.pages import ROOT, app_pages

THREADS = 16
APP = str(ROOT / "app.py")


def bits(value):
    """A value reduced to something == compares bit for bit (floats by their bytes, so nan equals
    the same nan and -0.0 differs from 0.0)."""
    if dataclasses.is_dataclass(value):
        return tuple((f.name, bits(getattr(value, f.name))) for f in dataclasses.fields(value))
    if isinstance(value, pd.DataFrame):
        return (tuple(value.columns), tuple(map(str, value.dtypes)),
                tuple(bits(value[c].to_numpy()) for c in value.columns))
    if isinstance(value, np.ndarray):
        return value.tobytes() if value.dtype.kind in "biuf" else tuple(map(bits, value))
    if isinstance(value, (list, tuple)):
        return tuple(map(bits, value))
    if isinstance(value, float):
        return struct.pack("<d", value)
    return value


def test_one_config_in_16_threads_at_once_is_bit_identical():
    config, _ = network.validate(network.NetConfig())
    alone = bits(network.run(config))
    rng_before = torch.get_rng_state()
    network.CONSTRUCTION_STATES.clear()
    network.STANDARD_DRAWS.clear()
    start = threading.Barrier(THREADS)

    def compute(_):
        start.wait(timeout=60)
        return bits(network.run(config))

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(compute, range(THREADS)))
    assert all(result == alone for result in results)
    assert torch.equal(torch.get_rng_state(), rng_before), "core drew from torch's global RNG"


def view(at: AppTest) -> tuple:
    """What a page shows: its text, metrics, code, tables and the data behind its charts."""
    assert not at.exception, [e.message for e in at.exception]
    shown = []
    for node in walk(at.main):
        if node.type == "vega_lite_chart":
            shown.append(tuple(d.data.data for d in node.proto.datasets))
        elif node.type == "dataframe":
            shown.append(node.value.to_csv())
        elif node.type in ("metric", "code", "markdown", "caption", "alert", "success", "error",
                           "warning", "info", "title"):
            shown.append(str(node.value))
    return tuple(shown)


def walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from walk(child)


# Each lesson's own seed control (a lesson's seed never reads another's): the one its default view
# draws with. The loss lesson draws nothing at random in its default view; the optimiser lesson's
# default tab neither (its seeds are the anatomy tab's), so their two sessions differ only by a
# seed no view uses, and must still be equal to each alone.
SEED_KEYS = {"explosion": "explosion_seed", "init": "init_seed", "loss": None,
             "optim": "optim_course_seed", "schedules": "schedules_seed", "lab": "lab_seed",
             "inside": "inside_seed", "terrain": "terrain_seed"}


def with_seed(at: AppTest, page, seed: int) -> AppTest:
    if SEED_KEYS[page.url_path]:
        at.session_state[SEED_KEYS[page.url_path]] = seed
    return at


def opened(page, seed: int) -> AppTest:
    at = with_seed(AppTest.from_file(APP, default_timeout=120), page, seed)
    return at.switch_page(page.script).run()


@pytest.mark.parametrize("page", [p for p in app_pages() if p.url_path],
                         ids=[p.url_path for p in app_pages() if p.url_path])
def test_two_sessions_with_different_seeds_never_see_each_other(page):
    seeds = (3, 11)
    alone = {seed: view(opened(page, seed)) for seed in seeds}
    # Both open at once, on a cleared cache, then take turns. (AppTest cannot run two sessions in
    # two threads: each run installs a process-wide runtime; the 16-thread test above is the
    # concurrent one.)
    st.cache_data.clear()
    first, second = (AppTest.from_file(APP, default_timeout=120) for _ in seeds)
    for at, seed in zip((first, second), seeds, strict=True):
        with_seed(at, page, seed).switch_page(page.script)
    for at, seed in [(first, 3), (second, 11), (first, 3), (second, 11)]:
        assert view(at.run()) == alone[seed]
