"""Every bundled robot, world and agent loads; content is found after a plain install."""

import os
import subprocess
import sys

import pytest

from arena.content import listing, load_agent_manifest, resolve
from arena.errors import NotFoundError
from arena.robot.spec import load_robot
from arena.world.scene import World
from arena.world.spec import load_world


def test_every_robot_and_world_loads(root):
    robots = sorted((root / "robots").glob("*.toml"))
    worlds = sorted((root / "worlds").glob("*.toml"))
    assert robots and worlds
    for r in robots:
        assert load_robot(r).name
    for w in worlds:
        World(load_world(w))


def test_every_agent_has_a_controller_and_valid_manifest(root):
    world_ids = {load_world(w).id for w in (root / "worlds").glob("*.toml")}
    agents = [p for p in (root / "agents").iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]
    assert agents
    for a in agents:
        assert (a / "controller.py").is_file() or (a / "main.py").is_file(), a
        man = load_agent_manifest(a)
        assert set(man["worlds"]) <= world_ids, (a, man["worlds"])


def test_resolve_by_name_and_errors():
    assert resolve("worlds", "line-follow").name == "line-follow.toml"
    assert resolve("robots", "rover").name == "rover.toml"
    assert {p.name for p in listing("agents")} >= {"line_follower", "bang_bang"}
    with pytest.raises(NotFoundError, match="line-follow"):
        resolve("worlds", "no-such-world")


@pytest.mark.slow
def test_plain_install_finds_content_from_any_directory(root, tmp_path):
    """`pip install .` (not editable) ships robots/, worlds/ and agents/ inside the package."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(root)], check=True, capture_output=True)
    assert (target / "arena" / "_bundled" / "worlds" / "line-follow.toml").is_file()
    env = dict(os.environ, PYTHONPATH=str(target))
    code = ("import arena, gymnasium as gym; from arena.content import resolve; "
            "print(arena.__file__); print(resolve('worlds','line-follow')); print(resolve('agents','line_follower')); "
            "e = gym.make('arena/LineFollow-v0'); e.reset(seed=0); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    lines = out.stdout.split()
    assert lines[0].startswith(str(target))
    assert "_bundled" in lines[1] and "_bundled" in lines[2]
    assert lines[-1] == "ok"
