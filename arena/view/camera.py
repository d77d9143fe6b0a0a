"""Where the 3D camera stands, and how world points land in its pictures (to draw the trail).

The projection is the one pybullet's computeViewMatrix / computeProjectionMatrixFOV build (an
OpenGL look-at with a vertical field of view), so points drawn over a TinyRenderer frame line up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MODES = ("chase", "top")


@dataclass(frozen=True)
class Camera:
    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    fov: float = 45.0  # deg, vertical

    def project(self, points, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """Pixel (column, row) of each world point (N x 3, m), and whether it is in front."""
        p = np.atleast_2d(np.asarray(points, dtype=float))
        eye, target, up = (np.asarray(v, dtype=float) for v in (self.eye, self.target, self.up))
        f = target - eye
        f /= np.linalg.norm(f)
        s = np.cross(f, up)
        s /= np.linalg.norm(s)
        u = np.cross(s, f)
        d = p - eye
        x, y, z = d @ s, d @ u, d @ f  # camera frame: right, up, forward
        t = math.tan(math.radians(self.fov) / 2)
        aspect = width / height
        with np.errstate(divide="ignore", invalid="ignore"):
            nx, ny = x / (z * t * aspect), y / (z * t)
        return np.column_stack([(nx + 1) / 2 * width, (1 - ny) / 2 * height]), z > 1e-6


def chase(x: float, y: float, yaw: float, distance: float = 0.55, height: float = 0.38) -> Camera:
    """Behind and above the robot, looking a little ahead of it."""
    c, s = math.cos(yaw), math.sin(yaw)
    return Camera((x - distance * c, y - distance * s, height), (x + 0.12 * c, y + 0.12 * s, 0.02), fov=50.0)


def steady_yaw(poses, k: int, span: int = 50) -> float:
    """The mean heading over the `span` steps up to k: a chase camera that does not shake with
    every wobble, and depends only on k (so scrubbing shows the same picture)."""
    yaws = np.asarray([p[2] for p in poses[max(0, k - span + 1):k + 1]])
    return float(math.atan2(np.sin(yaws).mean(), np.cos(yaws).mean()))


def top(width_m: float, height_m: float, aspect: float, fov: float = 40.0) -> Camera:
    """From above the middle of the world, slightly tilted (south) so walls show their height."""
    t = math.tan(math.radians(fov) / 2)
    half = max(height_m / 2, width_m / 2 / aspect) * 1.06
    h = half / t
    return Camera((0.0, -0.12 * h, h), (0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0), fov=fov)


def isometric(lo, hi, aspect: float, fov: float = 30.0, fill: float = 1.0) -> Camera:
    """From the robot's front right, above (the classic isometric corner), framing the box lo-hi
    (fill < 1 comes closer: the bounding sphere is loose around a flat robot)."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    centre = (lo + hi) / 2
    radius = float(np.linalg.norm(hi - lo)) / 2
    direction = np.array([1.0, -1.0, 0.9])
    direction /= np.linalg.norm(direction)
    dist = radius / math.sin(math.radians(fov) / 2 * min(1.0, aspect)) * 1.02 * fill
    return Camera(tuple(centre + direction * dist), tuple(centre), fov=fov)
