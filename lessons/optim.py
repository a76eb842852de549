"""Lesson 4: optimisers — learning rate and momentum on the course's y = 4x², real torch.optim
trajectories on 2-D landscapes, inside an optimiser, and a learning-rate × momentum sweep.

Each tab is a function of what it uses, and an st.fragment: a click reruns that tab only. Each
tab with a Config has its own pin bar (lesson key optim_<tab>), so a link carries the pinned view
of the tab it was made on. The anatomy tab reads the landscape tab's runs from their controls'
stored values (session, else link, else defaults), so a link opening on it shows its runs."""

import pandas as pd
import streamlit as st

from core import compare
from core.charts import optim as charts
from core.compare import VIEW, column_each, side_by_side
from core.errors import InputError
from core.landscapes import LANDSCAPES
from core.optim import anatomy, common, inside, learning_rate, momentum, paths, sweep, to_script
from core.optim.registry import ELSEWHERE, OPTIMIZERS, Spec
from lessons import TABS
from ui.charts import show_chart
from ui.compare import keep_pins, pinned_view
from ui.compare import labels as view_labels
from ui.controls import default
from ui.links import choose, put_in_link, sections, set_controls
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import presenting, quoted, t

BIG = 400  # presenter mode enlarges the type, not the charts: they must fit 1280x720
OFF = "off"


def run_keys(i: int, spec: Spec) -> dict:
    """The widget keys of run i's controls with spec's values: its optimiser and its settings (a
    choice as its selectbox holds it, the option's text)."""
    return {f"optim_r{i}_name": spec.name,
            **{f"optim_r{i}_{spec.name}_{setting.name}": widget_value(setting, spec)
               for setting in spec.entry.settings}}


def widget_value(setting, spec: Spec):
    value = spec.value(setting.name)
    return str(value) if setting.kind is str else value


def lesson_controls() -> dict:
    """The lesson's controls table: every widget key and its default, from the Configs. The
    widgets start there and "back to the course's example" puts them all back."""
    lr, mom, sw = learning_rate.LrConfig, momentum.MomentumConfig, sweep.SweepConfig
    path = paths.PathConfig
    start = default(path, "start")
    table = {
        "optim_lr_min": default(lr, "lr_min"), "optim_lr_max": default(lr, "lr_max"),
        "optim_lr_count": default(lr, "lr_count"), "optim_lr_iters": default(lr, "iterations"),
        "optim_lr_x0": default(lr, "x0"), "optim_lr_thresholds": default(lr, "thresholds"),
        "optim_betas": ", ".join(map(str, default(mom, "betas"))),
        "optim_points": default(mom, "points"), "optim_mom": default(mom, "momentum"),
        "optim_mom_lr": default(mom, "lr_momentum"), "optim_plain_lr": default(mom, "lr_plain"),
        "optim_mom_iters": default(mom, "iterations"),
        "optim_land": default(path, "landscape"), "optim_cond": default(path, "condition"),
        "optim_x0": start[0], "optim_y0": start[1], "optim_steps": default(path, "steps"),
        "optim_forget": not default(path, "zero_grad"), "optim_step": 0,
        "optim_course_seed": anatomy.COURSE_SEED, "optim_ex_seed": anatomy.COURSE_SEED,
        "optim_ex_k": 10, "optim_anat_run": "1", "optim_anat_k": 10,
        "optim_sw_land": default(sw, "landscape"), "optim_sw_cond": default(sw, "condition"),
        "optim_sw_x0": default(sw, "start")[0], "optim_sw_y0": default(sw, "start")[1],
        "optim_sw_lr_min": default(sw, "lr_min"), "optim_sw_lr_max": default(sw, "lr_max"),
        "optim_sw_lr_n": default(sw, "lr_count"), "optim_sw_m_min": default(sw, "momentum_min"),
        "optim_sw_m_max": default(sw, "momentum_max"),
        "optim_sw_m_n": default(sw, "momentum_count"), "optim_sw_steps": default(sw, "steps"),
        "optim_sw_metric": "final_loss", "optim_sw_tol": default(sw, "tol"),
        "optim_sw_nesterov": default(sw, "nesterov"),
    }
    for i, spec in enumerate(default(path, "runs")):
        table |= run_keys(i, spec)
    return table


CONTROLS = lesson_controls()


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
    bare = paths.PathConfig(landscape=config.landscape, condition=config.condition,
                            start=config.start, steps=config.steps, runs=(),
                            zero_grad=config.zero_grad)
    return paths.combine(config, [compute_path(bare, spec) for spec in config.runs])


@st.cache_data(max_entries=64, show_spinner=False)
def compute_anatomy(config: paths.PathConfig, run: int, k: int) -> anatomy.Anatomy:
    return anatomy.anatomy(config, run, k)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_inside(config: paths.PathConfig, run: int, k: int) -> inside.Inside:
    return inside.inside_step(config, run, k)


@st.cache_data(max_entries=16, show_spinner=False)
def compute_exercise(seed: int, k: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    return anatomy.exercise(seed, k)


@st.cache_data(max_entries=16, show_spinner=False)
def compute_course(seed: int) -> str:
    return anatomy.course_anatomy(seed)


@st.cache_data(max_entries=4, show_spinner=False)
def compute_elsewhere(name: str) -> str:
    return anatomy.elsewhere(name)


@st.cache_data(max_entries=32, show_spinner=False)
def compute_sweep(config: sweep.SweepConfig) -> sweep.SweepResult:
    return sweep.run_sweep(config)  # all cells at once: about 15-30 ms (python -m bench.optim)


def put(**values) -> None:
    """A preset button: set widgets' values (Streamlit's pattern for buttons that move widgets)."""
    set_controls(values)


def restore_lr(config: learning_rate.LrConfig) -> None:
    put(optim_lr_min=config.lr_min, optim_lr_max=config.lr_max, optim_lr_count=config.lr_count,
        optim_lr_iters=config.iterations, optim_lr_x0=config.x0,
        optim_lr_thresholds=config.thresholds)


def restore_momentum(config: momentum.MomentumConfig) -> None:
    put(optim_betas=", ".join(map(str, config.betas)), optim_points=config.points,
        optim_mom=config.momentum, optim_mom_lr=config.lr_momentum,
        optim_plain_lr=config.lr_plain, optim_mom_iters=config.iterations)


def restore_paths(config: paths.PathConfig) -> None:
    put(optim_land=config.landscape, optim_cond=config.condition, optim_x0=config.start[0],
        optim_y0=config.start[1], optim_steps=config.steps, optim_forget=not config.zero_grad)
    for i in range(common.MAX_RUNS):
        put(**(run_keys(i, config.runs[i]) if i < len(config.runs)
               else {f"optim_r{i}_name": OFF}))


def restore_sweep(config: sweep.SweepConfig) -> None:
    put(optim_sw_land=config.landscape, optim_sw_cond=config.condition,
        optim_sw_x0=config.start[0], optim_sw_y0=config.start[1], optim_sw_lr_min=config.lr_min,
        optim_sw_lr_max=config.lr_max, optim_sw_lr_n=config.lr_count,
        optim_sw_m_min=config.momentum_min, optim_sw_m_max=config.momentum_max,
        optim_sw_m_n=config.momentum_count, optim_sw_steps=config.steps, optim_sw_tol=config.tol,
        optim_sw_nesterov=config.nesterov)


def back_to_the_course() -> None:
    """Every tab restored to the course's example (the restore each pin bar uses), and the
    controls that are no Config's (the step looked at, the anatomy's seeds) to their defaults;
    runs' other settings forgotten."""
    for key in [k for k in st.session_state if k.startswith("optim_r") and k not in CONTROLS]:
        del st.session_state[key]
    restore_lr(learning_rate.LrConfig())
    restore_momentum(momentum.MomentumConfig())
    restore_paths(paths.PathConfig())
    restore_sweep(sweep.SweepConfig())
    put(**{key: CONTROLS[key] for key in ("optim_step", "optim_course_seed", "optim_ex_seed",
                                          "optim_ex_k", "optim_anat_run", "optim_anat_k",
                                          "optim_sw_metric")})


def stored(key: str, kind: type, fallback):
    """A control's value where its widget is not drawn (another tab's): the session's, else the
    link's, else fallback (the widget's own default)."""
    if key in st.session_state:
        return st.session_state[key]
    text = st.query_params.get(key)
    if text is None:
        return fallback
    if kind is bool:
        return text.lower() == "true"
    try:
        return kind(float(text)) if kind is int else kind(text)
    except ValueError:
        return fallback


def stored_runs() -> paths.PathConfig:
    """The landscape tab's Config from its controls' stored values (not validated)."""
    specs = []
    for i in range(common.MAX_RUNS):
        name = stored(f"optim_r{i}_name", str, CONTROLS.get(f"optim_r{i}_name", OFF))
        if name not in OPTIMIZERS:
            continue
        values = {}
        for setting in OPTIMIZERS[name].settings:
            key = f"optim_r{i}_{name}_{setting.name}"
            value = stored(key, setting.kind, CONTROLS.get(key, setting.default))
            values[setting.name] = next((c for c in setting.choices if str(c) == value), value) \
                if setting.kind is str else value
        specs.append(Spec.of(name, **values))
    return paths.PathConfig(
        landscape=stored("optim_land", str, CONTROLS["optim_land"]),
        condition=stored("optim_cond", float, CONTROLS["optim_cond"]),
        start=(stored("optim_x0", float, CONTROLS["optim_x0"]),
               stored("optim_y0", float, CONTROLS["optim_y0"])),
        steps=stored("optim_steps", int, CONTROLS["optim_steps"]),
        runs=tuple(specs), zero_grad=not stored("optim_forget", bool, CONTROLS["optim_forget"]))


def number(label: str, key: str, **kwargs):
    """A number input bound to the link, starting at the lesson's default for key."""
    return st.number_input(label, value=CONTROLS[key], key=key, bind="query-params", **kwargs)


def verdict_label(verdict: str) -> str:
    return t(f"optim.verdict_{verdict}")


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


# ---- 1. Learning rate on y = 4x² (the course's example) -----------------------------------------

@st.fragment
def lr_tab() -> None:
    controls, view = st.columns([1, 3], gap="large")
    with controls:
        lr_min = number(t("optim.lr_min"), "optim_lr_min", step=0.01, format="%.4f")
        lr_max = number(t("optim.lr_max"), "optim_lr_max", step=0.01, format="%.4f")
        lr_count = number(t("optim.lr_count"), "optim_lr_count", step=1)
        iterations = number(t("optim.iterations"), "optim_lr_iters", step=1)
        x0 = number(t("optim.x0"), "optim_lr_x0", step=0.5)
        thresholds = st.toggle(t("optim.lr_thresholds"), value=CONTROLS["optim_lr_thresholds"],
                               key="optim_lr_thresholds", help=t("optim.lr_thresholds_help"),
                               bind="query-params")
        st.caption(t("optim.lr_presets"))
        for upper in (0.2, 0.3, 0.5):
            st.button(t("optim.lr_upper", upper=upper), on_click=put,
                      kwargs={"optim_lr_min": 0.01, "optim_lr_max": upper}, width="stretch",
                      key=f"optim_lr_upper_{upper}")
    with view:
        try:
            config, notices = learning_rate.validate_lr(learning_rate.LrConfig(
                lr_min=float(lr_min), lr_max=float(lr_max), lr_count=int(lr_count),
                iterations=int(iterations), x0=float(x0), thresholds=bool(thresholds)))
            result = compute_lr(config)
        except InputError as error:
            show_error(error)
            return
        show_notices(notices)
        pinned = pinned_view("optim_lr", config, restore_lr, learning_rate.validate_lr)
        show_lr(config, result, None if pinned is None else compute_lr(pinned))


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """The tab's tables with x and the loss in six significant digits: a final x of 6e-19 or
    1.3e+31 as such (the grid's own number format cut the first to digits and refused the
    second); the CSV keeps the numbers."""
    return frame.assign(**{column: frame[column].map(lambda v: f"{v:.6g}")
                           for column in ("x1", "final_x", "final_loss") if column in frame})


def count_text(verdict: str, count: int) -> str:
    """'1 oscillates forever', '2 oscillate forever': the verdict's count, singular for one."""
    return t(f"optim.count_{verdict}" + ("_one" if count == 1 else ""), count=count)


def lr_curves(result: learning_rate.LrResult, verdicts: bool = True) -> pd.DataFrame:
    """The losses, each series named by its rate (and verdict: not when two views share the
    legend, where the metrics and the table give the verdicts)."""
    labels = {row.lr: t("optim.lr_series", lr=row.lr, verdict=verdict_label(row.verdict))
              if verdicts else t("optim.lr_series_short", lr=row.lr)
              for row in result.summary.itertuples()}
    # by dict: a grid from 0.1 to 0.1 holds one rate several times (the same run each time)
    verdict = {row.lr: verdict_label(row.verdict) for row in result.summary.itertuples()}
    return result.curves.assign(series=result.curves["lr"].map(labels),
                                verdict=result.curves["lr"].map(verdict))


def show_lr(config: learning_rate.LrConfig, result: learning_rate.LrResult,
            pinned: learning_rate.LrResult | None) -> None:
    """B's view; with A's result (pinned), A's curves dashed beside B's, the verdicts' counts
    with their change and both tables in one."""
    alone = pinned is None
    show_chart(charts.optim_curves, beside(pinned and lr_curves(pinned, alone),
                                           lr_curves(result, alone)),
               x="iteration", y="loss", series="series", title=t("optim.lr_chart"),
               x_title=t("optim.axis_iteration"), y_title=t("optim.axis_loss"), log_y=True,
               height=BIG, floor=1e-12, legend_columns=(2 if len(config.lrs) <= 10 else 3)
               if alone else 5, integer_x=True,
               dash=("verdict", [verdict_label(v) for v in learning_rate.VERDICTS]))
    counts = result.summary["verdict"].value_counts()
    if pinned is None:
        st.write(t("optim.lr_counts", counts=t("optim.count_separator").join(
            count_text(v, int(counts.get(v, 0))) for v in learning_rate.VERDICTS)))
        st.caption(t("common.legend_pick"))
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
        st.dataframe(readable(summary.assign(verdict=summary["verdict"].map(verdict_label))),
                     hide_index=True)
        csv_download(summary, "optim_lr")
    with checks:
        st.caption(t("optim.lr_checks", iterations=config.iterations))
        st.dataframe(readable(result.checks.assign(
            verdict=result.checks["verdict"].map(verdict_label))), hide_index=True)
    code_panel(to_script(config))


# ---- 2. Momentum --------------------------------------------------------------------------------

@st.fragment
def momentum_tab() -> None:
    controls, view = st.columns([1, 3], gap="large")
    with controls:
        betas_text = st.text_input(t("optim.betas"), value=CONTROLS["optim_betas"],
                                   key="optim_betas", bind="query-params")
        points = number(t("optim.points"), "optim_points", step=10)
        value = number(t("optim.momentum"), "optim_mom", step=0.01, format="%.3f")
        st.button(t("optim.momentum_063"), on_click=put, kwargs={"optim_mom": 0.63},
                  width="stretch", key="optim_mom_063")
        lr_with = number(t("optim.lr_with"), "optim_mom_lr", step=0.005, format="%.4f")
        lr_without = number(t("optim.lr_without"), "optim_plain_lr", step=0.005, format="%.4f")
        iterations = number(t("optim.iterations"), "optim_mom_iters", step=10)
    with view:
        try:
            config, notices = momentum.validate_momentum(momentum.MomentumConfig(
                betas=parse_numbers(betas_text, "betas"), points=int(points),
                momentum=float(value), lr_momentum=float(lr_with), lr_plain=float(lr_without),
                iterations=int(iterations)))
            result = compute_momentum(config)
        except InputError as error:
            show_error(error)
            return
        show_notices(notices)
        pinned = pinned_view("optim_momentum", config, restore_momentum,
                             momentum.validate_momentum)
        before = None if pinned is None else compute_momentum(pinned)
        show_chart(charts.optim_curves, beside(before and momentum_weights(before),
                                               momentum_weights(result)),
                   x="t", y="weight", series="series", title=t("optim.weights_chart"),
                   x_title=t("optim.axis_t"), y_title=t("optim.axis_weight"), log_y=False,
                   height=BIG - 100, integer_x=True)
        runs = beside(before and momentum_runs(before), momentum_runs(result))
        show_chart(charts.optim_curves, runs, x="iteration", y="loss", series="series",
                   title=t("optim.momentum_chart"), x_title=t("optim.axis_iteration"),
                   y_title=t("optim.axis_loss"), log_y=True, height=BIG - 100, integer_x=True)
        st.markdown(t("optim.momentum_text"))
        csv_download(runs, "optim_momentum")
        code_panel(to_script(config))


def momentum_weights(result: momentum.MomentumResult) -> pd.DataFrame:
    return result.weights.assign(series="β = " + result.weights["beta"].astype(str))


def momentum_runs(result: momentum.MomentumResult) -> pd.DataFrame:
    return result.runs.assign(series=[
        t("optim.momentum_series", lr=lr, momentum=m)
        for lr, m in zip(result.runs["lr"], result.runs["momentum"], strict=True)])


def parse_numbers(text_value: str, field: str) -> tuple[float, ...]:
    numbers = []
    for item in text_value.split(","):
        try:
            numbers.append(float(item))
        except ValueError:
            raise InputError("error.not_a_number", field=field, value=item.strip()) from None
    return tuple(numbers)


# ---- 3. Optimisers on 2-D landscapes, with torch.optim ------------------------------------------

def landscape_controls(prefix: str) -> tuple[str, float, tuple[float, float]]:
    """A landscape, its condition number (where its formula has one) and a start point; choosing
    a landscape moves the start to the one it suggests."""
    land, cond, x0, y0 = (f"optim_{prefix}{name}" for name in ("land", "cond", "x0", "y0"))

    def moved() -> None:
        put(**dict(zip((x0, y0), LANDSCAPES[st.session_state[land]].start, strict=True)))

    landscape = choose(t("optim.landscape"), list(LANDSCAPES), key=land,
                       index=list(LANDSCAPES).index(CONTROLS[land]),
                       format_func=lambda name: t(f"optim.land_{name}"), on_change=moved)
    condition = CONTROLS[cond]
    if LANDSCAPES[landscape].takes_condition:
        condition = number(t("optim.condition"), cond, step=1.0, help=t("optim.condition_help"))
    start_x = number(t("optim.start_x"), x0, step=0.1)
    start_y = number(t("optim.start_y"), y0, step=0.1)
    return landscape, float(condition), (float(start_x), float(start_y))


def run_controls(i: int) -> Spec | None:
    """Run i's optimiser and every setting torch takes for it, each starting at this run's default
    (the course's runs) or torch's own, explained; None when the run is off."""
    defaults = dict(CONTROLS)
    name = choose(t("optim.run", run=i + 1), [OFF, *OPTIMIZERS], key=f"optim_r{i}_name",
                  index=[OFF, *OPTIMIZERS].index(defaults.get(f"optim_r{i}_name", OFF)),
                  format_func=lambda n: t("optim.off") if n == OFF else n)
    if name == OFF:
        return None
    entry, values = OPTIMIZERS[name], {}
    # two settings a row, one in presenter mode's large type: every label readable whole
    grid = st.columns(1 if presenting() else 2)
    for n, setting in enumerate(entry.settings):
        key = f"optim_r{i}_{name}_{setting.name}"
        start = defaults.get(key, setting.default)
        label, help_ = setting.name.replace("_0", "[0]").replace("_1", "[1]"), \
            t(entry.help_key(setting.name))
        with grid[n % len(grid)]:
            values[setting.name] = setting_widget(setting, key, label, help_, start)
    return Spec.of(name, **values)


def setting_widget(setting, key: str, label: str, help_: str, start):
    """One optimiser setting's widget, of the kind torch takes; returns its value."""
    if setting.kind is bool:
        return st.checkbox(label, value=start, key=key, help=help_, bind="query-params")
    if setting.kind is str:
        options = [str(c) for c in setting.choices]
        chosen = choose(label, options, key=key, index=options.index(str(start)), help=help_)
        return setting.choices[options.index(chosen)]
    if setting.kind is int:
        typed = st.number_input(label, value=start, step=1, key=key, help=help_,
                                placeholder=t("optim.torch_decides"), bind="query-params")
        return None if typed is None else int(typed)
    typed = st.number_input(label, value=None if start is None else float(start), step=None,
                            format="%.5g", key=key, help=help_,
                            placeholder=t("optim.torch_decides"), bind="query-params")
    return None if typed is None else float(typed)


@st.fragment
def paths_tab() -> None:
    controls, view = st.columns([1, 3], gap="large")
    with controls:
        landscape, condition, start = landscape_controls("")
        steps = number(t("optim.steps"), "optim_steps", step=50)
        forget = st.toggle(t("optim.forget_zero_grad"), value=CONTROLS["optim_forget"],
                           key="optim_forget", help=t("optim.forget_help"), bind="query-params")
    with view:
        chart_area = st.container()
    st.subheader(t("optim.runs_title"))  # across the page, two runs a row: every label readable
    columns = [column for _ in range(common.MAX_RUNS // 2)
               for column in st.columns(2, gap="large", border=True)]
    specs = []
    for i, column in enumerate(columns):
        with column:
            spec = run_controls(i)
        if spec is not None:
            specs.append(spec)
    with chart_area:
        try:
            config, notices = paths.validate_path(paths.PathConfig(
                landscape=landscape, condition=condition, start=start, steps=int(steps),
                runs=tuple(specs), zero_grad=not forget))
        except InputError as error:
            show_error(error)
            return
        show_notices(notices)
        pinned = pinned_view("optim_paths", config, restore_paths, paths.validate_path)
        show_paths(config, compute_paths(config),
                   None if pinned is None else compute_paths(pinned))


def at_step(result: paths.PathResult, step: int) -> pd.DataFrame:
    """A result's paths, each row marked current where it is the run's point at step (or its
    last point, where the run ended earlier)."""
    frame = result.paths
    last = frame.groupby("run")["step"].transform("max")
    return frame.assign(current=frame["step"] == last.clip(upper=step))


def show_paths(config: paths.PathConfig, result: paths.PathResult,
               pinned: paths.PathResult | None) -> None:
    """B's runs; with A's result (pinned), A's trajectories dashed beside B's on B's contour, in
    the loss chart too, and a table row per run for each."""
    if st.session_state.get("optim_step", 0) > config.steps:
        st.session_state["optim_step"] = config.steps
    chart = st.container()  # the landscape first, the step slider under it like a scrubber
    step = st.slider(t("optim.step"), 0, config.steps, value=CONTROLS["optim_step"],
                     key="optim_step", help=t("optim.step_help"), bind="query-params")
    own = at_step(result, step)
    frame = beside(pinned and at_step(pinned, step), own)
    with chart:
        draw_landscape(config, result, frame, own, step)
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
    if RUNS_PARAM in st.query_params and "optim_land" not in st.session_state:
        try:  # a link made on this tab, opened in a new session
            restore_paths(compare.decode(st.query_params[RUNS_PARAM], paths.PathConfig,
                                         RUNS_PARAM))
        except InputError as error:
            st.warning(quoted(error.key, **error.params))
    try:
        runs, notices = paths.validate_path(stored_runs())
    except InputError as error:
        show_error(error)
        return
    st.session_state[RUNS_PARAM] = compare.encode(runs)  # what the link holds (check_link)
    put_in_link(RUNS_PARAM, st.session_state[RUNS_PARAM], default=compare.encode(
        paths.validate_path(paths.PathConfig())[0]))
    show_notices(notices)
    landscape_run_anatomy(runs)


def course_example() -> None:
    st.subheader(t("optim.course_title"))
    seed_column, _ = st.columns([1, 3])
    notices: list = []
    seed = anatomy.clamp_seed(int(seed_column.number_input(
        t("optim.course_seed"), value=CONTROLS["optim_course_seed"], step=1,
        key="optim_course_seed", bind="query-params")), notices)
    show_notices(notices)
    st.code(compute_course(seed), language="text")
    st.markdown(t("optim.course_note"))
    code_panel(anatomy.course_script(seed))


def exercise() -> None:
    st.subheader(t("optim.exercise_title"))
    seed_column, k_column, _ = st.columns([1, 1, 2])
    notices: list = []
    seed = anatomy.clamp_seed(int(seed_column.number_input(
        t("optim.exercise_seed"), value=CONTROLS["optim_ex_seed"], step=1, key="optim_ex_seed",
        bind="query-params")), notices)
    k = common.STEPS.clamp(int(k_column.number_input(
        t("optim.exercise_k"), value=CONTROLS["optim_ex_k"], step=1, key="optim_ex_k",
        bind="query-params")), notices)
    show_notices(notices)
    groups, history = compute_exercise(seed, k)
    st.dataframe(groups, hide_index=True)
    st.caption(t("optim.exercise_note", k=k, seed=seed))
    if len(history):
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
    controls, view = st.columns([1, 3], gap="large")
    with controls:
        names = [str(i) for i in range(1, len(runs.runs) + 1)]
        if st.session_state.get("optim_anat_run", "1") not in names:  # a run switched off
            st.session_state["optim_anat_run"] = "1"
        run = int(choose(t("optim.anat_run"), names, key="optim_anat_run"))
        k = number(t("optim.anat_k"), "optim_anat_k", step=1)
        st.caption(t("optim.anat_forget_note"))
    with view:
        config, notices = anatomy.validate_anatomy(anatomy.AnatomyConfig(runs=runs, run=run,
                                                                          k=int(k)))
        show_notices(notices)
        pinned = pinned_view("optim_anatomy", config, restore_anatomy, anatomy.validate_anatomy)
        result = compute_anatomy(config.runs, config.run, config.k)
        before = None if pinned is None else compute_anatomy(pinned.runs, pinned.run, pinned.k)
        label = runs.runs[config.run - 1].label()
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
    # across the page: pinned, its four columns are eight
    st.markdown(t("optim.anat_grads", forgotten=t("optim.cleared") if runs.zero_grad
                  else t("optim.forgotten")))
    grads = each(before and before.grads, result.grads, ["step"], short=True)
    st.dataframe(grads, hide_index=True, height=220)
    csv_download(grads, "optim_grads")
    step_by_step(runs, config.run, config.k)  # across the page: formulas and values side by side


def restore_anatomy(config: anatomy.AnatomyConfig) -> None:
    """The landscape tab's runs (their controls' stored values) and the run and step looked at."""
    restore_paths(config.runs)
    put(optim_anat_run=str(config.run), optim_anat_k=config.k)


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
    st.table(found.table.assign(agree=found.table["agree"].map({True: "✓", False: "✗"})),
             hide_index=True)
    st.caption(t("optim.inside_caption"))
    if spec.entry.closure:  # its step iterates inside: the numbers are its last iteration's
        st.caption(t("optim.inside_closure"))


# ---- 5. The sweep: learning rate × momentum, batched --------------------------------------------

@st.fragment
def sweep_tab() -> None:
    controls, view = st.columns([1, 3], gap="large")
    with controls:
        landscape, condition, start = landscape_controls("sw_")
        low, high = LANDSCAPES[landscape].lr_range
        st.button(t("optim.sweep_suggest"), on_click=put,
                  kwargs={"optim_sw_lr_min": low, "optim_sw_lr_max": high}, width="stretch",
                  key="optim_sw_suggest")
        lr_min = number(t("optim.lr_min"), "optim_sw_lr_min", format="%.3g", step=None)
        lr_max = number(t("optim.lr_max"), "optim_sw_lr_max", format="%.3g", step=None)
        lr_count = number(t("optim.sw_lr_count"), "optim_sw_lr_n", step=1)
        m_min = number(t("optim.sw_m_min"), "optim_sw_m_min", step=0.05, format="%.3f")
        m_max = number(t("optim.sw_m_max"), "optim_sw_m_max", step=0.05, format="%.3f")
        m_count = number(t("optim.sw_m_count"), "optim_sw_m_n", step=1)
        steps = number(t("optim.steps"), "optim_sw_steps", step=50)
        metric = choose(t("optim.sw_metric"), ["final_loss", "steps_to_tol"],
                        key="optim_sw_metric", format_func=lambda m: t(f"optim.sw_{m}"))
        tol = number(t("optim.sw_tol"), "optim_sw_tol", format="%.3g", step=None)
        nesterov = st.checkbox("nesterov", value=CONTROLS["optim_sw_nesterov"],
                               key="optim_sw_nesterov", bind="query-params")
    with view:
        try:
            config, notices = sweep.validate_sweep(sweep.SweepConfig(
                landscape=landscape, condition=condition, start=start, lr_min=float(lr_min),
                lr_max=float(lr_max), lr_count=int(lr_count), momentum_min=float(m_min),
                momentum_max=float(m_max), momentum_count=int(m_count), steps=int(steps),
                nesterov=bool(nesterov), tol=float(tol)))
            result = compute_sweep(config)
        except InputError as error:
            show_error(error)
            return
        show_notices(notices)
        pinned = pinned_view("optim_sweep", config, restore_sweep, sweep.validate_sweep)
        show_sweep(config, result, metric,
                   None if pinned is None else (pinned, compute_sweep(pinned)))


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
    # the counts under the maps: the first map starts on a projector's first screen
    diverged, reached = sweep_counts(result)
    was = (None, None) if pinned is None else sweep_counts(pinned[1])
    first, second, third = st.columns(3)
    first.metric(t("optim.sw_cells"), f"{len(cells)} × {config.steps}")
    second.metric(t("optim.sw_diverged"), diverged,
                  delta=None if pinned is None else diverged - was[0], delta_color="inverse")
    third.metric(t("optim.sw_reached", tol=config.tol), reached,
                 delta=None if pinned is None else reached - was[1])
    st.markdown(t("optim.sw_text"))
    csv_download(cells, "optim_sweep")
    code_panel(to_script(config))


st.title(t("optim.title"))
explain(t("optim.lead"))
st.button(t("optim.back_to_course"), on_click=back_to_the_course, key="optim_back",
          help=t("optim.back_to_course_help"))
# a projector's large type: the short names keep the five tabs on one line
tabs, opened = sections("optim_tab", {name: t(f"optim.tab_short_{name}" if presenting()
                                              else f"optim.tab_{name}") for name in TABS["optim"]})
keep_pins([f"optim_{name}" for name in TABS["optim"] if name != opened])
with tabs[opened]:
    if opened == "anatomy":
        anatomy_tab()
    else:
        {"lr": lr_tab, "momentum": momentum_tab, "paths": paths_tab, "sweep": sweep_tab}[opened]()
