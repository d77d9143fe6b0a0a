"""Motors and sensors of the EV3 class (pybricks.ev3devices), on the simulated brick.

Units as in pybricks: angles in deg, speeds in deg/s, time in ms, distance in mm, reflection
and ambient in %, duty in %. Ports map to the devices of the robot's build file.
"""

from pybricks._runtime import Runtime
from pybricks.parameters import COLOR_BY_ID, Direction, Stop


def _rt() -> Runtime:
    if Runtime.current is None:
        raise RuntimeError("the brick is not running")
    return Runtime.current


def _check_port(port, kind: str, key: str):
    rt = _rt()
    if f"{port}/{key}" not in rt.obs:
        raise OSError(f"no {kind} on port {port} in this robot's build")


class Control:
    """Regulation settings (accepted; the simulated firmware uses its own calibrated gains)."""

    def limits(self, speed=None, acceleration=None, actuation=None):
        return (1000, 2000, 100)

    def pid(self, *args, **kwargs):
        return (0, 0, 0, 0, 0, 0)

    def target_tolerances(self, speed=None, position=None):
        return (50, 10)

    def stall_tolerances(self, speed=None, time=None):
        return (20, 200)


class Motor:
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
        self.control = Control()

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
        return bool(_rt().motor_state(self.port).get("stalled", False))

    def stop(self):
        self._send({"stop": "coast"})

    def brake(self):
        self._send({"stop": "brake"})

    def hold(self):
        self._send({"stop": "hold"})

    def dc(self, duty):
        """Open-loop duty (%), -100..100."""
        self._send({"dc": max(-100.0, min(100.0, float(duty))) / 100.0})

    def run(self, speed):
        self._send({"run": self._speed_raw(float(speed))})

    def _wait_done(self):
        rt = _rt()
        rt.tick()  # the arena takes the command this period; done is reported from the next
        while not rt.motor_state(self.port).get("done", True):
            rt.tick()

    def _then(self, then):
        if then == Stop.HOLD:
            self.hold()
        elif then == Stop.BRAKE:
            self.brake()
        else:
            self.stop()

    def run_time(self, speed, time, then=Stop.HOLD, wait=True):
        self.run(speed)
        _rt().wait_ms(time)
        self._then(then)

    def run_angle(self, speed, rotation_angle, then=Stop.HOLD, wait=True):
        target = self.angle() + rotation_angle * (1 if speed >= 0 else -1)
        self.run_target(speed, target, then, wait)

    def run_target(self, speed, target_angle, then=Stop.HOLD, wait=True):
        raw = self._to_raw(float(target_angle))
        self._send({"target": raw, "speed": abs(self._speed_raw(float(speed))), "then": then})
        if wait:
            self._wait_done()

    def run_until_stalled(self, speed, then=Stop.COAST, duty_limit=None):
        rt = _rt()
        self.run(speed)
        rt.tick()
        while not rt.motor_state(self.port).get("stalled", False):
            rt.tick()
        self._then(then)
        return self.angle()

    def track_target(self, target_angle):
        self._send({"target": self._to_raw(float(target_angle)), "speed": 1000.0, "then": Stop.HOLD})


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
    def __init__(self, port):
        _check_port(port, "ultrasonic sensor", "distance")
        self.port = port

    def distance(self, silent=False):
        """Distance (int, mm); 2550 when nothing is seen."""
        return int(_rt().read(f"{self.port}/distance"))

    def presence(self):
        return False


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
