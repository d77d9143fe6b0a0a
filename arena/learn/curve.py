"""Learning curves as PNG pictures (Pillow, which imageio already brings): steps -> score, one
line per run (the median of its evaluation seeds) with the spread (min to max) shaded."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

W, H, PAD = 720, 420, 56
COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]


def read_eval(path: Path) -> list[tuple[int, float, float, float]]:
    """(steps, median, min, max) of the score over the seeds of each evaluation in an eval.csv."""
    by_step: dict[int, list[float]] = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            by_step[int(row["steps"])].append(float(row["score"]))
    out = []
    for s in sorted(by_step):
        v = sorted(by_step[s])
        n = len(v)
        med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
        out.append((s, med, v[0], v[-1]))
    return out


def across(runs: dict[str, list[tuple[int, float, float, float]]]) -> list[tuple[int, float, float, float]]:
    """Across training runs: at each evaluation step that every run has, (steps, median, min, max)
    of the runs' own medians (the spread over training seeds, not over evaluation seeds)."""
    meds = [{s: m for s, m, _, _ in r} for r in runs.values()]
    common = sorted(set.intersection(*(set(m) for m in meds))) if meds else []
    out = []
    for s in common:
        v = sorted(m[s] for m in meds)
        n = len(v)
        out.append((s, v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2, v[0], v[-1]))
    return out


def plot(runs: dict[str, list[tuple[int, float, float, float]]], path: Path, title: str,
         y_max: float | None = None, thin: dict[str, list[tuple[int, float, float, float]]] | None = None,
         legend: str = "score: median over eval seeds, band: min-max") -> None:
    """One PNG: each run's median line and its min-max band, axes labelled in steps and points;
    `thin` runs are drawn as thin median lines without a band (e.g. the runs behind `across`)."""
    from PIL import Image, ImageDraw

    thin = thin or {}
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    pts = [p for r in runs.values() for p in r] + [(s, m, m, m) for r in thin.values() for s, m, _, _ in r]
    x_max = max([p[0] for p in pts] + [1])
    top = y_max if y_max is not None else max([p[3] for p in pts] + [1.0])
    bottom = min([p[2] for p in pts] + [0.0])
    span = (top - bottom) or 1.0

    def xy(step: float, y: float) -> tuple[float, float]:
        return PAD + (W - 2 * PAD) * step / x_max, H - PAD - (H - 2 * PAD) * (y - bottom) / span

    d.rectangle([PAD, PAD, W - PAD, H - PAD], outline="black")
    for k in range(6):
        y = bottom + span * k / 5
        d.text((4, xy(0, y)[1] - 6), f"{y:.0f}", fill="black")
        d.line([PAD, xy(0, y)[1], W - PAD, xy(0, y)[1]], fill=(225, 225, 225))
        s = x_max * k / 5
        d.text((xy(s, bottom)[0] - 16, H - PAD + 6), f"{s / 1000:.0f}k", fill="black")
    d.text((W // 2 - 20, H - 22), "env steps", fill="black")
    d.text((PAD, 18), f"{title}  ({legend})", fill="black")
    for i, (name, r) in enumerate(runs.items()):
        c = COLORS[i % len(COLORS)]
        light = tuple(int(v + (255 - v) * 0.75) for v in c)
        if len(r) > 1:
            band = [xy(s, hi) for s, _, _, hi in r] + [xy(s, lo) for s, _, lo, _ in reversed(r)]
            d.polygon(band, fill=light)
        for a, b in zip(r, r[1:], strict=False):
            d.line([xy(a[0], a[1]), xy(b[0], b[1])], fill=c, width=2)
        for s, m, _, _ in r:
            x, y = xy(s, m)
            d.ellipse([x - 2, y - 2, x + 2, y + 2], fill=c)
        d.text((W - PAD - 150, PAD + 8 + 14 * i), name, fill=c)
    for i, (name, r) in enumerate(thin.items()):  # over the bands, so that they stay visible
        c = COLORS[(i + len(runs)) % len(COLORS)]
        for a, b in zip(r, r[1:], strict=False):
            d.line([xy(a[0], a[1]), xy(b[0], b[1])], fill=c, width=1)
        d.text((W - PAD - 150, PAD + 8 + 14 * (i + len(runs))), name, fill=c)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
