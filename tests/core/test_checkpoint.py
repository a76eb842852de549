"""Stop and resume against plain scripts of the course's save/resume code: the full-state resume
is the uninterrupted run bit for bit, and each partial one parts where, and for the reason, the
page says. Uploads: nothing but tensors and plain values is ever loaded."""

import io
import os
import pickle
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from core.errors import InputError
from core.lab import checkpoint as ck
from core.lab.model import LabConfig, validate
from core.lab.script import to_script as lab_script
from core.lab.train import Trainer
from harness.scripts import printed_lines

STEP = (("step_size", 6), ("gamma", 0.1))
# The course's resume: SGD(lr=0.01, momentum=0.9), StepLR(step_size=6, gamma=0.1), on the lab's data
COURSE = validate(replace(LabConfig(), lr=0.01, momentum=0.9, schedule="StepLR",
                          schedule_settings=STEP))[0]
EPOCHS, STOP = 8, 5


def losses(lines: list[str]) -> dict[int, tuple[float, float]]:
    """{epoch: (train loss, test loss)} from lines "epoch 3: train loss 0.5, test loss 0.6"."""
    found = {}
    for line in lines:
        head, rest = line.split(": train loss ")
        train, test = rest.split(", test loss ")
        found[int(head.split()[1])] = (float(train), float(test))
    return found


def page_losses(result: ck.Resumed, run: str) -> dict[int, tuple[float, float]]:
    rows = result.curves[result.curves["run"] == run]
    return {int(e): (a, b) for e, a, b in zip(rows["epoch"], rows["train_loss"],
                                              rows["test_loss"], strict=True)}


@pytest.mark.parametrize("config", [
    COURSE,
    # dropout masks and BatchNorm's running statistics come from the generator and the buffers
    validate(replace(LabConfig(), dataset="spiral", widths=(6, 6), dropout=0.3, norm="BatchNorm1d",
                     optimizer="Adam", lr=0.02, schedule="StepLR", schedule_settings=STEP))[0],
])
def test_the_full_state_resume_is_the_uninterrupted_run_bit_for_bit(config):
    result = ck.resume(config, EPOCHS, STOP, ck.EVERYTHING)
    assert result.parted is None and result.causes == ()
    assert (result.difference["difference"] == 0).all()
    assert list(result.difference["epoch"]) == list(range(STOP, EPOCHS + 1))
    whole = page_losses(result, "uninterrupted")
    assert page_losses(result, "resumed") == {e: whole[e] for e in range(STOP, EPOCHS + 1)}


CHOICES = [ck.EVERYTHING, ck.COURSE, ck.MODEL_ONLY, ck.Restore(optimizer=False),
           ck.Restore(scheduler="fresh"), ck.Restore(scheduler="last_epoch"),
           ck.Restore(random_state=False)]


@pytest.mark.parametrize("parts", CHOICES)
def test_the_course_script_prints_the_page_runs(parts):
    """The shown script (the course's save and resume on the lab's network) prints the page's
    resumed run; the lab's own script, never interrupted, the page's uninterrupted run; the two
    printouts part at the epoch the page names."""
    result = ck.resume(COURSE, EPOCHS, STOP, parts)
    resumed = losses(printed_lines(ck.to_script(COURSE, EPOCHS, STOP, parts)))
    whole = losses(printed_lines(lab_script(COURSE, EPOCHS, every=1)))
    assert {e: resumed[e] for e in range(STOP, EPOCHS + 1)} == page_losses(result, "resumed")
    assert whole == page_losses(result, "uninterrupted")
    parting = [e for e in range(EPOCHS + 1) if resumed[e] != whole[e]]
    assert (parting[0] if parting else None) == result.parted


def kinds(result: ck.Resumed) -> list[str]:
    return [cause.key for cause in result.causes]


def test_without_the_optimiser_the_momentum_buffers_are_lost():
    result = ck.resume(COURSE, EPOCHS, STOP, ck.Restore(optimizer=False))
    assert result.parted == STOP + 1
    assert result.causes == (ck.Cause("optimizer_lost", {"names": "momentum_buffer"}),)


def test_plain_sgd_keeps_no_state_and_loses_nothing():
    config = replace(COURSE, momentum=0.0)
    result = ck.resume(config, EPOCHS, STOP, ck.Restore(optimizer=False))
    assert result.parted is None
    assert kinds(result) == ["optimizer_stateless"]


def test_the_courses_last_epoch_is_one_epoch_late_on_a_step_lr():
    """Five epochs done: the uninterrupted StepLR's last_epoch is 5, the course sets it to the
    saved loop index 4, so the rate falls one epoch late: epoch 7 trains at 0.01, not 0.001."""
    whole = Trainer(COURSE)
    whole.train(epochs=STOP)
    assert whole.schedule.last_epoch == STOP and ck.state(whole)["epoch"] == STOP - 1
    result = ck.resume(COURSE, EPOCHS, STOP, ck.Restore(scheduler="last_epoch"))
    assert result.parted == 7
    assert result.causes == (ck.Cause("lr", {"epoch": 7, "resumed": 0.01,
                                             "uninterrupted": pytest.approx(0.001),
                                             "epochs": 1}),)


def test_a_fresh_scheduler_keeps_the_rate_it_finds():
    result = ck.resume(COURSE, EPOCHS, STOP, ck.Restore(scheduler="fresh"))
    assert result.parted == 7
    (cause,) = result.causes
    assert (cause.key, cause.params["epoch"], cause.params["epochs"]) == ("lr", 7, EPOCHS - 6)


def test_without_the_random_state_the_batch_order_differs():
    result = ck.resume(COURSE, EPOCHS, STOP, ck.Restore(random_state=False))
    assert result.parted == STOP + 1
    (cause,) = result.causes
    assert cause.key == "batch_order" and cause.params["epoch"] == STOP + 1
    # the new run's generator starts where the fresh run's did: its order is epoch 1's
    fresh = Trainer(COURSE)
    first = torch.randperm(len(fresh.x_train), generator=fresh.generator)
    whole = Trainer(COURSE)
    whole.train(epochs=STOP)
    later = torch.randperm(len(whole.x_train), generator=whole.generator)
    assert cause.params["moved"] == int((first != later).sum()) > 0


# ---- uploads ---------------------------------------------------------------------------------

def saved(value) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


def refused(data: bytes, parts=ck.EVERYTHING, config=COURSE) -> InputError:
    with pytest.raises(InputError) as caught:
        ck.resume(config, EPOCHS, STOP, parts, uploaded=("upload.pt", data))
    assert "upload.pt" in str(caught.value)
    return caught.value


def test_a_downloaded_checkpoint_uploaded_again_resumes_the_same_run():
    own = ck.resume(COURSE, EPOCHS, STOP, ck.EVERYTHING)
    again = ck.resume(COURSE, EPOCHS, STOP, ck.EVERYTHING, uploaded=("c.pt", own.checkpoint))
    assert again.parted is None and again.stop == STOP
    loaded = torch.load(io.BytesIO(own.checkpoint), weights_only=True)
    assert set(loaded) == {"model_state_dict", "optimizer_state_dict", "scheduler_state_dict",
                           "rng_state", "epoch", "loss"}


def test_a_bare_state_dict_starts_from_epoch_zero():
    model = Trainer(COURSE).model
    result = ck.resume(COURSE, EPOCHS, STOP, ck.MODEL_ONLY,
                       uploaded=("weights.pt", saved(model.state_dict())))
    assert result.stop == 0


def test_random_bytes_are_refused():
    error = refused(os.urandom(4096))
    assert error.key == "error.inside.file_unreadable"
    assert refused(b"").key == "error.inside.file_empty"
    assert refused(b"PK\x03\x04 not a zip").key == "error.inside.file_unreadable"


class WritesAFile:
    """A pickle that, loaded without weights_only, creates a file: open(path, "w")."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


@pytest.mark.parametrize("how, key", [
    ("torch.save", "error.inside.file_code"),
    ("pickle protocol 2", "error.inside.file_code"),
    # torch's reader does not read protocol 4's frames: refused before any global is looked at
    ("pickle protocol 4", "error.inside.file_unreadable"),
])
def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(tmp_path, how, key):
    target = tmp_path / "ran"
    payload = {"model_state_dict": WritesAFile(target), "epoch": 1}
    data = saved(payload) if how == "torch.save" else pickle.dumps(payload,
                                                                   protocol=int(how[-1]))
    pickle.loads(pickle.dumps(WritesAFile(tmp_path / "proof"))).close()  # what it would do
    assert (tmp_path / "proof").exists()
    error = refused(data)
    assert error.key == key
    if key == "error.inside.file_code":
        assert error.params["what"] == "io.open"  # open, as pickle names it
    assert not target.exists()


def test_another_networks_state_dict_is_refused_by_name():
    other = Trainer(validate(replace(COURSE, widths=(4,)))[0])
    error = refused(ck.save(other))
    assert error.key == "error.inside.file_shape"
    assert (error.params["entry"], error.params["theirs"], error.params["ours"]) == \
        ("0.weight", "4 × 2", "8 × 2")
    # with BatchNorm the Linear layers are modules 0, 3 and 6: this network's 2.weight is missing
    with_batchnorm = Trainer(validate(replace(COURSE, norm="BatchNorm1d"))[0])
    error = refused(ck.save(with_batchnorm))
    assert (error.key, error.params["entry"]) == ("error.inside.file_missing", "2.weight")
    own = Trainer(COURSE).model.state_dict()
    error = refused(saved(own | {"9.weight": torch.ones(1)}))
    assert (error.key, error.params["entry"]) == ("error.inside.file_extra", "9.weight")


def test_broken_parts_are_refused_by_name():
    good = torch.load(io.BytesIO(ck.resume(COURSE, EPOCHS, STOP, ck.EVERYTHING).checkpoint),
                      weights_only=True)
    cases = {
        "error.inside.file_epoch": good | {"epoch": "five"},
        "error.inside.file_lacks": {key: v for key, v in good.items() if key != "rng_state"},
        "error.inside.file_refused": good | {"rng_state": torch.zeros(3, dtype=torch.uint8)},
        "error.inside.file_no_model": {"epoch": 3},
    }
    for key, checkpoint in cases.items():
        assert refused(saved(checkpoint)).key == key
    foreign = good | {"scheduler_state_dict": good["scheduler_state_dict"] | {"optimizer": 1}}
    error = refused(saved(foreign))
    assert (error.key, error.params["part"]) == ("error.inside.file_refused",
                                                 "scheduler_state_dict")
