"""The brick's servo control, as pybricks does it: trapezoidal trajectories, PID with integrators
that pause instead of winding up, completion and stall rules.

Follows pbio as shipped in EV3 MicroPython v2.0 (pybricks-micropython, April 2020:
lib/pbio/src/trajectory.c, trajectory_ext.c, control.c, integrator.c, servo.c). Same formulas,
in floating point instead of pbio's integer counts and microseconds. Units: pbio's counts (2 per
motor degree on the EV3: arena.kit.motors.Motor.COUNTS_PER_DEGREE), counts/s, counts/s^2,
seconds; duty in pbio's units (10000 = 100 %). See docs/brick.md.
"""

from __future__ import annotations

import math

FOREVER = -1.0  # duration of a maneuver that never ends (run, drive)
_FOREVER_S = 60.0  # pbio plans a forever maneuver as 60 s and ignores its deceleration


class Trajectory:
    """A reference angle and speed against time: accelerate (a0) from w0 to w1 by t1, keep w1 to
    t2, decelerate (a2) to zero at t3 and stay at th3."""

    __slots__ = ("t0", "t1", "t2", "t3", "th0", "th1", "th2", "th3", "w0", "w1", "a0", "a2", "forever")

    def __init__(self, t0: float = 0.0, th0: float = 0.0):
        self.stationary(t0, th0)

    def stationary(self, t0: float, th0: float) -> Trajectory:
        self.t0 = self.t1 = self.t2 = self.t3 = t0
        self.th0 = self.th1 = self.th2 = self.th3 = th0
        self.w0 = self.w1 = self.a0 = self.a2 = 0.0
        self.forever = False
        return self

    def _reverse(self) -> None:
        """Mirror a forward maneuver about th0 (pbio plans everything forward)."""
        th0 = self.th0
        self.th1, self.th2, self.th3 = 2 * th0 - self.th1, 2 * th0 - self.th2, 2 * th0 - self.th3
        self.w0, self.w1, self.a0, self.a2 = -self.w0, -self.w1, -self.a0, -self.a2

    def time_based(self, t0: float, duration: float, th0: float, w0: float, wt: float, wmax: float, a: float,
                   amax: float) -> Trajectory:
        """pbio_trajectory_make_time_based: reach speed wt from w0 and decelerate to stop at
        t0 + duration (duration FOREVER: never decelerate)."""
        self.forever = duration == FOREVER
        span = _FOREVER_S if self.forever else duration
        if span < 0:
            raise ValueError("duration must not be negative")
        backward = wt < 0
        if backward:
            wt, w0 = -wt, -w0
        a = min(a, amax)
        top = min(wmax, a * span)  # no faster than can be stopped again within the duration
        w0 = max(-top, min(w0, top))
        wt = max(-top, min(wt, top))
        if w0 < wt:
            self.a0 = a
            if (wt - w0) / a - (span - w0 / a) / 2 < 0:
                t1, self.w1 = (wt - w0) / a, wt
            else:  # triangle: the target speed cannot be reached
                t1, self.w1 = (span - w0 / a) / 2, a * span / 2 + w0 / 2
        elif w0 > wt:
            self.a0, t1, self.w1 = -a, (w0 - wt) / a, wt
        else:
            self.a0, t1, self.w1 = 0.0, 0.0, wt
        self.a2 = -a
        t32 = self.w1 / a
        t21 = span - t32 - t1
        if t21 < 0:  # pbio refuses this (it cannot happen for the speeds clamped above)
            raise ValueError("maneuver too short for its speed")
        self.w0 = w0
        self.t0, self.t1, self.t2, self.t3 = t0, t0 + t1, t0 + t1 + t21, t0 + span
        self.th0 = th0
        self.th1 = th0 + w0 * t1 + self.a0 * t1 * t1 / 2
        self.th2 = self.th1 + self.w1 * t21
        self.th3 = self.th2 + self.w1 * t32 + self.a2 * t32 * t32 / 2
        if backward:
            self._reverse()
        return self

    def angle_based(self, t0: float, th0: float, th3: float, w0: float, wt: float, wmax: float, a: float,
                    amax: float) -> Trajectory:
        """pbio_trajectory_make_angle_based: from th0 at speed w0 to rest at th3, no faster
        than wt, accelerating and decelerating at a."""
        if wt == 0:
            raise ValueError("speed must not be zero")
        if th3 == th0:
            return self.stationary(t0, th0)
        backward = th3 < th0
        if backward:
            th3, w0 = 2 * th0 - th3, -w0
        a = min(a, amax)
        wt = min(abs(wt), wmax)
        w0 = max(-wmax, min(w0, wmax))
        if w0 > 0 and w0 * w0 / (2 * a) > th3 - th0:  # too fast to stop in time: as fast as can
            w0 = math.sqrt(2 * a * (th3 - th0))
        if w0 < wt:
            self.a0 = a
            thf = th0 - w0 * w0 / (2 * a)  # where the speed would have been zero
            if th3 - thf >= wt * wt / a:
                self.th1, self.th2, self.w1 = thf + wt * wt / (2 * a), th3 - wt * wt / (2 * a), wt
            else:  # triangle: meet halfway between the two square-root arcs
                self.th1 = self.th2 = (th3 + thf) / 2
                self.w1 = math.sqrt(2 * a * (self.th1 - thf))
        else:
            self.a0 = -a
            self.th1, self.th2, self.w1 = th0 + (w0 * w0 - wt * wt) / (2 * a), th3 - wt * wt / (2 * a), wt
        t1 = (self.w1 - w0) / self.a0
        t21 = 0.0 if self.th2 == self.th1 else (self.th2 - self.th1) / self.w1
        t32 = self.w1 / a
        self.w0, self.th0, self.th3, self.a2 = w0, th0, th3, -a
        self.t0, self.t1 = t0, t0 + t1
        self.t2 = self.t1 + t21
        self.t3 = self.t2 + t32
        self.forever = False
        if backward:
            self._reverse()
        return self

    def reference(self, t: float) -> tuple[float, float]:
        """(angle, speed) of the reference at time t."""
        if t < self.t1:
            d = t - self.t0
            return self.th0 + self.w0 * d + self.a0 * d * d / 2, self.w0 + self.a0 * d
        if self.forever or t <= self.t2:
            return self.th1 + self.w1 * (t - self.t1), self.w1
        if t <= self.t3:
            d = t - self.t2
            return self.th2 + self.w1 * d + self.a2 * d * d / 2, self.w1 + self.a2 * d
        return self.th3, 0.0

    @property
    def duration(self) -> float:
        return self.t3 - self.t0


# settings: the names the arena's commands use, in the order Motor.state() reports them
SETTING_KEYS = ("max_speed", "max_acc", "max_duty", "kp", "ki", "kd", "i_range", "i_rate", "offset",
                "tol_speed", "tol_angle", "stall_speed", "stall_time")


class Settings:
    """pbio_control_settings_t as pbio stores them: counts/s, counts/s^2, duty in 1/100 %, gains
    per count (kp), per count*s (ki), per count/s (kd), stall_time in ms (the brick's API converts
    its user units: pybricks/_control.py)."""

    __slots__ = SETTING_KEYS

    def __init__(self, **values: float):
        for k in SETTING_KEYS:
            setattr(self, k, float(values[k]))

    def as_list(self) -> list[float]:
        return [getattr(self, k) for k in SETTING_KEYS]

    def update(self, values: dict) -> None:
        """Apply new values, checked as pbio checks them (ValueError names the rule)."""
        new = {k: float(values.get(k, getattr(self, k))) for k in SETTING_KEYS}
        if min(new["max_speed"], new["max_acc"], new["max_duty"]) < 1:
            raise ValueError("limits: speed, acceleration and actuation must be at least 1")
        if min(new[k] for k in SETTING_KEYS[3:]) < 0:
            raise ValueError("pid gains, tolerances and stall tolerances must not be negative")
        if new["offset"] >= new["max_duty"]:
            raise ValueError("feed_forward must be below the actuation limit")
        for k, v in new.items():
            setattr(self, k, v)

    @property
    def integral_max(self) -> float:
        """The integral whose ki-share alone reaches the actuation limit (count*s)."""
        return 1e9 if self.ki <= 10 else self.max_duty / self.ki


# parts.toml key (pybricks' name) -> setting
PART_KEYS = {"pb_max_speed": "max_speed", "pb_acceleration": "max_acc", "pb_max_duty": "max_duty", "pb_kp": "kp",
             "pb_ki": "ki", "pb_kd": "kd", "pb_integral_range": "i_range", "pb_integral_rate": "i_rate",
             "pb_feed_forward": "offset", "pb_speed_tolerance": "tol_speed", "pb_angle_tolerance": "tol_angle",
             "pb_stall_speed": "stall_speed", "pb_stall_time_ms": "stall_time"}


def settings_of(part) -> Settings:
    """A motor part's default servo settings (parts.toml pb_* keys)."""
    missing = [k for k in PART_KEYS if k not in part.params]
    if missing:
        raise KeyError(f"parts.toml [{part.kind}.{part.id}] lacks {', '.join(missing)}: add pybricks' servo settings")
    return Settings(**{v: float(part.params[k]) for k, v in PART_KEYS.items()})


NONE, ANGLE, TIMED = 0, 1, 2
# completion rules (pbio_control_on_target_*)
ON_ALWAYS, ON_NEVER, ON_ANGLE, ON_TIME, ON_STALLED = 0, 1, 2, 3, 4


class Servo:
    """pbio_control_t: one trajectory and its PID (angle control with a count integrator, or
    speed control with a rate integrator), run once per control period."""

    def __init__(self, settings: Settings, period: float):
        self.s = settings
        self.period = period
        self.type = NONE
        self.traj = Trajectory()
        self.after = "coast"
        self.on_target = True
        self.rule = ON_ALWAYS
        self.stalled = False
        # count integrator (angle control)
        self.i_sum = 0.0
        self.i_paused_total = 0.0
        self.i_pause_begin = 0.0
        self.i_prev_err = 0.0
        self.i_prev_t = 0.0
        self.i_running = True
        self.i_max = 1e9
        # rate integrator (speed control)
        self.r_paused = 0.0
        self.r_running = True
        self.r_ref0 = 0.0
        self.r_count0 = 0.0
        self.r_pause_begin = 0.0

    # -- integrators ---------------------------------------------------------------------------------
    def _count_reset(self, t: float) -> None:
        self.i_sum = self.i_paused_total = self.i_prev_err = 0.0
        self.i_prev_t = self.i_pause_begin = t
        self.i_running = True
        self.i_max = self.s.integral_max

    def _rate_reset(self, t: float, count: float) -> None:
        self.r_paused = 0.0
        self.r_running = True
        self.r_ref0 = self.r_count0 = count
        self.r_pause_begin = t

    def ref_time(self, t: float) -> float:
        """The time the reference is read at: stalls pause the trajectory (angle control)."""
        if self.type == ANGLE:
            return (t if self.i_running else self.i_pause_begin) - self.i_paused_total
        return t if self.type == TIMED else 0.0

    def reference(self, t: float) -> tuple[float, float]:
        return self.traj.reference(self.ref_time(t))

    # -- starting maneuvers (pbio_control_start_*) -----------------------------------------------------
    def start_angle(self, t: float, count: float, rate: float, target: float, speed: float, acc: float,
                    amax: float, after: str) -> None:
        """amax: the acceleration limit (the motor's own, or a drive base's when it drives)."""
        s = self.s
        if self.type == NONE:
            self.traj.angle_based(t, count, target, rate, speed, s.max_speed, acc, amax)
        else:  # continue from the running reference, so the motion stays smooth
            tr = self.ref_time(t)
            th, w = self.traj.reference(tr)
            self.traj = Trajectory().angle_based(tr, th, target, w, speed, s.max_speed, acc, amax)
        self.after, self.on_target, self.rule = after, False, ON_ANGLE
        if self.type != ANGLE:
            self._count_reset(self.traj.t0)
            self.type = ANGLE

    def start_relative(self, t: float, count: float, rate: float, by: float, speed: float, acc: float,
                       amax: float, after: str) -> None:
        start = count if self.type == NONE else self.reference(t)[0]
        target = start + (-by if speed < 0 else by)
        if target == start:
            self.start_hold(t, target)
        else:
            self.start_angle(t, count, rate, target, speed, acc, amax, after)

    def start_hold(self, t: float, target: float) -> None:
        self.after, self.on_target, self.rule = "hold", False, ON_ALWAYS
        self.traj = Trajectory(t, target)
        if self.type != ANGLE:
            self._count_reset(t)
            self.type = ANGLE

    def start_timed(self, t: float, count: float, rate: float, duration: float, speed: float, acc: float,
                    amax: float, rule: int, after: str) -> None:
        s = self.s
        if self.type == NONE:
            th0, w0 = count, rate
        else:
            th0, w0 = self.reference(t)
        self.traj = Trajectory().time_based(t, duration, th0, w0, speed, s.max_speed, acc, amax)
        self.after, self.on_target, self.rule = after, False, rule
        if self.type != TIMED:
            self._rate_reset(t, count)
            self.type = TIMED

    def stop(self) -> None:
        self.type = NONE
        self.on_target = True
        self.rule = ON_ALWAYS
        self.stalled = False

    @property
    def done(self) -> bool:
        return self.type == NONE or self.on_target

    # -- one control period (control_update) -----------------------------------------------------------
    def update(self, t: float, count: float, rate: float) -> tuple[str, float]:
        """('duty', duty in -10000..10000) or ('coast'|'brake', 0) when a maneuver ends passively."""
        s = self.s
        tr = self.ref_time(t)
        ref, ref_rate = self.traj.reference(tr)
        if self.type == ANGLE:
            self._count_update(t, count, ref)
            err, integral = ref - count, self.i_sum
        else:
            err = self.r_paused + ((ref - self.r_ref0) - (count - self.r_count0) if self.r_running else 0.0)
            integral = 0.0
        rate_err = ref_rate - rate
        p = s.kp * err
        sign = (ref_rate > 0) - (ref_rate < 0)
        duty = p + s.ki * integral + s.kd * rate_err + sign * s.offset
        duty = max(-s.max_duty, min(duty, s.max_duty))
        # at the actuation limit: stop the error growing (pause the trajectory / the integral)
        windup = (s.max_duty - s.offset) + s.kp * abs(rate) * self.period * 2
        if self.type == ANGLE:
            if abs(p) >= windup:
                if self.i_running:
                    self.i_running, self.i_pause_begin = False, t
            elif not self.i_running:
                self.i_running = True
                self.i_paused_total += t - self.i_pause_begin
            held = not self.i_running or abs(self.i_sum) >= self.i_max
            since = self.i_pause_begin
        else:
            if abs(p) >= windup and (p > 0) == (rate_err > 0):
                if self.r_running:
                    self.r_running = False
                    self.r_paused += (ref - self.r_ref0) - (count - self.r_count0)
                    self.r_pause_begin = t
            elif not self.r_running:
                self.r_running = True
                self.r_ref0, self.r_count0 = ref, count
            held = not self.r_running
            since = self.r_pause_begin
        self.stalled = held and abs(rate) <= s.stall_speed and t - since >= s.stall_time / 1000.0
        self.on_target = self._on_target(tr, count, rate)
        if self.on_target and self.after != "hold":
            after = self.after
            self.stop()
            return after, 0.0
        if self.on_target and self.type == TIMED:  # hold where it is; takes effect next period
            self.start_hold(t, count)
        return "duty", duty

    def _count_update(self, t: float, count: float, ref: float) -> None:
        """pbio_count_integrator_update: integrate the previous error, growing it only near the
        target and no faster than integral_rate."""
        if self.i_running:
            s = self.s
            cerr = self.i_prev_err
            dt = t - self.i_prev_t
            decrease = abs(self.i_sum + cerr * dt) < abs(self.i_sum)
            if not decrease:
                cerr = max(-s.i_rate, min(cerr, s.i_rate))
                decrease = abs(self.i_sum + cerr * dt) < abs(self.i_sum)
            if abs(self.traj.th3 - ref) <= s.i_range or decrease:
                self.i_sum += cerr * dt
            self.i_sum = max(-self.i_max, min(self.i_sum, self.i_max))
        self.i_prev_err = ref - count
        self.i_prev_t = t

    def _on_target(self, tr: float, count: float, rate: float) -> bool:
        rule = self.rule
        if rule == ON_ALWAYS:
            return True
        if rule == ON_NEVER:
            return False
        if rule == ON_TIME:
            return tr >= self.traj.t3
        if rule == ON_STALLED:
            return self.stalled
        s = self.s
        return tr >= self.traj.t3 and abs(self.traj.th3 - count) <= s.tol_angle and abs(rate) <= s.tol_speed
