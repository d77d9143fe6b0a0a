"""A robot in a world: its multibody, its devices by port, and what it observes.

Per control step: motors read their encoders and regulate; then, every physics step, each motor's
DC model sets its wheel's implicit velocity motor; then sensors read the new state. Pose and
velocity are fetched once per control step and shared by every sensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from arena.kit.catalogue import catalogue
from arena.kit.motors import Motor
from arena.kit.readout import Noise, _rint
from arena.kit.sensors import ColorSensor, GyroSensor, SensorFrame, TouchSensor, UltrasonicSensor
from arena.robot.assembly import Assembly, assemble, size_mm
from arena.robot.spec import RobotSpec
from arena.sim import Sim, matrix, matrix9, quat_from_rpy

if TYPE_CHECKING:  # the mat is the world's; the robot's colour sensors only sample it
    from arena.world.mat import Mat


@dataclass(frozen=True)
class ObsKey:
    key: str  # "<port>/<quantity>"
    low: float
    high: float
    shape: tuple[int, ...] = ()


QUANTITY_RANGES = {
    "reflection": (0.0, 100.0, ()), "ambient": (0.0, 100.0, ()), "color": (0.0, 7.0, ()),
    "rgb": (0.0, 1020.0, (3,)), "distance": (0.0, 2550.0, ()), "angle": (-1e7, 1e7, ()),
    "rate": (-440.0, 440.0, ()), "pressed": (0.0, 1.0, ()), "speed": (-2000.0, 2000.0, ()),
}


BATTERY_NOISE_MV = 5.0  # the brick's voltage reading, 1 sigma


_PI = math.pi
_TWO_PI = 2 * math.pi


class Pose:
    """The robot origin (ground below the axle centre) in the world, this control step."""

    def __init__(self, x: float, y: float, z: float, yaw: float, up: float):
        self.x, self.y, self.z, self.yaw = x, y, z, yaw
        self.up = up  # z component of the robot's up axis: 1 upright, < 0.5 toppled

    def __repr__(self) -> str:
        return f"Pose(x={self.x!r}, y={self.y!r}, z={self.z!r}, yaw={self.yaw!r}, up={self.up!r})"


class Robot:
    def __init__(self, spec: RobotSpec, control_dt: float, name: str = "robot"):
        self.spec, self.name, self.control_dt = spec, name, control_dt
        self.asm: Assembly = assemble(spec)
        cat = catalogue()
        self.volts_nominal = float(cat[spec.brick.part].param("battery_v", 9.0))
        self.motors: dict[str, Motor] = {}
        for m in spec.motors:  # the gear between a motor and the wheel or arm it turns
            self.motors[m.port] = Motor(cat[m.part], m.port, self.asm.motor_gear.get(m.id, 1.0), m.direction, control_dt)
        self.motor_ids = {m.port: m.id for m in spec.motors}
        self.sensors: dict[str, object] = {}
        self.sensor_parts = {}
        for s in spec.sensors:
            kind = cat[s.part].param("sensor")
            if kind == "color":
                dev = ColorSensor(s.port, full=s.part == "color-sensor", lens_offset=cat[s.part].size[2] / 2000.0)
            elif kind == "ultrasonic":
                dev = UltrasonicSensor(s.port)
            elif kind == "gyro":
                dev = GyroSensor(s.port)
            else:
                dev = TouchSensor(s.port, self.asm.touch_links[s.id])
            self.sensors[s.port] = dev
            self.sensor_parts[s.port] = s.id
        # motors drive wheel or arm joints; a motor with neither turns a free output (no joint)
        self.joint_of = {port: self.asm.motor_joint.get(mid) for port, mid in self.motor_ids.items()}
        # per sensor: offset from the chassis COM (m) and the part's rotation (row-major 9)
        self._mounts = {port: (tuple(float(v) for v in self.asm.poses[pid].pos - self.asm.com),
                               tuple(float(v) for v in matrix(self.asm.poses[pid].quat).reshape(-1)))
                        for port, pid in self.sensor_parts.items()}
        self._com = tuple(float(v) for v in self.asm.com)
        # precomputed for the per-step loops: (port, device, kind, [(quantity, obs key)], mount)
        self._plan = [(port, dev, dev.__class__, [(q, f"{port}/{q}") for q in dev.quantities], self._mounts[port])
                      for port, dev in self.sensors.items()]
        self._motor_keys = [(m, f"{port}/angle", f"{port}/speed") for port, m in self.motors.items()]
        self.size_mm = size_mm(self.asm)
        self.mass = self.asm.mass
        self.body = -1
        self.state_generation = -1  # no base state read yet (see _fetch_state)

    # -- what it observes and commands --------------------------------------------------------------
    def obs_keys(self) -> list[ObsKey]:
        keys = [ObsKey("battery/voltage", 0.0, 10000.0)]
        for port in sorted(self.sensors, key=lambda p: int(p[1:])):
            for q in self.sensors[port].quantities:
                lo, hi, shape = QUANTITY_RANGES[q]
                keys.append(ObsKey(f"{port}/{q}", lo, hi, shape))
        for port in self.motors:
            keys.append(ObsKey(f"{port}/angle", *QUANTITY_RANGES["angle"]))
            keys.append(ObsKey(f"{port}/speed", *QUANTITY_RANGES["speed"]))
        return keys

    @property
    def ports(self) -> list[str]:
        """Motor ports in order: the action vector's order."""
        return list(self.motors)

    # -- lifecycle -----------------------------------------------------------------------------------
    def spawn(self, sim: Sim, x: float, y: float, heading: float, rng_devices: list[np.random.Generator],
              volts: float | None = None, wide: bool = False, battery_rng: np.random.Generator | None = None) -> None:
        """Place the robot with its origin at (x, y) on the ground facing `heading` (rad).
        rng_devices: one generator per device; battery_rng: the brick's own (voltage reading noise)."""
        self.sim = sim
        # the bound method the ultrasonic casts its rays with, taken from the untyped argument:
        # compiled, `self.sim.rays` (a typed Sim) would become a C function wrapper without self
        self._cast = sim.rays
        quat = quat_from_rpy((0.0, 0.0, heading))
        com = matrix(quat) @ self.asm.com
        self.body = sim.add_body(self.asm.base, self.asm.links, (x + com[0], y + com[1], com[2] + 0.0005), quat)
        self.joints = [j for j in self.joint_of.values() if j is not None]
        self.joint_ports = [p for p, j in self.joint_of.items() if j is not None]
        self._joint_motors = [self.motors[p] for p in self.joint_ports]
        self.volts = self.volts_nominal if volts is None else volts
        rngs = iter(rng_devices)
        for m in self.motors.values():
            m.reset(next(rngs), self.volts)
        for s in self.sensors.values():
            s.reset(next(rngs), wide)
        self.battery_noise = Noise(battery_rng if battery_rng is not None else np.random.default_rng(0))
        self.prev_yaw = heading
        self._fetch_state()

    def n_devices(self) -> int:
        """spawn() takes one generator per device."""
        return len(self.motors) + len(self.sensors)

    # -- stepping ---------------------------------------------------------------------------------------
    def command(self, commands: dict) -> None:
        for port, cmd in commands.items():
            self.motors[port].command(cmd)

    def control(self) -> None:
        """Start of a control period: encoders and regulation."""
        if self.joints:
            angles = self.sim.joint_angles(self.body, self.joints)
            for motor, a in zip(self._joint_motors, angles, strict=True):
                motor.control(a)

    def physics(self) -> None:
        """Before each physics step: every motor's DC model sets its implicit velocity motor."""
        if not self.joints:
            return
        vels = self.sim.joint_speeds(self.body, self.joints)
        targets, torques = [], []
        for motor, w in zip(self._joint_motors, vels, strict=True):
            t, f = motor.physics(w)
            targets.append(t)
            torques.append(f)
        self.sim.drive_joints(self.body, self.joints, targets, torques)

    def _fetch_state(self) -> None:
        """Pose and velocity once per control step, as plain floats (numpy costs more than it
        saves on 3-vectors)."""
        pos, quat = self.sim.pose(self.body)
        self.state_generation = self.sim.generation  # the digest reuses these while it holds
        self.base_pos, self.base_quat = pos, quat
        self.rot9 = r = matrix9(quat)
        self.lin_vel, self.ang_vel = self.sim.velocity(self.body)
        r0, r1, r2, r3, r4, r5, r6, r7, r8 = r  # unpacked: compiled, the arithmetic is on C doubles
        px, py, pz = pos
        cx, cy, cz = self._com
        ox = px - (r0 * cx + r1 * cy + r2 * cz)
        oy = py - (r3 * cx + r4 * cy + r5 * cz)
        oz = pz - (r6 * cx + r7 * cy + r8 * cz)
        self.pose = Pose(ox, oy, oz, math.atan2(r3, r0), r8)

    def _frame(self, port: str) -> SensorFrame:
        return self._frame_at(self._mounts[port])

    def _frame_at(self, mount: tuple) -> SensorFrame:
        (dx, dy, dz), m = mount  # offset from the chassis COM, part rotation (9)
        r0, r1, r2, r3, r4, r5, r6, r7, r8 = self.rot9
        m0, m1, m2, m3, m4, m5, m6, m7, m8 = m
        px, py, pz = self.base_pos
        fr = SensorFrame.__new__(SensorFrame)  # filled here: no tuples in between
        fr.px = px + r0 * dx + r1 * dy + r2 * dz
        fr.py = py + r3 * dx + r4 * dy + r5 * dz
        fr.pz = pz + r6 * dx + r7 * dy + r8 * dz
        # world axes of the part: R_base @ R_part columns 0 (x) and 2 (z)
        fr.xx = r0 * m0 + r1 * m3 + r2 * m6
        fr.xy = r3 * m0 + r4 * m3 + r5 * m6
        fr.xz = r6 * m0 + r7 * m3 + r8 * m6
        fr.zx = r0 * m2 + r1 * m5 + r2 * m8
        fr.zy = r3 * m2 + r4 * m5 + r5 * m8
        fr.zz = r6 * m2 + r7 * m5 + r8 * m8
        return fr

    def _sonar_pose(self, mount: tuple) -> tuple[tuple, tuple]:
        """An ultrasonic part's world rotation (R_base @ R_part, row-major 9) and where its rays
        start: 13 mm in front of the part centre (the transducers)."""
        fr = self._frame_at(mount)
        r0, r1, r2, r3, r4, r5, r6, r7, r8 = self.rot9
        m0, m1, m2, m3, m4, m5, m6, m7, m8 = mount[1]
        rot = (r0 * m0 + r1 * m3 + r2 * m6, r0 * m1 + r1 * m4 + r2 * m7, r0 * m2 + r1 * m5 + r2 * m8,
               r3 * m0 + r4 * m3 + r5 * m6, r3 * m1 + r4 * m4 + r5 * m7, r3 * m2 + r4 * m5 + r5 * m8,
               r6 * m0 + r7 * m3 + r8 * m6, r6 * m1 + r7 * m4 + r8 * m7, r6 * m2 + r7 * m5 + r8 * m8)
        return rot, (fr.px + fr.xx * 0.013, fr.py + fr.xy * 0.013, fr.pz + fr.xz * 0.013)

    def sense(self, t: float, mat: Mat, ambient: float) -> dict:
        """After the physics steps of a control period: fetch state once, read every device."""
        self._fetch_state()
        dt = self.control_dt
        yaw = self.pose.yaw
        dyaw = (yaw - self.prev_yaw + _PI) % _TWO_PI - _PI
        self.prev_yaw = yaw
        obs: dict = {}
        # each device is bound to a name of its kind: with the compiled build those are typed,
        # so the calls below are direct C calls
        for _port, dev, kind, keys, mount in self._plan:
            if kind is ColorSensor:
                color = dev
                vals = color.read(self._frame_at(mount), mat, ambient)
            elif kind is UltrasonicSensor:
                sonar = dev
                if sonar.due(t):
                    rot, origin = self._sonar_pose(mount)
                    sonar.ping(t, rot, origin, self._cast)
                vals = sonar.read()
            elif kind is GyroSensor:
                gyro = dev
                fr = self._frame_at(mount)
                wx, wy, wz = self.ang_vel
                gyro.update(wx * fr.zx + wy * fr.zy + wz * fr.zz, dyaw, dt)
                vals = gyro.read()
            else:
                touch = dev
                pressed = 0.0
                for link in touch.links:
                    if self.sim.contacts(self.body, link):
                        pressed = 1.0
                        break
                touch.pressed = pressed
                vals = touch.read()
            for q, key in keys:
                obs[key] = vals[q]
        # the brick measures its battery (mV); the pack does not sag under load in this model
        obs["battery/voltage"] = _rint(self.volts * 1000.0 + self.battery_noise.draw(BATTERY_NOISE_MV))
        for motor, angle_key, speed_key in self._motor_keys:
            obs[angle_key] = motor._encoder() + motor.offset_deg  # Motor.angle
            obs[speed_key] = _rint(motor.speed_est)
        return obs
