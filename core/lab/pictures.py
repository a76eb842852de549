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
    shade = colours(_output_values(trainer, prediction) * 0.6)  # pale: the points stand out
    size = SURFACE_PIXELS
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            f'viewBox="0 0 {size} {size}">'
            f'<image width="{size}" height="{size}" preserveAspectRatio="none" '
            f'href="{data_uri(shade.round().to(torch.uint8))}"/>'
            f"{points_svg(trainer.data)}</svg>")


@functools.lru_cache(maxsize=32)
def points_svg(data: Data) -> str:
    """The points as SVG circles, drawn once per draw of the data (they never move while the
    network trains; Data is hashed by identity). The circles of one colour and edge are one path:
    500 <circle> elements cost chromium about 5 ms a picture to draw again at every redraw."""
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
        groups: dict = {}
        for i in indices.tolist():
            (x, y), (r, g, b) = place[i], fill[i]
            groups.setdefault((r, g, b), []).append(
                f"M{x:.1f},{size - y:.1f}m-3,0a3,3 0 1,0 6,0a3,3 0 1,0 -6,0")  # centre, circle
        for (r, g, b), circles in groups.items():
            parts.append(f'<path d="{"".join(circles)}" fill="rgb({r},{g},{b})" '
                         f'stroke="{edge}" stroke-width="1"/>')
    return "".join(parts)


def data_uri(image: torch.Tensor) -> str:
    """An H x W x 3 uint8 image as a data: URI. BMP, not PNG: Pillow's PNG encoder took 7-12 ms
    for the neuron pictures, too slow for ten redraws a second; BMP takes 0.3 ms."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image.numpy()).save(buffer, format="BMP")
    return "data:image/bmp;base64," + base64.b64encode(buffer.getvalue()).decode()


NEURON = 36  # pixels of a neuron's picture in the network drawing
MIN_COLUMNS = 4  # the drawing is at least as wide as the default network's (x, h1, h2, ŷ)


def network_svg(trainer: Trainer, neurons: list[list[torch.Tensor]], prediction: torch.Tensor,
                heading: float = 11) -> str:
    """Columns of neuron pictures (the input features, each hidden layer, then the output: the
    prediction over the plane, as the surface shows it), joined by the weights: a line's width is
    the weight's magnitude, blue positive, orange negative. The columns are headed x, h1, h2, …,
    ŷ in any language (heading: their font size): an image cannot use the page's shipped font,
    so Chinese words here would be empty boxes on a machine without CJK fonts (the page's caption
    names them).

    The pictures are one image (a row of square tiles, each neuron scaled by its own largest
    magnitude, the output by the surface's scale) that each neuron's frame crops: one image to
    encode per redraw, not one each."""
    size, gap_y = NEURON, 46
    columns = [*neurons, [prediction]]
    gap_x = 110 if len(columns) <= 6 else 70  # deep networks: closer columns, same pictures
    weights = [layer.weight.detach() for layer in trainer.model
               if isinstance(layer, torch.nn.Linear)]
    # The output neuron is the prediction: with two outputs (softmax over two classes) its
    # log-odds weigh each neuron by the difference of its two weights.
    last = weights[-1]
    weights[-1] = (last[1] - last[0])[None] if len(last) == 2 else last[:1]
    tallest = max(len(column) for column in columns)
    top = max(24, heading * 1.6)  # room for the headings above the pictures
    height = round(tallest * gap_y + top + 6)
    # The page fits the drawing to its column: a network of fewer layers is drawn centred on a
    # canvas as wide as the default network's, at the same scale (it was blown up to the
    # column, its two or three pictures as large as the surface).
    width = max(len(columns), MIN_COLUMNS) * gap_x + 20
    left = 20 + (width - (len(columns) * gap_x + 20)) / 2
    centres = [[(left + i * gap_x, top + (tallest - len(column)) * gap_y / 2 + j * gap_y)
                for j in range(len(column))] for i, column in enumerate(columns)]
    hidden = [values for column in neurons for values in column]
    # every second cell: a quarter of the bytes sent per redraw, still sharp at 36 pixels
    stacked = torch.stack([*hidden, _output_values(trainer, prediction)])[:, ::2, ::2]
    cells = stacked.shape[1]
    scale = stacked.abs().flatten(1).max(1).values.clamp(min=1e-30)
    scale[-1] = 1.0  # the output is already on the surface's scale
    mosaic = colours(stacked / scale[:, None, None]).round().to(torch.uint8).permute(1, 0, 2, 3)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" '
             f'xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="{heading:g}">',
             f'<defs><image id="m" width="{cells * len(stacked)}" height="{cells}" '
             f'href="{data_uri(mosaic.reshape(cells, cells * len(stacked), 3))}" '
             'style="image-rendering:pixelated"/></defs>']
    for i, w in enumerate(weights[:len(columns) - 1]):
        biggest = float(w.abs().max()) or 1.0
        for j, (x1, y1) in enumerate(centres[i + 1]):
            for k, (x0, y0) in enumerate(centres[i]):
                value = float(w[j, k])
                colour = "#0877bd" if value >= 0 else "#f59322"
                parts.append(f'<line x1="{x0 + size}" y1="{y0 + size / 2}" x2="{x1}" '
                             f'y2="{y1 + size / 2}" stroke="{colour}" stroke-opacity="0.7" '
                             f'stroke-width="{0.3 + 3 * abs(value) / biggest:.2f}"/>')
    tile = 0
    names = ["x", *(f"h{i}" for i in range(1, len(neurons))), "ŷ"]
    for i, column in enumerate(columns):
        for j in range(len(column)):
            x, y = centres[i][j]
            parts.append(f'<svg x="{x}" y="{y}" width="{size}" height="{size}" '
                         f'viewBox="{tile * cells} 0 {cells} {cells}"><use href="#m"/></svg>'
                         f'<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="none" '
                         f'stroke="#555" stroke-width="0.5"/>')
            tile += 1
        parts.append(f'<text x="{centres[i][0][0]}" y="{top - 8:g}">{names[i]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _output_values(trainer: Trainer, prediction: torch.Tensor) -> torch.Tensor:
    """The prediction in [-1, 1] as the surface colours it: class 1's probability about 0.5, or
    the value over the labels' largest magnitude."""
    if trainer.data.task == "classification":
        return signed(prediction, 0.5, 0.5)
    labels = trainer.data.labels
    scale = float(labels.abs().max()) if len(labels) else 1.0
    return signed(prediction, 0.0, scale)
