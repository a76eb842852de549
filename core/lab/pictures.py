"""The Playground's pictures: the decision surface with its points, and each neuron's output over
the plane, as RGB images; the network drawn as SVG with each neuron's picture in it."""

from __future__ import annotations

import base64
import functools
import io

import torch

from core.lab.train import EXTENT, Data, Trainer

NEGATIVE = torch.tensor([245.0, 147.0, 34.0])  # the Playground's orange (class 0, negative)
POSITIVE = torch.tensor([8.0, 119.0, 189.0])  # and blue (class 1, positive)
WHITE = torch.tensor([255.0, 255.0, 255.0])
SURFACE_PIXELS = 320


def colours(values: torch.Tensor) -> torch.Tensor:
    """values in [-1, 1] (clipped) -> H x W x 3 floats: orange through white to blue."""
    v = values.clamp(-1, 1).nan_to_num(0.0)[..., None]
    return torch.where(v >= 0, WHITE + (POSITIVE - WHITE) * v, WHITE + (NEGATIVE - WHITE) * -v)


def signed(values: torch.Tensor, centre: float, scale: float) -> torch.Tensor:
    return (values - centre) / scale if scale > 0 else values * 0


def surface(trainer: Trainer, prediction: torch.Tensor) -> str:
    """The decision surface as SVG: the prediction over the plane (GRID-square, stretched), the
    training points (dark edge) and test points (white edge) in their label's colour."""
    labels = trainer.data.labels
    if trainer.data.task == "classification":
        shade = colours(signed(prediction, 0.5, 0.5) * 0.6)  # pale, so the points stand out
    else:
        scale = float(labels.abs().max()) if len(labels) else 1.0
        shade = colours(signed(prediction, 0.0, scale) * 0.6)
    size = SURFACE_PIXELS
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            f'viewBox="0 0 {size} {size}">'
            f'<image width="{size}" height="{size}" preserveAspectRatio="none" '
            f'href="{data_uri(shade.round().to(torch.uint8))}"/>'
            f"{points_svg(trainer.data)}</svg>")


@functools.lru_cache(maxsize=32)
def points_svg(data: Data) -> str:
    """The points as SVG circles, drawn once per draw of the data (they never move while the
    network trains; Data is hashed by identity)."""
    labels = data.labels
    if data.task == "classification":
        point_values = labels * 2 - 1
    else:
        scale = float(labels.abs().max()) if len(labels) else 1.0
        point_values = labels / scale if scale > 0 else labels
    size = SURFACE_PIXELS
    fill = colours(point_values).round().int().tolist()
    place = ((data.points + EXTENT) / (2 * EXTENT) * size).tolist()
    parts = []
    for indices, edge in ((data.train, "#333"), (data.test, "#fff")):
        for i in indices.tolist():
            (x, y), (r, g, b) = place[i], fill[i]
            parts.append(f'<circle cx="{x:.1f}" cy="{size - y:.1f}" r="3" '
                         f'fill="rgb({r},{g},{b})" stroke="{edge}" stroke-width="1"/>')
    return "".join(parts)


def data_uri(image: torch.Tensor) -> str:
    """An H x W x 3 uint8 image as a data: URI. BMP, not PNG: Pillow's PNG encoder took 7-12 ms
    for the neuron pictures, too slow for ten redraws a second; BMP takes 0.3 ms."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image.numpy()).save(buffer, format="BMP")
    return "data:image/bmp;base64," + base64.b64encode(buffer.getvalue()).decode()


def network_svg(trainer: Trainer, neurons: list[list[torch.Tensor]]) -> str:
    """Columns of neuron pictures (the input features, then each hidden layer), joined by the
    weights: a line's width is the weight's magnitude, blue positive, orange negative. The columns
    are headed x, h1, h2, … in any language: an image cannot use the page's shipped font, so
    Chinese words here would be empty boxes on a machine without CJK fonts (the page's caption
    names them).

    The pictures are one image (a row of square tiles, each neuron scaled by its own largest
    magnitude) that each neuron's frame crops: one image to encode per redraw, not one each."""
    size, gap_y = 36, 46
    gap_x = 110 if len(neurons) <= 5 else 70  # deep networks: closer columns, same pictures
    weights = [layer.weight.detach() for layer in trainer.model
               if isinstance(layer, torch.nn.Linear)]
    tallest = max(len(column) for column in neurons)
    height = tallest * gap_y + 30
    width = len(neurons) * gap_x + 20
    centres = [[(20 + i * gap_x, 24 + (tallest - len(column)) * gap_y / 2 + j * gap_y)
                for j in range(len(column))] for i, column in enumerate(neurons)]
    tiles = [values for column in neurons for values in column]
    # every second cell: a quarter of the bytes sent per redraw, still sharp at 36 pixels
    stacked = torch.stack(tiles)[:, ::2, ::2]
    cells = stacked.shape[1]
    scale = stacked.abs().flatten(1).max(1).values.clamp(min=1e-30)[:, None, None]
    mosaic = colours(stacked / scale).round().to(torch.uint8).permute(1, 0, 2, 3)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" '
             f'xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<defs><image id="m" width="{cells * len(tiles)}" height="{cells}" '
             f'href="{data_uri(mosaic.reshape(cells, cells * len(tiles), 3))}" '
             'style="image-rendering:pixelated"/></defs>']
    for i, w in enumerate(weights[:len(neurons) - 1]):
        biggest = float(w.abs().max()) or 1.0
        for j, (x1, y1) in enumerate(centres[i + 1]):
            for k, (x0, y0) in enumerate(centres[i]):
                value = float(w[j, k])
                colour = "#0877bd" if value >= 0 else "#f59322"
                parts.append(f'<line x1="{x0 + size}" y1="{y0 + size / 2}" x2="{x1}" '
                             f'y2="{y1 + size / 2}" stroke="{colour}" stroke-opacity="0.7" '
                             f'stroke-width="{0.3 + 3 * abs(value) / biggest:.2f}"/>')
    tile = 0
    for i, column in enumerate(neurons):
        for j in range(len(column)):
            x, y = centres[i][j]
            parts.append(f'<svg x="{x}" y="{y}" width="{size}" height="{size}" '
                         f'viewBox="{tile * cells} 0 {cells} {cells}"><use href="#m"/></svg>'
                         f'<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="none" '
                         f'stroke="#555" stroke-width="0.5"/>')
            tile += 1
        parts.append(f'<text x="{centres[i][0][0]}" y="14">{f"h{i}" if i else "x"}</text>')
    parts.append("</svg>")
    return "".join(parts)
