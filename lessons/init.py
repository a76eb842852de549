"""Lesson 2: weight initialisation for each activation — every gain, every nn.init method, and the
matrix of every activation x every init on the previous lesson's network."""

import math

import pandas as pd
import streamlit as st

from core import activations, compare, init_lab, initializers, network, values
from core.charts import init as charts
from core.charts import layers as layer_charts
from core.errors import InputError
from core.initializers import InitSpec
from lessons import TABS
from ui.charts import show_chart
from ui.compare import labels, pinned_view
from ui.controls import default
from ui.links import choose, sections, set_controls
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import t
from ui.trend import named, show_trend

# The lesson's controls: widget key -> (the Config, its field) it starts from. Each demo keeps its
# own seed, the course's for it: the matrix 3, the gain experiment 1, the drawn weight 3.
CONTROLS = {
    "init_depth": (init_lab.MatrixConfig, "depth"), "init_width": (init_lab.MatrixConfig, "width"),
    "init_batch": (init_lab.MatrixConfig, "batch"),
    "init_slope": (init_lab.MatrixConfig, "negative_slope"),
    "init_seed": (init_lab.MatrixConfig, "seed"),
    "init_act": (network.NetConfig, "activation"),
    "init_samples": (init_lab.GainConfig, "samples"),
    "init_gain_seed": (init_lab.GainConfig, "seed"),
    "init_fan_in": (init_lab.DrawConfig, "fan_in"),
    "init_fan_out": (init_lab.DrawConfig, "fan_out"),
    "init_draw_seed": (init_lab.DrawConfig, "seed"),
}


def start(key: str):
    return default(*CONTROLS[key])


def first_method() -> str:
    return default(init_lab.DrawConfig, "init").method


@st.cache_data(max_entries=16, show_spinner=False)
def compute_matrix(config: init_lab.MatrixConfig):
    return init_lab.matrix(config)


@st.cache_data(max_entries=16, show_spinner=False)
def compared_matrices(a: init_lab.MatrixConfig, b: init_lab.MatrixConfig, label_a: str,
                      label_b: str) -> pd.DataFrame:
    """A's and B's matrices as one table, a column each, from the cached matrices."""
    return compare.column_each(compute_matrix(a), compute_matrix(b), ["activation", "scheme"],
                               label_a, label_b)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_cell(config: network.NetConfig) -> network.NetResult:
    return network.run(config)


@st.cache_data(max_entries=16, show_spinner=False)
def compute_gains(config: init_lab.GainConfig):
    return init_lab.gains(config)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_draw(config: init_lab.DrawConfig) -> init_lab.DrawResult:
    return init_lab.draw(config)


# The network section's controls: widget key -> MatrixConfig field
MATRIX_CONTROLS = {key: field for key, (config, field) in CONTROLS.items()
                   if config is init_lab.MatrixConfig}


def restore(view: init_lab.NetworkView) -> None:
    """The network section's controls set from a view: the course's, a pinned one, a swap."""
    set_controls({key: getattr(view.matrix, field) for key, field in MATRIX_CONTROLS.items()}
                 | {"init_act": view.activation, "init_scheme": view.scheme})


def course_pair(name: str) -> None:
    """One of the course's demos, with the course's sizes and seed (the slope stays: none of the
    demos uses it)."""
    activation, scheme = init_lab.COURSE_PAIRS[name]
    slope = st.session_state.get("init_slope", start("init_slope"))
    restore(init_lab.NetworkView(init_lab.MatrixConfig(negative_slope=slope), activation, scheme))


def course_example() -> None:
    """Every setting of the lesson back to the course's: the network section's view, and the
    gains' and methods' sizes, seeds and method."""
    restore(init_lab.NetworkView())
    set_controls({key: start(key) for key in CONTROLS
                  if CONTROLS[key][0] in (init_lab.GainConfig, init_lab.DrawConfig)}
                 | {"init_method": first_method()})
    for name, method in initializers.METHODS.items():
        spec = method.spec(name)
        set_controls({param_key(name, p): getattr(spec, p.field) for p in method.params})


def param_key(method: str, param: initializers.Param) -> str:
    return f"init_{method}_{param.field}"


def pick_cell(chart_key: str) -> None:
    """A click on a cell of either matrix chooses that cell (its activation and scheme)."""
    picked = st.session_state[chart_key]["selection"]["cell"]
    if picked:  # empty when the click cleared the selection: the chosen cell stays
        set_controls({"init_act": picked[0]["activation"], "init_scheme": picked[0]["scheme"]})


def number(label: str, key: str, **kwargs):
    return st.number_input(t(label), value=start(key), key=key, bind="query-params", **kwargs)


@st.fragment
def network_lab() -> None:
    """The network's controls, the matrix, the chosen cell and the tabs below them: a move
    reruns this fragment (the gains and methods tabs are fragments of their own inside it)."""
    controls, view = st.columns([1, 3], gap="large")
    with controls:
        st.caption(t("init.pairs"))
        for pair in init_lab.COURSE_PAIRS:
            st.button(t(f"init.pair_{pair}"), on_click=course_pair, args=(pair,),
                      width="stretch", key=f"init_pair_{pair}")
        names = list(activations.ACTIVATIONS)
        activation = st.selectbox(t("init.activation"), names, key="init_act",
                                  index=names.index(start("init_act")), bind="query-params")
        # the matrix's own column names: short enough for the column, and the same words
        scheme = choose(t("init.scheme"), init_lab.SCHEMES,
                        format_func=lambda s: t(f"init.short_{s}"), key="init_scheme",
                        help=t(f"init.scheme_{st.session_state.get('init_scheme', 'std_one')}"))
        st.caption(t("init.network"))
        depth = number("init.depth", "init_depth", step=1)
        width = number("init.width", "init_width", step=1)
        batch = number("init.batch", "init_batch", step=1)
        slope = number("init.slope", "init_slope", step=0.01, format="%.3f")
        seed = number("init.seed", "init_seed", step=1)
        st.button(t("init.course_example"), on_click=course_example, width="stretch",
                  key="init_course_example")

    try:
        config, notices = init_lab.validate_matrix(init_lab.MatrixConfig(
            depth=int(depth), width=int(width), batch=int(batch), negative_slope=float(slope),
            seed=int(seed)))
    except InputError as error:
        with view:
            show_error(error)
        return
    current = init_lab.NetworkView(config, activation, scheme)
    matrix = compute_matrix(config)
    with view:
        pinned = pinned_view("init", current, restore, init_lab.validate_view,
                             seed_field="matrix.seed")
        show_notices(notices)
        if pinned is None:
            show_matrix(config, matrix, activation, scheme, None)
            show_cell({None: (current, matrix)})
        else:  # the comparison first: the cells' layers, then the matrix with A in its tooltips
            label_a, label_b = labels()
            pinned_matrix = compute_matrix(pinned.matrix)
            show_cell({label_a: (pinned, pinned_matrix), label_b: (current, matrix)})
            show_matrix(config, matrix, activation, scheme, pinned_matrix)
            show_changed_verdicts(compared_matrices(pinned.matrix, config, label_a, label_b))

    tabs, opened = sections("init_tab", {name: t(f"init.tab_{name}") for name in TABS["init"]})
    with tabs[opened]:
        match opened:  # the lesson's own tab ids (lessons.TABS), not a registry's names
            case "gains":
                gains_tab(config.negative_slope)
            case "methods":
                methods_tab()
            case "derivations":
                st.markdown(t("init.derivations", **init_lab.derivations(
                    config.width, config.width, config.negative_slope)))
            case "table":
                table = matrix if pinned is None else compared_matrices(
                    pinned.matrix, config, *labels())
                st.dataframe(table, hide_index=True)
                csv_download(table, "init_matrix")
    code_panel(network.to_script(cell_config(current)))


def cell_config(view: init_lab.NetworkView) -> network.NetConfig:
    return init_lab.cell(view.matrix, view.activation, view.scheme)


def show_matrix(config, matrix, activation: str, scheme: str, pinned_matrix) -> None:
    """Both matrices of this view; with A pinned, each cell's tooltip says A's value too."""
    cells = matrix.assign(
        row=matrix["activation"],
        column=matrix["scheme"].map(lambda s: t(f"init.short_{s}")))
    rows = list(activations.ACTIVATIONS)
    columns = [t(f"init.short_{s}") for s in init_lab.SCHEMES]
    for value, healthy, title, value_title in (
            ("last_std", "forward_healthy", "init.matrix_forward", "init.value_last_std"),
            ("grad_ratio", "backward_healthy", "init.matrix_backward", "init.value_grad_ratio")):
        labelled = cells.assign(label=cells[value].map(lambda v: f"{v:.2g}"))
        if pinned_matrix is not None:
            labelled = labelled.assign(pinned=pinned_matrix[value].to_numpy(),
                                       pinned_healthy=pinned_matrix[healthy].to_numpy())
        chart_key = f"init_pick_{value}"
        show_chart(charts.init_matrix,
            labelled, value=value, healthy=healthy, rows=rows, columns=columns,
            chosen=(activation, scheme), title=t(title), value_title=t(value_title),
            healthy_label=t("init.healthy"), height=168,
            pinned_label=None if pinned_matrix is None else labels()[0],
            stretch=False, key=chart_key, on_select=lambda key=chart_key: pick_cell(key))
    st.caption(t("init.matrix_caption", seed=config.seed))


def show_cell(views: dict) -> None:
    """The chosen cell layer by layer with its verdicts; views maps a view's name (None when
    nothing is pinned) to (its NetworkView, its matrix). Two views: A dashed beside B, each named
    with its cell's scheme in the legend."""
    runs = {name: compute_cell(cell_config(view)) for name, (view, _) in views.items()}
    series = {"std": t("init.series_forward"), "grad_std": t("init.series_backward")}

    def cell_name(view: init_lab.NetworkView) -> str:
        return t("init.cell_title", activation=view.activation,
                 scheme=t(f"init.scheme_{view.scheme}"))

    if len(views) > 1:
        (name_a, (view_a, _)), (name_b, (view_b, _)) = views.items()
        frame = compare.side_by_side(
            runs[name_a].layers, runs[name_b].layers,
            named(name_a, f"{view_a.activation} + {t(f'init.short_{view_a.scheme}')}"),
            named(name_b, f"{view_b.activation} + {t(f'init.short_{view_b.scheme}')}"))
        same_cell = (view_a.activation, view_a.scheme) == (view_b.activation, view_b.scheme)
        title = cell_name(view_b) if same_cell else t("init.cells_title")
    else:
        frame, title = next(iter(runs.values())).layers, cell_name(next(iter(views.values()))[0])
    nonfinite = []
    for name, run in runs.items():
        layers = run.layers
        finite = values.finite_positive(layers["std"]) & values.finite_positive(layers["grad_std"])
        bad = layers.loc[~finite, "layer"]
        if len(bad):
            nonfinite.append((int(bad.min()), named(name, t("init.nonfinite"))))
    show_chart(layer_charts.layer_lines,
        frame, series, title=title, x_title=t("init.axis_layer"), y_title=t("init.axis_std"),
        dashed=[series["grad_std"]], nonfinite=nonfinite, height=240)
    for name, (view, matrix) in views.items():
        verdict, side = st.columns(2)
        show_trend(runs[name], verdict, name)
        ratio = matrix.set_index(["activation", "scheme"]).loc[
            (view.activation, view.scheme), "grad_ratio"]
        if init_lab.in_band(ratio):
            side.success(named(name, t("init.backward_ok", ratio=ratio)))
        elif not math.isfinite(ratio):
            side.error(named(name, t("init.backward_nonfinite", ratio=ratio)))
        else:
            side.warning(named(name, t("init.backward_bad", ratio=ratio)))


def show_changed_verdicts(both) -> None:
    """The cells whose verdict (in the healthy band or not) differs between A and B."""
    label_a, label_b = labels()

    def changed(column: str):
        return both[f"{column} · {label_a}"] != both[f"{column} · {label_b}"]

    moved = both[changed("forward_healthy") | changed("backward_healthy")]
    if not len(moved):
        st.caption(t("init.no_verdict_changed"))
        return
    st.caption(t("init.verdicts_changed", cells=len(moved)))
    shown = [f"{column} · {label}" for column in ("last_std", "forward_healthy", "grad_ratio",
                                                  "backward_healthy")
             for label in (label_a, label_b)]
    st.dataframe(moved[["activation", "scheme", *shown]], hide_index=True)


@st.fragment
def gains_tab(negative_slope: float) -> None:
    """The course's gain experiment with its own seed (the course's 1) and N."""
    left, right = st.columns([1, 3], gap="large")
    with left:
        samples = number("init.samples", "init_samples", step=1000)
        seed = number("init.gain_seed", "init_gain_seed", step=1)
    try:
        config, notices = init_lab.validate_gains(init_lab.GainConfig(
            samples=int(samples), negative_slope=float(negative_slope), seed=int(seed)))
    except InputError as error:
        with right:
            show_error(error)
        return
    with right:
        show_notices(notices)
        st.markdown(t("init.gains_lead"))
        table = compute_gains(config)
        shown = table.assign(formula_text=table["formula_text"].map(t))
        shown = shown[["nonlinearity", "param", "formula_text", "formula", "calculate_gain",
                       "course_ratio", "rms_ratio"]]
        st.dataframe(shown.rename(columns={
            c: t(f"init.col_{c}") for c in
            ("nonlinearity", "param", "formula_text", "formula", "calculate_gain")} | {
            "course_ratio": t("init.col_course"), "rms_ratio": t("init.col_rms")}),
            hide_index=True)
        csv_download(table, "init_gains")
        st.markdown(t("init.gains_why", seed=config.seed, **init_lab.gains_story(table)))
        code_panel(init_lab.gains_script(config))


@st.fragment
def methods_tab() -> None:
    """One weight drawn by the chosen nn.init method, its parameters from the method's entry."""
    left, right = st.columns([1, 3], gap="large")
    with left:
        names = list(initializers.METHODS)
        method = choose(t("init.method"), names, index=names.index(first_method()),
                        format_func=lambda m: f"{m}_", key="init_method")
        fan_in = number("init.fan_in", "init_fan_in", step=1)
        fan_out = number("init.fan_out", "init_fan_out", step=1)
        seed = number("init.draw_seed", "init_draw_seed", step=1)
        entry = initializers.METHODS[method]
        spec = entry.spec(method)
        params = {}
        for param in entry.params:
            label, key, value = t(param.label or f"init.{param.field}"), \
                param_key(method, param), getattr(spec, param.field)
            if param.choices is None:
                params[param.field] = float(st.number_input(
                    label, value=float(value), step=0.01, format="%.4f", key=key,
                    bind="query-params"))
            else:
                options = initializers.choices_of(param)
                params[param.field] = choose(label, options, index=options.index(value), key=key)
    try:
        config, notices = init_lab.validate_draw(init_lab.DrawConfig(
            InitSpec(method, **params), fan_in=int(fan_in), fan_out=int(fan_out),
            seed=int(seed)))
    except InputError as error:
        with right:
            show_error(error)
        return
    drawn = compute_draw(config)
    spec = config.init
    with right:
        show_notices(notices)
        a, b = st.columns(2)
        c, d = st.columns(2)
        a.metric(t("init.metric_formula_std"), f"{drawn.formula_std:.5g}")
        b.metric(t("init.metric_measured_std"), f"{drawn.std:.5g}")
        c.metric(t("init.metric_formula_mean"), f"{drawn.formula_mean:.4g}")
        d.metric(t("init.metric_measured_mean"), f"{drawn.mean:.4g}")
        fi, fo = config.fan_in, config.fan_out
        st.markdown(t(
            f"init.formula_{method}", **{**vars(spec), "gain": drawn.gain, "fan": drawn.fan,
                                         "fan_in": fi, "fan_out": fo,
                                         "result": drawn.formula_std,
                                         "bound": drawn.bound[1] if drawn.bound else 0.0,
                                         "min_fan": min(fi, fo), "max_fan": max(fi, fo),
                                         "cells": fi * fo, "p": min(fi, fo) / (fi * fo),
                                         "zeros": math.ceil(spec.sparsity * fo)}))
        show_chart(charts.init_histogram,
            drawn.histogram, bounds=drawn.bound,
            title=t("init.hist_title", method=f"{method}_", fan_in=fi, fan_out=fo),
            x_title=t("init.axis_weight"), y_title=t("init.axis_fraction"),
            measured_label=t("init.series_measured"),
            expected_label=t("init.series_expected"), bound_label=t("init.bound_label"),
            height=260)
        if entry.note:
            st.caption(t(entry.note))
        csv_download(drawn.histogram, "init_histogram")
        code_panel(init_lab.draw_script(config))


st.title(t("init.title"))
explain(t("init.lead"))
network_lab()
