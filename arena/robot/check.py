"""Checking a robot build: every problem, each with its file, key path and fix.

`check_robot(path, world=None)` runs, in order, and collects everything it finds:

1. the build file itself (robot.spec.read_robot): unknown parts and keys, ports used twice or
   missing, wheels and arms not on a motor, bumpers not on a touch sensor, extends problems,
   numbers that are not finite or absurdly large, parts not attached to what they are mounted on;
2. geometry: parts that overlap (the first MAX_LISTED pairs listed, the rest counted), parts
   below the ground (arena.robot.geometry: a broad phase keeps this fast for big builds);
3. physics: the robot is dropped on a flat plane (arena.sim.Sim), motors holding, and left to
   settle for 1 s: it must stay upright (tilt under 10 deg) and only wheels and casters may touch
   the ground;
4. a world's limits (`world=`): size (length, width, height) and mass.

Overlap rule: every part is a box (its catalogue size, or its collision boxes; a wheel is the box
around its tyre, a caster the cube around its ball) at its pos/rpy. Two parts overlap when their
boxes interpenetrate by more than OVERLAP_TOL_MM along every separating axis (so parts that touch
face to face, or sit on each other, are fine). Parts mounted on each other are allowed to overlap:
a wheel or arm and the motor that turns it (the tyre around the hub, the arm on the axle), and a
bumper and the touch sensor it presses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arena.errors import ArenaError, SpecError
from arena.kit.catalogue import catalogue
from arena.robot.assembly import Assembly, assemble, centre_of_mass, size_mm
from arena.robot.geometry import box_penetration, boxes_of, overlaps, part_boxes
from arena.robot.spec import RobotSpec, read_robot
from arena.sim import Sim, matrix
from arena.units import ncm

OVERLAP_TOL_MM = 1.0
GROUND_TOL_MM = 1.0
SETTLE_S = 1.0
MAX_TILT_DEG = 10.0
GROUND_KINDS = ("wheel", "caster")
MAX_LISTED = 20  # overlapping pairs listed one by one; the rest are counted


@dataclass
class CheckReport:
    file: str
    spec: RobotSpec | None
    problems: list[SpecError]
    mass: float = 0.0  # kg
    size: tuple[float, float, float] = (0.0, 0.0, 0.0)  # mm
    tilt: float | None = None  # deg after settling (None: not simulated)

    @property
    def ok(self) -> bool:
        return not self.problems


# -- geometry --------------------------------------------------------------------------------------
def mounted_pairs(spec: RobotSpec) -> set[frozenset]:
    """Pairs of parts allowed to overlap: a wheel or arm and its motor, a bumper and its touch sensor."""
    pairs = set()
    for p in spec.parts:
        if p.motor:
            pairs.add(frozenset((p.id, p.motor)))
        if p.touch:
            pairs.add(frozenset((p.id, p.touch)))
    return pairs


def geometry_problems(spec: RobotSpec) -> list[SpecError]:
    """Overlapping parts (the first MAX_LISTED pairs, then one line counting the rest) and parts
    below the ground."""
    out = []
    boxes = boxes_of(spec)
    a, b, depth = overlaps(boxes, mounted_pairs(spec), OVERLAP_TOL_MM)
    for x, y, d in zip(a[:MAX_LISTED].tolist(), b[:MAX_LISTED].tolist(), depth[:MAX_LISTED].tolist(), strict=True):
        pa, pb = boxes.ids[x], boxes.ids[y]
        f, k = spec.locate(pb, "pos")
        out.append(SpecError(f, k, f"part {pb!r} overlaps part {pa!r} by {d:.1f} mm",
                             f"move {pb!r} or {pa!r} apart (parts may touch; only a wheel or arm and its motor, "
                             "or a bumper and its touch sensor, may overlap)"))
    if len(a) > MAX_LISTED:
        out.append(SpecError(spec.file, "parts", f"{len(a) - MAX_LISTED:,} more pairs of parts overlap (not listed)",
                             "fix the overlaps above first, then check again"))
    low = boxes.lo[:, 2]
    for k, p in enumerate(spec.parts):
        mine = low[boxes.owner == k]
        z = float(mine.min()) if len(mine) else 0.0
        if z < -GROUND_TOL_MM:
            f, key = spec.locate(p.id, "pos")
            out.append(SpecError(f, key, f"part {p.id!r} reaches {-z:.1f} mm below the ground (z = 0 is the ground "
                                 "under the drive axle)", "raise it: increase pos z"))
    return out


# -- physics -----------------------------------------------------------------------------------------
def _nearest_chassis_part(spec: RobotSpec, asm: Assembly, boxes, point_mm: np.ndarray) -> str:
    """The chassis part whose box is nearest a point (robot frame, mm)."""
    best, best_d = "chassis", math.inf
    for p in spec.parts:
        if asm.link_of(p.id) != -1:
            continue
        for c, r, h in boxes[p.id]:
            local = r.T @ (point_mm - c)
            d = float(np.linalg.norm(np.maximum(np.abs(local) - h, 0.0)))
            if d < best_d:
                best, best_d = p.id, d
    return best


def settle(spec: RobotSpec, seconds: float = SETTLE_S) -> tuple[list[SpecError], float]:
    """Drop the robot on a flat plane with its motors holding; (problems, final tilt in deg)."""
    asm = assemble(spec)
    cat = catalogue()
    sim = Sim()
    try:
        ground = sim.add_ground()
        com = asm.com
        body = sim.add_body(asm.base, asm.links, (com[0], com[1], com[2] + 0.0005), (0.0, 0.0, 0.0, 1.0))
        joints, torques = [], []
        for mid, j in asm.motor_joint.items():
            joints.append(j)
            torques.append(ncm(cat[spec.part(mid).part].param("stall_torque_ncm", 40.0)) / asm.motor_gear[mid])
        for _ in range(int(round(seconds / sim.physics_dt))):
            if joints:
                sim.drive_joints(body, joints, [0.0] * len(joints), torques)
            sim.step()
        pos, quat = sim.pose(body)
        rot = matrix(quat)
        tilt = math.degrees(math.acos(max(-1.0, min(1.0, float(rot[2, 2])))))
        touching: dict[str, float] = {}
        boxes = part_boxes(spec)
        for c in sim.contacts(body):
            if c[2] != ground:
                continue
            link = c[3]
            if link >= 0:
                pid = asm.link_parts[link]
                if spec.part(pid).kind in GROUND_KINDS:
                    continue
            else:
                local = rot.T @ (np.array(c[5]) - np.array(pos)) + asm.com
                pid = _nearest_chassis_part(spec, asm, boxes, local * 1000.0)
            touching[pid] = max(touching.get(pid, 0.0), c[9])
    finally:
        sim.close()
    out = []
    if tilt > MAX_TILT_DEG:
        cm = centre_of_mass(asm) * 1000.0
        out.append(SpecError(spec.file, "parts", f"the robot tips over when placed on a flat floor: {tilt:.0f} deg "
                             f"from upright after {seconds:g} s (centre of mass at x {cm[0]:.0f}, y {cm[1]:.0f}, "
                             f"z {cm[2]:.0f} mm)", "put the centre of mass between the wheels and casters "
                             "(move heavy parts, or add a caster or skid under the side it falls to)"))
    for pid in touching:
        f, k = spec.locate(pid, "pos")
        out.append(SpecError(f, k, f"part {pid!r} touches the ground when the robot stands (only wheels and casters "
                             "may)", "raise it (pos z), or add a caster or skid so it clears the floor"))
    return out, tilt


# -- worlds ------------------------------------------------------------------------------------------
def world_problems(spec: RobotSpec, size: tuple[float, float, float], mass: float, world) -> list[SpecError]:
    """Every way the robot is over a world's limits (a WorldSpec)."""
    out = []
    for i, (have, lim) in enumerate(zip(size, world.max_size, strict=True)):
        if have > lim + 1e-6:
            axis = ("length (x)", "width (y)", "height (z)")[i]
            out.append(SpecError(spec.file, "parts", f"the robot is {have:.0f} mm in {axis}, over world {world.id}'s "
                                 f"{lim:.0f} mm limit ({world.file}: limits.size)",
                                 f"bring its {axis.split()[0]} under {lim:.0f} mm (see `arena robot show`)"))
    if mass > world.max_mass + 1e-9:
        out.append(SpecError(spec.file, "parts", f"the robot weighs {mass:.3f} kg, over world {world.id}'s "
                             f"{world.max_mass:g} kg limit ({world.file}: limits.mass)",
                             "remove or swap heavy parts (see the parts list of `arena robot show`)"))
    return out


def check_robot(path: Path | str, world=None, physics: bool = True) -> CheckReport:
    """Every problem with a build file (and, given a WorldSpec, with entering that world)."""
    spec, probs = read_robot(Path(path))
    report = CheckReport(str(path), spec, list(probs))
    if spec is None:
        return report
    spec_ok = not probs
    try:
        report.problems.extend(geometry_problems(spec))
        if spec_ok:  # a robot that cannot be built is not simulated
            asm = assemble(spec)
            report.mass, report.size = asm.mass, size_mm(asm)
            if physics:
                more, report.tilt = settle(spec)
                report.problems.extend(more)
            if world is not None:
                report.problems.extend(world_problems(spec, report.size, report.mass, world))
        else:
            report.mass = sum(catalogue()[p.part].mass for p in spec.parts)
    except ArenaError as exc:
        report.problems.append(exc if isinstance(exc, SpecError) else SpecError(str(path), "", str(exc)))
    return report


__all__ = ["CheckReport", "check_robot", "geometry_problems", "settle", "world_problems", "box_penetration",
           "part_boxes", "mounted_pairs"]
