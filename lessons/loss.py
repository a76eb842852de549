"""Lesson 3: loss functions — type the tables a loss takes, flip every option, watch each step.

Everything about a loss comes from its registry entry (core.losses): which tables it takes, which
options, how it is computed. This page draws whatever the entry says, and knows no loss by name."""

import math

import pandas as pd
import streamlit as st

from core import charts, losses
from core.errors import InputError
from ui.charts import show_chart
from ui.links import put_in_link
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import presenting, t

PRESETS = losses.presets()


@st.cache_data(max_entries=64, show_spinner=False)
def compute(config: losses.LossConfig) -> losses.LossResult:
    return losses.run(config)


@st.cache_data(max_entries=16, show_spinner=False)
def compare(config: losses.LossConfig) -> losses.Comparison:
    return losses.compare(config)


def editor_key(table: str) -> str:
    return f"loss_table_{table}"


def option_key(option: str) -> str:
    return f"loss_opt_{option}"


def use_key(table: str) -> str:
    return f"loss_use_{table}"


def preset_tables(name: str) -> dict:
    """A preset's tables fitted to its loss's tables (optional ones full of ones when it has
    none), at the preset's own C."""
    loss, preset = PRESETS[name]
    cfg = losses.config(loss.name, preset.tables, preset.options)
    classes = len(next(iter(preset.tables.values()))[0])
    return losses.fit_tables(cfg, preset.tables, classes)


def restart_tables(tables: dict) -> None:
    """New tables for the editors to start from: their edits so far are folded in, so start
    afresh. Kept outside the editors' own state, which Streamlit drops on another page."""
    st.session_state["loss_base"] = tables
    st.session_state["loss_typed"] = tables
    for key in [k for k in st.session_state if str(k).startswith("loss_table_")]:
        del st.session_state[key]


def apply_preset(name: str | None = None, linked: frozenset = frozenset()) -> None:
    """The chosen example in its own settings and tables (also what the reset button does);
    settings a link gave (linked) are left as the link says."""
    name = name or st.session_state["loss_preset"]
    loss, preset = PRESETS[name]
    tables = preset_tables(name)
    settings = {"loss_loss": loss.name, "loss_reduction": preset.reduction,
                "loss_classes": len(next(iter(tables.values()))[0])}
    options = {o.name: preset.options.get(o.name, o.default) for o in loss.options}
    settings.update({option_key(k): v for k, v in options.items()})
    settings.update({use_key(spec.name): spec.name in preset.tables
                     for spec in loss.specs(options) if spec.optional})
    st.session_state.update({k: v for k, v in settings.items() if k not in linked})
    restart_tables(tables)


def apply_loss() -> None:
    """Another loss: open on its first example."""
    loss = losses.LOSSES[st.session_state["loss_loss"]]
    st.session_state["loss_preset"] = loss.presets[0].name
    apply_preset()


def editor(name: str, rows: tuple, columns: list[str], dynamic: bool, height: int) -> tuple:
    """A text-cell editor of one table; returns the table exactly as typed (strings)."""
    frame = pd.DataFrame(list(rows), columns=columns, dtype="str")
    frame.index.name = t("loss.axis_sample")
    edited = st.data_editor(
        frame, key=editor_key(name), num_rows="dynamic" if dynamic else "fixed",
        column_config={c: st.column_config.TextColumn(c) for c in columns},
        height=height, width="stretch", hide_index=not dynamic)
    return tuple(tuple("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                       for v in row) for row in edited.itertuples(index=False))


def option_widget(option: losses.Option):
    """The widget of one option, its default the entry's, its explanation the help."""
    label, key = t(f"loss.option_{option.name}"), option_key(option.name)
    help_text = t(f"loss.option_{option.name}_help")
    if option.kind == "bool":
        return st.toggle(label, value=option.default, key=key, help=help_text,
                         bind="query-params")
    if option.kind == "choice":
        return st.selectbox(label, option.choices, key=key, help=help_text, bind="query-params")
    number = int if option.kind == "int" else float
    # an eps of 1e-8 would show as 0.00 in the default format
    tiny = {"format": "%.1e"} if option.kind == "float" and option.step < 0.01 else {}
    return st.number_input(label, value=number(option.default), step=number(option.step),
                           key=key, help=help_text, bind="query-params", **tiny)


def table_caption(spec: losses.TableSpec) -> str:
    rows = "N" if spec.rows == "N" else "1"
    columns = {"C": "C", "1": "1", "C|1": "C " + t("loss.or") + " 1"}[spec.columns]
    return t("loss.table_caption", name=spec.name, kind=t(f"loss.kind_{spec.kind}"),
             shape=f"{rows} × {columns}")


def none_frame(result: losses.LossResult) -> pd.DataFrame:
    """torch's reduction='none' in its own shape: a row per sample, a column per class."""
    rows = [row if isinstance(row, list) else [row] for row in result.none]
    frame = pd.DataFrame(rows, columns=[str(c) for c in range(len(rows[0]))] if len(
        result.none_shape) > 1 else ["loss"])
    frame.index.name = t("loss.axis_sample")
    return frame


st.title(t("loss.title"))
explain(t("loss.lead"))


@st.fragment
def lesson() -> None:
    """The whole playground: its controls, tables and views depend on one another, so a click
    or an edit reruns this fragment only (not the app's shell and sidebar)."""
    state = st.session_state
    # presenter mode's larger type needs wider controls to show the examples' names
    controls, view = st.columns([5, 10] if presenting() else [4, 11], gap="large")
    # A link may name the preset or the loss: its tables are the start, before the widgets read it.
    start_name = state.get("loss_preset", st.query_params.get("loss_preset"))
    if start_name not in PRESETS:
        linked = losses.LOSSES.get(state.get("loss_loss", st.query_params.get("loss_loss")))
        start_name = (linked.presets[0] if linked else next(iter(PRESETS.values()))[1]).name
    start_loss, start = PRESETS[start_name]
    from_link = False  # this run opened the link's tables: the link stays as it was given
    if "loss_base" not in state:  # a new session: the example's settings, except what the link says
        apply_preset(start_name, frozenset(st.query_params))
        tables = preset_tables(start_name)
        linked_tables = losses.decode(st.query_params.get("loss_tables", "")) \
            if "loss_tables" in st.query_params else None
        if linked_tables:
            tables.update({k: v for k, v in linked_tables.items() if k in tables})
            state["loss_tables"] = st.query_params["loss_tables"]  # the link's tables were used
            from_link = True
        restart_tables(tables)
    elif not any(str(k).startswith("loss_table_") for k in state):
        # back from another page: Streamlit dropped the editors' state; what was typed was kept
        restart_tables(state["loss_typed"])

    # ---- Controls: the course's CrossEntropy example is the default ---------------------------
    with controls:
        st.selectbox(t("loss.preset"), list(PRESETS), key="loss_preset", index=list(PRESETS).index(
            start_name), on_change=apply_preset, bind="query-params")
        names = list(losses.LOSSES)
        name = st.selectbox(t("loss.loss"), names, index=names.index(start_loss.name),
                            key="loss_loss", on_change=apply_loss, bind="query-params")
        loss = losses.LOSSES[name]
        st.button(t("loss.reset"), on_click=apply_preset, help=t("loss.reset_help"),
                  key="loss_reset")
        reduction = st.radio(t("loss.reduction"), loss.reductions, horizontal=True,
                             index=loss.reductions.index(start.reduction) if start_loss is loss
                             else 0, key="loss_reduction",
                             bind="query-params")
        options = {}
        for option in loss.options:
            options[option.name] = option.default
            if option.shown(options):
                options[option.name] = option_widget(option)
        specs = loss.specs(options)
        typed_classes = 1
        if any("C" in spec.columns for spec in specs):  # a loss of single values has no C to set
            start_classes = len(next(iter(preset_tables(start_name).values()))[0])
            typed_classes = st.number_input(t("loss.classes"), value=start_classes, step=1,
                                            key="loss_classes", bind="query-params")
        used = {spec.name: st.toggle(t(f"loss.use_{spec.name}"), key=use_key(spec.name),
                                     value=spec.name in start.tables and start_loss is loss,
                                     help=t(f"loss.use_{spec.name}_help"), bind="query-params")
                for spec in specs if spec.optional}

    # ---- The tables, as typed: text cells, so a letter reaches core and gets its message ---------
    n_classes, notices = losses.classes(int(typed_classes))
    shape_config = losses.config(name, {}, options)
    base = state["loss_base"]
    fitted = losses.fit_tables(shape_config, base, n_classes)
    if fitted != base:  # C, the loss or an option changed the tables' shapes: keep what was typed
        restart_tables(losses.fit_tables(shape_config, state["loss_typed"], n_classes))
        base = state["loss_base"]
    typed = {}
    with view:
        shown = [spec for spec in specs if not spec.optional or used[spec.name]]
        main = [spec for spec in shown if spec.rows == "N"]
        # every row visible (header, rows, the add-row line) up to 6 rows; more rows scroll
        height = 38 + 35 * (min(len(base[specs[0].name]), 6) + 1)
        ones = [spec for spec in shown if spec.rows == "1"]  # weights: one row, beside the rest
        places = st.columns([5] * len(main) + ([4] if ones else []))
        for place, spec in zip(places, main, strict=False):
            with place:
                st.caption(table_caption(spec))
                width = len(base[spec.name][0])
                typed[spec.name] = editor(
                    spec.name, base[spec.name],
                    [str(c) for c in range(width)] if spec.columns != "1" else [spec.kind],
                    dynamic=True, height=height)
        for spec in ones:
            with places[-1]:
                st.caption(table_caption(spec))
                typed[spec.name] = editor(spec.name, base[spec.name],
                                          [str(c) for c in range(len(base[spec.name][0]))],
                                          dynamic=False, height=80)
        kept = {**base, **typed}
        state["loss_typed"] = kept
        if not from_link:
            state["loss_tables"] = losses.encode(kept)
            put_in_link("loss_tables", state["loss_tables"],
                        default=losses.encode(preset_tables(state["loss_preset"])))

    # ---- Compute: validated Config -> cached core run -------------------------------------------
    try:
        config, more = losses.validate(losses.config(name, typed, options, reduction))
    except InputError as error:
        with view:
            show_notices(notices)
            show_error(error)
            st.caption(t("loss.kept_as_typed"))
        return
    result = compute(config)

    # ---- View: the chosen reduction first, the curve, each step ----------------------------------
    with view:
        show_notices(notices + more)
        chart, numbers = st.columns([3, 2])
        with numbers:
            others = [r for r in result.losses if r != reduction]
            if reduction == "none":
                st.caption(t("loss.metric_chosen", reduction="none") + " · "
                           + t("loss.none_shape", shape=" × ".join(map(str, result.none_shape))))
                st.dataframe(none_frame(result), height=min(250, 38 + 35 * len(result.none)))
            else:
                st.metric(t("loss.metric_chosen", reduction=reduction),
                          f"{result.losses[reduction]:.4f}")
            for other in others:  # one under another: side by side they were cut off
                st.metric(t("loss.metric_other", reduction=other), f"{result.losses[other]:.4f}")
            if reduction != "none":
                with st.expander(t("loss.metric_other", reduction="none") + " · " + t(
                        "loss.none_shape", shape=" × ".join(map(str, result.none_shape)))):
                    st.dataframe(none_frame(result))
            agree = bool(result.checks["agrees"].all())
            verdict = st.success if agree else st.warning
            verdict(t("loss.all_agree" if agree else "loss.some_differ",
                      count=len(result.checks)))
        axis = result.curve_axis
        with chart:
            show_chart(charts.loss_curve,
                       result.curve, result.marks, title=t(f"loss.curve_title_{axis}"),
                       x_title=t(f"loss.axis_{axis}"), y_title=t("loss.axis_loss"),
                       sample_title=t("loss.axis_sample"),
                       sample_loss_title=t("loss.axis_sample_loss"),
                       nonfinite_label=t("loss.nonfinite_marker"),
                       height=380 if presenting() else 220, probability=axis == "probability")
        st.caption(t(f"loss.curve_note_{axis}"))
        if result.nonfinite:
            st.error(t("loss.nonfinite", what=", ".join(result.nonfinite)))

        others = losses.comparable(config)[1:]
        steps, reduce, grads, checks, *comparison = st.tabs(
            [t("loss.tab_steps"), t("loss.tab_reduction"), t("loss.tab_gradients"),
             t("loss.tab_checks")] + ([t("loss.tab_compare")] if others else []))
        with steps:
            explain(t(f"loss.steps_{name}"))
            st.dataframe(result.steps, hide_index=True)
            csv_download(result.steps, "loss_steps")
        with reduce:
            kept_rows = result.steps[~result.steps["ignored"]] \
                if "ignored" in result.steps else None
            terms = " + ".join(f"{w:g}" for w in kept_rows["weight"]) \
                if kept_rows is not None else ""
            first = config.table(specs[0].name)
            st.markdown(t(f"loss.denominator_{result.denominator_kind}", terms=terms,
                          denominator=result.denominator, n=len(first), c=len(first[0])))
            st.markdown(t("loss.reduction_math", total=result.by_hand["sum"],
                          denominator=result.denominator, mean=result.by_hand["mean"],
                          torch_sum=result.losses["sum"], torch_mean=result.losses["mean"]))
        with grads:
            explain(t(f"loss.grad_{name}") + " " + t(f"loss.grad_reduction_{reduction}"))
            st.dataframe(result.gradients, hide_index=True)
            csv_download(result.gradients, "loss_gradients")
        with checks:
            shown_checks = result.checks.assign(
                check=[t(f"loss.check_{c}") for c in result.checks["check"]])
            st.dataframe(shown_checks, hide_index=True)
        for tab in comparison:  # the same tables through the other losses of the family
            with tab:
                found = compare(config)
                explain(t("loss.compare_note"))
                if not found.curves.empty:  # only losses whose curves share this one's axis
                    show_chart(charts.loss_comparison, found.curves,
                               title=t(f"loss.curve_title_{axis}"),
                               x_title=t(f"loss.axis_{axis}"), y_title=t("loss.axis_loss"),
                               series_title=t("loss.compare_loss"),
                               height=380 if presenting() else 260)
                totals, elements = st.columns([2, 3])
                totals.dataframe(found.totals, hide_index=True)
                elements.dataframe(found.elements, hide_index=True)
        code_panel(losses.to_script(config))


lesson()
