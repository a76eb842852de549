"""A lab run's TensorBoard log, read back with TensorBoard's own event reader: the scalars are
the lab's history and each histogram holds that epoch's weights or gradients."""

import io
import tarfile
from dataclasses import replace

import numpy as np
import pytest

from core.lab import tensorboard as tb
from core.lab.model import LabConfig, validate
from core.lab.train import Trainer

CONFIGS = [LabConfig(), validate(replace(LabConfig(), dataset="spiral", widths=(5, 4),
                                         norm="BatchNorm1d", schedule="StepLR"))[0]]


@pytest.mark.parametrize("config", CONFIGS)
def test_the_log_read_back_is_the_labs_history(config):
    run = Trainer(config)
    data = tb.run_log(run, epochs=12)
    scalars, histograms = tb.read_back(data)
    assert set(scalars["tag"]) == set(tb.SCALARS.values())
    for column, tag in tb.SCALARS.items():
        logged = scalars[scalars["tag"] == tag].sort_values("step")
        assert list(logged["step"]) == list(range(13))
        # TensorBoard keeps a scalar as float32
        assert list(logged["value"]) == [float(np.float32(row[column])) for row in run.history]
    params = dict(run.model.named_parameters())
    for name, param in params.items():
        weights = histograms[histograms["tag"] == f"weights/{name}"]
        assert list(weights["step"]) == list(range(13))
        assert (weights["count"] == param.numel()).all()
        last = weights[weights["step"] == 12].iloc[0]
        assert (last["min"], last["max"]) == (param.min().item(), param.max().item())
        gradients = histograms[histograms["tag"] == f"gradients/{name}"]
        assert list(gradients["step"]) == list(range(1, 13))
        last = gradients[gradients["step"] == 12].iloc[0]
        assert (last["min"], last["max"]) == (param.grad.min().item(), param.grad.max().item())


def test_each_epoch_keeps_its_own_weights():
    """The recorder's epoch 3 is a run's weights after 3 epochs, not the latest ones."""
    run = Trainer(LabConfig())
    recorder = tb.record(run)
    run.train(epochs=5)
    again = Trainer(LabConfig())
    again.train(epochs=3)
    for name, param in again.model.named_parameters():
        assert recorder.epochs[3][name][0].equal(param.detach())
        assert recorder.epochs[3][name][1].equal(param.grad)


def test_the_archive_is_one_run_folder_tensorboard_opens():
    data = tb.run_log(Trainer(LabConfig()), epochs=2)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        names = tar.getnames()
    assert names[0] == tb.RUN
    assert all(name.startswith(f"{tb.RUN}/events.out.tfevents.") for name in names[1:])
    assert len(names) == 2


def test_a_run_without_a_recorder_logs_its_scalars_and_its_weights_now():
    """The lab page's run when nothing recorded it: every epoch's scalars, today's weights."""
    run = Trainer(LabConfig())
    run.train(epochs=3)
    scalars, histograms = tb.read_back(tb.archive(run))
    assert len(scalars) == 4 * len(tb.SCALARS)
    assert set(histograms["step"]) == {3}


def test_the_shown_script_logs_what_the_page_logs(tmp_path, monkeypatch):
    """The lab's script with a SummaryWriter, run as a student would (it writes runs/lab where
    it runs): its printed losses and its log's losses, rate and histograms are the page's."""
    from harness.scripts import printed_lines
    from tests.core.test_checkpoint import losses

    config = LabConfig()
    page_scalars, page_histograms = tb.read_back(tb.run_log(Trainer(config), epochs=4))
    monkeypatch.chdir(tmp_path)
    printed = losses(printed_lines(tb.to_script(config, 4)))
    with tarfile.open(tmp_path / "script.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "runs" / tb.RUN, arcname=tb.RUN)
    scalars, histograms = tb.read_back((tmp_path / "script.tar.gz").read_bytes())
    for tag in ("loss/train", "loss/test", "learning_rate"):
        logged = scalars[scalars["tag"] == tag].reset_index(drop=True)
        assert logged.equals(page_scalars[page_scalars["tag"] == tag].reset_index(drop=True))
    train = scalars[scalars["tag"] == "loss/train"]
    assert list(train["value"]) == [float(np.float32(printed[e][0])) for e in range(5)]
    # the script logs epoch 0's weights with the rest, the page from its recorder: the same
    mine = histograms.sort_values(["tag", "step"]).reset_index(drop=True)
    page = page_histograms.sort_values(["tag", "step"]).reset_index(drop=True)
    assert mine.equals(page)
