"""Lesson 1: exploding and vanishing gradients — the course's 100-layer demo, exactly."""

import math
from dataclasses import replace

import streamlit as st

from core import activations, charts, network, values
from core.errors import InputError
from ui.charts import show_chart
from ui.controls import default
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import t
from ui.trend import show_trend

# The lesson's controls: widget key -> NetConfig field. Every one starts at its field's default
# (the course's demo, seed 3 included), and the course's example button puts them all back.
CONTROLS = {"ex_depth": "depth", "ex_width": "width", "ex_batch": "batch", "ex_act": "activation",
            "ex_slope": "negative_slope", "ex_seed": "seed"}
STD_KEY = "ex_std"  # the weight std, NetConfig.init's


def course_init():
    """The course's init call (normal_ with std 1); the page moves only its std."""
    return default(network.NetConfig, "init")


def course_std() -> float:
    return course_init().std


@st.cache_data(max_entries=64, show_spinner=False)
def compute(config: network.NetConfig) -> network.NetResult:
    return network.run(config)


def preset_std(scaled: bool) -> None:
    """The course's two settings: std = 1, and std = sqrt(1/n) for the width in use."""
    width = network.WIDTH.clamp(st.session_state.get("ex_width", default(network.NetConfig,
                                                                          "width")), [])
    st.session_state[STD_KEY] = math.sqrt(1 / width) if scaled else course_std()


def course_example() -> None:
    """Every control back to the course's demo."""
    st.session_state.update({key: default(network.NetConfig, field)
                             for key, field in CONTROLS.items()})
    st.session_state[STD_KEY] = course_std()


def number(label: str, key: str, field: str, **kwargs):
    return st.number_input(t(label), value=default(network.NetConfig, field), key=key,
                           bind="query-params", **kwargs)


@st.fragment
def lab() -> None:
    """The controls and every view they drive: a move reruns this, not the page."""
    controls, view = st.columns([1, 3], gap="large")
    with controls:
        depth = number("explosion.depth", "ex_depth", "depth", step=1)
        width = number("explosion.width", "ex_width", "width", step=1)
        batch = number("explosion.batch", "ex_batch", "batch", step=1)
        std = st.number_input(t("explosion.std"), value=course_std(), step=0.01, format="%.5f",
                              key=STD_KEY, help=t("explosion.std_help"), bind="query-params")
        st.button(t("explosion.std_one"), on_click=preset_std, args=(False,), width="stretch")
        st.button(t("explosion.std_scaled"), on_click=preset_std, args=(True,), width="stretch")
        names = list(activations.ACTIVATIONS)
        activation = st.selectbox(
            t("explosion.activation"), names, key="ex_act", bind="query-params",
            index=names.index(default(network.NetConfig, "activation")))
        slope = default(network.NetConfig, "negative_slope")
        if activations.ACTIVATIONS[activation].takes_slope:
            slope = number("explosion.negative_slope", "ex_slope", "negative_slope", step=0.01,
                           format="%.3f")
        seed = number("explosion.seed", "ex_seed", "seed", step=1, help=t("explosion.seed_help"))
        st.button(t("explosion.course_example"), on_click=course_example, width="stretch",
                  key="ex_course_example")

    try:
        config, notices = network.validate(network.NetConfig(
            depth=int(depth), width=int(width), batch=int(batch), activation=activation,
            negative_slope=float(slope), init=replace(course_init(), std=float(std)),
            seed=int(seed)))
    except InputError as error:
        with view:
            show_error(error)
        return
    with view:
        show_run(config, compute(config), notices)


def show_run(config: network.NetConfig, result: network.NetResult, notices) -> None:
    """Where it blows up, the chart, the backward side, the console and the code."""
    layers = result.layers
    show_notices(notices)
    never = t("explosion.metric_none")
    first, second, third = st.columns(3)
    first.metric(t("explosion.metric_nan_std"),
                 never if result.first_nan_std is None else result.first_nan_std)
    second.metric(t("explosion.metric_first_inf"),
                  never if result.first_inf is None else result.first_inf)
    third.metric(t("explosion.metric_last_std"), f"{layers['std'].iloc[-1]:.4g}")

    series = {"std": t("explosion.series_measured"), "std64": t("explosion.series_float64"),
              "theory_std": t("explosion.series_theory")}
    nonfinite = [i for i in (result.first_nan_std, result.first_inf, result.first_nan)
                 if i is not None]
    height = 380  # in presenter mode the type grows, not the chart: it must fit 1280x720
    show_chart(charts.layer_lines,
        layers, series, title=t("explosion.chart_title"), x_title=t("explosion.axis_layer"),
        y_title=t("explosion.axis_std"), dashed=[series["std64"], series["theory_std"]],
        nonfinite_from=min(nonfinite) if nonfinite else None,
        nonfinite_label=t("explosion.nonfinite_marker"), height=height,
    )

    show_trend(result)
    if math.isnan(layers["theory_std"].iloc[0]):
        st.caption(t("explosion.no_theory", activation=config.activation))

    grad_nonfinite = layers.loc[~values.finite_positive(layers["grad_std"]), "layer"]
    show_chart(charts.layer_lines,
        layers, {"grad_std": t("explosion.series_grad")}, title=t("explosion.grad_title"),
        x_title=t("explosion.axis_layer"), y_title=t("explosion.axis_std"), dashed=[],
        nonfinite_from=int(grad_nonfinite.min()) if len(grad_nonfinite) else None,
        nonfinite_label=t("explosion.nonfinite_marker"), height=height // 2,
    )
    if len(grad_nonfinite):
        st.warning(t("explosion.grad_nonfinite", layer=int(grad_nonfinite.min())))
    st.caption(t("explosion.grad_note"))

    console, theory, why = st.tabs([t("common.console"), t("explosion.theory_title"),
                                    t("common.explanation")])
    with console:
        st.code("\n".join(result.console), language="text")
    with theory:
        st.markdown(t("explosion.theory", sqrt_n=math.sqrt(config.width),
                      scaled=math.sqrt(1 / config.width), width=config.width))
    with why:
        if result.first_nan_std is not None and result.first_inf is not None \
                and result.first_inf > result.first_nan_std:
            std64 = layers["std64"].iloc[result.first_nan_std]
            key = "explosion.course_diff" if config == network.validate(network.NetConfig())[0] \
                else "explosion.course_diff_short"
            st.markdown(t(key, nan_std=result.first_nan_std, first_inf=result.first_inf,
                          std64=std64, course=network.COURSE_STD_AT_30,
                          digits=values.agreeing_digits(std64, network.COURSE_STD_AT_30)))
        st.dataframe(layers, hide_index=True, height=240)
        csv_download(layers, "explosion_layers")
    code_panel(network.to_script(config))


st.title(t("explosion.title"))
explain(t("explosion.lead"))
lab()
