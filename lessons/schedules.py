"""Lesson 5: learning-rate schedules — every torch.optim.lr_scheduler in the course's setting, a
schedule driving an optimiser on a landscape and on the course's 4x², and the learning-rate range
test. Opens on the course's StepLR example.

Every control is a setting (core.settings) drawn by ui.widgets, its key and link parameter
derived: schedules_<field> for the Configs' own (the seed is the curves' and the range test's
one, schedules_seed), schedules_<Scheduler>_<setting> for a scheduler's."""

import math

import pandas as pd
import streamlit as st

from core import schedules
from core.charts import optim as optim_charts
from core.charts import schedules as charts
from core.compare import side_by_side
from core.errors import InputError
from core.landscapes import LANDSCAPES
from core.schedules import applied, range_test
from core.settings import Setting, with_values
from lessons import TABS
from ui import widgets
from ui.charts import show_chart
from ui.compare import keep_pins
from ui.compare import labels as view_labels
from ui.lesson import checked_config, checked_views
from ui.links import choose, sections, set_controls
from ui.panels import code_panel, csv_download, explain, in_digits, show_error
from ui.text import presenting, t
from ui.widgets import controls, key_of, widget

LESSON = "schedules"
Config, Apply, Range = schedules.ScheduleConfig, applied.ApplyConfig, range_test.RangeConfig
HEIGHT = 300  # the charts fit 1280x720 beside their controls, in presenter mode too
EVENTS_ROOM = 60  # the events' legend under a chart: its plot keeps its height
# The rate's axis, a view of the rates (not a setting of the run): auto is log where the rates
# span two decades
SCALE = Setting("scale", "choice", "auto", choices=("auto", "linear", "log"),
                choice_text="schedules.scale_{choice}")
LOOP = ["lr", "max_epoch", "iteration"]  # the course's loop, folded under the scheduler


def label_of(path: str) -> str:
    """A setting named as its control is labelled: a scheduler's ("StepLR.gamma") by torch's own
    name, the lesson's by its text."""
    scheduler, _, setting = path.partition(".")
    return setting if scheduler in schedules.SCHEDULERS else widgets.label_of(LESSON)(path)


def widths() -> list[float]:
    """The controls' and the view's widths: in presenter mode's large type a wider controls
    column, so that a scheduler's whole name shows ("ReduceLROnPlat…" was cut)."""
    return [1.45, 3] if presenting() else [1, 3]


def spans_decades(rates: pd.Series, decades: float = 2) -> bool:
    """Whether the positive rates span at least this many decades (ReduceLROnPlateau's 0.1 to
    1e-4, LambdaLR's 0.1 ** (epoch // 20)): on a linear axis every cut after the first is
    flat against 0."""
    positive = rates[rates > 0]
    return len(positive) > 0 and positive.max() >= 10 ** decades * positive.min()


@st.cache_data(max_entries=128, show_spinner=False)
def compute(config: schedules.ScheduleConfig) -> schedules.ScheduleResult:
    return schedules.run(config)  # the loop and the real scheduler: python -m bench.schedules


@st.cache_data(max_entries=64, show_spinner=False)
def compute_applied(config: applied.ApplyConfig) -> applied.Applied:
    return applied.run(config)


@st.cache_data(max_entries=32, show_spinner=False)
def compute_range(config: range_test.RangeConfig) -> range_test.RangeResult:
    return range_test.run(config)


def setting_key(scheduler: str, setting: str) -> str:
    """A scheduler's setting's widget: schedules_<Scheduler>_<setting>."""
    return key_of(LESSON, f"{scheduler}.{setting}")


def presets(scheduler: str, values: dict | None = None) -> dict:
    """A scheduler's widgets at values (its preset by default), as they hold them."""
    entry = schedules.SCHEDULERS[scheduler]
    values = entry.preset() | (values or {})
    return {setting_key(scheduler, s.name): widgets.held(s, values[s.name])
            for s in entry.settings}


def restore_schedule(config: schedules.ScheduleConfig) -> None:
    """The first tab's controls set to config (the pin bar's restore)."""
    widgets.restore(LESSON, config)
    set_controls(presets(config.scheduler, config.values()))


def restore_applied(config: applied.ApplyConfig) -> None:
    """The applied tab's controls, and the schedule's in the first tab, set to config."""
    restore_schedule(config.schedule)
    widgets.restore(LESSON, config)


def restore_range(config: range_test.RangeConfig) -> None:
    widgets.restore(LESSON, config)


def back_to_course() -> None:
    """The course's StepLR example: every tab restored to its course Config (the restore its pin
    bar uses), every scheduler's settings to their presets, the first tab open."""
    set_controls({key: value for name in schedules.SCHEDULERS
                  for key, value in presets(name).items()} | {key_of(LESSON, "scale"): "auto"})
    restore_applied(Apply())
    restore_range(Range())
    st.session_state.update({"schedules_tab": TABS["schedules"][0],
                             "schedules_tab_label": t("schedules.tab_curves")})


def beside(pinned: pd.DataFrame | None, now: pd.DataFrame) -> pd.DataFrame:
    """The current view's rows, after the pinned view's (if any) with a VIEW column naming each."""
    return now if pinned is None else side_by_side(pinned, now, *view_labels())


def course_controls(config_type: type) -> dict:
    """What every tab's controls start with: the way back to the course's example, and this
    lesson's seed (the course's 1). Drawn in the open tab only, so one key serves them all."""
    st.button(t("schedules.back_to_course"), on_click=back_to_course, width="stretch",
              key="schedules_back")
    return controls(LESSON, config_type, ["seed"])


def rate_curves(config: schedules.ScheduleConfig,
                result: schedules.ScheduleResult) -> pd.DataFrame:
    """The rate per epoch of each group, before the scheduler's step (and after, where the
    scheduler's rate is logged after it), each series named."""
    frames = [result.rates.assign(order="before")]
    if config.entry.logged_after:
        frames.append(result.rates_after.assign(order="after"))
    curves = pd.concat(frames, ignore_index=True)
    curves["series"] = [t(f"schedules.series_{order}", group=group + 1)
                        for order, group in zip(curves["order"], curves["group"], strict=True)]
    return curves


def rate_changes(result: schedules.ScheduleResult) -> pd.DataFrame:
    """The epochs where a group's rate changes."""
    return result.rates[result.rates.groupby("group")["lr"].diff().ne(0)]


def applied_frames(config: applied.ApplyConfig,
                   runs: applied.Applied) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A run's rows on the landscape and on 4x², labelled, and its last row per run and function."""
    labels = {"scheduled": t("schedules.run_scheduled", name=config.schedule.scheduler),
              "constant": t("schedules.run_constant")}
    path = runs.landscape.assign(label=runs.landscape["run"].map(labels))
    parabola = runs.parabola.assign(label=runs.parabola["run"].map(labels))
    summary = pd.concat([
        frame.groupby("run", sort=False).tail(1).assign(function=where)
        for frame, where in ((path, t(f"optim.land_{config.landscape}")), (parabola, "4x²"))],
        ignore_index=True)
    return path, parabola, summary[["function", "label", "step", "lr", "loss"]]


def show_applied(config: applied.ApplyConfig, runs: applied.Applied,
                 pinned: tuple[applied.ApplyConfig, applied.Applied] | None) -> None:
    """B's runs; with A pinned, A's trajectories, rates and losses dashed beside B's (on B's
    landscape), and a table row per run for each."""
    path, parabola, summary = applied_frames(config, runs)
    if pinned is not None:
        path_a, parabola_a, summary_a = applied_frames(*pinned)
        path, parabola, summary = (beside(path_a, path), beside(parabola_a, parabola),
                                   beside(summary_a, summary))
    surface = LANDSCAPES[config.landscape]
    left, right = st.columns(2)
    with left:
        show_chart(optim_charts.optim_landscape, runs.surface, path,
                   pd.DataFrame(columns=["label", "kind", "x", "y", "x2", "y2", "angle", "size"]),
                   pd.DataFrame(surface.minima, columns=["x", "y"]),
                   view=surface.view, title=t("schedules.landscape_chart"),
                   loss_title=t("schedules.axis_loss"), height=HEIGHT)
    with right:  # the rate each run stepped with
        show_chart(charts.schedule_curves,
                   path.rename(columns={"step": "epoch", "label": "series"}),
                   pd.DataFrame(columns=["epoch", "label"]), title=t("schedules.applied_lr_chart"),
                   x_title=t("schedules.axis_step"), y_title=t("schedules.axis_lr"), log_y=True,
                   height=HEIGHT)
    for label, (shown, found) in zip(view_labels(), [pinned or (None, None), (config, runs)],
                                     strict=True):
        for row in [] if found is None else found.diverged.itertuples():
            where = t(f"optim.land_{shown.landscape}") if row.function == "landscape" else "4x²"
            run = t("schedules.run_scheduled", name=shown.schedule.scheduler) \
                if row.run == "scheduled" else t("schedules.run_constant")
            st.error((f"{label}: " if pinned is not None else "")
                     + t("schedules.diverged", where=where, run=run, step=row.step))
    entry = config.schedule.entry
    if entry.own_rates:  # from its registry entry: it replaces the optimiser's lr by its own
        values = config.schedule.values()
        st.info(t("schedules.own_rates", name=config.schedule.scheduler,
                  settings=", ".join(f"{name} = {values[name]:g}" for name in entry.own_rates),
                  land_lr=config.landscape_lr, lr=config.schedule.lr))
    both = pd.concat([path.assign(where=t("schedules.on_landscape")),
                      parabola.assign(where="4x²")], ignore_index=True)
    both["series"] = both["where"] + " · " + both["label"]
    losses, positions = st.columns(2)
    with losses:
        show_chart(optim_charts.optim_curves, both, x="step", y="loss", series="series",
                   title=t("schedules.applied_loss_chart"), x_title=t("schedules.axis_step"),
                   y_title=t("schedules.axis_loss"), log_y=True, height=HEIGHT + 40,
                   legend_columns=1, integer_x=True)  # four labels: one a row, each whole
    with positions:  # the course's 4x²: where x is, step by step (the loss hides its sign)
        show_chart(optim_charts.optim_curves, parabola, x="step", y="x", series="label",
                   title=t("schedules.applied_x_chart"), x_title=t("schedules.axis_step"),
                   y_title="x", log_y=False, height=HEIGHT + 40, integer_x=True,
                   colours=optim_charts.run_colours(parabola))  # each run as on the landscape
    st.markdown(ends_text(config, runs))
    explain(t("schedules.applied_lead", name=config.schedule.scheduler,
              epochs=config.schedule.max_epoch))
    st.dataframe(in_digits(summary.rename(columns={"label": "run"}), ["lr", "loss"], 4),
                 hide_index=True)
    code_panel(applied.to_script(config))


def ends_text(config: applied.ApplyConfig, runs: applied.Applied) -> str:
    """Which run ends lower on each function, by its mean loss over the last steps, and what
    that says of the noise: the sentence is the runs' numbers, never a general claim."""
    ends = runs.ends.set_index("function")
    where = {"landscape": t(f"optim.land_{config.landscape}"), "parabola": "4x²"}

    def loss(value: float) -> str:
        return f"{value:.3g}" if math.isfinite(value) else t("schedules.diverged_short")

    parts = [t("schedules.ends_on", where=where[name], scheduled=loss(row.scheduled),
               constant=loss(row.constant)) for name, row in ends.iterrows()]
    lower = int((ends["scheduled"] < ends["constant"]).sum())
    text = t("schedules.ends", name=config.schedule.scheduler, tail=applied.TAIL,
             each=t("optim.count_separator").join(parts)) + " " + \
        t(f"schedules.ends_lower_{min(lower, 2)}", name=config.schedule.scheduler)
    if config.noise == 0 and lower == 0:
        text += " " + t("schedules.ends_no_noise")
    elif config.noise > 0 and lower == len(ends):
        text += " " + t("schedules.ends_noise", noise=config.noise)
    return text


def show_range(config: range_test.RangeConfig, found: range_test.RangeResult,
               pinned: range_test.RangeResult | None) -> None:
    """B's range test; with A's result (pinned), A's curves dashed beside B's and the suggested
    rate and the steps run with their change."""
    show_chart(charts.range_test, beside(pinned and pinned.steps, found.steps),
               suggested=found.suggested, stopped_at=found.stopped_at,
               title=t("schedules.range_chart"), x_title=t("schedules.axis_lr_log"),
               y_title=t("schedules.axis_loss"), loss_label=t("schedules.range_loss"),
               smoothed_label=t("schedules.range_smoothed"),
               suggested_label=t("schedules.range_suggested"),
               stopped_label=t("schedules.range_stopped"), height=HEIGHT)
    first, second = st.columns(2)
    if found.suggested is None:
        first.warning(t("schedules.range_no_suggestion"))
    else:
        change = None if pinned is None or pinned.suggested is None \
            else f"{found.suggested_lr - pinned.suggested_lr:+.3g}"
        first.metric(t("schedules.range_suggested"), f"{found.suggested_lr:.3g}", delta=change,
                     delta_color="off")
    second.metric(t("schedules.range_steps"), len(found.steps),
                  delta=None if pinned is None else len(found.steps) - len(pinned.steps),
                  delta_color="off")
    if found.stopped_at is not None:
        st.caption(t("schedules.range_stopped_note", step=found.stopped_at, times=config.diverge))
    explain(t("schedules.range_read"))
    csv_download(found.steps, "schedules_range_test")
    code_panel(range_test.to_script(config))


def curves_section(pinnable: bool) -> schedules.ScheduleConfig | None:
    """Each scheduler's rate per epoch in the course's loop: its controls, the curve and the
    table; the schedule's Config (None where it is refused), which the applied tab runs too.
    pinnable: this tab is the open one, with its own pin."""
    column, view = st.columns(widths(), gap="large")
    with column:
        chosen = course_controls(Config)
        names = list(schedules.SCHEDULERS)
        name = choose(t("schedules.scheduler"), names, key=key_of(LESSON, "scheduler"),
                      index=names.index(Config().scheduler),
                      format_func=lambda n: n if schedules.SCHEDULERS[n].course
                      else t("schedules.beyond_course", name=n))
        entry = schedules.SCHEDULERS[name]
        st.caption(t("schedules.preset_course" if entry.course else "schedules.preset_ours"))
        values = {s.name: widget(s, setting_key(name, s.name), s.label, t(s.help))
                  for s in entry.settings}
        st.button(t("schedules.preset_button"), on_click=set_controls,
                  args=(presets(name),), width="stretch", key="schedules_preset")
        with st.expander(t("schedules.course_setting"), expanded=False):
            chosen |= controls(LESSON, Config, LOOP)
        scale = widget(SCALE, key_of(LESSON, "scale"), t("schedules.scale"))
    with view:
        wanted = with_values(Config(scheduler=name, settings=schedules.settings_differing(
            entry, values)), chosen)
        if not pinnable:  # the applied tab runs it: checked without a pin bar of its own
            config = checked_config(wanted, schedules.validate, label_of)
            return config if config is not None and ran(config) is not None else None
        # no "A with another seed": the seed draws w, and the rates do not depend on it
        checked = checked_views("schedules_curves", wanted, schedules.validate,
                                restore_schedule, seed_field=None, label_of=label_of)
        if checked is None or ran(checked[0]) is None:
            return None
        config, pinned = checked
        show_curves(config, compute(config), scale,
                    None if pinned is None else (pinned, compute(pinned)))
    return config


def ran(config: schedules.ScheduleConfig) -> schedules.ScheduleResult | None:
    """The schedule's run, or None with torch's refusal shown (OneCycleLR with fewer total
    steps than the loop takes, ...)."""
    try:
        return compute(config)
    except InputError as error:
        show_error(error)
        return None


def show_curves(config: schedules.ScheduleConfig, result: schedules.ScheduleResult, scale: str,
                pinned: tuple[schedules.ScheduleConfig, schedules.ScheduleResult] | None) -> None:
    """The rate per epoch (A's dashed beside B's where pinned), the scheduler's events, what it
    does, the epochs where the rate changes and the code."""
    name, entry = config.scheduler, config.entry
    curves = beside(pinned and rate_curves(*pinned), rate_curves(config, result))
    events = result.events.assign(label=result.events["event"].map(
        lambda e: t(f"schedules.event_name_{e}")))
    log_y = scale == "log" or scale == "auto" and spans_decades(curves["lr"])
    show_chart(charts.schedule_curves, curves, events,
               title=t("schedules.curves_chart", name=name) if pinned is None
               else t("schedules.curves_chart_compared", a=pinned[0].scheduler, b=name),
               x_title=t("schedules.axis_epoch"),
               y_title=t("schedules.axis_lr_log" if log_y else "schedules.axis_lr"),
               log_y=log_y, height=HEIGHT + (EVENTS_ROOM if len(events) else 0))
    st.markdown(t(f"schedules.about_{name}"))
    st.caption(t("schedules.order_after" if entry.logged_after else "schedules.order_before"))
    if len(result.events):
        st.caption(t("schedules.events_note"))
        with st.expander(t("schedules.events_title", count=len(result.events))):
            st.dataframe(events[["epoch", "label"]], hide_index=True)
    changes = beside(pinned and rate_changes(pinned[1]), rate_changes(result))
    with st.expander(t("schedules.changes_title", count=len(changes))):
        st.dataframe(changes, hide_index=True)
        csv_download(result.rates, "schedules_rates")
    code_panel(schedules.to_script(config))


def applied_section(config: schedules.ScheduleConfig | None) -> None:
    """A schedule applied: the curves tab's schedule on a landscape and on the course's 4x²;
    choosing another landscape sets its rate to the one it suggests."""
    column, view = st.columns(widths(), gap="large")
    with column:
        chosen = controls(LESSON, Apply, ["landscape"])
        was = f"{key_of(LESSON, 'landscape')}_was"
        if st.session_state.get(was, chosen["landscape"]) != chosen["landscape"]:
            set_controls({key_of(LESSON, "landscape_lr"):
                          applied.suggested_lr(chosen["landscape"])})
        st.session_state[was] = chosen["landscape"]
        chosen |= controls(LESSON, Apply, ["landscape_lr", "momentum", "noise", "noise_seed"])
    with view:
        if config is None:
            st.info(t("schedules.applied_needs_schedule"))
            return
        checked = checked_views("schedules_applied", with_values(Apply(schedule=config), chosen),
                                applied.validate, restore_applied, seed_field="noise_seed",
                                label_of=label_of)
        if checked is not None:
            apply_config, pinned = checked
            show_applied(apply_config, compute_applied(apply_config),
                         None if pinned is None else (pinned, compute_applied(pinned)))


def range_section() -> None:
    """The learning-rate range test."""
    column, view = st.columns(widths(), gap="large")
    with column:
        chosen = course_controls(Range)
        chosen |= controls(LESSON, Range, ["start_lr", "end_lr", "num_iter", "beta", "diverge"])
    with view:
        checked = checked_views("schedules_range", with_values(Range(), chosen),
                                range_test.validate, restore_range, label_of=label_of)
        if checked is not None:
            config, pinned = checked
            show_range(config, compute_range(config),
                       None if pinned is None else compute_range(pinned))


st.title(t("schedules.title"))
explain(t("schedules.lead"))
tabs, opened = sections("schedules_tab",
                        {name: t(f"schedules.tab_{name}") for name in TABS["schedules"]})
keep_pins([f"schedules_{name}" for name in TABS["schedules"] if name != opened])


# A tab that stands alone is a fragment: a move reruns it, not the page. The applied tab runs the
# curves tab's controls too (drawn, hidden, in their own tab), so it reruns the page.
if opened == "curves":
    with tabs["curves"]:
        st.fragment(curves_section)(pinnable=True)
elif opened == "applied":
    with tabs["curves"]:
        schedule = curves_section(pinnable=False)
    with tabs["applied"]:
        applied_section(schedule)
else:
    with tabs["range"]:
        st.fragment(range_section)()
