"""Lesson 2: weight initialisation for each activation — every gain, every nn.init method, and the
matrix of every activation x every init on the previous lesson's network."""

import math

import streamlit as st

from core import activations, charts, init_lab, initializers, network, values
from core.errors import InputError
from core.initializers import InitSpec
from lessons import TABS
from ui.charts import show_chart
from ui.controls import default
from ui.links import choose, sections
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import t
from ui.trend import show_trend

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
FIRST_SCHEME = next(iter(init_lab.SCHEMES))


def start(key: str):
    return default(*CONTROLS[key])


def first_method() -> str:
    return default(init_lab.DrawConfig, "init").method


@st.cache_data(max_entries=16, show_spinner=False)
def compute_matrix(config: init_lab.MatrixConfig):
    return init_lab.matrix(config)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_cell(config: network.NetConfig) -> network.NetResult:
    return network.run(config)


@st.cache_data(max_entries=16, show_spinner=False)
def compute_gains(config: init_lab.GainConfig):
    return init_lab.gains(config)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_draw(config: init_lab.DrawConfig) -> init_lab.DrawResult:
    return init_lab.draw(config)


def course_pair(name: str) -> None:
    """One of the course's demos, with the course's sizes and seed."""
    activation, scheme = init_lab.COURSE_PAIRS[name]
    st.session_state.update({key: start(key) for key in CONTROLS
                             if CONTROLS[key][0] is init_lab.MatrixConfig and key != "init_slope"})
    st.session_state.update(init_act=activation, init_scheme=scheme)


def course_example() -> None:
    """Every setting of the lesson back to the course's: sizes, seeds, cell, method."""
    st.session_state.update({key: start(key) for key in CONTROLS})
    st.session_state.update(init_scheme=FIRST_SCHEME, init_method=first_method())
    for name, method in initializers.METHODS.items():
        spec = method.spec(name)
        st.session_state.update({param_key(name, p): getattr(spec, p.field)
                                 for p in method.params})


def param_key(method: str, param: initializers.Param) -> str:
    return f"init_{method}_{param.field}"


def pick_cell(chart_key: str) -> None:
    """A click on a cell of either matrix chooses that cell (its activation and scheme)."""
    picked = st.session_state[chart_key]["selection"]["cell"]
    if picked:  # empty when the click cleared the selection: the chosen cell stays
        st.session_state.update(init_act=picked[0]["activation"],
                                init_scheme=picked[0]["scheme"])


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
        scheme = choose(t("init.scheme"), init_lab.SCHEMES,
                        format_func=lambda s: t(f"init.scheme_{s}"), key="init_scheme")
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
    matrix = compute_matrix(config)
    chosen = init_lab.cell(config, activation, scheme)
    with view:
        show_notices(notices)
        show_matrix(config, matrix, activation, scheme)
        show_cell(compute_cell(chosen), matrix, activation, scheme)

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
                st.dataframe(matrix, hide_index=True)
                csv_download(matrix, "init_matrix")
    code_panel(network.to_script(chosen))


def show_matrix(config, matrix, activation: str, scheme: str) -> None:
    cells = matrix.assign(
        row=matrix["activation"],
        column=matrix["scheme"].map(lambda s: t(f"init.short_{s}")))
    rows = list(activations.ACTIVATIONS)
    columns = [t(f"init.short_{s}") for s in init_lab.SCHEMES]
    for value, healthy, title, value_title in (
            ("last_std", "forward_healthy", "init.matrix_forward", "init.value_last_std"),
            ("grad_ratio", "backward_healthy", "init.matrix_backward", "init.value_grad_ratio")):
        labelled = cells.assign(label=cells[value].map(lambda v: f"{v:.2g}"))
        chart_key = f"init_pick_{value}"
        show_chart(charts.init_matrix,
            labelled, value=value, healthy=healthy, rows=rows, columns=columns,
            chosen=(activation, scheme), title=t(title), value_title=t(value_title),
            healthy_label=t("init.healthy"), height=168,
            stretch=False, key=chart_key, on_select=lambda key=chart_key: pick_cell(key))
    st.caption(t("init.matrix_caption", seed=config.seed))


def show_cell(result: network.NetResult, matrix, activation: str, scheme: str) -> None:
    layers = result.layers
    series = {"std": t("init.series_forward"), "grad_std": t("init.series_backward")}
    finite = values.finite_positive(layers["std"]) & values.finite_positive(layers["grad_std"])
    bad = layers.loc[~finite, "layer"]
    show_chart(charts.layer_lines,
        layers, series, title=t("init.cell_title", activation=activation,
                                scheme=t(f"init.scheme_{scheme}")),
        x_title=t("init.axis_layer"), y_title=t("init.axis_std"), dashed=[series["grad_std"]],
        nonfinite_from=int(bad.min()) if len(bad) else None,
        nonfinite_label=t("init.nonfinite"), height=240)
    verdict, side = st.columns(2)
    show_trend(result, verdict)
    ratio = matrix.set_index(["activation", "scheme"]).loc[(activation, scheme), "grad_ratio"]
    if init_lab.in_band(ratio):
        side.success(t("init.backward_ok", ratio=ratio))
    elif not math.isfinite(ratio):
        side.error(t("init.backward_nonfinite", ratio=ratio))
    else:
        side.warning(t("init.backward_bad", ratio=ratio))


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
