"""UltrasonicSensor.presence(): an ultrasonic sensor hears another robot's sensor that is pinging
(distance mode), within 2.55 m, each within the other's beam, with nothing between them. Two sumo
robots (an ultrasonic sensor on S4 each) placed by hand; then two brick programs through the
sandboxed runner, whose replay verifies."""

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from arena.compete.replay import build, verify
from arena.content import resolve
from arena.controllers.protocol import OK, InvalidAction, validate_action
from arena.controllers.runner import run_match
from arena.controllers.sandbox import Limits
from arena.match import Match
from tests.test_brick import report

WALL = """
[[walls]]
start = [0, -150]
end = [0, 150]
height = 150
thickness = 20
color = "#a0a0a0"
"""


def _match(world="sumo") -> Match:
    m = Match(world)
    m.reset(np.random.SeedSequence(0))
    return m


def _heard(m: Match, cmds=None, steps: int = 5) -> list:
    for _ in range(steps):  # past the next 40 ms ping: poses are taken at the pings
        m.step(cmds or [{}, {}])
    return [o["S4/presence"] for o in m.obs]


def _face(m: Match, gap: float = 0.6, heading1: float = math.pi) -> None:
    m.place_robot(0, -gap / 2, 0.0, 0.0)
    m.place_robot(1, gap / 2, 0.0, heading1)


def test_two_robots_facing_each_other_hear_each_other():
    m = _match()
    _face(m)
    assert _heard(m) == [1.0, 1.0]
    m.close()


def test_one_turned_away_is_not_heard_and_does_not_hear():
    m = _match()
    _face(m, heading1=0.0)  # robot 1 looks away: robot 0 is outside its beam, and it outside 0's ear
    assert _heard(m) == [0.0, 0.0]
    _face(m, heading1=math.pi - math.radians(30))  # 30 deg off: outside the 21 deg beam
    assert _heard(m) == [0.0, 0.0]
    _face(m, heading1=math.pi - math.radians(12))  # 12 deg off: inside it
    assert _heard(m) == [1.0, 1.0]
    m.close()


def test_beyond_range_on_a_big_floor(tmp_path):
    text = Path(resolve("worlds", "sumo")).read_text().replace("size = [1200, 1200]", "size = [4000, 1200]")
    world = tmp_path / "big-sumo.toml"
    world.write_text(text)
    m = _match(world)
    _face(m, gap=2.4)  # sensors about 2.3 m apart (each sits ahead of its robot's centre)
    assert _heard(m) == [1.0, 1.0]
    _face(m, gap=2.9)
    assert _heard(m) == [0.0, 0.0]
    m.close()


def test_a_wall_between_them_blocks_it(tmp_path):
    world = tmp_path / "sumo-wall.toml"
    world.write_text(Path(resolve("worlds", "sumo")).read_text() + WALL)
    m = _match(world)
    _face(m)
    assert _heard(m) == [0.0, 0.0]
    m.close()


def test_a_silent_or_listening_sensor_is_not_heard():
    m = _match()
    _face(m)
    # robot 1 stops pinging: robot 0 hears nothing; robot 1 still hears robot 0
    assert _heard(m, [{}, {"S4": {"emit": 0}}]) == [0.0, 1.0]
    assert _heard(m) == [0.0, 1.0]  # the mode persists
    assert _heard(m, [{"S4": {"emit": 0}}, {"S4": {"emit": 1}}]) == [1.0, 0.0]
    m.close()


def test_deterministic():
    runs = []
    for _ in range(2):
        m = _match()
        _face(m, heading1=math.pi - math.radians(20))
        seq = []
        for k in range(60):
            m.step([{"B": 0.3, "C": -0.3}, {"S4": {"emit": float(k % 20 < 10)}} if k % 10 == 0 else {}])
            seq.append(tuple(o["S4/presence"] for o in m.obs))
        runs.append(seq)
        m.close()
    assert runs[0] == runs[1]
    assert {s[0] for s in runs[0]} == {0.0, 1.0}  # it did change as robot 0 turned and 1 toggled


def test_emit_commands_are_validated():
    sonars = ("S4",)
    assert validate_action({"S4": {"emit": 0}, "B": 0.5}, ["B", "C"], sonars) == {"S4": {"emit": 0.0}, "B": 0.5}
    for bad in ({"emit": 2}, {"emit": True}, {"emit": 1, "run": 3}, 1.0, {"emit": float("nan")}):
        with pytest.raises(InvalidAction, match="ultrasonic sensor"):
            validate_action({"S4": bad}, ["B", "C"], sonars)
    with pytest.raises(InvalidAction, match="unknown motor port 'S2'"):  # no ultrasonic sensor there
        validate_action({"S2": {"emit": 0}}, ["B", "C"], sonars)


LISTENER = """
from pybricks.ev3devices import UltrasonicSensor
from pybricks.tools import wait
sonar = UltrasonicSensor('S4')
wait(100)
print('heard =', sonar.presence())
wait(100)
print('heard_silent =', sonar.presence())
"""

PINGER = """
from pybricks.ev3devices import UltrasonicSensor
from pybricks.tools import wait
sonar = UltrasonicSensor('S4')
print('distance =', sonar.distance())
wait(150)
sonar.distance(silent=True)
wait(100)
"""


def test_brick_programs_hear_a_pinging_robot_and_not_a_silent_one(tmp_path):
    paths = []
    for name, body in (("listener", LISTENER), ("pinger", PINGER)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.py").write_text(textwrap.dedent(body))
        paths.append(tmp_path / name)
    results = run_match("sumo", [(None, p) for p in paths], seed=0, limits=Limits(step_s=2.0), until_done=True,
                        record=True, hash_every=10)
    lis, pin = results
    assert lis.status == OK and pin.status == OK, lis.reason + lis.output + pin.reason + pin.output
    # the sumo starts face each other 400 mm apart (jitter 10 deg): the pinger is heard until it
    # goes silent at 150 ms
    assert report(lis)["heard"] == "True" and report(lis)["heard_silent"] == "False"
    assert 300 <= int(report(pin)["distance"]) <= 400
    # the emitter commands are in the replay: re-simulated, the presence readings come out the same
    players = [{"robot": r.robot, "robot_file": "", "robot_hash": r.robot_hash, "agent": str(p),
                "agent_hash": r.agent_hash} for r, p in zip(results, paths, strict=True)]
    v = verify(build(str(resolve("worlds", "sumo")), results[0].world, 0, players, results, 10))
    assert v.ok, v
