"""Time the normalisation lesson's computations single-threaded, as the app runs them: BatchNorm's
running statistics at the course's size and at the bounds, every layer on its course tensor, and
the cube's chart (a polygon per visible cell) built and turned into its Vega-Lite spec.

Run: python -m bench.normalisation"""

from __future__ import annotations

import altair as alt
import torch

from bench.timing import median_ms
from core.charts.normalisation import cube
from core.normalisation import batchnorm, layers

NAMES = {"n": "sample", "c": "channel", "hw": "position", "N": "N", "C": "C", "HW": "H·W"}


def spec(config: layers.LayerConfig) -> dict:
    samples, channels, height, width = layers.SHAPES[config.layer]
    chart = cube((samples, channels, height * width), layers.block_box(config), NAMES,
                 title="cube", legend={"cube": "every value", "block": "together"}, height=300)
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict(validate=False)


def main() -> None:
    torch.set_num_threads(1)  # as app.py runs it
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread")
    course, largest = batchnorm.BatchNormConfig(), batchnorm.BatchNormConfig(
        batch=16, features=12, passes=10, pattern="scaled")
    for name, config in (("the course's batch", course), ("the bounds' largest", largest)):
        print(f"BatchNorm1d, {name}: {median_ms(lambda c=config: batchnorm.run(c), 21):.2f} ms "
              f"median")
    print(f"the shapes for 1d/2d/3d: {median_ms(batchnorm.shapes, 21):.2f} ms median")
    cases = [layers.LayerConfig(layer=layer) for layer in layers.LAYERS] + [
        layers.LayerConfig(normalized_shape="6, 3"), layers.LayerConfig(layer="groupnorm",
                                                                         groups=3)]
    for config in cases:
        print(f"{layers.short(config):22} {median_ms(lambda c=config: layers.run(c), 21):6.2f} ms"
              f" median; its cube's spec {median_ms(lambda c=config: spec(c), 11):6.1f} ms")


if __name__ == "__main__":
    main()
