"""The overlay on replay video frames: who and where, the simulated time, the score so far, and
each robot's trail drawn into the 3D picture."""

from __future__ import annotations

import numpy as np

from arena.view.camera import Camera
from arena.view.canvas import DIM, INK, Canvas

# one colour per player: trails, swatches, plot lines
PLAYER_COLORS = ((255, 140, 0), (40, 160, 255), (230, 60, 200), (60, 200, 90))
BOX = (16, 18, 24, 185)


def trail(c: Canvas, cam: Camera, xy: np.ndarray, color, width: int = 3) -> None:
    """A path on the floor (N x 2, m) projected into the picture; pieces behind the camera skipped."""
    if len(xy) < 2:
        return
    pts = np.column_stack([xy, np.full(len(xy), 0.004)])
    px, front = cam.project(pts, c.w, c.h)
    run: list = []
    for p, ok in zip(px, front, strict=True):
        if ok and np.all(np.abs(p) < 4 * max(c.w, c.h)):
            run.append(p)
        else:
            c.lines(run, color, width)
            run = []
    c.lines(run, color, width)


def header(c: Canvas, trace, k: int, view: str) -> None:
    """Top left: world, seed, players; top right: time and score so far; bottom: time bar."""
    t, limit = trace.time(k), trace.time_limit
    lines = [f"{trace.world}   seed {trace.seed}   ({view} camera)"]
    rows = [(f"{pl.agent} ({pl.robot})", PLAYER_COLORS[i % len(PLAYER_COLORS)]) for i, pl in enumerate(trace.players)]
    h = 30 + 22 * len(rows)
    c.rect(8, 8, 360, h, BOX)
    c.text(lines[0], 16, 14, size=22, bold=True)
    for j, (label, col) in enumerate(rows):
        c.rect(16, 40 + 22 * j, 12, 12, col)
        c.text(label, 34, 38 + 22 * j, size=20)
    # score so far, per player, with the terms that have points
    w = 250
    top = 8
    c.rect(c.w - w - 8, top, w, 30 + 22 * len(trace.players) + 18 * _term_rows(trace, k), BOX)
    c.text(f"t = {t:6.2f} s / {limit:g} s", c.w - 16, top + 6, size=22, anchor="tr", bold=True)
    y = top + 32
    for i, pl in enumerate(trace.players):
        col = PLAYER_COLORS[i % len(PLAYER_COLORS)]
        c.text(f"score {pl.totals[k]:8.2f}", c.w - 16, y, size=22, color=col, anchor="tr", bold=True)
        y += 22
        for name, pts in pl.terms[k].items():
            if abs(pts) > 1e-9:
                c.text(f"{name} {pts:+.1f}", c.w - 16, y, size=18, color=DIM, anchor="tr")
                y += 18
    frac = 0.0 if limit <= 0 else min(1.0, t / limit)
    c.rect(0, c.h - 6, c.w, 6, (40, 40, 48))
    c.rect(0, c.h - 6, int(c.w * frac), 6, INK)


def _term_rows(trace, k: int) -> int:
    return sum(1 for pl in trace.players for pts in pl.terms[k].values() if abs(pts) > 1e-9)
