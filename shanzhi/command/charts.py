"""Charts drawn on the server as inline SVG: no script and no CDN, readable on a phone and
on the wall screen, and printable."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Line:
    label: str
    colour: str
    points: str  # "x,y x,y ..." for <polyline>
    values: list[int]


@dataclass
class Chart:
    width: int
    height: int
    labels: list[tuple[float, str]]  # x and text of each axis label
    lines: list[Line]
    bars: list[tuple[float, float, float, float, int]]  # x, y, width, height, value
    top: int
    colour: str = "#1565c0"


WIDTH, HEIGHT, PAD = 640, 240, 32


def _scale(values: list[int]) -> int:
    top = max(values, default=0)
    return max(top, 1)


def _xs(n: int) -> list[float]:
    if n <= 1:
        return [PAD + (WIDTH - 2 * PAD) / 2]
    step = (WIDTH - 2 * PAD) / (n - 1)
    return [round(PAD + i * step, 1) for i in range(n)]


def _y(value: int, top: int) -> float:
    return round(HEIGHT - PAD - value / top * (HEIGHT - 2 * PAD), 1)


def lines(labels: list[str], series: list[tuple[str, list[int], str]]) -> Chart:
    """Several series over the same labels (this period and a year earlier)."""
    top = _scale([v for _label, values, _colour in series for v in values])
    xs = _xs(len(labels))
    every = max(1, len(labels) // 6)
    return Chart(WIDTH, HEIGHT, [(x, t) for i, (x, t) in enumerate(zip(xs, labels, strict=True)) if i % every == 0],
                 [Line(str(label), colour, " ".join(f"{x},{_y(v, top)}" for x, v in zip(xs, values, strict=True)),
                       values) for label, values, colour in series], [], top)


def bars(labels: list[str], values: list[int], colour: str) -> Chart:
    top = _scale(values)
    n = max(len(values), 1)
    slot = (WIDTH - 2 * PAD) / n
    out = []
    for i, v in enumerate(values):
        y = _y(v, top)
        out.append((round(PAD + i * slot + slot * 0.1, 1), y, round(slot * 0.8, 1), round(HEIGHT - PAD - y, 1), v))
    every = max(1, n // 7)
    return Chart(WIDTH, HEIGHT, [(round(PAD + i * slot + slot / 2, 1), t) for i, t in enumerate(labels)
                                 if i % every == 0], [], out, top, colour)
