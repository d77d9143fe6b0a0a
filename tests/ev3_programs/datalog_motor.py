#!/usr/bin/env pybricks-micropython
"""Mirrors: the pybricks v2.0 DataLog example (log a motor's angle and speed while it runs:
https://pybricks.com/ev3-micropython/tools.html#datalog).
Robot: `rover` (motor on B). World: line-follow.
Runs motor B at 500 deg/s for about a second, logging time, angle and speed every 50 ms.
"""

from pybricks.ev3devices import Motor
from pybricks.parameters import Port
from pybricks.tools import DataLog, StopWatch, wait

motor = Motor(Port.B)
data = DataLog("time", "angle", "speed", name="motor_log", timestamp=False)
watch = StopWatch()

motor.run(500)
for _sample in range(20):
    data.log(watch.time(), motor.angle(), motor.speed())
    wait(50)
motor.stop()
print("log =", data)
