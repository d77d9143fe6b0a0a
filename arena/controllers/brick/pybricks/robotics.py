"""DriveBase (pybricks.robotics): a two-motor robot driven in mm and deg."""

import math

from pybricks._runtime import Runtime
from pybricks.parameters import Stop


class DriveBase:
    def __init__(self, left_motor, right_motor, wheel_diameter, axle_track):
        self.left, self.right = left_motor, right_motor
        self.wheel_diameter, self.axle_track = float(wheel_diameter), float(axle_track)
        self._mm_per_deg = math.pi * self.wheel_diameter / 360.0
        self.settings(straight_speed=None)
        self.reset()

    def settings(self, straight_speed=None, straight_acceleration=None, turn_rate=None, turn_acceleration=None):
        if straight_speed is None and not hasattr(self, "_straight_speed"):
            # pybricks defaults: 40 % of the motors' top speed
            self._straight_speed, self._straight_acc = 0.4 * 1000 * self._mm_per_deg, 300.0
            self._turn_rate, self._turn_acc = 0.4 * 1000 * self._mm_per_deg / self.axle_track * 360 / math.pi / 2, 300.0
        if straight_speed is not None:
            self._straight_speed = float(straight_speed)
        if straight_acceleration is not None:
            self._straight_acc = float(straight_acceleration)
        if turn_rate is not None:
            self._turn_rate = float(turn_rate)
        if turn_acceleration is not None:
            self._turn_acc = float(turn_acceleration)
        return (self._straight_speed, self._straight_acc, self._turn_rate, self._turn_acc)

    def _wheel_deg(self, mm):
        return mm / self._mm_per_deg

    def drive(self, speed, turn_rate):
        """speed (mm/s) forward; turn_rate (deg/s) clockwise."""
        diff = math.radians(turn_rate) * self.axle_track / 2.0
        self.left.run(self._wheel_deg(speed + diff))
        self.right.run(self._wheel_deg(speed - diff))

    def stop(self):
        self.left.stop()
        self.right.stop()

    def _both(self, left_deg, right_deg, speed_deg, then, wait):
        self.left.run_target(speed_deg, self.left.angle() + left_deg, then, wait=False)
        self.right.run_target(speed_deg, self.right.angle() + right_deg, then, wait=False)
        if wait:
            rt = Runtime.current
            rt.tick()
            while not (rt.motor_state(self.left.port).get("done", True) and rt.motor_state(self.right.port).get("done", True)):
                rt.tick()

    def straight(self, distance, then=Stop.HOLD, wait=True):
        d = self._wheel_deg(distance)
        self._both(d, d, abs(self._wheel_deg(self._straight_speed)), then, wait)

    def turn(self, angle, then=Stop.HOLD, wait=True):
        """Turn in place by angle (deg), clockwise positive."""
        wheel = angle * self.axle_track / self.wheel_diameter
        speed = abs(self._turn_rate * self.axle_track / self.wheel_diameter)
        self._both(wheel, -wheel, speed, then, wait)

    def curve(self, radius, angle, then=Stop.HOLD, wait=True):
        dl = math.radians(angle) * (radius + self.axle_track / 2)
        dr = math.radians(angle) * (radius - self.axle_track / 2)
        speed = abs(self._wheel_deg(self._straight_speed))
        self._both(self._wheel_deg(dl), self._wheel_deg(dr), speed, then, wait)

    def distance(self):
        """Distance driven (int, mm) since reset."""
        return int(round((self.left.angle() + self.right.angle()) / 2 * self._mm_per_deg - self._d0))

    def angle(self):
        """Heading change (int, deg, clockwise positive) since reset, from the wheel angles."""
        diff = (self.left.angle() - self.right.angle()) * self._mm_per_deg
        return int(round(math.degrees(diff / self.axle_track) - self._a0))

    def state(self):
        return (self.distance(), 0, self.angle(), 0)

    def reset(self):
        self._d0 = 0.0
        self._a0 = 0.0
        self._d0 = (self.left.angle() + self.right.angle()) / 2 * self._mm_per_deg
        self._a0 = math.degrees((self.left.angle() - self.right.angle()) * self._mm_per_deg / self.axle_track)
