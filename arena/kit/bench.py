"""A motor test bench: one motor on a fixed stand turning a flywheel against a load.

The same Motor model and the same implicit joint motor as on a robot, so what the bench
measures is what a robot gets. Used by the calibration tests and `benchmarks/motors.py`, and
handy for checking a new catalogue motor against its data sheet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from arena.kit.catalogue import catalogue
from arena.kit.motors import Motor
from arena.sim import CONTROL_DT, GEOM_BOX, GEOM_CYLINDER, Link, Shape, Sim, quat_from_rpy
from arena.units import ncm


@dataclass
class BenchResult:
    speed_rpm: float  # mean output speed over the last half of the run
    angle_deg: float  # encoder reading at the end
    stalled: bool  # the brick's stall flag at the end
    applied_duty: float  # what the regulation applied in the last control period


class MotorBench:
    """load_ncm: a constant torque against positive rotation, like philohome's weight on a winch.
    stop_deg: a hard stop the flywheel cannot turn past (a blocked shaft, an arm at its end)."""

    FLYWHEEL_INERTIA = 2e-4  # kg*m^2: about a 0.7 kg rover's inertia seen by one 56 mm wheel

    def __init__(self, part: str, volts: float = 9.0, control_dt: float = CONTROL_DT, inertia: float | None = None,
                 stop_deg: float | None = None):
        self.part = catalogue()[part]
        self.volts = volts
        self.sim = Sim(control_dt=control_dt)
        stand = Link("stand", 0.0, (0.0, 0.0, 0.0), (Shape(GEOM_BOX, (0, 0, 0), half_extents=(0.02, 0.02, 0.02)),))
        disc = Shape(GEOM_CYLINDER, (0, 0, 0), quat_from_rpy((math.pi / 2, 0, 0)), radius=0.03, length=0.01)
        i = self.FLYWHEEL_INERTIA if inertia is None else inertia  # kg*m^2: the load's inertia
        limits = None if stop_deg is None else (-1e6, math.radians(stop_deg))
        fly = Link("flywheel", 0.1, (i / 2, i, i / 2), (disc,), pos=(0.0, 0.05, 0.0), joint="revolute", limits=limits)
        self.body = self.sim.add_body(stand, (fly,), (0, 0, 0.5), (0, 0, 0, 1))
        self.motor = Motor(self.part, "A", 1.0, "clockwise", control_dt)
        self.motor.reset(np.random.default_rng(0), volts)

    def run(self, command, seconds: float, load_ncm: float = 0.0) -> BenchResult:
        """Run a motor command (duty float or a command dict) for `seconds` against the load."""
        self.motor.command(command)
        steps = int(round(seconds / self.sim.control_dt))
        speeds = []
        for k in range(steps):
            angles, _ = self.sim.joint_states(self.body, [0])
            self.motor.control(angles[0])
            for _ in range(self.sim.substeps):
                _, vel = self.sim.joint_states(self.body, [0])
                target, torque = self.motor.physics(vel[0])
                self.sim.drive_joints(self.body, [0], [target], [torque])
                if load_ncm:
                    self.sim.apply_torque(self.body, 0, (0.0, -ncm(load_ncm), 0.0))
                self.sim.step()
            if k >= steps // 2:
                speeds.append(self.sim.joint_states(self.body, [0])[1][0])
        rpm = float(np.mean(speeds)) * 60.0 / (2 * math.pi)
        return BenchResult(rpm, self.motor.angle, self.motor.stalled, self.motor.applied)

    def stall_torque_ncm(self, duty: float = 1.0, lo: float = 0.0, hi: float = 200.0) -> float:
        """The load (N*cm) at which the motor at this duty just stops lifting it (bisection)."""
        for _ in range(14):
            mid = (lo + hi) / 2
            bench = MotorBench(self.part.id, self.volts, self.sim.control_dt)
            if bench.run(duty, 0.6, load_ncm=mid).speed_rpm > 0.5:
                lo = mid
            else:
                hi = mid
            bench.close()
        return (lo + hi) / 2

    def close(self) -> None:
        self.sim.close()
