"""Lesson 3: loss functions — type the tables a loss takes, flip every option, watch each step.

Everything about a loss comes from its registry entry (core.losses): which tables it takes, which
options, how it is computed. This page draws whatever the entry says, and knows no loss by name."""

import dataclasses
import math

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitInvalidLayoutContextError

from core import losses
from core.charts import loss as charts
from core.compare import beside, side_by_side
from core.errors import InputError
from ui.charts import show_chart
from ui.compare import describe, labels, metric_change, pin_bar
from ui.links import put_in_link, set_controls
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import presenting, t

PRESETS = losses.presets()
# Typed tables travel in the link up to this many characters: a browser, a proxy and the server
# each cap a URL's length (CTC's course example, 16,000 log-probabilities, made a 229,016-character
# link the server refused with HTTP 400).
LINK_MAX = 4000


@st.cache_data(max_entries=64, show_spinner=False)
def compute(config: losses.LossConfig) -> losses.LossResult:
    return losses.run(config)


@st.cache_data(max_entries=64, show_spinner=False)
def checked(config: losses.LossConfig) -> tuple[losses.LossConfig, list]:
    """A pinned view validated once: each rerun with A pinned reads it from here."""
    return losses.validate(config)


@st.cache_data(max_entries=16, show_spinner=False)
def compare(config: losses.LossConfig, names: tuple[str, ...]) -> losses.Comparison:
    return losses.compare(config, names)


@st.cache_data(max_entries=16, show_spinner=False)
def views_of(config: losses.LossConfig, sample: int) -> tuple:
    return losses.views(config, sample)


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


def restore(cfg: losses.LossConfig, linked: frozenset = frozenset()) -> None:
    """Every control and table of the page set from a view: an example, the reset button, the pin
    bar's swap. Settings a link gave (linked) are left as the link says."""
    state = st.session_state
    loss = losses.LOSSES[cfg.loss]
    options = losses.options_of(cfg)
    specs = loss.specs(options)
    typed = dict(cfg.tables)
    classes = len(typed[specs[0].name][0])
    settings = {"loss_loss": loss.name, "loss_reduction": cfg.reduction, "loss_classes": classes}
    settings.update({option_key(k): v for k, v in options.items()})
    settings.update({use_key(spec.name): spec.name in typed for spec in specs if spec.optional})
    if state.get("loss_preset") not in [p.name for p in loss.presets]:
        settings["loss_preset"] = loss.presets[0].name  # the examples offered are this loss's
    set_controls({k: v for k, v in settings.items() if k not in linked})
    restart_tables(losses.fit_tables(cfg, typed, classes))


def apply_preset(name: str | None = None, linked: frozenset = frozenset()) -> None:
    """The chosen example in its own settings and tables (also what the reset button does)."""
    name = name or st.session_state["loss_preset"]
    if "loss_preset" not in linked:
        st.session_state["loss_preset"] = name
    restore(losses.from_preset(name), linked)


def apply_loss() -> None:
    """Another loss: open on its first example."""
    loss = losses.LOSSES[st.session_state["loss_loss"]]
    st.session_state["loss_preset"] = loss.presets[0].name
    apply_preset()


def preset_label(name: str) -> str:
    """An example as the list shows it: its own words translated, where its name is words."""
    label = PRESETS[name][1].label
    return t(f"loss.preset_{label}") if label else name


def row_height() -> int:
    """A table row's height in pixels: taller in presenter mode's large type."""
    return 44 if presenting() else 35


def editor(name: str, rows: tuple, columns: list[str], dynamic: bool, height: int,
           fill: str) -> tuple:
    """A text-cell editor of one table; returns the table exactly as typed (strings). A row added
    starts with the table's fill (0, or 1 for weights)."""
    frame = pd.DataFrame(list(rows), columns=columns, dtype="str")
    frame.index.name = t("loss.axis_sample")
    edited = st.data_editor(
        frame, key=editor_key(name), num_rows="dynamic" if dynamic else "fixed",
        column_config={c: st.column_config.TextColumn(c, default=fill) for c in columns},
        height=height, width="stretch", hide_index=not dynamic, row_height=row_height(),
        placeholder="")
    return tuple(tuple("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                       for v in row) for row in edited.itertuples(index=False))


def option_widget(loss: losses.Loss, option: losses.Option):
    """The widget of one option, its default the entry's, its explanation (for this loss) the
    help."""
    label, key = t(f"loss.option_{option.name}"), option_key(option.name)
    help_text = t(loss.help_key(option))
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
    columns = {"C|1": "C " + t("loss.or") + " 1"}.get(spec.columns, spec.columns)
    return t("loss.table_caption", name=spec.name, kind=t(f"loss.kind_{spec.kind}"),
             shape=f"{spec.rows} × {columns}")


def widths(tables: dict) -> dict:
    """Each table's name and width: its shape but for its rows."""
    return {name: len(rows[0]) if rows else 0 for name, rows in tables.items()}


def with_every_option(cfg: losses.LossConfig) -> losses.LossConfig:
    """cfg with its options at their defaults spelled out, so that describe says "0 → 0.1"."""
    return dataclasses.replace(cfg, options=tuple(losses.options_of(cfg).items()))


def per_element(result: losses.LossResult, pinned: losses.LossResult | None,
                height: int | str = "auto") -> None:
    """torch's reduction='none': B's in its own shape, or A's and B's side by side, one row per
    element, where their shapes match."""
    if pinned is not None:
        label_a, label_b = labels()
        both = beside(elements(pinned), elements(result), "loss", label_a, label_b)
        if both is not None:
            st.dataframe(both, hide_index=True, height=height)
            return
        st.caption(t("loss.pinned_shapes", view=label_a, now=label_b,
                     a=" × ".join(map(str, pinned.none_shape)) or "1",
                     b=" × ".join(map(str, result.none_shape)) or "1"))
    st.dataframe(none_frame(result), height=height)


def elements(result: losses.LossResult) -> pd.DataFrame:
    """reduction='none' flat: sample, class (where there is more than one) and each element's
    loss."""
    frame = result.marks[["sample", "class", "sample_loss"]].rename(
        columns={"sample_loss": "loss"})
    return frame if frame["class"].nunique() > 1 else frame.drop(columns="class")


def none_frame(result: losses.LossResult) -> pd.DataFrame:
    """torch's reduction='none' in its own shape: a row per sample, a column per class."""
    rows = [row if isinstance(row, list) else [row] for row in result.none]
    frame = pd.DataFrame(rows, columns=[str(c) for c in range(len(rows[0]))] if len(
        result.none_shape) > 1 else ["loss"])
    frame.index.name = t("loss.axis_sample")
    return frame


def title_width() -> int:
    """How many characters of a chart title fit one line of the chart beside the numbers."""
    return 32 if presenting() else 52


def labelled(thresholds: pd.DataFrame) -> pd.DataFrame:
    """The threshold rules with their labels, "beta = 1"."""
    return thresholds.assign(label=[f"{t(f'loss.option_{o}')} = {v:g}" for o, v in zip(
        thresholds["option"], thresholds["value"], strict=True)])


def compare_view(config: losses.LossConfig, family: list[str]) -> None:
    """The losses picked (all of the family at first) on the same tables: their curves along the
    quantity they share, their totals and each element's loss."""
    explain(t("loss.compare_note"))
    key = f"loss_compare_{losses.LOSSES[config.loss].family}"
    if key in st.session_state:  # a loss that no longer takes these tables drops out
        st.session_state[key] = [n for n in st.session_state[key] if n in family]
    chosen = st.multiselect(t("loss.compare_pick"), family, default=family, key=key,
                            help=t("loss.compare_pick_help"), bind="query-params")
    found = compare(config, tuple(chosen))
    if found.totals.empty:
        st.info(t("loss.compare_none"))
        return
    if not found.curves.empty:  # only losses whose curves share one axis
        show_chart(charts.loss_comparison, found.curves, found.marks,
                   title=t(f"loss.compare_title_{found.axis}"),
                   x_title=t(f"loss.axis_{found.axis}"), y_title=t("loss.axis_loss"),
                   series_title=t("loss.compare_loss"), sample_title=t("loss.axis_sample"),
                   height=460 if presenting() else 400, thresholds=labelled(found.thresholds),
                   top=found.top, title_width=60 if presenting() else 90)
        st.caption(t(f"loss.compare_curve_note_{found.axis}"))
    st.dataframe(found.totals, hide_index=True, width="content")
    table = found.elements
    if table["class"].nunique() <= 1:
        table = table.drop(columns="class")
    columns = {"sample": t("loss.axis_sample"), "class": t("loss.compare_class")}
    if "x" in table:
        columns["x"] = t(f"loss.compare_x_{found.axis}")
    st.dataframe(table.rename(columns=columns), hide_index=True)


st.title(t("loss.title"))
explain(t("loss.lead"))


@st.fragment
def lesson() -> None:
    """The whole playground: its controls, tables and views depend on one another, so a click
    or an edit reruns this fragment only (not the app's shell and sidebar)."""
    state = st.session_state
    # The examples' names are long (up to 53 characters): their choice gets the widest column,
    # wider on a projector, where the list of a 418 px box cut the longest name (measured: the
    # list stayed as wide as its box).
    # On a projector the loss's own box is wider too (TripletMarginWithDistanceLoss was cut), and
    # the reset button moves to the top of the controls to make room.
    examples = st.columns([6, 4] if presenting() else [5, 3, 3], vertical_alignment="bottom")
    # wider on a projector, where a choice such as pairwise_distance_p1 was cut
    controls, view = st.columns([5, 11] if presenting() else [4, 11], gap="large")
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
    if state.get("loss_layout_present") != presenting():
        # presenter mode changes the editors' heights, and Streamlit starts an editor whose
        # height changed afresh from its first tables: they start from what was typed instead
        state["loss_layout_present"] = presenting()
        restart_tables(state["loss_typed"])

    # ---- Controls: the course's CrossEntropy example is the default ---------------------------
    # Both choices go into the link by hand against fixed defaults (the first example, and the
    # example's own loss): a bound widget leaves out a value equal to its start, and these start
    # at whatever the link opened, so a reloaded link would lose them.
    preset_name = examples[0].selectbox(t("loss.preset"), list(PRESETS), key="loss_preset",
                                        index=list(PRESETS).index(start_name),
                                        on_change=apply_preset, format_func=preset_label)
    put_in_link("loss_preset", preset_name, default=next(iter(PRESETS)))
    names = list(losses.LOSSES)
    name = examples[1].selectbox(t("loss.loss"), names, index=names.index(start_loss.name),
                                 key="loss_loss", on_change=apply_loss)
    put_in_link("loss_loss", name, default=PRESETS[preset_name][0].name)
    loss = losses.LOSSES[name]
    (controls if presenting() else examples[2]).button(
        t("loss.reset"), on_click=apply_preset, help=t("loss.reset_help"), key="loss_reset",
        width="stretch")
    with controls:
        reduction = st.radio(t("loss.reduction"), loss.reductions, horizontal=True,
                             index=loss.reductions.index(start.reduction) if start_loss is loss
                             else 0, key="loss_reduction", help=t("loss.reduction_help"),
                             bind="query-params")
        options = {}
        for option in loss.options:
            options[option.name] = option.default
            if option.shown(options):
                options[option.name] = option_widget(loss, option)
        specs = loss.specs(options)
        typed_classes = 1
        if any("C" in spec.columns for spec in specs):  # a loss of single values has no C to set
            start_classes = len(next(iter(preset_tables(start_name).values()))[0])
            typed_classes = st.number_input(t("loss.classes"), value=start_classes, step=1,
                                            key="loss_classes", help=t("loss.classes_help"),
                                            bind="query-params")
        used = {spec.name: st.toggle(t(f"loss.use_{spec.name}"), key=use_key(spec.name),
                                     value=spec.name in start.tables and start_loss is loss,
                                     help=t(f"loss.use_{spec.name}_help"), bind="query-params")
                for spec in specs if spec.optional}

    # ---- The tables, as typed: text cells, so a letter reaches core and gets its message ---------
    n_classes, notices = losses.classes(int(typed_classes))
    shape_config = losses.config(name, {}, options)
    base = state["loss_base"]
    fitted = losses.fit_tables(shape_config, base, n_classes)
    # C, the loss or an option changed the tables' shapes: keep what was typed. Their rows are
    # the user's (a row added to one table and not yet to the other gets its message).
    if widths(fitted) != widths(base):
        restart_tables(losses.fit_tables(shape_config, state["loss_typed"], n_classes))
        base = state["loss_base"]
    # On a projector with a view pinned, the comparison comes first (the pin bar, the line naming
    # what differs, the chart and the numbers) and the tables under it: at 1280 x 720 the tables
    # pushed the line, the pin buttons and most of the chart below the screen.
    compared_first = presenting() and (state.get("loss_pinned") is not None or (
        "loss_pinned" not in state and "loss_pin" in st.query_params))
    comparison = view.container()
    typed = {}
    with view:
        shown = [spec for spec in specs if not spec.optional or used[spec.name]]
        main = [spec for spec in shown if spec.rows != "1"]
        # every row visible (header, rows, the add-row line) up to 6 rows; more rows scroll. On a
        # projector, whose rows are taller, up to 5 rows, and the add-row line scrolls into view,
        # so that the chart below stays on the screen.
        # An editor keeps its height: Streamlit starts a dynamic editor afresh (its edits lost)
        # when its height changes. A row added or deleted starts new editors instead, below.
        rows = max((len(base[spec.name]) for spec in main), default=1)
        height = 3 + row_height() * (1 + min(rows, 5) if presenting() else 2 + min(rows, 6))
        ones = [spec for spec in shown if spec.rows == "1"]  # weights: one row, beside the rest
        places = st.columns([5] * len(main) + ([4] if ones else []))
        for place, spec in zip(places, main, strict=False):
            with place:
                st.caption(table_caption(spec))
                width = len(base[spec.name][0])
                typed[spec.name] = editor(
                    spec.name, base[spec.name],
                    [str(c) for c in range(width)] if spec.columns != "1" else [spec.kind],
                    dynamic=True, height=height, fill=spec.fill)
        for spec in ones:
            with places[-1]:
                st.caption(table_caption(spec))
                typed[spec.name] = editor(spec.name, base[spec.name],
                                          [str(c) for c in range(len(base[spec.name][0]))],
                                          dynamic=False, height=3 + 2 * row_height(),
                                          fill=spec.fill)
        kept = {**base, **typed}
        state["loss_typed"] = kept
        if any(len(rows) != len(base[table]) for table, rows in typed.items()):
            # rows added or deleted: new editors, as tall as the rows they hold now (a row added
            # to the old one was hidden below its fixed height)
            restart_tables(kept)
            try:
                st.rerun(scope="fragment")
            except StreamlitInvalidLayoutContextError:  # this run is the whole page's
                st.rerun()
        if not from_link:
            unchanged = losses.encode(preset_tables(state["loss_preset"]))
            encoded = losses.encode(kept)
            if len(encoded) > LINK_MAX:
                st.caption(t("loss.tables_too_long", length=len(encoded), most=LINK_MAX))
                encoded = unchanged
            state["loss_tables"] = encoded
            put_in_link("loss_tables", encoded, default=unchanged)

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
    with comparison if compared_first else view:
        show_notices(notices + more)
        pin_slot = st.container() if compared_first else None
        chart, numbers = st.columns([3, 2])
        # Otherwise the pin bar sits under the numbers (the chart keeps its place) but runs
        # first: A's numbers are drawn above it, in the slot made before it.
        metrics = numbers.container()
        pin_slot = pin_slot or numbers.container()

    # ---- Pin and compare: A, a view kept, from the same cache as B's own ---------------------
    with pin_slot:
        pinned = pin_bar("loss", config, restore)
        if pinned is not None:
            try:  # A from a link is checked as the controls' view is
                pinned, _ = checked(pinned)
            except (InputError, TypeError, ValueError):  # a link's text, typed by anyone
                st.warning(t("error.compare.link", field="loss_pin"))
                state["loss_pinned"] = pinned = None
        if pinned is not None:
            st.markdown(describe("loss", with_every_option(pinned), with_every_option(config)))
        pinned_result = compute(pinned) if pinned is not None else None
        label_a, label_b = labels()

    with view:
        with metrics:
            others = [r for r in result.losses if r != reduction]
            if reduction == "none":
                st.caption(t("loss.metric_chosen", reduction="none") + " · "
                           + t("loss.none_shape", shape=" × ".join(map(str, result.none_shape))))
                per_element(result, pinned_result, height=min(250, 38 + 35 * len(result.none)))
            else:
                st.metric(t("loss.metric_chosen", reduction=reduction),
                          f"{result.losses[reduction]:.4f}", **metric_change(
                              result.losses[reduction],
                              pinned_result and pinned_result.losses.get(pinned.reduction), ".4f"))
            if result.alternative and reduction != "none":  # the call meant, beside it
                st.metric(t(f"loss.alternative_{name}", reduction=reduction),
                          f"{result.alternative[reduction]:.4f}")
            if pinned is not None and pinned.reduction != "none":
                st.caption(t("loss.pinned_headline", view=label_a, reduction=pinned.reduction,
                             value=f"{pinned_result.losses[pinned.reduction]:.4f}"))
            for other in others:  # one under another: side by side they were cut off
                st.metric(t("loss.metric_other", reduction=other), f"{result.losses[other]:.4f}",
                          **metric_change(result.losses[other],
                                          pinned_result and pinned_result.losses.get(other),
                                          ".4f"))
            if reduction != "none":
                with st.expander(t("loss.metric_other", reduction="none") + " · " + t(
                        "loss.none_shape", shape=" × ".join(map(str, result.none_shape)))):
                    per_element(result, pinned_result)
            agree = bool(result.checks["agrees"].all())
            verdict = st.success if agree else st.warning
            verdict(t("loss.all_agree" if agree else "loss.some_differ",
                      count=len(result.checks)))
        axis = result.curve_axis
        curve, marks = result.curve, result.marks
        thresholds = labelled(result.thresholds)
        if pinned_result is not None and pinned_result.curve_axis == axis:
            curve = side_by_side(pinned_result.curve, curve, label_a, label_b)
            marks = side_by_side(pinned_result.marks, marks, label_a, label_b)
            thresholds = None  # B's beta or delta need not be A's
        with chart:
            show_chart(charts.loss_curve,
                       curve, marks, title=t(f"loss.curve_title_{axis}"),
                       x_title=t(f"loss.axis_{axis}"), y_title=t("loss.axis_loss"),
                       sample_title=t("loss.axis_sample"),
                       sample_loss_title=t("loss.axis_sample_loss"),
                       nonfinite_label=t("loss.nonfinite_marker"),
                       height=(280 if compared_first else 380) if presenting() else 220,
                       probability=axis == "probability",
                       thresholds=thresholds, top=result.curve_top,
                       series_title=t("loss.compare_loss"), title_width=title_width())
            if pinned_result is not None and pinned_result.curve_axis != axis:
                st.caption(t("loss.pinned_other_axis", view=label_a,
                             axis=t(f"loss.axis_{pinned_result.curve_axis}")))
        st.caption(t(f"loss.curve_note_{axis}"))
        if result.views:  # the entry's own pictures of one sample, drawn by their chart builders
            samples = result.none_shape[0] if result.none_shape else 1
            sample = 0
            if samples > 1:
                if state.get("loss_view_sample", 0) not in range(samples):
                    state.pop("loss_view_sample", None)  # fewer samples than before
                sample = st.selectbox(t("loss.view_sample"), range(samples), key="loss_view_sample",
                                      help=t("loss.view_sample_help"), bind="query-params")
            for own in result.views if sample == 0 else views_of(config, sample):
                show_chart(getattr(charts, own.chart), *own.frames, **own.args,
                           **{arg: t(key, **own.note_params) for arg, key in own.texts.items()})
                st.caption(t(own.note, **own.note_params))
        if result.nonfinite:
            st.error(t("loss.nonfinite", what=", ".join(result.nonfinite)))

        others = losses.comparable(config)[1:]
        steps, reduce, grads, checks, *comparison = st.tabs(
            [t("loss.tab_steps"), t("loss.tab_reduction"), t("loss.tab_gradients"),
             t("loss.tab_checks")] + ([t("loss.tab_compare")] if others else []))
        with steps:
            explain(t(f"loss.steps_{name}"))
            st.dataframe(result.steps, hide_index=True)
            for key, params in result.notes:  # a hand check the course makes, against torch
                st.markdown(t(key, **params))
            csv_download(result.steps, "loss_steps")
        with reduce:
            kept_rows = result.steps[~result.steps["ignored"]] \
                if "ignored" in result.steps else None
            terms = " + ".join(f"{w:g}" for w in kept_rows["weight"]) \
                if kept_rows is not None else ""
            first = config.table(specs[0].name)
            st.markdown(t(f"loss.denominator_{result.denominator_kind}", terms=terms,
                          denominator=result.denominator, n=len(first), c=len(first[0])))
            st.markdown(t(result.reduction_text, total=result.by_hand["sum"],
                          denominator=result.denominator, mean=result.by_hand["mean"],
                          torch_sum=result.losses["sum"], torch_mean=result.losses["mean"],
                          n=len(first), batchmean=result.by_hand.get("batchmean", math.nan),
                          torch_batchmean=result.losses.get("batchmean", math.nan)))
        with grads:
            explain(t(f"loss.grad_{name}") + " " + t(f"loss.grad_reduction_{reduction}"))
            st.dataframe(result.gradients, hide_index=True)
            csv_download(result.gradients, "loss_gradients")
        with checks:
            shown_checks = pd.DataFrame({
                t("loss.checks_check"): [t(f"loss.check_{c}", table=table) for c, table in zip(
                    result.checks["check"], result.checks["table"], strict=True)],
                t("loss.checks_diff"): result.checks["max_abs_diff"],
                t("loss.checks_agrees"): result.checks["agrees"]})
            st.dataframe(shown_checks, hide_index=True)
        for tab in comparison:  # the same tables through the other losses of the family
            with tab:
                compare_view(config, [name, *others])
        code_panel(losses.to_script(config))


lesson()
