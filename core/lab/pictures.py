"""The Playground's pictures: the decision surface with its points, and each neuron's output over
the plane, as RGB images; the network drawn as SVG with each neuron's picture in it."""

from __future__ import annotations

import base64
import io

import torch

from core.lab.train import EXTENT, GRID, Trainer

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


def surface(trainer: Trainer, prediction: torch.Tensor) -> torch.Tensor:
    """The decision surface (SURFACE_PIXELS square, uint8 RGB) with the training points (dark
    outline) and test points (white outline) in their label's colour."""
    labels = trainer.data.labels
    if trainer.data.task == "classification":
        shade = colours(signed(prediction, 0.5, 0.5) * 0.6)  # pale, so the points stand out
        point_values = labels * 2 - 1
    else:
        scale = float(labels.abs().max()) if len(labels) else 1.0
        shade = colours(signed(prediction, 0.0, scale) * 0.6)
        point_values = labels / scale if scale > 0 else labels
    repeat = SURFACE_PIXELS // GRID
    image = shade.repeat_interleave(repeat, 0).repeat_interleave(repeat, 1)
    size = image.shape[0]
    pixel = ((trainer.data.points + EXTENT) / (2 * EXTENT) * (size - 1)).round().long()
    column, row = pixel[:, 0].clamp(2, size - 3), (size - 1 - pixel[:, 1]).clamp(2, size - 3)
    fill = colours(point_values)
    for indices, outline in ((trainer.data.train, torch.tensor([40.0, 40.0, 40.0])),
                             (trainer.data.test, WHITE)):
        r, c, f = row[indices], column[indices], fill[indices]
        for dr in (-2, -1, 0, 1, 2):
            for dc in (-2, -1, 0, 1, 2):
                edge = abs(dr) == 2 or abs(dc) == 2
                image[r + dr, c + dc] = outline if edge else f
    return image.round().to(torch.uint8)


def neuron(values: torch.Tensor) -> torch.Tensor:
    """One neuron's output over the plane, scaled by its largest magnitude there."""
    scale = float(values.abs().max())
    return colours(signed(values, 0.0, scale)).round().to(torch.uint8)


def png(image: torch.Tensor) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image.numpy()).save(buffer, format="PNG")
    return buffer.getvalue()


def network_svg(trainer: Trainer, neurons: list[list[torch.Tensor]], labels: list[str]) -> str:
    """Columns of neuron pictures (the input features, then each hidden layer), joined by the
    weights: a line's width is the weight's magnitude, blue positive, orange negative."""
    size, gap_x, gap_y = 36, 110, 46
    weights = [layer.weight.detach() for layer in trainer.model
               if isinstance(layer, torch.nn.Linear)]
    tallest = max(len(column) for column in neurons)
    height = tallest * gap_y + 30
    width = len(neurons) * gap_x + 20
    centres = [[(20 + i * gap_x, 24 + (tallest - len(column)) * gap_y / 2 + j * gap_y)
                for j in range(len(column))] for i, column in enumerate(neurons)]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">']
    for i, w in enumerate(weights[:len(neurons) - 1]):
        biggest = float(w.abs().max()) or 1.0
        for j, (x1, y1) in enumerate(centres[i + 1]):
            for k, (x0, y0) in enumerate(centres[i]):
                value = float(w[j, k])
                colour = "#0877bd" if value >= 0 else "#f59322"
                parts.append(f'<line x1="{x0 + size}" y1="{y0 + size / 2}" x2="{x1}" '
                             f'y2="{y1 + size / 2}" stroke="{colour}" stroke-opacity="0.7" '
                             f'stroke-width="{0.3 + 3 * abs(value) / biggest:.2f}"/>')
    for i, column in enumerate(neurons):
        for j, values in enumerate(column):
            x, y = centres[i][j]
            data = base64.b64encode(png(neuron(values))).decode()
            parts.append(f'<image x="{x}" y="{y}" width="{size}" height="{size}" '
                         f'href="data:image/png;base64,{data}" style="image-rendering:pixelated"/>')
            parts.append(f'<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="none" '
                         f'stroke="#555" stroke-width="0.5"/>')
        parts.append(f'<text x="{centres[i][0][0]}" y="14">{labels[i]}</text>')
    parts.append("</svg>")
    return "".join(parts)
