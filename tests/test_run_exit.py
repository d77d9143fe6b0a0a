"""`arena run` exits with the episode's status (0 OK, 3 ERROR, 4 TIMEOUT, 5 INVALID) and says
true things about a run that never started; `arena eval` exits 1 when any seed failed."""

import json
import subprocess

import pytest
import tiny
from conftest import arena_cmd

from arena.cli import build_parser
from arena.cli.play import RUN_EXIT


def run(*args):
    return subprocess.run(arena_cmd(*args), capture_output=True, text=True, timeout=600)


AGENTS = {
    "ok": ('class Controller:\n    def act(self, obs):\n        return {"B": 0.3, "C": 0.3}\n', "OK", 0),
    "raises": (tiny.CRASHER, "ERROR", 3),
    "broken_import": ("raise ImportError('no such thing')\n", "ERROR", 3),
    "invalid": ('class Controller:\n    def act(self, obs):\n        return {"Z": 1.0}\n', "INVALID", 5),
    "sleeper": ('import time\n\nclass Controller:\n    def act(self, obs):\n        time.sleep(3600)\n',
                "TIMEOUT", 4),
}


def test_the_codes_are_distinct_and_documented(capsys):
    assert sorted(RUN_EXIT.values()) == [0, 3, 4, 5]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    text = capsys.readouterr().out
    for code, status in ((0, "OK"), (2, "refused"), (3, "ERROR"), (4, "TIMEOUT"), (5, "INVALID")):
        assert f"  {code}  " in text and status in text
    with pytest.raises(SystemExit):
        build_parser().parse_args(["eval", "--help"])
    assert "exit status" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_run_exits_with_its_status(tmp_path, name):
    body, status, code = AGENTS[name]
    agent = tiny.agent(tmp_path, name, body)
    world = tiny.solo_world(tmp_path, time_limit=1.0)
    p = run("run", "--world", str(world), "--agent", str(agent))
    assert p.returncode == code and "Traceback" not in p.stderr, (p.stdout, p.stderr)
    assert f"status     {status}" in p.stdout
    assert "(0x real time)" not in p.stdout
    if name == "broken_import":  # it never started: no speed, and it says why
        assert "no step was simulated" in p.stdout and "real time" not in p.stdout
    p = run("run", "--world", str(world), "--agent", str(agent), "--json")
    assert p.returncode == code and json.loads(p.stdout)["status"] == status


def test_eval_exits_1_when_any_seed_failed(tmp_path):
    world = tiny.solo_world(tmp_path, time_limit=1.0)
    good = tiny.agent(tmp_path, "good", AGENTS["ok"][0])
    bad = tiny.agent(tmp_path, "bad", AGENTS["invalid"][0])
    p = run("eval", "--world", str(world), "--agent", str(good), "--seeds", "2", "--workers", "1")
    assert p.returncode == 0, p.stderr
    p = run("eval", "--world", str(world), "--agent", str(bad), "--seeds", "2", "--workers", "1")
    assert p.returncode == 1 and "2 failed run(s)" in p.stdout and "INVALID" in p.stdout, p.stdout
    p = run("eval", "--world", str(world), "--agent", str(bad), "--seeds", "2", "--workers", "1", "--json")
    assert p.returncode == 1 and len(json.loads(p.stdout)["failures"]) == 2
