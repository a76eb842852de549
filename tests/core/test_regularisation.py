"""The regularisation lesson's computations against plain PyTorch: the course's own code (its
lessons 24 and 25, written out here as the course writes it, with torch's global generator after
torch.manual_seed), the shown scripts, Dropout's scaling, and weight decay four ways."""

import contextlib
import copy
import math
from dataclasses import replace

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.errors import InputError
from core.lab.train import one_thread
from core.regularisation import decay, fit, scaling
from harness.scripts import printed_lines, run_script


@pytest.fixture(autouse=True)
def single_thread():
    """torch on one thread, as the app runs it (and the course's code here too: many threads
    on a busy 2-core machine made each small step wait for the others)."""
    with one_thread():
        yield


def course_mlp(neural_num: int, d_prob: float | None) -> nn.Sequential:
    """The course's MLP: lesson 24's, or lesson 25's with its Dropout layers (d_prob given)."""
    layers = [nn.Linear(1, neural_num), nn.ReLU(inplace=True)]
    for fan_out in (neural_num, neural_num, 1):
        layers += ([nn.Dropout(d_prob)] if d_prob is not None else []) + [
            nn.Linear(neural_num, fan_out)]
        if fan_out != 1:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def course_run(config: fit.FitConfig) -> list[tuple]:
    """The course's training loop for config: (iteration, each net's training loss there, each
    net's test loss in eval() after its step) at every display step."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        x = torch.linspace(-1, 1, 10).unsqueeze_(1)
        train_y = 1.5 * x + torch.normal(0, 0.5, size=x.size())
        test_y = 1.5 * x + torch.normal(0, 0.3, size=x.size())
        d_prob = config.dropout if config.dropout else None
        nets = [course_mlp(config.width, 0.0 if d_prob else None),
                course_mlp(config.width, d_prob)]
        optims = [torch.optim.SGD(nets[0].parameters(), lr=config.lr, momentum=config.momentum),
                  torch.optim.SGD(nets[1].parameters(), lr=config.lr, momentum=config.momentum,
                                  weight_decay=config.weight_decay)]
        loss_func = nn.MSELoss()
        shown = []
        for epoch in range(config.iterations):
            losses = [loss_func(net(x), train_y) for net in nets]
            for optim in optims:
                optim.zero_grad()
            for loss in losses:
                loss.backward()
            for optim in optims:
                optim.step()
            if (epoch + 1) % config.every == 0:
                for net in nets:
                    net.eval()
                tests = [loss_func(net(x), test_y).item() for net in nets]
                for net in nets:
                    net.train()
                shown.append((epoch + 1, losses[0].item(), losses[1].item(), *tests))
        return shown


def trained(config: fit.FitConfig, **chunks) -> fit.Pair:
    pair = fit.Pair(fit.validate(config)[0])
    pair.train(**chunks)
    return pair


def shown(pair: fit.Pair) -> list[tuple]:
    return [(row["iteration"], row["train_plain"], row["train_regularised"], row["test_plain"],
             row["test_regularised"]) for row in pair.display()]


EXAMPLES = {"lesson 24": fit.WEIGHT_DECAY_EXAMPLE, "lesson 25": fit.DROPOUT_EXAMPLE}


@pytest.fixture(scope="module")
def course_pairs():
    """Each course example trained to its 2,000 iterations, once for the module."""
    with one_thread():
        return {name: trained(config) for name, config in EXAMPLES.items()}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_course_demos_print_the_course_codes_numbers_bit_for_bit(course_pairs, name):
    """Both sides run the same kernels on this CPU (and both change together under
    ATEN_CPU_CAPABILITY=default), so every number is equal to the bit, after 2,000 iterations."""
    config, pair = EXAMPLES[name], course_pairs[name]
    assert pair.iteration == 2000
    assert shown(pair) == course_run(config)
    assert [row[0] for row in shown(pair)] == list(range(config.every, 2001, config.every))


def test_the_course_numbers_on_every_cpu(course_pairs):
    """After 200 float32 iterations the low digits already depend on the CPU (this machine's
    AVX2 kernels print 0.045122 where torch's portable ones print 0.045278), and the dropout
    run's random masks carry the difference on: two significant digits at the first display
    step, then the course's story, which every CPU tells alike: without weight decay the loss
    falls below 1e-6, with it the loss stays near 0.036."""
    display = course_pairs["lesson 24"].display()
    assert (display[0]["train_plain"], display[0]["train_regularised"]) == pytest.approx(
        (0.045, 0.047), abs=5e-4)
    assert display[-1]["train_plain"] < 1e-6
    assert display[-1]["test_plain"] > 1.3 * display[0]["test_plain"]  # it learned the noise
    assert display[-1]["train_regularised"] == pytest.approx(0.036, abs=1e-3)
    dropout = course_pairs["lesson 25"].display()
    assert dropout[0]["train_plain"] == pytest.approx(0.0295, abs=1e-4)
    assert all(row["train_regularised"] > 4 * row["train_plain"] for row in dropout)


def test_chunks_train_as_one_run_does():
    config = replace(fit.WEIGHT_DECAY_EXAMPLE, iterations=300, every=100, dropout=0.3)
    whole = trained(config)
    chunked = fit.Pair(config)
    while not chunked.done:
        chunked.train(iterations=7)
    assert shown(chunked) == shown(whole)
    assert chunked.losses().equals(whole.losses())


def test_a_twin_trains_on_as_the_original_does():
    config = replace(fit.DROPOUT_EXAMPLE, iterations=200, every=50)
    pair = trained(config, iterations=60)
    twin = copy.deepcopy(pair)
    pair.train()
    twin.train()
    assert shown(twin) == shown(pair) and twin.iteration == 200


def test_the_script_prints_the_pages_numbers():
    config = replace(fit.DROPOUT_EXAMPLE, iterations=800)
    pair = trained(config)
    printed = printed_lines(fit.to_script(config))
    names = fit.names(config)
    expected = []
    for row, lines in zip(pair.display(), [fit.console(config, [r]) for r in pair.display()],
                          strict=True):
        expected += lines + [f"test: {names[0]} loss={row['test_plain']:.6f}, "
                             f"{names[1]} loss={row['test_regularised']:.6f}"]
    assert printed == expected


def test_weight_decay_keeps_every_layers_weights_smaller():
    """Every layer ends smaller than the plain net's; the hidden layers shrink below where they
    started (the output layer grows: it has a line to learn)."""
    norms = trained(fit.WEIGHT_DECAY_EXAMPLE, iterations=1000).norms()
    last = norms[norms["iteration"] == 1000].pivot(index="layer", columns="net", values="norm")
    assert (last["regularised"] < last["plain"]).all()
    first = norms[norms["iteration"] == 0].pivot(index="layer", columns="net", values="norm")
    assert (last["regularised"] < first["regularised"]).tolist() == [True, True, True, False]


def test_histograms_at_each_display_step_hold_every_weight():
    config = replace(fit.WEIGHT_DECAY_EXAMPLE, iterations=400)
    pair = trained(config)
    histograms = pair.weight_histograms()
    assert sorted(histograms["iteration"].unique()) == [0, 200, 400]
    for (iteration, net, layer), rows in histograms.groupby(["iteration", "net", "layer"]):
        linear = fit.linears(pair.nets[fit.NETS.index(net)])[layer - 1]
        width = rows["weight"].diff().iloc[1]
        # density x bin width sums to 1: every weight counted once
        assert (rows["density"] * width).sum() == pytest.approx(1.0, rel=1e-9)
        assert iteration < 400 or rows["weight"].max() <= linear.weight.max().item()


def test_a_diverging_run_is_recorded_not_raised():
    pair = trained(replace(fit.WEIGHT_DECAY_EXAMPLE, lr=1.0, iterations=60, every=20))
    losses = pair.losses()
    assert not losses["value"].map(math.isfinite).all()
    assert pair.weight_histograms()["iteration"].max() < 60  # none of non-finite weights


def test_the_curves_are_the_networks_in_eval_mode():
    pair = trained(replace(fit.DROPOUT_EXAMPLE, iterations=50), iterations=50)
    curves = pair.fits()
    net = copy.deepcopy(pair.nets[1]).eval()
    x = torch.linspace(-1, 1, fit.GRID).unsqueeze(1)
    with torch.no_grad():
        assert curves[curves["net"] == "regularised"]["y"].tolist() == net(x).flatten().tolist()


@pytest.mark.parametrize(("field", "value", "used"), [
    ("lr", 1e9, 1.0), ("iterations", -5, 1), ("width", 10**6, 256), ("dropout", 1.5, 0.9)])
def test_out_of_range_settings_are_clamped_with_a_notice(field, value, used):
    config, notices = fit.validate(replace(fit.FitConfig(), **{field: value}))
    assert getattr(config, field) == used
    assert [n.params["field"] for n in notices] == [field]


def test_a_letter_is_refused_naming_the_field():
    with pytest.raises(InputError, match="weight_decay"):
        fit.validate(replace(fit.FitConfig(), weight_decay="abc"))


# ---- Dropout's scaling ---------------------------------------------------------------------

@contextlib.contextmanager
def course_dropout_net(config: scaling.ScalingConfig):
    """The course's dropout_layer.py net and input, with torch's global generator seeded (and
    put back as it was afterwards)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        net = nn.Sequential(nn.Dropout(config.p), nn.Linear(config.inputs, 1, bias=False),
                            nn.ReLU(inplace=True))
        net[1].weight.detach().fill_(1.0)
        yield net, torch.ones(config.inputs)


def course_dropout_layer(config: scaling.ScalingConfig) -> tuple[float, float]:
    """The course's outputs in train() and in eval()."""
    with course_dropout_net(config) as (net, x):
        train = net(x).item()
        net.eval()
        return train, net(x).item()


def test_the_course_dropout_layer_doubles_what_it_keeps():
    config = scaling.ScalingConfig()
    result = scaling.run(config)
    assert (result.train_output, result.eval_output) == course_dropout_layer(config)
    assert result.train_output == 2 * result.kept == result.by_hand  # sums of 2.0: exact
    assert result.eval_output == 10000.0
    assert run_script(scaling.to_script(config)).splitlines() == [
        f"output in training mode tensor([{result.train_output:.0f}.], "
        "grad_fn=<ReluBackward0>)",
        "output in eval mode tensor([10000.], grad_fn=<ReluBackward0>)"]


@pytest.mark.parametrize("p", [0.0, 0.1, 0.3, 0.75, 0.99])
def test_other_rates_scale_by_one_over_one_minus_p(p):
    """kept × 1/(1 − p): torch sums float32 values of 1/(1 − p) and rounds as it adds (about
    20,000 additions, each off by up to half a float32 step), so the hand product (float64)
    agrees to a relative 1e-5."""
    config = scaling.ScalingConfig(p=p, inputs=20000, seed=4)
    result = scaling.run(config)
    assert (result.train_output, result.eval_output) == course_dropout_layer(config)
    assert result.train_output == pytest.approx(result.by_hand, rel=1e-5)
    assert result.scale == pytest.approx(1 / (1 - p), rel=1e-7)
    assert abs(result.kept - 20000 * (1 - p)) < 6 * math.sqrt(20000 * p * (1 - p)) + 1


# ---- Weight decay four ways ----------------------------------------------------------------

def course_start(seed: int):
    """The course's data and first network, with torch's global generator."""
    torch.manual_seed(seed)
    x = torch.linspace(-1, 1, 10).unsqueeze_(1)
    y = 1.5 * x + torch.normal(0, 0.5, size=x.size())
    torch.normal(0, 0.3, size=x.size())  # the test data, drawn before the networks
    return x, y, course_mlp(200, None)


def independent(method: str, config: decay.DecayConfig) -> list[tuple[float, float]]:
    """Each step's MSE (before the step) and the norm of every parameter after it, written
    from torch's own classes."""
    with torch.random.fork_rng(devices=[]):
        x, y, net = course_start(config.seed)
    params = list(net.parameters())
    optimiser, in_loss = decay.METHODS[method]
    kwargs = {"lr": config.sgd_lr, "momentum": config.momentum} if optimiser == "SGD" \
        else {"lr": config.adam_lr}
    opt = getattr(torch.optim, optimiser)(
        params, weight_decay=0.0 if in_loss else config.weight_decay, **kwargs)
    rows = []
    for _ in range(config.steps):
        loss = F.mse_loss(net(x), y)
        total = loss + config.weight_decay / 2 * sum((p ** 2).sum() for p in params) \
            if in_loss else loss
        opt.zero_grad()
        total.backward()
        opt.step()
        rows.append((loss.item(), torch.cat([p.detach().flatten() for p in params])
                     .double().norm().item()))
    return rows


SHORT = decay.DecayConfig(steps=40)


@pytest.mark.parametrize("method", list(decay.METHODS))
def test_each_method_is_torchs_own_optimiser_to_the_bit(method):
    steps = decay.run(SHORT).steps
    mine = steps[steps["method"] == method]
    assert list(zip(mine["loss"], mine["norm"], strict=True)) == independent(method, SHORT)


def test_weight_decay_is_the_l2_term_up_to_one_rounding():
    """In exact arithmetic SGD's weight_decay is the L2 term's gradient. Where torch's
    add(alpha=λ) rounds λ·w into the sum once (a fused multiply-add, as AVX2 kernels do), the
    runs differ from the first step in the last bits and drift apart slowly; with the portable
    kernels (ATEN_CPU_CAPABILITY=default) nothing differs and they are equal to the bit."""
    result = decay.run(decay.DecayConfig())
    sgd, adam, _ = result.pairs
    if result.fused == 0:
        assert sgd["bit_equal"] and adam["bit_equal"]
    else:
        assert sgd["largest_gap"] < 1e-6  # SGD stays within a millionth over 100 steps
        assert adam["largest_gap"] < 1e-2  # Adam divides by sqrt(v): it amplifies the rounding
    assert sgd["parted_at"] is None and adam["parted_at"] is None
    # the check itself, done independently on one tensor
    g, w = torch.tensor([0.1, -0.3]), torch.tensor([0.7, 1.9])
    assert torch.equal(g.add(w, alpha=0.5), g + w * 0.5)  # exact here: no rounding at all


def test_adamw_parts_from_adams_l2_within_a_few_steps_and_keeps_larger_weights():
    result = decay.run(decay.DecayConfig())
    parted = result.pairs[2]
    assert (parted["a"], parted["b"]) == ("adam_weight_decay", "adamw")
    assert parted["parted_at"] is not None and parted["parted_at"] <= 5
    assert parted["norm_b"] > 1.5 * parted["norm_a"]  # AdamW decays by lr·λ·w only


def test_the_rounding_count_is_what_torch_does_here():
    result = decay.run(SHORT)
    with torch.random.fork_rng(devices=[]):
        x, y, net = course_start(SHORT.seed)
    F.mse_loss(net(x), y).backward()
    differ = sum(int((p.grad.add(p.detach(), alpha=SHORT.weight_decay)
                      != p.grad + SHORT.weight_decay * p.detach()).sum())
                 for p in net.parameters())
    assert (result.fused, result.entries) == (differ, sum(p.numel() for p in net.parameters()))


def test_the_decay_script_prints_the_pages_numbers():
    result = decay.run(SHORT)
    assert printed_lines(decay.to_script(SHORT)) == [
        f"{row.method} step {row.step}: loss={row.loss}, norm={row.norm}"
        for row in result.steps.itertuples() if row.step in decay.shown_steps(SHORT)]
    assert decay.shown_steps(SHORT) == [1, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40]


def test_the_forwards_after_the_courses_are_torchs_next_masks():
    """Each further train() forward of the course's net draws a new mask: the outputs are what
    the course's script would print calling net(x) again and again."""
    config = scaling.ScalingConfig(p=0.3, inputs=5000)
    result = scaling.run(config)
    with course_dropout_net(config) as (net, x):
        outputs = [net(x).item() for _ in range(scaling.repeats(config))]
    assert result.outputs == tuple(outputs)
    assert len(outputs) == 200 and scaling.repeats(scaling.ScalingConfig(inputs=100_000)) == 20
    # on average the scaled sum is n: within 4 standard errors of it
    spread = config.inputs * config.p / (1 - config.p)
    mean = sum(outputs) / len(outputs)
    assert abs(mean - config.inputs) < 4 * math.sqrt(spread / len(outputs))
