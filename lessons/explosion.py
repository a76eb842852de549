"""Lesson 1: exploding and vanishing gradients — the course's 100-layer demo, exactly, and its cure:
BatchNorm, the course's own demo of it one click away."""

import math

import pandas as pd
import streamlit as st

from core import activations, compare, network, values
from core.charts import layers as charts
from core.settings import with_values
from ui import widgets
from ui.charts import show_chart
from ui.compare import labels
from ui.lesson import checked_views
from ui.panels import code_panel, csv_download, explain
from ui.text import presenting, t
from ui.trend import named, show_backward, show_trend
from ui.widgets import control, controls, key_of

LESSON = "explosion"
# The controls, in the order drawn: the weight std (the course's init call is normal_(std=1),
# and the page moves only its std) and whether to re-initialise at all, BatchNorm, the
# activation, then the network's size and draw. Each one starts at the Config's default (the
# course's demo, seed 3 included), and the course's example button puts them all back.
PATHS = ["init.std", "initialize", "batchnorm", "activation", "negative_slope", "depth", "batch",
         "width", "seed"]
SWITCHES = ["initialize", "batchnorm"]  # drawn in the row of the std's course values
STD_KEY = key_of(LESSON, "init.std")


@st.cache_data(max_entries=64, show_spinner=False)
def compute(config: network.NetConfig) -> network.NetResult:
    return network.run(config)


@st.cache_data(max_entries=16, show_spinner=False)
def compute_inits(config: network.NetConfig):
    return network.batchnorm_inits(config)


@st.cache_data(max_entries=16, show_spinner=False)
def compared(a: network.NetConfig, b: network.NetConfig, label_a: str,
             label_b: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A's and B's layers as one chart frame (a VIEW column) and as one table (a column each),
    from the cached runs: a rerun with A pinned builds neither again."""
    layers_a, layers_b = compute(a).layers, compute(b).layers
    return (compare.side_by_side(layers_a, layers_b, label_a, label_b),
            compare.column_each(layers_a, layers_b, "layer", label_a, label_b))


def preset_std(scaled: bool) -> None:
    """The course's two settings: std = 1, and std = sqrt(1/n) for the width in use."""
    width = network.WIDTH.clamp(st.session_state.get(key_of(LESSON, "width"),
                                                     network.NetConfig().width), [])
    st.session_state[STD_KEY] = math.sqrt(1 / width) if scaled else network.NetConfig().init.std


def restore(config: network.NetConfig) -> None:
    """Every control set from config: the course's demo, a pinned view, a swap."""
    widgets.restore(LESSON, config, PATHS)


@st.fragment
def lab() -> None:
    """The controls and every view they drive: a move reruns this, not the page."""
    # At 1280 x 720 every control is on the first screen, in presenter mode's large type too:
    # the way back to the course's example first (as on the schedules lesson), then the lesson's
    # own settings (the std, the two switches beside it, its two course values, the
    # activation), then the network's size and draw two to a row; the course's BatchNorm demo
    # above the chart (the controls' column has no row to spare).
    column, view = st.columns([1.25, 1.4] if presenting() else [1.3, 2.7], gap="large")
    chosen = {}
    with column.container(gap="xxsmall" if presenting() else "xsmall"):
        st.button(t("explosion.course_example"), on_click=restore, args=(network.NetConfig(),),
                  width="stretch", key="explosion_course_example")
        view.button(t("explosion.batchnorm_example"), on_click=restore,
                    args=(network.BATCHNORM_COURSE,), key="explosion_batchnorm_example",
                    help=t("explosion.batchnorm_example_help"))
        std, switches = st.columns([1.1, 1], gap="small", vertical_alignment="center")
        with std:
            chosen["init.std"] = control(LESSON, network.NetConfig, "init.std", step=0.01,
                                         format="%.5f")
        presets = st.container(horizontal=True, gap="xsmall")
        presets.button(t("explosion.std_one"), on_click=preset_std, args=(False,),
                       key="explosion_std_one")
        presets.button(t("explosion.std_scaled"), on_click=preset_std, args=(True,),
                       key="explosion_std_scaled")
        with switches:
            chosen |= controls(LESSON, network.NetConfig, SWITCHES)
        # two controls to a row: the activation beside its slope (a row of its own put the
        # network's width and seed below 720 px)
        pairs = [st.columns(2, gap="small") for _ in range(3)]
        rest = [path for path in PATHS[1:] if path not in SWITCHES]
        for place, path in zip([place for pair in pairs for place in pair], rest, strict=True):
            with place:
                chosen |= controls(LESSON, network.NetConfig, [path], drawn=chosen)
    with view:
        checked = checked_views(LESSON, with_values(network.NetConfig(), chosen),
                                network.validate, restore)
        if checked is not None:
            config, pinned = checked
            show_run(config, compute(config),
                     None if pinned is None else (pinned, compute(pinned)))


def first_nonfinite(result: network.NetResult) -> int | None:
    """The first layer where the forward pass stops being finite (its std, or an activation)."""
    found = [i for i in (result.first_nan_std, result.first_inf, result.first_nan)
             if i is not None]
    return min(found) if found else None


def first_bad_gradient(result: network.NetResult) -> int | None:
    bad = result.layers.loc[~values.finite_positive(result.layers["grad_std"]), "layer"]
    return int(bad.min()) if len(bad) else None


def show_run(config: network.NetConfig, result: network.NetResult,
             pinned: tuple[network.NetConfig, network.NetResult] | None) -> None:
    """Where it blows up, the chart, the backward side, BatchNorm's settled std, the console and
    the code; with a pinned view A, each of them shows A beside this view B."""
    label_a, label_b = labels()
    runs = {label_b: (config, result)} if pinned is None else {label_a: pinned,
                                                              label_b: (config, result)}
    chart_frame, table = (result.layers, result.layers) if pinned is None else compared(
        pinned[0], config, label_a, label_b)

    def markers(first) -> list[tuple[int, str]]:
        """The red rule of each run that stops being finite, named by its view when compared."""
        marker = t("explosion.nonfinite_marker")
        return [(first(run), named(None if pinned is None else name, marker))
                for name, (_, run) in runs.items() if first(run) is not None]

    # in presenter mode the type grows and the chart shrinks: the chart with its line naming
    # what differs must fit 1280x720
    height = 300 if presenting() else 380
    series = {"std": t("explosion.series_measured")} | present(
        {"run64_std": t("explosion.series_run64")}, chart_frame) | {
        "theory_std": t("explosion.series_theory")}
    show_chart(charts.layer_lines,
        chart_frame, series, title=t("explosion.chart_title"),
        x_title=t("explosion.axis_layer"), y_title=t("explosion.axis_std"),
        dashed=list(series.values())[1:], nonfinite=markers(first_nonfinite), height=height,
    )
    show_metrics(result, None if pinned is None else pinned[1])
    for place, (name, (shown, run)) in zip(st.columns(len(runs)), runs.items(), strict=True):
        show_trend(run, place, name if pinned is not None else None)
        show_backward(shown, run, place, name if pinned is not None else None)
    if math.isnan(result.layers["theory_std"].iloc[0]):
        st.caption(t("explosion.no_theory", activation=config.activation))
    if not config.initialize:
        st.caption(t("explosion.no_initialize"))

    grads = {"grad_std": t("explosion.series_grad")} | present(
        {"run64_grad_std": t("explosion.series_grad64")}, chart_frame)
    show_chart(charts.layer_lines,
        chart_frame, grads, title=t("explosion.grad_title"), x_title=t("explosion.axis_layer"),
        y_title=t("explosion.axis_std"), dashed=list(grads.values())[1:],
        nonfinite=markers(first_bad_gradient), height=height // 2,
    )
    if first_bad_gradient(result) is not None:
        st.warning(t("explosion.grad_nonfinite", layer=first_bad_gradient(result)))
    st.caption(t("explosion.grad_note"))
    if config.batchnorm:
        show_batchnorm(config, result)

    console, theory, why = st.tabs([t("common.console"), t("explosion.theory_title"),
                                    t("explosion.why_title")])
    with console:
        for place, (name, (_, run)) in zip(st.columns(len(runs)), runs.items(), strict=True):
            if pinned is not None:
                place.caption(name)
            place.code("\n".join(run.console), language="text")
    with theory:
        st.markdown(t("explosion.theory", **theory_numbers(config)))
    with why:
        show_why(config, result)
        st.dataframe(table, hide_index=True, height=240)
        csv_download(table, "explosion_layers")
    code_panel(network.to_script(config))


def present(series: dict[str, str], frame: pd.DataFrame) -> dict[str, str]:
    """Those of the optional series a frame has values of (a run that stays finite has no
    float64 run)."""
    return {column: label for column, label in series.items() if frame[column].notna().any()}


def theory_numbers(config: network.NetConfig) -> dict:
    """The variance argument's numbers for this width: sqrt(n), how many layers of it pass
    float32's largest number, and the std that keeps D(H) = D(X)."""
    root = math.sqrt(config.width)
    layers = math.floor(network.FLOAT32_MAX_LOG / math.log(root)) + 1
    return {"sqrt_n": root, "layers": layers, "power": root**layers,
            "scaled": math.sqrt(1 / config.width), "width": config.width}


def show_why(config: network.NetConfig, result: network.NetResult) -> None:
    """Why torch 2.13 says nan one layer before the course did: computed from this run."""
    if result.first_nan_std is None or result.first_inf is None \
            or result.first_inf <= result.first_nan_std:
        return
    std64 = result.layers["std64"].iloc[result.first_nan_std]
    key = "explosion.course_diff" if config == network.validate(network.NetConfig())[0] \
        else "explosion.course_diff_short"
    st.markdown(t(key, nan_std=result.first_nan_std, first_inf=result.first_inf, std64=std64,
                  squares=std64**2, course=network.COURSE_STD_AT_30,
                  digits=values.agreeing_digits(std64, network.COURSE_STD_AT_30)))


def show_batchnorm(config: network.NetConfig, result: network.NetResult) -> None:
    """Behind BatchNorm: where the std settles and why, and the initialisation no longer
    mattering (std = 1, Kaiming and nn.Linear's default, each layer's std)."""
    st.subheader(t("explosion.batchnorm_title"))
    settled = network.settled_std(config)
    mean, second = activations.normal_moments(config.activation, config.negative_slope)
    measured = result.layers["std"]
    st.markdown(t("explosion.batchnorm_settled", settled=settled, mean=mean, second=second,
                  measured=measured.mean(), low=measured.min(), high=measured.max(),
                  activation=config.activation, batch=config.batch))
    inits = compute_inits(config)
    names = {name: t(f"explosion.init_{name}") for name in network.BATCHNORM_INITS}
    show_chart(charts.layer_lines,
        inits.assign(settled=settled), names | {"settled": t("explosion.series_settled")},
        title=t("explosion.inits_title"), x_title=t("explosion.axis_layer"),
        y_title=t("explosion.axis_std"), dashed=[t("explosion.series_settled")], nonfinite=[],
        height=220)
    spread = inits[list(names)].max(axis=1) / inits[list(names)].min(axis=1) - 1
    st.markdown(t("explosion.inits_same", spread=100 * spread.max(),
                  first=100 * abs(inits["std_one"].iloc[0] / inits["kaiming"].iloc[0] - 1)))
    code_panel(network.batchnorm_inits_script(config))


def show_metrics(result: network.NetResult, pinned: network.NetResult | None) -> None:
    """Where it blows up and how large it ends; with A pinned, each with its change from A:
    B minus A where both are numbers, otherwise what A had ("never", nan)."""
    measures = {
        "explosion.metric_nan_std": lambda run: run.first_nan_std,
        "explosion.metric_first_inf": lambda run: run.first_inf,
        "explosion.metric_last_std": lambda run: run.layers["std"].iloc[-1],
    }

    def as_text(value) -> str:
        return t("explosion.metric_none") if value is None else \
            str(value) if isinstance(value, int) else f"{value:.4g}"

    for place, (label, measure) in zip(st.columns(len(measures)), measures.items(), strict=True):
        value = measure(result)
        if pinned is None:
            place.metric(t(label), as_text(value))
            continue
        before = measure(pinned)
        if all(v is not None and math.isfinite(v) for v in (value, before)):
            place.metric(t(label), as_text(value), delta=f"{value - before:+.4g}",
                         delta_color="off", delta_description=t("explosion.delta_minus"))
        else:
            place.metric(t(label), as_text(value), delta=named(labels()[0], as_text(before)),
                         delta_color="off", delta_arrow="off")


st.title(t("explosion.title"))
explain(t("explosion.lead"))
lab()
