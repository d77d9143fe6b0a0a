"""Motor models: a DC motor with its gearbox, and the brick's regulation of it, in the
brick's units and timing. Every random quantity comes from a numpy Generator handed in at reset.
See docs/parts.md for each figure and its source.
"""

from __future__ import annotations

import math

import numpy as np

from arena.kit.catalogue import Part
from arena.kit.control import (
    FOREVER,
    ON_NEVER,
    ON_STALLED,
    ON_TIME,
    SETTING_KEYS,
    Servo,
    Settings,
    settings_of,
)
from arena.kit.readout import _floor
from arena.units import ncm, rpm_to_rad_s

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

        Slow decay: the EV3's output port shorts the winding in the PWM off-phase (the off state is
        the brake's pin state; duty 0 is brake: docs/parts.md), so the winding always conducts.
        When the shaft turns faster than the duty's no-load speed u * w0, or against the duty, the
        back-EMF drives the current backwards and brakes at the shorted winding's rate T_s / w0,
        as brake() does, also inside the driver's dead band.
        """
        s = volts / NOMINAL_V
        a = abs(duty)
        sign = 1.0 if duty >= 0 else -1.0
        w = omega * sign  # speed in the driven direction
        d = self.drive_offset
        c = self.ideal_stall / self.ideal_speed  # the shorted winding's damping (brake())
        w0 = a * self.ideal_speed * s
        # how far the back-EMF exceeds the average drive voltage, in speed
        excess = w - w0 if w > w0 else (-w if w < 0.0 else 0.0)
        k = self.ideal_stall * s * max(0.0, a - d) / (1.0 - d) if a > d else 0.0
        if k <= self.friction:  # cannot overcome the gears: friction holds (or brakes) the shaft
            return 0.0, self.friction - k + self.viscous * abs(omega) + c * excess
        target = (k - self.friction) / (k / w0 + self.viscous)
        if w > w0:  # overspeed: the reversed current brakes at the winding's rate
            return sign * target, c * excess + self.friction + self.viscous * w
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


class SupplyCurrent:
    """The current a motor draws from the battery (mA), from its duty and speed (docs/brick.md).

    The winding current follows the datasheet's straight line in the output torque, from the
    no-load current (free running) to the stall current (at the stall torque), at 9 V: the torque
    is the DC model's net torque at this duty and speed (MotorModel.drive's line, less friction).
    With PWM and slow decay the battery feeds the winding only in the on-time, so the supply
    current is |duty| times the winding current. Past the duty's no-load speed the winding
    current reverses (regeneration); none of it is counted as drawn.
    """

    def __init__(self, model: MotorModel, stall_ma: float, no_load_ma: float):
        self.model, self.stall_ma, self.no_load_ma = model, stall_ma, no_load_ma

    @classmethod
    def from_part(cls, part: Part, model: MotorModel) -> SupplyCurrent:
        missing = [k for k in ("stall_current_ma", "no_load_current_ma") if part.param(k) is None]
        if missing:
            raise KeyError(f"parts.toml [{part.kind}.{part.id}] lacks {', '.join(missing)}: add the motor's "
                           f"published stall and no-load currents at 9 V (docs/brick.md)")
        return cls(model, float(part.param("stall_current_ma")), float(part.param("no_load_current_ma")))

    def ma(self, duty: float, omega: float, volts: float) -> float:
        """Supply current (mA) at duty -1..1 and output speed omega (rad/s, pybricks sign)."""
        m = self.model
        a = abs(duty)
        d = m.drive_offset
        if a <= d:  # inside the driver's dead band the model makes no torque
            return 0.0
        s = volts / NOMINAL_V
        w = omega if duty >= 0 else -omega  # speed in the driven direction
        w0 = a * m.ideal_speed * s
        if w >= w0:  # at or past the duty's no-load speed: no driving current
            return 0.0
        k = m.ideal_stall * s * (a - d) / (1.0 - d)
        wp = max(w, 0.0)  # back-driven: the stall torque, as drive() caps it
        net = k * (1.0 - wp / w0) - m.friction - m.viscous * wp
        winding = self.no_load_ma + (self.stall_ma - self.no_load_ma) * net / m.stall_torque
        return a * max(winding, 0.0)


def _finite(x: float) -> float:
    """A move's value once scaled to counts: a huge but finite command must not become inf."""
    if x - x != 0.0:
        raise ValueError("a move's value must stay finite in counts")
    return x


class Motor:
    """A servo motor on a port: duty, pybricks' servo control, stop modes, encoder.

    Commands follow pybricks (dc, run, run_time, run_angle, run_target, track_target, stop, brake,
    hold, control settings). A command is started at the next control period, from that period's
    encoder reading, by arena.kit.control.Servo: pbio's trajectories and PID, run once per control
    period on the encoder; the DC model runs every physics step.

    The servo works in pbio's counts, as v2.0 does on ev3dev-stretch: the PRU quadrature counter
    gives 720 counts a turn (pbdrvconfig.h COUNTS_PER_DEGREE 2), and pbio's per-motor settings
    (parts.toml pb_*) are in those counts. Commands arrive in motor degrees and are scaled here.
    """

    COUNTS_PER_DEGREE = 2  # pybricks v2.0 lib/pbio/platform/ev3dev_stretch/pbdrvconfig.h

    SPEED_WINDOW = 0.1  # s: the reported speed is estimated over 100 ms, as pybricks does
    # s: the servo's rate: ev3dev's PRU tacho driver (ev3_pru_tacho_get_freq) divides the count
    # change by its time over at least 20 ms of encoder edges
    RATE_WINDOW = 0.02
    GAP_EFFORT = 0.05  # effort (duty) that swings the gear teeth across the backlash
    MOVES = ("dc", "stop", "track", "run", "target", "by")

    def __init__(self, part: Part, port: str, gear: float, positive: str, control_dt: float):
        self.part, self.port, self.gear = part, port, gear
        self.sign = 1.0 if positive == "clockwise" else -1.0
        self.model = MotorModel.from_part(part)
        self.dt = control_dt
        self.window = max(1, int(round(self.SPEED_WINDOW / control_dt)))
        self.rate_window = max(1, int(math.ceil(self.RATE_WINDOW / control_dt - 1e-9)))
        self.backlash = float(part.param("backlash_deg", 0.0))
        self.defaults = settings_of(part)
        self.supply = SupplyCurrent.from_part(part, self.model)

    def reset(self, rng: np.random.Generator, volts: float) -> None:
        self.volts = volts
        self.mode = "coast"  # coast | brake | dc | servo
        self.duty = 0.0
        self.settings = Settings(**dict(zip(SETTING_KEYS, self.defaults.as_list(), strict=True)))
        self.servo = Servo(self.settings, self.dt)
        self.pending: dict | None = None  # a move received this period, started at control()
        self.t = 0.0  # s since reset: the servo's clock (periods * dt: no drift from summing)
        self.periods = 0
        self.offset_deg = 0.0  # reset_angle() shifts the reported angle
        self.history = [0.0] * (self.window + 1)
        self.counts = [0.0] * (self.rate_window + 1)  # pbio counts of the last periods (servo rate)
        self.angle_true = 0.0  # deg, output shaft, pybricks sign
        self.omega = 0.0  # deg/s at the shaft in the last physics step (the brick's tacho rate)
        self.speed_est = 0.0
        self.stalled = False
        self.applied = 0.0  # duty actually applied in the last period (after regulation)
        self.gap = 0.0  # deg: where the encoder side sits in the gear backlash, -b/2..+b/2
        self.effort = 0.0

    # -- commands: moves in motor degrees (deg, deg/s, deg/s^2, ms, duty -1..1); settings keys in pbio's
    # own units, counts (COUNTS_PER_DEGREE a degree), as parts.toml's pb_* and Settings hold them ------
    def command(self, cmd: dict | float) -> None:
        """A duty (float) or a dict: settings keys (arena.kit.control.SETTING_KEYS) apply at once;
        then at most one move: {"dc": u}, {"run": speed[, "time": ms | "until_stalled": 1]},
        {"target": angle | "by": rotation, "speed": s}, each with optional "acc" and "then",
        {"track": angle}, {"stop": "coast"|"brake"|"hold"}; {"reset_angle": angle}."""
        if isinstance(cmd, float):  # the hot path of controller classes: no servo involved
            self.pending = None
            if self.mode == "servo":
                self.servo.stop()
            self.mode, self.duty = "dc", cmd
            return
        new = {k: cmd[k] for k in SETTING_KEYS if k in cmd}
        if new:
            try:
                self.settings.update(new)
            except ValueError:
                pass  # refused as pbio refuses it; the brick's API raises before sending (docs/brick.md)
        if "reset_angle" in cmd:
            self.offset_deg = float(cmd["reset_angle"]) - self.encoder
        for k in self.MOVES:
            if k in cmd:
                self.pending = cmd
                break

    def _start(self, cmd: dict, count: float, rate: float) -> None:
        """Start a move; cmd is in motor degrees, count and rate in counts (the servo's units)."""
        servo, t, s, k = self.servo, self.t, self.settings, self.COUNTS_PER_DEGREE
        then = cmd.get("then", "hold")
        # a drive base plans with its own acceleration limit, beyond the single motor's
        acc = float(cmd["acc"]) * k if "acc" in cmd else s.max_acc
        amax = acc if "acc" in cmd else s.max_acc
        speed = float(cmd.get("speed", 500.0)) * k
        try:
            if not acc > 0.0 or acc == math.inf or speed == math.inf or speed == -math.inf:
                raise ValueError("acceleration must be positive; values in counts must stay finite")
            if "dc" in cmd:
                servo.stop()
                self.mode, self.duty = "dc", float(cmd["dc"])
                return
            if "stop" in cmd:
                if cmd["stop"] == "hold":
                    servo.start_hold(t, count)
                else:
                    servo.stop()
                    self.mode = cmd["stop"]
                    return
            elif "track" in cmd:
                servo.start_hold(t, _finite((float(cmd["track"]) - self.offset_deg) * k))
            elif "run" in cmd:
                run = _finite(float(cmd["run"]) * k)
                if "time" in cmd:
                    servo.start_timed(t, count, rate, float(cmd["time"]) / 1000.0, run, acc, amax, ON_TIME, then)
                elif cmd.get("until_stalled"):
                    servo.start_timed(t, count, rate, FOREVER, run, acc, amax, ON_STALLED,
                                      cmd.get("then", "coast"))
                else:
                    servo.start_timed(t, count, rate, FOREVER, run, acc, amax, ON_NEVER, "coast")
            elif "target" in cmd:
                servo.start_angle(t, count, rate, _finite((float(cmd["target"]) - self.offset_deg) * k), speed, acc, amax,
                                  then)
            else:
                servo.start_relative(t, count, rate, _finite(float(cmd["by"]) * k), speed, acc, amax, then)
        except ValueError:  # zero speed or a negative time: the brick's API refuses these first
            servo.stop()
            self.mode = "coast"
            return
        self.mode = "servo"

    @property
    def done(self) -> bool:
        """pbio_control_is_done: no maneuver, or the maneuver's completion rule is met."""
        return self.pending is None and (self.mode != "servo" or self.servo.done)

    def state(self) -> dict:
        """What the brick's firmware tells a program about this motor beyond angle and speed, and
        what it draws from the battery (mA: the brick's battery.current() sums them)."""
        duty = self.applied if self.mode in ("dc", "servo") else 0.0  # coast and brake draw nothing
        return {"done": self.done, "stalled": self.stalled, "busy": self.mode == "servo",
                "settings": self.settings.as_list(),
                "supply_ma": self.supply.ma(duty, self.omega / _DEG, self.volts)}

    # -- control period ----------------------------------------------------------------------------
    def control(self, angle_joint: float) -> None:
        """Once per control period: read the encoder, estimate speed, run the servo."""
        self.angle_true = angle_joint / self.gear * _DEG * self.sign
        # raw encoder counts: a reset_angle() must not look like a jump in speed
        history = self.history
        history.append(self._encoder())
        del history[0]
        self.speed_est = (history[-1] - history[0]) / (self.window * self.dt)
        count = self._count()  # the servo's units: pbio counts
        counts = self.counts
        counts.append(count)
        del counts[0]
        rate = (count - counts[0]) / (self.rate_window * self.dt)
        if self.pending is not None:
            self._start(self.pending, count, rate)
            self.pending = None
        self.effort = 0.0  # the effort asked for, before the dead-band lift
        self.stalled = False
        if self.mode == "servo":
            how, duty = self.servo.update(self.t, count, rate)
            if how == "duty":
                self.applied = self._lift(duty / 10000.0)
                self.stalled = self.servo.stalled
            else:  # the maneuver ended passively (then=coast/brake)
                self.mode, self.applied = how, 0.0
        elif self.mode == "dc":
            self.applied = self.effort = self.duty
        else:
            self.applied = 0.0
        # Backlash: the encoder is on the motor side of the gears. Driving one way closes the gap
        # on that side, so the encoder leads the output by half the backlash in the direction
        # of drive; a reversal shows on the encoder before the output moves.
        # Only a real effort swings the teeth across: GAP_EFFORT beyond the driver's dead band
        # (below it the motor makes no torque), so a hold's small corrections do not hunt.
        swing = self.model.drive_offset + (1.0 - self.model.drive_offset) * self.GAP_EFFORT
        if self.effort > swing:
            self.gap = self.backlash / 2
        elif self.effort < -swing:
            self.gap = -self.backlash / 2
        self.periods += 1
        self.t = self.periods * self.dt

    def _lift(self, u: float) -> float:
        """The servo's duty as applied: pbio sends it to the driver as is (its own feed_forward
        is what crosses a motor's dead band), so the driver's offset stays in the DC model."""
        self.effort = u
        return -1.0 if u < -1.0 else (1.0 if u > 1.0 else u)

    # -- physics step ------------------------------------------------------------------------------
    def physics(self, omega_joint: float) -> tuple[float, float]:
        """(target joint speed rad/s, max joint torque N*m) for one physics step."""
        g, sign = self.gear, self.sign
        omega = omega_joint / g * sign
        self.omega = omega * _DEG
        if self.mode == "coast":
            target, torque = self.model.coast(omega)
        elif self.mode == "brake":
            target, torque = self.model.brake(omega, self.volts)
        else:
            target, torque = self.model.drive(self.applied, omega, self.volts)
        return target * g * sign, torque / g

    @property
    def encoder(self) -> float:
        """The encoder in whole degrees, on the motor side of the backlash."""
        return self._encoder()

    def _count(self) -> float:
        """The raw quadrature count: COUNTS_PER_DEGREE per degree (720 a turn on the EV3)."""
        return _floor((self.angle_true + self.gap) * self.COUNTS_PER_DEGREE + 0.5)

    def _encoder(self) -> float:
        """The angle every controller reads, in whole degrees (ev3dev's 360 a turn). pbio v2.0
        reports its count / 2 rounded half away from zero, which differs by 1 deg in a quarter of
        positions; kept as is so that non-brick runs do not change."""
        return _floor(self.angle_true + self.gap + 0.5)

    @property
    def angle(self) -> float:
        """The angle the brick reports: the encoder from the last reset_angle()."""
        return self._encoder() + self.offset_deg
