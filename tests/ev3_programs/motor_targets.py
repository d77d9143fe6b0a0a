#!/usr/bin/env pybricks-micropython
"""Mirrors: the pybricks v2.0 Motor examples (run_target, run_angle, run_time, run_until_stalled:
https://pybricks.com/ev3-micropython/ev3devices.html#motors) as the Robot Arm H25 model uses them
(https://github.com/pybricks/pybricks-projects/tree/master/sets/mindstorms-ev3/education-core/robot_arm).
Robot: `forklift` (lift fork on the geared medium motor A; drive B, C). World: line-follow.
Raises and lowers the fork to targets, then homes it against its stop.
"""

from pybricks.ev3devices import Motor
from pybricks.parameters import Direction, Port, Stop
from pybricks.tools import wait

lift = Motor(Port.A, Direction.CLOCKWISE)
left = Motor(Port.B)

lift.reset_angle(0)
lift.run_target(200, 45, then=Stop.HOLD)
print("at_45 =", lift.angle())
lift.run_angle(200, -30, then=Stop.HOLD, wait=True)
print("after_run_angle =", lift.angle())
lift.run_time(-150, 800, then=Stop.COAST)
stalled_at = lift.run_until_stalled(-200, then=Stop.COAST, duty_limit=40)
print("stalled_at =", stalled_at)
left.run_angle(360, 180, then=Stop.BRAKE, wait=False)
while not left.control.done():
    wait(10)
print("wheel =", left.angle(), "speed =", left.speed())
wait(200)
