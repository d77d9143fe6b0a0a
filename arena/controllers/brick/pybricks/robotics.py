"""DriveBase (pybricks.robotics): a two-motor robot driven in mm and deg.

pybricks v2.0 controls a drive base's distance (the sum of the wheel angles) and heading (their
difference) with two servo controllers whose gains are half the motors' own (pbio drivebase.c).
For proportional, integral and derivative terms that is the same as each wheel's servo tracking
its share of the two references with its own gains, which is how it runs here: each wheel gets
the distance or heading trajectory in wheel degrees (docs/brick.md says what differs).
"""

import math

from pybricks._runtime import Runtime
from pybricks.parameters import Stop


def _rt() -> Runtime:
    if Runtime.current is None:
        raise RuntimeError("the brick is not running")
    return Runtime.current


def _num(name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


class _BaseControl:
    """DriveBase.distance_control / heading_control (pybricks.builtins.Control) for the pair of
    wheels: limits cap the drive base's speed and acceleration (mm or deg of heading); target and
    stall tolerances are set on both wheels; the PID is the wheels' own (read as pbio's halved
    drive base gains) and changed through the motors."""

    def __init__(self, base, heading):
        self._base, self._heading = base, heading
        self._limits = None  # (speed, acceleration, actuation); filled by DriveBase

    def _wheel(self, value):  # drive base units (mm or deg of heading) -> wheel deg
        return value * (self._base._heading_wheel if self._heading else self._base._mm_wheel)

    def limits(self, speed=None, acceleration=None, actuation=None):
        if speed is None and acceleration is None and actuation is None:
            return tuple(int(v) for v in self._limits)
        if not self._base.done():
            raise OSError(1, "EPERM: the drive base is moving: pybricks refuses new limits then; stop() first")
        new = list(self._limits)
        for i, (name, v) in enumerate((("speed", speed), ("acceleration", acceleration), ("actuation", actuation))):
            if v is not None:
                if _num(name, v) < 1:
                    raise ValueError(f"limits(): {name} must be at least 1")
                new[i] = int(v)
        self._limits = tuple(new)

    def pid(self, *args, **kwargs):
        if args or any(v is not None for v in kwargs.values()):
            raise ValueError("DriveBase distance/heading pid() cannot be changed in the simulator: the wheels' "
                             "servos carry the drive base's gains; set left.control.pid(...) and "
                             "right.control.pid(...) instead (docs/brick.md)")
        kp, ki, kd, i_range, i_rate, ff = self._base.left.control.pid()
        return (kp // 2, ki // 2, kd // 2, i_range, i_rate, ff)

    def target_tolerances(self, speed=None, position=None):
        if speed is None and position is None:
            s, p = self._base.left.control.target_tolerances()
            return (int(s / self._wheel(1.0)), int(p / self._wheel(1.0)))
        for m in (self._base.left, self._base.right):
            m.control.target_tolerances(None if speed is None else round(self._wheel(_num("speed", speed))),
                                        None if position is None else round(self._wheel(_num("position", position))))

    def stall_tolerances(self, speed=None, time=None):
        if speed is None and time is None:
            s, t = self._base.left.control.stall_tolerances()
            return (int(s / self._wheel(1.0)), t)
        for m in (self._base.left, self._base.right):
            m.control.stall_tolerances(None if speed is None else round(self._wheel(_num("speed", speed))), time)

    def done(self):
        return self._base.done()

    def stalled(self):
        return self._base.left.stalled() or self._base.right.stalled()


class DriveBase:
    def __init__(self, left_motor, right_motor, wheel_diameter, axle_track):
        if left_motor is right_motor or left_motor.port == right_motor.port:
            raise ValueError("a DriveBase needs two different motors")
        self.left, self.right = left_motor, right_motor
        self.wheel_diameter, self.axle_track = _num("wheel_diameter", wheel_diameter), _num("axle_track", axle_track)
        if self.wheel_diameter <= 0 or self.axle_track <= 0:
            raise ValueError("wheel_diameter and axle_track must be positive (mm)")
        self._mm_per_deg = math.pi * self.wheel_diameter / 360.0
        self._mm_wheel = 1.0 / self._mm_per_deg  # wheel deg per mm driven
        self._heading_wheel = self.axle_track / self.wheel_diameter  # wheel deg per deg of heading
        self.distance_control = _BaseControl(self, False)
        self.heading_control = _BaseControl(self, True)
        # pbio: the drive base may use twice the motors' speed and four times their acceleration
        # in sum counts, i.e. the wheels' top speed and twice their acceleration (drivebase.c);
        # the default settings are a third of those limits (modrobotics.c)
        speed, acc, duty = left_motor.control.limits()
        self.distance_control._limits = (speed / self._mm_wheel, 2 * acc / self._mm_wheel, duty)
        self.heading_control._limits = (speed / self._heading_wheel, 2 * acc / self._heading_wheel, duty)
        d, h = self.distance_control._limits, self.heading_control._limits
        self._settings = [int(d[0] / 3), int(d[1] / 3), int(h[0] / 3), int(h[1] / 3)]
        self.reset()

    def settings(self, straight_speed=None, straight_acceleration=None, turn_rate=None, turn_acceleration=None):
        """Read (straight_speed mm/s, straight_acceleration mm/s/s, turn_rate deg/s,
        turn_acceleration deg/s/s) or set any of them."""
        new = (straight_speed, straight_acceleration, turn_rate, turn_acceleration)
        if all(v is None for v in new):
            return tuple(self._settings)
        names = ("straight_speed", "straight_acceleration", "turn_rate", "turn_acceleration")
        for i, (name, v) in enumerate(zip(names, new, strict=True)):
            if v is not None:
                if _num(name, v) <= 0:
                    raise ValueError(f"settings(): {name} must be positive")
                self._settings[i] = int(v)

    def done(self):
        return self.left.control.done() and self.right.control.done()

    # -- moves ------------------------------------------------------------------------------------------
    def _move(self, wheel_by, speed, acc, then, wait):
        """Both wheels turn by wheel_by (left) and -wheel_by or wheel_by (right) at the given
        wheel speed and acceleration (deg/s, deg/s/s), each on its own servo."""
        if then not in (Stop.COAST, Stop.BRAKE, Stop.HOLD):
            raise ValueError(f"then must be Stop.COAST, Stop.BRAKE or Stop.HOLD, not {then!r}")
        for motor, by in ((self.left, wheel_by[0]), (self.right, wheel_by[1])):
            motor._send({"by": by * motor._ratio, "speed": motor._speed_raw(speed),
                         "acc": acc * motor._ratio, "then": then})
        if wait:
            rt = _rt()
            rt.tick()
            while not self.done():
                rt.tick()

    def straight(self, distance, then=Stop.HOLD, wait=True):
        """Drive distance (mm), backwards when negative, then stop as `then` (v2.0: hold)."""
        d = _num("distance", distance) * self._mm_wheel
        lim_v, lim_a, _ = self.distance_control._limits
        v = min(self._settings[0], lim_v) * self._mm_wheel
        a = min(self._settings[1], lim_a) * self._mm_wheel
        self._move((d, d), v, a, then, wait)

    def turn(self, angle, then=Stop.HOLD, wait=True):
        """Turn in place by angle (deg, clockwise positive)."""
        w = _num("angle", angle) * self._heading_wheel
        lim_v, lim_a, _ = self.heading_control._limits
        v = min(self._settings[2], lim_v) * self._heading_wheel
        a = min(self._settings[3], lim_a) * self._heading_wheel
        self._move((w, -w), v, a, then, wait)

    def drive(self, speed, turn_rate):
        """Drive at speed (mm/s) turning at turn_rate (deg/s, clockwise positive) until told
        otherwise. pbio ramps distance and heading at the drive base's acceleration limits; each
        wheel here ramps so that it reaches its new speed when the slower of the two would."""
        vs = _num("speed", speed) * self._mm_wheel
        vh = _num("turn_rate", turn_rate) * self._heading_wheel
        lim_d, lim_h = self.distance_control._limits, self.heading_control._limits
        vs = max(-lim_d[0] * self._mm_wheel, min(vs, lim_d[0] * self._mm_wheel))
        vh = max(-lim_h[0] * self._heading_wheel, min(vh, lim_h[0] * self._heading_wheel))
        rt = _rt()
        now_l = rt.peek(f"{self.left.port}/speed", 0) * self.left._sign / self.left._ratio
        now_r = rt.peek(f"{self.right.port}/speed", 0) * self.right._sign / self.right._ratio
        t = max(abs(vs - (now_l + now_r) / 2) / (lim_d[1] * self._mm_wheel),
                abs(vh - (now_l - now_r) / 2) / (lim_h[1] * self._heading_wheel))
        for motor, target, now in ((self.left, vs + vh, now_l), (self.right, vs - vh, now_r)):
            acc = abs(target - now) / t if t > 0 else lim_d[1] * self._mm_wheel
            motor._send({"run": motor._speed_raw(target), "acc": max(acc, 1.0) * motor._ratio})

    def drive_time(self, speed, turn_rate, time):
        """pybricks v1.0: drive for time (ms), then stop."""
        self.drive(speed, turn_rate)
        _rt().wait_ms(_num("time", time))
        self.stop()

    def stop(self, stop_type=Stop.COAST):
        """Stop both wheels (coast; v1.0 took a stop type)."""
        for m in (self.left, self.right):
            m._send({"stop": stop_type if stop_type in (Stop.COAST, Stop.BRAKE, Stop.HOLD) else Stop.COAST})

    # -- state ------------------------------------------------------------------------------------------
    def distance(self):
        """Distance driven (int, mm) since reset."""
        return int(round((self.left.angle() + self.right.angle()) / 2 * self._mm_per_deg - self._d0))

    def angle(self):
        """Heading change (int, deg, clockwise positive) since reset, from the wheel angles."""
        diff = (self.left.angle() - self.right.angle()) * self._mm_per_deg
        return int(round(math.degrees(diff / self.axle_track) - self._a0))

    def state(self):
        """(distance mm, drive speed mm/s, angle deg, turn rate deg/s) from the wheel encoders."""
        rt = _rt()
        rt.read(f"{self.left.port}/angle")  # one reading of the period, as the brick takes one
        al, ar = (rt.peek(f"{m.port}/angle", 0.0) * m._sign / m._ratio - m._offset for m in (self.left, self.right))
        vl, vr = (rt.peek(f"{m.port}/speed", 0.0) * m._sign / m._ratio for m in (self.left, self.right))
        dist = (al + ar) / 2 * self._mm_per_deg - self._d0
        angle = math.degrees((al - ar) * self._mm_per_deg / self.axle_track) - self._a0
        rate = math.degrees((vl - vr) * self._mm_per_deg / self.axle_track)
        return (int(round(dist)), int(round((vl + vr) / 2 * self._mm_per_deg)), int(round(angle)), int(round(rate)))

    def reset(self):
        """Distance and angle count from here (reading the wheels takes no time)."""
        rt = _rt()
        al, ar = (rt.peek(f"{m.port}/angle", 0.0) * m._sign / m._ratio - m._offset for m in (self.left, self.right))
        self._d0 = (al + ar) / 2 * self._mm_per_deg
        self._a0 = math.degrees((al - ar) * self._mm_per_deg / self.axle_track)
