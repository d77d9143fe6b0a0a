#!/usr/bin/env pybricks-micropython
"""Mirrors: the pybricks v2.0 EV3Brick buttons example (wait for a button, as the docs show:
https://pybricks.com/ev3-micropython/hubs.html#buttons) used as the start ritual of the
Robot Educator programs. Robot: `rover` (B, C). World: line-follow.
Run with: arena run --world line-follow --agent tests/ev3_programs/wait_for_center.py --press CENTER@1
Shows a prompt, waits for the centre button, then drives 200 mm.
"""

from pybricks.ev3devices import Motor
from pybricks.hubs import EV3Brick
from pybricks.parameters import Button, Color, Port
from pybricks.robotics import DriveBase
from pybricks.tools import StopWatch, wait

ev3 = EV3Brick()
robot = DriveBase(Motor(Port.B), Motor(Port.C), wheel_diameter=55.5, axle_track=104)

ev3.screen.clear()
ev3.screen.draw_text(10, 50, "Press CENTER")
ev3.light.on(Color.ORANGE)
while Button.CENTER not in ev3.buttons.pressed():
    wait(10)
# Wait for the release, as a start ritual does, so the press is not read twice.
while any(ev3.buttons.pressed()):
    wait(10)
ev3.light.on(Color.GREEN)
watch = StopWatch()
robot.straight(200)
print("started_after_ms =", watch.time())
