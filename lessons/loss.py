"""Lesson 3: loss functions — type logits and targets, flip every option, watch each step."""

import math

import pandas as pd
import streamlit as st

from core import charts, losses
from core.errors import InputError
from ui.charts import show_chart
from ui.panels import code_panel, csv_download, explain, show_error, show_notices
from ui.text import presenting, t

EDITORS = {"inputs": "loss_inputs", "target": "loss_target", "weight": "loss_weight",
           "pos_weight": "loss_pos_weight"}


@st.cache_data(max_entries=64, show_spinner=False)
def compute(config: losses.LossConfig) -> losses.LossResult:
    return losses.run(config)


def restart_tables(tables: dict) -> None:
    """New typed tables for the editors: their edits so far are folded in, so start afresh."""
    st.session_state["loss_tables"] = tables
    for key in EDITORS.values():
        st.session_state.pop(key, None)


def apply_preset() -> None:
    """The course's example in its own settings."""
    preset = losses.PRESETS[st.session_state["loss_preset"]]
    st.session_state.update({
        "loss_loss": preset.loss, "loss_reduction": preset.reduction,
        "loss_use_weight": preset.weight is not None,
        "loss_use_pos_weight": preset.pos_weight is not None,
        "loss_sigmoid": preset.through_sigmoid, "loss_soft": preset.soft_target,
        "loss_smoothing": preset.label_smoothing, "loss_ignore": preset.ignore_index,
        "loss_classes": len(preset.inputs[0]),
    })
    restart_tables(losses.tables_of(preset, len(preset.inputs[0])))


def reshape() -> None:
    """C or the kind of target changed: keep what was typed, cut or padded to the new shape."""
    state = st.session_state
    classes, _ = losses.classes(int(state.get("loss_classes", 2)))
    config = losses.LossConfig(loss=state["loss_loss"], soft_target=state.get("loss_soft", False))
    restart_tables(losses.reshape_tables(state.get("loss_typed", state["loss_tables"]), classes,
                                         losses.target_shape(config)))


def editor(name: str, rows: tuple, columns: list[str], height: int) -> tuple:
    """A text-cell editor of one table; returns the table exactly as typed (strings). Only the
    inputs show the sample numbers: the target's rows sit beside them."""
    frame = pd.DataFrame(list(rows), columns=columns, dtype="str")
    frame.index.name = t("loss.axis_sample")
    edited = st.data_editor(
        frame, key=EDITORS[name], num_rows="dynamic" if name in ("inputs", "target") else "fixed",
        column_config={c: st.column_config.TextColumn(c) for c in columns},
        height=height, width="stretch", hide_index=name != "inputs")
    return tuple(tuple("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                       for v in row) for row in edited.itertuples(index=False))


st.title(t("loss.title"))
explain(t("loss.lead"))
controls, view = st.columns([1, 3], gap="large")
# A link may name the preset: its tables are the start, before the selectbox has read the URL.
start_name = st.session_state.get("loss_preset", st.query_params.get("loss_preset"))
start = losses.PRESETS.get(start_name, losses.LossConfig())
if "loss_tables" not in st.session_state:
    st.session_state["loss_tables"] = losses.tables_of(start, len(start.inputs[0]))

# ---- Controls: the course's CrossEntropy example is the default -------------------------------
with controls:
    st.selectbox(t("loss.preset"), list(losses.PRESETS), key="loss_preset",
                 on_change=apply_preset, bind="query-params")
    names = list(losses.LOSSES)
    loss = st.selectbox(t("loss.loss"), names, index=names.index(start.loss), key="loss_loss",
                        on_change=reshape, bind="query-params")
    spec = losses.LOSSES[loss]
    reduction = st.radio(t("loss.reduction"), losses.REDUCTIONS, horizontal=True,
                         index=losses.REDUCTIONS.index(start.reduction), key="loss_reduction",
                         bind="query-params")
    typed_classes = st.number_input(t("loss.classes"), value=len(start.inputs[0]), step=1,
                                    key="loss_classes", on_change=reshape, bind="query-params")
    soft = sigmoid = use_pos_weight = False
    smoothing, ignore_index = 0.0, -100
    if loss == "CrossEntropyLoss":
        soft = st.toggle(t("loss.soft"), value=start.soft_target, key="loss_soft",
                         on_change=reshape, help=t("loss.soft_help"), bind="query-params")
        smoothing = st.number_input(t("loss.smoothing"), value=start.label_smoothing, step=0.05,
                                    key="loss_smoothing", bind="query-params")
    if "ignore_index" in spec.options and not soft:
        ignore_index = st.number_input(t("loss.ignore_index"), value=start.ignore_index, step=1,
                                       key="loss_ignore", help=t("loss.ignore_help"),
                                       bind="query-params")
    if loss == "BCELoss":
        sigmoid = st.toggle(t("loss.sigmoid"), value=start.through_sigmoid, key="loss_sigmoid",
                            help=t("loss.sigmoid_help"), bind="query-params")
    use_weight = st.toggle(t("loss.use_weight"), value=start.weight is not None,
                           key="loss_use_weight", bind="query-params")
    if "pos_weight" in spec.options:
        use_pos_weight = st.toggle(t("loss.use_pos_weight"), value=start.pos_weight is not None,
                                   key="loss_use_pos_weight", bind="query-params")

# ---- The tables, as typed: text cells, so a letter reaches core and gets its message ---------
n_classes, notices = losses.classes(int(typed_classes))
target_kind = losses.target_shape(losses.LossConfig(loss=loss, soft_target=soft))
tables = st.session_state["loss_tables"]
fitted = losses.reshape_tables(tables, n_classes, target_kind)
if fitted != tables:  # C or the target kind came from a link or session state, not a callback
    restart_tables(fitted)
    tables = fitted
class_columns = [str(c) for c in range(n_classes)]
with view:
    left, middle, right = st.columns([5, 4, 4])
    # every row visible (header, rows, the add-row line) up to 6 rows; more rows scroll
    height = 38 + 35 * (min(len(tables["inputs"]), 6) + 1)
    with left:
        kind = "logits" if sigmoid else spec.inputs
        st.caption(t(f"loss.table_inputs_{kind}"))
        inputs = editor("inputs", tables["inputs"], class_columns, height)
    with middle:
        st.caption(t(f"loss.table_target_{target_kind}"))
        target = editor("target", tables["target"],
                        class_columns if target_kind == "matrix" else ["class"], height)
    with right:
        weight = pos_weight = None
        if use_weight:
            st.caption(t("loss.table_weight"))
            weight = editor("weight", tables["weight"], class_columns, 80)
        if use_pos_weight:
            st.caption(t("loss.table_pos_weight"))
            pos_weight = editor("pos_weight", tables["pos_weight"], class_columns, 80)
        st.caption(t("loss.tables_not_in_link"))
    st.session_state["loss_typed"] = {"inputs": inputs, "target": target,
                                      "weight": weight or tables["weight"],
                                      "pos_weight": pos_weight or tables["pos_weight"]}

# ---- Compute: validated Config -> cached core run -------------------------------------------
try:
    config, more = losses.validate(losses.LossConfig(
        loss=loss, inputs=inputs, target=target, weight=weight, pos_weight=pos_weight,
        reduction=reduction, ignore_index=int(ignore_index), label_smoothing=float(smoothing),
        soft_target=soft, through_sigmoid=sigmoid))
except InputError as error:
    with view:
        show_notices(notices)
        show_error(error)
        st.caption(t("loss.kept_as_typed"))
    st.stop()
result = compute(config)

# ---- View: the three reductions, the curve, each step -----------------------------------------
with view:
    show_notices(notices + more)
    chart, numbers = st.columns([2, 1] if presenting() else [3, 1])
    with numbers:
        st.metric(t("loss.metric_sum"), f"{result.losses['sum']:.4f}")
        st.metric(t("loss.metric_mean"), f"{result.losses['mean']:.4f}")
        none_text = ", ".join(f"{v:.4f}" for v in result.per_sample[:8])
        st.caption(t("loss.metric_none") + f": [{none_text}"
                   + (", …]" if len(result.per_sample) > 8 else "]"))
        agree = bool(result.checks["agrees"].all())
        (st.success if agree else st.warning)(t("loss.all_agree" if agree else "loss.some_differ",
                                               count=len(result.checks)))
    with chart:
        axis = "logit" if sigmoid else spec.curve
        show_chart(charts.loss_curve,
            result.curve, result.marks, title=t(f"loss.curve_title_{axis}"),
            x_title=t(f"loss.axis_{axis}"), y_title=t("loss.axis_loss"),
            sample_title=t("loss.axis_sample"), sample_loss_title=t("loss.axis_sample_loss"),
            nonfinite_label=t("loss.nonfinite_marker"), height=380 if presenting() else 220,
            probability=axis == "probability")
    st.caption(t(f"loss.curve_note_{axis}"))
    if result.nonfinite:
        st.error(t("loss.nonfinite", what=", ".join(result.nonfinite)))

    steps, reduce, grads, checks = st.tabs([t("loss.tab_steps"), t("loss.tab_reduction"),
                                            t("loss.tab_gradients"), t("loss.tab_checks")])
    with steps:
        explain(t(f"loss.steps_{loss}"))
        st.dataframe(result.steps, hide_index=True)
        csv_download(result.steps, "loss_steps")
    with reduce:
        kept = result.steps[~result.steps["ignored"]] if "ignored" in result.steps else None
        terms = " + ".join(f"{w:g}" for w in kept["weight"]) if kept is not None else ""
        st.markdown(t(f"loss.denominator_{result.denominator_kind}", terms=terms,
                      denominator=result.denominator, n=len(config.inputs),
                      c=len(config.inputs[0])))
        st.markdown(t("loss.reduction_math", total=result.by_hand["sum"],
                      denominator=result.denominator, mean=result.by_hand["mean"],
                      torch_sum=result.losses["sum"], torch_mean=result.losses["mean"]))
    with grads:
        explain(t(f"loss.grad_{loss}") + " " + t(f"loss.grad_reduction_{reduction}"))
        if sigmoid:
            st.caption(t("loss.grad_saturation"))
        st.dataframe(result.gradients, hide_index=True)
        csv_download(result.gradients, "loss_gradients")
    with checks:
        shown = result.checks.assign(check=[t(f"loss.check_{c}") for c in result.checks["check"]])
        st.dataframe(shown, hide_index=True)
    code_panel(losses.to_script(config))
