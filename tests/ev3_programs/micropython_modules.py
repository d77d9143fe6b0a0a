#!/usr/bin/env pybricks-micropython
"""Mirrors: MicroPython's own modules as EV3 MicroPython programs use them (`urandom`, `utime`,
`ujson`: https://pybricks.com/ev3-micropython/micropython.html), here a seeded random walk whose
plan is kept as JSON. Robot: `rover` (B, C). World: line-follow.
"""

import ujson
import urandom
import utime
from pybricks.ev3devices import Motor
from pybricks.parameters import Port
from pybricks.robotics import DriveBase

robot = DriveBase(Motor(Port.B), Motor(Port.C), wheel_diameter=55.5, axle_track=104)

urandom.seed(42)
plan = [{"turn": urandom.choice([-90, -45, 45, 90]), "go": urandom.randint(50, 150)} for _ in range(3)]
text = ujson.dumps(plan)
start = utime.ticks_ms()
for leg in ujson.loads(text):
    robot.turn(leg["turn"])
    robot.straight(leg["go"])
utime.sleep_ms(100)
print("plan =", text)
print("took_ms =", utime.ticks_diff(utime.ticks_ms(), start), "rand =", urandom.getrandbits(8))
