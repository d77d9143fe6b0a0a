#!/usr/bin/env pybricks-micropython
"""Mirrors: LEGO Education / pybricks, "Robot Educator Color Sensor Down" line follower
(EV3 MicroPython v2.0),
https://github.com/pybricks/pybricks-projects/tree/master/sets/mindstorms-ev3/education-core/robot_educator_line
(https://pybricks.com/ev3-micropython/examples/robot_educator_line.html).
Robot: `rover` (driving base, B left, C right, colour sensor down on S3). World: line-follow.
A proportional follower on reflection; this version follows for 12 s, then stops.
"""

from pybricks.ev3devices import ColorSensor, Motor
from pybricks.parameters import Port
from pybricks.robotics import DriveBase
from pybricks.tools import StopWatch, wait

left_motor = Motor(Port.B)
right_motor = Motor(Port.C)
line_sensor = ColorSensor(Port.S3)
robot = DriveBase(left_motor, right_motor, wheel_diameter=55.5, axle_track=104)

# Reflection on the line and on the mat, and the edge between them.
DARK, LIGHT = 9, 85
edge = (DARK + LIGHT) / 2
SPEED = 100  # mm/s
GAIN = 1.2  # deg/s of turn per % of deviation

watch = StopWatch()
while watch.time() < 12000:
    deviation = line_sensor.reflection() - edge
    robot.drive(SPEED, GAIN * deviation)
    wait(10)
robot.stop()
print("followed_mm =", robot.distance())
