"""The whole EV3 MicroPython API loads and behaves as on the brick: moves in parallel, control
settings that read back, the buttons pressed by the run's script, sounds that take their time,
and a device on a missing port reported as INVALID."""

import textwrap

import pytest

from arena.controllers.devices import parse_press, robots_with
from arena.controllers.protocol import INVALID, OK
from arena.controllers.runner import run_episode
from arena.controllers.sandbox import Limits
from arena.errors import ArenaError
from tests.test_brick import report

IMPORTS = """
from pybricks import ev3brick as brick
from pybricks.hubs import EV3Brick
from pybricks.ev3devices import Motor, TouchSensor, ColorSensor, InfraredSensor, UltrasonicSensor, GyroSensor
from pybricks.nxtdevices import LightSensor, SoundSensor, TemperatureSensor, EnergyMeter, VernierAdapter
from pybricks.parameters import Port, Stop, Direction, Button, Color, ImageFile, SoundFile
from pybricks.tools import wait, StopWatch, DataLog, print
from pybricks.robotics import DriveBase
from pybricks.media.ev3dev import Image, ImageFile, SoundFile, Font
from pybricks.messaging import BluetoothMailboxServer, BluetoothMailboxClient, Mailbox, TextMailbox
from pybricks.messaging import NumericMailbox, LogicMailbox
import urandom, utime, ujson
ev3 = EV3Brick()
left, right = Motor(Port.B), Motor(Port.C)
base = DriveBase(left, right, wheel_diameter=56, axle_track=104)
clock = StopWatch()
"""


def run(tmp_path, body: str, presses=None, robot=None):
    d = tmp_path / "prog"
    d.mkdir()
    (d / "main.py").write_text(IMPORTS + textwrap.dedent(body))
    return run_episode("line-follow", robot, d, seed=0, limits=Limits(step_s=0.5), presses=presses)


def test_every_api_name_loads_and_the_brick_records_what_it_shows(tmp_path):
    r = run(tmp_path, """
        print("colors =", Color.ORANGE, Color.PURPLE, Button.BEACON, Button.LEFT_UP)
        print("files =", SoundFile.HELLO.endswith("hello.wav"), ImageFile.THUMBS_UP.endswith(".png"))
        print("font =", Font.DEFAULT.family, Font(size=20).height)
        print("rand =", urandom.randint(1, 6) in range(1, 7), ujson.loads(ujson.dumps({"a": 1}))["a"])
        t0 = utime.ticks_ms()
        ev3.speaker.beep(500, 100)
        print("beep_ms =", utime.ticks_diff(utime.ticks_ms(), t0))
        ev3.speaker.play_notes(["C4/4", "E4/8"], tempo=120)
        print("notes_ms =", clock.time())
        ev3.screen.print("hello screen")
        brick.display.text("v1 text")
        ev3.light.on(Color.ORANGE)
        log = DataLog("t", "a", name="run")
        log.log(1, 2)
        print("pressed =", ev3.buttons.pressed())
    """)
    assert r.status == OK, r.reason + r.output
    vals = report(r)
    assert vals["colors"] == "Color.ORANGE Color.PURPLE BEACON LEFT_UP"
    assert vals["files"] == "True True" and vals["rand"] == "True 1"
    assert 100 <= int(vals["beep_ms"]) <= 110  # a beep takes its duration, as on the brick
    assert 100 + 750 <= int(vals["notes_ms"]) <= 100 + 770  # a quarter and an eighth at 120 bpm
    assert vals["pressed"] == "[]"  # by default nobody presses anything
    for event in ("beep 500 Hz 100 ms", "screen print hello screen", "screen print v1 text", "light ORANGE",
                  "datalog run.csv: t,a", "datalog run.csv: 1,2"):
        assert event in r.output


def test_a_program_waiting_for_the_centre_button_starts_when_it_is_pressed(tmp_path):
    body = """
        while Button.CENTER not in ev3.buttons.pressed():
            wait(10)
        print("started =", utime.ticks_ms())
        wait(300)
        print("after =", ev3.buttons.pressed())
    """
    r = run(tmp_path, body, presses=[parse_press("CENTER@0.5")])
    assert r.status == OK, r.reason
    vals = report(r)
    assert 500 <= int(vals["started"]) <= 510 and vals["after"] == "[]"  # a tap: 0.2 s


def test_press_scripts_are_checked():
    assert parse_press("center@1-2.5") == ["CENTER", 1.0, 2.5]
    assert parse_press("BEACON@0") == ["BEACON", 0.0, 0.2]
    for bad in ("CENTRE@1", "CENTER", "CENTER@x", "CENTER@2-1", "CENTER@-1"):
        with pytest.raises(ArenaError, match="--press"):
            parse_press(bad)


def test_moves_run_in_parallel_and_settings_read_back(tmp_path):
    r = run(tmp_path, """
        print("limits0 =", left.control.limits())
        left.control.limits(speed=400, acceleration=800)
        print("limits1 =", left.control.limits())
        print("pid =", left.control.pid())
        try:
            left.control.limits(speed=0)
        except ValueError as e:
            print("bad = ValueError")
        clock.reset()
        left.run_time(300, 2000, wait=False)   # returns at once
        right.run_angle(400, 360, wait=False)
        print("returned_ms =", clock.time())
        wait(500)
        print("both_moving =", left.speed() > 100 and right.speed() > 100)
        try:
            left.control.limits(speed=500)
        except OSError:
            print("busy = OSError")
        while not (left.control.done() and right.control.done()):
            wait(10)
        print("done_ms =", clock.time())
        print("right =", right.angle())
        print("settings =", base.settings())
        base.drive(150, 0)
        wait(800)
        print("state =", base.state())
        base.stop()
    """, robot="rover")
    assert r.status == OK, r.reason + r.output
    vals = report(r)
    # pbio v2.0 keeps the large motor's settings in counts, 2 per degree on ev3dev: 1600 counts/s
    # read back as 800 deg/s; gains read back as stored, integral range 45 counts as 23 deg (rounded)
    assert vals["limits0"] == "(800, 1600, 100)" and vals["limits1"] == "(400, 800, 100)"
    assert vals["pid"] == "(400, 1200, 5, 23, 5, 0)" and vals["bad"] == "ValueError"
    assert int(vals["returned_ms"]) == 0 and vals["both_moving"] == "True" and vals["busy"] == "OSError"
    assert 2000 <= int(vals["done_ms"]) <= 2030  # run_time's own time, plus pbio's hold hand-over
    assert abs(int(vals["right"]) - 360) <= 2
    # pybricks v2.0 defaults: a third of the drive base's limits, from the motors' when it was made
    assert vals["settings"] == "(130, 521, 143, 574)"
    dist, drive_speed, angle, turn_rate = (int(v) for v in vals["state"].strip("()").split(","))
    assert 130 <= drive_speed <= 170 and abs(turn_rate) <= 10 and dist > 60


def test_a_device_on_a_missing_port_is_invalid_and_names_who_has_it(tmp_path):
    r = run(tmp_path, """
        eye = InfraredSensor(Port.S4)
    """)
    assert r.status == INVALID
    assert "infrared sensor on port S4" in r.reason and "ultrasonic sensor there" in r.reason
    assert "no bundled robot has a infrared sensor" in r.reason or "no bundled robot" in r.reason
    assert "rover" in robots_with("S2", "gyro sensor") and "forklift" in robots_with("A", "motor")


def test_a_bad_press_is_refused_by_the_cli_before_the_run(root):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "arena.cli", "run", "--world", "line-follow", "--agent",
                          str(root / "agents" / "brick_line_follower"), "--press", "CENTRE@1"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 2 and "--press 'CENTRE@1': unknown button" in out.stderr
    assert "Traceback" not in out.stderr
