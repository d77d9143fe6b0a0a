#!/usr/bin/env pybricks-micropython
"""Mirrors: LEGO Education / pybricks, "Robot Educator Driving Base" example (EV3 MicroPython v2.0),
https://github.com/pybricks/pybricks-projects/tree/master/sets/mindstorms-ev3/education-core/robot_educator_basic
(https://pybricks.com/ev3-micropython/examples/robot_educator_basic.html).
Robot: the EV3 Education driving base (bundled `rover`): left motor B, right motor C, 55.5 mm
wheels, 104 mm axle track, as the published program declares. World: line-follow (open table).
Written for this corpus in the style of the published program (shorter distances: the table).
"""

from pybricks.ev3devices import Motor
from pybricks.hubs import EV3Brick
from pybricks.parameters import Port, Stop
from pybricks.robotics import DriveBase
from pybricks.tools import wait

ev3 = EV3Brick()

left_motor = Motor(Port.B)
right_motor = Motor(Port.C)
robot = DriveBase(left_motor, right_motor, wheel_diameter=55.5, axle_track=104)

# Out and back, then a full turn each way, beeping after every move.
robot.straight(300)
ev3.speaker.beep()
robot.straight(-300)
ev3.speaker.beep()
robot.turn(360)
ev3.speaker.beep()
robot.turn(-360)
ev3.speaker.beep()

# A gentle arc with drive(), then stop and report the odometry.
robot.drive(100, 30)
wait(2000)
robot.stop(Stop.BRAKE)
print("distance_mm =", robot.distance(), "angle_deg =", robot.angle())
