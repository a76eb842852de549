"""Normalisation layers: BatchNorm's running statistics pass by pass beside the course's hand
update (its lesson 26), then BatchNorm, LayerNorm, InstanceNorm and GroupNorm on the course's
tensors, each with the block of the N × C × (H·W) cube it normalises together (its lesson 27)."""

import pandas as pd
import streamlit as st

from core import compare
from core.charts import normalisation as charts
from core.charts.common import wrapped
from core.normalisation import batchnorm, layers
from lessons import TABS
from ui.charts import show_chart
from ui.compare import keep_pins, labels
from ui.lesson import section
from ui.links import sections
from ui.panels import code_panel, explain
from ui.text import presenting, t
from ui.trend import named

LESSON = "normalisation"
BATCHNORM, LAYERS = (f"{LESSON}_{tab}" for tab in TABS[LESSON])


def views_of(config, pinned, compute) -> dict:
    """{view name: (Config, result)}: B alone, or A then B."""
    if pinned is None:
        return {labels()[1]: (config, compute(config))}
    return dict(zip(labels(), ((pinned, compute(pinned)), (config, compute(config))),
                    strict=True))


def consoles(runs: dict, console) -> None:
    """Each view's printout (console(config, result) -> lines), side by side when compared."""
    compared = len(runs) > 1
    for place, (name, (config, result)) in zip(st.columns(len(runs)), runs.items(),
                                               strict=True):
        if compared:
            place.caption(name)
        place.code("\n".join(console(config, result)), language="text", height=300)


# ---- BatchNorm's running statistics -----------------------------------------------------------

@st.cache_data(max_entries=64, show_spinner=False)
def batch_normed(config: batchnorm.BatchNormConfig) -> batchnorm.BatchNormResult:
    return batchnorm.run(config)


def statistics(result: batchnorm.BatchNormResult) -> pd.DataFrame:
    """The running statistics before the first pass (0 and 1) and after each, torch's and the
    course's hand update (with the biased variance), as chart rows."""
    passes = result.passes
    start = passes[passes["pass"] == 0].assign(running_mean=0.0, running_var=1.0, hand_mean=0.0,
                                               hand_var=1.0, **{"pass": -1})
    every = pd.concat([start, passes])
    return pd.concat([pd.DataFrame({
        "pass": every["pass"] + 1, "feature": every["feature"],
        "statistic": t(f"normalisation.statistic_{statistic}"), "source": source,
        "value": every[f"{prefix}_{statistic}"]})
        for source, prefix in ((t("normalisation.source_torch"), "running"),
                               (t("normalisation.source_hand"), "hand"))
        for statistic in ("mean", "var")], ignore_index=True)


def batchnorm_tab() -> None:
    view, checked, _ = section(BATCHNORM, batchnorm.BatchNormConfig, batchnorm.validate,
                               {"example": (t("normalisation.course_example"),
                                            batchnorm.BatchNormConfig())}, seed_field=None)
    if checked is None:
        return
    with view:
        runs = views_of(*checked, batch_normed)
        config, result = runs[labels()[1]]
        for name, (_, run) in runs.items():
            if run.error is not None:
                st.error(named(None if len(runs) == 1 else name,
                               t("normalisation.torch_refuses", message=run.error)))
        shown = {name: run for name, (_, run) in runs.items() if run.error is None}
        if shown:
            frames = [statistics(run) for run in shown.values()]
            frame = frames[0] if len(frames) == 1 else compare.side_by_side(*frames, *shown)
            show_chart(charts.running_stats, frame,
                       title=wrapped(t("normalisation.running_title"), 70 if presenting() else 90),
                       x_title=t("normalisation.passes"), y_title=t("normalisation.value"),
                       feature_title=t("normalisation.feature"),
                       torch_label=t("normalisation.source_torch"),
                       hand_label=t("normalisation.source_hand"),
                       width=200 if presenting() else 250,
                       height=160 if presenting() else 200, stretch=False)
            for name, run in shown.items():
                st.markdown(named(None if len(shown) == 1 else name, surprise(run)))
        if result.error is None:
            show_passes(result)
            show_train_eval(result)
        console_tab, shapes_tab, why = st.tabs([t("common.console"), t("normalisation.shapes"),
                                                t("common.explanation")])
        with console_tab:
            consoles(runs, batchnorm.console)
        with shapes_tab:
            st.dataframe(batchnorm.shapes().astype(str), hide_index=True)
            st.caption(t("normalisation.shapes_caption"))
        with why:
            st.markdown(t("normalisation.batchnorm_explanation"))
        code_panel(batchnorm.to_script(config))


def surprise(result: batchnorm.BatchNormResult) -> str:
    """Whether torch's running variance is the course's hand update, computed from the passes:
    equal where each feature's values are equal across the batch (both variances 0), otherwise
    the hand update with the unbiased variance."""
    passes = result.passes
    matches = ((passes["running_var"] - passes["hand_var"]).abs()
               <= 1e-6 * passes["hand_var"].abs().clip(lower=1)).all()
    n = len(result.input)
    if matches:
        return t("normalisation.surprise_none")
    row = passes.iloc[passes["batch_var"].idxmax()]
    return t("normalisation.surprise", n=n, factor=n / (n - 1), feature=int(row.feature),
             step=int(row["pass"]) + 1, biased=row.batch_var, unbiased=row.batch_var_unbiased,
             torch=row.running_var, hand=row.hand_var)


def show_passes(result: batchnorm.BatchNormResult) -> None:
    names = {"pass": t("normalisation.pass"), "feature": t("normalisation.feature"),
             "batch_mean": t("normalisation.batch_mean"),
             "batch_var": t("normalisation.batch_var"),
             "batch_var_unbiased": t("normalisation.batch_var_unbiased"),
             "running_mean": "running_mean", "hand_mean": t("normalisation.hand_mean"),
             "running_var": "running_var", "hand_var": t("normalisation.hand_var"),
             "hand_var_unbiased": t("normalisation.hand_var_unbiased")}
    table = result.passes.assign(**{"pass": result.passes["pass"] + 1})[list(names)]
    st.dataframe(table.rename(columns=names), hide_index=True, height=240)


def show_train_eval(result: batchnorm.BatchNormResult) -> None:
    """The last pass's output in train() beside eval()'s from the running statistics."""
    frame = result.train_output.merge(result.eval_output, on=["sample", "feature", "input"])
    st.markdown(t("normalisation.train_eval"))
    st.dataframe(frame.rename(columns={
        "sample": t("normalisation.sample"), "feature": t("normalisation.feature"),
        "input": t("normalisation.input"), "train": t("normalisation.output_train"),
        "eval": t("normalisation.output_eval"), "by_hand": t("normalisation.eval_by_hand")}),
        hide_index=True, height=200)


# ---- The four layers on the cube --------------------------------------------------------------

@st.cache_data(max_entries=64, show_spinner=False)
def normed(config: layers.LayerConfig) -> layers.LayerResult:
    return layers.run(config)


def layers_tab() -> None:
    view, checked, _ = section(LAYERS, layers.LayerConfig, layers.validate,
                               {"example": (t("normalisation.course_example"),
                                            layers.LayerConfig())})
    if checked is None:
        return
    with view:
        runs = views_of(*checked, normed)
        config, result = runs[labels()[1]]
        compared = len(runs) > 1
        places = st.columns(len(runs)) if compared else st.columns([3, 2], gap="medium")
        for place, (name, (run_config, run)) in zip(places, runs.items(), strict=False):
            with place:
                draw_cube(run_config, run, name if compared else None)
                if compared:
                    say_block(run_config, run)
        if not compared:
            with places[1]:
                say_block(config, result)
        if result.error is None:
            show_block_values(config, result)
        console, why = st.tabs([t("common.console"), t("common.explanation")])
        with console:
            consoles(runs, layers.console)
        with why:
            st.markdown(t("normalisation.layers_explanation"))
        code_panel(layers.to_script(config))


def draw_cube(config: layers.LayerConfig, result: layers.LayerResult, view: str | None) -> None:
    samples, channels, *spatial = layers.SHAPES[config.layer]
    names = {"n": t("normalisation.sample"), "c": t("normalisation.channel"),
             "hw": t("normalisation.position"), "N": "N", "C": "C", "HW": "H·W"}
    title = t("normalisation.cube_title", layer=layers.short(config))
    show_chart(charts.cube, (samples, channels, spatial[0] * spatial[1]),
               None if result.error else layers.block_box(config), names,
               title=title if view is None else f"{view}: {title}",
               legend={"cube": t("normalisation.every_value"),
                       "block": t("normalisation.together")},
               height=260 if presenting() else 300, title_width=28 if presenting() else 44)


def say_block(config: layers.LayerConfig, result: layers.LayerResult) -> None:
    """What the layer normalises together, and how torch's output compares with the hand
    computation; torch's own message where it refuses."""
    if result.error is not None:
        st.error(t("normalisation.torch_refuses", message=result.error))
        return
    box = layers.block_box(config)
    count = int(layers.block(config).sum())
    st.markdown(t(f"normalisation.block_{config.layer}", count=count, sample=config.sample,
                  channel=config.channel, first=box[1][0], last=box[1][1] - 1))
    st.markdown(t("normalisation.checked", difference=result.largest_difference,
                  epsilons=result.epsilons, term=result.largest_term))
    shape = t("normalisation.no_weight") if result.weight_shape is None \
        else str(result.weight_shape)
    st.caption(t("normalisation.weight_shape", shape=shape))


def show_block_values(config: layers.LayerConfig, result: layers.LayerResult) -> None:
    """The block's values: input, torch's output and the hand computation's."""
    mask = layers.block(config)
    index = mask.nonzero().tolist()
    frame = pd.DataFrame({
        t("normalisation.where"): [str(tuple(i)) for i in index],
        t("normalisation.input"): result.input[mask].tolist(),
        t("normalisation.output_torch"): result.output[mask].tolist(),
        t("normalisation.output_hand"): result.hand[mask].tolist()})
    st.dataframe(frame, hide_index=True, height=200)


st.title(t("normalisation.title"))
explain(t("normalisation.lead"))
tabs, opened = sections(f"{LESSON}_tab", {name: t(f"normalisation.tab_{name}")
                                          for name in TABS[LESSON]})
keep_pins([f"{LESSON}_{name}" for name in TABS[LESSON] if name != opened])
with tabs[opened]:
    {"batchnorm": batchnorm_tab, "layers": layers_tab}[opened]()
