"""Lesson 4: optimisers — learning rate and momentum on the course's y = 4x², real torch.optim
trajectories on 2-D landscapes, an optimiser's anatomy, and a learning-rate × momentum sweep."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from core import charts, optim
from core.errors import InputError
from core.landscapes import LANDSCAPES
from lessons import TABS
from ui.charts import show_chart
from ui.links import choose, sections
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import t

BIG = 400  # presenter mode enlarges the type, not the charts: they must fit 1280x720


@st.cache_data(max_entries=64, show_spinner=False)
def compute_lr(config: optim.LrConfig) -> optim.LrResult:
    return optim.run_lr(config)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_momentum(config: optim.MomentumConfig) -> optim.MomentumResult:
    return optim.run_momentum(config)


@st.cache_data(max_entries=256, show_spinner=False)
def compute_path(config: optim.PathConfig, spec: optim.OptSpec):
    return optim.run_path(config, spec)  # one run at a time: editing one run reruns only it


@st.cache_data(max_entries=64, show_spinner=False)
def compute_paths(config: optim.PathConfig):
    bare = replace(config, runs=())
    return optim.combine(config, [compute_path(bare, spec) for spec in config.runs])


@st.cache_data(max_entries=64, show_spinner=False)
def compute_anatomy(config: optim.PathConfig, run: int, k: int) -> optim.Anatomy:
    return optim.anatomy(config, run, k)


@st.cache_data(max_entries=32, show_spinner=False)
def compute_sweep(config: optim.SweepConfig) -> optim.SweepResult:
    return optim.run_sweep(config)  # all cells at once: about 15-30 ms (python -m bench.optim)


def put(**values) -> None:
    """A preset button: set widgets' values (Streamlit's pattern for buttons that move widgets)."""
    st.session_state.update(values)


def landscape_changed() -> None:
    x, y = LANDSCAPES[st.session_state["optim_land"]].start
    put(optim_x0=x, optim_y0=y)


def verdict_label(verdict: str) -> str:
    return t(f"optim.verdict_{verdict}")


st.title(t("optim.title"))
explain(t("optim.lead"))
# Only the open tab's code runs; the landscape tab's also runs for the two tabs that use its
# landscape and runs (its view is then drawn, hidden, in its own tab).
tabs, opened = sections("optim_tab", {name: t(f"optim.tab_{name}") for name in TABS["optim"]})

# ---- 1. Learning rate on y = 4x² (the course's example) -------------------------------------
if opened == "lr":
    with tabs["lr"]:
        controls, view = st.columns([1, 3], gap="large")
        with controls:
            lr_min = st.number_input(t("optim.lr_min"), value=0.01, step=0.01, format="%.4f",
                                     key="optim_lr_min", bind="query-params")
            lr_max = st.number_input(t("optim.lr_max"), value=0.2, step=0.01, format="%.4f",
                                     key="optim_lr_max", bind="query-params")
            lr_count = st.number_input(t("optim.lr_count"), value=10, step=1, key="optim_lr_count",
                                       bind="query-params")
            iterations = st.number_input(t("optim.iterations"), value=100, step=1,
                                         key="optim_lr_iters", bind="query-params")
            x0 = st.number_input(t("optim.x0"), value=2.0, step=0.5, key="optim_lr_x0",
                                 bind="query-params")
            st.caption(t("optim.lr_presets"))
            for upper in (0.2, 0.3, 0.5):
                st.button(t("optim.lr_upper", upper=upper), on_click=put,
                          kwargs={"optim_lr_min": 0.01, "optim_lr_max": upper}, width="stretch",
                          key=f"optim_lr_upper_{upper}")
        with view:
            try:
                lr_config, notices = optim.validate_lr(optim.LrConfig(
                    float(lr_min), float(lr_max), int(lr_count), int(iterations), float(x0)))
                result = compute_lr(lr_config)
            except InputError as error:
                show_error(error)
            else:
                show_notices(notices)
                labels = {row.lr: t("optim.lr_series", lr=row.lr,
                                     verdict=verdict_label(row.verdict))
                          for row in result.summary.itertuples()}
                curves = result.curves.assign(series=result.curves["lr"].map(labels))
                show_chart(charts.optim_curves,
                    curves, x="iteration", y="loss", series="series", title=t("optim.lr_chart"),
                    x_title=t("optim.axis_iteration"), y_title=t("optim.axis_loss"), log_y=True,
                    height=BIG, floor=1e-12)
                counts = result.summary["verdict"].value_counts()
                st.write(t("optim.lr_counts", converges=counts.get("converges", 0),
                           oscillates=counts.get("oscillates", 0),
                           diverges=counts.get("diverges", 0)))
                theory, table, checks = st.tabs([t("optim.lr_theory_title"), t("optim.lr_table"),
                                                 t("optim.lr_checks_title")])
                with theory:
                    st.markdown(t("optim.lr_theory"))
                with table:
                    summary = result.summary.assign(verdict=result.summary["verdict"].map(
                        verdict_label))
                    st.dataframe(summary, hide_index=True)
                    csv_download(result.summary, "optim_lr")
                with checks:
                    st.caption(t("optim.lr_checks", iterations=lr_config.iterations))
                    st.dataframe(result.checks.assign(verdict=result.checks["verdict"].map(
                        verdict_label)), hide_index=True)
                code_panel(optim.to_script(lr_config))

# ---- 2. Momentum -----------------------------------------------------------------------------
if opened == "momentum":
    with tabs["momentum"]:
        controls, view = st.columns([1, 3], gap="large")
        with controls:
            betas_text = st.text_input(t("optim.betas"), value="0.98, 0.95, 0.9, 0.8",
                                       key="optim_betas", bind="query-params")
            points = st.number_input(t("optim.points"), value=100, step=10, key="optim_points",
                                     bind="query-params")
            momentum = st.number_input(t("optim.momentum"), value=0.9, step=0.01, format="%.3f",
                                       key="optim_mom", bind="query-params")
            st.button(t("optim.momentum_063"), on_click=put, kwargs={"optim_mom": 0.63},
                      width="stretch", key="optim_mom_063")
            lr_m = st.number_input(t("optim.lr_with"), value=0.01, step=0.005, format="%.4f",
                                   key="optim_mom_lr", bind="query-params")
            lr_p = st.number_input(t("optim.lr_without"), value=0.03, step=0.005, format="%.4f",
                                   key="optim_plain_lr", bind="query-params")
            m_iterations = st.number_input(t("optim.iterations"), value=100, step=10,
                                           key="optim_mom_iters", bind="query-params")
        with view:
            try:
                betas = []
                for item in betas_text.split(","):
                    try:
                        betas.append(float(item))
                    except ValueError:
                        raise InputError("error.not_a_number", field="betas",
                                         value=item.strip()) from None
                m_config, notices = optim.validate_momentum(optim.MomentumConfig(
                    tuple(betas), int(points), float(momentum), float(lr_m), float(lr_p),
                    int(m_iterations)))
                m_result = compute_momentum(m_config)
            except InputError as error:
                show_error(error)
            else:
                show_notices(notices)
                weights = m_result.weights.assign(
                    series="β = " + m_result.weights["beta"].astype(str))
                show_chart(charts.optim_curves,
                    weights, x="t", y="weight", series="series", title=t("optim.weights_chart"),
                    x_title=t("optim.axis_t"), y_title=t("optim.axis_weight"), log_y=False,
                    height=BIG - 100)
                runs = m_result.runs.assign(series=[
                    t("optim.momentum_series", lr=lr, momentum=m)
                    for lr, m in zip(m_result.runs["lr"], m_result.runs["momentum"], strict=True)])
                show_chart(charts.optim_curves,
                    runs, x="iteration", y="loss", series="series", title=t("optim.momentum_chart"),
                    x_title=t("optim.axis_iteration"), y_title=t("optim.axis_loss"), log_y=True,
                    height=BIG - 100)
                st.markdown(t("optim.momentum_text"))
                csv_download(m_result.runs, "optim_momentum")
                code_panel(optim.to_script(m_config))

# ---- 3. Optimisers on 2-D landscapes, with torch.optim --------------------------------------
if opened in ("paths", "anatomy", "sweep"):
    with tabs["paths"]:
        controls, view = st.columns([1, 3], gap="large")
        with controls:
            landscape = choose(t("optim.landscape"), list(LANDSCAPES), key="optim_land",
                               index=list(LANDSCAPES).index(optim.PathConfig.landscape),
                               format_func=lambda name: t(f"optim.land_{name}"),
                               on_change=landscape_changed)
            surface = LANDSCAPES[landscape]
            condition = 10.0
            if landscape == "quadratic":
                condition = st.number_input(t("optim.condition"), value=10.0, step=1.0,
                                            key="optim_cond", help=t("optim.condition_help"),
                                            bind="query-params")
            start_x = st.number_input(t("optim.start_x"), value=surface.start[0], step=0.1,
                                      key="optim_x0", bind="query-params")
            start_y = st.number_input(t("optim.start_y"), value=surface.start[1], step=0.1,
                                      key="optim_y0", bind="query-params")
            steps = st.number_input(t("optim.steps"), value=300, step=50, key="optim_steps",
                                    bind="query-params")
            forget = st.toggle(t("optim.forget_zero_grad"), key="optim_forget",
                               help=t("optim.forget_help"), bind="query-params")

        # Up to four runs, one column each, under the chart.
        specs, defaults = [], optim.PathConfig().runs
        with view:
            chart_area = st.container()
            st.subheader(t("optim.runs_title"))
            columns = st.columns(optim.MAX_RUNS)
        for i, (column, default) in enumerate(zip(columns, defaults, strict=True)):
            with column:
                name = choose(t("optim.run", run=i + 1), ["off", *optim.OPTIMIZERS],
                              key=f"optim_r{i}_name",
                              index=1 + list(optim.OPTIMIZERS).index(default.name),
                              format_func=lambda n: t("optim.off") if n == "off" else n)
                if name == "off":
                    continue
                values = {"name": name}
                for setting in optim.OPTIMIZERS[name]:
                    key = f"optim_r{i}_{setting}"
                    label = t(f"optim.set_{setting}")
                    if setting in ("nesterov", "amsgrad", "centered"):
                        values[setting] = st.checkbox(label, key=key, bind="query-params")
                    else:
                        start_value = getattr(default, setting) if name == default.name \
                            else optim.setting_default(name, setting)
                        values[setting] = float(st.number_input(
                            label, value=float(start_value), step=None, format="%.5g", key=key,
                            bind="query-params"))
                specs.append(optim.OptSpec(**values))

        path_config = None
        with chart_area:
            try:
                path_config, notices = optim.validate_path(optim.PathConfig(
                    landscape=landscape, condition=float(condition),
                    start=(float(start_x), float(start_y)), steps=int(steps), runs=tuple(specs),
                    zero_grad=not forget))
            except InputError as error:
                show_error(error)
            else:
                show_notices(notices)
                paths = compute_paths(path_config)
                if st.session_state.get("optim_step", 0) > path_config.steps:
                    st.session_state["optim_step"] = path_config.steps
                step = st.slider(t("optim.step"), 0, path_config.steps, value=0, key="optim_step",
                                 help=t("optim.step_help"), bind="query-params")
                frame = paths.paths
                last = frame.groupby("run")["step"].transform("max")
                frame = frame.assign(current=frame["step"] == last.clip(upper=step))
                minima = pd.DataFrame(surface.minima, columns=["x", "y"])
                st.latex(t(f"optim.formula_{landscape}"))
                show_chart(charts.optim_landscape,
                    paths.surface, frame, optim.arrows(frame[frame["current"]], step, surface.view),
                    minima, view=surface.view, title=t("optim.paths_chart"),
                    loss_title=t("optim.axis_loss"), height=BIG)
                markers = pd.DataFrame(
                    [{"x": stop, "label": t("optim.diverged_marker", run=i + 1, step=stop)}
                     for i, stop in enumerate(paths.diverged_at) if stop is not None])
                st.caption(t("optim.arrows_caption"))
                for i, stop in enumerate(paths.diverged_at):
                    if stop is not None:
                        st.error(t("optim.diverged", run=i + 1, step=stop))
                show_chart(charts.optim_curves,
                    frame, x="step", y="loss", series="label", title=t("optim.loss_chart"),
                    x_title=t("optim.axis_step"), y_title=t("optim.axis_loss"), log_y=True,
                    height=BIG // 2 + 40, markers=markers, current=step)
                now = frame[frame["current"]][["label", "step", "x", "y", "loss", "grad_x",
                                               "grad_y", "vel_x", "vel_y"]]
                st.dataframe(now, hide_index=True)
                csv_download(frame.drop(columns="current"), "optim_paths")
                code_panel(optim.to_script(path_config))

# ---- 4. Anatomy: param_groups, defaults, state, state_dict ----------------------------------
if opened == "anatomy":
    with tabs["anatomy"]:
        controls, view = st.columns([1, 3], gap="large")
        with controls:
            run_count = len(path_config.runs) if path_config else 1
            run_names = [str(i) for i in range(1, run_count + 1)]
            if st.session_state.get("optim_anat_run", "1") not in run_names:  # a run switched off
                st.session_state["optim_anat_run"] = "1"
            anat_run = choose(t("optim.anat_run"), run_names, key="optim_anat_run")
            k = st.number_input(t("optim.anat_k"), value=10, step=1, key="optim_anat_k",
                                bind="query-params")
            st.caption(t("optim.anat_forget_note"))
        with view:
            if path_config is None:
                st.info(t("optim.anat_needs_runs"))
            else:
                k_used = int(min(max(int(k), 0), path_config.steps))
                if k_used != k:
                    st.warning(t("notice.clamped", field="k", value=k, low=0,
                                 high=path_config.steps, used=k_used))
                anatomy = compute_anatomy(path_config, int(anat_run), k_used)
                st.write(t("optim.anat_lead", label=path_config.runs[int(anat_run) - 1].label(),
                           k=k_used))
                left, right = st.columns(2)
                with left:
                    st.markdown("**optimizer.param_groups**")
                    st.dataframe(anatomy.param_groups, hide_index=True)
                    st.markdown("**optimizer.defaults**")
                    st.dataframe(anatomy.defaults, hide_index=True)
                with right:
                    st.markdown("**optimizer.state**")
                    if len(anatomy.state):
                        st.dataframe(anatomy.state, hide_index=True)
                    else:
                        st.caption(t("optim.anat_state_empty"))
                    st.markdown("**optimizer.state_dict()**")
                    st.json(anatomy.state_dict, expanded=2)
                st.markdown(t("optim.anat_grads", forgotten=t("optim.forgotten") if forget
                              else t("optim.cleared")))
                st.dataframe(anatomy.grads, hide_index=True, height=220)
                csv_download(anatomy.grads, "optim_grads")

            st.subheader(t("optim.course_title"))
            st.code("\n".join(optim.course_anatomy()), language="text")
            st.markdown(t("optim.course_note"))
            code_panel(optim.COURSE_ANATOMY_SCRIPT)
            st.subheader(t("optim.exercise_title"))
            seed = int(st.session_state.get("seed", 3))
            exercise_k = min(max(int(k), 0), optim.STEPS.high)  # bounded like k above
            groups = optim.three_groups(seed, exercise_k)
            st.dataframe(groups, hide_index=True)
            st.caption(t("optim.exercise_note", k=exercise_k, seed=seed))

# ---- 5. The sweep: learning rate × momentum, batched -----------------------------------------
if opened == "sweep":
    with tabs["sweep"]:
        controls, view = st.columns([1, 3], gap="large")
        low, high = LANDSCAPES[landscape].lr_range
        with controls:
            st.button(t("optim.sweep_suggest"), on_click=put,
                      kwargs={"optim_sw_lr_min": low, "optim_sw_lr_max": high}, width="stretch",
                      key="optim_sw_suggest")
            sw_lr_min = st.number_input(t("optim.lr_min"), value=1e-5, format="%.3g", step=None,
                                        key="optim_sw_lr_min", bind="query-params")
            sw_lr_max = st.number_input(t("optim.lr_max"), value=3e-3, format="%.3g", step=None,
                                        key="optim_sw_lr_max", bind="query-params")
            sw_lr_count = st.number_input(t("optim.sw_lr_count"), value=40, step=1,
                                          key="optim_sw_lr_n", bind="query-params")
            sw_m_min = st.number_input(t("optim.sw_m_min"), value=0.0, step=0.05, format="%.3f",
                                       key="optim_sw_m_min", bind="query-params")
            sw_m_max = st.number_input(t("optim.sw_m_max"), value=0.99, step=0.05, format="%.3f",
                                       key="optim_sw_m_max", bind="query-params")
            sw_m_count = st.number_input(t("optim.sw_m_count"), value=40, step=1,
                                         key="optim_sw_m_n", bind="query-params")
            sw_steps = st.number_input(t("optim.steps"), value=200, step=50, key="optim_sw_steps",
                                       bind="query-params")
            metric = choose(t("optim.sw_metric"), ["final_loss", "steps_to_tol"],
                            key="optim_sw_metric", format_func=lambda m: t(f"optim.sw_{m}"))
            tol = st.number_input(t("optim.sw_tol"), value=1e-3, format="%.3g", step=None,
                                  key="optim_sw_tol", bind="query-params")
            nesterov = st.checkbox("nesterov", key="optim_sw_nesterov", bind="query-params")
        with view:
            try:
                sw_config, notices = optim.validate_sweep(optim.SweepConfig(
                    landscape=landscape, condition=float(condition),
                    start=(float(start_x), float(start_y)), lr_min=float(sw_lr_min),
                    lr_max=float(sw_lr_max), lr_count=int(sw_lr_count),
                    momentum_min=float(sw_m_min), momentum_max=float(sw_m_max),
                    momentum_count=int(sw_m_count), steps=int(sw_steps), nesterov=bool(nesterov),
                    tol=float(tol)))
                sweep = compute_sweep(sw_config)
            except InputError as error:
                show_error(error)
            else:
                show_notices(notices)
                cells = sweep.cells
                diverged = int((cells["diverged_at"] >= 0).sum())
                first, second, third = st.columns(3)
                first.metric(t("optim.sw_cells"), f"{len(cells)} × {sw_config.steps}")
                second.metric(t("optim.sw_diverged"), diverged)
                third.metric(t("optim.sw_reached", tol=sw_config.tol),
                             int((cells["steps_to_tol"] >= 0).sum()))
                missing = t("optim.sw_missing_loss") if metric == "final_loss" else \
                    t("optim.sw_missing_steps")
                show_chart(charts.optim_sweep,
                    cells, value=metric, log_colour=metric == "final_loss",
                    title=t("optim.sw_chart", landscape=t(f"optim.land_{landscape}"),
                            x=sw_config.start[0], y=sw_config.start[1]),
                    value_title=t(f"optim.sw_{metric}"), missing_label=missing, height=BIG)
                finite = cells[cells["diverged_at"] < 0]
                if len(finite):
                    best = finite.loc[finite["final_loss"].idxmin()]
                    st.write(t("optim.sw_best", lr=best["lr"], momentum=best["momentum"],
                               loss=best["final_loss"]))
                st.markdown(t("optim.sw_text"))
                csv_download(cells, "optim_sweep")
                code_panel(optim.to_script(sw_config))
