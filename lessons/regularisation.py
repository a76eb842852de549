"""Regularisation: the course's weight decay and dropout demos (its lessons 24 and 25), trained
live, Dropout's 1/(1 − p) scaling, and weight decay in SGD, in the loss, in Adam and in AdamW.

The two networks of the demo train in this session (a fit.Pair in st.session_state: it is
mutated as it trains, so it is this session's alone), in chunks: while playing, a fragment the
browser reruns on a timer trains a chunk and redraws the live views, without rerunning the page
(ui.live, the training lab's way). A pinned view A trains beside B, iteration for iteration."""

import copy
import math

import pandas as pd
import pyarrow as pa
import streamlit as st

from core import compare
from core.charts import regularisation as charts
from core.charts.common import wrapped
from core.regularisation import decay, fit, scaling
from lessons import TABS
from ui import live, widgets
from ui.charts import show_chart
from ui.compare import keep_pins, labels, metric_change
from ui.lesson import section
from ui.links import sections
from ui.panels import code_panel, csv_download, explain
from ui.text import presenting, t
from ui.trend import named

LESSON = "regularisation"
FIT, SCALING, DECAY = (f"{LESSON}_{tab}" for tab in TABS[LESSON])
PLAY = f"{FIT}_play"
PAIRS = f"{FIT}_pairs"  # the pairs kept in the session (ui.live.kept_runs)
ENDED = f"{FIT}_ended"  # set when a playing run reaches its end: the next run pauses
TICK = 0.08  # seconds between redraws while playing (the lab's)
CHUNK = 0.02  # seconds of training per redraw (the lab's)
CURVE_POINTS, PLAYING_POINTS = 400, 200  # iterations a loss curve is thinned to


# ---- The course's demos, trained live ---------------------------------------------------------

def restore_fit(config: fit.FitConfig) -> None:
    """Every control set from config (a course example, a pinned view swapped in); pauses."""
    widgets.restore(FIT, config)
    stop()


def stop() -> None:
    st.session_state[PLAY] = False


def kept_pairs(b_config: fit.FitConfig,
               a_config: fit.FitConfig | None) -> tuple[fit.Pair, fit.Pair | None]:
    """B's pair and the pinned A's, kept while their Configs stay (ui.live.kept_runs: a pair
    just pinned is B's so far, copied; when B starts again, so does A, so the two are always
    compared at the same iteration); kept where the buttons' callbacks find them too."""
    b, a = live.kept_runs(PAIRS, b_config, a_config, fit.Pair, copy.deepcopy)
    st.session_state[f"{FIT}_pair"], st.session_state[f"{FIT}_pair_a"] = b, a
    return b, a


def advance(target: int | None) -> None:
    """Pause and train B (and A with it) to the next display step after the iteration on screen
    (target), or to the end (None): a click delivered twice trains once."""
    stop()
    pair, pair_a = st.session_state[f"{FIT}_pair"], st.session_state[f"{FIT}_pair_a"]
    pair.catch_up(pair.config.iterations if target is None else target)
    if pair_a is not None:
        pair_a.catch_up(pair.iteration)


def reset() -> None:
    live.forget(PAIRS)
    stop()


def fit_tab() -> None:
    if st.session_state.pop(ENDED, False):  # before the Play switch is drawn
        stop()
    examples = {name: (t(f"regularisation.course_{name}"), example) for name, example in
                (("lesson_24", fit.WEIGHT_DECAY_EXAMPLE), ("lesson_25", fit.DROPOUT_EXAMPLE))}
    # the run's buttons in one row with the pin buttons, drawn once the run is known
    view, checked, buttons = section(FIT, fit.FitConfig, fit.validate, examples, restore_fit,
                                     buttons=True)
    if checked is None:
        return
    with view:
        config, pinned = checked
        pair, pair_a = kept_pairs(config, pinned)
        playing = buttons.toggle(t("regularisation.play"), key=PLAY)
        if playing and pair.done:  # Play again from the start
            live.forget(PAIRS)
            pair, pair_a = kept_pairs(config, pinned)
        shown = pair.iteration
        following = min(config.iterations, (shown // config.every + 1) * config.every)
        buttons.button(t("regularisation.step", iterations=following), on_click=advance,
                       args=(following,), key=f"{FIT}_step", disabled=pair.done)
        buttons.button(t("regularisation.to_end", iterations=config.iterations),
                       on_click=advance, args=(None,), key=f"{FIT}_end", disabled=pair.done)
        buttons.button(t("regularisation.reset"), on_click=reset, key=f"{FIT}_reset")
        live.live(PLAY, fit_views, pair, pair_a, tick=TICK)


def fit_views(pair: fit.Pair, pair_a: fit.Pair | None) -> None:
    """Paused: every view. Playing (on the browser's timer): a chunk of training (A keeps pace)
    and the live views; at the end of the run, the whole page again, paused."""
    if not st.session_state.get(PLAY):
        live_views(pair, pair_a)
        paused_views(pair, pair_a)
        return
    pair.train(seconds=CHUNK if pair_a is None else CHUNK / 2)
    if pair_a is not None:
        pair_a.catch_up(pair.iteration)
    if pair.done:
        st.session_state[ENDED] = True
        st.rerun()
    live_views(pair, pair_a)


def net_names(config: fit.FitConfig, compared: bool = False) -> dict[str, str]:
    """The two networks as the page names them; compared (beside a pinned view, whose second
    network may be another), by their roles alone."""
    if compared:
        second = t("regularisation.net_regularised")
    elif config.weight_decay and config.dropout:
        second = t("regularisation.net_both", weight_decay=config.weight_decay,
                   dropout=config.dropout)
    elif config.weight_decay or config.dropout:
        second = t("regularisation.net_decay", weight_decay=config.weight_decay) \
            if config.weight_decay else t("regularisation.net_dropout", dropout=config.dropout)
    else:
        second = t("regularisation.net_none")
    return {"plain": t("regularisation.net_plain"), "regularised": second}


def as_table(frame: pd.DataFrame) -> pa.Table:
    """A chart's rows as the Arrow table it is sent, made on this thread (given a DataFrame,
    Streamlit converts it on pyarrow's thread pool, started and joined for every redraw)."""
    return pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)


def live_views(pair: fit.Pair, pair_a: fit.Pair | None) -> None:
    """The numbers, the two fits and the losses: what is redrawn while the networks train."""
    names = net_names(pair.config, compared=pair_a is not None)
    runs = [pair] if pair_a is None else [pair_a, pair]
    views = {} if pair_a is None else {"views": labels()}

    def both(frame_of) -> pd.DataFrame:
        frames = [frame_of(run) for run in runs]
        return frames[0] if pair_a is None else compare.side_by_side(*frames, *labels())

    if not presenting():  # on a projector the charts come first, the numbers below them
        show_metrics(pair, pair_a, names)
    set_names = {"train": t("regularisation.points_train"),
                 "test": t("regularisation.points_test")}
    curves = both(lambda run: run.fits())
    left, right = st.columns(2)
    height = 230 if presenting() else 310
    with left:
        show_chart(charts.fit_curves, (*names.values(), *set_names.values()),
                   data=as_table(charts.fit_rows(curves, pair.points(), names, set_names)),
                   title=wrapped(t("regularisation.fit_title", iteration=pair.iteration),
                                 26 if presenting() else 60),
                   x_title="x", y_title="y", height=height, **views)
    points = (PLAYING_POINTS if st.session_state.get(PLAY) else CURVE_POINTS) // len(runs)
    losses = both(lambda run: run.losses(points))
    sets = {"train": t("regularisation.set_train"), "test": t("regularisation.set_test")}
    by = ["net"] + ([compare.VIEW] if pair_a is not None else [])
    stops = charts.first_nonfinite(losses, by)
    with right:
        show_chart(charts.loss_curves, tuple(names.values()), tuple(sets.values()),
                   data=as_table(losses.assign(net=losses["net"].map(names),
                                               set=losses["set"].map(sets))),
                   # on a projector the plot is shorter than the axis's title: the title says it
                   title=[t("regularisation.loss_title"), t("regularisation.loss_axis")]
                   if presenting() else wrapped(t("regularisation.loss_title"), 60),
                   x_title=t("regularisation.iteration"), y_axis_title=not presenting(),
                   y_title=t("regularisation.loss_axis"), height=height,
                   stops=tuple((int(row.iteration), named(
                       None if pair_a is None else getattr(row, compare.VIEW),
                       t("regularisation.not_finite", net=names[row.net])))
                       for row in stops.itertuples()), **views)
    for curve in (curves[~curves["y"].map(math.isfinite)]
                  .drop_duplicates(by).itertuples()):
        st.warning(t("regularisation.fit_not_finite", net=names[curve.net]))
    if presenting():
        show_metrics(pair, pair_a, names)


def show_metrics(pair: fit.Pair, pair_a: fit.Pair | None, names: dict[str, str]) -> None:
    """The iteration, and each net's last training and test loss (compared: with B − A): in a
    row, or on a projector's large type in two rows of three, each network's on its own row."""
    if presenting():
        first, second = st.columns(3), st.columns(3)
        columns = [first[0], first[1], first[2], second[1], second[2]]
    else:
        columns = st.columns([0.7, 1, 1, 1, 1])
    columns[0].metric(t("regularisation.iteration"), pair.iteration)
    digits = ".2g" if presenting() else ".3g"  # a projector's type: "3.5e-08" fits, "3.47e-08" not
    last, before = pair.latest(), None if pair_a is None else pair_a.latest()
    for column, (net, kind) in zip(columns[1:], [(n, k) for n in fit.NETS
                                                 for k in ("train", "test")], strict=True):
        value = last[f"{kind}_{net}"]
        column.metric(t(f"regularisation.metric_{kind}", net=names[net]),
                      "—" if value != value else f"{value:{digits}}",
                      **metric_change(value, None if before is None else before[f"{kind}_{net}"],
                                      ".3g", "inverse"))


def paused_views(pair: fit.Pair, pair_a: fit.Pair | None) -> None:
    """What the course logs and prints, the verdict, the weights, the script: drawn when the
    networks stand still."""
    names = net_names(pair.config, compared=pair_a is not None)
    runs = {labels()[1]: pair} if pair_a is None else dict(zip(labels(), (pair_a, pair),
                                                               strict=True))
    for view, run in runs.items():
        sentence = verdict(run)
        if sentence:
            st.info(named(None if pair_a is None else view, sentence))
    width = 120 if presenting() else 135

    def both(frame_of) -> pd.DataFrame:
        frames = [frame_of(run).assign(net=lambda f: f["net"].map(names))
                  for run in runs.values()]
        return frames[0] if pair_a is None else compare.side_by_side(*frames, *labels())

    show_chart(charts.weight_norms, both(lambda run: run.norms()),
               title=t("regularisation.norms_title"), x_title=t("regularisation.iteration"),
               y_title=t("regularisation.norm_axis"), layer_title=t("regularisation.layer"),
               width=2 * width + 20, height=170)
    show_chart(charts.weight_histograms, both(lambda run: run.weight_histograms()),
               title=t("regularisation.histograms_title"), x_title=t("regularisation.weight"),
               y_title=t("regularisation.density"), iteration_title=t("regularisation.iteration"),
               layer_title=t("regularisation.layer"), width=width, height=90, stretch=False)
    console, why = st.tabs([t("common.console"), t("common.explanation")])
    with console:
        for place, (view, run) in zip(st.columns(len(runs)), runs.items(), strict=True):
            if pair_a is not None:
                place.caption(view)
            lines = fit.console(run.config, run.display())
            place.code("\n".join(lines) if lines else t("regularisation.console_empty",
                                                       every=run.config.every),
                       language="text", height=260)
    with why:
        st.markdown(t("regularisation.fit_explanation", names=" / ".join(names.values())))
        table = pd.DataFrame(pair.display())
        st.dataframe(table, hide_index=True, height=200)
        csv_download(table, "regularisation_display")
    code_panel(fit.to_script(pair.config))


def verdict(pair: fit.Pair) -> str | None:
    """A sentence on what regularisation did, computed from the run's own numbers at its last
    recorded iteration: the training and test losses of both nets, the weights' norms."""
    last = pair.latest()
    if pair.iteration == 0 or not all(math.isfinite(v) for v in last.values()):
        return None
    names = net_names(pair.config)
    norms = pair.norms()
    now = norms[norms["iteration"] == norms["iteration"].max()].pivot(
        index="layer", columns="net", values="norm")
    smaller = int((now["regularised"] < now["plain"]).sum())
    better = last["test_regularised"] < last["test_plain"]
    return t("regularisation.verdict_better" if better else "regularisation.verdict_worse",
             iteration=pair.iteration, plain=names["plain"], other=names["regularised"],
             train_plain=last["train_plain"], test_plain=last["test_plain"],
             train_other=last["train_regularised"], test_other=last["test_regularised"],
             smaller=smaller, layers=len(now))


# ---- Dropout's scaling ------------------------------------------------------------------------

@st.cache_data(max_entries=64, show_spinner=False)
def scaled(config: scaling.ScalingConfig) -> scaling.ScalingResult:
    return scaling.run(config)


def scaling_tab() -> None:
    view, checked, _ = section(SCALING, scaling.ScalingConfig, scaling.validate,
                               {"example": (t("regularisation.course_example"),
                                            scaling.ScalingConfig())})
    if checked is None:
        return
    with view:
        config, pinned = checked
        result = scaled(config)
        before = None if pinned is None else scaled(pinned)
        columns = st.columns(3)
        for place, field in zip(columns, ("train_output", "eval_output", "kept"), strict=True):
            value = getattr(result, field)
            place.metric(t(f"regularisation.scaling_{field}"), f"{value:,.6g}",
                         **metric_change(value, None if before is None
                                         else getattr(before, field), ",.6g"))
        runs = {labels()[1]: (config, result)} if pinned is None else dict(zip(
            labels(), ((pinned, before), (config, result)), strict=True))
        for place, (name, (run_config, run)) in zip(st.columns(len(runs)), runs.items(),
                                                     strict=True):
            with place:
                if pinned is not None:
                    st.caption(name)
                st.markdown(t("regularisation.scaling_arithmetic", n=run_config.inputs,
                              p=run_config.p, keep=1 - run_config.p, kept=run.kept,
                              scale=run.scale, by_hand=run.by_hand, train=run.train_output,
                              eval=run.eval_output))
                st.code("\n".join(scaling.console(run)), language="text")
        frames = [pd.DataFrame({"output": run.outputs, "eval": run.eval_output})
                  for run in ([result] if pinned is None else [before, result])]
        show_chart(charts.dropout_outputs, frames[0] if pinned is None
                   else compare.side_by_side(*frames, *labels()),
                   title=t("regularisation.outputs_title", forwards=len(result.outputs)),
                   x_title=t("regularisation.output"), y_title=t("regularisation.forwards"),
                   eval_label=t("regularisation.eval_output"),
                   mean_label=t("regularisation.mean_output"), height=220)
        explain(t("regularisation.scaling_explanation"))
        code_panel(scaling.to_script(config))


# ---- Weight decay four ways -------------------------------------------------------------------

@st.cache_data(max_entries=16, show_spinner=False)
def decayed(config: decay.DecayConfig) -> decay.DecayResult:
    return decay.run(config)


def decay_tab() -> None:
    view, checked, _ = section(DECAY, decay.DecayConfig, decay.validate,
                               {"example": (t("regularisation.course_example"),
                                            decay.DecayConfig())})
    if checked is None:
        return
    with view:
        config, pinned = checked
        result = decayed(config)
        methods = {method: t(f"regularisation.method_{method}") for method in decay.METHODS}
        runs = [result] if pinned is None else [decayed(pinned), result]
        frames = [run.steps.assign(method=run.steps["method"].map(methods)) for run in runs]
        steps = frames[0] if pinned is None else compare.side_by_side(*frames, *labels())
        show_chart(charts.decay_lines, steps, tuple(methods.values()),
                   titles={y: wrapped(t(f"regularisation.decay_{y}_title"),
                                      24 if presenting() else 50) for y in ("norm", "loss")},
                   axes={y: t(f"regularisation.decay_{y}_axis") for y in ("norm", "loss")},
                   x_title=t("regularisation.step_axis"), width=165 if presenting() else 262,
                   height=200 if presenting() else 220, stretch=False,
                   legend_columns=2 if presenting() else 3)
        for name, run in zip(labels()[2 - len(runs):], runs, strict=True):
            st.markdown(named(None if pinned is None else name, decay_sentences(run, methods)))
        table = pd.DataFrame([{t("regularisation.pair"): f"{methods[row['a']]} · "
                                                        f"{methods[row['b']]}",
                               t("regularisation.bit_equal"): row["bit_equal"],
                               t("regularisation.largest_gap"): row["largest_gap"],
                               t("regularisation.parted_at"): "—" if row["parted_at"] is None
                               else str(row["parted_at"])}
                              for row in result.pairs])
        st.dataframe(table, hide_index=True)
        explain(t("regularisation.decay_explanation"))
        csv_download(result.steps, "regularisation_decay")
        code_panel(decay.to_script(config))


def decay_sentences(result: decay.DecayResult, methods: dict[str, str]) -> str:
    """What the pairs show, from the run's own numbers: equal to the bit or how close, where
    AdamW parts from Adam's L2, and how their weights end."""
    sentences = []
    for row in result.pairs[:2]:
        key = "regularisation.decay_equal" if row["bit_equal"] else "regularisation.decay_close"
        sentences.append(t(key, a=methods[row["a"]], b=methods[row["b"]],
                           digits=min(row["norm_digits"], row["loss_digits"]),
                           gap=row["largest_gap"]))
    if result.fused:
        sentences.append(t("regularisation.decay_fused", fused=result.fused,
                           entries=result.entries))
    parted = result.pairs[2]
    key = "regularisation.decay_parted" if parted["parted_at"] is not None \
        else "regularisation.decay_not_parted"
    sentences.append(t(key, a=methods[parted["a"]], b=methods[parted["b"]],
                       step=parted["parted_at"], norm_a=parted["norm_a"],
                       norm_b=parted["norm_b"], loss_a=parted["loss_a"],
                       loss_b=parted["loss_b"], percent=decay.PARTED * 100))
    return " ".join(sentences)


st.title(t("regularisation.title"))
explain(t("regularisation.lead"))
tabs, opened = sections(f"{LESSON}_tab", {name: t(f"regularisation.tab_{name}")
                                          for name in TABS[LESSON]})
keep_pins([f"{LESSON}_{name}" for name in TABS[LESSON] if name != opened])
with tabs[opened]:
    {"fit": fit_tab, "scaling": scaling_tab, "decay": decay_tab}[opened]()
