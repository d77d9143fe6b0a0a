"""Motor.control: the servo settings of one motor, as pybricks v2.0's Control class.

The arena runs the servo (arena/kit/control.py); this object reads its settings back from the
motor state the arena sends each period and sends changes as settings commands. Values are in
the user's units (deg of the output after `gears`); the arena's servo works in pbio's counts.
"""

from pybricks._runtime import SETTING_KEYS, Runtime


def _rt() -> Runtime:
    if Runtime.current is None:
        raise RuntimeError("the brick is not running")
    return Runtime.current


def _int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return int(value)


COUNTS_PER_DEGREE = 2  # the EV3's quadrature counts per motor degree (pbio v2.0 on ev3dev-stretch)


class Control:
    """pybricks.builtins.Control for one motor on `port`; `ratio` motor deg per user deg.

    The settings are pbio's, in encoder counts (720 a turn): `scale` is counts per user unit,
    as pbio's counts_per_unit; gains are per count and read back as stored."""

    def __init__(self, port, ratio):
        self._port, self._ratio = port, ratio * COUNTS_PER_DEGREE
        self._local = {}  # values sent this run (the arena's state shows them from the next period)
        self.scale = self._ratio

    # -- state -------------------------------------------------------------------------------------
    def _values(self) -> dict:
        got = _rt().motor_state(self._port).get("settings")
        values = dict(zip(SETTING_KEYS, got, strict=True)) if got else {}
        values.update(self._local)
        return values

    def _busy(self) -> bool:
        rt = _rt()
        return rt.moving(self._port) or bool(rt.motor_state(self._port).get("busy", False))

    def _set(self, new: dict) -> None:
        if self._busy():
            raise OSError(1, "EPERM: the motor is being controlled (a move or hold is active); "
                             "pybricks refuses new control settings then: call stop() or brake() first")
        values = self._values()
        values.update(new)
        if min(values["max_speed"], values["max_acc"], values["max_duty"]) < 1:
            raise ValueError("limits(): speed, acceleration and actuation must be at least 1")
        if min(values[k] for k in SETTING_KEYS[3:]) < 0:
            raise ValueError("control settings must not be negative")
        if values["offset"] >= values["max_duty"]:
            raise ValueError("pid(): feed_forward must be below the actuation limit of limits()")
        self._local.update(new)
        _rt().command(self._port, dict(new))

    def _user(self, key) -> int:
        # pbio_control_counts_to_user rounds half up (pbio_math_mul_i32_fix16); values are >= 0
        return int(self._values()[key] / self._ratio + 0.5)

    # -- the API ------------------------------------------------------------------------------------
    def limits(self, speed=None, acceleration=None, actuation=None):
        """Read (speed deg/s, acceleration deg/s/s, actuation %) or set any of them."""
        if speed is None and acceleration is None and actuation is None:
            return (self._user("max_speed"), self._user("max_acc"), int(self._values()["max_duty"] / 100))
        new = {}
        if speed is not None:
            new["max_speed"] = _int("speed", speed) * self._ratio
        if acceleration is not None:
            new["max_acc"] = _int("acceleration", acceleration) * self._ratio
        if actuation is not None:
            new["max_duty"] = _int("actuation", actuation) * 100
        self._set(new)

    def pid(self, kp=None, ki=None, kd=None, integral_range=None, integral_rate=None, feed_forward=None):
        """Read (kp, ki, kd, integral_range deg, integral_rate deg/s, feed_forward %) or set any."""
        args = (kp, ki, kd, integral_range, integral_rate, feed_forward)
        if all(a is None for a in args):
            v = self._values()
            return (int(v["kp"]), int(v["ki"]), int(v["kd"]), self._user("i_range"), self._user("i_rate"),
                    int(v["offset"] / 100))
        new = {}
        for key, name, value, scale in (("kp", "kp", kp, 1), ("ki", "ki", ki, 1), ("kd", "kd", kd, 1),
                                        ("i_range", "integral_range", integral_range, self._ratio),
                                        ("i_rate", "integral_rate", integral_rate, self._ratio),
                                        ("offset", "feed_forward", feed_forward, 100)):
            if value is not None:
                new[key] = _int(name, value) * scale
        self._set(new)

    def target_tolerances(self, speed=None, position=None):
        """Read (speed deg/s, position deg) or set: a move is done within these."""
        if speed is None and position is None:
            return (self._user("tol_speed"), self._user("tol_angle"))
        new = {}
        if speed is not None:
            new["tol_speed"] = _int("speed", speed) * self._ratio
        if position is not None:
            new["tol_angle"] = _int("position", position) * self._ratio
        self._set(new)

    def stall_tolerances(self, speed=None, time=None):
        """Read (speed deg/s, time ms) or set: stalled when pushing at the limit slower than speed
        for time."""
        if speed is None and time is None:
            return (self._user("stall_speed"), int(self._values()["stall_time"]))
        new = {}
        if speed is not None:
            new["stall_speed"] = _int("speed", speed) * self._ratio
        if time is not None:
            new["stall_time"] = _int("time", time)
        self._set(new)

    def done(self):
        """True when no maneuver runs or the running one has reached its end and tolerances."""
        rt = _rt()
        return not rt.moving(self._port) and bool(rt.motor_state(self._port).get("done", True))

    def stalled(self):
        return bool(_rt().motor_state(self._port).get("stalled", False))
