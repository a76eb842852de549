"""Lesson 5: learning-rate schedules — every torch.optim.lr_scheduler in the course's setting, a
schedule driving an optimiser on a landscape and on the course's 4x², and the learning-rate range
test. Opens on the course's StepLR example."""

import pandas as pd
import streamlit as st

from core import schedules
from core.charts import optim as optim_charts
from core.charts import schedules as charts
from core.compare import side_by_side
from core.errors import InputError
from core.landscapes import LANDSCAPES
from core.schedules import applied, range_test
from lessons import TABS
from ui.charts import show_chart
from ui.compare import keep_pins, pinned_view
from ui.compare import labels as view_labels
from ui.controls import default, setting_text, setting_widget
from ui.links import choose, sections, set_controls
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import t

Config, Apply, Range = schedules.ScheduleConfig, applied.ApplyConfig, range_test.RangeConfig
HEIGHT = 300  # the charts fit 1280x720 beside their controls, in presenter mode too


@st.cache_data(max_entries=128, show_spinner=False)
def compute(config: schedules.ScheduleConfig) -> schedules.ScheduleResult:
    return schedules.run(config)  # about 0.2 s: 2000 real SGD steps (python -m bench.schedules)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_applied(config: applied.ApplyConfig) -> applied.Applied:
    return applied.run(config)


@st.cache_data(max_entries=32, show_spinner=False)
def compute_range(config: range_test.RangeConfig) -> range_test.RangeResult:
    return range_test.run(config)


def setting_key(scheduler: str, setting: str) -> str:
    return f"schedules_{scheduler}_{setting}"


def widget_value(setting: schedules.Setting, value=None):
    """A setting's value (its preset by default) as its widget holds it."""
    return setting_text(setting, setting.default if value is None else value)


def presets(scheduler: str) -> dict:
    return {setting_key(scheduler, s.name): widget_value(s)
            for s in schedules.SCHEDULERS[scheduler].settings}


def restore_schedule(config: schedules.ScheduleConfig) -> None:
    """The first tab's controls set to config (the pin bar's restore)."""
    values = config.values()
    set_controls({
        "schedules_scheduler": config.scheduler, "schedules_lr": config.lr,
        "schedules_max_epoch": config.max_epoch, "schedules_iteration": config.iteration,
        "schedules_seed": config.seed,
        **{setting_key(config.scheduler, s.name): widget_value(s, values[s.name])
           for s in config.entry.settings}})


def restore_applied(config: applied.ApplyConfig) -> None:
    """The applied tab's controls, and the schedule's in the first tab, set to config."""
    restore_schedule(config.schedule)
    set_controls({"schedules_land": config.landscape, "schedules_land_lr": config.landscape_lr,
                  "schedules_momentum": config.momentum})


def restore_range(config: range_test.RangeConfig) -> None:
    set_controls({
        "schedules_seed": config.seed, "schedules_start_lr": config.start_lr,
        "schedules_end_lr": config.end_lr, "schedules_num_iter": config.num_iter,
        "schedules_beta": config.beta, "schedules_diverge": config.diverge})


def back_to_course() -> None:
    """The course's StepLR example: every tab restored to its course Config (the restore its pin
    bar uses), every scheduler's settings to their presets, the first tab open."""
    set_controls({
        key: value for name in schedules.SCHEDULERS for key, value in presets(name).items()})
    restore_applied(Apply())
    restore_range(Range())
    st.session_state.update({"schedules_tab": TABS["schedules"][0],
                             "schedules_tab_label": t("schedules.tab_curves")})


def beside(pinned: pd.DataFrame | None, now: pd.DataFrame) -> pd.DataFrame:
    """The current view's rows, after the pinned view's (if any) with a VIEW column naming each."""
    return now if pinned is None else side_by_side(pinned, now, *view_labels())


def landscape_changed() -> None:
    st.session_state["schedules_land_lr"] = applied.suggested_lr(
        st.session_state["schedules_land"])


def course_controls() -> int:
    """What every tab's controls start with: the way back to the course's example, and this
    lesson's seed (the course's 1). Drawn in the open tab only, so one key serves them all."""
    st.button(t("schedules.back_to_course"), on_click=back_to_course, width="stretch",
              key="schedules_back")
    return st.number_input(t("schedules.seed"), value=default(Config, "seed"), step=1,
                           key="schedules_seed", help=t("schedules.seed_help"),
                           bind="query-params")


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
    explain(t("schedules.applied_lead", name=config.schedule.scheduler,
              epochs=config.schedule.max_epoch))
    st.dataframe(summary.rename(columns={"label": "run"}), hide_index=True)
    code_panel(applied.to_script(config))


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
    config = None
    controls, view = st.columns([1, 3], gap="large")
    with controls:
        seed = course_controls()
        names = list(schedules.SCHEDULERS)
        name = choose(t("schedules.scheduler"), names, key="schedules_scheduler",
                      index=names.index(default(Config, "scheduler")),
                      format_func=lambda n: n if schedules.SCHEDULERS[n].course
                      else t("schedules.beyond_course", name=n))
        entry = schedules.SCHEDULERS[name]
        st.caption(t("schedules.preset_course" if entry.course else "schedules.preset_ours"))
        values = {s.name: setting_widget(s, setting_key(name, s.name),
                                         t(f"schedules.help_{s.name}"))
                  for s in entry.settings}
        st.button(t("schedules.preset_button"), on_click=set_controls,
                  args=(presets(name),), width="stretch", key="schedules_preset")
        with st.expander(t("schedules.course_setting"), expanded=False):
            lr = st.number_input("lr", value=default(Config, "lr"), step=None,
                                 format="%.6g", key="schedules_lr", bind="query-params")
            max_epoch = st.number_input("max_epoch", value=default(Config, "max_epoch"),
                                        step=10, key="schedules_max_epoch",
                                        bind="query-params")
            iteration = st.number_input("iteration", value=default(Config, "iteration"),
                                        step=1, key="schedules_iteration",
                                        bind="query-params")
        log_y = st.toggle(t("schedules.log_axis"), key="schedules_log", bind="query-params")
    with view:
        try:
            config, notices = schedules.validate(Config(
                scheduler=name, settings=schedules.settings_differing(entry, values),
                lr=lr, max_epoch=max_epoch, iteration=iteration, seed=seed))
            result = compute(config)
        except InputError as error:
            show_error(error)
            config = None
        else:
            show_notices(notices)
            pinned = pinned_view("schedules_curves", config, restore_schedule,
                                 schedules.validate) if pinnable else None
            before = None if pinned is None else compute(pinned)
            curves = beside(before and rate_curves(pinned, before),
                            rate_curves(config, result))
            events = result.events.assign(label=result.events["event"].map(
                lambda e: t(f"schedules.event_name_{e}")))
            show_chart(charts.schedule_curves, curves, events,
                       title=t("schedules.curves_chart", name=name) if pinned is None
                       else t("schedules.curves_chart_compared", a=pinned.scheduler,
                              b=name),
                       x_title=t("schedules.axis_epoch"), y_title=t("schedules.axis_lr"),
                       log_y=bool(log_y), height=HEIGHT)
            st.markdown(t(f"schedules.about_{name}"))
            st.caption(t("schedules.order_after" if entry.logged_after
                         else "schedules.order_before"))
            if len(result.events):
                st.caption(t("schedules.events_note"))
                with st.expander(t("schedules.events_title", count=len(result.events))):
                    st.dataframe(events[["epoch", "label"]], hide_index=True)
            changes = beside(before and rate_changes(before), rate_changes(result))
            with st.expander(t("schedules.changes_title", count=len(changes))):
                st.dataframe(changes, hide_index=True)
                csv_download(result.rates, "schedules_rates")
            code_panel(schedules.to_script(config))
    return config


def applied_section(config: schedules.ScheduleConfig | None) -> None:
    """A schedule applied: the curves tab's schedule on a landscape and on the course's 4x²."""
    controls, view = st.columns([1, 3], gap="large")
    with controls:
        landscape = choose(t("schedules.landscape"), list(LANDSCAPES), key="schedules_land",
                           index=list(LANDSCAPES).index(default(Apply, "landscape")),
                           format_func=lambda n: t(f"optim.land_{n}"),
                           on_change=landscape_changed)
        land_lr = st.number_input(t("schedules.land_lr"), value=default(Apply, "landscape_lr"),
                                  step=None, format="%.4g", key="schedules_land_lr",
                                  bind="query-params")
        momentum = st.number_input("momentum", value=default(Apply, "momentum"), step=0.05,
                                   format="%.3f", key="schedules_momentum",
                                   help=t("schedules.momentum_help"), bind="query-params")
    with view:
        if config is None:
            st.info(t("schedules.applied_needs_schedule"))
        else:
            try:
                apply_config, notices = applied.validate(Apply(
                    schedule=config, landscape=landscape, landscape_lr=land_lr,
                    momentum=momentum))
                runs = compute_applied(apply_config)
            except InputError as error:
                show_error(error)
            else:
                show_notices(notices)
                pinned = pinned_view("schedules_applied", apply_config, restore_applied,
                                     applied.validate)
                show_applied(apply_config, runs,
                             None if pinned is None else (pinned, compute_applied(pinned)))


def range_section() -> None:
    """The learning-rate range test."""
    controls, view = st.columns([1, 3], gap="large")
    with controls:
        seed = course_controls()
        start_lr = st.number_input("start_lr", value=default(Range, "start_lr"), step=None,
                                   format="%.3g", key="schedules_start_lr",
                                   bind="query-params")
        end_lr = st.number_input("end_lr", value=default(Range, "end_lr"), step=None,
                                 format="%.3g", key="schedules_end_lr", bind="query-params")
        num_iter = st.number_input("num_iter", value=default(Range, "num_iter"), step=10,
                                   key="schedules_num_iter", bind="query-params")
        beta = st.number_input(t("schedules.beta"), value=default(Range, "beta"), step=0.01,
                               format="%.3f", key="schedules_beta",
                               help=t("schedules.beta_help"), bind="query-params")
        diverge = st.number_input(t("schedules.diverge"), value=default(Range, "diverge"),
                                  step=0.5, key="schedules_diverge",
                                  help=t("schedules.diverge_help"), bind="query-params")
    with view:
        try:
            range_config, notices = range_test.validate(Range(
                seed=seed, start_lr=start_lr, end_lr=end_lr, num_iter=num_iter, beta=beta,
                diverge=diverge))
            found = compute_range(range_config)
        except InputError as error:
            show_error(error)
        else:
            show_notices(notices)
            pinned = pinned_view("schedules_range", range_config, restore_range,
                                 range_test.validate)
            show_range(range_config, found,
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
