"""Motor models: a DC motor with its gearbox, and the brick's regulation of it, in the
brick's units and timing. Every random quantity comes from a numpy Generator handed in at reset.
See docs/parts.md for each figure and its source.
"""

from __future__ import annotations

import math

import numpy as np

from arena.kit.catalogue import Part
from arena.kit.readout import _clip, _floor
from arena.units import ncm, rpm_to_rad_s, to_deg

NOMINAL_V = 9.0
_DEG = 180.0 / math.pi  # rad -> deg, exactly as units.to_deg (inlined: this runs every step)


class MotorModel:
    """A DC motor with gearbox, seen at its output shaft (SI units)."""

    def __init__(self, stall_torque: float, no_load_speed: float, friction: float = 0.0, viscous: float = 0.0,
                 drive_offset: float = 0.0, max_speed: float = 0.0):
        self.stall_torque = stall_torque  # N*m at 9 V, friction included (what a stall test measures)
        self.no_load_speed = no_load_speed  # rad/s at 9 V, friction included
        self.friction = friction  # N*m, Coulomb (gear train)
        self.viscous = viscous  # N*m*s/rad
        self.drive_offset = drive_offset  # duty fraction lost in the driver before torque appears
        self.max_speed = max_speed  # rad/s the firmware regulates up to
        # derived constants, computed once (drive() runs every physics step for every motor)
        stall = stall_torque + friction
        w = no_load_speed
        self.ideal_stall = stall
        # the speed where the driven torque line reaches zero, so that at full duty the net torque
        # (drive - friction - viscous) vanishes exactly at the published no-load speed
        self.ideal_speed = w / (1.0 - (friction + viscous * w) / stall)

    @classmethod
    def from_part(cls, part: Part) -> MotorModel:
        return cls(stall_torque=ncm(part.param("stall_torque_ncm")),
                   no_load_speed=rpm_to_rad_s(part.param("no_load_rpm")),
                   friction=ncm(part.param("gear_friction_ncm", 0.0)),
                   viscous=part.param("viscous_friction", 0.0),
                   drive_offset=part.param("drive_offset", 0.0),
                   max_speed=math.radians(part.param("max_speed_dps")))

    def __repr__(self) -> str:
        return (f"MotorModel(stall_torque={self.stall_torque!r}, no_load_speed={self.no_load_speed!r}, "
                f"friction={self.friction!r}, viscous={self.viscous!r}, drive_offset={self.drive_offset!r}, "
                f"max_speed={self.max_speed!r})")

    def drive(self, duty: float, omega: float, volts: float) -> tuple[float, float]:
        """The implicit motor for one physics step: (target speed, max torque) at the output.

        The torque-speed line at duty u runs from the stall torque k(u) = T_s (u - d) / (1 - d) at
        rest to zero at u * w0; d is the driver's offset (an NXT under 11.5 N*cm stalls below
        40 % duty). Net torque is that line minus friction; its zero is the speed the constraint
        solver drives to, and its value at the current speed is the most it may use. The solver
        integrates implicitly, so the model is stable at any physics period.
        """
        s = volts / NOMINAL_V
        a = abs(duty)
        sign = 1.0 if duty >= 0 else -1.0
        w = omega * sign  # speed in the driven direction
        d = self.drive_offset
        k = self.ideal_stall * s * max(0.0, a - d) / (1.0 - d) if a > d else 0.0
        if k <= self.friction:  # cannot overcome the gears: friction holds (or brakes) the shaft
            return 0.0, self.friction - k + self.viscous * abs(omega)
        w0 = a * self.ideal_speed * s
        target = (k - self.friction) / (k / w0 + self.viscous)
        # the torque limit is read at the current speed but never above stall: when a load
        # back-drives the shaft, a limit evaluated at the reversed speed would overshoot the
        # target within one step and chatter about zero
        wp = max(w, 0.0)
        net = k * (1.0 - wp / w0) - self.friction - self.viscous * wp
        return sign * target, max(abs(net), 1e-4)

    def coast(self, omega: float) -> tuple[float, float]:
        return 0.0, self.friction + self.viscous * abs(omega)

    def brake(self, omega: float, volts: float) -> tuple[float, float]:
        """Shorted windings: back-EMF damping (the slope of the torque-speed line) plus friction."""
        emf = self.ideal_stall / self.ideal_speed
        return 0.0, self.friction + (emf + self.viscous) * abs(omega)


class Motor:
    """A servo motor on a port: duty, speed regulation, run to target, stop modes, encoder.

    Commands follow pybricks: dc(duty), run(speed), run_target(speed, angle), stop (coast),
    brake, hold. Regulation runs once per control period on the encoder reading, like the brick's
    firmware; the DC model runs every physics step.
    """

    KP = 0.02  # duty per deg of position error
    KD = 0.0006  # duty per deg/s of speed error
    KI = 0.03  # duty per deg*s
    MAX_ERR = 60.0  # deg: reference is held back beyond this (anti-windup, like pbio)
    SPEED_WINDOW = 0.1  # s: speed estimated over 100 ms, as pybricks does
    STALL_TIME = 0.2  # s at full effort without moving -> stalled
    GAP_EFFORT = 0.05  # effort (duty) that swings the gear teeth across the backlash

    def __init__(self, part: Part, port: str, gear: float, positive: str, control_dt: float):
        self.part, self.port, self.gear = part, port, gear
        self.sign = 1.0 if positive == "clockwise" else -1.0
        self.model = MotorModel.from_part(part)
        self.dt = control_dt
        self.window = max(1, int(round(self.SPEED_WINDOW / control_dt)))
        self.backlash = float(part.param("backlash_deg", 0.0))

    def reset(self, rng: np.random.Generator, volts: float) -> None:
        self.volts = volts
        self.mode = "coast"
        self.duty = 0.0
        self.ref_speed = 0.0
        self.ref_angle = 0.0
        self.target: float | None = None
        self.integral = 0.0
        self.offset_deg = 0.0  # reset_angle() shifts the reported angle
        self.history = [0.0] * (self.window + 1)
        self.angle_true = 0.0  # deg, output shaft, pybricks sign
        self.speed_est = 0.0
        self.stall_timer = 0.0
        self.stalled = False
        self.applied = 0.0  # duty actually applied in the last period (after regulation)
        self.gap = 0.0  # deg: where the encoder side sits in the gear backlash, -b/2..+b/2
        self.effort = 0.0

    # -- commands (pybricks units: deg, deg/s, duty -1..1) -----------------------------------------
    def command(self, cmd: dict | float) -> None:
        """A duty (float) or one of {"dc": u}, {"run": speed}, {"target": angle, "speed": s,
        "then": "hold"|"brake"|"coast"}, {"stop": "coast"|"brake"|"hold"}."""
        if isinstance(cmd, float):
            self.mode, self.duty = "dc", cmd
            return
        if "dc" in cmd:
            self.mode, self.duty = "dc", float(cmd["dc"])
        elif "run" in cmd:
            speed = _clip(float(cmd["run"]), -to_deg(self.model.max_speed), to_deg(self.model.max_speed))
            if self.mode not in ("run", "target", "hold"):
                self.ref_angle, self.integral = self.angle_true, 0.0
            self.mode, self.ref_speed = "run", speed
        elif "target" in cmd:
            if self.mode not in ("run", "target", "hold"):
                self.ref_angle, self.integral = self.angle_true, 0.0
            self.mode, self.target = "target", float(cmd["target"]) - self.offset_deg
            self.ref_speed = min(abs(float(cmd.get("speed", 500.0))), to_deg(self.model.max_speed))
            self.then = cmd.get("then", "hold")
        elif "stop" in cmd:
            how = cmd["stop"]
            if how == "hold":
                if self.mode not in ("run", "target", "hold"):
                    self.integral = 0.0
                self.mode, self.ref_angle, self.ref_speed = "hold", self.angle_true, 0.0
            else:
                self.mode = how
        elif "reset_angle" in cmd:
            self.offset_deg = float(cmd["reset_angle"]) - self.encoder

    @property
    def done(self) -> bool:
        return self.mode != "target"

    # -- control period ----------------------------------------------------------------------------
    def control(self, angle_joint: float) -> None:
        """Once per control period: read the encoder, estimate speed, run regulation."""
        self.angle_true = angle_joint / self.gear * _DEG * self.sign
        # raw encoder counts: a reset_angle() must not look like a jump in speed
        history = self.history
        history.append(self._encoder())
        del history[0]
        newest, oldest = history[-1], history[0]
        self.speed_est = (newest - oldest) / (self.window * self.dt)
        self.effort = 0.0  # the effort asked for, before the dead-band lift
        if self.mode in ("run", "target", "hold"):
            self.applied = self._regulate()
        elif self.mode == "dc":
            self.applied = self.effort = self.duty
        else:
            self.applied = 0.0
        # Backlash: the encoder is on the motor side of the gears. Driving one way closes the gap
        # on that side, so the encoder leads the output by half the backlash in the direction
        # of drive; a reversal shows on the encoder before the output moves.
        # Only a real effort (beyond GAP_EFFORT) swings the teeth across: a hold's tiny
        # corrections do not, so holding does not hunt across the gap.
        if self.effort > self.GAP_EFFORT:
            self.gap = self.backlash / 2
        elif self.effort < -self.GAP_EFFORT:
            self.gap = -self.backlash / 2
        # stalled: pushing (at full effort when regulated) but not moving the way it pushes
        effort = abs(self.applied) >= 0.99 if self.mode != "dc" else abs(self.applied) > 0.0
        if effort and (self.speed_est if self.applied > 0.0 else -self.speed_est) < 5.0:  # applied != 0 here
            self.stall_timer += self.dt
        else:
            self.stall_timer = 0.0
        self.stalled = self.stall_timer >= self.STALL_TIME

    def _regulate(self) -> float:
        dt = self.dt
        if self.mode == "run":
            self.ref_angle += self.ref_speed * dt
            ref_speed = self.ref_speed
        elif self.mode == "target":
            step = self.ref_speed * dt
            gap = self.target - self.ref_angle
            ref_speed = (self.ref_speed if gap > 0.0 else -self.ref_speed) if abs(gap) > step else gap / dt
            self.ref_angle += ref_speed * dt
            if abs(self.target - self.angle_true) < 2.0 and abs(self.speed_est) < 20.0 and abs(gap) <= step:
                self.ref_angle = self.target
                self.mode = {"hold": "hold", "brake": "brake", "coast": "coast"}.get(self.then, "hold")
                if self.mode != "hold":
                    return 0.0
        else:
            ref_speed = 0.0
        measured = self.history[-1]
        err = self.ref_angle - measured
        if abs(err) > self.MAX_ERR:  # stalled or overloaded: hold the reference back
            err = self.MAX_ERR if err > 0.0 else -self.MAX_ERR
            self.ref_angle = measured + err
        else:
            self.integral = _clip(self.integral + err * dt, -20.0, 20.0)
        ff = ref_speed / (self.model.no_load_speed * self.volts / NOMINAL_V * _DEG)
        u = ff + self.KP * err + self.KI * self.integral + self.KD * (ref_speed - self.speed_est)
        self.effort = u
        # like the firmware's minimum power, lift any real effort past the driver's dead band
        d = self.model.drive_offset
        if abs(u) > 0.002:
            u = d + (1.0 - d) * min(abs(u), 1.0) if u > 0.0 else -(d + (1.0 - d) * min(abs(u), 1.0))
        return _clip(u, -1.0, 1.0)

    # -- physics step ------------------------------------------------------------------------------
    def physics(self, omega_joint: float) -> tuple[float, float]:
        """(target joint speed rad/s, max joint torque N*m) for one physics step."""
        g, sign = self.gear, self.sign
        omega = omega_joint / g * sign
        if self.mode == "coast":
            target, torque = self.model.coast(omega)
        elif self.mode == "brake":
            target, torque = self.model.brake(omega, self.volts)
        else:
            target, torque = self.model.drive(self.applied, omega, self.volts)
        return target * g * sign, torque / g

    @property
    def encoder(self) -> float:
        """Raw encoder count, deg: whole degrees (360 counts per turn), on the motor side of the
        backlash."""
        return self._encoder()

    def _encoder(self) -> float:
        return _floor(self.angle_true + self.gap + 0.5)

    @property
    def angle(self) -> float:
        """The angle the brick reports: the encoder from the last reset_angle()."""
        return self._encoder() + self.offset_deg
