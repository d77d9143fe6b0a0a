#!/usr/bin/env pybricks-micropython
"""Line follower as a brick program: the same file runs on a real EV3 with pybricks.

Robot: the education driving base (rover) - motors on B (left) and C (right), 56 mm wheels,
104 mm axle track, colour sensor on S3 looking down. It follows the left edge of the line:
more white means it drifted left, so it turns right (a positive, clockwise turn rate).
"""

from pybricks.ev3devices import ColorSensor, Motor
from pybricks.hubs import EV3Brick
from pybricks.parameters import Port
from pybricks.robotics import DriveBase
from pybricks.tools import StopWatch, wait

ev3 = EV3Brick()
left = Motor(Port.B)
right = Motor(Port.C)
base = DriveBase(left, right, wheel_diameter=56, axle_track=104)
eye = ColorSensor(Port.S3)

EDGE = 50  # % reflection halfway between the black line and the white mat
SPEED = 170  # mm/s
GAIN = 3.0  # deg/s of turn per % of error

ev3.speaker.beep()
clock = StopWatch()
while True:
    error = eye.reflection() - EDGE
    base.drive(SPEED, GAIN * error)
    wait(10)
