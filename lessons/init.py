"""Lesson 2: weight initialisation for each activation — every gain, every nn.init method, and the
matrix of every activation x every init on the previous lesson's network."""

import math

import streamlit as st

from core import activations, charts, init_lab, initializers, network, values
from core.errors import InputError
from core.initializers import InitSpec
from lessons import TABS
from ui.charts import show_chart
from ui.links import choose, sections
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import t
from ui.trend import show_trend


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
    course = network.NetConfig()
    activation, scheme = init_lab.COURSE_PAIRS[name]
    st.session_state.update(init_act=activation, init_scheme=scheme, init_depth=course.depth,
                            init_width=course.width, init_batch=course.batch, seed=course.seed)


def pick_cell(chart_key: str) -> None:
    """A click on a cell of either matrix chooses that cell (its activation and scheme)."""
    picked = st.session_state[chart_key]["selection"]["cell"]
    if picked:  # empty when the click cleared the selection: the chosen cell stays
        st.session_state.update(init_act=picked[0]["activation"],
                                init_scheme=picked[0]["scheme"])


st.title(t("init.title"))
explain(t("init.lead"))
controls, view = st.columns([1, 3], gap="large")

# ---- Controls: the network, the chosen cell, the course's three demos ---------------------
with controls:
    st.caption(t("init.pairs"))
    for pair in init_lab.COURSE_PAIRS:
        st.button(t(f"init.pair_{pair}"), on_click=course_pair, args=(pair,), width="stretch",
                  key=f"init_pair_{pair}")
    activation = st.selectbox(t("init.activation"), list(activations.ACTIVATIONS),
                              key="init_act", bind="query-params")
    scheme = choose(t("init.scheme"), init_lab.SCHEMES,
                    format_func=lambda s: t(f"init.scheme_{s}"), key="init_scheme")
    st.caption(t("init.network"))
    depth = st.number_input(t("init.depth"), value=100, step=1, key="init_depth",
                            bind="query-params")
    width = st.number_input(t("init.width"), value=256, step=1, key="init_width",
                            bind="query-params")
    batch = st.number_input(t("init.batch"), value=16, step=1, key="init_batch",
                            bind="query-params")
    slope = st.number_input(t("init.slope"), value=0.01, step=0.01, format="%.3f",
                            key="init_slope", bind="query-params")
seed = int(st.session_state.get("seed", 3))

# ---- Compute: the matrix and the chosen cell, both through core.network ---------------------
try:
    config, notices = init_lab.validate_matrix(init_lab.MatrixConfig(
        depth=int(depth), width=int(width), batch=int(batch), negative_slope=float(slope),
        seed=seed))
except InputError as error:
    with view:
        show_error(error)
    st.stop()
matrix = compute_matrix(config)
chosen = init_lab.cell(config, activation, scheme)
result = compute_cell(chosen)
layers = result.layers

# ---- View: the matrix, then the chosen cell layer by layer ----------------------------------
with view:
    show_notices(notices)
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

# ---- Below: gains, every method, the derivations, the matrix's numbers; only the open tab runs --
tabs, opened = sections("init_tab", {name: t(f"init.tab_{name}") for name in TABS["init"]})

if opened == "gains":
    with tabs["gains"]:
        left, right = st.columns([1, 3], gap="large")
        samples = left.number_input(t("init.samples"), value=10_000, step=1000, key="init_samples",
                                    bind="query-params")
        try:
            gain_config, gain_notices = init_lab.validate_gains(init_lab.GainConfig(
                samples=int(samples), negative_slope=float(slope), seed=seed))
        except InputError as error:
            with right:
                show_error(error)
        else:
            with right:
                show_notices(gain_notices)
                st.markdown(t("init.gains_lead"))
                table = compute_gains(gain_config)
                formula_key = {"tanh": "tanh", "relu": "relu", "leaky_relu": "leaky_relu",
                               "selu": "selu"}
                shown = table.assign(formula_text=table["nonlinearity"].map(
                    lambda n: t(f"init.gain_formula_{formula_key.get(n, 'one')}")))
                shown = shown[["nonlinearity", "param", "formula_text", "formula", "calculate_gain",
                               "course_ratio", "rms_ratio"]]
                st.dataframe(shown.rename(columns={
                    c: t(f"init.col_{c}") for c in
                    ("nonlinearity", "param", "formula_text", "formula", "calculate_gain")} | {
                    "course_ratio": t("init.col_course"), "rms_ratio": t("init.col_rms")}),
                    hide_index=True)
                csv_download(table, "init_gains")
                relu = table.set_index("nonlinearity").loc["relu"]
                st.markdown(t("init.gains_why", relu=relu["calculate_gain"],
                              relu_rms=relu["rms_ratio"], relu_course=relu["course_ratio"]))
                code_panel(init_lab.gains_script(gain_config))

if opened == "methods":
    with tabs["methods"]:
        left, right = st.columns([1, 3], gap="large")
        with left:
            method = choose(t("init.method"), initializers.METHODS, index=9,
                            format_func=lambda m: f"{m}_", key="init_method")
            fan_in = st.number_input(t("init.fan_in"), value=256, step=1, key="init_fan_in",
                                     bind="query-params")
            fan_out = st.number_input(t("init.fan_out"), value=256, step=1, key="init_fan_out",
                                      bind="query-params")
            params = {}

            def number(name: str, default: float, label: str | None = None) -> None:
                params[name] = float(st.number_input(
                    t(f"init.{label or name}"), value=default, step=0.01, format="%.4f",
                    key=f"init_m_{name}", bind="query-params"))

            if method in ("normal", "trunc_normal"):
                number("mean", 0.0)
            if method in ("normal", "trunc_normal", "sparse"):
                number("std", 1.0 if method != "sparse" else 0.01)
            if method == "uniform":
                number("low", 0.0)
                number("high", 1.0)
            if method == "trunc_normal":
                number("trunc_low", -2.0)
                number("trunc_high", 2.0)
            if method == "constant":
                number("value", 0.5)
            if method in ("orthogonal", "xavier_uniform", "xavier_normal"):
                number("gain", 1.0)
            if method == "sparse":
                number("sparsity", 0.1)
            if method.startswith("kaiming"):
                number("a", 0.0, label="kaiming_a")
                params["mode"] = st.selectbox(t("init.mode"), ["fan_in", "fan_out"],
                                              key="init_m_mode", bind="query-params")
                params["nonlinearity"] = st.selectbox(
                    t("init.nonlinearity"), list(init_lab.GAIN_FUNCTIONS),
                    index=list(init_lab.GAIN_FUNCTIONS).index("leaky_relu"),
                    key="init_m_nonlinearity", bind="query-params")
        try:
            draw_config, draw_notices = init_lab.validate_draw(init_lab.DrawConfig(
                InitSpec(method, **params), fan_in=int(fan_in), fan_out=int(fan_out), seed=seed))
        except InputError as error:
            with right:
                show_error(error)
        else:
            drawn = compute_draw(draw_config)
            spec = draw_config.init
            with right:
                show_notices(draw_notices)
                a, b = st.columns(2)
                c, d = st.columns(2)
                a.metric(t("init.metric_formula_std"), f"{drawn.formula_std:.5g}")
                b.metric(t("init.metric_measured_std"), f"{drawn.std:.5g}")
                c.metric(t("init.metric_formula_mean"), f"{drawn.formula_mean:.4g}")
                d.metric(t("init.metric_measured_mean"), f"{drawn.mean:.4g}")
                fi, fo = draw_config.fan_in, draw_config.fan_out
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
                if method == "orthogonal":
                    st.caption(t("init.orthogonal_note"))
                csv_download(drawn.histogram, "init_histogram")
                code_panel(init_lab.draw_script(draw_config))

if opened == "derivations":
    with tabs["derivations"]:
        st.markdown(t("init.derivations", **init_lab.derivations(
            config.width, config.width, config.negative_slope)))

if opened == "table":
    with tabs["table"]:
        st.dataframe(matrix, hide_index=True)
        csv_download(matrix, "init_matrix")

code_panel(network.to_script(chosen))
