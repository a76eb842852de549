"""Lesson 2: weight initialisation for each activation — the chosen cell first, then the matrix of
every activation x every init on the previous lesson's network, every gain, every nn.init method."""

import math
import uuid
from dataclasses import replace

import pandas as pd
import streamlit as st

from core import activations, compare, init_lab, initializers, network, values
from core.charts import init as charts
from core.charts import layers as layer_charts
from core.errors import InputError
from core.initializers import InitSpec
from core.settings import with_values
from lessons import TABS
from ui import widgets
from ui.charts import show_chart
from ui.compare import labels
from ui.lesson import checked_views
from ui.links import sections, set_controls
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import presenting, t
from ui.trend import named, show_backward, show_trend
from ui.widgets import controls, key_of, text_key

LESSON = "init"
# The network section's controls (NetworkView's paths), in the order drawn: the cell and which
# matrix, then the network (as in the previous lesson). The gains and methods tabs' controls
# are init_lab.InitLesson's: their keys say their section (init_gains_seed, init_draw_seed).
CELL_PATHS = ["activation", "scheme", "side"]
NETWORK_PATHS = ["matrix.batchnorm", "matrix.depth", "matrix.width", "matrix.batch",
                 "matrix.negative_slope", "matrix.seed"]
VIEW_PATHS = CELL_PATHS + NETWORK_PATHS
GAIN_PATHS = ["gains.samples", "gains.seed"]
DRAW_PATHS = ["draw.fan_in", "draw.fan_out", "draw.seed"]
METHOD_PATH = "draw.init.method"
PARAM_PATHS = [f"draw.init.{p}" for p in initializers.SPEC_SETTINGS if p != "method"]


@st.cache_data(max_entries=64, show_spinner=False)
def compute_cell(config: network.NetConfig) -> network.NetResult:
    return network.run(config)


@st.cache_data(max_entries=16, show_spinner=False)
def compute_gains(config: init_lab.GainConfig):
    return init_lab.gains(config)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_draw(config: init_lab.DrawConfig) -> init_lab.DrawResult:
    return init_lab.draw(config)


def restore(view: init_lab.NetworkView) -> None:
    """The network section's controls set from a view: the course's, a pinned one, a swap."""
    widgets.restore(LESSON, view, VIEW_PATHS)


def course_pair(name: str) -> None:
    """One of the course's demos, with the course's sizes and seed (the slope and the matrix
    shown stay: none of the demos uses the one, and the other is where the user looks)."""
    activation, scheme = init_lab.COURSE_PAIRS[name]
    kept = {path: st.session_state.get(key_of(LESSON, path), widgets.UNSET)
            for path in ("matrix.negative_slope", "side")}
    restore(init_lab.NetworkView(activation=activation, scheme=scheme))
    set_controls({key_of(LESSON, path): value for path, value in kept.items()
                  if value is not widgets.UNSET})


def course_example() -> None:
    """Every setting of the lesson back to the course's: the network section's view, and the
    gains' and methods' sizes, seeds and method (with its parameters)."""
    restore(init_lab.NetworkView())
    widgets.restore(LESSON, init_lab.InitLesson(),
                    GAIN_PATHS + DRAW_PATHS + [METHOD_PATH] + PARAM_PATHS)


def pick_cell(chart_key: str) -> None:
    """A click on a cell of the matrix chooses that cell (its activation and scheme)."""
    picked = st.session_state[chart_key]["selection"]["cell"]
    if picked:  # empty when the click cleared the selection: the chosen cell stays
        set_controls({key_of(LESSON, "activation"): picked[0]["activation"],
                      key_of(LESSON, "scheme"): picked[0]["scheme"]})


def asker(view: str) -> tuple[str, str]:
    """Who asks for a matrix: this session's view A or B (a newer ask of the same one takes the
    older back off the queue)."""
    return st.session_state.setdefault("init_session", uuid.uuid4().hex), view


@st.fragment
def network_lab() -> None:
    """The network's controls, the chosen cell, the matrix and the tabs below them: a move reruns
    this fragment (the gains and methods tabs are fragments of their own inside it)."""
    column, view = st.columns([1, 2.2] if presenting() else [1, 3], gap="large")
    with column.container(gap="xxsmall" if presenting() else "xsmall"):
        # the way back to the course's example first, as on the other lessons
        st.button(t("init.course_example"), on_click=course_example, width="stretch",
                  key="init_course_example")
        st.caption(t("init.pairs"))
        for pair in init_lab.COURSE_PAIRS:
            st.button(t(f"init.pair_{pair}"), on_click=course_pair, args=(pair,),
                      width="stretch", key=f"init_pair_{pair}")
        chosen = controls(LESSON, init_lab.NetworkView, CELL_PATHS)
        st.caption(t("init.network"))
        chosen |= controls(LESSON, init_lab.NetworkView, NETWORK_PATHS, drawn=chosen)
    with view:
        checked = checked_views(LESSON, with_values(init_lab.NetworkView(), chosen),
                                init_lab.validate_view, restore, seed_field="matrix.seed")
        if checked is None:
            return
        current, pinned = checked
        matrix = show_network(current, pinned)

    tabs, opened = sections("init_tab", {name: t(f"init.tab_{name}") for name in TABS["init"]})
    with tabs[opened]:
        match opened:  # the lesson's own tab ids (lessons.TABS), not a registry's names
            case "gains":
                gains_tab(current.matrix.negative_slope)
            case "methods":
                methods_tab()
            case "derivations":
                show_derivations(current.matrix)
            case "table":
                st.markdown(t("init.sharing"))
                table = matrix if pinned is None else compared_matrices(pinned, current)
                st.dataframe(table, hide_index=True)
                csv_download(table, "init_matrix")
    code_panel(network.to_script(cell_config(current)))


def cell_config(view: init_lab.NetworkView) -> network.NetConfig:
    return init_lab.cell(view.matrix, view.activation, view.scheme)


def show_network(current: init_lab.NetworkView,
                 pinned: init_lab.NetworkView | None) -> pd.DataFrame:
    """Answer first, then fill in: the matrices are started in the background, the chosen
    cell(s) drawn meanwhile, then the matrix when it is ready. Returns B's matrix."""
    views = {None: current} if pinned is None else dict(zip(labels(), (pinned, current),
                                                            strict=True))
    backward = current.side == "backward"
    for name, view in views.items():
        init_lab.MATRICES.start((view.matrix, backward), asker(name or ""))
    show_cells(views)
    matrix = wait_for(current.matrix, backward, asker(labels()[1] if pinned else ""))
    pinned_matrix = None if pinned is None else wait_for(pinned.matrix, backward,
                                                         asker(labels()[0]))
    show_matrix(current, matrix, pinned_matrix)
    if pinned is not None:
        show_changed_verdicts(compare.column_each(pinned_matrix, matrix,
                                                  ["activation", "scheme"], *labels()))
    return matrix


def wait_for(config: init_lab.MatrixConfig, backward: bool, who) -> pd.DataFrame:
    """The matrix, waited for in short slices: each slice writes its placeholder again, a point
    where Streamlit can stop this run for a newer click (the computation goes on, and is kept)."""
    found = init_lab.MATRICES.wait((config, backward), 0, who)
    if found is not None:
        return found
    slot = st.empty()
    while (found := init_lab.MATRICES.wait((config, backward), 0.05, who)) is None:
        slot.caption(t("init.matrix_computing"))
    slot.empty()
    return found


def compared_matrices(pinned: init_lab.NetworkView,
                      current: init_lab.NetworkView) -> pd.DataFrame:
    """A's and B's matrices (of B's side) as one table, a column each."""
    backward = current.side == "backward"
    return compare.column_each(
        init_lab.MATRICES.result((pinned.matrix, backward), asker(labels()[0])),
        init_lab.MATRICES.result((current.matrix, backward), asker(labels()[1])),
        ["activation", "scheme"], *labels())


# What each matrix shows: its value column, its verdict column, and their texts
SIDES = {"forward": ("last_std", "forward_healthy"),
         "backward": ("first_grad_scale", "backward_healthy")}


def show_matrix(view: init_lab.NetworkView, matrix: pd.DataFrame,
                pinned_matrix: pd.DataFrame | None) -> None:
    """The matrix of the view's side; with A pinned, each cell's tooltip says A's value too;
    under it, which cells are healthy, read from the cells."""
    value, healthy = SIDES[view.side]
    cells = matrix.assign(row=matrix["activation"],
                          column=matrix["scheme"].map(lambda s: t(f"init.short_{s}")),
                          label=matrix[value].map(charts.cell_label))
    if pinned_matrix is not None:
        cells = cells.assign(pinned=pinned_matrix[value].to_numpy(),
                             pinned_healthy=pinned_matrix[healthy].to_numpy())
    chart_key = "init_pick"
    show_chart(charts.init_matrix,
        cells, value=value, healthy=healthy, rows=list(activations.ACTIVATIONS),
        columns=[t(f"init.short_{s}") for s in init_lab.SCHEMES],
        chosen=(view.activation, view.scheme), title=t(f"init.matrix_{view.side}"),
        value_title=t(f"init.value_{view.side}"), healthy_label=t("init.healthy"),
        height=210 if presenting() else 186,
        pinned_label=None if pinned_matrix is None else labels()[0],
        stretch=False, key=chart_key, on_select=lambda: pick_cell(chart_key))
    healthy_cells = init_lab.healthy_cells(matrix, healthy)
    st.markdown(t(f"init.summary_{view.side}", cells=" · ".join(
        f"**{activation}**: " + (", ".join(t(f"init.short_{s}") for s in schemes)
                                 or t("init.summary_none"))
        for activation, schemes in healthy_cells.items())))
    st.caption(t(f"init.matrix_caption_{view.side}", seed=view.matrix.seed,
                 unit=network.gradient_unit(cell_config(view))))


def show_cells(views: dict) -> None:
    """The chosen cell layer by layer with its verdicts, forward and backward; views maps a
    view's name (None when nothing is pinned) to its NetworkView. Two views: A dashed beside B,
    each named with its cell's scheme in the legend."""
    runs = {name: compute_cell(cell_config(view)) for name, view in views.items()}
    series = {"std": t("init.series_forward"), "grad_std": t("init.series_backward")}

    def cell_name(view: init_lab.NetworkView) -> str:
        return t("init.cell_title", activation=view.activation,
                 scheme=t(f"init.scheme_{view.scheme}"))

    if len(views) > 1:
        (name_a, view_a), (name_b, view_b) = views.items()
        frame = compare.side_by_side(
            runs[name_a].layers, runs[name_b].layers,
            named(name_a, f"{view_a.activation} + {t(f'init.short_{view_a.scheme}')}"),
            named(name_b, f"{view_b.activation} + {t(f'init.short_{view_b.scheme}')}"))
        same_cell = (view_a.activation, view_a.scheme) == (view_b.activation, view_b.scheme)
        title = cell_name(view_b) if same_cell else t("init.cells_title")
    else:
        frame, title = next(iter(runs.values())).layers, cell_name(next(iter(views.values())))
    nonfinite = []
    for name, run in runs.items():
        layers = run.layers
        finite = values.finite_positive(layers["std"]) & values.finite_positive(
            layers["grad_std"])
        bad = layers.loc[~finite, "layer"]
        if len(bad):
            nonfinite.append((int(bad.min()), named(name, t("init.nonfinite"))))
    show_chart(layer_charts.layer_lines,
        frame, series, title=title, x_title=t("init.axis_layer"), y_title=t("init.axis_std"),
        dashed=[series["grad_std"]], nonfinite=nonfinite, height=220 if presenting() else 240)
    for name, view in views.items():
        forward, backward = st.columns(2)
        show_trend(runs[name], forward, name)
        show_backward(cell_config(view), runs[name], backward, name)


def show_changed_verdicts(both: pd.DataFrame) -> None:
    """The cells whose verdict (in the healthy band or not) differs between A and B."""
    label_a, label_b = labels()
    verdicts = [c for c in ("forward_healthy", "backward_healthy") if f"{c} · {label_a}" in both]

    def changed(column: str):
        return both[f"{column} · {label_a}"] != both[f"{column} · {label_b}"]

    moved = both[pd.concat([changed(c) for c in verdicts], axis=1).any(axis=1)]
    if not len(moved):
        st.caption(t("init.no_verdict_changed"))
        return
    st.caption(t("init.verdicts_changed", cells=len(moved)))
    shown = [f"{column} · {label}" for column in both.columns.str.split(" · ").str[0].unique()
             if column not in ("activation", "scheme") for label in (label_a, label_b)]
    st.dataframe(moved[["activation", "scheme", *shown]], hide_index=True)


def show_derivations(config: init_lab.MatrixConfig) -> None:
    """Xavier's and Kaiming's derivations for the matrix's width, and what the matrix's own
    sigmoid + Xavier cell does backward (Glorot's derivation assumes a slope of 1 at 0)."""
    st.markdown(t("init.derivations", **init_lab.derivations(config.width, config.width,
                                                             config.negative_slope)))
    sigmoid = init_lab.cell(config, "sigmoid", "xavier")
    run = compute_cell(sigmoid)
    factors = network.backward_factors(sigmoid, run)
    if factors["layers"]:
        verdict = network.backward_verdict(sigmoid, run)
        said = t("init.sigmoid_xavier", seed=config.seed, depth=config.depth,
                 width=config.width, factor=factors["measured"], slope=factors["slope"],
                 total=factors["total"], layers=factors["layers"], first=verdict["first"])
        if "first64" in verdict:
            said += " " + t("init.sigmoid_xavier_float64", first64=verdict["first64"])
        st.markdown(said)


@st.fragment
def gains_tab(negative_slope: float) -> None:
    """The course's gain experiment with its own seed (the course's 1) and N."""
    left, right = st.columns([1, 3], gap="large")
    with left:
        chosen = controls(LESSON, init_lab.InitLesson, GAIN_PATHS)
    try:
        lesson = with_values(init_lab.InitLesson(), chosen)
        config, notices = init_lab.validate_gains(
            init_lab.GainConfig(lesson.gains.samples, negative_slope, lesson.gains.seed))
    except InputError as error:
        with right:
            show_error(error)
        return
    with right:
        show_notices(notices)
        table = compute_gains(config)
        story = init_lab.gains_story(table)
        st.markdown(t("init.gains_lead", **story))
        columns = ("nonlinearity", "param", "formula_text", "formula", "calculate_gain",
                   "course_ratio", "rms_ratio", "rms_exact", "keeps_rms")
        shown = table.assign(formula_text=table["formula_text"].map(t))[list(columns)]
        st.dataframe(shown.rename(columns={c: t(f"init.col_{c}") for c in columns}),
                     hide_index=True)
        csv_download(table, "init_gains")
        st.markdown(t("init.gains_why", seed=config.seed, **story))
        code_panel(init_lab.gains_script(config))


def method_params(method: str) -> dict:
    """The chosen method's parameters, each the widget of its InitSpec setting, starting at the
    method's own default; another method chosen starts them there again."""
    entry = initializers.METHODS[method]
    start = entry.spec(method)
    paths = [f"draw.init.{p.field}" for p in entry.params]
    if st.session_state.get("init_draw_method_drawn", method) != method:
        widgets.restore(LESSON, init_lab.InitLesson(draw=init_lab.DrawConfig(init=start)), paths)
    st.session_state["init_draw_method_drawn"] = method
    values = {}
    for param, path in zip(entry.params, paths, strict=True):
        setting = param.setting
        if setting.kind == "float":
            setting = replace(setting, step=0.01, format="%.4f")
        values[param.field] = widgets.widget(
            setting, key_of(LESSON, path), t(param.label or text_key(LESSON, path)),
            value=getattr(start, param.field))
    return values


@st.fragment
def methods_tab() -> None:
    """One weight drawn by the chosen nn.init method, its parameters from the method's entry."""
    left, right = st.columns([1, 3], gap="large")
    with left:
        chosen = controls(LESSON, init_lab.InitLesson, [METHOD_PATH] + DRAW_PATHS)
        method = chosen[METHOD_PATH]
        params = method_params(method)
    try:
        lesson = with_values(init_lab.InitLesson(), chosen)
        config, notices = init_lab.validate_draw(
            replace(lesson.draw, init=InitSpec(method, **params)))
    except InputError as error:
        with right:
            show_error(error)
        return
    with right:
        show_notices(notices)
        show_draw(config, compute_draw(config))


def show_draw(config: init_lab.DrawConfig, drawn: init_lab.DrawResult) -> None:
    """The drawn weight against its method's formula: std and mean, the formula with its
    numbers, the histogram, a convolution weight's identity, and the script."""
    spec, method = config.init, config.init.method
    a, b = st.columns(2)
    c, d = st.columns(2)
    a.metric(t("init.metric_formula_std"), f"{drawn.formula_std:.5g}")
    b.metric(t("init.metric_measured_std"), f"{drawn.std:.5g}")
    c.metric(t("init.metric_formula_mean"), f"{drawn.formula_mean:.4g}")
    d.metric(t("init.metric_measured_mean"), f"{drawn.mean:.4g}")
    fi, fo = config.fan_in, config.fan_out
    st.markdown(t(
        f"init.formula_{method}", **{**vars(spec), "gain": drawn.gain, "fan": drawn.fan,
                                     "fan_in": fi, "fan_out": fo, "result": drawn.formula_std,
                                     "bound": drawn.bound[1] if drawn.bound else 0.0,
                                     "min_fan": min(fi, fo), "max_fan": max(fi, fo),
                                     "cells": fi * fo, "p": drawn.formula_mean,
                                     "zeros": math.ceil(spec.sparsity * fo),
                                     "kernel": initializers.DIRAC_KERNEL,
                                     "ones": initializers.dirac_ones(spec, fi, fo)}))
    shape = " × ".join(map(str, initializers.shape(spec, fi, fo)))
    show_chart(charts.init_histogram,
        drawn.histogram, bounds=drawn.bound,
        title=t("init.hist_title", method=f"{method}_", shape=shape),
        x_title=t("init.axis_weight"), y_title=t("init.axis_fraction"),
        measured_label=t("init.series_measured"),
        expected_label=t("init.series_expected"), bound_label=t("init.bound_label"),
        height=260)
    if drawn.identity is not None:
        st.markdown(t("init.identity", **drawn.identity, groups=spec.groups))
    if initializers.METHODS[method].note:
        st.caption(t(initializers.METHODS[method].note))
    csv_download(drawn.histogram, "init_histogram")
    code_panel(init_lab.draw_script(config))


st.title(t("init.title"))
explain(t("init.lead"))
network_lab()
