"""Lesson 5: the training lab — everything the lessons taught, in one network that trains live.

The run (model, optimiser, history) lives in st.session_state: it is mutated as it trains, so it
belongs to this session alone. Training runs in a fragment that reruns on a timer while playing:
each tick trains a chunk of epochs and redraws the views, without rerunning the page.

Pin and compare: the pinned run A (its Config and its run so far) trains on beside the run B that
the controls describe, in the same frames, from the same draws where the seeds match (the same
data and, where the shapes match, the same initial weights)."""

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from core.charts import lab as charts
from core.compare import side_by_side
from core.errors import InputError
from core.lab import data, model, pictures, plug, train
from core.lab.challenges import CHALLENGES
from core.lab.script import to_script
from core.network import HEALTHY
from ui.charts import show_chart
from ui.compare import describe, labels, metric_change, pin_bar
from ui.controls import default
from ui.links import choose, set_controls
from ui.panels import code_panel, explain, show_error, show_notices
from ui.text import presenting, quoted, t
from ui.widgets import held, widget

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


def width_key(layer: int) -> str:
    return f"lab_w{layer}"


def feature_key(name: str) -> str:
    return f"lab_f_{name}"


def schedule_key(schedule: str, setting: str) -> str:
    return f"lab_{schedule}_{setting}"


# The Config fields set by one widget each: field -> widget key
KEYS = {"dataset": "lab_data", "noise": "lab_noise", "points": "lab_points",
        "test_percent": "lab_test", "activation": "lab_act", "slope": "lab_slope",
        "batchnorm": "lab_bn", "dropout": "lab_dropout", "l1": "lab_l1", "l2": "lab_l2",
        "init": "lab_init", "init_std": "lab_init_std", "loss": "lab_loss",
        "optimizer": "lab_opt", "lr": "lab_lr", "momentum": "lab_momentum",
        "schedule": "lab_schedule", "batch": "lab_batch", "seed": "lab_seed", "csv": "lab_csv",
        "skip_bad_rows": "lab_skip"}


def apply_settings(settings: dict) -> None:
    """Set the widgets to settings (Config fields), as a preset or a challenge card does."""
    widgets = {}
    for field, value in settings.items():
        if field == "features":
            widgets |= {feature_key(name): name in value for name in data.FEATURES}
        elif field == "schedule_settings":
            schedule = settings["schedule"]
            if schedule != plug.NO_SCHEDULE:
                values = plug.schedule_values(schedule, value)
                widgets |= {schedule_key(schedule, setting.name): held(
                    setting, values[setting.name]) for setting in plug.schedule_settings(schedule)}
        elif field == "widths":
            widgets["lab_depth"] = len(value)
            widgets |= {width_key(layer): width for layer, width in enumerate(value, start=1)}
        else:
            widgets[KEYS[field]] = value
    set_controls(widgets)
    stop()


def restore(config: Config) -> None:
    """Set every control to config (a pinned run swapped in, or A with another seed)."""
    apply_settings({f.name: getattr(config, f.name) for f in dataclasses.fields(Config)})


def use_preset() -> None:
    chosen = st.session_state.get(KEYS["dataset"], default(Config, "dataset"))
    apply_settings({f.name: getattr(model.preset(chosen), f.name)
                    for f in dataclasses.fields(Config) if f.name not in ("seed", "csv")})


def stop() -> None:
    """Pause (from a callback, before the Play switch is drawn)."""
    st.session_state["lab_play"] = False


def number(field: str, step, fmt: str | None = None, **kwargs):
    return st.number_input(t(f"lab.{field}"), value=default(Config, field), step=step,
                           format=fmt, key=KEYS[field], bind="query-params", **kwargs)


def pick(field: str, options, **kwargs):
    """A choice bound to the link by its id, starting at the Config's default where offered."""
    options = list(options)
    start = default(Config, field)
    return choose(t(f"lab.{field}"), options, key=KEYS[field],
                  index=options.index(start) if start in options else 0, **kwargs)


st.title(t("lab.title"))
explain(t("lab.lead"))
# a projector's larger type needs a wider controls column for its choices to be read whole
controls, view = st.columns([1, 2] if presenting() else [1, 3], gap="large")

# ---- Controls: one per Config field; Config's defaults are the Playground's --------------------
with controls:
    with st.expander(t("lab.data_section"), expanded=True):
        dataset = pick("dataset", data.DATASETS, format_func=lambda name: t(f"lab.dataset_{name}"))
        st.button(t("lab.preset"), on_click=use_preset, key="lab_preset", width="stretch")
        csv_slot = st.container()
        csv_text, skip = default(Config, "csv"), default(Config, "skip_bad_rows")
        noise, points = default(Config, "noise"), default(Config, "points")
        if data.DATASETS[dataset].draw is None:
            csv_text = csv_slot.text_area(t("lab.csv"), key=KEYS["csv"], height=140,
                                          placeholder="x1,x2,label\n1.5,-2,1",
                                          bind="query-params")
            skip = csv_slot.toggle(t("lab.skip_bad_rows"), key=KEYS["skip_bad_rows"],
                                   bind="query-params")
        else:
            noise = st.slider(t("lab.noise"), 0.0, model.NOISE.high, default(Config, "noise"),
                              0.05, key=KEYS["noise"], bind="query-params")
            points = number("points", 10)
        test_percent = st.slider(t("lab.test_percent"), int(model.TEST_PERCENT.low),
                                 int(model.TEST_PERCENT.high), default(Config, "test_percent"),
                                 key=KEYS["test_percent"], bind="query-params")
    with st.expander(t("lab.features_section")):
        features = tuple(name for name in data.FEATURES if st.toggle(
            t(f"lab.feature_{name}"), value=name in default(Config, "features"),
            key=feature_key(name), bind="query-params"))
    with st.expander(t("lab.network_section"), expanded=True):
        depth = st.number_input(t("lab.hidden_layers"), value=len(default(Config, "widths")),
                                step=1, key="lab_depth", bind="query-params")
        depth_notices: list = []  # shown with the Config's own (a link's 11 layers: 10)
        depth = int(model.DEPTH.clamp(depth, depth_notices))
        start_widths = default(Config, "widths")
        widths = tuple(st.number_input(
            t("lab.width", layer=layer), value=start_widths[layer - 1]
            if layer <= len(start_widths) else start_widths[-1], step=1, key=width_key(layer),
            bind="query-params") for layer in range(1, depth + 1))
        activation = pick("activation", plug.ACTIVATIONS)
        slope = number("slope", 0.01, "%.3f")
        batchnorm = st.toggle(t("lab.batchnorm"), key=KEYS["batchnorm"], bind="query-params",
                              help=t("lab.batchnorm_help"))
        dropout = number("dropout", 0.05, "%.2f")
        l1 = number("l1", 0.0001, "%.4f")
        l2 = number("l2", 0.0001, "%.4f")
        init = pick("init", plug.INITS, format_func=lambda name: t("lab.init_default")
                    if name == plug.DEFAULT_INIT else f"nn.init.{name}_")
        init_std = number("init_std", 0.1, "%.4f", help=t("lab.init_std_help"))
    with st.expander(t("lab.training_section"), expanded=True):
        task = data.DATASETS[dataset].task
        if data.DATASETS[dataset].draw is None:
            task = data.parse_csv(csv_text).task
        loss = pick("loss", plug.losses_for(task))
        optimizer = pick("optimizer", plug.OPTIMIZERS)
        lr = number("lr", 0.01, "%.5f")
        momentum = number("momentum", 0.1, "%.3f", help=t("lab.momentum_help"))
        schedule = pick("schedule", plug.SCHEDULES, format_func=lambda name: t("lab.no_schedule")
                        if name == plug.NO_SCHEDULE else f"lr_scheduler.{name}")
        schedule_settings = tuple(
            (setting.name, widget(setting, schedule_key(schedule, setting.name), setting.label,
                                  t(setting.help)))
            for setting in plug.schedule_settings(schedule))
        batch = number("batch", 1)
        seed = number("seed", 1, help=t("lab.seed_help"))

# ---- The run: a new one whenever the settings change (a link reproduces it from epoch 0) -------
try:
    config, notices = model.validate(Config(
        dataset=dataset, noise=float(noise), points=int(points),
        test_percent=int(test_percent), features=features, widths=tuple(map(int, widths)),
        activation=activation, slope=float(slope), batchnorm=bool(batchnorm),
        dropout=float(dropout), l1=float(l1), l2=float(l2), init=init,
        init_std=float(init_std), loss=loss, optimizer=optimizer, lr=float(lr),
        momentum=float(momentum), schedule=schedule, schedule_settings=schedule_settings,
        batch=int(batch),
        seed=int(seed), csv=csv_text, skip_bad_rows=bool(skip)), task)
    notices = depth_notices + notices
except InputError as error:
    with view:
        show_error(error)
    st.stop()


def runs(b_config: Config, a_config: Config | None) -> tuple[train.Trainer, train.Trainer | None]:
    """B's run and the pinned A's (None when nothing is pinned). A run is kept while its Config
    stays; a run just pinned is B's run so far, copied (the same weights, optimiser state and
    generator), so A and B then train on in the same frames. When B is a new run (a changed
    setting, from epoch 0), A starts again from epoch 0 with it: the two are then compared at
    the same epoch, trained in the same frames from the same draws (A's run is its Config's, so
    it comes back the same)."""
    kept = st.session_state.get("lab_runs", [])  # (config, trainer) pairs

    def take(config: Config) -> train.Trainer | None:
        for i, pair in enumerate(kept):
            if pair[0] == config:
                return kept.pop(i)[1]
        return None

    b = take(b_config)
    b_is_new = b is None
    b = b or train.Trainer(b_config)
    a = None
    if a_config is not None:
        a = take(a_config)
        if a is None and a_config == b_config:
            a = b.twin()
        elif a is None or b_is_new:
            a = train.Trainer(a_config)
    st.session_state["lab_runs"] = [(b_config, b)] + ([(a_config, a)] if a else [])
    st.session_state["lab_trainer"], st.session_state["lab_trainer_a"] = b, a
    return b, a


with view:
    # One row for the run's buttons (Play, One epoch, Reset: drawn once the run is known) and the
    # pin buttons after them, so a comparison keeps its surfaces and curves on a projector's
    # first screen.
    top = st.container(horizontal=True, vertical_alignment="center", gap="small")
    run_buttons = top.container(horizontal=True, vertical_alignment="center", gap="small",
                                width="content")
    pinned = pin_bar("lab", config, restore, bar=top)
try:
    if pinned is not None:
        pinned = model.validate(pinned)[0]  # a link's A is checked as the controls are
    trainer, trainer_a = runs(config, pinned)
except train.CsvProblems as error:
    with csv_slot:
        show_error(error)
        for problem in error.problems:
            st.error(quoted(problem.key, **problem.params))
    st.stop()
except InputError as error:
    with view:
        show_error(error)
    st.stop()


def reset() -> None:
    st.session_state.pop("lab_runs", None)
    stop()


def step(shown: int) -> None:
    """Paused: the epoch after the one on screen, so a click Streamlit delivers twice (a rerun
    interrupted and replayed) still trains one epoch. Playing: the epoch after where it is."""
    playing = st.session_state.get("lab_play")
    stop()
    trainer = st.session_state["lab_trainer"]
    trainer.catch_up(trainer.epoch + 1 if playing else shown + 1)
    if st.session_state.get("lab_trainer_a") is not None:
        st.session_state["lab_trainer_a"].catch_up(trainer.epoch)


with view:
    show_notices(notices + trainer.notices)
    if trainer_a is not None:
        st.markdown(describe(pinned, config))
    # A switch, not a button: its value survives a click that lands while a redraw is under way
    # (a button's one-shot click could be taken by the timer's rerun of the fragment)
    playing = run_buttons.toggle(t("lab.play"), key="lab_play")
    run_buttons.button(t("lab.step"), on_click=step, args=(trainer.epoch,), key="lab_step")
    run_buttons.button(t("lab.reset"), on_click=reset, key="lab_reset")


def show_metrics(trainer: train.Trainer, trainer_a: train.Trainer | None) -> None:
    """The epoch, the losses and the test accuracy; compared, each with its change from A."""
    last = trainer.history[-1]
    before = trainer_a.history[-1] if trainer_a is not None else None
    metrics = st.columns(4)
    metrics[0].metric(t("lab.epoch"), trainer.epoch)
    loss_format, acc_format = (".3f", ".0%") if presenting() else (".4f", ".1%")  # projector type
    for column, field, fmt in ((metrics[1], "train_loss", loss_format),
                               (metrics[2], "test_loss", loss_format),
                               (metrics[3], "test_acc", acc_format)):
        value = last[field]
        column.metric(t(f"lab.{field}"), "—" if value != value else f"{value:{fmt}}",
                      **metric_change(value, None if before is None else before[field], fmt,
                                      "inverse" if field.endswith("loss") else "normal"))


def show_run(trainer: train.Trainer, trainer_a: train.Trainer | None) -> None:
    """The live views of run B (trainer) and, when one is pinned, run A beside it: trains a
    chunk first while playing (A keeps pace: the same epochs in the same frame)."""
    if st.session_state.get("lab_play"):
        # nothing more once it reaches train.MAX_EPOCHS; two runs share one frame's time
        trainer.train(seconds=CHUNK if trainer_a is None else CHUNK / 2)
    if trainer_a is not None:
        trainer_a.catch_up(trainer.epoch)
    runs = {view: run for view, run in zip(labels(), (trainer_a, trainer), strict=True)
            if run is not None}
    views = {"views": labels()} if trainer_a is not None else {}
    # Alone: the numbers, the surface beside the network, the loss and accuracy curves. Compared:
    # A's and B's surfaces beside the loss curves first (what a comparison is about, on a
    # projector's first screen too), the numbers with their changes, B's network and accuracy.
    if trainer_a is None:
        show_metrics(trainer, None)
        first, second = st.columns([2, 3]), st.columns(2)
    else:
        first, numbers, second = st.columns([1, 1, 1.7]), st.container(), st.columns([2, 3])
        with numbers:
            show_metrics(trainer, trainer_a)
    prediction, neurons = trainer.plane()
    for column, (view, run) in zip(first, runs.items(), strict=False):
        # compared, each surface is named by its run (the caption said what it shows before)
        column.image(pictures.surface(run, run.plane()[0] if run is not trainer else prediction),
                     caption=t("lab.surface_caption") if trainer_a is None else view,
                     width="stretch")
    network_column, loss_column, acc_column = (first[1], *second) if trainer_a is None \
        else (second[0], first[2], second[1])
    # headings large enough to read on a projector
    network_column.image(pictures.network_svg(trainer, neurons, prediction,
                                              heading=22 if presenting() else 13),
                         caption=t("lab.network_caption"))

    points = (PLAYING_POINTS if st.session_state.get("lab_play") else CURVE_POINTS) // len(runs)

    def rows(frame_of) -> pa.Table:
        """The rows frame_of(run) gives, for B alone or for A and B (core.compare.VIEW), as the
        Arrow table a chart is sent: made on this thread (given a DataFrame, Streamlit converts
        it with pyarrow's thread pool, whose threads were started and joined for every chart of
        every redraw: a third of a pinned redraw's server time)."""
        frame = frame_of(trainer) if trainer_a is None \
            else side_by_side(*(frame_of(run) for run in runs.values()), *labels())
        return pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)

    def curves(run: train.Trainer, series: dict) -> pd.DataFrame:
        """Rows epoch, series (its name) and value: the columns of series one under another."""
        wide = run.curves(points)
        return pd.DataFrame({"epoch": np.tile(wide["epoch"].to_numpy(), len(series)),
                             "series": np.repeat(list(series.values()), len(wide)),
                             "value": np.concatenate([wide[c].to_numpy() for c in series])})

    # the charts' titles say loss and accuracy: their legends say which set, in few words (a
    # half-width chart in presenter mode's type cut "Train accuracy" off)
    loss_series = {"train_loss": t("lab.series_train"), "test_loss": t("lab.series_test")}
    acc_series = {"train_acc": t("lab.series_train"), "test_acc": t("lab.series_test")}
    with loss_column:
        show_chart(charts.lab_curves, data=rows(lambda run: curves(run, loss_series)),
                   title=t("lab.loss_title"), x_title=t("lab.epoch"), y_title=t("lab.loss_axis"),
                   log=True, height=220 if trainer_a is None else COMPARED_HEIGHT[presenting()],
                   **views)
    with acc_column:
        if trainer.data.task == "classification":
            show_chart(charts.lab_curves, data=rows(lambda run: curves(run, acc_series)),
                       title=t("lab.acc_title"), x_title=t("lab.epoch"),
                       y_title=t("lab.acc_axis"), log=False, height=220, **views)
    if len(trainer.layers):
        left, right = st.columns(2)
        for column, field in ((left, "act_std"), (right, "grad_std")):
            with column:
                if field == "act_std" and not any(run.config.widths for run in runs.values()):
                    st.caption(t("lab.no_hidden_layer"))  # not an empty chart
                    continue
                show_chart(charts.lab_layer_stds, HEALTHY, data=rows(
                    lambda run, field=field: run.layer_stats(points).rename(
                        columns={field: "value"})[["epoch", "layer", "value"]]),
                    title=t(f"lab.{field}_title"), x_title=t("lab.epoch"),
                    y_title=t("lab.std_axis"), layer_title=t("lab.layer_axis"),
                    band_label=t("lab.healthy"), height=200, **views)
    else:
        st.caption(t("lab.stats_after_step"))

    passed = st.session_state.setdefault("lab_passed", set())
    cards = st.columns(len(CHALLENGES))
    for card, (name, challenge) in zip(cards, CHALLENGES.items(), strict=True):
        if any(challenge.passed(run.config, run.history) for run in runs.values()):
            passed.add(name)
        with card.container(border=True):
            st.markdown(f"**{t(f'lab.challenge_{name}')}**"
                        + (f" :green-badge[{t('lab.passed')}]" if name in passed else ""))
            st.caption(t(f"lab.challenge_{name}_task"))
            st.button(t("lab.challenge_start"), key=f"lab_start_{name}", on_click=apply_settings,
                      args=(dict(challenge.start),), width="stretch")

    if not st.session_state.get("lab_play"):  # heavier views: drawn when the run stands still
        show_chart(charts.lab_weights, data=trainer.weights(), title=t("lab.weights_title"),
                   x_title=t("lab.weight_axis"), y_title=t("lab.count_axis"),
                   layer_title=t("lab.layer_axis"), height=200)
        code_panel(to_script(trainer.config, max(trainer.epoch, 10)))


def playing_run(trainer: train.Trainer, trainer_a: train.Trainer | None) -> None:
    """show_run on the browser's timer. A tick sent just before Pause was pressed can arrive
    after the paused page is drawn: it reruns the page instead of drawing the views twice."""
    if not st.session_state.get("lab_play"):
        st.rerun()
    show_run(trainer, trainer_a)


with view:
    # Playing: a fragment the browser reruns every TICK. Paused: no fragment at all. (The same
    # fragment drawn again with run_every=None keeps the browser's timer running: its rerun
    # requests never stop, and a slow network is then never idle.)
    if playing:
        st.fragment(playing_run, run_every=TICK)(trainer, trainer_a)
    else:
        show_run(trainer, trainer_a)
