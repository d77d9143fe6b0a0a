"""URDF export of an assembled robot: the same links, masses, inertias, joints and
collision shapes that the arena builds, for other simulators and for pybullet's loadURDF.

Frames match Sim.add_body: the base link's frame is the chassis centre of mass; each child link's
frame is at its joint (wheel centre, arm hinge), its inertial origin at its centre of mass.
Wheels are `continuous` joints about y, arms `revolute` with their limits and the motor's stall
torque (through the gear) as effort, casters and touch buttons `fixed`. Load it with
`flags=pybullet.URDF_USE_INERTIA_FROM_FILE` so pybullet keeps these inertias.
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from arena.kit.catalogue import catalogue
from arena.robot.assembly import Assembly
from arena.sim import GEOM_BOX, GEOM_CYLINDER, GEOM_MESH, GEOM_SPHERE, Link, Shape, matrix
from arena.units import ncm, parse_color


def rpy_of(quat) -> tuple[float, float, float]:
    """Fixed-axis roll, pitch, yaw (rad) of a quaternion (x, y, z, w): R = Rz(yaw) Ry(pitch) Rx(roll)."""
    r = matrix(quat)
    pitch = -math.asin(max(-1.0, min(1.0, float(r[2, 0]))))
    if abs(r[2, 0]) < 1.0 - 1e-9:
        roll, yaw = math.atan2(r[2, 1], r[2, 2]), math.atan2(r[1, 0], r[0, 0])
    else:  # gimbal lock: put it all in yaw
        roll, yaw = 0.0, math.atan2(-r[0, 1], r[1, 1])
    return roll, pitch, yaw


def _f(v) -> str:
    return " ".join(f"{float(x):.6g}" for x in v)


def _geometry(s: Shape) -> str:
    if s.kind == GEOM_BOX:
        return f'<box size="{_f(2 * np.array(s.half_extents))}"/>'
    if s.kind == GEOM_CYLINDER:
        return f'<cylinder radius="{s.radius:.6g}" length="{s.length:.6g}"/>'
    if s.kind == GEOM_SPHERE:
        return f'<sphere radius="{s.radius:.6g}"/>'
    if s.kind == GEOM_MESH:  # a crowned tyre: URDF gets the cylinder it is cut from
        v = np.array(s.vertices)
        radius = float(np.hypot(v[:, 0], v[:, 2]).max())
        return f'<cylinder radius="{radius:.6g}" length="{float(np.ptp(v[:, 1])):.6g}"/>'
    raise ValueError(f"unknown shape kind {s.kind}")


def _qmul(a, b):
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz)


def _origin_quat(s: Shape):
    """URDF cylinders lie along z; a tyre's axle is its part's y axis."""
    if s.kind == GEOM_MESH:
        half = np.sqrt(0.5)
        return _qmul(s.quat, (half, 0.0, 0.0, half))
    return s.quat


def physical_inertia(i) -> tuple[float, float, float]:
    """Principal moments that a rigid body can have (each at most the sum of the other two).
    A wheel's moment about its axle carries the motor's rotor seen through the gear, which can
    break that rule; URDF loaders reject such a tensor, so the other two are raised to fit (they
    only matter for wobble about the axle's normal, where the extra is negligible)."""
    i = [float(x) for x in i]
    for k in range(3):
        a, b = (k + 1) % 3, (k + 2) % 3
        short = i[k] - (i[a] + i[b])
        if short > 0:
            i[a] += short / 2 + 1e-12
            i[b] += short / 2 + 1e-12
    return tuple(i)


def _link_xml(name: str, lk: Link, rgba: str) -> list[str]:
    inertia = physical_inertia(lk.inertia)
    out = [f"  <link name={quoteattr(name)}>",
           "    <inertial>",
           f'      <origin xyz="{_f(lk.com)}" rpy="0 0 0"/>',
           f'      <mass value="{lk.mass:.6g}"/>',
           f'      <inertia ixx="{inertia[0]:.6g}" ixy="0" ixz="0" iyy="{inertia[1]:.6g}" iyz="0" '
           f'izz="{inertia[2]:.6g}"/>',
           "    </inertial>"]
    for s in lk.shapes:
        origin = f'<origin xyz="{_f(s.pos)}" rpy="{_f(rpy_of(_origin_quat(s)))}"/>'
        out += ["    <visual>", f"      {origin}", f"      <geometry>{_geometry(s)}</geometry>",
                f'      <material name=""><color rgba="{rgba}"/></material>', "    </visual>",
                "    <collision>", f"      {origin}", f"      <geometry>{_geometry(s)}</geometry>", "    </collision>"]
    out += ["    <contact>", f'      <lateral_friction value="{lk.friction:.6g}"/>',
            f'      <rolling_friction value="{lk.rolling_friction:.6g}"/>',
            f'      <spinning_friction value="{lk.spinning_friction:.6g}"/>', "    </contact>",
            "  </link>"]
    return out


def _rgba(hexcolor: str) -> str:
    r, g, b = parse_color(hexcolor)
    return f"{r / 255:.3g} {g / 255:.3g} {b / 255:.3g} 1"


def to_urdf(asm: Assembly) -> str:
    spec, cat = asm.spec, catalogue()
    brick = spec.brick
    out = ['<?xml version="1.0"?>',
           f"<!-- {spec.name}: exported by Kit Arena from {Path(spec.file).name}; mass {asm.mass:.4f} kg. -->",
           f"<robot name={quoteattr(spec.name)}>"]
    out += _link_xml(asm.base.name, asm.base, _rgba(brick.color or cat[brick.part].color))
    motor_of = {j: m for m, j in asm.motor_joint.items()}
    for i, (lk, pid) in enumerate(zip(asm.links, asm.link_parts, strict=True)):
        ps = spec.part(pid)
        out += _link_xml(lk.name, lk, _rgba(ps.color or cat[ps.part].color))
        if lk.joint == "revolute":
            jtype = "revolute" if lk.limits is not None else "continuous"
        else:
            jtype = "fixed"
        out.append(f"  <joint name={quoteattr(lk.name + '_joint')} type=\"{jtype}\">")
        out.append(f"    <parent link={quoteattr(asm.base.name)}/>")
        out.append(f"    <child link={quoteattr(lk.name)}/>")
        out.append(f'    <origin xyz="{_f(lk.pos)}" rpy="0 0 0"/>')
        if jtype != "fixed":
            mid = motor_of[i]
            motor = cat[spec.part(mid).part]
            g = asm.motor_gear[mid]
            out.append(f'    <axis xyz="{_f(lk.axis)}"/>')
            effort = ncm(motor.param("stall_torque_ncm", 40.0)) / g
            speed = math.radians(motor.param("max_speed_dps", 1000.0)) * g
            lim = f' lower="{lk.limits[0]:.9g}" upper="{lk.limits[1]:.9g}"' if lk.limits is not None else ""
            out.append(f'    <limit effort="{effort:.6g}" velocity="{speed:.6g}"{lim}/>')
            out.append(f"    <!-- turned by motor {mid!r} on port {spec.part(mid).port}, gear {g:g} -->")
        out.append("  </joint>")
    out.append("</robot>")
    return "\n".join(out) + "\n"


def write_urdf(asm: Assembly, out_dir: Path | str) -> Path:
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"{asm.spec.name}.urdf"
    p.write_text(to_urdf(asm), encoding="utf-8")
    return p
