"""Lesson 3: loss functions — type the tables a loss takes, flip every option, watch each step.

Everything about a loss comes from its registry entry (core.losses): which tables it takes, which
options, how it is computed. This page draws whatever the entry says, and knows no loss by name.
It reads top to bottom: the tables the session starts from, the controls, the tables as typed,
the view validated and computed once (cached), then what it shows: the headline numbers and the
curves (with a pinned view A beside them), the entry's own pictures, and the tabs."""

import dataclasses
import math
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.errors import StreamlitInvalidLayoutContextError

from core import losses
from core.charts import loss as charts
from core.compare import beside, side_by_side
from core.errors import InputError, Notice
from core.settings import Setting
from ui.charts import show_chart
from ui.compare import describe, labels, metric_change, pin_bar
from ui.links import put_in_link, set_controls
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import presenting, t
from ui.widgets import held, key_of, label_of, text_key, widget, widget_at

LESSON = "loss"
PRESETS = losses.presets()
# The page's own controls and the typed tables' link parameter; a loss's options are at
# "options.NAME", the switch of an optional table at "use.NAME", its editor at "table.NAME".
PRESET, LOSS, REDUCTION, CLASSES, TABLES, SAMPLE, RESET = (key_of(LESSON, path) for path in (
    "preset", "loss", "reduction", "classes", "tables", "view_sample", "reset"))
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


GRIDS_PRESENTING = "loss_grids_presenting"  # the mode the tables were last drawn in
WAITED = "loss_grids_waited"  # a run after the switch has been drawn: the stylesheet is in


def grid_key(path: str) -> str:
    """A table's key, another for presenter mode: a table (a canvas) keeps the type size it was
    first drawn in, so a switched mode draws every table afresh (see tables_in_mode)."""
    key = key_of(LESSON, path)
    return f"{key}_presenting" if st.session_state.get(GRIDS_PRESENTING) else key


def tables_in_mode() -> None:
    """After presenter mode was switched, the tables under their new keys: not in the run that
    switched it (a table drawn then reads the type size before the mode's stylesheet is in the
    page, and keeps it: 14 px of 17.5 after about half of the switches), but in the next, which
    the browser asks for once it has drawn that run (the fragment's run_every, lesson_view)."""
    state = st.session_state
    if state.setdefault(GRIDS_PRESENTING, presenting()) == presenting():
        return
    if state.pop(WAITED, False):
        state[GRIDS_PRESENTING] = presenting()
        st.rerun()  # the whole page: its fragment registered again, without the timer
    state[WAITED] = True


def lesson_view():
    """The playground as a fragment; just after presenter mode was switched, one the browser
    reruns half a second after drawing it (tables_in_mode)."""
    pending = st.session_state.get(GRIDS_PRESENTING, presenting()) != presenting()
    return st.fragment(lesson, run_every=0.5 if pending else None)


# ---- The tables the editors start from -------------------------------------------------------

def preset_tables(name: str) -> dict:
    """A preset's tables fitted to its loss's tables (optional ones full of ones when it has
    none), at the preset's own C."""
    loss, preset = PRESETS[name]
    cfg = losses.config(loss.name, preset.tables, preset.options)
    return losses.fit_tables(cfg, preset.tables, loss.classes(preset.tables))


def restart_tables(tables: dict) -> None:
    """New tables for the editors to start from: their edits so far are folded in, so start
    afresh. Kept outside the editors' own state, which Streamlit drops on another page."""
    st.session_state["loss_base"] = tables
    st.session_state["loss_typed"] = tables
    for key in [k for k in st.session_state if str(k).startswith(key_of(LESSON, "table."))]:
        del st.session_state[key]


def restore(cfg: losses.LossConfig, linked: frozenset = frozenset()) -> None:
    """Every control and table of the page set from a view: an example, the reset button, the pin
    bar's swap. Settings a link gave (linked) are left as the link says."""
    state = st.session_state
    loss = losses.LOSSES[cfg.loss]
    options = losses.options_of(cfg)
    specs = loss.tables(options)
    typed = dict(cfg.tables)
    classes = loss.classes(typed)
    settings = {LOSS: loss.name, REDUCTION: cfg.reduction, CLASSES: classes}
    settings.update({key_of(LESSON, f"options.{o.name}"): held(o, options[o.name])
                     for o in loss.options})
    settings.update({key_of(LESSON, f"use.{spec.name}"): spec.name in typed
                     for spec in specs if spec.optional})
    if state.get(PRESET) not in [p.name for p in loss.presets]:
        settings[PRESET] = loss.presets[0].name  # the examples offered are this loss's
    set_controls({k: v for k, v in settings.items() if k not in linked})
    restart_tables(losses.fit_tables(cfg, typed, classes))


def apply_preset(name: str | None = None, linked: frozenset = frozenset()) -> None:
    """The chosen example in its own settings and tables (also what the reset button does)."""
    name = name or st.session_state[PRESET]
    if PRESET not in linked:
        st.session_state[PRESET] = name
    restore(losses.from_preset(name), linked)


def apply_loss() -> None:
    """Another loss: open on its first example."""
    loss = losses.LOSSES[st.session_state[LOSS]]
    st.session_state[PRESET] = loss.presets[0].name
    apply_preset()


def opening_example() -> tuple[str, bool]:
    """The example the page opens on, and whether this run took the link's tables. A new session
    starts from the example (or the loss) the link names, the link's own tables over it; back
    from another page, or with presenter mode switched (which changes the editors' heights, and
    Streamlit starts an editor whose height changed afresh), the editors start again from what
    was typed."""
    state = st.session_state
    name = state.get(PRESET, st.query_params.get(PRESET))
    if name not in PRESETS:
        linked = losses.LOSSES.get(state.get(LOSS, st.query_params.get(LOSS)))
        name = (linked.presets[0] if linked else next(iter(PRESETS.values()))[1]).name
    from_link = False
    if "loss_base" not in state:  # a new session: the example's settings, except what the link says
        apply_preset(name, frozenset(st.query_params))
        tables = preset_tables(name)
        linked_tables = losses.decode(st.query_params.get(TABLES, "")) \
            if TABLES in st.query_params else None
        if linked_tables:
            tables.update({k: v for k, v in linked_tables.items() if k in tables})
            state[TABLES] = st.query_params[TABLES]  # the link's tables were used
            from_link = True
        restart_tables(tables)
    elif not any(str(k).startswith(key_of(LESSON, "table.")) for k in state):
        restart_tables(state["loss_typed"])  # back from another page: the editors were dropped
    if state.get("loss_layout_present") != presenting():
        state["loss_layout_present"] = presenting()
        restart_tables(state["loss_typed"])
    return name, from_link


# ---- The controls ----------------------------------------------------------------------------

def preset_label(name: str) -> str:
    """An example as the list shows it: its own words translated, where its name is words; an
    example named as its loss as the call, so the two choices never read the same."""
    loss, preset = PRESETS[name]
    if preset.label:
        return t(f"loss.preset_{preset.label}")
    return f"{name}()" if name == loss.name else name


def pick_example(places: list, start: str) -> tuple[str, losses.Loss]:
    """The example and the loss (and the way back to the example's tables), in places. Both
    choices go into the link by hand against fixed defaults (the first example, and the
    example's own loss): a bound widget leaves out a value equal to its start, and these start
    at whatever the link opened, so a reloaded link would lose them."""
    preset_name = places[0].selectbox(t("loss.preset"), list(PRESETS), key=PRESET,
                                      index=list(PRESETS).index(start), on_change=apply_preset,
                                      format_func=preset_label)
    put_in_link(PRESET, preset_name, default=next(iter(PRESETS)))
    names = list(losses.LOSSES)
    name = places[1].selectbox(t("loss.loss"), names, index=names.index(PRESETS[start][0].name),
                               key=LOSS, on_change=apply_loss)
    put_in_link(LOSS, name, default=PRESETS[preset_name][0].name)
    places[2].button(t("loss.reset"), on_click=apply_preset, help=t("loss.reset_help"),
                     key=RESET, width="stretch")
    return preset_name, losses.LOSSES[name]


USE = Setting("use", "bool", False)  # an optional table switched on


@dataclass(frozen=True)
class Settings:
    """What the controls beside the tables hold."""

    reduction: str
    options: dict
    classes: int  # C as typed (clamped by core)
    used: dict  # optional table -> switched on


def loss_settings(loss: losses.Loss, start: str) -> Settings:
    """The reduction, the loss's options (each where it applies), C where the tables have
    columns, and a switch for each optional table; they start at the example's."""
    start_loss, example = PRESETS[start]
    own = start_loss is loss
    reduction = st.radio(t("loss.reduction"), loss.reductions, horizontal=True,
                         index=loss.reductions.index(example.reduction) if own else 0,
                         key=REDUCTION, help=t("loss.reduction_help"), bind="query-params")
    options = {}
    for option in loss.options:  # each where it applies, given the ones before it
        options[option.name] = option.default
        if option.applies(options):
            options[option.name] = widget_at(LESSON, f"options.{option.name}", option)
    specs = loss.tables(options)
    classes = 1
    if any("C" in spec.columns for spec in specs):  # a loss of single values has no C to set
        classes = widget_at(LESSON, "classes", losses.CLASSES,
                            start_loss.classes(preset_tables(start)))
    used = {spec.name: widget(USE, key_of(LESSON, f"use.{spec.name}"),
                              t(f"loss.use_{spec.name}"), t(f"loss.use_{spec.name}_help"),
                              spec.name in example.tables and own)
            for spec in specs if spec.optional}
    return Settings(reduction, options, int(classes), used)


# ---- The tables, as typed: text cells, so a letter reaches core and gets its message ---------

def row_height() -> int:
    """A table row's height in pixels: taller in presenter mode's large type."""
    return 44 if presenting() else 35


def table_caption(spec: losses.TableSpec) -> str:
    columns = {"C|1": "C " + t("loss.or") + " 1"}.get(spec.columns, spec.columns)
    return t("loss.table_caption", name=spec.name, kind=t(f"loss.kind_{spec.kind}"),
             shape=f"{spec.rows} × {columns}")


def widths(tables: dict) -> dict:
    """Each table's name and width: its shape but for its rows."""
    return {name: len(rows[0]) if rows else 0 for name, rows in tables.items()}


def editor(spec: losses.TableSpec, rows: tuple, height: int) -> tuple:
    """A text-cell editor of one table; returns the table exactly as typed (strings). A table of
    a row per sample takes added and deleted rows, a new one starting with the table's fill (0,
    or 1 for weights); the others (weights, a weight matrix's row per class) have fixed rows."""
    dynamic = spec.rows == "N"
    columns = [str(c) for c in range(len(rows[0]))] if spec.columns != "1" else [spec.kind]
    frame = pd.DataFrame(list(rows), columns=columns, dtype="str")
    frame.index.name = t("loss.axis_sample")
    st.caption(table_caption(spec))
    edited = st.data_editor(
        frame, key=grid_key(f"table.{spec.name}"), num_rows="dynamic" if dynamic else "fixed",
        column_config={c: st.column_config.TextColumn(c, default=spec.fill) for c in columns},
        height=height, width="stretch", hide_index=not dynamic, row_height=row_height(),
        placeholder="")
    return tuple(tuple("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                       for v in row) for row in edited.itertuples(index=False))


def typed_tables(loss: losses.Loss, settings: Settings, classes: int) -> dict:
    """The editors of the tables shown (the optional ones switched on), beside one another;
    what is typed, every table's rows as text. C, the loss or an option that changed the
    tables' shapes starts the editors again from what was typed, cut or padded to the new
    shapes; rows added or deleted start new editors as tall as the rows they hold (a row added
    to a fixed-height one was hidden below its edge)."""
    state = st.session_state
    specs = loss.tables(settings.options)
    shape = losses.config(loss.name, {}, settings.options)
    base = state["loss_base"]
    if widths(losses.fit_tables(shape, base, classes)) != widths(base):
        restart_tables(losses.fit_tables(shape, state["loss_typed"], classes))
        base = state["loss_base"]
    shown = [spec for spec in specs if not spec.optional or settings.used[spec.name]]
    main = [spec for spec in shown if spec.rows != "1"]
    ones = [spec for spec in shown if spec.rows == "1"]  # weights: one row, beside the rest
    # every row visible (header, rows, the add-row line) up to 6 rows, more rows scroll; on a
    # projector, whose rows are taller, up to 5 rows with the add-row line scrolled into view.
    # An editor keeps its height: Streamlit starts a dynamic editor afresh (its edits lost) when
    # its height changes.
    rows = max((len(base[spec.name]) for spec in main), default=1)
    height = 3 + row_height() * (1 + min(rows, 5) if presenting() else 2 + min(rows, 6))
    places = st.columns([5] * len(main) + ([4] if ones else []))
    typed = {}
    for place, spec in zip(places, main, strict=False):
        with place:
            typed[spec.name] = editor(spec, base[spec.name], height)
    for spec in ones:
        with places[-1]:
            typed[spec.name] = editor(spec, base[spec.name], 3 + 2 * row_height())
    kept = {**base, **typed}
    state["loss_typed"] = kept
    if any(len(rows) != len(base[table]) for table, rows in typed.items()):
        restart_tables(kept)
        try:
            st.rerun(scope="fragment")
        except StreamlitInvalidLayoutContextError:  # this run is the whole page's
            st.rerun()
    return typed


def keep_tables_in_link(preset_name: str, from_link: bool) -> None:
    """The typed tables in the link, unless they are the example's own or too long for a link
    (a caption says so); a run that opened the link's tables leaves the link as it was given."""
    if from_link:
        return
    unchanged = losses.encode(preset_tables(preset_name))
    encoded = losses.encode(st.session_state["loss_typed"])
    if len(encoded) > LINK_MAX:
        st.caption(t("loss.tables_too_long", length=len(encoded), most=LINK_MAX))
        encoded = unchanged
    st.session_state[TABLES] = encoded
    put_in_link(TABLES, encoded, default=unchanged)


# ---- A view pinned as A ----------------------------------------------------------------------

def with_every_option(cfg: losses.LossConfig) -> losses.LossConfig:
    """cfg with its options at their defaults spelled out, so that describe says "0 → 0.1"."""
    return dataclasses.replace(cfg, options=tuple(losses.options_of(cfg).items()))


def pinned_view(config: losses.LossConfig) -> losses.LossConfig | None:
    """The pin bar; A, checked as the controls' view is (a link's A is typed by anyone), and
    the line naming what differs from B."""
    pinned = pin_bar(LESSON, config, restore, seed_field=None)
    if pinned is None:
        return None
    try:
        pinned, _ = checked(pinned)
    except (InputError, TypeError, ValueError):
        st.warning(t("error.compare.link", field=key_of(LESSON, "pin")))
        st.session_state[f"{LESSON}_pinned"] = None
        return None
    st.markdown(describe(with_every_option(pinned), with_every_option(config),
                         label_of(LESSON, losses.LossConfig)))
    return pinned


# ---- The headline numbers --------------------------------------------------------------------

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


def shape_text(result: losses.LossResult) -> str:
    return t("loss.none_shape", shape=" × ".join(map(str, result.none_shape)))


def per_element(result: losses.LossResult, pinned: losses.LossResult | None, key: str,
                height: int | str = "auto") -> None:
    """torch's reduction='none': B's in its own shape, or A's and B's side by side, one row per
    element, where their shapes match."""
    if pinned is not None:
        label_a, label_b = labels()
        both = beside(elements(pinned), elements(result), "loss", label_a, label_b)
        if both is not None:
            st.dataframe(both, hide_index=True, height=height, key=grid_key(key))
            return
        st.caption(t("loss.pinned_shapes", view=label_a, now=label_b,
                     a=" × ".join(map(str, pinned.none_shape)) or "1",
                     b=" × ".join(map(str, result.none_shape)) or "1"))
    st.dataframe(none_frame(result), height=height, key=grid_key(key))


def show_headline(config: losses.LossConfig, result: losses.LossResult,
                  pinned: tuple[losses.LossConfig, losses.LossResult] | None, aside) -> None:
    """The chosen reduction, as torch returns it (B's change from A's); the call the loss means
    (KLDivLoss's logged inputs) beside it, in aside; A's own headline."""
    reduction, before = config.reduction, pinned[1] if pinned else None
    if reduction == "none":
        st.caption(t("loss.metric_chosen", reduction="none") + " · " + shape_text(result))
        # on a projector two rows in sight (more scroll), so the curves stay on its screen
        shown_rows = min(len(result.none), 2 if presenting() else 6)
        per_element(result, before, "chosen", height=3 + row_height() * (1 + shown_rows))
    else:
        st.metric(t("loss.metric_chosen", reduction=reduction),
                  f"{result.losses[reduction]:.4f}", **metric_change(
                      result.losses[reduction],
                      before and before.losses.get(pinned[0].reduction), ".4f"))
        if result.alternative:
            aside.metric(t(f"loss.alternative_{config.loss}", reduction=reduction),
                         f"{result.alternative[reduction]:.4f}")
    if pinned is not None and pinned[0].reduction != "none":
        st.caption(t("loss.pinned_headline", view=labels()[0], reduction=pinned[0].reduction,
                     value=f"{before.losses[pinned[0].reduction]:.4f}"))


def show_other_numbers(config: losses.LossConfig, result: losses.LossResult,
                       before: losses.LossResult | None) -> None:
    """The other reductions, one under another (side by side they were cut off), each element's
    loss, and whether every check agrees with torch."""
    for other in [r for r in result.losses if r != config.reduction]:
        st.metric(t("loss.metric_other", reduction=other), f"{result.losses[other]:.4f}",
                  **metric_change(result.losses[other], before and before.losses.get(other),
                                  ".4f"))
    if config.reduction != "none":
        with st.expander(t("loss.metric_other", reduction="none") + " · " + shape_text(result)):
            per_element(result, before, "elements")
    agree = bool(result.checks["agrees"].all())
    (st.success if agree else st.warning)(t("loss.all_agree" if agree else "loss.some_differ",
                                            count=len(result.checks)))


# ---- The curves ------------------------------------------------------------------------------

def title_width(halved: bool = False) -> int:
    """How many characters of a chart title fit one line of the curve's chart: beside the
    numbers, or on a projector across the view (halved: beside the gradient's)."""
    return (30 if halved else 60) if presenting() else 52


def labelled(thresholds: pd.DataFrame) -> pd.DataFrame:
    """The threshold rules with their labels, "beta = 1"."""
    return thresholds.assign(label=[
        f"{t(text_key(LESSON, f'options.{option}'))} = {value:g}"
        for option, value in zip(thresholds["option"], thresholds["value"], strict=True)])


def show_curves(result: losses.LossResult, pinned: losses.LossResult | None) -> None:
    """One element's loss against what it punishes, the typed elements on it (A's beside B's
    where they share the axis); where the family has one, its gradient the same way: under it,
    or on a projector beside it, both on the first screen."""
    axis, (label_a, label_b) = result.curve_axis, labels()
    curve, marks, thresholds = result.curve, result.marks, labelled(result.thresholds)
    if pinned is not None and pinned.curve_axis == axis:
        curve = side_by_side(pinned.curve, curve, label_a, label_b)
        marks = side_by_side(pinned.marks, marks, label_a, label_b)
        thresholds = None  # B's beta or delta need not be A's
    gradient = "gradient" in result.curve and "gradient" in curve
    beside = gradient and presenting()
    loss_place, gradient_place = st.columns(2) if beside else (st.container(), st.container())
    common = {"x_title": t(f"loss.axis_{axis}"), "sample_title": t("loss.axis_sample"),
              "nonfinite_label": t("loss.nonfinite_marker"), "probability": axis == "probability",
              "series_title": t("loss.compare_loss"), "title_width": title_width(beside)}
    height = 260 if presenting() else 220
    with loss_place:
        show_chart(charts.loss_curve, curve, marks, title=t(f"loss.curve_title_{axis}"),
                   y_title=t("loss.axis_loss"), sample_loss_title=t("loss.axis_sample_loss"),
                   height=height, thresholds=thresholds, top=result.curve_top,
                   legend=1 if beside else 2, **common)
    if gradient:  # the same lines as the loss chart's legend names, in the same colours
        with gradient_place:
            show_chart(charts.loss_curve, curve, marks, title=t(f"loss.gradient_title_{axis}"),
                       y_title=t(f"loss.axis_gradient_{axis}"),
                       sample_loss_title=t("loss.axis_sample_gradient"),
                       height=height if presenting() else height // 2 + 40, field="gradient",
                       legend=0, **common)
    if pinned is not None and pinned.curve_axis != axis:
        st.caption(t("loss.pinned_other_axis", view=label_a,
                     axis=t(f"loss.axis_{pinned.curve_axis}")))
    st.caption(t(f"loss.curve_note_{axis}"))
    if gradient:
        st.caption(t(f"loss.gradient_note_{axis}"))


def show_own_views(config: losses.LossConfig, result: losses.LossResult) -> None:
    """The entry's own pictures of one sample (CTCLoss's lattices), drawn by their chart
    builders, the sample picked where there are several."""
    if not result.views:
        return
    samples = result.none_shape[0] if result.none_shape else 1
    sample = 0
    if samples > 1:
        if st.session_state.get(SAMPLE, 0) not in range(samples):
            st.session_state.pop(SAMPLE, None)  # fewer samples than before
        sample = st.selectbox(t("loss.view_sample"), range(samples), key=SAMPLE,
                              help=t("loss.view_sample_help"), bind="query-params")
    for own in result.views if sample == 0 else views_of(config, sample):
        show_chart(getattr(charts, own.chart), *own.frames, **own.args,
                   **{arg: t(key, **own.note_params) for arg, key in own.texts.items()})
        st.caption(t(own.note, **own.note_params))


# ---- The tabs --------------------------------------------------------------------------------

def show_steps(config: losses.LossConfig, result: losses.LossResult) -> None:
    """Every stage, one row per sample or element; the loss column (and what names the row)
    pinned at the left, so a wide table never scrolls it away."""
    explain(t(f"loss.steps_{config.loss}"))
    pinned = {c: st.column_config.Column(pinned=True)
              for c in ("sample", "class", "loss") if c in result.steps}
    st.dataframe(result.steps, hide_index=True, column_config=pinned, key=grid_key("steps"))
    for key, params in result.notes:  # a hand check the course makes, against torch
        st.markdown(t(key, **params))
    csv_download(result.steps, "loss_steps")


def show_reduction(config: losses.LossConfig, result: losses.LossResult) -> None:
    """The mean's denominator spelled out, then the sum and the mean by hand beside torch's."""
    steps = result.steps
    kept = steps[~steps["ignored"]] if "ignored" in steps else None
    terms = " + ".join(f"{w:g}" for w in kept["weight"]) if kept is not None else ""
    loss = losses.entry(config)
    first = config.table(loss.tables(losses.options_of(config))[0].name)
    st.markdown(t(f"loss.denominator_{result.denominator_kind}", terms=terms,
                  denominator=result.denominator, n=len(first), c=len(first[0])))
    st.markdown(t(result.reduction_text, total=result.by_hand["sum"],
                  denominator=result.denominator, mean=result.by_hand["mean"],
                  torch_sum=result.losses["sum"], torch_mean=result.losses["mean"],
                  n=len(first), batchmean=result.by_hand.get("batchmean", math.nan),
                  torch_batchmean=result.losses.get("batchmean", math.nan)))


def show_gradients(config: losses.LossConfig, result: losses.LossResult) -> None:
    explain(t(f"loss.grad_{config.loss}") + " " + t(f"loss.grad_reduction_{config.reduction}"))
    for key, params in result.grad_notes:  # what float32 does to it, computed
        st.markdown(t(key, **params))
    st.dataframe(result.gradients, hide_index=True, key=grid_key("gradients"))
    csv_download(result.gradients, "loss_gradients")


def show_checks(result: losses.LossResult) -> None:
    st.dataframe(pd.DataFrame({
        t("loss.checks_check"): [t(f"loss.check_{c}", table=table) for c, table in zip(
            result.checks["check"], result.checks["table"], strict=True)],
        t("loss.checks_diff"): result.checks["max_abs_diff"],
        t("loss.checks_agrees"): result.checks["agrees"]}), hide_index=True,
        key=grid_key("checks"))


def compare_view(config: losses.LossConfig, family: list[str]) -> None:
    """The losses picked (all of the family at first) on the same tables: their curves along the
    quantity they share, their totals and each element's loss."""
    explain(t("loss.compare_note"))
    key = key_of(LESSON, f"compare.{losses.LOSSES[config.loss].family}")
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
                   height=400, thresholds=labelled(found.thresholds), top=found.top,
                   title_width=60 if presenting() else 90,
                   nonfinite_label=t("loss.nonfinite_marker"))
        st.caption(t(f"loss.compare_curve_note_{found.axis}"))
    st.dataframe(found.totals, hide_index=True, width="content", key=grid_key("totals"))
    table = found.elements
    if table["class"].nunique() <= 1:
        table = table.drop(columns="class")
    columns = {"sample": t("loss.axis_sample"), "class": t("loss.compare_class")}
    if "x" in table:
        columns["x"] = t(f"loss.compare_x_{found.axis}")
    st.dataframe(table.rename(columns=columns), hide_index=True, key=grid_key("compared"))


def show_tabs(config: losses.LossConfig, result: losses.LossResult) -> None:
    others = losses.comparable(config)[1:]
    steps, reduction, gradients, checks, *comparison = st.tabs(
        [t("loss.tab_steps"), t("loss.tab_reduction"), t("loss.tab_gradients"),
         t("loss.tab_checks")] + ([t("loss.tab_compare")] if others else []))
    with steps:
        show_steps(config, result)
    with reduction:
        show_reduction(config, result)
    with gradients:
        show_gradients(config, result)
    with checks:
        show_checks(result)
    for tab in comparison:  # the same tables through the other losses of the family
        with tab:
            compare_view(config, [config.loss, *others])
    code_panel(losses.to_script(config))


# ---- The page --------------------------------------------------------------------------------

def layout() -> tuple[list, DeltaGenerator, list]:
    """Where the example pickers, the controls and the view go. The pickers share a row (an
    example's name is up to 53 characters and its list is as wide as its box: the widest
    column); the reset button heads the controls on a projector, whose view starts at the top
    of its column: the headline and the curves on a 1280 × 720 first screen, the tables under
    them. Otherwise the tables come first."""
    if presenting():
        pickers = st.columns([6, 4], vertical_alignment="bottom")
        controls, view = st.columns([5, 11], gap="large")
        return [*pickers, controls], controls, [view.container(), view.container()]
    pickers = st.columns([5, 3, 3], vertical_alignment="bottom")
    controls, view = st.columns([4, 11], gap="large")
    tables, main = view.container(), view.container()
    return pickers, controls, [main, tables]


def show_view(config: losses.LossConfig, notices: list[Notice], place) -> None:
    """The view computed (cached), its pinned A, the headline numbers, the curves and the other
    numbers, the entry's own pictures, then the tabs at full width. The curves share a row with
    the numbers; on a projector they take the view's width under the headline and the pin bar
    beside it (with the line naming what differs), all on the first screen."""
    result = compute(config)
    with place:
        show_notices(notices)
        if presenting():
            headline, pin_slot = st.columns([2, 3])
            chart, numbers = st.container(), st.container()
        else:
            chart, numbers = st.columns([3, 2])
            headline, pin_slot = numbers.container(), numbers.container()
        headline = headline.container(key="loss_headline")  # a browser test finds it
        with pin_slot:  # the pin bar runs before the numbers, which need A, but shows under them
            pinned = pinned_view(config)
        before = compute(pinned) if pinned is not None else None
        with headline:
            show_headline(config, result, None if pinned is None else (pinned, before),
                          pin_slot if presenting() else headline)
        with chart:
            show_curves(result, before)
        with numbers:
            show_other_numbers(config, result, before)
        if result.nonfinite:
            st.error(t("loss.nonfinite", what=", ".join(result.nonfinite)))
        show_own_views(config, result)
    show_tabs(config, result)


st.title(t("loss.title"))
if not presenting():
    explain(t("loss.lead"))


def lesson() -> None:
    """The whole playground: its controls, tables and views depend on one another, so a click
    or an edit reruns this fragment only (not the app's shell and sidebar)."""
    st.session_state.setdefault(GRIDS_PRESENTING, presenting())
    start, from_link = opening_example()
    pickers, controls, (main, tables) = layout()
    preset_name, loss = pick_example(pickers, start)
    with controls:
        settings = loss_settings(loss, start)
    classes, notices = losses.classes(settings.classes)
    with tables:
        typed = typed_tables(loss, settings, classes)
        keep_tables_in_link(preset_name, from_link)
    try:
        config, more = losses.validate(losses.config(loss.name, typed, settings.options,
                                                     settings.reduction))
    except InputError as error:  # what was typed stays, with its message
        with main:
            show_notices(notices)
            show_error(error)
            st.caption(t("loss.kept_as_typed"))
    else:
        show_view(config, notices + more, main)
    tables_in_mode()


lesson_view()()
if presenting():  # folded, under the lesson: the projector's first screen holds the view
    explain(t("loss.lead"))
