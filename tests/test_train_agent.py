"""The shipped PPO agent (agents/ppo_line_follow, trained with `arena train`, exported with
`arena export`): sandboxed under `arena run` on seeds it never trained on, as a submission runs,
and its pybricks twin (agents/ppo_line_follow_brick) drives the same way."""

import json
import subprocess

import numpy as np
import pytest
from conftest import arena_cmd

AGENT, BRICK = "agents/ppo_line_follow", "agents/ppo_line_follow_brick"


def _score(root, agent: str, seed: int) -> float:
    r = subprocess.run(arena_cmd("run", "--world", "line-follow", "--agent", agent, "--seed", str(seed), "--json"),
                       capture_output=True, text=True, timeout=900, cwd=root)
    assert r.returncode == 0, r.stderr + r.stdout
    out = json.loads(r.stdout)
    assert out["status"] == "OK"
    return out["score"]["total"]


def test_the_shipped_agent_is_numpy_only_and_matches_its_pybricks_twin(root):
    agent, brick = root / AGENT, root / BRICK
    assert sorted(p.name for p in agent.iterdir() if not p.name.startswith("__")) == [
        "agent.toml", "controller.py", "features.py", "policy.json", "policy.npz"]
    src = (agent / "controller.py").read_text() + (agent / "features.py").read_text()
    assert "torch" not in src and "stable_baselines3" not in src
    with np.load(agent / "policy.npz", allow_pickle=False) as d:
        n = int(d["n_layers"])
        assert n == 3 and d["w0"].shape[0] == 16  # the small network the brick can run in time
    assert (root / "arena" / "envs" / "features.py").read_text() == (agent / "features.py").read_text()
    # the shipped copies stay what `arena export` writes today: the controller template, and the
    # features inlined verbatim into the brick program (an agent folder must stand alone)
    from arena.learn.export import CONTROLLER, FEATURES_SRC

    assert (agent / "controller.py").read_text() == CONTROLLER
    body = FEATURES_SRC.read_text().split('"""', 2)[2].replace("import math\n", "", 1).strip()
    assert body in (brick / "main.py").read_text()
    assert "import numpy" not in (brick / "main.py").read_text()


@pytest.mark.parametrize("seed", [100])
def test_the_shipped_agent_laps_line_follow_on_an_unseen_seed_and_so_does_its_brick_program(root, seed):
    s = _score(root, AGENT, seed)
    assert s >= 250.0
    b = _score(root, BRICK, seed)
    assert abs(b - s) <= 0.05 * s
