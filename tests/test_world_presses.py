"""The world's start ritual: [brick] presses in a world file, checked like every key, pressed when
a run gives no --press (a --press list replaces them), recorded in the replay and in the match id."""

import hashlib
import json
import textwrap
from pathlib import Path

import pytest

from arena.compete import replay as replay_mod
from arena.compete.store import match_id
from arena.controllers.protocol import OK
from arena.controllers.runner import run_episode
from arena.controllers.sandbox import Limits
from arena.errors import SpecError
from arena.world.spec import load_world, read_world
from tests.test_brick import report

ROOT = Path(__file__).resolve().parents[1]


def world_with(tmp_path, brick: str) -> Path:
    text = (ROOT / "worlds" / "line-follow.toml").read_text()
    p = tmp_path / "ritual.toml"
    p.write_text(text + "\n" + textwrap.dedent(brick))
    return p


def test_presses_are_read_as_button_start_end(tmp_path):
    w = load_world(world_with(tmp_path, """
        [brick]
        presses = ["CENTER@0.5", "left@1-2.5"]
    """))
    assert w.presses == (("CENTER", 0.5, 0.7), ("LEFT", 1.0, 2.5))
    assert load_world(ROOT / "worlds" / "line-follow.toml").presses == ()  # none declared: none pressed


@pytest.mark.parametrize("brick, key, words", [
    ('presses = ["CENTRE@1"]', "brick.presses[0]", "unknown button 'CENTRE'"),
    ('presses = ["CENTER@1", "CENTER"]', "brick.presses[1]", "BUTTON@SECONDS"),
    ('presses = ["CENTER@2-1"]', "brick.presses[0]", "the end after the start"),
    ('presses = ["CENTER@x"]', "brick.presses[0]", "not a number of seconds"),
    ('presses = ["CENTER@9999"]', "brick.presses[0]", "after the world's time limit"),
    ('presses = "CENTER@1"', "brick.presses", "list of strings"),
    ('press = ["CENTER@1"]', "brick.press", "did you mean `presses`"),
])
def test_bad_presses_name_the_file_the_key_and_the_fix(tmp_path, brick, key, words):
    path = world_with(tmp_path, "[brick]\n" + brick + "\n")
    spec, probs = read_world(path)
    assert spec is None
    assert [e.key for e in probs] == [key]
    msg = str(probs[0])
    assert str(path) in msg and words in msg
    with pytest.raises(SpecError):
        load_world(path)


def test_match_id_keeps_pressless_ids_and_tells_presses_apart():
    players = [("r" * 16, "a" * 16)]
    old = hashlib.sha256(json.dumps(["kit-arena-match", "LineFollow-v0", [list(p) for p in players], 3, "1.0"])
                         .encode()).hexdigest()[:32]  # the formula before presses were part of it
    assert match_id("LineFollow-v0", players, 3, "1.0") == old
    assert match_id("LineFollow-v0", players, 3, "1.0", []) == old
    a = match_id("LineFollow-v0", players, 3, "1.0", [["CENTER", 0.5, 0.7]])
    b = match_id("LineFollow-v0", players, 3, "1.0", [["CENTER", 1.0, 1.2]])
    assert len({old, a, b}) == 3
    assert a == match_id("LineFollow-v0", players, 3, "1.0", (("CENTER", 0.5, 0.7),))  # tuples or lists alike


WAIT_FOR_CENTRE = """
from pybricks.hubs import EV3Brick
from pybricks.parameters import Button
from pybricks.tools import wait
import utime
ev3 = EV3Brick()
while Button.CENTER not in ev3.buttons.pressed():
    wait(10)
print("started =", utime.ticks_ms())
"""


def _run(tmp_path, world, presses):
    d = tmp_path / "prog"
    d.mkdir(exist_ok=True)
    (d / "main.py").write_text(WAIT_FOR_CENTRE)
    return run_episode(str(world), None, d, seed=0, limits=Limits(step_s=0.5), presses=presses, record=True,
                       hash_every=50, until_done=True)


def test_the_worlds_presses_start_the_program_and_a_press_list_replaces_them(tmp_path):
    world = world_with(tmp_path, '[brick]\npresses = ["CENTER@0.3"]\n')
    r = _run(tmp_path, world, None)  # no --press: the world's ritual
    assert r.status == OK, r.reason
    assert 300 <= int(report(r)["started"]) <= 310
    rep = replay_mod.build(str(world), "LineFollow-v0", 0, [{"robot": r.robot, "robot_file": "", "robot_hash": r.robot_hash,
                                                              "agent": r.agent, "agent_hash": r.agent_hash}], [r], 50)
    assert rep["presses"] == [["CENTER", 0.3, 0.5]]  # recorded as the run pressed them
    assert rep["match_id"] == match_id("LineFollow-v0", [(r.robot_hash, r.agent_hash)], 0, rep["engine"],
                                       [["CENTER", 0.3, 0.5]])
    assert replay_mod.verify(rep).ok
    # the run's own list replaces the world's
    r2 = _run(tmp_path, world, [["CENTER", 1.0, 1.2]])
    assert 1000 <= int(report(r2)["started"]) <= 1010
    assert r2.digest != r.digest  # the presses are in the digest header
