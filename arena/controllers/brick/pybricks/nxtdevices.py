"""NXT devices (pybricks.nxtdevices) on the simulated EV3 brick. The catalogue has the NXT touch
and light sensors; the others exist so programs load, and stop with INVALID when built (no
bundled robot carries them)."""

from pybricks._runtime import PortError, Runtime
from pybricks.ev3devices import TouchSensor as _EV3Touch


def _need(port, device, key):
    rt = Runtime.current
    if rt is None:
        raise RuntimeError("the brick is not running")
    if f"{port}/{key}" not in rt.obs:
        raise PortError(port, device, rt.obs)
    return rt


class TouchSensor(_EV3Touch):
    """NXT touch sensor: pressed() as the EV3's."""


class LightSensor:
    """NXT light sensor: reflection() with its red lamp on, ambient() (int, %)."""

    def __init__(self, port):
        _need(port, "light sensor", "reflection")
        self.port = port

    def reflection(self):
        return int(Runtime.current.read(f"{self.port}/reflection"))

    def ambient(self):
        return int(Runtime.current.read(f"{self.port}/ambient"))


class _Absent:
    DEVICE = "device"
    KEY = "none"

    def __init__(self, port, *args, **kwargs):
        _need(port, self.DEVICE, self.KEY)


class UltrasonicSensor(_Absent):
    DEVICE, KEY = "NXT ultrasonic sensor", "nxt_distance"


class ColorSensor(_Absent):
    DEVICE, KEY = "NXT colour sensor", "nxt_color"


class SoundSensor(_Absent):
    DEVICE, KEY = "sound sensor", "intensity"


class TemperatureSensor(_Absent):
    DEVICE, KEY = "temperature sensor", "temperature"


class EnergyMeter(_Absent):
    DEVICE, KEY = "energy meter", "energy"


class VernierAdapter(_Absent):
    DEVICE, KEY = "Vernier adapter", "voltage"
