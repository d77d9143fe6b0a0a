#!/usr/bin/env pybricks-micropython
"""Mirrors: an EV3 MicroPython v1.0 program (the `ev3brick` module of the first LEGO release:
https://education.lego.com/en-us/support/mindstorms-ev3/python-for-ev3, "EV3 MicroPython v1.0"
documentation, ev3brick and DriveBase.drive_time examples).
Robot: `rover` (B left, C right). World: line-follow.
"""

from pybricks import ev3brick as brick
from pybricks.ev3devices import Motor
from pybricks.parameters import Button, Color, Port, SoundFile
from pybricks.robotics import DriveBase
from pybricks.tools import print, wait

brick.sound.beep()
brick.display.clear()
brick.display.text("Hello v1.0", (40, 50))
brick.light(Color.GREEN)

robot = DriveBase(Motor(Port.B), Motor(Port.C), 56, 114)
robot.drive_time(100, 0, 2000)  # 100 mm/s straight for 2 s
robot.drive_time(0, 45, 2000)  # turn on the spot at 45 deg/s for 2 s
robot.stop()

brick.sound.file(SoundFile.READY)
brick.sound.beeps(2)
print("buttons =", brick.buttons(), Button.CENTER in brick.buttons())
print("battery_mv =", brick.battery.voltage())
brick.light(None)
wait(100)
