#!/usr/bin/env pybricks-micropython
"""Mirrors: the EV3 Education Robot Educator "Touch Sensor - Stop at Object" lesson, written with
pybricks v2.0 TouchSensor as its docs show it (https://pybricks.com/ev3-micropython/ev3devices.html#touch-sensor).
Robot: `rover` (B left, C right, touch sensor with the bumper on S1). World: maze (a wall ahead).
Drive forward until the bumper is pressed, then back away and turn; twice.
"""

from pybricks.ev3devices import Motor, TouchSensor
from pybricks.hubs import EV3Brick
from pybricks.parameters import Port
from pybricks.robotics import DriveBase
from pybricks.tools import StopWatch, wait

ev3 = EV3Brick()
bumper = TouchSensor(Port.S1)
robot = DriveBase(Motor(Port.B), Motor(Port.C), wheel_diameter=55.5, axle_track=104)

watch = StopWatch()
for _bump in range(2):
    robot.drive(150, 0)
    while not bumper.pressed() and watch.time() < 15000:
        wait(10)
    robot.stop()
    print("bumped =", bumper.pressed(), watch.time())
    ev3.speaker.beep(1000, 50)
    robot.straight(-120)
    robot.turn(90)
