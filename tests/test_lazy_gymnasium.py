"""`import arena` does not import gymnasium (a tournament worker or `arena run` never needs it),
yet gymnasium.make("arena/<Id>") works whichever of the two a program imports first."""

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
{imports}
import gymnasium
from arena.content import resolve
from arena.world.spec import load_world
limit = load_world(resolve("worlds", "line-follow")).time_limit
print(json.dumps([gymnasium.spec("arena/LineFollow-v0").max_episode_steps - round(limit / 0.01),
                  gymnasium.spec("arena/Sumo-v0").entry_point,
                  sum(type(f).__name__ == "_RegisterOnImport" for f in sys.meta_path)]))
"""


def _run(code: str) -> str:
    p = subprocess.run([sys.executable, "-W", "ignore::RuntimeWarning", "-c", code], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip().splitlines()[-1]


def test_import_arena_leaves_gymnasium_and_pybullet_unimported():
    out = _run("import sys, arena, arena.compete.tournament, arena.cli\n"
               "print(sorted(m for m in ('gymnasium', 'pybullet') if m in sys.modules))")
    assert out == "[]"


@pytest.mark.parametrize("imports", ["import arena", "import gymnasium, arena", "import arena, arena.envs.single",
                                     "import arena; import importlib; importlib.reload(arena)"])
def test_the_worlds_are_registered_whatever_the_import_order(imports):
    steps, entry, hooks = json.loads(_run(PROBE.format(imports=imports)))
    assert steps == 0 and entry == "arena.envs.single:ArenaEnv"
    assert hooks == 0  # the hook leaves once gymnasium is in


def test_gymnasium_make_builds_a_registered_world():
    out = _run("import arena, gymnasium\nenv = gymnasium.make('arena/LineFollow-v0')\n"
               "obs, info = env.reset(seed=1)\nprint(type(env.unwrapped).__name__, sorted(obs)[0])\nenv.close()")
    assert out.startswith("ArenaEnv ")
