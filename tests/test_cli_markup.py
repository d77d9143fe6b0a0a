"""Console output keeps user text literal: a "[" in a controller's error, a robot's name or a path
is printed as written (escaped for rich), never read as markup (a crash on "[/]") or swallowed."""

import re
import subprocess

import tiny
from conftest import arena_cmd

ROOT = tiny.ROOT
REASON = "bad [bold]x[/bold] value [/] and [red]"
BRACKETS = f"""
class Controller:
    def act(self, obs):
        raise RuntimeError({REASON!r})
"""


def test_run_prints_a_controller_error_with_brackets_literally(tmp_path):
    world = tiny.solo_world(tmp_path, time_limit=1.0)
    bad = tiny.agent(tmp_path, "brackets", BRACKETS)
    p = subprocess.run(arena_cmd("run", "--world", str(world), "--agent", str(bad)), capture_output=True, text=True,
                       timeout=600, cwd=tmp_path)
    assert "Traceback" not in p.stderr, p.stderr  # was rich.errors.MarkupError: closing tag '[/]'
    status = next(x for x in p.stdout.splitlines() if x.startswith("status"))
    assert status.endswith(REASON), status


def test_robot_show_prints_a_robot_name_with_brackets_literally(tmp_path):
    robot = tmp_path / "r.toml"
    robot.write_text(re.sub(r'(?m)^name = .*$', 'name = "rover [/] [red]x"', (ROOT / "robots" / "rover.toml").read_text()))
    p = subprocess.run(arena_cmd("robot", "show", str(robot)), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "rover [/] [red]x: parts list" in p.stdout
