"""A render-only copy of a match: visual bodies in their own Sim that mirror the match's poses.

Every robot part is drawn in its colour (the build file's `color`, else the catalogue's), wheels
as tyres with a light hub and a spoke (so turning shows), the mat as a textured quad, walls and
objects as they are built. The match's physics client is only read (poses), never changed.
"""

from __future__ import annotations

import math
import os
import tempfile

import numpy as np

from arena.kit.catalogue import catalogue
from arena.robot.assembly import Assembly
from arena.sim import GEOM_BOX, GEOM_CYLINDER, GEOM_MESH, GEOM_SPHERE, Shape, Sim, quat_from_rpy, rotate
from arena.units import parse_color

FLOOR = (0.55, 0.56, 0.58, 1.0)  # around the mat
HUB = (0.82, 0.82, 0.80, 1.0)
SPOKE = (0.95, 0.75, 0.10, 1.0)


def qmul(a, b) -> tuple[float, float, float, float]:
    """Quaternion product a * b (x, y, z, w): rotate by b, then by a."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz)


def rgba(color) -> tuple[float, float, float, float]:
    r, g, b = color
    return (r / 255.0, g / 255.0, b / 255.0, 1.0)


def robot_solids(asm: Assembly) -> list[tuple[int, Shape, tuple]]:
    """(link index (-1 chassis), visual Shape in that link's frame, rgba) for every part."""
    cat = catalogue()
    spec = asm.spec
    frames = {-1: asm.com}
    for i, lk in enumerate(asm.links):
        frames[i] = asm.com + np.asarray(lk.pos)
    out = []
    for p in spec.parts:
        part, pp = cat[p.part], asm.poses[p.id]
        link = asm.link_of(p.id)
        pos = pp.pos - frames[link]
        color = rgba(parse_color(p.color or part.color))
        if p.kind == "wheel":
            r, w = part.size[0] / 2000.0, part.size[1] / 1000.0
            axle = qmul(pp.quat, quat_from_rpy((math.pi / 2, 0.0, 0.0)))  # cylinders run along z
            out.append((link, Shape(GEOM_CYLINDER, tuple(pos), axle, radius=r, length=w), color))
            out.append((link, Shape(GEOM_CYLINDER, tuple(pos), axle, radius=r * 0.55, length=w * 1.06), HUB))
            spoke = pos + rotate(pp.quat, (0.0, 0.0, r * 0.5))
            out.append((link, Shape(GEOM_BOX, tuple(spoke), pp.quat, half_extents=(r * 0.12, w * 0.56, r * 0.45)), SPOKE))
        elif p.kind == "caster":
            out.append((link, Shape(GEOM_SPHERE, tuple(pos), radius=part.size[0] / 2000.0), color))
        else:
            for c, s in part.boxes:
                centre = pos + rotate(pp.quat, np.asarray(c) / 1000.0)
                out.append((link, Shape(GEOM_BOX, tuple(centre), pp.quat,
                                        half_extents=tuple(v / 2000.0 for v in s)), color))
    return out


def _quad(w: float, h: float) -> Shape:
    hw, hh = w / 2, h / 2
    corners = ((-hw, -hh, 0.0), (hw, -hh, 0.0), (hw, hh, 0.0), (-hw, hh, 0.0))
    return Shape(GEOM_MESH, (0.0, 0.0, 0.0), vertices=tuple(corners[i] for i in (0, 1, 2, 0, 2, 3)))


class Stage:
    """The picture side of a match. `sync(match)` copies the poses; `sim.camera(...)` renders."""

    def __init__(self, match=None):
        self.sim = Sim()
        self.sim.add_visual(Shape(GEOM_BOX, (0.0, 0.0, 0.0), half_extents=(6.0, 6.0, 0.001)), FLOOR, (0, 0, -0.0025))
        self.robot_parts: list[list[tuple[int, int, Shape]]] = []  # per robot: (link, visual body, shape)
        self.robot_links: list[int] = []  # per robot: its number of links (the chassis not counted)
        self.objects: list[int] = []
        if match is not None:
            self._build_world(match)
            for r in match.robots:
                self.add_robot(r.asm)
            self.sync(match)

    def close(self) -> None:
        self.sim.close()

    def _build_world(self, match) -> None:
        mat = match.mat
        body = self.sim.add_visual(_quad(mat.width, mat.height), (1.0, 1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
        fd, png = tempfile.mkstemp(suffix=".png", prefix="arena-mat-")
        os.close(fd)
        try:
            import imageio.v2 as imageio

            img = mat.image()
            step = max(1, int(math.ceil(max(img.shape[:2]) / 1024)))  # the renderer samples; keep it small
            imageio.imwrite(png, img[::step, ::step])
            self.sim.set_texture(body, png)
        finally:
            os.unlink(png)
        for wall in match.layout.walls:
            (x0, y0), (x1, y1) = np.array(wall.start) / 1000.0, np.array(wall.end) / 1000.0
            length = math.hypot(x1 - x0, y1 - y0)
            th, hgt = wall.thickness / 1000.0, wall.height / 1000.0
            shape = Shape(GEOM_BOX, (0.0, 0.0, 0.0), half_extents=(length / 2 + th / 2, th / 2, hgt / 2))
            self.sim.add_visual(shape, rgba(wall.color), ((x0 + x1) / 2, (y0 + y1) / 2, hgt / 2),
                                quat_from_rpy((0.0, 0.0, math.atan2(y1 - y0, x1 - x0))))
        for pl in match.layout.objects:
            o = pl.spec
            sx, sy, sz = (v / 1000.0 for v in o.size)
            if o.shape == "box":
                shape = Shape(GEOM_BOX, (0.0, 0.0, 0.0), half_extents=(sx / 2, sy / 2, sz / 2))
            else:
                shape = Shape(GEOM_CYLINDER, (0.0, 0.0, 0.0), radius=sx / 2, length=sz)
            self.objects.append(self.sim.add_visual(shape, rgba(o.color)))

    def add_robot(self, asm: Assembly, pos=(0.0, 0.0, 0.0)) -> None:
        """Add a robot's parts; placed as built (robot origin at `pos`) until the next sync."""
        parts = []
        for link, shape, color in robot_solids(asm):
            frame = asm.com + (np.asarray(asm.links[link].pos) if link >= 0 else 0.0) + np.asarray(pos)
            parts.append((link, self.sim.add_visual(shape, color, tuple(frame)), shape))
        self.robot_parts.append(parts)
        self.robot_links.append(len(asm.links))

    def sync(self, match) -> None:
        """Move every visual body to where the match's bodies are now."""
        self.apply(capture(match))

    def apply(self, poses: np.ndarray) -> None:
        """Move every visual body to a captured state (capture(match), maybe from another time)."""
        dst = self.sim
        for k, body in enumerate(self.objects):
            dst.set_pose(body, tuple(poses[k, :3]), tuple(poses[k, 3:]))
        row = len(self.objects)
        for parts, links in zip(self.robot_parts, self.robot_links, strict=True):
            for link, body, _shape in parts:
                dst.set_pose(body, tuple(poses[row + 1 + link, :3]), tuple(poses[row + 1 + link, 3:]))
            row += 1 + links


def capture(match) -> np.ndarray:
    """Every pose a Stage shows, as rows of (x, y, z, qx, qy, qz, qw): each object, then per robot
    its chassis and each link's frame. Small enough to keep for every step of a run."""
    src = match.sim
    rows = [(*src.pose(b)[0], *src.pose(b)[1]) for b in match.object_bodies]
    for r in match.robots:
        pos, quat = src.pose(r.body)
        rows.append((*pos, *quat))
        for i, lk in enumerate(r.asm.links):
            com, q = src.link_pose(r.body, i)
            # link state is at the link's centre of mass; the visuals hang off the link frame
            rows.append((*(np.asarray(com) - rotate(q, lk.com)), *q))
    return np.asarray(rows, dtype=float).reshape(-1, 7)
