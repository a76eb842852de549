"""Lesson: inside a training run — TensorBoard logs, hooks, checkpoints that resume exactly, and
frozen layers, on the lab's network (the course's images and pretrained weights are not
available offline: the lab's data and network stand in for them, and the page says so)."""

import inspect

import pandas as pd
import streamlit as st

from core import compare
from core.charts import inside as charts
from core.errors import InputError
from core.inside import freeze, hooks, runs
from core.lab import checkpoint, tensorboard, watch
from core.lab.train import Trainer
from core.settings import validate_settings, with_values
from lessons import TABS
from ui import widgets
from ui.charts import show_chart
from ui.compare import keep_pins, labels
from ui.lesson import checked_views
from ui.links import sections
from ui.panels import code_panel, explain, show_error
from ui.text import presenting, quoted, t

LESSON = "inside"
UPLOAD = "inside_upload"  # the uploaded checkpoint's widget: the file stays in the session


def draw(config_type: type, paths: list[str], columns: int = 1) -> dict:
    """The widgets of config_type's settings at paths, in rows of columns."""
    chosen: dict = {}
    for start in range(0, len(paths), columns):
        row = st.columns(columns, gap="small") if columns > 1 else [st.container()]
        for place, path in zip(row, paths[start:start + columns], strict=False):
            with place:
                chosen |= widgets.controls(LESSON, config_type, [path], drawn=chosen)
    return chosen


def restore(config) -> None:
    """Every control of config's tab set from config (a course example, a pinned view swapped
    in, A with another seed)."""
    widgets.restore(LESSON, config)


def beside(pinned: pd.DataFrame | None, now: pd.DataFrame) -> pd.DataFrame:
    """A's rows and B's as one frame (a VIEW column), or B's alone."""
    return now if pinned is None else compare.side_by_side(pinned, now, *labels())


def settings_only(config):
    """The validation of a Config whose settings are all its checks."""
    notices: list = []
    return validate_settings(config, notices), notices


def tab_views(name: str, config_type: type, controls, validate, seed_field: str = "seed"):
    """A tab's controls (drawn by controls() in the left column: {path: value}) and, in the
    right one, its Config checked and the pin bar: (the right column, B, A or None), or None
    when the Config cannot be used (the error is shown there)."""
    column, view = st.columns([1, 1.6] if presenting() else [1, 3], gap="large")
    with column:
        chosen = controls()
    with view:
        checked = checked_views(f"inside_{name}", with_values(config_type(), chosen), validate,
                                restore, seed_field)
    return None if checked is None else (view, *checked)


def pair() -> int:
    """Controls to a row: two in presenter mode's wider column."""
    return 2 if presenting() else 1


# ---- TensorBoard ------------------------------------------------------------------------------

@st.cache_data(max_entries=16, show_spinner=False)
def logged(config: runs.LogConfig) -> tuple[bytes, pd.DataFrame, pd.DataFrame]:
    """The run's log archive, and what TensorBoard's reader reads from it."""
    archive = tensorboard.run_log(Trainer(config.logged.lab()), config.epochs)
    return (archive, *tensorboard.read_back(archive))


LOG_PATHS = ["logged.dataset", "logged.optimizer", "logged.lr", "logged.momentum", "epochs",
             "logged.seed"]


def tensorboard_tab() -> None:
    found = tab_views("tensorboard", runs.LogConfig,
                      lambda: draw(runs.LogConfig, LOG_PATHS, pair()), runs.validate_log,
                      "logged.seed")
    if found is None:
        return
    view, config, pinned = found
    with view:
        archive, scalars, histograms = logged(config)
        losses = scalars[scalars["tag"].str.startswith("loss/")]
        if pinned is not None:
            pinned_scalars = logged(pinned)[1]
            losses = beside(pinned_scalars[pinned_scalars["tag"].str.startswith("loss/")],
                            losses)
        show_chart(charts.logged_scalars, losses, title=t("inside.tb_chart"),
                   x_title=t("inside.epoch"), y_title=t("inside.loss"),
                   height=260 if presenting() else 320)
        st.download_button(t("inside.tb_download"), archive, file_name="lab_tensorboard.tar.gz",
                           mime="application/gzip", key="inside_tb_download",
                           on_click="ignore", type="primary")
        st.markdown(t("inside.tb_how", epochs=config.epochs,
                      tags=len(set(scalars["tag"])) + len(set(histograms["tag"])),
                      scalars=len(scalars), histograms=len(histograms)))
        weights = histograms[histograms["tag"].str.startswith("weights/")]
        show_chart(charts.weight_ranges, weights, title=t("inside.tb_weights"),
                   x_title=t("inside.epoch"), y_title=t("inside.weight"), height=200)
        explain(t("inside.tb_note"))
        code_panel(tensorboard.to_script(config.logged.lab(), config.epochs))


# ---- Hooks ------------------------------------------------------------------------------------

@st.cache_data(max_entries=32, show_spinner=False)
def hooked(config: hooks.HookConfig) -> tuple[hooks.Gradients, hooks.ModuleHooks]:
    return hooks.tensor_hooks(config), hooks.module_hooks(config)


def hooks_tab() -> None:
    def controls() -> dict:
        st.button(t("inside.course_example"), key="inside_hooks_course", width="stretch",
                  on_click=widgets.restore, args=(LESSON, hooks.HookConfig()))
        # the backward hook's choice on a row of its own: its long names are read whole
        return (draw(hooks.HookConfig, ["times", "returns"], pair())
                | draw(hooks.HookConfig, ["backward", "seed"]))

    found = tab_views("hooks", hooks.HookConfig, controls, settings_only)
    if found is None:
        return
    view, config, pinned = found
    with view:
        shown = {labels()[1]: config} if pinned is None else \
            {labels()[0]: pinned, labels()[1]: config}
        for place, (name, each) in zip(st.columns(len(shown)), shown.items(), strict=True):
            with place:
                if pinned is not None:
                    st.caption(name)
                show_hooks(each, *hooked(each))
        code_panel(hooks.to_script(config))
        with st.expander(t("inside.hooks_lab_title")):
            st.markdown(t("inside.hooks_lab"))
            st.code(inspect.getsource(watch.LayerWatch), language="python")


def show_hooks(config: hooks.HookConfig, grads: hooks.Gradients,
               module: hooks.ModuleHooks) -> None:
    st.markdown(t("inside.tensor_hooks", w=grads.w, x=grads.x, collected=grads.collected,
                  times=config.times, scaled=grads.w * config.times, returns=config.returns,
                  hooked=grads.hooked_w))
    metrics = st.columns(4)
    for place, (label, value) in zip(metrics, [("w.grad", grads.w), ("x.grad", grads.x),
                                                ("a_grad[0]", grads.collected),
                                                (t("inside.hooked_w"), grads.hooked_w)],
                                     strict=True):
        place.metric(label, f"{value:g}")
    st.caption(t("inside.non_leaf", warning=grads.warning))
    st.markdown(t(f"inside.backward_{module.backward}_says",
                  received=", ".join(name if values is not None else f"{name}: None"
                                     for name, values in module.grad_input)))
    show_chart(charts.grids, hook_grids(module), title=t("inside.grids_title"), stretch=False)
    for warning in module.warnings:
        st.info(quoted("inside.torch_warns", warning=warning))
    st.code("\n".join(grads.console + module.console), language="text")


def hook_grids(module: hooks.ModuleHooks) -> pd.DataFrame:
    """What the forward hook kept (conv1's feature maps) and what the backward hook received
    (the gradient of conv1's output; the deprecated one's weight gradient too), a grid each."""
    tensors = [(t("inside.grid_feature_map", channel=c), module.feature_map[0][c])
               for c in range(2)]
    tensors += [(t("inside.grid_grad_output", channel=c), module.grad_output[0][1][0][c])
                for c in range(2)]
    tensors += [(t("inside.grid_grad_weight", channel=c), values[c][0])
                for name, values in module.grad_input if name == "weight" for c in range(2)]
    return pd.DataFrame([{"panel": panel, "row": r, "col": c, "value": value}
                         for panel, grid in tensors for r, line in enumerate(grid)
                         for c, value in enumerate(line)])


# ---- Stop and resume --------------------------------------------------------------------------

@st.cache_data(max_entries=32, show_spinner=False)
def resumed(config: runs.ResumeConfig,
            uploaded: tuple[str, bytes] | None = None) -> checkpoint.Resumed:
    return checkpoint.resume(config.run.lab(), config.epochs, config.stop, config.parts(),
                             uploaded)


RESUME_PATHS = ["stop", "epochs", "optimizer_state", "scheduler", "random_state",
                "run.dataset", "run.optimizer", "run.lr", "run.momentum", "run.step_size",
                "run.gamma", "run.batch", "run.seed"]


def resume_tab() -> None:
    def controls() -> dict:
        buttons = st.container(horizontal=True, gap="xsmall")
        buttons.button(t("inside.course_example"), key="inside_resume_course",
                       on_click=widgets.restore, args=(LESSON, runs.COURSE_RESUME))
        buttons.button(t("inside.everything"), key="inside_resume_everything",
                       on_click=widgets.restore, args=(LESSON, runs.EVERYTHING,
                                                       ["optimizer_state", "scheduler",
                                                        "random_state"]))
        # the restore choices one to a row: their labels and choices are read whole
        return (draw(runs.ResumeConfig, RESUME_PATHS[:2], pair())
                | draw(runs.ResumeConfig, RESUME_PATHS[2:5])
                | draw(runs.ResumeConfig, RESUME_PATHS[5:], pair()))

    found = tab_views("resume", runs.ResumeConfig, controls, runs.validate_resume, "run.seed")
    if found is None:
        return
    view, config, pinned = found
    with view:
        show_resume(config, pinned)


def upload() -> tuple[str, bytes] | None:
    """The checkpoint file the user uploaded, if any."""
    file = st.session_state.get(UPLOAD)
    return None if file is None else (file.name, file.getvalue())


def show_resume(config: runs.ResumeConfig, pinned: runs.ResumeConfig | None) -> None:
    uploaded = upload()
    try:
        result = resumed(config, uploaded)
    except InputError as error:  # the upload: said, and the view goes on from its own file
        show_error(error)
        uploaded, result = None, resumed(config)
    if uploaded is not None:
        st.info(quoted("inside.from_upload", name=uploaded[0], epoch=result.stop))
    a = None if pinned is None else resumed(pinned)
    names = [t("inside.run_uninterrupted"), t("inside.run_resumed")]
    frame = beside(None if a is None else _losses(a, names), _losses(result, names))
    marks = [(result.stop, t("inside.stopped_here", epoch=result.stop))]
    if result.parted is not None:
        marks.append((result.parted, t("inside.parted_here", epoch=result.parted)))
    show_chart(charts.run_lines, frame, names, title=t("inside.resume_chart"),
               x_title=t("inside.epoch"), y_title=t("inside.train_loss"), marks=marks,
               log=False, height=250 if presenting() else 300)
    verdict(result)
    show_chart(charts.apart, beside(None if a is None else a.difference, result.difference),
               title=t("inside.apart_chart"), x_title=t("inside.epoch"),
               y_title=t("inside.apart_axis"), same_label=t("inside.same_bits"), height=220)
    files = st.container(horizontal=True, gap="small")
    files.download_button(t("inside.download_checkpoint"), result.checkpoint,
                          file_name=f"checkpoint_{config.stop - 1}_epoch.pt",
                          mime="application/octet-stream", key="inside_download",
                          on_click="ignore")
    st.file_uploader(t("inside.upload"), type=None, key=UPLOAD, help=t("inside.upload_help"))
    explain(t("inside.resume_note"))
    code_panel(checkpoint.to_script(config.run.lab(), config.epochs, config.stop,
                                    config.parts()))


def _losses(result: checkpoint.Resumed, names: list[str]) -> pd.DataFrame:
    curves = result.curves.assign(run=result.curves["run"].map(
        {"uninterrupted": names[0], "resumed": names[1]}))
    return curves[["epoch", "run"]].assign(value=curves["train_loss"])


def verdict(result: checkpoint.Resumed) -> None:
    """Whether the resumed run is the uninterrupted one bit for bit, and if not, where it parts
    and why: every sentence from the two runs."""
    if result.parted is None:
        st.success(t("inside.same_run", stop=result.stop))
    else:
        gap = result.difference["difference"].iloc[-1]
        st.warning(t("inside.parts", epoch=result.parted, gap=gap))
    for cause in result.causes:
        st.markdown("- " + t(f"inside.cause_{cause.key}", **cause.params))


# ---- Freezing and finetuning ------------------------------------------------------------------

@st.cache_data(max_entries=16, show_spinner=False)
def frozen(config: freeze.FreezeConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return (freeze.moves(config), freeze.lr_zero_by_optimizer(config),
            freeze.batchnorm_modes(config))


@st.cache_data(max_entries=16, show_spinner=False)
def finetuned(source: str, target: str, epochs: int) -> pd.DataFrame:
    return freeze.finetune(runs.RunConfig(dataset=target).lab(), source, epochs)


FREEZE_PATHS = ["optimizer", "lr", "momentum", "weight_decay", "steps", "seed", "source",
                "target", "tune_epochs"]


def freeze_tab() -> None:
    found = tab_views("freeze", freeze.FreezeConfig,
                      lambda: draw(freeze.FreezeConfig, FREEZE_PATHS, pair()), settings_only)
    if found is None:
        return
    view, config, pinned = found
    with view:
        show_freeze(config, pinned)
        finetune_section(config, pinned)


def show_freeze(config: freeze.FreezeConfig, pinned: freeze.FreezeConfig | None) -> None:
    moves, by_optimizer, modes = frozen(config)
    table = moved_table(moves)
    st.markdown(t("inside.freeze_table", steps=config.steps, late=freeze.BEFORE_FREEZING))
    shown = {labels()[1]: table} if pinned is None else {
        labels()[0]: moved_table(frozen(pinned)[0]), labels()[1]: table}
    for place, (name, each) in zip(st.columns(len(shown)), shown.items(), strict=True):
        if pinned is not None:
            place.caption(name)
        place.dataframe(each.style.format("{:.3g}"))
    for way in freeze.WAYS[1:]:
        st.markdown("- " + freeze_sentence(moves, way))
    rprop = by_optimizer.rename(columns={"optimizer": "name"})
    show_chart(charts.moved_bars, rprop, title=t("inside.lr_zero_chart"),
               x_title=t("inside.moved"), y_title=t("inside.optimizer"),
               height=60 + 24 * len(rprop))  # a row each, its name read whole
    moving = by_optimizer.loc[by_optimizer["moved"] > 0, "optimizer"].tolist()
    st.markdown(t("inside.lr_zero_movers", names=", ".join(moving) or "—",
                  kept=len(by_optimizer) - len(moving)))
    train_row, eval_row = modes.iloc[0], modes.iloc[1]
    st.markdown(t("inside.batchnorm_modes", train=train_row["moved"], eval=eval_row["moved"]))
    code_panel(freeze.to_script(config))


def moved_table(moves: pd.DataFrame) -> pd.DataFrame:
    table = moves.pivot(index="tensor", columns="way", values="moved")[list(freeze.WAYS)]
    table.columns = [t(f"inside.way_{way}") for way in freeze.WAYS]
    table.index.name = t("inside.tensor")
    return table


def freeze_sentence(moves: pd.DataFrame, way: str) -> str:
    """What this way did to the first layer and its BatchNorm, read from the table."""
    rows = moves[(moves["way"] == way) & moves["tensor"].isin(freeze.FROZEN)]
    largest = rows["moved"].max()
    state = ", ".join(sorted(set(rows["state"]) - {""})) or "—"
    key = "inside.kept" if largest == 0 else f"inside.moved_{way}"
    return t(key, way=t(f"inside.way_{way}"), largest=largest, state=state)


def finetune_section(config: freeze.FreezeConfig, pinned: freeze.FreezeConfig | None) -> None:
    st.subheader(t("inside.finetune_title"))
    explain(t("inside.finetune_lead"))
    names = {"scratch": t("inside.run_scratch"), "finetuned": t("inside.run_finetuned")}

    def curves(each: freeze.FreezeConfig) -> pd.DataFrame:
        result = finetuned(each.source, each.target, each.tune_epochs)
        return result.assign(run=result["run"].map(names), value=result["test_loss"])[
            ["epoch", "run", "value"]]

    show_chart(charts.run_lines, beside(None if pinned is None else curves(pinned),
                                        curves(config)), list(names.values()),
               title=t("inside.finetune_chart"), x_title=t("inside.epoch"),
               y_title=t("inside.test_loss"), marks=[], log=False, height=300)
    last = finetuned(config.source, config.target, config.tune_epochs).groupby(
        "run")["test_loss"].last()
    st.markdown(t("inside.finetune_says", scratch=last["scratch"], tuned=last["finetuned"],
                  epochs=config.tune_epochs))
    code_panel(freeze.finetune_script(runs.RunConfig(dataset=config.target).lab(),
                                      config.source, config.tune_epochs))


# ---- The page ---------------------------------------------------------------------------------

st.title(t("inside.title"))
explain(t("inside.lead"))
tabs, opened = sections("inside_tab", {name: t(f"inside.tab_{name}") for name in TABS["inside"]})
keep_pins([f"inside_{name}" for name in TABS["inside"] if name != opened])
with tabs[opened]:
    st.fragment({"tensorboard": tensorboard_tab, "hooks": hooks_tab, "resume": resume_tab,
                 "freeze": freeze_tab}[opened])()
