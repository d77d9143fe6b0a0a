"""The shipped PPO agents (agents/ppo_line_follow and agents/ppo_obstacle_run, trained with
`arena train`, exported with `arena export`): sandboxed under `arena run` on seeds they never
trained on, as a submission runs, and the line follower's pybricks twin
(agents/ppo_line_follow_brick) drives the same way."""

import json
import subprocess

import numpy as np
import pytest
from conftest import arena_cmd

AGENT, BRICK = "agents/ppo_line_follow", "agents/ppo_line_follow_brick"


OBSTACLE = "agents/ppo_obstacle_run"


def _result(root, agent: str, seed: int, world: str = "line-follow") -> dict:
    r = subprocess.run(arena_cmd("run", "--world", world, "--agent", agent, "--seed", str(seed), "--json"),
                       capture_output=True, text=True, timeout=900, cwd=root)
    assert r.returncode == 0, r.stderr + r.stdout
    out = json.loads(r.stdout)
    assert out["status"] == "OK"
    return out["score"]


def _score(root, agent: str, seed: int) -> float:
    return _result(root, agent, seed)["total"]


@pytest.mark.parametrize("name", [AGENT, OBSTACLE])
def test_the_shipped_agents_are_numpy_only_as_export_writes_them(root, name):
    agent = root / name
    assert sorted(p.name for p in agent.iterdir() if not p.name.startswith("__")) == [
        "agent.toml", "controller.py", "features.py", "policy.json", "policy.npz"]
    src = (agent / "controller.py").read_text() + (agent / "features.py").read_text()
    assert "torch" not in src and "stable_baselines3" not in src
    with np.load(agent / "policy.npz", allow_pickle=False) as d:
        n = int(d["n_layers"])
        assert n == 3 and d["w0"].shape[0] == 16  # the small network the brick can run in time
    assert (root / "arena" / "envs" / "features.py").read_text() == (agent / "features.py").read_text()
    # the shipped copies stay what `arena export` writes today: the controller template
    from arena.learn.export import CONTROLLER

    assert (agent / "controller.py").read_text() == CONTROLLER


def test_the_line_follow_agent_matches_its_pybricks_twin(root):
    brick = root / BRICK
    # the features inlined verbatim into the brick program (an agent folder must stand alone)
    from arena.learn.export import FEATURES_SRC

    body = FEATURES_SRC.read_text().split('"""', 2)[2].replace("import math\n", "", 1).strip()
    assert body in (brick / "main.py").read_text()
    assert "import numpy" not in (brick / "main.py").read_text()


@pytest.mark.parametrize("seed", [100])
def test_the_shipped_agent_laps_line_follow_on_an_unseen_seed_and_so_does_its_brick_program(root, seed):
    s = _score(root, AGENT, seed)
    assert s >= 250.0
    b = _score(root, BRICK, seed)
    assert abs(b - s) <= 0.05 * s


def test_the_obstacle_run_agent_reaches_the_goal_on_an_unseen_seed(root):
    # seeds 100-104 (docs/training.md): 112.9, 119.6, 156.0, 131.3, 156.1, the goal reached on each
    s = _result(root, OBSTACLE, 100, world="obstacle-run")
    assert s["finished"] and s["terms"]["goal"]["value"] == 1.0
    assert s["total"] >= 100.0
