"""Lesson 6: the training lab — everything the lessons taught, in one network that trains live.

The run (model, optimiser, history) lives in st.session_state: it is mutated as it trains, so it
belongs to this session alone. Training runs in a fragment that reruns on a timer while playing:
each tick trains a chunk of epochs and redraws the views, without rerunning the page.

Every control is a setting of LabConfig (core.settings), drawn by ui.widgets with its key and link
parameter derived (lab_<field>); the lists are drawn part by part: a switch per input feature
(lab_feature_<name>), the number of hidden layers and a width each (lab_hidden_layers,
lab_width_<n>), and the schedule's own settings (lab_<schedule>_<setting>).

Pin and compare: the pinned run A (its Config and its run so far) trains on beside the run B that
the controls describe, in the same frames, from the same draws where the seeds match (the same
data and, where the shapes match, the same initial weights)."""

import dataclasses
import inspect

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from core.charts import lab as charts
from core.compare import column_each, side_by_side
from core.errors import InputError
from core.lab import checkpoint, data, model, pictures, plug, tensorboard, train, watch
from core.lab.challenges import CHALLENGES
from core.lab.script import to_script
from core.network import HEALTHY
from core.settings import settings_of, with_values
from ui import live, widgets
from ui.charts import show_chart
from ui.compare import labels, metric_change
from ui.lesson import checked_views
from ui.links import set_controls
from ui.panels import code_panel, explain, shortcut_button, show_error, show_notices
from ui.text import presenting, quoted, t
from ui.widgets import key_of

LESSON = "lab"
Config = model.LabConfig
TICK = 0.08  # seconds between redraws while playing
CHUNK = 0.02  # seconds of training per redraw (at least one epoch)
# The curves are thinned to about this many epochs, shared by the runs shown (compared, each run
# has half as many), and to fewer while playing: chromium redraws every chart's rows ten times a
# second, and its time per redraw grows with them (python -m bench.playing, A and B at epochs
# 170-250: 160 ms of chromium's time per redraw at 150 epochs a run, 94 ms at 80).
CURVE_POINTS = 300
PLAYING_POINTS = 160
# The loss chart beside A's and B's surfaces; Streamlit's chart theme (not used in presenter
# mode) pads its legends more, and left the plot a strip at 240.
COMPARED_HEIGHT = {False: 300, True: 240}
PLAYING = "lab_play"  # whether the run plays (set by the Play button and its shortcut)

# The controls by section, in the order drawn. A setting of LabConfig no section names is drawn
# at the end of the last, so a new setting needs no line here.
SECTIONS = {
    "data": ["dataset", "noise", "points", "csv", "skip_bad_rows", "test_percent"],
    "features": ["features"],
    "network": ["widths", "activation", "slope", "norm", "groups", "dropout", "l1", "l2", "init",
                "init_std", "frozen", "own_lr_layers", "own_lr"],
    "training": ["loss", "optimizer", "lr", "momentum", "schedule", "schedule_settings",
                 "batch", "seed"],
}
OPEN = ("data", "network", "training")  # the sections open at the start
OLD_BATCHNORM = "lab_bn"  # the switch norm replaced: a link's lab_bn=true is BatchNorm1d


def stop() -> None:
    """Pause (from a callback, before the Play button is drawn)."""
    st.session_state[PLAYING] = False


def set_playing(playing: bool) -> None:
    st.session_state[PLAYING] = playing


def apply_settings(settings: dict) -> None:
    """Set the widgets of the fields in settings, as a preset or a challenge card does, and
    pause."""
    config = dataclasses.replace(Config(), **settings)
    widgets.restore(LESSON, config, [path for path in settings_of(Config) if path in settings])
    parts = {}
    if "features" in settings:
        parts |= {key_of(LESSON, f"feature.{name}"): name in config.features
                  for name in data.FEATURES}
    if "widths" in settings:
        parts[key_of(LESSON, "hidden_layers")] = len(config.widths)
        parts |= {key_of(LESSON, f"width.{layer}"): width
                  for layer, width in enumerate(config.widths, start=1)}
    if "schedule_settings" in settings and config.schedule != plug.NO_SCHEDULE:
        values = plug.schedule_values(config.schedule, config.schedule_settings)
        for setting in map(plug.as_setting, plug.schedule_settings(config.schedule)):
            held = values[setting.name]
            parts[schedule_key(config.schedule, setting.name)] = \
                str(held) if setting.kind == "choice" else setting.text(held)
    set_controls(parts)
    stop()


def restore(config: Config) -> None:
    """Every control set from config (a pinned run swapped in, or A with another seed)."""
    apply_settings({field.name: getattr(config, field.name)
                    for field in dataclasses.fields(Config)})


def use_preset(dataset: str) -> None:
    apply_settings({field.name: getattr(model.preset(dataset), field.name)
                    for field in dataclasses.fields(Config)
                    if field.name not in ("seed", "csv", "skip_bad_rows")})


def open_old_links() -> None:
    """A link made when BatchNorm was a switch (lab_bn=true) opens with BatchNorm1d chosen; the
    old parameter is then claimed (so the link check does not call it ignored) and dropped."""
    norm = key_of(LESSON, "norm")
    if st.query_params.get(OLD_BATCHNORM) == "true" and norm not in st.session_state \
            and norm not in st.query_params:
        set_controls({norm: "BatchNorm1d", OLD_BATCHNORM: "true"})


# ---- The controls: every setting of LabConfig, by section -------------------------------------
def schedule_key(schedule: str, setting: str) -> str:
    return key_of(LESSON, f"{schedule}.{setting}")


def task_of(values: dict) -> str:
    """The task of the data chosen: the dataset's, or the CSV's as typed."""
    if data.DATASETS[values["dataset"]].draw is None:
        return data.parse_csv(values["csv"]).task
    return data.DATASETS[values["dataset"]].task


def dataset_control(values: dict, places: dict) -> str:
    chosen = widgets.control(LESSON, Config, "dataset")
    st.button(t("lab.preset"), on_click=use_preset, args=(chosen,), key="lab_preset",
              width="stretch")
    return chosen


def csv_control(values: dict, places: dict) -> str:
    """The CSV box, and below it the place where its bad rows are listed."""
    typed = widgets.controls(LESSON, Config, ["csv"], drawn=values)["csv"]
    places["csv"] = st.container()
    return typed


def feature_switches(values: dict, places: dict) -> tuple[str, ...]:
    start = Config().features
    return tuple(name for name in data.FEATURES if widgets.widget(
        model.FEATURE, key_of(LESSON, f"feature.{name}"), t(f"lab.feature_{name}"),
        value=name in start))


def width_controls(values: dict, places: dict) -> tuple[int, ...]:
    """The number of hidden layers (clamped before its widths are drawn, with a notice), then a
    width for each."""
    start = Config().widths
    count = widgets.widget(model.HIDDEN_LAYERS, key_of(LESSON, "hidden_layers"),
                           t("lab.hidden_layers"), value=len(start))
    count = int(model.HIDDEN_LAYERS.bound.clamp(count, places["notices"]))
    return tuple(widgets.widget(model.WIDTH, key_of(LESSON, f"width.{layer}"),
                                t("lab.width", layer=layer),
                                value=start[min(layer, len(start)) - 1])
                 for layer in range(1, count + 1))


def loss_choice(values: dict, places: dict) -> str:
    """The losses that fit the data's task (the Config's default where it fits)."""
    fitting = tuple(plug.losses_for(task_of(values)))
    start = Config().loss if Config().loss in fitting else fitting[0]
    setting = dataclasses.replace(settings_of(Config)["loss"], choices=fitting, default=start)
    return widgets.widget(setting, key_of(LESSON, "loss"), t("lab.loss"), value=start)


def schedule_controls(values: dict, places: dict) -> tuple[tuple[str, object], ...]:
    """The chosen schedule's own settings, each under torch's name, from the lab's preset."""
    schedule = values["schedule"]
    if schedule == plug.NO_SCHEDULE:
        return ()
    start = plug.schedule_values(schedule, ())
    return tuple((setting.name, widgets.widget(
        plug.as_setting(setting), schedule_key(schedule, setting.name), setting.name,
        t(f"schedules.help_{setting.name}"), value=start[setting.name]))
        for setting in plug.schedule_settings(schedule))


# The fields drawn by functions of their own: the lists, and the choices that depend on others
OWN_CONTROLS = {"dataset": dataset_control, "csv": csv_control, "features": feature_switches,
                "widths": width_controls, "loss": loss_choice,
                "schedule_settings": schedule_controls}


def section_places(sections: list[str]) -> list:
    """Where each section's controls go: an expander each, or in presenter mode a tab each, so
    every section's name and the first section's controls share a projector's first screen with
    the run's buttons and views (the sections one under another ran far below it)."""
    if presenting():
        return st.tabs([t(f"lab.{section}_section") for section in sections])
    return [st.expander(t(f"lab.{section}_section"), expanded=section in OPEN)
            for section in sections]


def draw_controls(places: dict) -> dict:
    """Every section's controls; {field: value as its widget holds it}. places gets the CSV's
    message slot and the notices of what was clamped before it could be drawn."""
    named = [path for paths in SECTIONS.values() for path in paths]
    sections = SECTIONS | {"training": SECTIONS["training"] + [
        path for path in settings_of(Config) if path not in named]}
    values: dict = {}
    for paths, place in zip(sections.values(), section_places(list(sections)), strict=True):
        with place:
            for path in paths:
                values[path] = OWN_CONTROLS[path](values, places) if path in OWN_CONTROLS \
                    else widgets.controls(LESSON, Config, [path], drawn=values)[path]
    return values


# ---- The runs: B's, and the pinned A's beside it ----------------------------------------------
RUNS = "lab_runs"  # the runs kept in the session (ui.live.kept_runs)


def runs(b_config: Config, a_config: Config | None) -> tuple[train.Trainer, train.Trainer | None]:
    """B's run and the pinned A's (None when nothing is pinned), kept while their Configs stay
    (ui.live.kept_runs): a run just pinned is B's so far, copied, so A and B then train on in
    the same frames; when B is a new run, A starts again from epoch 0 with it, from the same
    draws (A's run is its Config's, so it comes back the same)."""
    b, a = live.kept_runs(RUNS, b_config, a_config, train.Trainer, train.Trainer.twin)
    st.session_state["lab_trainer"], st.session_state["lab_trainer_a"] = b, a
    return b, a


def started_runs(config: Config, pinned: Config | None, places: dict, view):
    """runs(config, pinned), or None with the reason shown: the CSV's bad rows beside the CSV."""
    try:
        return runs(config, pinned)
    except train.CsvProblems as error:
        with places["csv"]:
            show_error(error)
            for problem in error.problems:
                st.error(quoted(problem.key, **problem.params))
    except InputError as error:
        with view:
            show_error(error)
    return None


def reset() -> None:
    live.forget(RUNS)
    stop()


def step(shown: int) -> None:
    """Paused: the epoch after the one on screen, so a click Streamlit delivers twice (a rerun
    interrupted and replayed) still trains one epoch. Playing: the epoch after where it is."""
    playing = st.session_state.get(PLAYING)
    stop()
    trainer = st.session_state["lab_trainer"]
    trainer.catch_up(trainer.epoch + 1 if playing else shown + 1)
    if st.session_state.get("lab_trainer_a") is not None:
        st.session_state["lab_trainer_a"].catch_up(trainer.epoch)


def run_buttons(place, trainer: train.Trainer) -> None:
    """Play (or Pause; its shortcut P), One epoch, Reset. Play is a button whose callback sets
    the state it offers: a click that lands while a redraw is under way is kept by Streamlit (a
    button's click is not dropped when reruns merge), and one it delivers twice (a rerun
    interrupted and replayed) sets the same state twice instead of flipping it back."""
    playing = st.session_state.get(PLAYING, False)
    shortcut_button(place, "play", t("lab.pause" if playing else "lab.play"),
                    t("lab.play_help"), key="lab_play_button", on_click=set_playing,
                    args=(not playing,), type="primary" if not playing else "secondary")
    place.button(t("lab.step"), on_click=step, args=(trainer.epoch,), key="lab_step")
    place.button(t("lab.reset"), on_click=reset, key="lab_reset")


# ---- The views ----------------------------------------------------------------------------
def show_metrics(trainer: train.Trainer, trainer_a: train.Trainer | None) -> None:
    """The epoch, the losses and the test accuracy; compared, each with its change from A (the
    epoch's is 0: A and B train in the same frames)."""
    last = trainer.history[-1]
    before = trainer_a.history[-1] if trainer_a is not None else None
    metrics = st.columns(4)
    metrics[0].metric(t("lab.epoch"), trainer.epoch,
                      **metric_change(trainer.epoch, None if before is None else before["epoch"],
                                      ".0f"))
    loss_format, acc_format = (".3f", ".0%") if presenting() else (".4f", ".1%")  # projector type
    for column, field, fmt in ((metrics[1], "train_loss", loss_format),
                               (metrics[2], "test_loss", loss_format),
                               (metrics[3], "test_acc", acc_format)):
        value = last[field]
        column.metric(t(f"lab.{field}"), "—" if value != value else f"{value:{fmt}}",
                      **metric_change(value, None if before is None else before[field], fmt,
                                      "inverse" if field.endswith("loss") else "normal"))


def chart_rows(runs: dict, frame_of) -> pa.Table:
    """The rows frame_of(run) gives, for B alone or for A and B (core.compare.VIEW), as the Arrow
    table a chart is sent: made on this thread (given a DataFrame, Streamlit converts it with
    pyarrow's thread pool, whose threads were started and joined for every chart of every
    redraw: a third of a pinned redraw's server time)."""
    frame = frame_of(next(iter(runs.values()))) if len(runs) == 1 \
        else side_by_side(*(frame_of(run) for run in runs.values()), *labels())
    return pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)


def curves(run: train.Trainer, series: dict, points: int) -> pd.DataFrame:
    """Rows epoch, series (its name) and value: the columns of series one under another."""
    wide = run.curves(points)
    return pd.DataFrame({"epoch": np.tile(wide["epoch"].to_numpy(), len(series)),
                         "series": np.repeat(list(series.values()), len(wide)),
                         "value": np.concatenate([wide[c].to_numpy() for c in series])})


def places_of_views(compared: bool) -> dict:
    """Where each main view goes. Alone: the surface beside the loss curves in presenter mode (a
    projector's first screen), beside the network otherwise; compared: A's and B's surfaces
    beside the loss curves, the numbers, then B's network and the accuracy."""
    if compared:
        first, numbers, second = st.columns([1, 1, 1.7]), st.container(), st.columns([2, 3])
        return {"surfaces": first[:2], "loss": first[2], "numbers": numbers,
                "network": second[0], "accuracy": second[1]}
    numbers = st.container()
    first, second = st.columns([2, 3]), st.columns(2)
    if presenting():
        return {"numbers": numbers, "surfaces": first[:1], "loss": first[1],
                "network": second[0], "accuracy": second[1]}
    return {"numbers": numbers, "surfaces": first[:1], "network": first[1],
            "loss": second[0], "accuracy": second[1]}


def show_run(trainer: train.Trainer, trainer_a: train.Trainer | None) -> None:
    """The live views of run B (trainer) and, when one is pinned, run A beside it: trains a
    chunk first while playing (A keeps pace: the same epochs in the same frame)."""
    if st.session_state.get(PLAYING):
        # nothing more once it reaches train.MAX_EPOCHS; two runs share one frame's time
        trainer.train(seconds=CHUNK if trainer_a is None else CHUNK / 2)
    if trainer_a is not None:
        trainer_a.catch_up(trainer.epoch)
    runs = {view: run for view, run in zip(labels(), (trainer_a, trainer), strict=True)
            if run is not None}
    views = {"views": labels()} if trainer_a is not None else {}
    places = places_of_views(trainer_a is not None)
    with places["numbers"]:
        show_metrics(trainer, trainer_a)
    prediction, neurons = trainer.plane()
    for column, (view, run) in zip(places["surfaces"], runs.items(), strict=True):
        # compared, each surface is named by its run (the caption said what it shows before)
        column.image(pictures.surface(run, run.plane()[0] if run is not trainer else prediction),
                     caption=t("lab.surface_caption") if trainer_a is None else view,
                     width="stretch")
    # headings large enough to read on a projector
    places["network"].image(pictures.network_svg(trainer, neurons, prediction,
                                                 heading=22 if presenting() else 13),
                            caption=t("lab.network_caption"))
    points = (PLAYING_POINTS if st.session_state.get(PLAYING) else CURVE_POINTS) // len(runs)
    show_curves(runs, places, points, views, trainer.data.task)
    show_layer_stds(runs, points, views)
    show_challenges(runs)
    if not st.session_state.get(PLAYING):  # heavier views: drawn when the run stands still
        show_chart(charts.lab_weights, data=trainer.weights(), title=t("lab.weights_title"),
                   x_title=t("lab.weight_axis"), y_title=t("lab.count_axis"),
                   layer_title=t("lab.layer_axis"), height=200)
        show_layer_changes(runs)
        code_panel(to_script(trainer.config, max(trainer.epoch, 10)))
        save_run(trainer)


# A TensorBoard log trains the run again from epoch 0 with a recorder (the run is a function of
# its settings, so it is this run): at most this many epochs, about 2 s of a click's time.
LOG_EPOCHS = 500


def save_run(trainer: train.Trainer) -> None:
    """The run as the files a student keeps: a checkpoint (torch.save's .pt, which the lesson
    Inside a training run resumes or finetunes from) and a TensorBoard log. Each is made only
    when its button is clicked."""
    epochs = min(trainer.epoch, LOG_EPOCHS)
    row = st.container(horizontal=True, gap="small")
    row.download_button(t("lab.download_checkpoint", epoch=trainer.epoch),
                        lambda: checkpoint.save(trainer), file_name=f"lab_epoch{trainer.epoch}.pt",
                        mime="application/octet-stream", on_click="ignore",
                        help=t("lab.download_checkpoint_help"), key="lab_save_checkpoint")
    row.download_button(t("lab.download_log", epochs=epochs),
                        lambda: tensorboard.run_log(train.Trainer(trainer.config), epochs),
                        file_name=f"lab_tensorboard_{epochs}.tar.gz", mime="application/gzip",
                        on_click="ignore", help=t("lab.download_log_help", most=LOG_EPOCHS),
                        key="lab_save_log", disabled=epochs == 0)


def show_curves(runs: dict, places: dict, points: int, views: dict, task: str) -> None:
    """The loss and accuracy over the epochs. The charts' titles say loss and accuracy: their
    legends say which set, in few words (a half-width chart in presenter mode's type cut "Train
    accuracy" off)."""
    loss_series = {"train_loss": t("lab.series_train"), "test_loss": t("lab.series_test")}
    acc_series = {"train_acc": t("lab.series_train"), "test_acc": t("lab.series_test")}
    compared = len(runs) > 1
    with places["loss"]:
        show_chart(charts.lab_curves, data=chart_rows(runs, lambda run: curves(
            run, loss_series, points)), title=t("lab.loss_title"), x_title=t("lab.epoch"),
            y_title=t("lab.loss_axis"), log=True,
            height=COMPARED_HEIGHT[presenting()] if compared else 220, **views)
    with places["accuracy"]:
        if task == "classification":
            show_chart(charts.lab_curves, data=chart_rows(runs, lambda run: curves(
                run, acc_series, points)), title=t("lab.acc_title"), x_title=t("lab.epoch"),
                y_title=t("lab.acc_axis"), log=False, height=220, **views)


def show_layer_stds(runs: dict, points: int, views: dict) -> None:
    """Each layer's activation and weight-gradient std over the epochs, over the healthy band."""
    trainer = list(runs.values())[-1]
    if not len(trainer.layers):
        st.caption(t("lab.stats_after_step"))
        return
    for column, field in zip(st.columns(2), ("act_std", "grad_std"), strict=True):
        with column:
            if field == "act_std" and not any(run.config.widths for run in runs.values()):
                st.caption(t("lab.no_hidden_layer"))  # not an empty chart
                continue
            show_chart(charts.lab_layer_stds, HEALTHY, data=chart_rows(
                runs, lambda run, field=field: run.layer_stats(points).rename(
                    columns={field: "value"})[["epoch", "layer", "value"]]),
                title=t(f"lab.{field}_title"), x_title=t("lab.epoch"),
                y_title=t("lab.std_axis"), layer_title=t("lab.layer_axis"),
                band_label=t("lab.healthy"), height=200, **views)
    frozen = sorted({layer for run in runs.values() for layer in run.config.frozen})
    if frozen:  # not drawn, and said why
        st.caption(t("lab.frozen_no_gradient", layers=", ".join(map(str, frozen))))
    st.caption(t("lab.made_with_hooks"))
    with st.expander(t("lab.hook_code")):
        st.code(inspect.getsource(watch.LayerWatch), language="python")


def show_challenges(runs: dict) -> None:
    """The challenge cards, each passed once any run shown meets it, each saying what the runs
    doing its task show."""
    passed = st.session_state.setdefault("lab_passed", set())
    shown = list(runs.values())
    for card, (name, challenge) in zip(st.columns(len(CHALLENGES)), CHALLENGES.items(),
                                       strict=True):
        if any(challenge.passed(run.config, run.history) for run in shown):
            passed.add(name)
        with card.container(border=True):
            st.markdown(f"**{t(f'lab.challenge_{name}')}**"
                        + (f" :green-badge[{t('lab.passed')}]" if name in passed else ""))
            st.caption(t(f"lab.challenge_{name}_task", **challenge.params))
            said = challenge.said(shown)
            if said is not None:
                st.caption(t(f"lab.challenge_{name}_now", **said))
            st.button(t("lab.challenge_start"), key=f"lab_start_{name}", on_click=apply_settings,
                      args=(dict(challenge.start),), width="stretch")


def show_layer_changes(runs: dict) -> None:
    """Per layer: frozen or not, its learning rate, how far its weights and its BatchNorm's
    running_mean moved since epoch 0, and what one forward pass moves running_mean by in train()
    and in eval(); compared, A's and B's side by side."""
    tables = {view: run.layer_changes() for view, run in runs.items()}
    columns = {name: t(f"lab.change_{name}") for name in train.CHANGE_COLUMNS}
    shown = [readable(table).rename(columns=columns) for table in tables.values()]
    trainer = list(runs.values())[-1]
    with st.expander(t("lab.changes_title"), expanded=any(
            run.config.frozen or run.config.own_lr_layers for run in runs.values())):
        said = frozen_sentence(trainer, list(tables.values())[-1])
        if said is not None:
            st.markdown(said)
        st.dataframe(shown[0] if len(shown) == 1
                     else column_each(*shown, columns["layer"], *labels()), hide_index=True)
        st.caption(t("lab.changes_caption"))


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """The changes as text with four significant digits, "—" where a layer has no BatchNorm (not
    an empty cell)."""
    moved = ["weight_change", "running_mean_change", "train_forward_moves", "eval_forward_moves"]
    return table.assign(**{name: [t("lab.no_batchnorm") if value != value else f"{value:.4g}"
                                  for value in table[name]] for name in moved})


def frozen_sentence(trainer: train.Trainer, table: pd.DataFrame) -> str | None:
    """What B's first frozen layer shows, read from its row of B's table."""
    if not trainer.config.frozen or trainer.epoch == 0:
        return None
    row = table[table["layer"] == trainer.config.frozen[0]].iloc[0]
    if row["running_mean_change"] == row["running_mean_change"]:  # it has BatchNorm (not nan)
        return t("lab.frozen_with_batchnorm", layer=row["layer"], epoch=trainer.epoch,
                 weight=row["weight_change"], mean=row["running_mean_change"],
                 train=row["train_forward_moves"], eval=row["eval_forward_moves"])
    return t("lab.frozen_alone", layer=row["layer"], epoch=trainer.epoch,
             weight=row["weight_change"])


# ---- The page -----------------------------------------------------------------------------
st.title(t("lab.title"))
explain(t("lab.lead"))
open_old_links()
# a projector's larger type needs a wider controls column for its choices to be read whole, and
# the run's row of buttons the rest (in Chinese too: a narrower view wrapped the pin button)
controls, view = st.columns([1, 2.3] if presenting() else [1, 3], gap="large")
places: dict = {"notices": []}  # the CSV's message slot; what was clamped before drawing
with controls:
    chosen = draw_controls(places)
task = task_of(chosen)


def validated(config: Config) -> tuple[Config, list]:
    """The Config checked for the data's task, with what was clamped before it was drawn."""
    config, notices = model.validate(config, task)
    return config, places["notices"] + notices


with view:
    # One row for the run's buttons (Play, One epoch, Reset) and the pin buttons after them, so
    # a comparison keeps its surfaces and curves on a projector's first screen.
    top = st.container(horizontal=True, vertical_alignment="center", gap="small")
    buttons = top.container(horizontal=True, vertical_alignment="center", gap="small",
                            width="content")
    checked = checked_views(LESSON, with_values(Config(), chosen), validated, restore, bar=top)
started = None if checked is None else started_runs(*checked, places, view)
if started is None:
    st.stop()
trainer, trainer_a = started
with view:
    show_notices(trainer.notices)
    run_buttons(buttons, trainer)
    # playing: redrawn in a fragment the browser reruns every TICK (ui.live)
    live.live(PLAYING, show_run, trainer, trainer_a, tick=TICK)
