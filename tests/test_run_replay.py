"""`arena run --db` stores the run's replay beside its result, so `arena replay ID` opens what
`arena matches` lists; scripted button presses are part of the replay and of its digest."""

import json
import subprocess
import textwrap

import pytest
import tiny
from conftest import arena_cmd

from arena.compete import replay
from arena.compete.store import Store

PROGRAM = """
from pybricks.hubs import EV3Brick
from pybricks.ev3devices import Motor
from pybricks.parameters import Port, Button
from pybricks.tools import wait
ev3 = EV3Brick()
left, right = Motor(Port.B), Motor(Port.C)
while Button.CENTER not in ev3.buttons.pressed():
    wait(10)
left.run(300)
right.run(300)
wait(5000)
"""


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    d = tmp_path_factory.mktemp("runreplay")
    world = tiny.solo_world(d, time_limit=2.0)
    prog = d / "waits_for_centre"
    prog.mkdir()
    (prog / "main.py").write_text(textwrap.dedent(PROGRAM))
    db = d / "runs.sqlite"
    p = subprocess.run(arena_cmd("run", "--world", str(world), "--agent", str(prog), "--press", "CENTER@0.5",
                                 "--db", str(db), "--json"), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    store = Store(db)
    (mid,) = store.match_ids()
    rep = store.replay(mid)
    store.close()
    return d, db, mid, rep, json.loads(p.stdout)


def test_a_stored_run_has_its_replay_with_the_presses(stored):
    _d, _db, mid, rep, result = stored
    assert rep["match_id"] == mid and rep["presses"] == [["CENTER", 0.5, 0.7]]
    assert rep["digest"] == result["digest"] and rep["steps"] == result["steps"] == 200
    # the press moved the robot: nothing before 0.5 s, the motors running after it
    runs = [k for k, (cmd,) in enumerate(replay.actions(rep)) if "run" in json.dumps(cmd)]
    assert runs and 50 <= runs[0] <= 55, runs[:3]


def test_a_pressed_stored_run_verifies_by_id(stored):
    _d, db, mid, _rep, _result = stored
    p = subprocess.run(arena_cmd("replay", mid, "--db", str(db), "--verify"), capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "OK verified" in p.stdout


@pytest.mark.parametrize("edit", ["time", "button", "dropped"])
def test_a_changed_press_fails_verification(stored, edit):
    d, _db, _mid, rep, _result = stored
    bad = json.loads(json.dumps(rep))
    if edit == "time":
        bad["presses"][0][1] = 0.6
    elif edit == "button":
        bad["presses"][0][0] = "LEFT"
    else:
        del bad["presses"]
    assert not replay.verify(bad).ok
    f = d / f"edited-{edit}.json"
    replay.save(bad, f)
    p = subprocess.run(arena_cmd("replay", str(f), "--verify"), capture_output=True, text=True, timeout=600)
    # the presses are part of the match id (another press is another match), so that check fails first
    assert p.returncode == 1 and "does not match the recorded configuration" in p.stdout


def test_a_malformed_press_in_a_replay_is_refused(stored):
    d, _db, _mid, rep, _result = stored
    bad = json.loads(json.dumps(rep))
    bad["presses"] = [["CENTER", "soon", 1.0]]
    f = d / "malformed.json"
    replay.save(bad, f)
    p = subprocess.run(arena_cmd("replay", str(f), "--verify"), capture_output=True, text=True, timeout=600)
    assert p.returncode == 2 and "key presses[0] must be [button, start s, end s]" in p.stderr


# -- the run's JSON result: final poses and the brick's outputs as data ---------------------------
OUTPUTS = """
from pybricks.hubs import EV3Brick
from pybricks.tools import wait, DataLog
ev3 = EV3Brick()
ev3.screen.print("hello")
ev3.speaker.beep(440, 100)
ev3.speaker.play_notes(["C4/4", "E4/8"], tempo=120)
ev3.speaker.say("two words")
log = DataLog("t", "v", name="run")
for i in range(3):
    log.log(i, i * i)
"""


def test_the_json_result_has_the_final_pose_and_the_brick_outputs(stored):
    d, _db, _mid, _rep, result = stored  # the pressed run drove off: its pose is where it stopped
    (pose,) = result["poses"]
    assert set(pose) == {"x_mm", "y_mm", "heading_deg"} and -180.0 <= pose["heading_deg"] <= 180.0
    prog = d / "outputs"
    prog.mkdir()
    (prog / "main.py").write_text(textwrap.dedent(OUTPUTS))
    p = subprocess.run(arena_cmd("run", "--world", str(d / "tiny-line.toml"), "--agent", str(prog), "--json"),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    brick = r["brick"]
    assert brick["screen"] == [{"t_s": 0.0, "text": "print hello"}]
    sounds = [(s["kind"], s["what"], s["duration_ms"]) for s in brick["sound"]]
    assert sounds == [("beep", "440 Hz", 100.0), ("notes", "C4/4 E4/8 tempo 120", 750.0),
                      ("say", "two words", round(2 * 60000 / 175, 3))]
    starts = [s["t_s"] for s in brick["sound"]]
    assert starts[0] == 0.0 and 0.1 <= starts[1] <= 0.12 and 0.85 <= starts[2] <= 0.88  # each waits for the last
    assert brick["datalog"] == {"run.csv": "t,v\n0,0\n1,1\n2,4\n"} and brick["truncated"] is False
    (still,) = r["poses"]  # a program that never drives stays at the start
    assert abs(still["x_mm"] - pose["x_mm"]) + abs(still["y_mm"] - pose["y_mm"]) > 50


def test_brick_outputs_are_capped():
    from arena.controllers import outputs

    rows = "".join(f"[brick 0.{i % 10}s] datalog big.csv: {'9' * 100}\n" for i in range(1000))
    beeps = "[brick 1.0s] beep 500 Hz 10 ms\n" * (outputs.MAX_EVENTS + 5)
    b = outputs.brick_outputs(rows + beeps + "[brick 1.0s] beep oops\nplain text\n")
    assert len(b["datalog"]["big.csv"]) <= outputs.MAX_LOG_CHARS + len(outputs.TRUNCATED)
    assert b["datalog"]["big.csv"].endswith(outputs.TRUNCATED) and b["truncated"] is True
    assert len(b["sound"]) == outputs.MAX_EVENTS
