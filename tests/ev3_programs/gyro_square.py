#!/usr/bin/env pybricks-micropython
"""Mirrors: the gyro turns of the EV3 Education Robot Educator lessons ("Gyro Sensor - Turn"),
written with the pybricks v2.0 GyroSensor API as its docs show it
(https://pybricks.com/ev3-micropython/ev3devices.html#gyroscopic-sensor;
lesson: https://education.lego.com/en-us/support/mindstorms-ev3/building-instructions#robot,
Robot Educator, Gyro Sensor).
Robot: `rover` (B left, C right, gyro on S2). World: line-follow.
Drive a square: straight, then spin until the gyro reads 90 degrees more.
"""

from pybricks.ev3devices import GyroSensor, Motor
from pybricks.parameters import Direction, Port, Stop
from pybricks.robotics import DriveBase
from pybricks.tools import wait

left_motor = Motor(Port.B)
right_motor = Motor(Port.C)
gyro = GyroSensor(Port.S2, Direction.CLOCKWISE)
robot = DriveBase(left_motor, right_motor, wheel_diameter=55.5, axle_track=104)

gyro.reset_angle(0)
for side in range(4):
    robot.straight(200)
    target = 90 * (side + 1)
    robot.drive(0, 60)  # turn on the spot, clockwise
    while gyro.angle() < target:
        wait(10)
    robot.stop(Stop.BRAKE)
    wait(200)
    print("corner", side + 1, "=", gyro.angle(), gyro.speed())
