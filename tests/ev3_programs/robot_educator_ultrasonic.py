#!/usr/bin/env pybricks-micropython
"""Mirrors: LEGO Education / pybricks, "Robot Educator Ultrasonic Sensor Driving Base"
(EV3 MicroPython v2.0),
https://github.com/pybricks/pybricks-projects/tree/master/sets/mindstorms-ev3/education-core/robot_educator_ultrasonic
(https://pybricks.com/ev3-micropython/examples/robot_educator_ultrasonic.html).
Robot: `rover` (B left, C right, ultrasonic forward on S4). World: maze (walls ahead).
Drive until something is within 300 mm, back off, turn; three times, then stop.
"""

from pybricks.ev3devices import Motor, UltrasonicSensor
from pybricks.hubs import EV3Brick
from pybricks.parameters import Port
from pybricks.robotics import DriveBase
from pybricks.tools import wait

ev3 = EV3Brick()
obstacle_sensor = UltrasonicSensor(Port.S4)
left_motor = Motor(Port.B)
right_motor = Motor(Port.C)
robot = DriveBase(left_motor, right_motor, wheel_diameter=55.5, axle_track=104)

ev3.speaker.beep()
for _attempt in range(3):
    robot.drive(200, 0)
    # Do nothing but look until the obstacle is near.
    while obstacle_sensor.distance() > 300:
        wait(10)
    print("seen_mm =", obstacle_sensor.distance())
    robot.straight(-100)
    robot.turn(120)
robot.stop()
