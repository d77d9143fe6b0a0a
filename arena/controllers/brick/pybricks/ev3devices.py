"""Motors and sensors of the EV3 class (pybricks.ev3devices), on the simulated brick.

Units as in pybricks: angles in deg, speeds in deg/s, time in ms, distance in mm, reflection
and ambient in %, duty in %. Ports map to the devices of the robot's build file.
"""

from pybricks._control import Control
from pybricks._runtime import PortError, Runtime
from pybricks.parameters import COLOR_BY_ID, Direction, Stop


def _rt() -> Runtime:
    if Runtime.current is None:
        raise RuntimeError("the brick is not running")
    return Runtime.current


def _check_port(port, kind: str, key: str):
    rt = _rt()
    if f"{port}/{key}" not in rt.obs:
        raise PortError(port, kind, rt.obs)


def _speed(name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


class Motor:
    """pybricks.ev3devices.Motor: EV3 large/medium (and NXT) servo motors. Moves run on the
    arena's servo (pybricks' trajectories and PID); wait=False returns at once and the move
    runs on while the program goes on, as on the brick."""

    def __init__(self, port, positive_direction=Direction.CLOCKWISE, gears=None):
        _check_port(port, "motor", "angle")
        self.port = port
        self._sign = 1 if positive_direction == Direction.CLOCKWISE else -1
        ratio = 1.0
        if gears:
            trains = gears if isinstance(gears[0], (list, tuple)) else [gears]
            for train in trains:
                ratio *= train[-1] / train[0]
        self._ratio = ratio  # motor degrees per output degree
        self._offset = self._raw() / ratio * self._sign  # angle() starts at 0
        self.control = Control(port, ratio)

    # raw motor degrees <-> user (output, signed) degrees
    def _raw(self) -> float:
        return float(_rt().peek(f"{self.port}/angle", 0.0))

    def _to_raw(self, user_angle: float) -> float:
        return (user_angle + self._offset) * self._sign * self._ratio

    def _speed_raw(self, speed: float) -> float:
        return speed * self._sign * self._ratio

    def _send(self, cmd):
        _rt().command(self.port, cmd)

    def angle(self):
        """Rotation angle (int, deg) since start or reset_angle."""
        return int(round(_rt().read(f"{self.port}/angle") * self._sign / self._ratio - self._offset))

    def speed(self):
        """Speed (int, deg/s)."""
        return int(round(_rt().read(f"{self.port}/speed") * self._sign / self._ratio))

    def reset_angle(self, angle=None):
        if angle is None:  # absolute zero of an EV3 motor is its start position
            angle = 0
        self._offset = self._raw() * self._sign / self._ratio - angle

    def stalled(self):
        """True while a maneuver pushes at its limit without moving (pybricks' stall rule)."""
        return self.control.stalled()

    def done(self):
        return self.control.done()

    def stop(self):
        self._send({"stop": "coast"})

    def brake(self):
        self._send({"stop": "brake"})

    def hold(self):
        self._send({"stop": "hold"})

    def dc(self, duty):
        """Open-loop duty (%), -100..100."""
        self._send({"dc": max(-100.0, min(100.0, _speed("duty", duty))) / 100.0})

    def run(self, speed):
        """Run at speed (deg/s) until told otherwise, ramping at the acceleration limit."""
        self._send({"run": self._speed_raw(_speed("speed", speed))})

    def _wait_done(self):
        rt = _rt()
        rt.tick()  # the arena starts the move this period; done is reported from the next
        while not rt.motor_state(self.port).get("done", True):
            rt.tick()

    @staticmethod
    def _then(then):
        if then not in (Stop.COAST, Stop.BRAKE, Stop.HOLD):
            raise ValueError(f"then must be Stop.COAST, Stop.BRAKE or Stop.HOLD, not {then!r}")
        return then

    def run_time(self, speed, time, then=Stop.HOLD, wait=True):
        """Run at speed (deg/s) for time (ms): accelerate, keep speed, decelerate to stop at
        the end of time."""
        t = _speed("time", time)
        if t < 0:
            raise ValueError("time must not be negative")
        self._send({"run": self._speed_raw(_speed("speed", speed)), "time": t, "then": self._then(then)})
        if wait:
            self._wait_done()

    def run_angle(self, speed, rotation_angle, then=Stop.HOLD, wait=True):
        """Turn by rotation_angle (deg) at speed (deg/s); a negative speed turns the other way."""
        speed = _speed("speed", speed)
        if speed == 0:
            raise ValueError("speed must not be zero")
        self._send({"by": _speed("rotation_angle", rotation_angle) * self._ratio, "speed": self._speed_raw(speed),
                    "then": self._then(then)})
        if wait:
            self._wait_done()

    def run_target(self, speed, target_angle, then=Stop.HOLD, wait=True):
        """Turn to target_angle (deg) at speed (deg/s, its sign is ignored)."""
        speed = _speed("speed", speed)
        if speed == 0:
            raise ValueError("speed must not be zero")
        raw = self._to_raw(_speed("target_angle", target_angle))
        self._send({"target": raw, "speed": abs(self._speed_raw(speed)), "then": self._then(then)})
        if wait:
            self._wait_done()

    def run_until_stalled(self, speed, then=Stop.COAST, duty_limit=None):
        """Run at speed until stalled, then stop as `then`; returns the angle (deg) there.
        duty_limit (%) caps the actuation meanwhile, as pybricks does."""
        rt = _rt()
        cmd = {"run": self._speed_raw(_speed("speed", speed)), "until_stalled": 1, "then": self._then(then)}
        old = None
        if duty_limit is not None:
            old = self.control.limits()[2]
            cmd["max_duty"] = max(1.0, min(100.0, _speed("duty_limit", duty_limit))) * 100
        self._send(cmd)
        self._wait_done()
        if old is not None:  # restored whatever the maneuver left behind (pybricks does the same)
            self.control._local["max_duty"] = old * 100
            rt.command(self.port, {"max_duty": old * 100})
        return self.angle()

    def track_target(self, target_angle):
        """Hold target_angle (deg) at once, with no trajectory (for following a changing target)."""
        self._send({"track": self._to_raw(_speed("target_angle", target_angle))})


class TouchSensor:
    def __init__(self, port):
        _check_port(port, "touch sensor", "pressed")
        self.port = port

    def pressed(self):
        return bool(_rt().read(f"{self.port}/pressed"))


class ColorSensor:
    def __init__(self, port):
        _check_port(port, "colour sensor", "reflection")
        self.port = port

    def reflection(self):
        """Reflected light (int, %)."""
        return int(_rt().read(f"{self.port}/reflection"))

    def ambient(self):
        return int(_rt().read(f"{self.port}/ambient"))

    def color(self):
        """Color.BLACK ... Color.BROWN, or None when nothing is seen."""
        return COLOR_BY_ID.get(int(_rt().read(f"{self.port}/color")))

    def rgb(self):
        """(r, g, b) in % (0-100)."""
        r, g, b = _rt().read(f"{self.port}/rgb")
        return (int(round(r / 10.2)), int(round(g / 10.2)), int(round(b / 10.2)))


class UltrasonicSensor:
    """The sensor pings (others can hear it) in distance mode; distance(silent=True) leaves its
    emitter off after the reading and presence() listens: each tells the arena when the mode
    changes ({"emit": 0 | 1} on the sensor's port; docs/brick.md)."""

    def __init__(self, port):
        _check_port(port, "ultrasonic sensor", "distance")
        self.port = port
        self._emitting = True  # a sensor starts in distance mode (ev3dev's default, US-DIST-CM)

    def _emit(self, on):
        if on != self._emitting:
            self._emitting = on
            _rt().command(self.port, {"emit": 1 if on else 0})

    def distance(self, silent=False):
        """Distance (int, mm); 2550 when nothing is seen. silent: one ping, then the emitter is
        off (pybricks' US-SI-CM mode) until distance() is called without it."""
        value = int(_rt().read(f"{self.port}/distance"))
        self._emit(not silent)
        return value

    def presence(self):
        """Whether another robot's pinging ultrasonic sensor is heard (listen mode: this sensor
        stops pinging)."""
        self._emit(False)
        return bool(_rt().read(f"{self.port}/presence"))


class GyroSensor:
    def __init__(self, port, positive_direction=Direction.CLOCKWISE):
        _check_port(port, "gyro sensor", "angle")
        self.port = port
        self._sign = 1 if positive_direction == Direction.CLOCKWISE else -1
        self._offset = float(_rt().peek(f"{port}/angle", 0.0)) * self._sign

    def speed(self):
        """Rotational speed (int, deg/s)."""
        return int(round(_rt().read(f"{self.port}/rate") * self._sign))

    def angle(self):
        """Accumulated angle (int, deg)."""
        return int(round(_rt().read(f"{self.port}/angle") * self._sign - self._offset))

    def reset_angle(self, angle):
        self._offset = float(_rt().peek(f"{self.port}/angle", 0.0)) * self._sign - angle


class InfraredSensor:
    """EV3 infrared sensor: no part of the catalogue is one, so building it stops the run with
    INVALID naming the port (docs/brick.md)."""

    def __init__(self, port):
        _check_port(port, "infrared sensor", "proximity")
        self.port = port
