"""Assembly: a RobotSpec becomes rigid links with masses, inertias and joints.

One multibody per robot. Links: the chassis (every rigid part), one per wheel (revolute about the
robot's y axis at the wheel centre), one per arm (revolute about its hinge axis, within its
limits), and one fixed link per caster (its own low friction) and per touch sensor button or
bumper (so contacts can be attributed). The chassis and wheel link frames are at their centres of
mass; an arm's link frame is at its hinge with its centre of mass offset (Link.com).

Mass is the sum of the catalogue masses; each link's centre of mass is the mass-weighted mean of
its parts' centres; its inertia is the sum of each part's own inertia (a solid box, cylinder or
sphere of the part's size, or its collision boxes with the mass shared by volume) moved to the
link's centre of mass with the parallel-axis theorem. Products of inertia are dropped (small for
kit robots). Link names are "<prefix>/<part id>" (prefix: the robot name), so several robots can
share a world and a URDF export names every link uniquely.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from arena.kit.catalogue import Part, catalogue
from arena.robot.spec import PartSpec, RobotSpec
from arena.sim import GEOM_BOX, GEOM_MESH, GEOM_SPHERE, Link, Shape, quat_from_rpy, rotate
from arena.units import deg, mm

CHASSIS_FRICTION = 0.5
ARM_FRICTION = 0.6
SEPARATE_KINDS = ("wheel", "caster", "bumper", "arm")  # parts that get their own link


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
    motor_joint: dict[str, int]  # motor part id -> link (= joint) index of the wheel or arm it turns
    motor_gear: dict[str, float]  # motor part id -> output turns per motor turn at that joint
    touch_links: dict[str, tuple[int, ...]]  # touch sensor part id -> link indices that press it
    poses: dict[str, PartPose]  # every part, robot frame
    link_parts: tuple[str, ...] = ()  # part id of each link (links[i] is part link_parts[i])
    prefix: str = ""  # link names are "<prefix>/<part id>"

    def rel_com(self, part_id: str) -> np.ndarray:
        """A part's position relative to the chassis frame (which sits at the chassis COM)."""
        return self.poses[part_id].pos - self.com

    @property
    def wheel_link(self) -> dict[str, int]:
        """Motor part id -> link index of the wheel it drives (wheels only; see motor_joint)."""
        return {m: j for m, j in self.motor_joint.items() if self.spec.part(self.link_parts[j]).kind == "wheel"}

    @property
    def arm_link(self) -> dict[str, int]:
        """Motor part id -> link index of the arm it turns."""
        return {m: j for m, j in self.motor_joint.items() if self.spec.part(self.link_parts[j]).kind == "arm"}

    def link_of(self, part_id: str) -> int:
        """pybullet link index a part belongs to (-1: the chassis)."""
        return self.link_parts.index(part_id) if part_id in self.link_parts else -1


HULL_MARGIN = 0.001  # m: pybullet's collision margin round a convex hull (measured: rolling radius)


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


def _part_shapes(part: Part, pos: np.ndarray, quat) -> tuple[list[Shape], np.ndarray]:
    """Collision shapes (at pos/quat in the link frame) and principal inertia (part frame) of one part."""
    if part.kind == "wheel":
        r, w = mm(part.size[0]) / 2, mm(part.size[1])
        iyy = part.mass * r * r / 2
        ixx = part.mass * (3 * r * r + w * w) / 12
        # the solver keeps a convex hull HULL_MARGIN outside its vertices: without this a 56 mm
        # wheel rolls 58 mm (3.5 % too far per turn; benchmarks/brick_fidelity.py)
        hull = tyre_hull(r - HULL_MARGIN, w)
        return [Shape(GEOM_MESH, tuple(pos), quat, vertices=hull)], np.array((ixx, iyy, ixx))
    if part.kind == "caster":
        r = mm(part.size[0]) / 2
        i = 0.4 * part.mass * r * r
        return [Shape(GEOM_SPHERE, tuple(pos), radius=r)], np.array((i, i, i))
    boxes = [(np.array([mm(v) for v in c]), np.array([mm(v) for v in s])) for c, s in part.boxes]
    vols = np.array([float(np.prod(s)) for _, s in boxes])
    inertia = np.zeros(3)
    shapes = []
    for (c, size), v in zip(boxes, vols, strict=True):
        m = part.mass * v / vols.sum()
        inertia += _box_inertia(m, size) + m * (np.dot(c, c) - c * c)
        shapes.append(Shape(GEOM_BOX, tuple(pos + rotate(quat, c)), quat, half_extents=tuple(size / 2)))
    return shapes, inertia


def _rotated_inertia(i_diag: np.ndarray, quat) -> np.ndarray:
    """Diagonal of R diag(I) R^T: off-diagonal terms are dropped (small for kit robots)."""
    r = np.column_stack([rotate(quat, e) for e in np.eye(3)])
    return np.diag(r @ np.diag(i_diag) @ r.T).copy()


def _link(name: str, items: list[tuple[Part, PartSpec, np.ndarray, tuple]], origin: np.ndarray | None = None,
          **kw) -> tuple[Link, np.ndarray]:
    """One link from parts at robot-frame positions; returns it and its frame origin (robot frame):
    the centre of mass, or `origin` (a hinge) with the centre of mass offset in Link.com."""
    masses = np.array([p.mass for p, *_ in items])
    centres = np.array([pos for _, _, pos, _ in items])
    total = float(masses.sum())
    com = (masses[:, None] * centres).sum(axis=0) / total if total > 0 else centres.mean(axis=0)
    frame = com if origin is None else np.asarray(origin, dtype=float)
    shapes, inertia = [], np.zeros(3)
    for (part, _ps, pos, quat), m in zip(items, masses, strict=True):
        s, i_part = _part_shapes(part, pos - frame, quat)
        shapes.extend(s)
        d = pos - com
        inertia += _rotated_inertia(i_part, quat) + m * (np.dot(d, d) - d * d)  # parallel axis
    inertia = np.maximum(inertia, 1e-8)  # pybullet wants a positive inertia for every moving link
    return Link(name, total, tuple(float(x) for x in inertia), tuple(shapes), com=tuple(float(x) for x in com - frame),
                **kw), frame


def motor_axle(spec: RobotSpec, motor_id: str) -> np.ndarray:
    """Where a motor's output axle is (m, robot frame)."""
    m = spec.part(motor_id)
    part = catalogue()[m.part]
    q = quat_from_rpy(tuple(deg(a) for a in m.rpy))
    return np.array([mm(x) for x in m.pos]) + rotate(q, np.array([mm(x) for x in part.param("axle", [0, 0, 0])]))


_BUILT: dict = {}  # (id(spec), prefix) -> (spec, its Assembly); holding spec keeps its id unique
_BUILT_LOCK = threading.Lock()  # the web server draws robots from several threads


def assemble(spec: RobotSpec, prefix: str | None = None) -> Assembly:
    """The robot's links, joints and masses. Specs are frozen and load_robot shares an unchanged
    file's spec, so every match of a tournament or eval shares one assembly (read-only: its arrays
    refuse writes)."""
    prefix = spec.name if prefix is None else prefix
    with _BUILT_LOCK:
        hit = _BUILT.get((id(spec), prefix))
    if hit is not None and hit[0] is spec:
        return hit[1]
    asm = _assemble(spec, prefix)
    asm.com.flags.writeable = False
    for pose in asm.poses.values():
        pose.pos.flags.writeable = False
    with _BUILT_LOCK:
        while len(_BUILT) >= 64:
            del _BUILT[next(iter(_BUILT))]
        _BUILT[(id(spec), prefix)] = (spec, asm)
    return asm


def _assemble(spec: RobotSpec, prefix: str) -> Assembly:
    cat = catalogue()
    poses = {p.id: PartPose(p, np.array([mm(x) for x in p.pos]), quat_from_rpy(tuple(deg(a) for a in p.rpy)))
             for p in spec.parts}

    def item(ps: PartSpec):
        return (cat[ps.part], ps, poses[ps.id].pos, poses[ps.id].quat)

    touch_ids = [p.id for p in spec.parts if cat[p.part].param("sensor") == "touch"]
    separate = {p.id for p in spec.parts if p.kind in SEPARATE_KINDS} | set(touch_ids)
    base, com = _link(f"{prefix}/chassis", [item(p) for p in spec.parts if p.id not in separate],
                      friction=CHASSIS_FRICTION)

    links: list[Link] = []
    link_parts: list[str] = []
    motor_joint: dict[str, int] = {}
    motor_gear: dict[str, float] = {}
    touch_links: dict[str, list[int]] = {t: [] for t in touch_ids}
    for p in spec.parts:
        if p.id not in separate:
            continue
        part = cat[p.part]
        name = f"{prefix}/{p.id}"
        if p.kind in ("wheel", "arm"):
            motor = cat[spec.part(p.motor).part]
            # the motor's rotor, seen through the gear, adds to the joint's inertia about its axis
            extra = motor.param("rotor_inertia", 0.0) / (p.gear * p.gear)
            if p.kind == "wheel":
                lk, origin = _link(name, [item(p)], joint="revolute", axis=(0.0, 1.0, 0.0),
                                   friction=part.param("friction", 1.0), rolling_friction=0.0, spinning_friction=0.001)
                inertia = (lk.inertia[0], lk.inertia[1] + extra, lk.inertia[2])
            else:
                hinge = np.array([mm(x) for x in p.hinge]) if p.hinge is not None else motor_axle(spec, p.motor)
                lk, origin = _link(name, [item(p)], origin=hinge, joint="revolute", axis=p.axis,
                                   friction=part.param("friction", ARM_FRICTION),
                                   limits=(deg(p.limits[0]), deg(p.limits[1])))
                # rotor inertia about the hinge axis, spread over the principal axes by the axis direction
                inertia = tuple(float(i + extra * a * a) for i, a in zip(lk.inertia, p.axis, strict=True))
            lk = Link(lk.name, lk.mass, inertia, lk.shapes, joint=lk.joint, axis=lk.axis, friction=lk.friction,
                      rolling_friction=lk.rolling_friction, spinning_friction=lk.spinning_friction, com=lk.com,
                      limits=lk.limits)
            motor_joint[p.motor] = len(links)
            motor_gear[p.motor] = p.gear
        elif p.kind == "caster":
            lk, origin = _link(name, [item(p)], friction=part.param("friction", 0.05))
        else:  # touch sensor buttons and bumpers
            lk, origin = _link(name, [item(p)], friction=CHASSIS_FRICTION)
            touch_links[p.touch if p.kind == "bumper" else p.id].append(len(links))
        links.append(Link(lk.name, lk.mass, lk.inertia, lk.shapes, pos=tuple(float(x) for x in origin - com),
                          joint=lk.joint, axis=lk.axis, friction=lk.friction, rolling_friction=lk.rolling_friction,
                          spinning_friction=lk.spinning_friction, com=lk.com, limits=lk.limits))
        link_parts.append(p.id)
    mass = base.mass + sum(lk.mass for lk in links)
    return Assembly(spec, base, tuple(links), com, mass, motor_joint, motor_gear,
                    {k: tuple(v) for k, v in touch_links.items()}, poses, tuple(link_parts), prefix)


def centre_of_mass(asm: Assembly) -> np.ndarray:
    """The whole robot's centre of mass (m, robot frame, as built)."""
    total = asm.base.mass * asm.com
    for lk in asm.links:
        total = total + lk.mass * (asm.com + np.array(lk.pos) + np.array(lk.com))
    return total / asm.mass


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
