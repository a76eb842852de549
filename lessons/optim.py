"""Lesson 4: optimisers — learning rate and momentum on the course's y = 4x², real torch.optim
trajectories on 2-D landscapes, inside an optimiser, and a learning-rate × momentum sweep.

Each tab is a function of what it uses, and an st.fragment: a click reruns that tab only. Every
control is a setting of a Config (core.settings), drawn by ui.widgets with its key and link
parameter derived from a lesson name and its path: the landscape tab's are the lesson's own
(optim_<field>, run i's optim_r<i>_<Optimizer>_<setting>), every other tab's its own
(optim_lr_<field>, optim_momentum_<field>, optim_sweep_<field>, ...). Each tab with a Config has
its own pin bar (optim_<tab>), so a link carries the pinned view of the tab it was made on. The
anatomy tab reads the landscape tab's runs from their controls' stored values (session, else
link, else defaults), so a link opening on it shows its runs."""

import re
from dataclasses import replace

import pandas as pd
import streamlit as st

from core import compare
from core.charts import optim as charts
from core.compare import VIEW, column_each, side_by_side
from core.errors import InputError
from core.landscapes import LANDSCAPES
from core.optim import anatomy, inside, learning_rate, momentum, paths, sweep, to_script
from core.optim.common import MAX_RUNS
from core.optim.registry import ELSEWHERE, OPTIMIZERS, Spec
from core.settings import Setting, settings_of, value_at, with_values
from lessons import TABS
from ui import widgets
from ui.charts import show_chart
from ui.compare import keep_pins
from ui.compare import labels as view_labels
from ui.lesson import checked_config, checked_views
from ui.links import choose, put_in_link, sections, set_controls
from ui.panels import code_panel, csv_download, explain, in_digits
from ui.text import presenting, quoted, t
from ui.widgets import controls, key_of, widget

LESSON = "optim"  # the landscape tab's controls: optim_<field>, optim_r<i>_<Optimizer>_<setting>
LR, MOMENTUM, SWEEP, ANATOMY, COURSE, EXERCISE = (
    f"{LESSON}_{tab}" for tab in ("lr", "momentum", "sweep", "anatomy", "course", "exercise"))
PATHS_PIN = f"{LESSON}_paths"  # the landscape tab's pin bar
OFF = "off"
METRIC = Setting("metric", "choice", "final_loss", choices=("final_loss", "steps_to_tol"),
                 choice_text="optim.sw_{choice}")  # what colours the sweep: a view, not a run
LANDSCAPE = ["landscape", "condition", "start_x", "start_y"]  # a landscape and where to start

BIG = 400  # presenter mode enlarges the type, not the charts: they must fit 1280x720
X_ITERATIONS = 40  # x per iteration is drawn for the first ones: each zigzag stays readable
UNFOLDED = 2  # a run's settings shown under its name (SGD's lr and momentum); the rest fold
LR_BAR = 55  # the lr legend's height above the losses' plot (the x chart beside has none)


def run_key(i: int, name: str = "", setting: str = "") -> str:
    """Run i's optimiser widget (no name), or the widget of its optimiser's setting."""
    return key_of(LESSON, f"r{i}.{name}.{setting}" if name else f"r{i}.name")


def run_label(path: str) -> str | None:
    """A run's setting named as its control: "Run 2, momentum" for "r1.momentum" (a message's
    field) or "runs[2].values.momentum" (a difference between two views); None for another."""
    found = re.fullmatch(r"r(\d+)\.(\w+)", path) or re.fullmatch(r"runs\[(\d+)]\.values\.(\w+)",
                                                                  path)
    if found is None:
        return None
    run = int(found[1]) + (1 if path.startswith("r") and not path.startswith("runs") else 0)
    setting = found[2].replace("_0", "[0]").replace("_1", "[1]")
    return t("optim.run_setting", run=t("optim.run", run=run), setting=setting)


def paths_label(path: str) -> str:
    return run_label(path) or widgets.label_of(LESSON)(path)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_lr(config: learning_rate.LrConfig) -> learning_rate.LrResult:
    return learning_rate.run_lr(config)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_momentum(config: momentum.MomentumConfig) -> momentum.MomentumResult:
    return momentum.run_momentum(config)


@st.cache_data(max_entries=256, show_spinner=False)
def compute_path(config: paths.PathConfig, spec: Spec):
    return paths.run_path(config, spec)  # one run at a time: editing one run reruns only it


@st.cache_data(max_entries=64, show_spinner=False)
def compute_paths(config: paths.PathConfig) -> paths.PathResult:
    bare = replace(config, runs=())  # a run's cache key: the landscape, start and steps
    return paths.combine(config, [compute_path(bare, spec) for spec in config.runs])


@st.cache_data(max_entries=64, show_spinner=False)
def compute_anatomy(config: paths.PathConfig, run: int, k: int) -> anatomy.Anatomy:
    return anatomy.anatomy(config, run, k)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_inside(config: paths.PathConfig, run: int, k: int) -> inside.Inside:
    return inside.inside_step(config, run, k)


@st.cache_data(max_entries=16, show_spinner=False)
def compute_exercise(config: anatomy.ExerciseConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    return anatomy.exercise(config.seed, config.k)


@st.cache_data(max_entries=16, show_spinner=False)
def compute_course(config: anatomy.CourseConfig) -> str:
    return anatomy.course_anatomy(config.seed)


@st.cache_data(max_entries=4, show_spinner=False)
def compute_elsewhere(name: str) -> str:
    return anatomy.elsewhere(name)


@st.cache_data(max_entries=32, show_spinner=False)
def compute_sweep(config: sweep.SweepConfig) -> sweep.SweepResult:
    return sweep.run_sweep(config)  # all cells at once: about 15-30 ms (python -m bench.optim)


def put(**values) -> None:
    """A preset button: set widgets' values (Streamlit's pattern for buttons that move widgets)."""
    set_controls(values)


def restore_runs(runs: tuple[Spec, ...]) -> None:
    """The landscape tab's four run slots set to runs (the rest switched off)."""
    values = {}
    for i in range(MAX_RUNS):
        if i >= len(runs):
            values[run_key(i)] = OFF
            continue
        spec = runs[i]
        values[run_key(i)] = spec.name
        values |= {run_key(i, spec.name, setting.name): widgets.held(setting,
                                                                     spec.value(setting.name))
                   for setting in spec.entry.settings}
    set_controls(values)


def restore_paths(config: paths.PathConfig) -> None:
    widgets.restore(LESSON, config)
    restore_runs(config.runs)


def restore_anatomy(config: anatomy.AnatomyConfig) -> None:
    """The landscape tab's runs (their controls' stored values) and the run and step looked at."""
    restore_paths(config.runs)
    widgets.restore(ANATOMY, config, ["run", "k"])


def back_to_the_course() -> None:
    """Every tab restored to the course's example (the restore each pin bar uses), and the
    views that are no Config's (the step looked at, the sweep's colour) to their start; runs'
    other settings forgotten."""
    for key in [k for k in st.session_state if re.match(rf"{LESSON}_r\d_", k)]:
        del st.session_state[key]
    widgets.restore(LR, learning_rate.LrConfig())
    widgets.restore(MOMENTUM, momentum.MomentumConfig())
    restore_paths(paths.PathConfig())
    widgets.restore(SWEEP, sweep.SweepConfig())
    widgets.restore(ANATOMY, anatomy.AnatomyConfig(), ["run", "k"])
    widgets.restore(COURSE, anatomy.CourseConfig())
    widgets.restore(EXERCISE, anatomy.ExerciseConfig())
    put(**{key_of(LESSON, "step"): 0, key_of(SWEEP, "metric"): METRIC.default})


def from_link(setting: Setting, text_value: str):
    """A setting's value as a link writes it; the setting's default where the text is not one."""
    try:
        if setting.kind == "bool":
            return text_value.lower() == "true"
        if setting.kind in ("int", "float"):
            return int(float(text_value)) if setting.kind == "int" else float(text_value)
        if setting.kind == "choice":
            return next(c for c in setting.choices if str(c) == text_value)
        return text_value
    except (ValueError, StopIteration):
        return setting.default


def stored(setting: Setting, key: str, fallback):
    """A control's value where its widget is not drawn (another tab's): the session's, else the
    link's, else fallback (the widget's own start)."""
    if key in st.session_state:
        value = st.session_state[key]
        return from_link(setting, value) if setting.kind == "choice" else value
    text_value = st.query_params.get(key)
    return fallback if text_value is None else from_link(setting, text_value)


def stored_runs() -> paths.PathConfig:
    """The landscape tab's Config from its controls' stored values (not validated)."""
    start = paths.PathConfig()
    values = {path: stored(setting, key_of(LESSON, path), value_at(start, path))
              for path, setting in settings_of(paths.PathConfig).items()}
    names = Setting(kind="choice", default=OFF, choices=(OFF, *OPTIMIZERS))
    specs = []
    for i in range(MAX_RUNS):
        name = stored(names, run_key(i), start.runs[i].name if i < len(start.runs) else OFF)
        if name == OFF:
            continue
        first = start.runs[i] if i < len(start.runs) and start.runs[i].name == name else None
        specs.append(Spec.of(name, **{
            setting.name: stored(setting, run_key(i, name, setting.name),
                                 first.value(setting.name) if first else setting.default)
            for setting in OPTIMIZERS[name].settings}))
    return with_values(start, values | {"runs": tuple(specs)})


def beside(pinned: pd.DataFrame | None, now: pd.DataFrame) -> pd.DataFrame:
    """The current view's rows, after the pinned view's (if any) with a VIEW column naming each."""
    return now if pinned is None else side_by_side(pinned, now, *view_labels())


def each(pinned: pd.DataFrame | None, now: pd.DataFrame, keys: list[str],
         short: bool = False) -> pd.DataFrame:
    """The current view's table; with a pinned view, A's and B's values in a column each, their
    rows matched on keys (a row one of them lacks is empty there). short: the columns say only
    "A" and "B" (a table of many columns, which must fit the page's width)."""
    if pinned is None:
        return now
    return column_each(pinned, now, keys, *(("A", "B") if short else view_labels()))


def verdict_label(verdict: str) -> str:
    return t(f"optim.verdict_{verdict}")


# ---- 1. Learning rate on y = 4x² (the course's example) -----------------------------------------

@st.fragment
def lr_tab() -> None:
    column, view = st.columns([1, 3], gap="large")
    with column:
        chosen = controls(LR, learning_rate.LrConfig)
    with view:
        # the course's three upper ends first, beside the pin: the demo's clicks, on the first
        # screen of a projector above the charts they change
        bar = st.container(horizontal=True, gap="small", vertical_alignment="center")
        if not presenting():  # a projector's row has room for the buttons alone: a tooltip
            bar.markdown(t("optim.lr_presets"), width="content")
        for upper in (0.2, 0.3, 0.5):
            bar.button(t("optim.lr_upper", upper=upper), on_click=put,
                       kwargs={key_of(LR, "lr_min"): 0.01, key_of(LR, "lr_max"): upper},
                       key=f"optim_lr_upper_{upper}", help=t("optim.lr_presets"))
        checked = checked_views(LR, with_values(learning_rate.LrConfig(), chosen),
                                learning_rate.validate_lr, restore_lr, seed_field=None, bar=bar,
                                label_of=widgets.label_of(LR))
        if checked is not None:
            config, pinned = checked
            show_lr(config, compute_lr(config), None if pinned is None else compute_lr(pinned))


def restore_lr(config: learning_rate.LrConfig) -> None:
    widgets.restore(LR, config)


READABLE = ["x1", "final_x", "final_loss"]  # the lr tab's tables: x and the loss, in digits


def count_text(verdict: str, count: int) -> str:
    """'1 oscillates forever (dotted)', '2 oscillate forever (dotted)': the verdict's count,
    singular for one, and the dash its lines are drawn with."""
    return t(f"optim.count_{verdict}" + ("_one" if count == 1 else ""), count=count) + \
        t("optim.dash_named", dash=t(f"optim.dash_{verdict}"))


def lr_curves(result: learning_rate.LrResult) -> pd.DataFrame:
    """The runs, each series named by its rate, with its verdict (drawn as its dash); the lr
    column (a rate's colour) is the run's."""
    labels = {row.lr: t("optim.lr_series", lr=row.lr) for row in result.summary.itertuples()}
    # by dict: a grid from 0.1 to 0.1 holds one rate several times (the same run each time)
    verdict = {row.lr: verdict_label(row.verdict) for row in result.summary.itertuples()}
    return result.curves.assign(series=result.curves["lr"].map(labels),
                                verdict=result.curves["lr"].map(verdict))


def show_lr(config: learning_rate.LrConfig, result: learning_rate.LrResult,
            pinned: learning_rate.LrResult | None) -> None:
    """B's view: the loss per iteration and, beside it, x itself (its sign shows the
    oscillation the loss hides); with A's result (pinned), A's curves dashed beside B's, the
    verdicts' counts with their change and both tables in one."""
    curves = beside(pinned and lr_curves(pinned), lr_curves(result))
    height = 300 if presenting() else 360
    common = {"x_title": t("optim.axis_iteration"), "lr_title": "lr",
              "verdicts": [verdict_label(v) for v in learning_rate.VERDICTS]}
    losses, positions = st.columns(2)
    with losses:
        show_chart(charts.lr_lines, curves, y="loss", title=t("optim.lr_chart"),
                   y_title=t("optim.axis_loss"), log_y=True, floor=1e-12, height=height,
                   **common)
    with positions:  # the lr bar is the losses' beside it: this plot is as tall as theirs
        reach = 1.25 * max(abs(config.x0), 1e-12)
        first = curves[curves["iteration"] <= X_ITERATIONS]
        show_chart(charts.lr_lines, first, y="x",
                   title=t("optim.lr_x_chart", iterations=min(X_ITERATIONS, config.iterations)),
                   y_title="x", y_domain=(-reach, reach), legend_shown=False,
                   height=height - LR_BAR, **common)
    counts = result.summary["verdict"].value_counts()
    if pinned is None:
        st.write(t("optim.lr_counts", counts=t("optim.count_separator").join(
            count_text(v, int(counts.get(v, 0))) for v in learning_rate.VERDICTS)))
    else:
        before = pinned.summary["verdict"].value_counts()
        for column, v in zip(st.columns(len(learning_rate.VERDICTS)), learning_rate.VERDICTS,
                             strict=True):
            column.metric(verdict_label(v), int(counts.get(v, 0)),
                          delta=int(counts.get(v, 0) - before.get(v, 0)))
    summary = beside(pinned and pinned.summary, result.summary)
    theory, table, checks = st.tabs([t("optim.lr_theory_title"), t("optim.lr_table"),
                                     t("optim.lr_checks_title")])
    with theory:
        st.markdown(t("optim.lr_theory"))
    with table:
        st.dataframe(in_digits(summary.assign(verdict=summary["verdict"].map(verdict_label)),
                               READABLE), hide_index=True)
        csv_download(summary, "optim_lr")
    with checks:
        st.caption(t("optim.lr_checks", iterations=config.iterations))
        st.dataframe(in_digits(result.checks.assign(
            verdict=result.checks["verdict"].map(verdict_label)), READABLE), hide_index=True)
    code_panel(to_script(config))


# ---- 2. Momentum --------------------------------------------------------------------------------

@st.fragment
def momentum_tab() -> None:
    column, view = st.columns([1, 3], gap="large")
    with column:
        chosen = controls(MOMENTUM, momentum.MomentumConfig)
    with view:
        bar = st.container(horizontal=True, gap="small")  # the course's other try, by the pin
        bar.button(t("optim.momentum_063"), on_click=put,
                   kwargs={key_of(MOMENTUM, "momentum"): 0.63}, key="optim_mom_063")
        checked = checked_views(MOMENTUM, with_values(momentum.MomentumConfig(), chosen),
                                momentum.validate_momentum, restore_momentum, seed_field=None,
                                bar=bar, label_of=widgets.label_of(MOMENTUM))
        if checked is not None:
            config, pinned = checked
            show_momentum(config, compute_momentum(config),
                          None if pinned is None else compute_momentum(pinned))


def restore_momentum(config: momentum.MomentumConfig) -> None:
    widgets.restore(MOMENTUM, config)


def show_momentum(config: momentum.MomentumConfig, result: momentum.MomentumResult,
                  before: momentum.MomentumResult | None) -> None:
    """The weights of an average and the two runs side by side (a projector's first screen),
    then what the runs' own numbers say: where the run with momentum is ahead, and what its
    buffer sums."""
    height = 280 if presenting() else 360
    weights, losses = st.columns(2)
    with weights:
        show_chart(charts.optim_curves, beside(before and momentum_weights(before),
                                               momentum_weights(result)),
                   x="t", y="weight", series="series", title=t("optim.weights_chart"),
                   x_title=t("optim.axis_t"), y_title=t("optim.axis_weight"), log_y=False,
                   height=height, integer_x=True)
    runs = beside(before and momentum_runs(before), momentum_runs(result))
    with losses:
        show_chart(charts.optim_curves, runs, x="iteration", y="loss", series="series",
                   title=t("optim.momentum_chart"), x_title=t("optim.axis_iteration"),
                   y_title=t("optim.axis_loss"), log_y=True, height=height, integer_x=True,
                   legend_columns=1)
    st.markdown(race_text(config, result.race))
    st.markdown(t("optim.momentum_text", momentum=config.momentum) + " " + (
        t("optim.buffer_sum", momentum=config.momentum,
          factor=momentum.buffer_factor(config.momentum)) if config.momentum < 1
        else t("optim.buffer_grows", momentum=config.momentum)))
    csv_download(runs, "optim_momentum")
    code_panel(to_script(config))


def race_text(config: momentum.MomentumConfig, race: momentum.Race) -> str:
    """Which run is ahead where, and which ends ahead, as the runs' losses say."""
    names = {"with": t("optim.momentum_series", lr=config.lr_momentum, momentum=config.momentum),
             "plain": t("optim.momentum_series", lr=config.lr_plain, momentum=0.0)}
    spans = t("optim.count_separator").join(
        f"{first}" if first == last else f"{first}–{last}" for first, last in race.ahead)
    ahead = t("optim.race_ahead", spans=spans, **names) if race.ahead \
        else t("optim.race_never", **names)
    ends = "with" if race.loss_momentum < race.loss_plain else "plain"
    text = ahead + " " + t("optim.race_end", last=race.last, a=race.loss_momentum,
                           b=race.loss_plain, winner=names[ends])
    if race.sign_changes:
        text += " " + t("optim.race_overshoots", count=race.sign_changes,
                        momentum=config.momentum)
    return text


def momentum_weights(result: momentum.MomentumResult) -> pd.DataFrame:
    return result.weights.assign(series="β = " + result.weights["beta"].astype(str))


def momentum_runs(result: momentum.MomentumResult) -> pd.DataFrame:
    return result.runs.assign(series=[
        t("optim.momentum_series", lr=lr, momentum=m)
        for lr, m in zip(result.runs["lr"], result.runs["momentum"], strict=True)])


# ---- 3. Optimisers on 2-D landscapes, with torch.optim ------------------------------------------

def landscape_controls(lesson: str, config_type: type) -> dict:
    """A landscape, its condition number (where its formula has one) and a start point; choosing
    another landscape moves the start to the one it suggests."""
    chosen = controls(lesson, config_type, LANDSCAPE[:1])
    was = f"{key_of(lesson, 'landscape')}_was"
    if st.session_state.get(was, chosen["landscape"]) != chosen["landscape"]:
        x, y = LANDSCAPES[chosen["landscape"]].start
        set_controls({key_of(lesson, "start_x"): x, key_of(lesson, "start_y"): y})
    st.session_state[was] = chosen["landscape"]
    return chosen | controls(lesson, config_type, LANDSCAPE[1:], drawn=chosen)


def run_controls(i: int) -> Spec | None:
    """Run i's optimiser and every setting torch takes for it, each starting at this run's default
    (the course's runs) or torch's own, explained; None when the run is off. Its first two
    settings (SGD's lr and momentum) under its name, the rest folded: four runs side by side
    right under the trajectories they change."""
    start = paths.PathConfig().runs
    course = start[i] if i < len(start) else None
    names = [OFF, *OPTIMIZERS]
    name = choose(t("optim.run", run=i + 1), names, key=run_key(i),
                  index=names.index(course.name if course else OFF),
                  format_func=lambda n: t("optim.off") if n == OFF else n)
    if name == OFF:
        return None
    entry, values = OPTIMIZERS[name], {}
    shown = st.container()
    folded = st.expander(t("optim.run_settings", count=len(entry.settings) - UNFOLDED))
    for n, setting in enumerate(entry.settings):
        with shown if n < UNFOLDED else folded:
            values[setting.name] = widget(
                setting, run_key(i, name, setting.name), setting.label, t(setting.help),
                course.value(setting.name) if course and course.name == name
                else setting.default)
    return Spec.of(name, **values)


@st.fragment
def paths_tab() -> None:
    column, view = st.columns([1, 3], gap="large")
    with column:
        chosen = landscape_controls(LESSON, paths.PathConfig)
        chosen |= controls(LESSON, paths.PathConfig, ["steps", "forget_zero_grad"])
    with view:  # the trajectories, the runs that make them right under, then the rest
        chart_area, runs_area, rest = st.container(), st.container(), st.container()
    specs = []
    with runs_area:
        for i, place in enumerate(st.columns(MAX_RUNS, gap="small")):
            with place:
                spec = run_controls(i)
            if spec is not None:
                specs.append(spec)
    with chart_area:
        checked = checked_views(PATHS_PIN, with_values(paths.PathConfig(), chosen | {
            "runs": tuple(specs)}), paths.validate_path, restore_paths, seed_field=None,
            label_of=paths_label)
        if checked is not None:
            config, pinned = checked
            show_paths(config, compute_paths(config),
                       None if pinned is None else compute_paths(pinned), rest)


def at_step(result: paths.PathResult, step: int) -> pd.DataFrame:
    """A result's paths, each row marked current where it is the run's point at step (or its
    last point, where the run ended earlier)."""
    frame = result.paths
    last = frame.groupby("run")["step"].transform("max")
    return frame.assign(current=frame["step"] == last.clip(upper=step))


def show_paths(config: paths.PathConfig, result: paths.PathResult,
               pinned: paths.PathResult | None, rest) -> None:
    """B's runs: the landscape and its step slider here, the rest (the loss per step, the
    table, the code) in rest, under the runs' controls; with A's result (pinned), A's
    trajectories dashed beside B's on B's contour, in the loss chart too, and a table row per
    run for each."""
    key = key_of(LESSON, "step")  # the step looked at: a view of the runs, not a setting of them
    if st.session_state.get(key, 0) > config.steps:
        st.session_state[key] = config.steps
    chart = st.container()  # the landscape first, the step slider under it like a scrubber
    step = st.slider(t("optim.step"), 0, config.steps, value=0, key=key,
                     help=t("optim.step_help"), bind="query-params")
    own = at_step(result, step)
    frame = beside(pinned and at_step(pinned, step), own)
    with chart:
        draw_landscape(config, result, frame, own, step)
    with rest:
        show_steps(config, result, frame, step)


def show_steps(config: paths.PathConfig, result: paths.PathResult, frame: pd.DataFrame,
               step: int) -> None:
    """Under the runs' controls: the formula, where a run diverged, the loss per step, the
    runs at the step looked at, and the code."""
    st.latex(t(f"optim.formula_{config.landscape}"))
    st.caption(t("optim.arrows_caption") + " " + t("common.legend_pick"))
    if len(result.evaluations):
        st.caption(t("optim.evaluations_caption"))
    markers = pd.DataFrame(
        [{"x": stop, "label": t("optim.diverged_marker", run=i + 1, step=stop)}
         for i, stop in enumerate(result.diverged_at) if stop is not None])
    for i, stop in enumerate(result.diverged_at):
        if stop is not None:
            st.error(t("optim.diverged", run=i + 1, step=stop))
    show_chart(charts.optim_curves, frame, x="step", y="loss", series="label",
               title=t("optim.loss_chart"), x_title=t("optim.axis_step"),
               y_title=t("optim.axis_loss"), log_y=True, height=BIG // 2 + 80, markers=markers,
               current=step, integer_x=True, colours=charts.run_colours(frame))
    shown = [VIEW] if VIEW in frame else []
    st.dataframe(frame[frame["current"]][[*shown, "label", "step", "x", "y", "loss", "grad_x",
                                          "grad_y", "vel_x", "vel_y"]], hide_index=True)
    csv_download(frame.drop(columns="current"), "optim_paths")
    code_panel(to_script(config))


def draw_landscape(config: paths.PathConfig, result: paths.PathResult, frame: pd.DataFrame,
                   own: pd.DataFrame, step: int) -> None:
    """The contour with the runs' paths (A's dashed beside B's), each run's point at step with
    its gradient and velocity arrows, and LBFGS's evaluations inside that step."""
    surface = config.surface
    show_chart(charts.optim_landscape, result.surface, frame,
               paths.arrows(own[own["current"]], step, surface.view),
               pd.DataFrame(surface.minima, columns=["x", "y"]), view=surface.view,
               title=t("optim.paths_chart"), loss_title=t("optim.axis_loss"), height=BIG,
               evaluations=result.evaluations[result.evaluations["step"] == step])


# ---- 4. Inside the optimiser: the course's example first, then a landscape run ------------------

RUNS_PARAM = "optim_anat_runs"  # the landscape tab's runs, in a link made on this tab


@st.fragment
def anatomy_tab() -> None:
    course_example()
    exercise()
    shown_elsewhere()
    # The landscape tab's runs, whether or not that tab ran in this session. Its controls' link
    # parameters leave the URL while it is closed, so this tab keeps the runs in one of its own.
    if RUNS_PARAM in st.query_params and key_of(LESSON, "landscape") not in st.session_state:
        try:  # a link made on this tab, opened in a new session
            restore_paths(compare.decode(st.query_params[RUNS_PARAM], paths.PathConfig,
                                         RUNS_PARAM))
        except InputError as error:
            st.warning(quoted(error.key, **error.params))
    runs = checked_config(stored_runs(), paths.validate_path, paths_label)
    if runs is None:
        return
    st.session_state[RUNS_PARAM] = compare.encode(runs)  # what the link holds (check_link)
    put_in_link(RUNS_PARAM, st.session_state[RUNS_PARAM], default=compare.encode(
        paths.validate_path(paths.PathConfig())[0]))
    landscape_run_anatomy(runs)


def course_example() -> None:
    st.subheader(t("optim.course_title"))
    column, _ = st.columns([1, 3])
    with column:
        config = checked_config(with_values(anatomy.CourseConfig(), controls(
            COURSE, anatomy.CourseConfig)), anatomy.validate_example, widgets.label_of(COURSE))
    if config is None:
        return
    st.code(compute_course(config), language="text")
    st.markdown(t("optim.course_note"))
    code_panel(anatomy.course_script(config.seed))


def exercise() -> None:
    st.subheader(t("optim.exercise_title"))
    seed_column, k_column, _ = st.columns([1, 1, 2])
    with seed_column:
        chosen = controls(EXERCISE, anatomy.ExerciseConfig, ["seed"])
    with k_column:
        chosen |= controls(EXERCISE, anatomy.ExerciseConfig, ["k"])
    config = checked_config(with_values(anatomy.ExerciseConfig(), chosen),
                            anatomy.validate_example, widgets.label_of(EXERCISE))
    if config is None:
        return
    groups, history = compute_exercise(config)
    st.dataframe(groups, hide_index=True)
    st.caption(t("optim.exercise_note", k=config.k, seed=config.seed))
    show_chart(charts.optim_curves, history.assign(series=[
        t("optim.exercise_series", group=g, momentum=m, limit=1 / (1 - m))
        for g, m in zip(history["group"], history["momentum"], strict=True)]),
        x="step", y="buffer", series="series", title=t("optim.exercise_chart"),
        x_title=t("optim.axis_step"), y_title="momentum_buffer", log_y=False,
        height=BIG // 2 + 40, integer_x=True)


def shown_elsewhere() -> None:
    """The optimisers a landscape's point cannot take, each on a parameter it does take."""
    for name in ELSEWHERE:
        st.subheader(t(f"optim.{name}_title"))
        st.code(compute_elsewhere(name), language="text")
        st.markdown(t(f"optim.{name}_note"))
        code_panel(anatomy.elsewhere_script(name))


def landscape_run_anatomy(runs: paths.PathConfig) -> None:
    st.subheader(t("optim.anat_title"))
    column, view = st.columns([1, 3], gap="large")
    with column:
        run_setting = settings_of(anatomy.AnatomyConfig)["run"]
        present = replace(run_setting, choices=tuple(range(1, len(runs.runs) + 1)))
        run_widget = key_of(ANATOMY, "run")
        if str(st.session_state.get(run_widget, "1")) not in map(str, present.choices):
            st.session_state[run_widget] = "1"  # the run looked at was switched off
        chosen = {"run": widget(present, run_widget, t(widgets.text_key(ANATOMY, "run")))}
        chosen |= controls(ANATOMY, anatomy.AnatomyConfig, ["k"])
        st.caption(t("optim.anat_forget_note"))
    with view:
        checked = checked_views(ANATOMY, with_values(anatomy.AnatomyConfig(runs=runs), chosen),
                                anatomy.validate_anatomy, restore_anatomy, seed_field=None,
                                label_of=widgets.label_of(ANATOMY))
        if checked is None:
            return
        config, pinned = checked
        result = compute_anatomy(config.runs, config.run, config.k)
        before = None if pinned is None else compute_anatomy(pinned.runs, pinned.run, pinned.k)
        show_anatomy(config, result, before)
    # across the page: pinned, its four columns are eight
    st.markdown(t("optim.anat_grads", forgotten=t("optim.cleared") if runs.zero_grad
                  else t("optim.forgotten")))
    grads = each(before and before.grads, result.grads, ["step"], short=True)
    st.dataframe(grads, hide_index=True, height=220)
    csv_download(grads, "optim_grads")
    step_by_step(runs, config.run, config.k)  # across the page: formulas and values side by side


def show_anatomy(config: anatomy.AnatomyConfig, result: anatomy.Anatomy,
                 before: anatomy.Anatomy | None) -> None:
    """The optimiser object's own attributes after k steps, A's beside B's where pinned."""
    label = config.runs.runs[config.run - 1].label()
    if result.diverged_at is None:
        st.write(t("optim.anat_lead", label=label, k=config.k))
    else:  # the trajectory stopped where its loss escaped: the optimiser took fewer steps
        st.write(t("optim.anat_lead_diverged", label=label, k=config.k,
                   step=result.diverged_at))
    left, right = st.columns([3, 2])  # the groups' values need the room
    with left:
        st.markdown("**optimizer.param_groups**")
        st.dataframe(each(before and before.param_groups, result.param_groups,
                          ["group", "key"]), hide_index=True)
        st.markdown("**optimizer.defaults**")
        st.dataframe(each(before and before.defaults, result.defaults, ["key"]),
                     hide_index=True)
    with right:
        st.markdown("**optimizer.state**")
        if len(result.state) or (before and len(before.state)):
            st.dataframe(each(before and before.state, result.state, ["param", "key"]),
                         hide_index=True)
        else:
            st.caption(t("optim.anat_state_empty"))
        st.markdown("**optimizer.state_dict()**")
        st.json(result.state_dict, expanded=2)


def step_by_step(runs: paths.PathConfig, run: int, k: int) -> None:
    """The run's step k (or its last, where it diverged before k): each state entry's formula,
    the formula with that step's numbers, and the value beside what torch holds. A static table:
    its long formulas wrap within the page's width instead of being cut."""
    if k < 1:
        st.markdown(t("optim.inside_title", k=k))
        st.caption(t("optim.inside_no_step"))
        return
    found = compute_inside(runs, run, k)
    st.markdown(t("optim.inside_title", k=found.step))
    if found.diverged_at is not None:
        st.warning(t("optim.inside_diverged", run=run, step=found.diverged_at, k=k))
    spec = runs.runs[run - 1]
    if not len(found.table):
        st.caption(t("optim.inside_none", name=spec.name))
        return
    st.table(found.table.assign(agree=found.table["agree"].map({True: "✓", False: "✗"}))
             .rename(columns={name: t(f"optim.column_{name}") for name in inside.COLUMNS}),
             hide_index=True)
    st.caption(t("optim.inside_caption"))
    if spec.entry.closure:  # its step iterates inside: the numbers are its last iteration's
        st.caption(t("optim.inside_closure"))


# ---- 5. The sweep: learning rate × momentum, batched --------------------------------------------

@st.fragment
def sweep_tab() -> None:
    column, view = st.columns([1, 3], gap="large")
    with column:
        chosen = landscape_controls(SWEEP, sweep.SweepConfig)
        low, high = LANDSCAPES[chosen["landscape"]].lr_range
        st.button(t("optim.sweep_suggest"), on_click=put,
                  kwargs={key_of(SWEEP, "lr_min"): low, key_of(SWEEP, "lr_max"): high},
                  width="stretch", key="optim_sw_suggest")
        chosen |= controls(SWEEP, sweep.SweepConfig, [
            path for path in settings_of(sweep.SweepConfig) if path not in LANDSCAPE])
        metric = widget(METRIC, key_of(SWEEP, "metric"), t(widgets.text_key(SWEEP, "metric")))
    with view:
        checked = checked_views(SWEEP, with_values(sweep.SweepConfig(), chosen),
                                sweep.validate_sweep, restore_sweep, seed_field=None,
                                label_of=widgets.label_of(SWEEP))
        if checked is not None:
            config, pinned = checked
            show_sweep(config, compute_sweep(config), metric,
                       None if pinned is None else (pinned, compute_sweep(pinned)))


def restore_sweep(config: sweep.SweepConfig) -> None:
    widgets.restore(SWEEP, config)


def sweep_counts(result: sweep.SweepResult) -> tuple[int, int]:
    """How many cells diverged, and how many reached the tolerance."""
    cells = result.cells
    return int((cells["diverged_at"] >= 0).sum()), int((cells["steps_to_tol"] >= 0).sum())


def show_sweep(config: sweep.SweepConfig, result: sweep.SweepResult, metric: str,
               pinned: tuple[sweep.SweepConfig, sweep.SweepResult] | None) -> None:
    """B's grid; with A pinned, the counts with their change and A's map beside B's."""
    cells = result.cells
    views = [(config, result)] if pinned is None else [pinned, (config, result)]
    for column, (label, (shown, found)) in zip(
            st.columns(len(views)), zip(view_labels()[-len(views):], views, strict=True),
            strict=True):
        with column:
            title = t("optim.sw_chart", landscape=t(f"optim.land_{shown.landscape}"),
                      x=shown.start[0], y=shown.start[1])
            show_chart(charts.optim_sweep, found.cells, value=metric,
                       log_colour=metric == "final_loss",
                       title=title if pinned is None else label,  # the line above says more
                       value_title=t(f"optim.sw_{metric}"),
                       missing_label=t(f"optim.sw_missing_{metric}"),
                       height=BIG if pinned is None else BIG - 100)
            finite = found.cells[found.cells["diverged_at"] < 0]
            if len(finite):
                best = finite.loc[finite["final_loss"].idxmin()]
                st.write(t("optim.sw_best", lr=best["lr"], momentum=best["momentum"],
                           loss=best["final_loss"]))
            zeros = int((found.cells["final_loss"] == 0).sum())
            if zeros and metric == "final_loss":
                st.caption(t("optim.sw_zeros", count=zeros))
    # the counts under the maps: the first map starts on a projector's first screen
    diverged, reached = sweep_counts(result)
    was = (None, None) if pinned is None else sweep_counts(pinned[1])
    first, second, third = st.columns(3)
    first.metric(t("optim.sw_cells"), f"{len(cells)} × {config.steps}")
    second.metric(t("optim.sw_diverged"), diverged,
                  delta=None if pinned is None else diverged - was[0], delta_color="inverse")
    third.metric(t("optim.sw_reached", tol=config.tol), reached,
                 delta=None if pinned is None else reached - was[1])
    st.markdown(t("optim.sw_text") + " " + edge_text(config, sweep.divergence_edge(config, cells)))
    csv_download(cells, "optim_sweep")
    code_panel(to_script(config))


def edge_text(config: sweep.SweepConfig, edge: sweep.Edge) -> str:
    """Where the sweep's own cells put the divergence edge, its first and last momentum rows
    that diverge; on the quadratic, the theory's limit beside it, and whether every row's edge
    lies above its limit."""
    rows = edge.first_diverging
    if not len(rows):
        return t("optim.sw_no_edge")
    m_a, m_b, lr_a, lr_b = rows.index[0], rows.index[-1], rows.iloc[0], rows.iloc[-1]
    if len(rows) == 1:
        text = t("optim.sw_edge_one", m_a=m_a, lr_a=lr_a)
    else:
        direction = "larger" if lr_b > lr_a else "smaller" if lr_b < lr_a else "same"
        text = t(f"optim.sw_edge_{direction}", m_a=m_a, m_b=m_b, lr_a=lr_a, lr_b=lr_b)
    if edge.limits is None:
        return text
    text += " " + t("optim.sw_limit", curvature=max(1.0, config.condition), m_a=m_a, m_b=m_b,
                    limit_a=edge.limits.iloc[0], limit_b=edge.limits.iloc[-1])
    if (rows >= edge.limits).all():
        text += " " + t("optim.sw_limit_above", steps=config.steps)
    return text


st.title(t("optim.title"))
explain(t("optim.lead"))
st.button(t("optim.back_to_course"), on_click=back_to_the_course, key="optim_back",
          help=t("optim.back_to_course_help"))
# a projector's large type: the short names keep the five tabs on one line
tabs, opened = sections("optim_tab", {name: t(f"optim.tab_short_{name}" if presenting()
                                              else f"optim.tab_{name}") for name in TABS["optim"]})
keep_pins([f"optim_{name}" for name in TABS["optim"] if name != opened])
with tabs[opened]:
    {"lr": lr_tab, "momentum": momentum_tab, "paths": paths_tab, "anatomy": anatomy_tab,
     "sweep": sweep_tab}[opened]()
