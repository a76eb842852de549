"""Time the regularisation lesson's computations single-threaded, as the app runs them: the
course's two networks trained their 2,000 iterations (the page's Pair, and the course's own code
with its two per-tensor SGDs, for the ratio), the largest run the bounds allow, weight decay four
ways and Dropout's scaling. With --browser, how many times a second the page redraws while it
plays in chromium, beside the training lab's in the same run (its target: 10).

Run: python -m bench.regularisation [--browser] [--seconds 5]
Target: 2,000 iterations in under 2 s."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from bench.timing import median_ms, peak_growth_mb
from core.regularisation import decay, fit, scaling


def trained(config: fit.FitConfig) -> fit.Pair:
    pair = fit.Pair(config)
    pair.train()
    return pair


def course_code(config: fit.FitConfig) -> None:
    """The course's loop as its code writes it: two nn.Sequential, two SGDs (per tensor)."""
    g = torch.Generator().manual_seed(config.seed)
    data = fit.draw_data(g)
    nets = [fit.build(config.width, 0.0, g), fit.build(config.width, config.dropout, g)]
    optimisers = [torch.optim.SGD(net.parameters(), lr=config.lr, momentum=config.momentum,
                                  weight_decay=decay)
                  for net, decay in zip(nets, (0.0, config.weight_decay), strict=True)]
    loss = torch.nn.MSELoss()
    for _ in range(config.iterations):
        losses = [loss(net(data["x"]), data["train_y"]) for net in nets]
        for optimiser, value in zip(optimisers, losses, strict=True):
            optimiser.zero_grad()
            value.backward()
            optimiser.step()


def computations() -> None:
    torch.set_num_threads(1)  # as app.py runs it
    largest = replace(fit.FitConfig(), iterations=3000, width=256, dropout=0.5)
    grown = peak_growth_mb(lambda: trained(largest))  # first, before anything raised the peak
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread")
    for name, config in (("weight decay (lesson 24)", fit.WEIGHT_DECAY_EXAMPLE),
                         ("dropout (lesson 25)", fit.DROPOUT_EXAMPLE)):
        page = median_ms(lambda config=config: trained(config), 5)
        course = median_ms(lambda config=config: course_code(config), 5)
        print(f"{name}: 2,000 iterations of both networks in {page / 1000:.2f} s median "
              f"(the course's own loop: {course / 1000:.2f} s, {course / page:.2f}x)")
    print(f"largest allowed (3,000 iterations, width 256, dropout): "
          f"{median_ms(lambda: trained(largest), 3) / 1000:.2f} s, peak memory +{grown:.0f} MB")
    pair = trained(fit.WEIGHT_DECAY_EXAMPLE)
    for name, view in (("fits", pair.fits), ("losses, 400 points", lambda: pair.losses(400)),
                       ("weight norms", pair.norms), ("histograms", pair.weight_histograms)):
        print(f"  a redraw's {name}: {median_ms(view, 21):.2f} ms median")
    most = decay.DecayConfig(steps=300)  # the bound
    print(f"weight decay four ways, {decay.DecayConfig().steps} steps each: "
          f"{median_ms(lambda: decay.run(decay.DecayConfig()), 5):.0f} ms median; at "
          f"{most.steps} steps: {median_ms(lambda: decay.run(most), 3):.0f} ms")
    largest_scaling = scaling.ScalingConfig(inputs=100_000)
    print(f"Dropout's scaling: {median_ms(lambda: scaling.run(scaling.ScalingConfig()), 21):.2f}"
          f" ms median; 100,000 inputs: "
          f"{median_ms(lambda: scaling.run(largest_scaling), 5):.1f} ms")


def browser(seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    from bench.playing import redraws, report
    from bench.protocol import server
    from harness.browser import CHROMIUM, CHROMIUM_ARGS, Tab

    app = server()
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"playing in chromium, {seconds:g} s each (target: 10 redraws a second):")
            for name, path in (("training lab", "lab"), ("regularisation", "regularisation")):
                tab = Tab(chromium).open(f"{app.url}/{path}")
                started = time.monotonic()
                report(name, redraws(tab, seconds), seconds)
                tab.page.close()
                print(f"    ({time.monotonic() - started:.0f} s)")
            chromium.close()
    finally:
        app.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.regularisation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--browser", action="store_true", help="also redraws while playing")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    computations()
    if args.browser:
        browser(args.seconds)


if __name__ == "__main__":
    main()
