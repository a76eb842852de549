"""Lesson 7: read the terrain — the lab's network as it trains, with its sharpness against 2/lr,
the loss surface around its weights, its gradient noise, and every weight open.

The run (core.terrain.run.Run: a lab Trainer that reads its terrain after every epoch) lives in
st.session_state, as the lab's does; a pinned run A trains beside it. While Play is on, the open
view is redrawn on the browser's timer (ui.live); the heavier views (the slice, the noise, the
network) are computed when the run stands still, each cached on the run's Config and epoch (the
same Config trained to the same epoch has the same weights)."""

import dataclasses
import math

import pandas as pd
import pyarrow as pa
import streamlit as st

from core.charts import terrain as charts
from core.compare import side_by_side
from core.lab.model import LabConfig
from core.settings import settings_of, validate_settings, with_values
from core.terrain import config as terrain
from core.terrain import noise, sharpness, surface, weights
from core.terrain.run import Run
from core.terrain.script import to_script
from lessons import TABS
from ui import widgets
from ui.charts import show_chart
from ui.compare import labels, metric_change
from ui.lesson import checked_views
from ui.links import sections
from ui.live import forget, kept_runs, live
from ui.panels import code_panel, explain, show_notices
from ui.text import presenting, t
from ui.trend import named
from ui.widgets import controls

LESSON = "terrain"
PLAY, RUNS = f"{LESSON}_play", f"{LESSON}_runs"
TICK = 0.08  # seconds between redraws while playing
CHUNK = 0.02  # seconds of training (and of reading the sharpness) per redraw, as the lab's
CURVE_POINTS, PLAYING_POINTS = 400, 200  # epochs a curve is thinned to, paused and playing
VIEWS = [item.name for item in dataclasses.fields(terrain.Views)]  # the tabs with settings


# ---- the computations, cached on the run's Config and epoch -------------------------------------

def at_epoch(run: Run, epoch: int) -> None:
    if run.epoch != epoch:  # a cached function asked for an epoch the run has left
        raise RuntimeError(f"run at epoch {run.epoch}, asked for {epoch}")


@st.cache_data(max_entries=32, show_spinner=False)
def slice_of(config: LabConfig, epoch: int, view: terrain.SliceView,
             _run: Run) -> surface.Slice:
    with _run.lock:
        at_epoch(_run, epoch)
        return surface.run_slice(_run, view.directions, view.grid, view.span)


@st.cache_data(max_entries=32, show_spinner=False)
def noise_of(config: LabConfig, epoch: int, view: terrain.NoiseView,
             _run: Run) -> noise.Noise:
    with _run.lock:
        at_epoch(_run, epoch)
        return noise.run_noise(_run, view.batch, view.batches)


@st.cache_data(max_entries=32, show_spinner=False)
def drawing_of(config: LabConfig, epoch: int, _run: Run):
    with _run.lock:
        at_epoch(_run, epoch)
        return weights.drawing(_run)


@st.cache_data(max_entries=64, show_spinner=False)
def opened_of(config: LabConfig, epoch: int, picked: weights.Picked,
              _run: Run) -> weights.Opened:
    with _run.lock:
        at_epoch(_run, epoch)
        return weights.open_weight(_run, picked)


# ---- controls ---------------------------------------------------------------------------------

def restore(config: terrain.TerrainConfig) -> None:
    """Every network control set from config (a preset, a pinned run swapped in); paused."""
    widgets.restore(LESSON, config)
    st.session_state[PLAY] = False


def network_controls() -> tuple[dict, object]:
    """The presets, each bridged from y = 4x², then the network's and training's settings; and
    the place under the presets for the bridge of the run shown."""
    st.caption(t("terrain.presets"))
    row = st.container(horizontal=True, gap="xsmall")
    for name, preset in terrain.PRESETS.items():
        row.button(t(f"terrain.preset_{name}"), key=f"{LESSON}_preset_{name}",
                   on_click=restore, args=(preset.config(),), help=t(f"terrain.bridge_{name}"))
    bridged = st.container()  # the y = 4x² sentence of the run shown, once it is known
    if presenting():  # numbers two to a row, a choice on its own (its name is read whole)
        chosen: dict = {}
        for row in presenter_rows(settings_of(terrain.TerrainConfig)):
            for place, path in zip(st.columns(len(row), gap="small"), row, strict=True):
                with place:
                    chosen |= controls(LESSON, terrain.TerrainConfig, [path], drawn=chosen)
        return chosen, bridged
    with st.container(gap="xsmall"):
        return controls(LESSON, terrain.TerrainConfig), bridged


def presenter_rows(settings: dict) -> list[list[str]]:
    """The settings' paths in rows: a choice alone, two others side by side."""
    rows: list[list[str]] = []
    for path, setting in settings.items():
        if setting.kind != "choice" and rows and len(rows[-1]) == 1 \
                and settings[rows[-1][0]].kind != "choice":
            rows[-1].append(path)
        else:
            rows.append([path])
    return rows


def view_settings(name: str, notices: list) -> object:
    """The open view's own settings (terrain.Views' field name), in a row above it, parsed and
    clamped."""
    paths = [path for path in settings_of(terrain.Views) if path.startswith(f"{name}.")]
    chosen: dict = {}
    for place, path in zip(st.columns(len(paths)), paths, strict=True):
        with place:
            chosen |= controls(LESSON, terrain.Views, [path])
    views = validate_settings(with_values(terrain.Views(), chosen), notices)
    return getattr(views, name)


# ---- the run's buttons ------------------------------------------------------------------------

def step(shown: int) -> None:
    """One epoch after the one on screen (a click delivered twice still trains one); pauses."""
    playing = st.session_state.get(PLAY)
    st.session_state[PLAY] = False
    kept = st.session_state.get(RUNS, [])
    if not kept:
        return
    b = kept[0][1]
    b.catch_up(b.epoch + 1 if playing else shown + 1)
    for _, run in kept[1:]:
        run.catch_up(b.epoch)


def reset() -> None:
    forget(RUNS)
    st.session_state[PLAY] = False


def run_buttons(bar, run: Run) -> None:
    bar.toggle(t("terrain.play"), key=PLAY)
    bar.button(t("terrain.step"), key=f"{LESSON}_step", on_click=step, args=(run.epoch,))
    bar.button(t("terrain.reset"), key=f"{LESSON}_reset", on_click=reset)


# ---- what the numbers say ---------------------------------------------------------------------

def threshold_of(run: Run) -> tuple[float, str]:
    """Where the run's optimiser stops being stable on a quadratic, and its label."""
    config = run.config
    momentum = config.momentum if config.optimizer in terrain.MOMENTUM_TAKERS else 0.0
    value = sharpness.threshold(run.trainer.history[-1]["lr"], momentum)
    key = "terrain.threshold_momentum" if momentum else "terrain.threshold"
    return value, t(key, value=value, momentum=momentum)


def story(run: Run) -> str:
    """The sentence the run's own numbers say (core.terrain.sharpness.story)."""
    value, _ = threshold_of(run)
    key, numbers = sharpness.story(run.sharpness_frame(), value,
                                   run.config.optimizer in sharpness.STEADY)
    if key == "edge" and not numbers["inside"]:
        key = "edge_wide"
    return t(f"terrain.story_{key}", optimizer=run.config.optimizer, **numbers)


def notes(run: Run) -> list[str]:
    """What changes the 2/lr line for this run: momentum, an adaptive optimiser, mini-batches."""
    config = run.config
    found = []
    if config.optimizer not in sharpness.STEADY:
        found.append(t("terrain.note_adaptive", optimizer=config.optimizer))
    elif config.momentum and config.optimizer in terrain.MOMENTUM_TAKERS:
        found.append(t("terrain.note_momentum", momentum=config.momentum))
    if len(run.trainer.x_train) > config.batch:
        found.append(t("terrain.note_batches", batch=config.batch,
                       points=len(run.trainer.x_train)))
    return found


def bridge(config: terrain.TerrainConfig) -> str:
    """The y = 4x² sentence of the preset this is, or the general one."""
    for name, preset in terrain.PRESETS.items():
        if preset.config() == config:
            return t(f"terrain.bridge_{name}")
    return t("terrain.bridge")


def metrics(runs: dict[str, Run]) -> None:
    """Epoch, loss, sharpness and the threshold of B; with A, each with its change from A."""
    b, a = runs[labels()[1]], runs.get(labels()[0])
    places = st.columns(4)
    places[0].metric(t("terrain.epoch"), b.epoch)
    for place, field, label in ((places[1], "loss", "terrain.metric_loss"),
                                (places[2], "sharpness", "terrain.metric_sharpness")):
        value = b.checks[-1][field]
        before = a.checks[-1][field] if a is not None else None
        place.metric(t(label), f"{value:.4g}", **metric_change(value, before, ".4g"))
    value, label = threshold_of(b)
    places[3].metric(t("terrain.metric_threshold"), f"{value:.4g}", help=label)


# ---- the views ----------------------------------------------------------------------------------

def frame(runs: dict[str, Run], frame_of) -> pa.Table:
    """frame_of(run) for B alone, or for A and B (a VIEW column), as the Arrow table a chart is
    sent (made on this thread, as the lab's are)."""
    frames = [frame_of(run) for run in runs.values()]
    table = frames[0] if len(frames) == 1 else side_by_side(*frames, *labels())
    return pa.Table.from_pandas(table, preserve_index=False, nthreads=1)


def curves(run: Run, field: str, series: str, points: int) -> pd.DataFrame:
    checks = run.sharpness_frame(points)
    return pd.DataFrame({"epoch": checks["epoch"], "series": series, "value": checks[field]})


def nonfinite(runs: dict[str, Run], field: str) -> tuple[tuple[int, str], ...]:
    """The first epoch of each run where field stops being finite, for the chart's red rule."""
    marks = []
    for name, run in runs.items():
        values = run.sharpness_frame()
        bad = values.loc[~values[field].map(math.isfinite), "epoch"]
        if len(bad):
            view = name if len(runs) > 1 else None
            marks.append((int(bad.iloc[0]), named(view, t("terrain.nonfinite_marker"))))
    return tuple(marks)


def sharpness_view(runs: dict[str, Run]) -> None:
    """The sharpness against 2/lr as the run trains, and the loss below it."""
    points = (PLAYING_POINTS if st.session_state.get(PLAY) else CURVE_POINTS) // len(runs)
    views = {"views": labels()} if len(runs) > 1 else {}
    thresholds = tuple(dict.fromkeys(
        (value, named(name if len(runs) > 1 else None, label))
        for name, (value, label) in ((n, threshold_of(r)) for n, r in runs.items())))
    show_chart(charts.run_curves, data=frame(runs, lambda run: curves(
        run, "sharpness", t("terrain.series_sharpness"), points)),
        title=t("terrain.sharpness_title"), x_title=t("terrain.epoch"),
        y_title=t("terrain.axis_sharpness"), height=280 if presenting() else 320,
        thresholds=thresholds, band=sharpness.BAND, nonfinite=nonfinite(runs, "sharpness"),
        **views)
    show_chart(charts.run_curves, data=frame(runs, lambda run: curves(
        run, "loss", t("terrain.series_loss"), points)),
        title=t("terrain.loss_title"), x_title=t("terrain.epoch"),
        y_title=t("terrain.axis_loss"), height=180,
        nonfinite=nonfinite(runs, "loss"), **views)
    iterations = runs[labels()[1]].sharpness_frame()
    st.caption(t("terrain.power_note", iterations=float(iterations["iterations"].iloc[1:].mean())
                 if len(iterations) > 1 else int(iterations["iterations"].iloc[0]),
                 unconverged=int((~iterations["converged"]).sum())))


def surface_view(runs: dict[str, Run], view: terrain.SliceView) -> None:
    """The slice of each run on one colour scale with its path, how to read it, and the line
    from the initial weights. One run: the slice beside the rest; two: the slices side by side."""
    slices = {name: slice_of(run.config, run.epoch, view, run) for name, run in runs.items()}
    for found in slices.values():
        show_notices(list(found.notices))
    levels = surface.contour_levels(*(found.cells["loss"] for found in slices.values()))
    bands = tuple(surface.band_label(levels, i) for i in range(len(levels) - 1))
    alone = len(slices) == 1
    places = st.columns([3, 2] if alone else len(slices), gap="medium")
    for place, (name, found) in zip(places, slices.items(), strict=False):
        with place:
            cells = surface.banded(found.cells, levels, t("terrain.nonfinite_cells"))
            title = t("terrain.slice_title", epoch=runs[name].epoch,
                      directions=t(f"terrain.directions_{view.directions}"))
            show_chart(charts.loss_slice, cells, found.path, bands=bands,
                       title=named(None if alone else name, title),
                       a_title=t("terrain.axis_a"), b_title=t("terrain.axis_b"),
                       loss_title=t("terrain.axis_loss"), epoch_title=t("terrain.epoch"),
                       nonfinite=t("terrain.nonfinite_cells"),
                       height=(340 if presenting() else 380) + (0 if alone else 120),
                       span=float(found.cells["a"].max()), legend_below=not alone)
            if not alone:
                read_slice(found)
    with places[-1] if alone else st.container():
        if alone:
            read_slice(next(iter(slices.values())))
        lines = [found.line for found in slices.values()]
        show_chart(charts.interpolation, lines[0] if alone else side_by_side(*lines, *labels()),
                   title=t("terrain.line_title"), x_title=t("terrain.axis_alpha"),
                   y_title=t("terrain.axis_loss"),
                   marks=((0.0, t("terrain.mark_initial")), (1.0, t("terrain.mark_now"))),
                   height=240)
        for name, found in slices.items():
            top = surface.barrier(found.line)
            said = t("terrain.line_monotone") if top is None else \
                t("terrain.line_barrier", height=top[0], alpha=top[1])
            st.caption(named(None if alone else name, said))


def read_slice(found: surface.Slice) -> None:
    """How to read this slice, with its own numbers."""
    reach = float(found.path[["a", "b"]].abs().max().max())
    span = float(found.cells["a"].max())
    if found.explained is not None:
        st.caption(t("terrain.read_path", first=100 * found.explained[0],
                     second=100 * found.explained[1], centre=found.centre_loss))
    else:
        st.caption(t("terrain.read_random", reach=100 * reach / span, centre=found.centre_loss,
                     lowest=float(found.cells["loss"].min())))


def noise_view(runs: dict[str, Run], view: terrain.NoiseView) -> None:
    """Each run's noise scale, what it says about its batch size, and its mini-batch cloud."""
    found = {name: noise_of(run.config, run.epoch, view, run) for name, run in runs.items()}
    for result in found.values():
        show_notices(list(result.notices))
    reach = 1.1 * max(float(f.spread[["along", "across"]].abs().max().max())
                      for f in found.values()) or 1.0
    alone = len(found) == 1
    for place, (name, result) in zip(st.columns(len(found)), found.items(), strict=True):
        with place:
            picture, words = st.columns([3, 2], gap="medium") if alone \
                else (st.container(), st.container())
            with words:
                ratio = result.predicted / result.signal if result.signal else math.inf
                st.metric(t("terrain.noise_scale"), f"{result.scale:.4g}")
                st.metric(t("terrain.noise_ratio", batch=result.batch), f"{ratio:.3g}")
                st.markdown(named(None if alone else name, noise_story(result)))
                st.caption(run_batch(runs[name], result))
            with picture:
                show_chart(charts.noise_cloud, result.spread,
                           title=t("terrain.cloud_title", count=len(result.spread) - 1,
                                   batch=result.batch),
                           along_title=t("terrain.axis_along"),
                           across_title=t("terrain.axis_across"),
                           batch_label=t("terrain.cloud_batch", batch=result.batch),
                           full_label=t("terrain.cloud_full"), reach=reach, height=340)
                st.caption(t("terrain.cloud_note", measured=result.measured,
                             predicted=result.predicted))


def noise_story(result: noise.Noise) -> str:
    """What B_simple says about the batch size, from the numbers."""
    common = {"batch": result.batch, "scale": result.scale, "examples": result.examples}
    if result.batch >= result.examples:
        return t("terrain.noise_full", **common)
    if result.batch < result.scale / 2:
        return t("terrain.noise_small", **common)
    if result.batch > 2 * result.scale:
        return t("terrain.noise_large", **common)
    return t("terrain.noise_near", **common)


def run_batch(run: Run, result: noise.Noise) -> str:
    """What the noise scale says about the run's own batch size."""
    if run.config.batch >= result.examples:
        return t("terrain.noise_run_full", examples=result.examples)
    return t("terrain.noise_run", batch=run.config.batch,
             ratio=result.scale * noise.per_batch(run.config.batch, result.examples))


def pick_weight(key: str) -> None:
    """A click on the drawing: the connection (a weight) or neuron (its bias) clicked becomes
    the one opened. Each kind has its selection, which keeps its last click: the one that
    changed is the new click."""
    selection = st.session_state[key].selection
    seen = st.session_state.get(f"{key}_seen", {})
    clicked = [selection.get(name, []) for name in charts.PICKS
               if selection.get(name, []) and selection.get(name, []) != seen.get(name)]
    st.session_state[f"{key}_seen"] = {name: selection.get(name, []) for name in charts.PICKS}
    if not clicked:
        return
    point = clicked[0][0]
    if point.get("layer", 0) < 1:  # an input: no parameter
        return
    picked = terrain.WeightView(int(point["layer"]), int(point["neuron"]), int(point["source"]))
    widgets.restore(LESSON, terrain.Views(weights=picked),
                    [path for path in settings_of(terrain.Views) if path.startswith("weights.")])


def weights_view(runs: dict[str, Run], view: terrain.WeightView) -> None:
    """B's network to click, then the weight opened in each run: its value, its gradient, the
    optimiser's state and its last update written into the optimiser's formula."""
    b = runs[labels()[1]]
    picked_notices: list = []
    picked = weights.pick(b, view.layer, view.neuron, view.source, picked_notices)
    show_notices(picked_notices)
    neurons, edges, hidden = drawing_of(b.config, b.epoch, b)
    if hidden:
        st.caption(t("terrain.hidden_edges", hidden=hidden, drawn=len(edges)))
    chart_key = f"{LESSON}_network"
    show_chart(charts.network, neurons, edges, picked=(picked.layer, picked.neuron,
                                                        picked.source),
               title=t("terrain.network_title"), layer_title=t("terrain.layer"),
               neuron_title=t("terrain.neuron"), source_title=t("terrain.source"),
               weight_title=t("terrain.weight"), grad_title=t("terrain.gradient"),
               bias_title=t("terrain.bias"), height=240 if presenting() else 280,
               key=chart_key, on_select=lambda: pick_weight(chart_key))
    st.caption(t("terrain.network_note"))
    for place, (name, run) in zip(st.columns(len(runs)), runs.items(), strict=True):
        with place:
            opened_view(name if len(runs) > 1 else None, run, picked)


def opened_view(name: str | None, run: Run, picked: weights.Picked) -> None:
    notices: list = []
    own = weights.pick(run, picked.layer, picked.neuron, picked.source, notices)
    opened = opened_of(run.config, run.epoch, own, run)
    what = t("terrain.opened_bias" if own.source == weights.BIAS else "terrain.opened_weight",
             layer=own.layer, neuron=own.neuron, source=own.source, name=opened.name)
    st.markdown(named(name, what))
    cols = st.columns(2)
    cols[0].metric(t("terrain.weight"), f"{opened.value:.6g}")
    cols[1].metric(t("terrain.gradient"), f"{opened.grad:.4g}")
    if opened.state.empty:
        st.caption(t("terrain.no_state", optimizer=run.config.optimizer))
    else:
        st.dataframe(opened.state, hide_index=True)
    if opened.epoch == 0:
        st.caption(t("terrain.no_step"))
    elif opened.step.empty:
        st.caption(t("terrain.not_written", optimizer=run.config.optimizer))
    else:
        st.caption(t("terrain.step_caption", epoch=opened.epoch,
                     verdict=t("terrain.agree" if opened.written else "terrain.disagree")))
        st.dataframe(opened.step.rename(columns=lambda c: t(f"terrain.column_{c}")),
                     hide_index=True)


# ---- the page ---------------------------------------------------------------------------------

def show(runs: dict[str, Run], opened: str, view) -> None:
    """The open view of the runs (B last), after a chunk of training while playing; then the
    numbers and what they say."""
    playing = st.session_state.get(PLAY)
    b, a = runs[labels()[1]], runs.get(labels()[0])
    if playing:
        b.train(seconds=CHUNK if a is None else CHUNK / 2)
    if a is not None:
        a.catch_up(b.epoch)
    if opened == "sharpness":
        sharpness_view(runs)
    elif playing:
        st.caption(t("terrain.paused_views"))
    else:
        {"surface": surface_view, "noise": noise_view, "weights": weights_view}[opened](
            runs, view)
    metrics(runs)
    for name, run in runs.items():
        st.markdown(named(name if len(runs) > 1 else None, story(run)))
    for note in notes(b):
        st.caption(note)


def script_for(run: Run, opened: str, view) -> str:
    options = {}
    if opened == "surface":
        options = {"directions": view.directions, "span": view.span}
    elif opened == "weights":
        picked = weights.pick(run, view.layer, view.neuron, view.source, [])
        options = {"picked": picked, "module": int(weights.linear_names(run)[picked.layer - 1])}
    return to_script(run.config, run.epoch, opened, **options)


st.title(t("terrain.title"))
explain(t("terrain.lead"))
column, right = st.columns([1, 2] if presenting() else [1, 3], gap="large")
with column:
    chosen, bridged = network_controls()
with right:
    # the run's buttons, then the pin buttons, in one row above the views
    bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
    buttons = bar.container(horizontal=True, vertical_alignment="center", gap="small",
                            width="content")
    checked = checked_views(LESSON, with_values(terrain.TerrainConfig(), chosen),
                            terrain.validate, restore, bar=bar)
    if checked is None:
        st.stop()
    config, pinned = checked
    b_run, a_run = kept_runs(RUNS, terrain.lab_config(config)[0],
                             None if pinned is None else terrain.lab_config(pinned)[0],
                             Run, Run.twin)
    run_buttons(buttons, b_run)
    runs = {labels()[1]: b_run} if a_run is None else {labels()[0]: a_run, labels()[1]: b_run}
    tab_labels = {name: t(f"terrain.tab_{name}") for name in TABS[LESSON]}
    tabs, opened = sections(f"{LESSON}_tab", tab_labels)
    with tabs[opened]:
        view_notices: list = []
        view = view_settings(opened, view_notices) if opened in VIEWS else None
        show_notices(view_notices)
        live(PLAY, show, runs, opened, view, tick=TICK)
        if not st.session_state.get(PLAY):
            code_panel(script_for(b_run, opened, view))
bridged.caption(bridge(config))
