"""Sensor and motor traces over time, drawn with pygame (no matplotlib: a few line panels do not
earn a plotting library). Used by the viewer's panels and by `--plot` PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arena.errors import ArenaError
from arena.view.canvas import DIM, INK, Canvas
from arena.view.overlay import PLAYER_COLORS

AXES = (60, 62, 72)
NOW = (255, 80, 80)
UNITS = {"reflection": "%", "ambient": "%", "distance": "mm", "angle": "deg", "rate": "deg/s", "speed": "deg/s",
         "duty": "%", "pressed": "", "color": "", "voltage": "mV"}


def _nice_range(v: np.ndarray) -> tuple[float, float]:
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def panel(c: Canvas, x: int, y: int, w: int, h: int, t: np.ndarray, series: list[tuple[np.ndarray, tuple]],
          title: str, now: float | None = None, t_range: tuple[float, float] | None = None) -> None:
    """One plot: series (values, colour) against time t (s), a vertical mark at `now`."""
    c.rect(x, y, w, h, (30, 32, 40))
    c.rect(x, y, w, h, AXES, width=1)
    c.text(title, x + 6, y + 4, size=18, color=INK)
    if len(t) == 0:
        return
    t0, t1 = t_range if t_range is not None else (float(t[0]), float(max(t[-1], t[0] + 1e-6)))
    lo, hi = _nice_range(np.concatenate([s for s, _ in series]) if series else np.zeros(1))
    c.text(f"{hi:.4g}", x + w - 6, y + 4, size=16, color=DIM, anchor="tr")
    c.text(f"{lo:.4g}", x + w - 6, y + h - 16, size=16, color=DIM, anchor="tr")
    iy0, ih = y + 22, h - 30
    if lo < 0 < hi:  # the zero line
        zy = iy0 + ih * (hi - 0) / (hi - lo)
        c.line((x + 1, zy), (x + w - 2, zy), AXES)
    step = max(1, len(t) // max(w, 1))  # about one point per pixel column
    px = x + 2 + (w - 4) * (t[::step] - t0) / max(t1 - t0, 1e-9)
    for values, color in series:
        v = values[::step]
        py = iy0 + ih * (hi - v) / (hi - lo)
        ok = np.isfinite(py)
        c.lines(np.column_stack([px[ok], py[ok]]), color, 2)
    c.text(f"{t0:.1f} s", x + 6, y + h - 16, size=16, color=DIM)
    c.text(f"{t1:.1f} s", x + w - 70, y + h - 16, size=16, color=DIM, anchor="tr")
    if now is not None and t0 <= now <= t1:
        nx = x + 2 + (w - 4) * (now - t0) / max(t1 - t0, 1e-9)
        c.line((nx, y + 1), (nx, y + h - 2), NOW, 2)


def label(name: str) -> str:
    q = name.partition("/")[2]
    unit = UNITS.get(q, "")
    return f"{name} ({unit})" if unit else name


def trace_figure(trace, channels: list[str] | None = None, width: int = 1000, row_h: int = 150,
                 upto: int | None = None) -> np.ndarray:
    """Stacked panels: the score of every player, then each channel (every player that has it)."""
    k = len(trace) if upto is None else upto + 1
    t = np.asarray(trace.steps[:k], dtype=float) * trace.dt
    channels = channels if channels is not None else trace.default_channels(0, 6)
    for name in channels:
        if not any(name in pl.channels for pl in trace.players):
            have = ", ".join(trace.players[0].channels)
            raise ArenaError(f"no channel {name!r} in this run (fix: choose from {have})")
    rows = 1 + len(channels)
    c = Canvas(width, 44 + rows * (row_h + 8))
    who = ", ".join(f"{pl.agent} ({pl.robot})" for pl in trace.players)
    c.text(f"{trace.world}  seed {trace.seed}  {who}  -  {t[-1] if len(t) else 0:.2f} s", 10, 10, size=24, bold=True)
    y = 44
    score = [(np.asarray(pl.totals[:k]), PLAYER_COLORS[i % len(PLAYER_COLORS)]) for i, pl in enumerate(trace.players)]
    panel(c, 8, y, width - 16, row_h, t, score, "score so far")
    for name in channels:
        y += row_h + 8
        series = [(trace.series(i, name)[:k], PLAYER_COLORS[i % len(PLAYER_COLORS)])
                  for i, pl in enumerate(trace.players) if name in pl.channels]
        panel(c, 8, y, width - 16, row_h, t, series, label(name))
    return c.array()


def write_plot(trace, out: str | Path, channels: list[str] | None = None) -> Path:
    """Write the trace figure as a PNG; returns its path."""
    from arena.robot.draw import write_png

    out = Path(out)
    if out.suffix.lower() != ".png":
        raise ArenaError(f"{out}: plots are PNG files (fix: name it {out.stem}.png)")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_png(trace_figure(trace, channels), out)
    return out


def parse_channels(text: str | None) -> list[str] | None:
    if not text:
        return None
    names = [s.strip() for s in text.split(",") if s.strip()]
    return names or None
