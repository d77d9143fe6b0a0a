"""Programs written for the real EV3 (tests/ev3_programs, each after a published pybricks program)
run unmodified on their bundled robot and world and reach their last statement without an API
error (issue 15). The corpus runs through the sandboxed runner, ending each match with its
programs (run_match(until_done=True)), as benchmarks/ev3_programs.py does."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from arena.controllers.protocol import OK
from arena.controllers.runner import run_episode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import ev3_programs  # noqa: E402 - the benchmark's own corpus runner

CORPUS = ev3_programs.corpus()


def test_the_corpus_covers_the_api_the_issue_names():
    text = "\n".join((ev3_programs.CORPUS / a).read_text() for e in CORPUS for a in e["agents"])
    for use in ("DriveBase(", ".straight(", ".turn(", ".drive(", "ColorSensor(", "GyroSensor(", "TouchSensor(",
                "UltrasonicSensor(", "Button.CENTER", "ev3.screen.", "ev3.speaker.", "DataLog(", ".run_target(",
                ".run_angle(", "ev3brick as brick", "import urandom", "import utime", "import ujson",
                "BluetoothMailboxServer(", "BluetoothMailboxClient("):
        assert use in text, use
    for e in CORPUS:  # every program says which published program it mirrors, where, and its robot
        for a in e["agents"]:
            head = (ev3_programs.CORPUS / a).read_text()[:1500]
            assert "Mirrors:" in head and "https://" in head and "Robot:" in head, a
    assert len(CORPUS) >= 8


@pytest.mark.parametrize("entry", CORPUS, ids=[e["name"] for e in CORPUS])
def test_each_program_runs_to_its_end_without_an_api_error(entry):
    row = ev3_programs.run(entry)
    assert row["ok"], "\n".join(row["problems"]) + "\n" + row["output"][-2000:]
    assert row["exit"] == "ended"


def test_a_program_that_never_ends_runs_to_the_time_limit_with_until_done(tmp_path):
    prog = tmp_path / "forever.py"
    prog.write_text("from pybricks.tools import wait\nwhile True:\n    wait(10)\n")
    r = run_episode("obstacle-run", None, prog, until_done=True)
    assert r.status == OK and r.ended_s is None and r.sim_time == pytest.approx(60.0, abs=0.02)


def test_arena_run_runs_a_corpus_program_with_a_press():
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "arena"), "run", "--world", "obstacle-run", "--agent",
                          str(ev3_programs.CORPUS / "wait_for_center.py"), "--press", "CENTER@1", "--json"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["status"] == OK and "started_after_ms =" in res["output"]
    assert any(s["text"].startswith("draw_text") or "Press CENTER" in s["text"] for s in res["brick"]["screen"])
