"""Assembly (layer 3): a RobotSpec becomes rigid links with masses, inertias and joints.

Links: the chassis (every rigid part), one per wheel (revolute about the robot's y axis), and one
fixed link per caster (its own low friction) and per touch sensor button or bumper (so contacts
can be attributed). Every link frame is at its centre of mass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalogue import Part, catalogue
from .robotspec import PartSpec, RobotSpec
from .sim import GEOM_BOX, GEOM_MESH, GEOM_SPHERE, Link, Shape, quat_from_rpy, rotate
from .units import deg, mm

CHASSIS_FRICTION = 0.5


@dataclass(frozen=True)
class PartPose:
    part: PartSpec
    pos: np.ndarray  # m, robot frame
    quat: tuple[float, float, float, float]


@dataclass(frozen=True)
class Assembly:
    spec: RobotSpec
    base: Link
    links: tuple[Link, ...]
    com: np.ndarray  # m, chassis centre of mass in the robot frame
    mass: float  # kg, whole robot
    wheel_link: dict[str, int]  # motor part id -> link index of the wheel it drives
    touch_links: dict[str, tuple[int, ...]]  # touch sensor part id -> link indices that press it
    poses: dict[str, PartPose]  # every part, robot frame

    def rel_com(self, part_id: str) -> np.ndarray:
        """A part's position relative to the chassis frame (which sits at the chassis COM)."""
        return self.poses[part_id].pos - self.com


def tyre_hull(radius: float, width: float, segments: int = 64, rows: int = 5) -> tuple:
    """A crowned tyre as a convex hull about the y axis: the tread is highest at its middle.

    A flat cylinder touches a flat floor along a line, and the solver then carries the load on
    one edge of the tread, different on each side, so a symmetric robot veers. A slight crown
    (like a real tyre's rounded profile) gives one contact point in the middle of the tread.
    """
    crown = min(0.002, radius * 0.08)
    pts = []
    for k in range(rows):
        y = (k / (rows - 1) - 0.5) * width
        rho = radius - crown * (2 * y / width) ** 2
        for i in range(segments):
            a = 2 * np.pi * i / segments
            pts.append((rho * float(np.cos(a)), y, rho * float(np.sin(a))))
    return tuple(pts)


def _box_inertia(m: float, size: np.ndarray) -> np.ndarray:
    x, y, z = size
    return m / 12.0 * np.array((y * y + z * z, x * x + z * z, x * x + y * y))


def _part_shape(part: Part, ps: PartSpec, pos, quat) -> tuple[Shape, np.ndarray]:
    """Collision shape and principal inertia (part frame) of one part."""
    if part.kind in ("wheel",):
        r, w = mm(part.size[0]) / 2, mm(part.size[1])
        iyy = part.mass * r * r / 2
        ixx = part.mass * (3 * r * r + w * w) / 12
        return Shape(GEOM_MESH, tuple(pos), quat, vertices=tyre_hull(r, w)), np.array((ixx, iyy, ixx))
    if part.kind == "caster":
        r = mm(part.size[0]) / 2
        i = 0.4 * part.mass * r * r
        return Shape(GEOM_SPHERE, tuple(pos), radius=r), np.array((i, i, i))
    size = np.array([mm(s) for s in part.size])
    return Shape(GEOM_BOX, tuple(pos), quat, half_extents=tuple(size / 2)), _box_inertia(part.mass, size)


def _rotated_inertia(i_diag: np.ndarray, quat) -> np.ndarray:
    """Diagonal of R diag(I) R^T: off-diagonal terms are dropped (small for kit robots)."""
    r = np.column_stack([rotate(quat, e) for e in np.eye(3)])
    return np.diag(r @ np.diag(i_diag) @ r.T).copy()


def _link(name: str, items: list[tuple[Part, PartSpec, np.ndarray, tuple]], **kw) -> tuple[Link, np.ndarray]:
    """One link from parts at robot-frame positions; returns it and its COM (robot frame)."""
    masses = np.array([p.mass for p, *_ in items])
    centres = np.array([pos for _, _, pos, _ in items])
    total = float(masses.sum())
    com = (masses[:, None] * centres).sum(axis=0) / total
    shapes, inertia = [], np.zeros(3)
    for (part, ps, pos, quat), m in zip(items, masses, strict=True):
        shape, i_part = _part_shape(part, ps, pos - com, quat)
        shapes.append(shape)
        d = pos - com
        inertia += _rotated_inertia(i_part, quat) + m * (np.dot(d, d) - d * d)  # parallel axis
    return Link(name, total, tuple(float(x) for x in inertia), tuple(shapes), **kw), com


def assemble(spec: RobotSpec) -> Assembly:
    cat = catalogue()
    poses = {p.id: PartPose(p, np.array([mm(x) for x in p.pos]), quat_from_rpy(tuple(deg(a) for a in p.rpy)))
             for p in spec.parts}

    def item(ps: PartSpec):
        return (cat[ps.part], ps, poses[ps.id].pos, poses[ps.id].quat)

    touch_ids = [p.id for p in spec.parts if cat[p.part].param("sensor") == "touch"]
    separate = {p.id for p in spec.parts if p.kind in ("wheel", "caster", "bumper")} | set(touch_ids)
    base, com = _link("chassis", [item(p) for p in spec.parts if p.id not in separate], friction=CHASSIS_FRICTION)

    links: list[Link] = []
    wheel_link: dict[str, int] = {}
    touch_links: dict[str, list[int]] = {t: [] for t in touch_ids}
    for p in spec.parts:
        if p.id not in separate:
            continue
        part = cat[p.part]
        if p.kind == "wheel":
            motor = cat[spec.part(p.motor).part]
            lk, c = _link(p.id, [item(p)], joint="revolute", axis=(0.0, 1.0, 0.0), friction=part.param("friction", 1.0),
                          rolling_friction=0.0, spinning_friction=0.001)
            # the motor's rotor, seen through the gear, adds to the wheel's spin inertia
            extra = motor.param("rotor_inertia", 0.0) / (p.gear * p.gear)
            lk = Link(lk.name, lk.mass, (lk.inertia[0], lk.inertia[1] + extra, lk.inertia[2]), lk.shapes,
                      joint=lk.joint, axis=lk.axis, friction=lk.friction, spinning_friction=lk.spinning_friction)
            wheel_link[p.motor] = len(links)
        elif p.kind == "caster":
            lk, c = _link(p.id, [item(p)], friction=part.param("friction", 0.05))
        else:  # touch sensor buttons and bumpers
            lk, c = _link(p.id, [item(p)], friction=CHASSIS_FRICTION)
            touch_links[p.touch if p.kind == "bumper" else p.id].append(len(links))
        links.append(Link(lk.name, lk.mass, lk.inertia, lk.shapes, pos=tuple(c - com), joint=lk.joint, axis=lk.axis,
                          friction=lk.friction, rolling_friction=lk.rolling_friction,
                          spinning_friction=lk.spinning_friction))
    mass = base.mass + sum(lk.mass for lk in links)
    return Assembly(spec, base, tuple(links), com, mass, wheel_link,
                    {k: tuple(v) for k, v in touch_links.items()}, poses)


def extent_mm(asm: Assembly) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned bounds (mm, robot frame) of every part: (min xyz, max xyz)."""
    cat = catalogue()
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for pp in asm.poses.values():
        part = cat[pp.part.part]
        half = np.array(part.size) / 2  # wheels and casters: (diameter, width, diameter)
        corners = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * half
        world = np.array([rotate(pp.quat, c) for c in corners]) + pp.pos * 1000.0
        lo, hi = np.minimum(lo, world.min(axis=0)), np.maximum(hi, world.max(axis=0))
    return lo, hi


def size_mm(asm: Assembly) -> tuple[float, float, float]:
    lo, hi = extent_mm(asm)
    return tuple(float(x) for x in (hi - lo))
