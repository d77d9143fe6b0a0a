"""A challenge world in the simulator (layer 4): the mat, the static scene, start poses.

The mat is drawn once per world (it does not change with the seed yet) and shared by every
episode; bodies are rebuilt each episode. The seeded layout generator is the only source of
randomness here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .mat import Mat, catmull_rom, resample
from .sim import GEOM_BOX, Shape, Sim, quat_from_rpy
from .worldspec import PathSpec, WorldSpec


@dataclass(frozen=True)
class TrackPath:
    """A path densely sampled in metres, with arclength, for drawing and progress scoring."""

    id: str
    points: np.ndarray  # (N, 2) m, evenly spaced
    closed: bool
    length: float  # m
    spacing: float  # m

    def nearest(self, x: float, y: float, around: int | None = None, window: int = 0) -> tuple[int, float]:
        """Index of the nearest point and its distance (m), optionally only near index `around`."""
        n = len(self.points)
        if around is None or window <= 0 or window * 2 >= n:
            d = np.hypot(self.points[:, 0] - x, self.points[:, 1] - y)
            i = int(np.argmin(d))
            return i, float(d[i])
        idx = (np.arange(around - window, around + window + 1) % n) if self.closed else \
            np.arange(max(0, around - window), min(n, around + window + 1))
        pts = self.points[idx]
        d = np.hypot(pts[:, 0] - x, pts[:, 1] - y)
        k = int(np.argmin(d))
        return int(idx[k]), float(d[k])

    def heading(self, i: int) -> float:
        n = len(self.points)
        a, b = self.points[i % n], self.points[(i + 1) % n] if self.closed or i + 1 < n else self.points[i]
        if i + 1 >= n and not self.closed:
            a, b = self.points[i - 1], self.points[i]
        return math.atan2(b[1] - a[1], b[0] - a[0])


def build_path(p: PathSpec, spacing: float = 0.005) -> TrackPath:
    pts = np.array(p.points) / 1000.0
    if p.kind == "spline":
        dense = catmull_rom(pts, p.closed, spacing)
    else:
        dense = resample(np.vstack([pts, pts[:1]]) if p.closed else pts, spacing)
    if p.closed:  # the last point repeats the first: drop it so indices wrap cleanly
        dense = dense[:-1]
    seg = np.linalg.norm(np.diff(np.vstack([dense, dense[:1]]) if p.closed else dense, axis=0), axis=1)
    return TrackPath(p.id, dense, p.closed, float(seg.sum()), float(seg.mean()))


def draw_mat(spec: WorldSpec, paths: dict[str, TrackPath]) -> Mat:
    w, h = spec.mat_size
    mat = Mat(w / 1000.0, h / 1000.0, spec.mat_resolution / 1000.0, spec.mat_color)
    for a in spec.areas:
        cx, cy = a.center[0] / 1000.0, a.center[1] / 1000.0
        if a.shape == "rect":
            sx, sy = a.size[0] / 2000.0, a.size[1] / 2000.0
            mat.fill_rect(cx - sx, cy - sy, cx + sx, cy + sy, a.color)
        else:
            mat.fill_circle(cx, cy, a.radius / 1000.0, a.color, inner=a.inner / 1000.0 if a.shape == "ring" else 0.0)
    for p in spec.paths:
        tp = paths[p.id]
        poly = np.vstack([tp.points, tp.points[:1]]) if tp.closed else tp.points
        mat.stroke(poly, p.width / 1000.0, p.color)
    return mat


@dataclass(frozen=True)
class StartPose:
    x: float  # m
    y: float
    heading: float  # rad


class World:
    def __init__(self, spec: WorldSpec):
        self.spec = spec
        self.paths = {p.id: build_path(p) for p in spec.paths}
        self.mat = draw_mat(spec, self.paths)
        self.ambient = spec.ambient

    def build(self, sim: Sim) -> list[int]:
        """Add the ground and the static scene; returns the static body ids."""
        bodies = [sim.add_ground()]
        walls = list(self.spec.walls)
        if self.spec.border > 0:
            w, h = self.spec.mat_size[0] / 2, self.spec.mat_size[1] / 2
            from .worldspec import WallSpec
            corners = [(-w, -h), (w, -h), (w, h), (-w, h)]
            walls += [WallSpec(corners[i], corners[(i + 1) % 4], self.spec.border, 20.0) for i in range(4)]
        for wall in walls:
            (x0, y0), (x1, y1) = np.array(wall.start) / 1000.0, np.array(wall.end) / 1000.0
            length = math.hypot(x1 - x0, y1 - y0)
            th, hgt = wall.thickness / 1000.0, wall.height / 1000.0
            yaw = math.atan2(y1 - y0, x1 - x0)
            shape = Shape(GEOM_BOX, (0.0, 0.0, 0.0), half_extents=(length / 2 + th / 2, th / 2, hgt / 2))
            bodies.append(sim.add_static((shape,), ((x0 + x1) / 2, (y0 + y1) / 2, hgt / 2), quat_from_rpy((0, 0, yaw))))
        return bodies

    def start_pose(self, index: int, rng: np.random.Generator) -> StartPose:
        s = self.spec.starts[index % len(self.spec.starts)]
        if s.path is not None:
            tp = self.paths[s.path]
            i = int(round(s.at / 1000.0 / tp.spacing)) % len(tp.points)
            x, y = tp.points[i]
            heading = tp.heading(i) + math.radians(s.heading)
        else:
            x, y = s.pos[0] / 1000.0, s.pos[1] / 1000.0
            heading = math.radians(s.heading)
        # jitter is drawn even when zero so the generator's stream does not depend on the file
        jx, jy = rng.uniform(-1.0, 1.0, 2) * s.jitter_pos / 1000.0
        jh = rng.uniform(-1.0, 1.0) * math.radians(s.jitter_heading)
        return StartPose(float(x + jx), float(y + jy), float(heading + jh))
