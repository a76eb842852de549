"""The teacher's lesson plan, in the sidebar: load one (a shipped plan, a file, or a link's), add
this view, annotate, reorder and remove steps, and present it with previous / next (PageUp /
PageDown, as a presenter's remote sends them); the class follows each step. The plan and its step
are saved in the class's store, so a reload or another tab of the teacher finds them."""

from __future__ import annotations

import contextlib

import streamlit as st

from classroom import plans
from classroom.plans import Plan, Step
from classroom.store import StoreDown, shared
from core.errors import InputError
from ui import follow
from ui.text import quoted, t

PLAN = "class_plan"  # the Plan being built or presented
STEP = "class_step"  # the step shown, -1 before the first
DRAWN = "class_plan_drawn"  # bumped when the steps change, so their widgets start afresh
PARAM = "plan"  # a link carrying a plan: ?plan=<classroom.plans.to_param>


def take_from_link() -> None:
    """A plan carried by the link (?plan=...) becomes the session's plan; the parameter leaves
    the address bar. Call before any widget."""
    if PARAM not in st.query_params:
        return
    try:
        _use(plans.from_param(st.query_params[PARAM]), -1)
    except InputError as error:
        st.session_state["class_plan_error"] = (error.key, error.params)
    del st.query_params[PARAM]


def plan_panel() -> None:
    """The whole panel, for the teacher only."""
    if not follow.teaching():
        return
    state = st.session_state
    if PLAN not in state:
        _use(_saved() or Plan(t("class.plan_untitled")), _saved_step())
    if "class_plan_error" in state:
        key, params = state.pop("class_plan_error")
        st.error(quoted(key, **params))
    plan: Plan = state[PLAN]
    _present(plan)
    with st.expander(t("class.plan_edit"), expanded=not plan.steps):
        if st.button(t("class.plan_add"), key="class_plan_add", width="stretch"):
            _use(plan.added(Step(follow.current_view(state.get(follow.PAGE, "")))),
                 len(plan.steps))
            st.rerun(scope="app")
        _steps(plan)
        _load()
        _save(plan)


def _present(plan: Plan) -> None:
    """Previous / next, with the step's note for the teacher to read."""
    if not plan.steps:
        return
    step = st.session_state[STEP]
    st.markdown(f"**{t('class.plan_step', step=step + 1, steps=len(plan.steps))}**"
                if step >= 0 else t("class.plan_ready", steps=len(plan.steps)))
    if 0 <= step < len(plan.steps) and plan.steps[step].note:
        st.info(plan.steps[step].note)
    # one above the other, as wide as the sidebar: their labels with the key stay whole
    ahead = st.button(t("class.plan_next"), key="class_plan_next", width="stretch",
                      disabled=step >= len(plan.steps) - 1, shortcut="PageDown", type="primary")
    back = st.button(t("class.plan_previous"), key="class_plan_previous", width="stretch",
                     disabled=step <= 0, shortcut="PageUp")
    if back or ahead:
        go_to(plan, step + (1 if ahead else -1))


def go_to(plan: Plan, step: int) -> None:
    """Show the plan's step (and so the whole class does)."""
    _use(plan, step)
    follow.open_view(plan.steps[step].view)


def _steps(plan: Plan) -> None:
    drawn = st.session_state.get(DRAWN, 0)
    for index, step in enumerate(plan.steps):
        st.caption(f"{index + 1}. {step.view.link}")
        st.text_input(t("class.plan_note"), value=step.note, key=f"class_note_{drawn}_{index}",
                      max_chars=plans.MAX_NOTE, label_visibility="collapsed",
                      on_change=_note, args=(index, f"class_note_{drawn}_{index}"))
        row = st.container(horizontal=True, gap="xsmall")
        for label, change in (("↑", lambda p, i=index: p.moved(i, -1)),
                              ("↓", lambda p, i=index: p.moved(i, +1)),
                              ("✕", lambda p, i=index: p.without(i)),
                              ("▶", None)):
            if row.button(label, key=f"class_plan_{label}_{drawn}_{index}",
                          help=t(f"class.plan_{'show' if change is None else 'change'}")):
                if change is None:
                    go_to(plan, index)
                changed = change(plan)
                _use(changed, min(st.session_state[STEP], len(changed.steps) - 1))
                st.rerun(scope="app")


def _note(index: int, key: str) -> None:
    _use(st.session_state[PLAN].noted(index, st.session_state[key]), st.session_state[STEP],
         redraw=False)


def _load() -> None:
    shipped = plans.shipped()
    row = st.container(horizontal=True, gap="small", vertical_alignment="bottom")
    name = row.selectbox(t("class.plan_shipped"), list(shipped), key="class_plan_pick",
                         format_func=lambda lesson: t(f"nav.{lesson}"))
    if row.button(t("class.plan_load"), key="class_plan_load"):
        _use(shipped[name], -1)
        st.rerun(scope="app")
    drawn = st.session_state.get(DRAWN, 0)
    upload = st.file_uploader(t("class.plan_file"), type=["json"], key=f"class_upload_{drawn}")
    if upload is not None:
        try:
            _use(plans.from_json(upload.getvalue()), -1)
            st.rerun(scope="app")
        except InputError as error:
            st.error(quoted(error.key, **error.params))


def _save(plan: Plan) -> None:
    if not plan.steps:
        return
    st.download_button(t("class.plan_download"), plans.to_json(plan), file_name="plan.json",
                       mime="application/json", key="class_plan_download", on_click="ignore")
    from classroom.address import student_address

    st.caption(t("class.plan_link"))
    st.code(f"{student_address(st.context.url)}?{PARAM}={plans.to_param(plan)}",
            language=None, wrap_lines=True)


def _use(plan: Plan, step: int, redraw: bool = True) -> None:
    """Make plan (at step) the session's and the class's."""
    state = st.session_state
    state[PLAN], state[STEP] = plan, step
    if redraw:
        state[DRAWN] = state.get(DRAWN, 0) + 1
    # with the store lost the teacher's own plan still works; the class panel says so
    with contextlib.suppress(StoreDown):
        shared().save_plan(plans.to_json(plan), step)


def _saved() -> Plan | None:
    try:
        saved = shared().lead().plan
        return plans.from_json(saved) if saved else None
    except (StoreDown, InputError):
        return None


def _saved_step() -> int:
    try:
        return shared().lead().step
    except StoreDown:
        return -1
