"""Lesson 1: exploding and vanishing gradients — the course's 100-layer demo, exactly."""

import math

import streamlit as st

from core import activations, charts, network, values
from core.errors import InputError
from core.initializers import InitSpec
from ui.charts import show_chart
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import t
from ui.trend import show_trend


@st.cache_data(max_entries=64, show_spinner=False)
def compute(config: network.NetConfig) -> network.NetResult:
    return network.run(config)


def preset_std(scaled: bool) -> None:
    """The course's two settings: std = 1, and std = sqrt(1/n) for the width in use."""
    width = network.WIDTH.clamp(st.session_state.get("ex_width", 256), [])
    st.session_state["ex_std"] = math.sqrt(1 / width) if scaled else 1.0


st.title(t("explosion.title"))
explain(t("explosion.lead"))
controls, view = st.columns([1, 3], gap="large")

# ---- Controls: the course's demo is the default -------------------------------------------
with controls:
    depth = st.number_input(t("explosion.depth"), value=100, step=1, key="ex_depth",
                            bind="query-params")
    width = st.number_input(t("explosion.width"), value=256, step=1, key="ex_width",
                            bind="query-params")
    batch = st.number_input(t("explosion.batch"), value=16, step=1, key="ex_batch",
                            bind="query-params")
    std = st.number_input(t("explosion.std"), value=1.0, step=0.01, format="%.5f", key="ex_std",
                          help=t("explosion.std_help"), bind="query-params")
    st.button(t("explosion.std_one"), on_click=preset_std, args=(False,), width="stretch")
    st.button(t("explosion.std_scaled"), on_click=preset_std, args=(True,), width="stretch")
    activation = st.selectbox(t("explosion.activation"), list(activations.ACTIVATIONS),
                              key="ex_act", bind="query-params")
    slope = 0.01
    if activation == "leaky_relu":
        slope = st.number_input(t("explosion.negative_slope"), value=0.01, step=0.01,
                                format="%.3f", key="ex_slope", bind="query-params")

# ---- Compute: validated Config -> cached core run -------------------------------------------
try:
    config, notices = network.validate(network.NetConfig(
        depth=int(depth), width=int(width), batch=int(batch), activation=activation,
        negative_slope=float(slope), init=InitSpec("normal", std=float(std)),
        seed=int(st.session_state.get("seed", 3)),
    ))
except InputError as error:
    with view:
        show_error(error)
    st.stop()
result = compute(config)
layers = result.layers

# ---- View: where it blows up, the chart, the backward side ----------------------------------
with view:
    show_notices(notices)
    never = t("explosion.metric_none")
    first, second, third = st.columns(3)
    first.metric(t("explosion.metric_nan_std"),
                 never if result.first_nan_std is None else result.first_nan_std)
    second.metric(t("explosion.metric_first_inf"),
                  never if result.first_inf is None else result.first_inf)
    last_std = layers["std"].iloc[-1]
    third.metric(t("explosion.metric_last_std"), f"{last_std:.4g}")

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
        st.caption(t("explosion.no_theory", activation=activation))

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
