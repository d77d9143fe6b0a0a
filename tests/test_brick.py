"""Brick programs in the pybricks style run unmodified, on virtual time, in their own process."""

import importlib.util
import textwrap

import pytest

from arena.controllers.protocol import ERROR, INVALID, OK
from arena.controllers.runner import run_episode
from arena.controllers.sandbox import Limits

HEAD = """
from pybricks.hubs import EV3Brick
from pybricks.ev3devices import Motor, ColorSensor, UltrasonicSensor, GyroSensor, TouchSensor
from pybricks.parameters import Port, Stop, Direction, Color
from pybricks.tools import wait, StopWatch
from pybricks.robotics import DriveBase
ev3 = EV3Brick()
left, right = Motor(Port.B), Motor(Port.C)
base = DriveBase(left, right, wheel_diameter=56, axle_track=104)
gyro = GyroSensor(Port.S2)
"""


def program(tmp_path, body: str, name="main.py"):
    d = tmp_path / "prog"
    d.mkdir()
    (d / name).write_text(HEAD + textwrap.dedent(body))
    return d


def report(result) -> dict:
    """The program prints `key=value` lines; collect them."""
    out = {}
    for line in result.output.splitlines():
        if "=" in line and not line.startswith("["):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def test_brick_line_follower_completes_a_lap(root):
    r = run_episode("line-follow", "rover", root / "agents" / "brick_line_follower", seed=0)
    assert r.status == OK, r.reason
    assert r.score["terms"]["laps"]["value"] >= 1.0


def test_wait_and_stopwatch_follow_simulated_time(tmp_path):
    d = program(tmp_path, """
        w = StopWatch()
        wait(1000)
        print("t1 =", w.time())
        w.pause(); wait(500); w.resume()
        print("t2 =", w.time())
        raise SystemExit(0)
    """)
    r = run_episode("line-follow", None, d, seed=0, limits=Limits(step_s=0.5))
    vals = report(r)
    assert 1000 <= int(vals["t1"]) <= 1010
    assert int(vals["t2"]) == int(vals["t1"])


def test_straight_and_turn_measured_by_encoders_and_gyro(tmp_path):
    # the rover starts 210 mm from the table wall on its right: turn left first, then drive
    # towards the middle of the table, so nothing touches a wall
    d = program(tmp_path, """
        print("g0 =", gyro.angle())
        base.turn(-90)
        wait(300)
        print("g90 =", gyro.angle())
        print("base_angle =", base.angle())
        base.reset()
        base.settings(straight_speed=150)
        base.straight(300)
        print("dist =", base.distance())
        print("g_after =", gyro.angle())
    """)
    r = run_episode("line-follow", None, d, seed=0, limits=Limits(step_s=0.5))
    assert r.status == OK, r.reason + r.output
    vals = report(r)
    assert abs(int(vals["g0"])) <= 1
    assert abs(int(vals["g90"]) + 90) <= 3  # gyro: clockwise positive, within 3 deg of the turn
    assert abs(int(vals["base_angle"]) + 90) <= 3
    assert abs(int(vals["dist"]) - 300) <= 5
    assert abs(int(vals["g_after"]) - int(vals["g90"])) <= 2  # straight is straight


def test_motor_api_run_target_hold_dc_and_reset(tmp_path):
    d = program(tmp_path, """
        left.reset_angle(0)
        left.run_target(500, 720)
        print("target =", left.angle())
        left.reset_angle(100)
        print("reset =", left.angle())
        right.dc(50)
        wait(500)
        print("dc_speed =", right.speed())
        right.brake()
        wait(300)
        print("braked =", right.speed())
        m = Motor(Port.B, Direction.COUNTERCLOCKWISE)
        print("ccw =", m.angle())
    """)
    r = run_episode("line-follow", None, d, seed=0, limits=Limits(step_s=0.5))
    assert r.status == OK, r.reason + r.output
    vals = report(r)
    assert abs(int(vals["target"]) - 720) <= 2
    assert int(vals["reset"]) == 100
    assert 150 < int(vals["dc_speed"]) < 560  # pivoting on the held left wheel
    assert abs(int(vals["braked"])) < 20
    assert int(vals["ccw"]) == 0


def test_sensors_in_pybricks_units(tmp_path):
    d = program(tmp_path, """
        eye = ColorSensor(Port.S3)
        sonar = UltrasonicSensor(Port.S4)
        touch = TouchSensor(Port.S1)
        print("refl =", eye.reflection())
        print("color =", eye.color())
        print("rgb_len =", len(eye.rgb()))
        print("dist =", sonar.distance())
        print("pressed =", touch.pressed())
        print("volts =", ev3.battery.voltage())
    """)
    r = run_episode("line-follow", None, d, seed=0, limits=Limits(step_s=0.5))
    vals = report(r)
    assert int(vals["refl"]) < 30  # starts on the black line
    assert vals["color"] in ("Color.BLACK", "None", "Color.BROWN")
    assert vals["rgb_len"] == "3"
    assert 30 <= int(vals["dist"]) <= 2550
    assert vals["pressed"] == "False"


def test_busy_loop_without_wait_still_advances_time(tmp_path):
    d = program(tmp_path, """
        eye = ColorSensor(Port.S3)
        w = StopWatch()
        n = 0
        while w.time() < 200:
            eye.reflection()
            n += 1
        print("loops =", n)
    """)
    r = run_episode("line-follow", None, d, seed=0, limits=Limits(step_s=0.5))
    assert r.status == OK, r.reason
    assert 15 <= int(report(r)["loops"]) <= 25  # one read per 10 ms control period


def test_program_errors_and_wrong_ports_are_reported(tmp_path):
    d = program(tmp_path, """
        arm = Motor(Port.A)
    """)
    r = run_episode("line-follow", None, d, seed=0, limits=Limits(step_s=0.5))
    # INVALID, naming the port, the device and the bundled robots that have one there
    assert r.status == INVALID and "motor on port A" in r.reason and "forklift" in r.reason, r.reason
    d2 = tmp_path / "syntax"
    d2.mkdir()
    (d2 / "main.py").write_text("from pybricks.tools import wait\nwait(\n")
    r = run_episode("line-follow", None, d2, seed=0, limits=Limits(step_s=0.5))
    assert r.status == ERROR and "while loading" in r.reason and "SyntaxError" in r.reason


def test_the_arena_process_never_sees_the_simulated_pybricks():
    """The shim exists only inside controller processes: it never shadows a pybricks package
    (real, or an IDE stub) installed where the arena runs."""
    import arena.controllers.runner  # noqa: F401

    spec = importlib.util.find_spec("pybricks")
    assert spec is None or "arena" not in (spec.origin or "")


@pytest.mark.parametrize("then", ["Stop.HOLD", "Stop.BRAKE", "Stop.COAST"])
def test_run_angle_stop_modes(tmp_path, then):
    d = program(tmp_path, f"""
        left.run_angle(400, 360, then={then})
        wait(200)
        print("a =", left.angle())
    """)
    r = run_episode("line-follow", None, d, seed=0, limits=Limits(step_s=0.5))
    a = int(report(r)["a"])
    assert abs(a - 360) <= (3 if then == "Stop.HOLD" else 40)
